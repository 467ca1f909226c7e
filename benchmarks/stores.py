"""Benchmark (issue 17): the store's work in a sync, and `pmsync check`, at 100k items on
SQLite and on PostgreSQL, in one run so the ratio compares like with like.

    eval "$(.ci/pg-server start /tmp/pmsync-pg)"     # or any server: PMSYNC_TEST_PG_URL
    python benchmarks/stores.py [--size 100000]

"write" is what a full sync does to the store (check.py's generator: 100k items, as many
links, sprints, releases and changelog entries, one transaction with the revisions);
"check" runs `pmsync check` in a fresh process (load every current record, every rule).
The bound from the issue: PostgreSQL within 2x of SQLite on each.
"""

from __future__ import annotations

import argparse
import os
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


def measure(size: int, location: str | Path, password: str | None, store_lines: str,
            folder: Path) -> tuple[float, float]:
    store = Store(location, password)
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
    return write, float(result.stderr.strip().splitlines()[-1].split()[0])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=100_000)
    args = parser.parse_args()
    url, password = os.environ.get("PMSYNC_TEST_PG_URL"), os.environ.get("PMSYNC_TEST_PG_PASSWORD")
    if not url:
        sys.exit("set PMSYNC_TEST_PG_URL (eval \"$(.ci/pg-server start /tmp/pmsync-pg)\")")
    import psycopg

    lite_dir = Path(tempfile.mkdtemp(prefix="pmsync-stores-lite-"))
    lite = measure(args.size, lite_dir / "state" / "pmsync.sqlite3", None, "", lite_dir)
    name = f"pmsync_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, password=password, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    db = url.rsplit("/", 1)[0] + "/" + name
    pg_dir = Path(tempfile.mkdtemp(prefix="pmsync-stores-pg-"))
    try:
        pg = measure(args.size, db, password,
                     f'store = "{db}"\nstore_password_env = "PMSYNC_TEST_PG_PASSWORD"\n', pg_dir)
    finally:
        with psycopg.connect(url, password=password, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    ok = True
    for what, a, b in (("write (sync's store work)", lite[0], pg[0]), ("check", lite[1], pg[1])):
        print(f"{what:26} {args.size} items: SQLite {a:6.2f} s, PostgreSQL {b:6.2f} s, "
              f"x{b / a:.2f} (bound 2)")
        ok &= b / a <= 2
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
