"""Benchmark (issues 6, 14): `pmsync check` over generated portfolios of 25k .. 1M items.

    python benchmarks/check.py [--sizes 25000 50000 100000] [--stores DIR]
    python benchmarks/check.py --sizes 100000 300000 1000000 --stores /tmp/pmsync-stores

For each size it writes a store with that many items and as many blocking
links (10 product lines, epics, sprints, due dates, estimates, changelogs,
cycles and late blockers among them), then runs `pmsync check` in a fresh
process and reports its wall and CPU time, for the whole process (startup,
loading the store, every rule, printing, exit: what a person waits for) and inside
``main``, its peak memory and the load average (the machine is shared: compare
CPU). Bounds, on the whole process: <= 5 s and <= 500 MB at 100k, and at most ~2.2x
per doubling; with 1M among the sizes, issue 14's <= 30 s and <= 2 GB at 1M.
``--stores DIR`` keeps each generated store in DIR/<size> and reuses it on the
next run (a 1M store takes minutes to write); benchmarks/report.py shares them.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pmsync.model import Change, Link, Release, Sprint, WorkItem
from pmsync.store import Store

LINES = [f"Line {n}" for n in range(10)]
# Prints wall seconds, peak RSS (KiB) and CPU seconds: on a shared machine the wall time
# also counts waiting for a core, the CPU time what the work itself costs.
CHILD = ("import resource, sys, time; from pmsync.cli import main; t = time.perf_counter(); "
         "c = time.process_time(); code = main(sys.argv[1:]); wall = time.perf_counter() - t; "
         "cpu = time.process_time() - c; "
         "print(f'{wall} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss} {cpu}', "
         "file=sys.stderr); sys.exit(code)")


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
        mark_synced(store, run)
    store.finish_run(run, "done")


def mark_synced(store: Store, run: int) -> None:
    """The generated store stands for a synced one: `check` refuses a store nothing was
    ever synced into (a mistyped state_dir)."""
    store.set_cursor("b", {"updated": "2000-01-01T00:00:00+00:00"}, run)


def prepare(size: int, stores: Path | None = None) -> Path:
    """The folder of a generated portfolio of ``size`` items (its config, its store):
    a fresh one, or the one kept in ``stores`` by an earlier run."""
    folder = (Path(tempfile.mkdtemp(prefix=f"pmsync-check-{size}-")) if stores is None
              else stores / str(size))
    config = folder / "pmsync.toml"
    if config.exists():  # written last: the store beside it is complete
        kept = Store(folder / "state" / "pmsync.sqlite3")
        if kept.cursor("b") is None:  # kept from before check needed a synced store
            run = kept.begin_run("benchmark")
            with kept.transaction():
                mark_synced(kept, run)
            kept.finish_run(run, "done")
        kept.close()
        return folder
    path = folder / "state" / "pmsync.sqlite3"
    for leftover in path.parent.glob("pmsync.sqlite3*"):  # a generation cut short
        leftover.unlink()
    store = Store(path)
    generate(store, size)
    store.close()
    selectors = "\n".join(f'[[product_lines]]\nname = "{line}"\n'
                          f'select = [{{ tracker = "b", board = "{n}" }}]\n'
                          for n, line in enumerate(LINES))
    config.write_text(f'[trackers.b]\nkind = "jira"\nurl = "https://b.example"\n'
                      f'token_env = "UNUSED"\nprojects = ["B"]\n\n{selectors}')
    return folder


@dataclass(frozen=True)
class Timing:
    """One ``pmsync`` process: the child's own figures for ``main`` (startup and exit
    aside) and the whole process as the parent saw it (what a person waits for:
    interpreter start, imports, the command and the interpreter's exit)."""

    wall: float  # seconds inside main
    cpu: float  # CPU seconds inside main
    process_wall: float
    process_cpu: float  # user + system of the whole child, exit included
    peak_mib: float
    stdout: str
    load: tuple[float, float, float]  # the machine's load average when it ended


def run_process(folder: Path, *args: str) -> Timing:
    """``pmsync --config FOLDER/pmsync.toml ARGS`` in a fresh process, timed."""
    # The tracker's token is never used (no page target, no sync), but a report step
    # makes the connector to ask whether it publishes pages: that reads the variable.
    env = {**os.environ, "UNUSED": "not-a-token"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", CHILD, "--config",
                             str(folder / "pmsync.toml"), *args],
                            capture_output=True, text=True, env=env)
    process_wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in (0, 1):
        sys.exit(result.stderr)
    wall, rss, cpu = result.stderr.strip().splitlines()[-1].split()
    return Timing(float(wall), float(cpu), process_wall,
                  after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
                  int(rss) / 1024, result.stdout, os.getloadavg())


def run_pmsync(folder: Path, *args: str) -> tuple[float, float, str, float]:
    """As run_process: wall seconds inside main, peak RSS in MiB, stdout, CPU seconds."""
    timing = run_process(folder, *args)
    return timing.wall, timing.peak_mib, timing.stdout, timing.cpu


def measure(size: int, stores: Path | None = None) -> tuple[Timing, int]:
    folder = prepare(size, stores)
    timing = run_process(folder, "check", "--format", "json")
    return timing, timing.stdout.count('"fingerprint"')


def bounds_met(rows: list[tuple[int, float, float]], what: str) -> bool:
    """Per step in size, time grows at most ~linearly (x1.1 per x1 of size); at 100k
    <= 5 s and 500 MB; at 1M (issue 14) <= 30 s and 2 GB."""
    ok = True
    for (small, t1, _), (big, t2, _) in zip(rows, rows[1:], strict=False):
        ratio, bound = t2 / t1, 1.1 * big / small
        print(f"{small} -> {big}: {what} time x{ratio:.2f}  (bound ~{bound:.1f})")
        ok &= ratio <= bound
    for size, wall, mem in rows:
        limits = {100_000: (5, 500), 1_000_000: (30, 2000 * 1000**2 / 1024**2)}.get(size)
        if limits:
            print(f"at {size}: {wall:.2f} s (bound {limits[0]} s), {mem:.0f} MiB "
                  f"(bound {limits[1]:.0f} MiB)")
            ok &= wall <= limits[0] and mem <= limits[1]
    print("PASS" if ok else "FAIL")
    return ok


def size_arguments() -> argparse.Namespace:
    """--sizes and --stores, shared with report.py (it measures over the same stores)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[25_000, 50_000, 100_000])
    parser.add_argument("--stores", type=Path, help="keep and reuse the generated stores here")
    return parser.parse_args()


def main() -> int:
    args = size_arguments()
    rows = []
    for size in args.sizes:
        start = time.perf_counter()
        timing, findings = measure(size, args.stores)
        # The bounds hold the whole process (startup and exit included): what a person waits.
        rows.append((size, timing.process_wall, timing.peak_mib))
        print(f"{size:>8} items + {size} links: check {timing.process_wall:6.2f} s "
              f"(CPU {timing.process_cpu:.2f} s; inside main {timing.wall:.2f} s, CPU "
              f"{timing.cpu:.2f} s), peak {timing.peak_mib:6.1f} MiB, {findings} findings, "
              f"load average {' '.join(f'{v:.2f}' for v in timing.load)} "
              f"(setup {time.perf_counter() - start - timing.process_wall:.1f} s)", flush=True)
    return 0 if bounds_met(rows, "check") else 1


if __name__ == "__main__":
    sys.exit(main())
