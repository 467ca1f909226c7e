"""One run at a time per state directory (cron may start the next before one ends)."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pmsync.errors import LockHeld
from pmsync.state_errors import file_error


@contextmanager
def run_lock(path: Path) -> Iterator[None]:
    """An flock: the kernel drops it when the process dies, so it never goes stale."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+")  # noqa: SIM115 - held for the whole run
    except OSError as exc:
        raise file_error(path, exc, "take the run lock",
                         "state_dir must be a folder the user running pmsync can write") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise LockHeld(
                f"another pmsync run (pid {holder}) holds {path}; wait for it to finish"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()


# The steps that write, by lock name: each tracker's sync on its own, and one lock for the
# steps that write to the trackers (alerts and pages). On SQLite one file lock covers all.
PUBLISH = "publish"


def sync_lock(tracker: str) -> str:
    return f"sync:{tracker}"


@contextmanager
def step_locks(ws, names: list[str]) -> Iterator[None]:
    """The locks a command needs: with a PostgreSQL store, session advisory locks (they
    hold across hosts and die with the connection, so a killed runner leaves none);
    with SQLite, the state folder's file lock, whatever the names."""
    if not ws.config.store_url:
        with run_lock(ws.config.lock_path):
            yield
        return
    from pmsync.pgstore import lock_key

    store = ws.store
    taken: list[str] = []
    try:
        with store.errors_explained():
            for name in sorted(set(names)):  # try-locks never wait, so never deadlock
                (got,) = store.conn.execute("SELECT pg_try_advisory_lock(?)",
                                            (lock_key(name),)).fetchone()
                if not got:
                    raise LockHeld(f"another pmsync run ({_holder(store, name)}) holds the "
                                   f"{name} lock in {store.path}; wait for it to finish")
                taken.append(name)
        yield
    finally:
        for name in reversed(taken):
            try:
                store.conn.execute("SELECT pg_advisory_unlock(?)", (lock_key(name),))
            except store.errors:
                break  # the connection is gone, and the locks with it


def _holder(store, name: str) -> str:
    """Who holds an advisory lock: the application_name pmsync gives its connections."""
    from pmsync.pgstore import lock_key

    key = lock_key(name) & 0xFFFFFFFFFFFFFFFF
    row = store.conn.execute(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
        "AND l.classid::bigint = ? AND l.objid::bigint = ?",
        (key >> 32, key & 0xFFFFFFFF)).fetchone()
    return row[0] if row and row[0] else "unknown"
