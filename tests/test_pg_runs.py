"""`pmsync runs` on a PostgreSQL store: a run is alive while its advisory lock is held.

Each run's connection holds a lock of its own for the life of the run; the server drops
it when the process dies (its connection closes), so a dead run is told apart on any
host, without looking at pids. SQLite keeps the same-host pid check (tests/test_runs.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import PG_PASSWORD_ENV, _write_config, pg_store_lines
from pmsync.cli import main
from pmsync.pgstore import RUN_LOCK_CLASS
from pmsync.sandbox import Sandbox

OTHER_HOST = "cron-b.example.internal"  # not this machine: its pids mean nothing here


@pytest.fixture
def slow_sandbox():
    with Sandbox.start(seed=7, size=60, latency=0.15, clickup_size=0) as sb:
        yield sb


@pytest.fixture
def pg_config(slow_sandbox, tmp_path, monkeypatch, pg_url):
    return _write_config(slow_sandbox, tmp_path, monkeypatch, store_lines=pg_store_lines(pg_url))


@pytest.fixture
def admin(pg_url):
    import psycopg

    conn = psycopg.connect(pg_url, password=os.environ.get(PG_PASSWORD_ENV), autocommit=True)
    yield conn
    conn.close()


def runs(path, capsys) -> list[dict]:
    capsys.readouterr()  # what earlier commands printed
    assert main(["--config", str(path), "runs", "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def run_lock_held(admin, run_id: int) -> bool:
    return admin.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                         "AND objsubid = 2 AND classid::bigint = %s AND objid::bigint = %s",
                         (RUN_LOCK_CLASS, run_id)).fetchone()[0] > 0


def test_a_runner_killed_on_another_host_shows_as_crashed(pg_config, admin, capsys):
    import psycopg

    runner = subprocess.Popen([sys.executable, "-m", "pmsync.cli", "--config", str(pg_config),
                               "run"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:  # until the runner has committed its row (the schema may not exist yet)
            try:
                row = admin.execute("SELECT id FROM runs WHERE outcome = 'running'").fetchone()
            except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn):
                row = None
            if row:
                break
            assert runner.poll() is None and time.monotonic() < deadline, runner.communicate()
            time.sleep(0.05)
        (run_id,) = row
        assert run_lock_held(admin, run_id)  # taken before the row became visible
        # As if the runner were on another host, with a pid that is alive here (ours):
        # neither may decide; only the lock does.
        admin.execute("UPDATE runs SET host = %s, pid = %s WHERE id = %s",
                      (OTHER_HOST, os.getpid(), run_id))
        (shown,) = runs(pg_config, capsys)
        assert (shown["id"], shown["outcome"], shown["host"]) == (run_id, "running", OTHER_HOST)
        os.kill(runner.pid, signal.SIGKILL)
        runner.communicate()
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.communicate()
    while run_lock_held(admin, run_id):  # the server drops the dead session, and its lock
        assert time.monotonic() < deadline
        time.sleep(0.05)
    (shown,) = runs(pg_config, capsys)
    assert (shown["outcome"], shown["finished_at"], shown["exit_code"]) == ("crashed", None, None)
    assert main(["--config", str(pg_config), "run", "--no-sync"]) == 0  # the next run goes on
    assert [(r["command"], r["outcome"]) for r in runs(pg_config, capsys)] == [
        ("run", "done"), ("run", "crashed")]
    assert not run_lock_held(admin, run_id + 1)  # a finished run lets go of its lock


def test_a_running_row_lives_exactly_as_long_as_its_lock(pg_config, admin, capsys):
    assert main(["--config", str(pg_config), "runs"]) == 0  # makes the schema
    # Two rows left 'running' by runners elsewhere: one's connection still holds its lock
    # (here: the admin's session), the other's is gone. This host's pid 1 is alive.
    ids = [admin.execute("INSERT INTO runs(command, started_at, pid, host) VALUES "
                         "('sync', '2026-11-29T03:00:00+00:00', 1, %s) RETURNING id",
                         (OTHER_HOST,)).fetchone()[0] for _ in range(2)]
    held, dead = ids
    admin.execute("SELECT pg_advisory_lock(%s, %s)", (RUN_LOCK_CLASS, held))
    assert {r["id"]: r["outcome"] for r in runs(pg_config, capsys)} == {
        held: "running", dead: "crashed"}
    # The next run's bookkeeping tells the same: the held one stays running.
    assert main(["--config", str(pg_config), "run", "--no-sync"]) == 0
    assert [r["outcome"] for r in runs(pg_config, capsys)] == ["done", "crashed", "running"]
    admin.execute("SELECT pg_advisory_unlock(%s, %s)", (RUN_LOCK_CLASS, held))
    assert [r["outcome"] for r in runs(pg_config, capsys)] == ["done", "crashed", "crashed"]
