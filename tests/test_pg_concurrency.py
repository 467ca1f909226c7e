"""Runners side by side on one PostgreSQL store: advisory locks per step, across processes.

Two processes sync two trackers into one store at the same time while a third runs
check, over repeated trials (PMSYNC_CONCURRENCY_TRIALS, default 5): no lost update, no
deadlock, no duplicate comment. A killed runner's lock dies with its connection.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import PG_PASSWORD_ENV, _write_clickup_config, _write_config, pg_store_lines
from pmsync.sandbox import Sandbox

TRIALS = int(os.environ.get("PMSYNC_CONCURRENCY_TRIALS", "5"))


def start(path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pmsync.cli", "--config", str(path), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen) -> tuple[int, str]:
    out, err = proc.communicate(timeout=180)
    return proc.returncode, out + err


def test_two_trackers_sync_side_by_side_while_check_runs(sandbox, tmp_path, monkeypatch,
                                                         pg_url, open_store):
    path = _write_clickup_config(sandbox, tmp_path, monkeypatch, store_lines=pg_store_lines(pg_url))
    site, clickup = sandbox.site, sandbox.clickup
    issues, tasks = sorted(site.issues), sorted(t for t in clickup.tasks if clickup.tasks[t]["parent"])
    counts = None
    for trial in range(TRIALS):
        if trial:  # something new on both sides for the incremental syncs to bring in
            site.touch(issues[trial], summary=f"Jira edit in trial {trial}")
            clickup.touch(tasks[trial], name=f"ClickUp edit in trial {trial}")
        procs = [start(path, "sync", "--tracker", "jira"), start(path, "sync", "--tracker",
                 "clickup"), start(path, "check")]
        results = [finish(p) for p in procs]
        # The first check may start before either first sync commits: an empty store is
        # refused (5), never a wrong answer; from then on it reads what was committed.
        assert [code for code, _ in results] in ([0, 0, 0], [0, 0, 5] if not trial else []), \
            results
        store = open_store(path)
        items = {item.key: item for item in store.current("item")}
        by_tracker = {t: sum(1 for k in items if k.startswith(f"{t}:")) for t in ("jira", "clickup")}
        counts = counts or by_tracker
        assert by_tracker == counts and min(counts.values()) > 0  # nothing lost
        assert [r["tracker"] for r in store.sync_log()].count("jira") == trial + 1
        assert [r["tracker"] for r in store.sync_log()].count("clickup") == trial + 1
        if trial:  # each side's edit landed: neither transaction overwrote the other's
            assert items[f"jira:{issues[trial]}"].title == f"Jira edit in trial {trial}"
            assert items[f"clickup:{tasks[trial]}"].title == f"ClickUp edit in trial {trial}"
        store.close()

    # Two alert steps at once: one posts, the other finds the lock held (4) or nothing to do.
    codes = sorted(finish(p)[0] for p in [start(path, "alert"), start(path, "alert")])
    assert codes in ([0, 0], [0, 4]), codes
    code, out = finish(start(path, "alert"))
    assert code == 0 and "0 comments were created" in out, out
    store = open_store(path)
    ledger = [a for a in store.alerts() if a.comment_id]
    posts = sandbox.writes_to("POST", "/comment")
    assert len(posts) == len(ledger) > 0  # every comment posted once, each in the ledger


@pytest.fixture
def slow_sandbox():
    with Sandbox.start(seed=7, size=60, latency=0.15, clickup_size=0) as sb:
        yield sb


def test_same_step_twice_exits_4_and_a_killed_runners_lock_is_released(
        slow_sandbox, tmp_path, monkeypatch, pg_url, open_store):
    import psycopg

    path = _write_config(slow_sandbox, tmp_path, monkeypatch, store_lines=pg_store_lines(pg_url))
    first = start(path, "sync", "--tracker", "jira")
    admin = psycopg.connect(pg_url, password=os.environ.get(PG_PASSWORD_ENV), autocommit=True)

    def advisory_locks() -> int:
        return admin.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                             "AND granted").fetchone()[0]

    deadline = time.monotonic() + 60
    while advisory_locks() == 0:
        assert first.poll() is None and time.monotonic() < deadline, finish(first)
        time.sleep(0.05)
    code, out = finish(start(path, "sync", "--tracker", "jira"))
    assert code == 4 and "holds the sync:jira lock" in out and "pmsync " in out, out
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    while advisory_locks():  # the server drops the session, and its locks, at once
        assert time.monotonic() < deadline
        time.sleep(0.05)
    code, out = finish(start(path, "sync", "--tracker", "jira"))
    assert code == 0, out
    outcomes = [r.outcome for r in open_store(path).runs()]
    assert outcomes == ["done", "crashed"]  # newest first: the killed one told apart
    admin.close()
