"""Benchmark (issue 16): schedule propagation over 25k, 50k, 100k items and as many links.

    python benchmarks/knock_on.py [--sizes 25000 50000 100000] [--repeat 3]

Each portfolio has 10 product lines with sprints, epics with due dates and
releases, stories in sprints or with start/due dates (a fifth of them overdue),
and as many random "blocks" links as items: long chains, and cycles among them
(``--acyclic``: links only forward, no cycle to break).
It times `propagate` (reading every item's plan, building the graph, the Kahn
pass, breaking cycles) and the knock-on grouping the rule does, best of
``--repeat``, in this process, in CPU seconds (wall time printed beside). Bounds:
propagation <= 1 s at 100k, and at most 2.5x per doubling: linear in items + links
(a quadratic step would show 4x), with room for CPython's cache effects on big dicts.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta

from pmsync.model import Link, ProductLine, Release, Selector, Sprint, WorkItem
from pmsync.portfolio import Portfolio
from pmsync.schedule import knock_ons, propagate

LINES = [f"Line {n}" for n in range(10)]


def generate(size: int, seed: int = 1, acyclic: bool = False) -> Portfolio:
    rng = random.Random(seed)
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    today = now.date()
    sprints = []
    for line_no, line in enumerate(LINES):
        for n in range(8):
            start = now + timedelta(days=14 * (n - 5))
            state = "closed" if n < 5 else "active" if n == 5 else "future"
            sprints.append(Sprint(f"b:sprint:{line_no}-{n}", f"{line} S{n}", state, None,
                                  start, start + timedelta(days=14), facets=(("board", line),)))
    items = []
    per_line = size // len(LINES)
    for line_no, line in enumerate(LINES):
        epics = max(1, per_line // 20)
        for e in range(epics):
            items.append(WorkItem(f"b:L{line_no}-E{e}", "epic", f"Epic {e}", "In Progress",
                                  "doing", facets=(("board", line),),
                                  start=today - timedelta(days=30),
                                  due=today + timedelta(days=rng.randint(10, 200))))
        for s in range(per_line - epics):
            sprint = rng.randint(5, 9)  # active, future, or dated by start/due (8, 9)
            start = today + timedelta(days=rng.randint(-30, 120))
            items.append(WorkItem(
                f"b:L{line_no}-S{s}", "story", f"Story {s}", "To Do", "todo",
                facets=(("board", line),),
                parent_key=f"b:L{line_no}-E{s % epics}",
                sprint_keys=(f"b:sprint:{line_no}-{sprint}",) if sprint < 8 else (),
                start=start if sprint >= 8 else None,
                due=start + timedelta(days=rng.randint(1, 10)) if sprint >= 8 else None,
                release_keys=(f"b:version:{line_no}",)))
    keys = [i.key for i in items if i.kind != "epic"]
    pairs = [(rng.randrange(len(keys)), rng.randrange(len(keys))) for _ in range(size)]
    if acyclic:  # every link from an earlier story to a later one: no cycles at all
        pairs = [(min(a, b), max(a, b)) for a, b in pairs]
    links = [Link(keys[a], keys[b]) for a, b in pairs]
    releases = [Release(f"b:version:{n}", f"{line} 1.0", today + timedelta(days=60))
                for n, line in enumerate(LINES)]
    lines = [ProductLine(line, (Selector("b", (("board", line),)),)) for line in LINES]
    return Portfolio.build(items, sprints, links, releases, lines, today=today)


def best_of(repeat: int, work) -> tuple[float, float, object]:
    """(CPU seconds, wall seconds, result) of the fastest run. The bounds read CPU time:
    on a shared machine the wall clock also counts the time other processes had the core."""
    best, result = (float("inf"), float("inf")), None
    for _ in range(repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        result = work()
        best = min(best, (time.process_time() - cpu, time.perf_counter() - wall))
    return best[0], best[1], result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[25_000, 50_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--acyclic", action="store_true",
                        help="links only from earlier to later stories (no cycle to break)")
    args = parser.parse_args()
    rows = []
    for size in args.sizes:
        # A fresh portfolio per run: its plan cache starts empty, as in a real check.
        portfolios = [generate(size, acyclic=args.acyclic) for _ in range(args.repeat)]
        cpu, wall, schedule = best_of(args.repeat, lambda ps=portfolios: propagate(ps.pop()))
        grouping, _, found = best_of(args.repeat, lambda s=schedule: knock_ons(s))
        dated = sum(1 for _ in schedule.late())
        rows.append((size, cpu))
        print(f"{size:>8} items + {size} links: propagate {cpu:6.3f} s CPU ({wall:6.3f} s wall, "
              f"{dated} items dated); knock-on grouping {grouping:6.3f} s CPU "
              f"({len(found)} epic/release x root)", flush=True)
    ok = True
    for (small, t1), (big, t2) in zip(rows, rows[1:], strict=False):
        ratio = t2 / t1
        print(f"{small} -> {big}: time x{ratio:.2f} for x{big / small:.1f} size (bound 2.5 "
              f"per doubling); {t1 / (2 * small) * 1e6:.2f} -> {t2 / (2 * big) * 1e6:.2f} us "
              "per item + link")
        ok &= ratio <= 2.5 * big / small / 2
    size, cpu = rows[-1]
    print(f"at {size}: {cpu:.3f} s CPU (bound 1 s)")
    ok &= cpu <= 1.0 or size < 100_000
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
