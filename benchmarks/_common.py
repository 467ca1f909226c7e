"""What the benchmarks share: a free loopback port and a measured `pmsync` child process."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

# The child reports its own peak resident memory as its last line on stderr.
CHILD = ("import resource, sys; from pmsync.cli import main; code = main(sys.argv[1:]); "
         "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); "
         "sys.exit(code)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_pmsync(*args: str) -> tuple[float, float]:
    """Run `pmsync ARGS` in a fresh process: (wall seconds, peak MiB); exit on failure."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True)
    wall = time.perf_counter() - start
    lines = result.stderr.strip().splitlines()
    if result.returncode != 0:
        sys.exit(f"pmsync {' '.join(args)} failed: {lines[-2] if len(lines) > 1 else result.stderr}")
    return wall, int(lines[-1]) / 1024
