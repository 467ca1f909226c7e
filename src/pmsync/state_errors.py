"""What went wrong with pmsync's own files, said in one line with the way out.

The store, the state folder, the lock file and the reports folder are pmsync's; when
one of them is damaged, unwritable or out of space, the person reading cron's mail
needs the path, what is wrong with it and what to do, not a traceback.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from pmsync.errors import StateError


def move_aside(path: Path) -> str:
    return (f"move it aside (mv {path} {path}.broken, with its -wal and -shm files); the next "
            "run rebuilds it from the trackers and adopts its comments and pages")


def store_error(path: Path, exc: sqlite3.Error) -> StateError:
    """The store failed: say whether it is damaged, foreign, read-only or out of space."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    detail = str(exc)
    if name == "SQLITE_FULL" or "disk is full" in detail:
        return StateError(f"{path}: the disk is full ({detail}); free space on it: what was "
                          "being written was rolled back and the next run carries on")
    if name.startswith("SQLITE_READONLY") or "readonly database" in detail:
        return StateError(f"{path}: the store is read-only ({detail}); make it and its folder "
                          f"writable for the user running pmsync (chown/chmod u+w)")
    if name == "SQLITE_NOTADB" or "not a database" in detail:
        return StateError(f"{path}: not a SQLite database, or damaged beyond reading ({detail}); "
                          + move_aside(path))
    if name == "SQLITE_CORRUPT" or "malformed" in detail:
        return StateError(f"{path}: the store is damaged ({detail}); " + move_aside(path))
    if name.startswith("SQLITE_CANTOPEN") or "unable to open" in detail:
        return StateError(f"{path}: cannot open the store ({detail}); its folder must exist and "
                          "be writable for the user running pmsync (SQLite adds -wal and -shm "
                          "files beside it)")
    if name.startswith("SQLITE_BUSY") or name.startswith("SQLITE_LOCKED"):
        return StateError(f"{path}: another process keeps the store locked ({detail}); wait for "
                          "it to finish (`pmsync runs` shows what is running)")
    if name.startswith("SQLITE_IOERR"):
        return StateError(f"{path}: the disk failed reading or writing the store ({detail}); "
                          "check the disk, then " + move_aside(path))
    if "no such table" in detail or "no such column" in detail:
        return StateError(f"{path}: the store's tables do not match its schema version "
                          f"({detail}): half-migrated or edited by hand; " + move_aside(path))
    return StateError(f"{path}: the store failed ({detail}); " + move_aside(path))


def file_error(path: Path, exc: OSError, what: str, way_out: str = "") -> StateError:
    """An OSError on one of pmsync's own files or folders. ``what``: e.g. "write the report"."""
    reason = exc.strerror or str(exc)
    where = path  # the caller names the file or folder the person knows (not a temp file)
    if exc.errno == errno.ENOSPC or exc.errno == errno.EDQUOT:
        return StateError(f"{where}: cannot {what}: the disk is full ({reason}); free space "
                          "on it: nothing was half-written and the next run carries on")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return StateError(f"{where}: cannot {what} ({reason}); "
                          + (way_out or "make it writable for the user running pmsync"))
    if exc.errno in (errno.ENOTDIR, errno.EEXIST) and not where.is_dir():
        return StateError(f"{where}: is a file where pmsync needs a folder, so it cannot {what}; "
                          + (way_out or "move the file aside or point the setting elsewhere"))
    return StateError(f"{where}: cannot {what} ({reason}); "
                      + (way_out or "check the path and its permissions"))
