"""Benchmark (issue 4): Jira full and incremental sync against the sandbox.

    python benchmarks/jira_sync.py [--issues 10000] [--latency 0.005]

Runs the sandbox as its own process (10,000 issues across 3 projects, 5 ms per
answer), then `pmsync sync` twice in child processes: a full sync, then an
incremental one after 1 % of the issues changed. Prints calls by kind, wall
time and peak memory of each sync, and checks the issue's two bounds:
- full: search pages <= 1.05 x ceil(issues / page size), plus the fixed calls;
- incremental: calls <= 3 % of the full sync's calls.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import requests
from _common import free_port, run_pmsync

PAGE_SIZE = 100


def kind_of(path: str) -> str:
    if "/search/jql" in path:
        return "search page"
    if "/changelog" in path:
        return "changelog page"
    if "serverInfo" in path or path.endswith("/myself") or path.endswith("/field"):
        return "fixed: site"
    if "/agile/" in path:
        return "fixed: boards/sprints"
    if "/versions" in path:
        return "fixed: versions"
    return "other"


def calls_since(url: str, mark: int) -> tuple[Counter, int]:
    log = requests.get(f"{url}/_sandbox/requests").json()
    return Counter(kind_of(path) for _, path in log[mark:]), len(log)



def sync(config: Path) -> tuple[float, float]:
    return run_pmsync("--config", str(config), "sync")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.005)
    args = parser.parse_args()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "pmsync.cli", "sandbox", "--port", str(port),
         "--size", str(args.issues), "--latency", str(args.latency)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        sandbox.stdout.readline()  # the banner: it is listening
        folder = Path(tempfile.mkdtemp(prefix="pmsync-bench-"))
        config = folder / "pmsync.toml"
        config.write_text(f"""
[trackers.jira]
kind = "jira"
url = "{url}"
email = "demo@example.com"
token_env = "PMSYNC_BENCH_TOKEN"
projects = ["PAY", "MOB", "WEB"]
page_size = {PAGE_SIZE}
""")
        os.environ["PMSYNC_BENCH_TOKEN"] = "sandbox-token"
        mark = len(requests.get(f"{url}/_sandbox/requests").json())
        stats_issues = requests.get(f"{url}/_sandbox/stats").json()["issues"]

        full_wall, full_mem = sync(config)
        full, mark = calls_since(url, mark)
        changed = args.issues // 100
        requests.post(f"{url}/_sandbox/touch", json={"count": changed, "seed": 11})
        mark = len(requests.get(f"{url}/_sandbox/requests").json())
        inc_wall, inc_mem = sync(config)
        incremental, _ = calls_since(url, mark)
    finally:
        sandbox.terminate()
        sandbox.wait()

    min_pages = math.ceil(stats_issues / PAGE_SIZE)  # generated bulk + the planted cases
    full_total, inc_total = sum(full.values()), sum(incremental.values())
    print(f"issues {stats_issues}, latency {args.latency * 1000:g} ms, page size {PAGE_SIZE}")
    print(f"{'':24}{'full':>10}{'incremental':>14}")
    for kind in sorted(set(full) | set(incremental)):
        print(f"{kind:24}{full[kind]:>10}{incremental[kind]:>14}")
    print(f"{'calls':24}{full_total:>10}{inc_total:>14}")
    print(f"{'wall time (s)':24}{full_wall:>10.2f}{inc_wall:>14.2f}")
    print(f"{'peak memory (MiB)':24}{full_mem:>10.1f}{inc_mem:>14.1f}")
    page_ratio = full["search page"] / min_pages
    inc_ratio = inc_total / full_total
    print(f"search pages / minimum ({min_pages}) = {page_ratio:.3f}  (bound 1.05)")
    print(f"incremental / full calls = {inc_ratio:.4f}  (bound 0.03, {changed} issues changed)")
    ok = page_ratio <= 1.05 and inc_ratio <= 0.03
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
