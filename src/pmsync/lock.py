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
