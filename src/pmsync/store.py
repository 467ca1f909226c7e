"""The store: current records, their revisions per run, cursors, ledgers.

SQLite by default (a file in state_dir); PostgreSQL when ``store`` is a
``postgresql://`` URL (pmsync.pgstore adapts the one SQL written here).

One tracker's sync is one transaction, so the cursor only ever moves together
with the data it stands for. Writes elsewhere (ledgers) commit one row at a
time, right after the tracker call they record, so a crash loses nothing.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import marshal
import os
import socket
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pmsync.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    PmsyncError,
    StateError,
    Terminated,
)
from pmsync.logs import mask
from pmsync.migrations import SchemaError, migrate, migrate_postgres
from pmsync.model import (
    Change,
    Link,
    from_json,
    json_text,
    pack_values,
    record_kind,
    unpack,
    unpacker,
)
from pmsync.state_errors import file_error, move_aside, store_error


@contextmanager
def gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def content_hash(data: Any) -> str:
    text = data if isinstance(data, str) else json.dumps(data, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Run:
    """The run in progress: the steps add their counts and any failures they carried on past."""

    id: int
    command: str
    counts: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    failure_code: int = 0  # the exit code of the first failure carried past
    exit_code: int = 0

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    def add(self, counts: dict[str, int]) -> None:
        for name, n in counts.items():
            self.count(name, n)

    def fail(self, error: PmsyncError) -> None:
        """A step failed but the run goes on (the other trackers, reports, alerts)."""
        message = mask(str(error))
        if message not in self.failures:  # e.g. every report hitting one full disk: once
            self.failures.append(message)
        self.failure_code = self.failure_code or error.exit_code


@dataclass(frozen=True)
class RunRecord:
    """A recorded run, as `pmsync runs` shows it."""

    id: int
    command: str
    started_at: str
    finished_at: str | None
    outcome: str  # running / done / failed / interrupted / crashed
    exit_code: int | None
    counts: dict[str, int]
    error: str | None
    pid: int | None
    host: str | None

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        delta = datetime.fromisoformat(self.finished_at) - datetime.fromisoformat(self.started_at)
        return delta.total_seconds()


# The commands that hold the run lock while they work (cli.py and demo.py take it).
LOCKED_COMMANDS = frozenset({"sync", "alert", "report", "run", "demo"})


def outcome_of(exc: BaseException) -> tuple[str, int]:
    """How a run that raised ``exc`` ended, and the exit code the CLI gives it."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted", EXIT_INTERRUPTED
    if isinstance(exc, Terminated):
        return "interrupted", EXIT_TERMINATED
    if isinstance(exc, PmsyncError):
        return "failed", exc.exit_code
    return "failed", EXIT_FAILED


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


@dataclass(frozen=True)
class AlertEntry:
    fingerprint: str
    target_key: str
    rule: str
    subject_key: str
    comment_id: str | None
    state: str
    body_hash: str
    # What the comment says, for the read model (pm_open_findings): None in rows written
    # before migration 7 until the next alert step. The store masks secrets in message.
    severity: str | None = None
    message: str | None = None


def ledger_text(message: str | None) -> str | None:
    """A comment's headline as the alert ledger keeps it: built from tracker text, so
    masked as log lines are (a token pasted into a title never lands in the store)."""
    return None if message is None else mask(message)


@dataclass(frozen=True)
class PageEntry:
    report_key: str
    tracker: str
    page_id: str
    version: int
    url: str | None
    body_hash: str


# One spelling for both databases (SQLite 3.24+ and PostgreSQL take ON CONFLICT).
REVISION_CONFLICT = (" ON CONFLICT(kind, key, run_id) DO UPDATE SET data = excluded.data, "
                     "hash = excluded.hash, removed = excluded.removed")


class Store:
    def __init__(self, path: Path | str, password: str | None = None):
        """``path``: the SQLite file, or a ``postgresql://`` URL (its password apart)."""
        from pmsync.pgstore import is_postgres

        self.postgres = is_postgres(path)
        self.errors: tuple[type[BaseException], ...] = (sqlite3.Error,)
        if self.postgres:
            self._open_postgres(str(path), password)
            return
        path = Path(path)
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise file_error(path.parent, exc, "make the state folder",
                             "point state_dir at a folder the user running pmsync can write"
                             ) from None
        if path.is_dir():
            raise StateError(f"{path}: is a folder where the store should be; move it aside")
        try:
            self.conn = sqlite3.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise store_error(path, exc) from None
        try:
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.conn.execute("PRAGMA busy_timeout=5000")
            self.schema_version = migrate(self.conn)
        except SchemaError as exc:
            self.conn.close()
            raise StateError(f"{path}: {exc}" + (f"; {move_aside(path)}" if exc.rebuildable
                                                 else "")) from None
        except sqlite3.Error as exc:
            self.conn.close()
            raise store_error(path, exc) from None

    def _open_postgres(self, url: str, password: str | None) -> None:
        from pmsync.pgstore import PgConnection, shown, start_over

        self.path = shown(url)  # what errors name: never the password
        self.conn = PgConnection(url, password)  # type: ignore[assignment]
        self.errors = (sqlite3.Error, *self.conn.errors)
        try:
            self.schema_version = migrate_postgres(self.conn)
        except SchemaError as exc:
            self.conn.close()
            raise StateError(f"{self.path}: {exc}" + (f"; {start_over()}" if exc.rebuildable
                                                      else "")) from None
        except self.errors as exc:
            self.conn.close()
            raise self._error(exc) from None

    def _error(self, exc: BaseException) -> StateError:
        if self.postgres:
            from pmsync.pgstore import store_error as pg_store_error

            return pg_store_error(str(self.path), exc)
        return store_error(self.path, exc)  # type: ignore[arg-type]

    @contextmanager
    def errors_explained(self) -> Iterator[None]:
        """Database errors in the block become one line naming the store and the way out."""
        try:
            yield
        except self.errors as exc:
            raise self._error(exc) from None

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.conn.execute("BEGIN" if self.postgres else "BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            # SQLite has already rolled back after some errors (a full disk): a failing
            # ROLLBACK must not hide the error that says what went wrong.
            with contextlib.suppress(Exception):
                self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # runs ---------------------------------------------------------------
    @contextmanager
    def run(self, command: str, holds_lock: bool = False) -> Iterator[Run]:
        """Record one command from start to end: its outcome, exit code and counts.

        The row is committed first (outcome 'running', with our pid and host), so a run
        whose process dies stays visible and is later told apart as 'crashed'.
        ``holds_lock``: the caller holds the run lock, so no other locked command can
        still be running, whatever its pid (a pid may have been reused since).
        """
        with self.errors_explained():
            self.reap_crashed(lock_held=holds_lock)
            run = Run(self.begin_run(command), command)
        try:
            yield run
        except BaseException as exc:
            if isinstance(exc, self.errors):
                exc = self._error(exc)
            outcome, code = outcome_of(exc)
            run.exit_code = code
            # If the store itself failed, the original error is the one to report.
            with suppress(*self.errors):
                self.finish_run(run, outcome, error=mask(str(exc)) or type(exc).__name__)
            if isinstance(exc, StateError):
                raise exc from None
            raise
        with self.errors_explained():
            self.finish_run(run, "failed" if run.failures else "done")

    def begin_run(self, command: str) -> int:
        """Commit a 'running' row for ``command``. With PostgreSQL the row's connection
        takes the run's advisory lock before the row is visible: the lock lives as long
        as the process (its connection) does, so a run whose lock is free is dead."""
        outer = self.postgres and not self.conn.in_transaction
        with self.transaction() if outer else contextlib.nullcontext():
            cur = self.conn.execute(
                "INSERT INTO runs(command, started_at, pid, host) VALUES (?, ?, ?, ?) "
                "RETURNING id", (command, utcnow(), os.getpid(), socket.gethostname()),
            )
            run_id = int(cur.fetchone()[0])
            if self.postgres:
                from pmsync.pgstore import RUN_LOCK_CLASS

                self.conn.execute("SELECT pg_advisory_lock(?, ?)", (RUN_LOCK_CLASS, run_id))
        return run_id

    def finish_run(self, run: Run | int, outcome: str = "done", error: str | None = None) -> None:
        if isinstance(run, int):  # a bare id: a benchmark or a test making rows by hand
            run = Run(run, "")
        if run.failures and error is None:
            error = "; ".join(run.failures)
        self.conn.execute(
            "UPDATE runs SET finished_at = ?, outcome = ?, exit_code = ?, counts = ?, error = ? "
            "WHERE id = ?",
            (utcnow(), outcome, run.exit_code, json.dumps(run.counts, sort_keys=True), error,
             run.id),
        )
        if self.postgres:  # after the outcome is written: never 'running' with a free lock
            from pmsync.pgstore import RUN_LOCK_CLASS

            self.conn.execute("SELECT pg_advisory_unlock(?, ?)", (RUN_LOCK_CLASS, run.id))

    def reap_crashed(self, lock_held: bool = False) -> int:
        """Mark as crashed the runs still 'running' that are dead.

        PostgreSQL: a run whose advisory lock no session holds, on whatever host it ran.
        SQLite: a run on this host whose process is gone (with ``lock_held``: every locked
        command's run on this host); another host's run cannot be told dead from here."""
        if self.postgres:
            from pmsync.pgstore import RUN_LOCK_CLASS, live_run_ids_sql

            # The rows first, then the locks: a row is only visible once its lock is held.
            running = [row[0] for row in self.conn.execute(
                "SELECT id FROM runs WHERE outcome = 'running'")]
            live = {row[0] for row in self.conn.execute(live_run_ids_sql(), (RUN_LOCK_CLASS,))}
            dead = [run_id for run_id in running if run_id not in live]
        else:
            host = socket.gethostname()
            dead = [run_id for run_id, pid, command in self.conn.execute(
                "SELECT id, pid, command FROM runs WHERE outcome = 'running' AND host = ?",
                (host,))
                if not pid_alive(pid) or (lock_held and command in LOCKED_COMMANDS)]
        for run_id in dead:
            self.conn.execute("UPDATE runs SET outcome = 'crashed' WHERE id = ? "
                              "AND outcome = 'running'", (run_id,))
        return len(dead)

    def runs(self, limit: int | None = None) -> list[RunRecord]:
        """Recorded runs, newest first."""
        sql = ("SELECT id, command, started_at, finished_at, outcome, exit_code, counts, "
               "error, pid, host FROM runs ORDER BY id DESC")
        rows = self.conn.execute(sql + (" LIMIT ?" if limit else ""),
                                 (limit,) if limit else ())
        return [RunRecord(run_id, command, started, finished, outcome, code,
                          json.loads(counts or "{}"), error, pid, host)
                for run_id, command, started, finished, outcome, code, counts, error, pid, host
                in rows]

    # records (call inside transaction()) -----------------------------------
    def upsert(self, tracker: str, records: Iterable[Any], run_id: int) -> int:
        """Write records; a revision is kept only when a record changed. Returns #changed."""
        # One row per record, in the order the INSERT takes it: (kind, key, tracker, data,
        # hash, run_id, packed). The sync writes every record it fetched through here, so
        # the tuples are built once and handed to executemany as they are (issue 14).
        rows = []
        for record in records:
            values = pack_values(record)  # one pass gives the packed form and the JSON
            text = json_text(record, values)
            rows.append((record_kind(record), record.key, tracker, text,
                         hashlib.sha256(text.encode()).hexdigest(), run_id, marshal.dumps(values)))
        if not rows:
            return 0
        known: dict[tuple[str, str], tuple[str, int]] = {}
        for kind in {row[0] for row in rows}:
            keys = [row[1] for row in rows if row[0] == kind]
            for start in range(0, len(keys), 500):  # SQLite's bound-parameter limit
                chunk = keys[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for key, digest, removed in self.conn.execute(
                    f"SELECT key, hash, removed FROM records WHERE kind = ? AND key IN ({marks})",
                    (kind, *chunk),
                ):
                    known[(kind, key)] = (digest, removed)
        changed = [row for row in rows if known.get((row[0], row[1])) != (row[4], 0)]
        self.conn.executemany(
            "INSERT INTO records(kind, key, tracker, data, hash, run_id, removed, packed) "
            "VALUES (?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT(kind, key) DO UPDATE SET "
            "tracker = excluded.tracker, data = excluded.data, hash = excluded.hash, "
            "run_id = excluded.run_id, removed = 0, packed = excluded.packed",
            changed,
        )
        self.conn.executemany(
            "INSERT INTO revisions(kind, key, run_id, data, hash, removed) "
            "VALUES (?, ?, ?, ?, ?, 0)" + REVISION_CONFLICT,
            [(kind, key, run_id, text, digest) for kind, key, _, text, digest, _, _ in changed],
        )
        return len(changed)

    def replace_links(self, tracker: str, item_keys: set[str], links: list[Link], run_id: int):
        """The links touching ``item_keys`` become exactly ``links``; others stay."""
        wanted = {link.key: link for link in links}
        # Called once a page on the sync's hot path: read keys only ("blocker->blocked").
        for (key,) in self.conn.execute(
                "SELECT key FROM records WHERE kind = 'link' AND tracker = ? AND removed = 0",
                (tracker,)):
            blocker, _, blocked = key.partition("->")
            if (blocker in item_keys or blocked in item_keys) and key not in wanted:
                self.mark_removed("link", key, run_id)
        return self.upsert(tracker, wanted.values(), run_id)

    def mark_removed(self, kind: str, key: str, run_id: int) -> None:
        row = self.conn.execute(
            "SELECT data, hash FROM records WHERE kind = ? AND key = ? AND removed = 0", (kind, key)
        ).fetchone()
        if row is None:
            return
        self.conn.execute(
            "UPDATE records SET removed = 1, run_id = ? WHERE kind = ? AND key = ?",
            (run_id, kind, key),
        )
        self._revise(kind, key, run_id, row[0], row[1], removed=True)

    def _revise(self, kind, key, run_id, text, digest, removed: bool) -> None:
        self.conn.execute(
            "INSERT INTO revisions(kind, key, run_id, data, hash, removed) "
            "VALUES (?, ?, ?, ?, ?, ?)" + REVISION_CONFLICT,
            (kind, key, run_id, text, digest, int(removed)),
        )

    def current(self, kind: str, tracker: str | None = None) -> list[Any]:
        sql = "SELECT packed, data FROM records WHERE kind = ? AND removed = 0"
        args: tuple[Any, ...] = (kind,)
        if tracker is not None:
            sql += " AND tracker = ?"
            args += (tracker,)
        # Building 100,000s of objects would trigger the cyclic GC over and over for
        # nothing (records hold no cycles): pause it while loading.
        shared: dict[Any, Any] = {}  # see unpack: repeated values held once
        with gc_paused():
            return [unpack(kind, packed, shared) if packed is not None
                    else from_json(kind, json.loads(data))
                    for packed, data in self.conn.execute(sql, args)]

    def all_current(self) -> dict[str, list[Any]]:
        """Every current record by kind, in one sequential pass (a portfolio needs them all;
        one scan beats an index walk per kind on large stores)."""
        out: dict[str, list[Any]] = {kind: [] for kind in ("item", "sprint", "link", "release")}
        shared: dict[Any, Any] = {}  # see unpack: a link's ends share its items' keys
        # Per kind, its list's append and its unpacker, looked up once per load rather
        # than once per row.
        loaders: dict[str, tuple[Any, Any]] = {}
        with gc_paused():
            # The JSON only where there is no packed form (written before packing
            # existed); no key column: the records carry their keys.
            for kind, packed, data in self.conn.execute(
                    "SELECT kind, packed, CASE WHEN packed IS NULL THEN data END "
                    "FROM records WHERE removed = 0"):
                got = loaders.get(kind)
                if got is None:
                    got = loaders[kind] = (out.setdefault(kind, []).append,
                                           unpacker(kind, shared))
                append, load = got
                append(load(packed) if packed is not None
                       else from_json(kind, json.loads(data)))
        return out

    def revision_runs(self) -> list[int]:
        return [r[0] for r in self.conn.execute("SELECT DISTINCT run_id FROM revisions ORDER BY 1")]

    def count(self, kind: str) -> int:
        sql = "SELECT COUNT(*) FROM records WHERE kind = ? AND removed = 0"
        return self.conn.execute(sql, (kind,)).fetchone()[0]

    def keys(self, kind: str, tracker: str) -> set[str]:
        sql = "SELECT key FROM records WHERE kind = ? AND tracker = ? AND removed = 0"
        return {row[0] for row in self.conn.execute(sql, (kind, tracker))}

    # field history ------------------------------------------------------------
    def add_changes(self, changes: Iterable[Change]) -> int:
        cur = self.conn.executemany(
            "INSERT INTO changes(item_key, change_id, field, at, old, new) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [(c.item_key, c.change_id, c.field, c.at.isoformat(), c.old, c.new) for c in changes],
        )
        return max(cur.rowcount, 0)

    def changes(self, item_key: str | None = None) -> list[Change]:
        sql = "SELECT item_key, field, at, old, new, change_id FROM changes"
        args: tuple[Any, ...] = ()
        if item_key is not None:
            sql += " WHERE item_key = ?"
            args = (item_key,)
        rows = self.conn.execute(sql + " ORDER BY at, change_id, field", args)
        return [Change(k, f, datetime.fromisoformat(at), o, n, cid) for k, f, at, o, n, cid in rows]

    # cursors and sync log ------------------------------------------------
    def cursor(self, tracker: str) -> dict[str, Any] | None:
        """The connector's own state: where to resume, and what it learnt of the site."""
        row = self.conn.execute("SELECT value FROM cursors WHERE tracker = ?", (tracker,)).fetchone()
        if row is None:
            return None
        value = json.loads(row[0])
        return value if isinstance(value, dict) else {"updated": value}

    def set_cursor(self, tracker: str, value: dict[str, Any], run_id: int) -> None:
        self.conn.execute(
            "INSERT INTO cursors(tracker, value, run_id) VALUES (?, ?, ?) ON CONFLICT(tracker) "
            "DO UPDATE SET value = excluded.value, run_id = excluded.run_id",
            (tracker, json.dumps(value, sort_keys=True), run_id),
        )

    def log_sync(self, run_id: int, tracker: str, fetched: int, changed: int, full: bool) -> None:
        self.conn.execute(
            "INSERT INTO sync_log VALUES (?, ?, ?, ?, ?) ON CONFLICT(run_id, tracker) DO UPDATE "
            "SET fetched = excluded.fetched, changed = excluded.changed, "
            "full_sync = excluded.full_sync",
            (run_id, tracker, fetched, changed, int(full)),
        )

    def sync_log(self) -> list[dict[str, Any]]:
        cols = ("run_id", "tracker", "fetched", "changed", "full_sync")
        rows = self.conn.execute(f"SELECT {', '.join(cols)} FROM sync_log ORDER BY run_id")
        return [dict(zip(cols, row, strict=True)) for row in rows]

    # alert ledger ----------------------------------------------------------
    def alerts(self) -> list[AlertEntry]:
        rows = self.conn.execute(
            "SELECT fingerprint, target_key, rule, subject_key, comment_id, state, body_hash, "
            "severity, message FROM alerts ORDER BY fingerprint, target_key"
        )
        return [AlertEntry(*row) for row in rows]

    def our_writes(self) -> dict[str, datetime]:
        """The last time pmsync wrote a comment on each item."""
        rows = self.conn.execute("SELECT target_key, MAX(updated_at) FROM alerts GROUP BY target_key")
        return {key: datetime.fromisoformat(at) for key, at in rows}

    def save_alert(self, entry: AlertEntry) -> None:
        """Record a comment just written (updated_at: when pmsync last wrote it)."""
        self.conn.execute(
            "INSERT INTO alerts(fingerprint, target_key, rule, subject_key, comment_id, state, "
            "body_hash, updated_at, severity, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(fingerprint, target_key) DO UPDATE SET rule = excluded.rule, "
            "subject_key = excluded.subject_key, comment_id = excluded.comment_id, "
            "state = excluded.state, body_hash = excluded.body_hash, "
            "updated_at = excluded.updated_at, severity = excluded.severity, "
            "message = excluded.message",
            (
                entry.fingerprint, entry.target_key, entry.rule, entry.subject_key,
                entry.comment_id, entry.state, entry.body_hash, utcnow(), entry.severity,
                ledger_text(entry.message),
            ),
        )

    def describe_alert(self, fingerprint: str, target_key: str, severity: str | None,
                       message: str | None) -> None:
        """Fill in what a recorded comment says, without touching when it was written
        (rows from before migration 7; no tracker call was made)."""
        self.conn.execute(
            "UPDATE alerts SET severity = ?, message = ? WHERE fingerprint = ? AND target_key = ?",
            (severity, ledger_text(message), fingerprint, target_key))

    # baselines ------------------------------------------------------------------
    def save_baseline(self, name: str, run_id: int) -> None:
        self.conn.execute("INSERT INTO baselines VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE "
                          "SET run_id = excluded.run_id, created_at = excluded.created_at",
                          (name, run_id, utcnow()))

    def baselines(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT b.name, b.run_id, b.created_at, r.started_at FROM baselines b "
            "JOIN runs r ON r.id = b.run_id ORDER BY b.created_at")
        return [dict(zip(("name", "run_id", "created_at", "run_started"), row, strict=True))
                for row in rows]

    def latest_run(self, at_or_before: datetime | None = None) -> tuple[int, str] | None:
        """The newest run that wrote revisions (by then), with when it started."""
        sql = ("SELECT r.id, r.started_at FROM runs r WHERE EXISTS "
               "(SELECT 1 FROM revisions v WHERE v.run_id = r.id)")
        args: tuple[Any, ...] = ()
        if at_or_before is not None:
            sql += " AND r.started_at <= ?"
            args = (at_or_before.isoformat(timespec="seconds"),)
        row = self.conn.execute(sql + " ORDER BY r.id DESC LIMIT 1", args).fetchone()
        return (row[0], row[1]) if row else None

    def state_at(self, kind: str, run_id: int) -> list[Any]:
        """Every record of ``kind`` as it stood after run ``run_id`` (removed ones left out)."""
        rows = self.conn.execute(
            "SELECT v.data, v.removed FROM revisions v JOIN (SELECT key, MAX(run_id) AS last "
            "FROM revisions WHERE kind = ? AND run_id <= ? GROUP BY key) x "
            "ON v.key = x.key AND v.run_id = x.last WHERE v.kind = ?",
            (kind, run_id, kind))
        return [from_json(kind, json.loads(data)) for data, removed in rows if not removed]

    # page ledger -----------------------------------------------------------
    def page(self, report_key: str) -> PageEntry | None:
        row = self.conn.execute(
            "SELECT report_key, tracker, page_id, version, url, body_hash FROM pages "
            "WHERE report_key = ?",
            (report_key,),
        ).fetchone()
        return PageEntry(*row) if row else None

    def save_page(self, entry: PageEntry) -> None:
        self.conn.execute(
            "INSERT INTO pages VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(report_key) DO UPDATE "
            "SET tracker = excluded.tracker, page_id = excluded.page_id, "
            "version = excluded.version, url = excluded.url, body_hash = excluded.body_hash, "
            "updated_at = excluded.updated_at",
            (
                entry.report_key, entry.tracker, entry.page_id, entry.version,
                entry.url, entry.body_hash, utcnow(),
            ),
        )



# What `pmsync store copy` moves, parents first (runs before the rows that name them).
COPIED_TABLES = ("runs", "records", "revisions", "cursors", "sync_log", "changes", "alerts",
                 "pages", "baselines")


def copy_store(source: Store, target: Store) -> dict[str, int]:
    """Every row of ``source`` into the empty ``target``, in one transaction: cursors and
    ledgers included, so the next run there is incremental and posts nothing twice."""
    if target.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]:
        raise StateError(f"{target.path}: already holds a store (it has runs); copy into an "
                         "empty database")
    copied: dict[str, int] = {}
    with target.transaction():
        for table in COPIED_TABLES:
            columns = [row[1] for row in source.conn.execute(f"PRAGMA table_info('{table}')")] \
                if not source.postgres else sorted(_expected(table))
            names = ", ".join(columns)
            rows = source.conn.execute(f"SELECT {names} FROM {table}").fetchall()
            marks = ", ".join("?" * len(columns))
            target.conn.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})",
                                    [tuple(row) for row in rows])
            copied[table] = len(rows)
        if target.postgres:  # new runs go on from the copied ids
            target.conn.execute("SELECT setval(pg_get_serial_sequence('runs', 'id'), "
                                "GREATEST((SELECT MAX(id) FROM runs), 1))")
    return copied


def _expected(table: str) -> set[str]:
    from pmsync.migrations import expected_schema

    return expected_schema()[table]
