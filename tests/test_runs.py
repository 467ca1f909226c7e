"""Run records: every command is recorded with its outcome, counts and exit code,
and `pmsync runs` tells a crashed run from one still going."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import store_errors, store_of, store_rows
from pmsync.migrations import MIGRATIONS
from pmsync.store import Store


def runs_json(pmsync, *args: str) -> list[dict]:
    code, out, _ = pmsync("runs", "--format", "json", *args)
    assert code == 0
    return json.loads(out)


def test_every_command_is_recorded_with_outcome_counts_and_exit_code(pmsync):
    assert pmsync("runs")[1].strip() == "No runs recorded yet; `pmsync run` records one."
    code, out, _ = pmsync("sync")
    assert code == 0
    fetched = int(out.split(":")[1].split()[0])  # "jira: 123 items fetched, ..."
    assert pmsync("check", "--fail-on", "info")[0] == 1
    assert pmsync("alert", "--dry-run")[0] == 0
    assert pmsync("report")[0] == 0
    assert pmsync("run")[0] == 0
    assert pmsync("baseline", "save", "q3")[0] == 0
    runs = runs_json(pmsync)
    assert [r["command"] for r in runs] == ["baseline", "run", "report", "alert", "check", "sync"]
    assert [r["outcome"] for r in runs] == ["done"] * 6
    assert [r["exit_code"] for r in runs] == [0, 0, 0, 0, 1, 0]
    baseline, run, report, alert, check, sync = runs
    assert sync["counts"]["fetched"] == fetched > 0 and sync["counts"]["changed"] > fetched
    assert check["counts"]["findings"] > 0
    assert alert["counts"]["would_create"] > 0 and "created" not in alert["counts"]
    assert report["counts"]["pages_written"] == 4 and report["counts"]["html_files"] == 4
    # The real alert step ran in `run`; its reports were unchanged since `report`.
    assert run["counts"]["created"] == alert["counts"]["would_create"]
    assert run["counts"]["pages_written"] == 0 and run["counts"]["changed"] == 0
    assert all(r["finished_at"] >= r["started_at"] and r["duration_seconds"] >= 0 for r in runs)
    assert {r["pid"] for r in runs} == {os.getpid()}
    assert [r["id"] for r in runs_json(pmsync, "--limit", "2")] == [run["id"] + 1, run["id"]]
    table = pmsync("runs", "--limit", "1")[1].splitlines()
    assert table[0].split() == ["ID", "COMMAND", "STARTED", "DURATION", "OUTCOME", "EXIT",
                                "COUNTS"]
    assert table[1].split()[:2] == [str(baseline["id"]), "baseline"]


def test_an_interrupted_run_is_recorded_as_interrupted(pmsync, monkeypatch):
    from pmsync import cycle

    def interrupted(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cycle, "sync_all", interrupted)
    code, _, err = pmsync("run")
    assert code == 130
    assert err.count("\n") == 1 and "interrupted (Ctrl-C)" in err
    (run,) = runs_json(pmsync)
    assert (run["outcome"], run["exit_code"]) == ("interrupted", 130)


def pmsync_process(config_path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pmsync.cli", "--config", str(config_path),
                             *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_running_run(config_path, timeout: float = 30) -> None:
    """Until the subprocess has committed its run row (and so is well into the run)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if store_rows(config_path, "SELECT 1 FROM runs WHERE outcome = 'running'"):
                return
        except store_errors():
            pass  # no store or no schema yet
        time.sleep(0.05)
    raise AssertionError("the run never started")


def test_sigterm_is_one_line_exit_143_and_recorded(pmsync, config_path, sandbox):
    sandbox.server.latency = 0.5  # a sync that takes several seconds
    proc = pmsync_process(config_path, "run")
    wait_for_running_run(config_path)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("pmsync:")]  # not JSON logs
    assert lines == ["pmsync: terminated; every finished write is recorded, the unfinished one "
                     "was rolled back; the next run carries on"], err
    (run,) = runs_json(pmsync)
    assert (run["outcome"], run["exit_code"]) == ("interrupted", 143)
    store = store_of(config_path)
    try:
        assert store.count("item") == 0 and store.cursor("jira") is None  # rolled back
    finally:
        store.close()


def runs_after_the_server_lets_go(pmsync, timeout: float = 15) -> list[dict]:
    """The runs once the killed run is no longer 'running'.

    SQLite knows at once (the pid is gone). A PostgreSQL run's advisory lock is released when
    the server's backend reads the dead client's closed socket, which on a loaded machine can
    come a moment after the kill; until then the run rightly still shows as running.
    """
    deadline = time.monotonic() + timeout
    while True:
        runs = runs_json(pmsync)
        if runs[0]["outcome"] != "running" or time.monotonic() > deadline:
            return runs
        time.sleep(0.1)


def test_a_killed_run_shows_as_crashed_and_a_live_one_as_running(pmsync, config_path, sandbox):
    sandbox.server.latency = 0.2
    proc = pmsync_process(config_path, "run")
    try:
        wait_for_running_run(config_path)
        (run,) = runs_json(pmsync)
        assert (run["outcome"], run["exit_code"], run["pid"]) == ("running", None, proc.pid)
    finally:
        proc.kill()
        proc.communicate()
    (run,) = runs_after_the_server_lets_go(pmsync)
    assert (run["outcome"], run["finished_at"]) == ("crashed", None)
    sandbox.server.latency = 0
    assert pmsync("sync")[0] == 0  # the next run carries on
    assert [r["outcome"] for r in runs_json(pmsync)] == ["done", "crashed"]


@pytest.mark.sqlite_only  # a SQLite store from before run records (schema 3): none on PostgreSQL
def test_runs_left_unfinished_before_run_records_count_as_crashed(tmp_path):
    path = tmp_path / "s.sqlite3"
    conn = sqlite3.connect(path)
    for script in MIGRATIONS[:3]:
        conn.executescript(script)
    conn.execute("PRAGMA user_version = 3")
    conn.execute("INSERT INTO runs(command, started_at, status) VALUES "
                 "('sync', '2026-11-01T00:00:00+00:00', 'done'), "
                 "('run', '2026-11-02T00:00:00+00:00', 'running')")
    conn.commit()
    conn.close()
    store = Store(path)
    try:
        assert [(r.command, r.outcome, r.exit_code) for r in store.runs()] == [
            ("run", "crashed", None), ("sync", "done", 0)]
    finally:
        store.close()


@pytest.mark.sqlite_only  # the same-host pid check; PostgreSQL asks the run's lock (test_pg_runs)
def test_under_the_lock_a_running_row_is_crashed_even_if_its_pid_was_reused(new_store):
    store = new_store
    live_but_unrelated = os.getppid()  # alive: as if the dead run's pid had been reused
    store.conn.execute("INSERT INTO runs(command, started_at, pid, host) VALUES "
                       "('run', '2026-11-01T00:00:00+00:00', ?, ?)",
                       (live_but_unrelated, socket.gethostname()))
    with store.run("check"):  # no lock: the live pid keeps it 'running'
        pass
    assert [r.outcome for r in store.runs()] == ["done", "running"]
    with store.run("sync", holds_lock=True):
        pass
    assert [r.outcome for r in store.runs()] == ["done", "done", "crashed"]


@pytest.mark.parametrize("limit", ["0", "-3", "x"])
def test_runs_refuses_a_limit_below_one(pmsync, limit, capsys):
    with pytest.raises(SystemExit) as exit_info:
        pmsync("runs", "--limit", limit)
    assert exit_info.value.code == 2
    assert f"--limit: must be a whole number of at least 1, not '{limit}'" in capsys.readouterr().err
