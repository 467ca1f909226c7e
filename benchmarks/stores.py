"""Benchmark (issue 17): the store's work in a sync, and `pmsync check`, at 100k items on
SQLite and on PostgreSQL, in one run so the ratio compares like with like.

    eval "$(.ci/pg-server start /tmp/pmsync-pg)"     # or any server: PMSYNC_TEST_PG_URL
    python benchmarks/stores.py [--size 100000] [--rounds 3]

"write" is what a full sync does to the store (check.py's generator: 100k items, as many
links, sprints, releases and changelog entries, one transaction with the revisions);
"check" runs `pmsync check` in a fresh process (load every current record, every rule).
The bound from the issue: PostgreSQL within 2x of SQLite on each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from check import CHILD, LINES, generate  # noqa: E402

from pmsync.store import Store  # noqa: E402


def config_text(store_lines: str) -> str:
    selectors = "\n".join(f'[[product_lines]]\nname = "{line}"\n'
                          f'select = [{{ tracker = "b", board = "{n}" }}]\n'
                          for n, line in enumerate(LINES))
    return (f'{store_lines}[trackers.b]\nkind = "jira"\nurl = "https://b.example"\n'
            f'token_env = "UNUSED"\nprojects = ["B"]\n\n{selectors}')


class TimedConnection:
    """The store's connection, adding up the seconds spent in its calls (the rest of a
    write is Python building rows, the same on both stores)."""

    def __init__(self, conn):
        self.conn, self.seconds = conn, 0.0

    def __getattr__(self, name):
        return getattr(self.conn, name)

    def _timed(self, call, *args):
        start = time.perf_counter()
        try:
            return call(*args)
        finally:
            self.seconds += time.perf_counter() - start

    def execute(self, *args):
        return self._timed(self.conn.execute, *args)

    def executemany(self, *args):
        return self._timed(self.conn.executemany, *args)


def measure(size: int, location: str | Path, password: str | None, store_lines: str,
            folder: Path) -> tuple[float, float, float]:
    """(write seconds, of which in the database's calls, check seconds)"""
    store = Store(location, password)
    timed = store.conn = TimedConnection(store.conn)
    start = time.perf_counter()
    generate(store, size)
    write = time.perf_counter() - start
    store.close()
    config = folder / "pmsync.toml"
    config.write_text(config_text(store_lines))
    result = subprocess.run([sys.executable, "-c", CHILD, "--config", str(config), "check",
                             "--format", "json"], capture_output=True, text=True)
    if result.returncode not in (0, 1):
        sys.exit(result.stderr)
    return write, timed.seconds, float(result.stderr.strip().splitlines()[-1].split()[0])


def pg_round(size: int, url: str, password: str | None) -> tuple[float, float, float]:
    """One measure on a fresh database of its own (dropped afterwards)."""
    import psycopg

    name = f"pmsync_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, password=password, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    db = url.rsplit("/", 1)[0] + "/" + name
    try:
        return measure(size, db, password,
                       f'store = "{db}"\nstore_password_env = "PMSYNC_TEST_PG_PASSWORD"\n',
                       Path(tempfile.mkdtemp(prefix="pmsync-stores-pg-")))
    finally:
        with psycopg.connect(url, password=password, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def lite_round(size: int) -> tuple[float, float, float]:
    folder = Path(tempfile.mkdtemp(prefix="pmsync-stores-lite-"))
    return measure(size, folder / "state" / "pmsync.sqlite3", None, "", folder)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3,
                        help="SQLite and PostgreSQL in turn, this many times each (medians "
                             "compared: one round on a shared machine is mostly noise)")
    args = parser.parse_args()
    url, password = os.environ.get("PMSYNC_TEST_PG_URL"), os.environ.get("PMSYNC_TEST_PG_PASSWORD")
    if not url:
        sys.exit("set PMSYNC_TEST_PG_URL (eval \"$(.ci/pg-server start /tmp/pmsync-pg)\")")
    lite: list[tuple[float, float, float]] = []
    pg: list[tuple[float, float, float]] = []
    for n in range(args.rounds):
        lite.append(lite_round(args.size))
        pg.append(pg_round(args.size, url, password))
        (lw, ld, lc), (pw, pd, pc) = lite[-1], pg[-1]
        print(f"round {n + 1}: write SQLite {lw:.2f} s ({ld:.2f} in the database), PostgreSQL "
              f"{pw:.2f} s ({pd:.2f}); check SQLite {lc:.2f} s, PostgreSQL {pc:.2f} s", flush=True)
    ok = True
    for i, what in ((0, "write (sync's store work)"), (1, "  of which database calls"),
                    (2, "check")):
        a, b = (statistics.median(r[i] for r in rounds) for rounds in (lite, pg))
        print(f"{what:26} {args.size} items: SQLite {a:6.2f} s, PostgreSQL {b:6.2f} s, "
              f"x{b / a:.2f} (medians of {args.rounds}{'' if i == 1 else '; bound 2'})")
        ok &= b / a <= 2 or i == 1
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
