"""Benchmark (issues 5 and 11): ClickUp full and incremental sync under its rate limit.

    python benchmarks/clickup_sync.py [--tasks 20000] [--lists 10] [--limit 100] [--window 60]

Runs the sandbox as its own process with 20,000 ClickUp tasks in 10 lists and
ClickUp's per-token limit, 100 requests per 60 s, with its whole-second
X-RateLimit-Reset (``--limit 70 --window 5`` shortens it for a quick run), so the
full sync spans at least three windows. pmsync runs with the default config
(no retry_attempts raised). Then `pmsync sync` twice in child processes: full,
and incremental after 1 % of the tasks changed. Checks the issues' bounds:
- both syncs exit 0;
- full: requests <= ceil(tasks per list / 100) per list + the hierarchy calls;
  at most 2 answers 429; wall time within 10 % of the rate-limit bound
  (requests / limit x window), and never below the floor (the start of the
  last window the requests need);
- incremental: requests <= 5 % of the full sync's.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import requests
from _common import free_port, run_pmsync


def kind_of(path: str) -> str:
    if path.startswith("/api/v2/list/") and path.endswith("/task"):
        return "list task pages"
    if path.endswith("/task"):
        return "team task search"
    return "hierarchy"


def requests_since(url: str, mark: int) -> tuple[Counter, int]:
    log = requests.get(f"{url}/_sandbox/requests").json()
    return Counter(kind_of(p) for _, p in log[mark:] if p.startswith("/api/")), len(log)


def sync(config: Path) -> tuple[float, float]:
    return run_pmsync("--config", str(config), "sync")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=20_000)
    parser.add_argument("--lists", type=int, default=10)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--window", type=float, default=60.0)
    args = parser.parse_args()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "pmsync.cli", "sandbox", "--port", str(port), "--size", "12",
         "--clickup-size", str(args.tasks), "--clickup-lists", str(args.lists),
         "--clickup-rate", f"{args.limit}/{args.window}"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        sandbox.stdout.readline()
        folder = Path(tempfile.mkdtemp(prefix="pmsync-bench-"))
        config = folder / "pmsync.toml"
        config.write_text(f"""
[trackers.clickup]
kind = "clickup"
url = "{url}"
token_env = "PMSYNC_BENCH_CLICKUP_TOKEN"
team_id = "9012345"
requests_per_minute = {args.limit}
""")
        os.environ["PMSYNC_BENCH_CLICKUP_TOKEN"] = "pk_81234567_SANDBOXTOKEN0123456789ABCDEFGHIJ"
        mark = len(requests.get(f"{url}/_sandbox/requests").json())
        time.sleep(args.window)  # start on a fresh rate-limit window
        full_wall, full_mem = sync(config)
        full, mark = requests_since(url, mark)
        throttled_full = requests.get(f"{url}/_sandbox/clickup/stats").json()["throttled"]
        changed = args.tasks // 100
        requests.post(f"{url}/_sandbox/touch", json={"clickup_count": changed, "seed": 5})
        time.sleep(args.window)
        inc_wall, inc_mem = sync(config)
        incremental, _ = requests_since(url, mark)
        stats = requests.get(f"{url}/_sandbox/clickup/stats").json()
    finally:
        sandbox.terminate()
        sandbox.wait()

    per_list = stats["tasks_per_list"]
    minimum_pages = sum(max(1, math.ceil(n / 100)) for n in per_list.values())
    full_total, inc_total = sum(full.values()), sum(incremental.values())
    bound = full_total / args.limit * args.window
    floor = (math.ceil(full_total / args.limit) - 1) * args.window
    print(f"tasks {args.tasks} in {len(per_list)} lists; limit {args.limit} requests per "
          f"{args.window:g} s window")
    print(f"{'':22}{'full':>10}{'incremental':>14}")
    for kind in sorted(set(full) | set(incremental)):
        print(f"{kind:22}{full[kind]:>10}{incremental[kind]:>14}")
    print(f"{'requests':22}{full_total:>10}{inc_total:>14}")
    print(f"{'wall time (s)':22}{full_wall:>10.2f}{inc_wall:>14.2f}")
    print(f"{'peak memory (MiB)':22}{full_mem:>10.1f}{inc_mem:>14.1f}")
    print(f"429 answers: {throttled_full} in the full sync, "
          f"{stats['throttled'] - throttled_full} in the incremental")
    print(f"list pages {full['list task pages']} vs ceil(tasks/100) per list = {minimum_pages}")
    print(f"rate-limit bound {bound:.2f} s; full wall / bound = {full_wall / bound:.3f} "
          f"(spans {math.ceil(full_total / args.limit)} windows; floor {floor:.0f} s, "
          f"wall - floor = {full_wall - floor:.2f} s)")
    print(f"incremental / full requests = {inc_total / full_total:.4f} (bound 0.05, "
          f"{changed} tasks changed)")
    ok = (full["list task pages"] <= minimum_pages and stats["throttled"] <= 2
          and floor <= full_wall <= 1.10 * bound and inc_total <= 0.05 * full_total
          and math.ceil(full_total / args.limit) >= 3)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
