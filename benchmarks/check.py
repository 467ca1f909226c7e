"""Benchmark (issue 6): `pmsync check` over generated portfolios of 25k, 50k, 100k items.

    python benchmarks/check.py [--sizes 25000 50000 100000]

For each size it writes a store with that many items and as many blocking
links (10 product lines, epics, sprints, due dates, estimates, changelogs,
cycles and late blockers among them), then runs `pmsync check` in a fresh
process and reports its wall time (loading the store + every rule) and peak
memory. Bounds: <= 5 s and <= 500 MB at 100k, and at most ~2.2x per doubling.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pmsync.model import Change, Link, Release, Sprint, WorkItem
from pmsync.store import Store

LINES = [f"Line {n}" for n in range(10)]
CHILD = ("import resource, sys, time; from pmsync.cli import main; t = time.perf_counter(); "
         "code = main(sys.argv[1:]); wall = time.perf_counter() - t; "
         "print(f'{wall} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}', file=sys.stderr);"
         " sys.exit(code)")


def generate(store: Store, size: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    run = store.begin_run("benchmark")
    sprints, items, changes = [], [], []
    for line_no, line in enumerate(LINES):
        for n in range(8):
            start = now + timedelta(days=14 * (n - 5))
            state = "closed" if n < 5 else "active" if n == 5 else "future"
            sprints.append(Sprint(f"b:sprint:{line_no}-{n}", f"{line} S{n}", state,
                                  start=start, end=start + timedelta(days=14),
                                  facets=(("board", str(line_no)),)))
    per_line = size // len(LINES)
    for line_no, _line in enumerate(LINES):
        board = (("board", str(line_no)),)  # its line's selector: lines are decided on load
        epics = max(1, per_line // 20)
        for e in range(epics):
            items.append(WorkItem(
                f"b:L{line_no}-E{e}", "epic", f"Epic {e}", "In Progress", "doing", facets=board,
                due=(now + timedelta(days=rng.randint(-20, 200))).date(),
                created=now - timedelta(days=120), updated=now - timedelta(days=rng.randint(0, 30))))
        for s in range(per_line - epics):
            sprint = rng.randint(0, 8)
            state = "done" if sprint < 5 else rng.choice(["todo", "doing", "done"])
            key = f"b:L{line_no}-S{s}"
            items.append(WorkItem(
                key, "story", f"Story {s}", state.title(), state, facets=board,
                parent_key=f"b:L{line_no}-E{s % epics}",
                sprint_keys=(f"b:sprint:{line_no}-{sprint}",) if sprint < 8 else (),
                estimate=float(rng.choice([1, 2, 3, 5, 8])),
                created=now - timedelta(days=rng.randint(10, 120)),
                updated=now - timedelta(days=rng.randint(0, 60)),
                done_at=now - timedelta(days=rng.randint(1, 70)) if state == "done" else None,
                release_keys=(f"b:version:{line_no}",)))
            if s % 5 == 0:
                changes.append(Change(key, "sprint", now - timedelta(days=rng.randint(1, 60)),
                                      None, str(sprint), f"{s}"))
    keys = [i.key for i in items if i.kind != "epic"]
    links = {Link(rng.choice(keys), rng.choice(keys)) for _ in range(size)}
    releases = [Release(f"b:version:{n}", f"{line} 1.0", (now + timedelta(days=30)).date())
                for n, line in enumerate(LINES)]
    with store.transaction():
        store.upsert("b", [*sprints, *items, *releases], run)
        store.upsert("b", links, run)
        store.add_changes(changes)
    store.finish_run(run, "done")


def measure(size: int) -> tuple[float, float, int]:
    folder = Path(tempfile.mkdtemp(prefix=f"pmsync-check-{size}-"))
    store = Store(folder / "state" / "pmsync.sqlite3")
    generate(store, size)
    store.close()
    config = folder / "pmsync.toml"
    selectors = "\n".join(f'[[product_lines]]\nname = "{line}"\n'
                          f'select = [{{ tracker = "b", board = "{n}" }}]\n'
                          for n, line in enumerate(LINES))
    config.write_text(f'[trackers.b]\nkind = "jira"\nurl = "https://b.example"\n'
                      f'token_env = "UNUSED"\nprojects = ["B"]\n\n{selectors}')
    result = subprocess.run([sys.executable, "-c", CHILD, "--config", str(config), "check",
                             "--format", "json"], capture_output=True, text=True)
    if result.returncode not in (0, 1):
        sys.exit(result.stderr)
    wall, rss = result.stderr.strip().splitlines()[-1].split()
    findings = result.stdout.count('"fingerprint"')
    return float(wall), int(rss) / 1024, findings


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[25_000, 50_000, 100_000])
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        start = time.perf_counter()
        wall, mem, findings = measure(size)
        rows.append((size, wall, mem, findings))
        print(f"{size:>8} items + {size} links: check {wall:6.2f} s, peak {mem:6.1f} MiB, "
              f"{findings} findings (setup {time.perf_counter() - start - wall:.1f} s)",
              flush=True)
    ok = True
    for (small, t1, _, _), (big, t2, _, _) in zip(rows, rows[1:], strict=False):
        ratio = t2 / t1
        print(f"{small} -> {big}: time x{ratio:.2f}  (bound ~2.2)")
        ok &= ratio <= 2.2
    size, wall, mem, _ = rows[-1]
    print(f"at {size}: {wall:.2f} s (bound 5 s), {mem:.0f} MiB (bound 500 MB)")
    ok &= wall <= 5 and mem <= 500
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
