"""What the benchmarks share: a free loopback port and a measured `pmsync` child process."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

# The child reports its own peak resident memory as its last line on stderr, and its CPU
# seconds (user + system) on the line before.
CHILD = ("import resource, sys; from pmsync.cli import main; code = main(sys.argv[1:]); "
         "u = resource.getrusage(resource.RUSAGE_SELF); "
         "print(u.ru_utime + u.ru_stime, file=sys.stderr); "
         "print(u.ru_maxrss, file=sys.stderr); "
         "sys.exit(code)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_pmsync(*args: str) -> tuple[float, float]:
    """Run `pmsync ARGS` in a fresh process: (wall seconds, peak MiB); exit on failure."""
    wall, _, peak = run_measured(*args)
    return wall, peak


def run_measured(*args: str) -> tuple[float, float, float]:
    """Run `pmsync ARGS` in a fresh process: (wall seconds, CPU seconds, peak MiB)."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True)
    wall = time.perf_counter() - start
    lines = result.stderr.strip().splitlines()
    if result.returncode != 0:
        sys.exit(f"pmsync {' '.join(args)} failed: {lines[-3] if len(lines) > 2 else result.stderr}")
    return wall, float(lines[-2]), int(lines[-1]) / 1024
