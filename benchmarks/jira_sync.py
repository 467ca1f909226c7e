"""Benchmark (issue 4): Jira full and incremental sync against the sandbox.

    python benchmarks/jira_sync.py [--issues 10000] [--latency 0.005] [--projects 3]

Runs the sandbox as its own process (10,000 issues across 3 projects, 5 ms per
answer), then `pmsync sync` twice in child processes: a full sync, then an
incremental one after 1 % of the issues changed. Prints calls by kind, wall
time, CPU and peak memory of each sync, and checks the issue's two bounds:
- full: search pages (the key listing included) <= 1.05 x the raw floor's pages;
- incremental: calls <= 3 % of the full sync's calls.

Issue 14's floor: the same search pages (the synced projects, the same fields and
changelog), fetched one after the other and discarded by a plain `requests` loop in
its own process. `wall / floor` is pmsync's full sync against it (targets: <= 1.10
with one project, <= 0.5 with three, whose searches pmsync runs side by side).
``--rounds N`` runs floor and full sync N times, interleaved (floor, sync, floor, ...),
each sync into a fresh store, and prints medians with min and max: the machine is
shared, so only ratios within one run mean anything. One project of 10,000 issues:
``--projects 1 --issues 30000`` (the sandbox spreads issues over three projects).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import requests
from _common import free_port, run_measured

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



# The raw floor: one search over the synced projects, page after page, bodies discarded.
FLOOR = """
import resource, sys, time, requests
url, jql, fields = sys.argv[1:4]
session = requests.Session()
session.auth = ("demo@example.com", "sandbox-token")
params = {"jql": jql, "maxResults": int(sys.argv[4]), "fields": fields, "expand": "changelog"}
start, token, pages = time.perf_counter(), None, 0
while True:
    answer = session.get(url + "/rest/api/3/search/jql",
                         params={**params, **({"nextPageToken": token} if token else {})})
    answer.raise_for_status()
    body, pages = answer.json(), pages + 1
    token = body.get("nextPageToken")
    if body.get("isLast", True) or not token:
        break
u = resource.getrusage(resource.RUSAGE_SELF)
print(time.perf_counter() - start, pages, u.ru_utime + u.ru_stime, u.ru_maxrss / 1024)
"""


def raw_floor(url: str, projects: list[str]) -> tuple[float, int]:
    """(seconds, pages) of the floor walk, process start included as for pmsync."""
    from pmsync.sandbox.site import DEFAULT_FIELD_IDS
    from pmsync_jira.mapping import SYSTEM_FIELDS

    jql = "project in ({}) ORDER BY updated ASC, key ASC".format(
        ", ".join(f'"{p}"' for p in projects))
    fields = ",".join([*SYSTEM_FIELDS, *DEFAULT_FIELD_IDS.values()])
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", FLOOR, url, jql, fields, str(PAGE_SIZE)],
                         capture_output=True, text=True, check=True).stdout.split()
    return time.perf_counter() - start, int(out[1])


def fresh_config(url: str, projects: list[str]) -> Path:
    """A config in a new folder (so a new store) for the sandbox at ``url``."""
    folder = Path(tempfile.mkdtemp(prefix="pmsync-bench-"))
    config = folder / "pmsync.toml"
    config.write_text(f"""
[trackers.jira]
kind = "jira"
url = "{url}"
email = "demo@example.com"
token_env = "PMSYNC_BENCH_TOKEN"
projects = {json.dumps(projects)}
page_size = {PAGE_SIZE}
""")
    return config


def sync(config: Path) -> tuple[float, float, float]:
    return run_measured("--config", str(config), "sync")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.005)
    parser.add_argument("--projects", type=int, choices=(1, 2, 3), default=3,
                        help="how many of the sandbox's projects (PAY, MOB, WEB) to sync")
    parser.add_argument("--rounds", type=int, default=1,
                        help="interleaved rounds of floor and full sync (medians, min, max)")
    args = parser.parse_args()
    projects = ["PAY", "MOB", "WEB"][:args.projects]

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "pmsync.cli", "sandbox", "--port", str(port),
         "--size", str(args.issues), "--latency", str(args.latency)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        sandbox.stdout.readline()  # the banner: it is listening
        os.environ["PMSYNC_BENCH_TOKEN"] = "sandbox-token"
        stats_issues = requests.get(f"{url}/_sandbox/stats").json()["issues"]
        floors, walls, cpus, mems = [], [], [], []
        for _ in range(max(args.rounds, 1)):
            floor_wall, floor_pages = raw_floor(url, projects)
            floors.append(floor_wall)
            config = fresh_config(url, projects)  # a new store: each round a full sync
            mark = len(requests.get(f"{url}/_sandbox/requests").json())
            full_wall, full_cpu, full_mem = sync(config)
            full, mark = calls_since(url, mark)
            walls.append(full_wall)
            cpus.append(full_cpu)
            mems.append(full_mem)
        changed = args.issues // 100
        requests.post(f"{url}/_sandbox/touch", json={"count": changed, "seed": 11})
        mark = len(requests.get(f"{url}/_sandbox/requests").json())
        inc_wall, inc_cpu, inc_mem = sync(config)
        incremental, _ = calls_since(url, mark)
    finally:
        sandbox.terminate()
        sandbox.wait()

    min_pages = floor_pages  # the synced projects' issues, a page per hundred
    full_total, inc_total = sum(full.values()), sum(incremental.values())
    print(f"issues {stats_issues}, latency {args.latency * 1000:g} ms, page size {PAGE_SIZE}")
    print(f"{'':24}{'full':>10}{'incremental':>14}")
    for kind in sorted(set(full) | set(incremental)):
        print(f"{kind:24}{full[kind]:>10}{incremental[kind]:>14}")
    print(f"{'calls':24}{full_total:>10}{inc_total:>14}")
    print(f"{'wall time (s)':24}{full_wall:>10.2f}{inc_wall:>14.2f}")
    print(f"{'CPU (s)':24}{full_cpu:>10.2f}{inc_cpu:>14.2f}")
    print(f"{'peak memory (MiB)':24}{full_mem:>10.1f}{inc_mem:>14.1f}")
    print(f"raw floor: {floor_pages} pages fetched and discarded in {floor_wall:.2f} s; "
          f"full sync wall / floor = {full_wall / floor_wall:.2f} "
          f"(target {'1.10' if len(projects) == 1 else '0.5 at 3 projects'}); "
          f"requests {full_total}")
    if len(walls) > 1:
        ratios = [w / f for w, f in zip(walls, floors, strict=True)]
        for name, values in (("floor wall (s)", floors), ("full sync wall (s)", walls),
                             ("wall / floor", ratios), ("full sync CPU (s)", cpus),
                             ("peak memory (MiB)", mems)):
            print(f"{name:24} median {statistics.median(values):6.2f}  "
                  f"min {min(values):6.2f}  max {max(values):6.2f}  ({len(values)} rounds)")
    page_ratio = full["search page"] / min_pages
    inc_ratio = inc_total / full_total
    print(f"search pages / minimum ({min_pages}) = {page_ratio:.3f}  (bound 1.05)")
    print(f"incremental / full calls = {inc_ratio:.4f}  (bound 0.03, {changed} issues changed)")
    ok = page_ratio <= 1.05 and inc_ratio <= 0.03
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
