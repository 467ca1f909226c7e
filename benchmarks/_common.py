"""What the benchmarks share: a free loopback port, a measured `pmsync` child process, and
for the Singer taps a catalog with every stream selected and the line that says why one failed."""

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


def last_error(stderr: str) -> str:
    """The line of a failed child's stderr that names what went wrong (else its last line)."""
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if "Error" in ln or "Exception" in ln or "CRITICAL" in ln]
    return (errors or lines or ["no output"])[-1][-300:]


def select_every_stream(catalog: dict) -> list[str]:
    """Mark each stream of a tap's discovered catalog selected, as a user selecting all would;
    the stream names, sorted."""
    for stream in catalog["streams"]:
        for entry in stream.get("metadata", []):
            if entry.get("breadcrumb") == []:
                entry["metadata"]["selected"] = True
    return sorted(s["tap_stream_id"] for s in catalog["streams"])

