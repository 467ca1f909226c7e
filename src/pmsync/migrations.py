"""Numbered, append-only schema migrations for the store (SQLite and PostgreSQL).

Never edit a migration that has shipped: add the next one. ``PRAGMA
user_version`` records how many have run on SQLite, the ``pmsync_schema`` table on
PostgreSQL. The migrations are written in SQLite's SQL; PostgreSQL runs the same ones
through ``pgstore.translate_ddl`` (types), with ``POSTGRES_ONLY`` replacing the few
statements that have no common spelling.
"""

from __future__ import annotations

import sqlite3

from pmsync import read_model

ALERT_TEXT = """
    ALTER TABLE alerts ADD COLUMN severity TEXT;
    ALTER TABLE alerts ADD COLUMN message TEXT;
"""

MIGRATIONS: list[str] = [
    # 1: runs, current records and their revisions, cursors, alert and page ledgers, baselines
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        command TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL DEFAULT 'running'
    );
    CREATE TABLE records (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        tracker TEXT NOT NULL,
        data TEXT NOT NULL,
        hash TEXT NOT NULL,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        removed INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (kind, key)
    );
    CREATE INDEX records_tracker ON records(tracker, kind);
    CREATE TABLE revisions (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        data TEXT NOT NULL,
        hash TEXT NOT NULL,
        removed INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (kind, key, run_id)
    );
    CREATE INDEX revisions_run ON revisions(run_id);
    CREATE TABLE cursors (
        tracker TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        run_id INTEGER NOT NULL REFERENCES runs(id)
    );
    CREATE TABLE sync_log (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        tracker TEXT NOT NULL,
        fetched INTEGER NOT NULL,
        changed INTEGER NOT NULL,
        full_sync INTEGER NOT NULL,
        PRIMARY KEY (run_id, tracker)
    );
    CREATE TABLE alerts (
        fingerprint TEXT NOT NULL,
        target_key TEXT NOT NULL,
        rule TEXT NOT NULL,
        subject_key TEXT NOT NULL,
        comment_id TEXT,
        state TEXT NOT NULL,
        body_hash TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (fingerprint, target_key)
    );
    CREATE TABLE pages (
        report_key TEXT PRIMARY KEY,
        tracker TEXT NOT NULL,
        page_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        url TEXT,
        body_hash TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE baselines (
        name TEXT PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        created_at TEXT NOT NULL
    );
    """,
    # 2: field history from the trackers' changelogs; cursors hold connector state as JSON
    """
    CREATE TABLE changes (
        item_key TEXT NOT NULL,
        change_id TEXT NOT NULL,
        field TEXT NOT NULL,
        at TEXT NOT NULL,
        old TEXT,
        new TEXT,
        PRIMARY KEY (item_key, change_id, field)
    );
    CREATE INDEX changes_at ON changes(at);
    """,
    # 3: a compact copy of each current record (marshal), for loading large portfolios fast
    """
    ALTER TABLE records ADD COLUMN packed BLOB;
    """,
    # 4: run records. outcome is 'running' until the run ends (done / failed / interrupted);
    # pid and host tell a run still going from one whose process died ('crashed').
    # Rows from before this migration that never finished cannot be told apart: their
    # process is long gone, so they count as crashed.
    """
    ALTER TABLE runs RENAME COLUMN status TO outcome;
    ALTER TABLE runs ADD COLUMN pid INTEGER;
    ALTER TABLE runs ADD COLUMN host TEXT;
    ALTER TABLE runs ADD COLUMN exit_code INTEGER;
    ALTER TABLE runs ADD COLUMN counts TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE runs ADD COLUMN error TEXT;
    UPDATE runs SET outcome = 'crashed' WHERE outcome = 'running';
    UPDATE runs SET exit_code = 0 WHERE outcome = 'done';
    """,
    # 5: product lines are decided when the portfolio is built, never stored: drop the
    # stale copies (the packed form had a slot for it; records fall back to their JSON)
    """
    UPDATE records SET packed = NULL, data = json_remove(data, '$.product_line')
        WHERE kind IN ('item', 'sprint');
    UPDATE revisions SET data = json_remove(data, '$.product_line')
        WHERE kind IN ('item', 'sprint');
    """,
    # 6: the read model for BI tools (pmsync.read_model): views over items, facets, links,
    # sprints, releases, open findings and the revision history. Changing a view later is
    # a new migration that runs create_script again (it drops and recreates them all).
    read_model.create_script("sqlite", as_of=6),
    # 7: the alert ledger keeps what each comment says: the finding's severity and
    # headline (masked), for pm_open_findings. Older rows stay NULL until the next alert
    # step fills them (without a tracker call).
    ALERT_TEXT + read_model.create_script("sqlite", as_of=7),
]


# The statements PostgreSQL runs instead (SQLite's JSON functions have other names there).
POSTGRES_ONLY: dict[int, str] = {
    5: """
    UPDATE records SET packed = NULL, data = (data::jsonb - 'product_line')::text
        WHERE kind IN ('item', 'sprint');
    UPDATE revisions SET data = (data::jsonb - 'product_line')::text
        WHERE kind IN ('item', 'sprint');
    """,
    6: read_model.create_script("postgresql", as_of=6),
    7: ALERT_TEXT + read_model.create_script("postgresql", as_of=7),
}


class SchemaError(Exception):
    """The store's schema is not one this pmsync can work with; the message says why.
    ``rebuildable``: moving the store aside is the way out (the next run rebuilds it)."""

    def __init__(self, message: str, rebuildable: bool = False):
        super().__init__(message)
        self.rebuildable = rebuildable


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to date; returns the version it ends at."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    if current > len(MIGRATIONS):
        raise SchemaError(
            f"the store has schema version {current}, newer than this pmsync knows "
            f"({len(MIGRATIONS)}): a newer pmsync wrote it; upgrade pmsync, or move it aside "
            "to start over (the next run rebuilds it from the trackers)")
    if current == 0:
        foreign = [name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        if foreign:
            raise SchemaError(
                f"a SQLite database, but not a pmsync store (it holds {', '.join(foreign[:5])}); "
                "point state_dir at a folder of pmsync's own")
    for number, script in enumerate(MIGRATIONS[current:], start=current + 1):
        # executescript commits first; the version bump rides in the same transaction.
        try:
            conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
        except sqlite3.OperationalError as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise SchemaError(f"half-migrated: migration {number} of {len(MIGRATIONS)} does not "
                              f"apply to its tables ({exc})", rebuildable=True) from None
    check_schema(conn)
    return len(MIGRATIONS)


def check_schema(conn: sqlite3.Connection) -> None:
    """Every table and column the migrations make is there (a store edited by hand, or
    copied half-way, fails here in one line instead of deep inside a run)."""
    missing: list[str] = []
    for table, columns in expected_schema().items():
        present = _columns(conn, table)
        missing += [f"{table}.{c}" for c in sorted(columns - present)] if present else [table]
    if missing:
        raise SchemaError(f"half-migrated or edited: missing {', '.join(sorted(missing)[:5])}",
                          rebuildable=True)


_EXPECTED: dict[str, set[str]] = {}


def expected_schema() -> dict[str, set[str]]:
    """Table → columns, as the migrations build them on an empty database."""
    if not _EXPECTED:
        conn = sqlite3.connect(":memory:")
        for script in MIGRATIONS:
            conn.executescript(script)
        tables = [name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]
        _EXPECTED.update({table: _columns(conn, table) for table in tables})
        conn.close()
    return _EXPECTED


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f"PRAGMA table_info('{table}')")}


def migrate_postgres(conn) -> int:
    """The same migrations on PostgreSQL, each in one transaction with its version bump.
    An advisory transaction lock keeps two runners starting at once from both migrating."""
    from psycopg import ProgrammingError

    from pmsync.pgstore import lock_key, translate_ddl

    # Under the lock too: two runners' CREATE TABLE IF NOT EXISTS at once can collide.
    conn.execute("BEGIN")
    try:
        conn.execute("SELECT pg_advisory_xact_lock(?)", (lock_key("migrate"),))
        conn.script("CREATE TABLE IF NOT EXISTS pmsync_schema (version INTEGER NOT NULL)")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    for number in range(1, len(MIGRATIONS) + 1):
        conn.execute("BEGIN")
        try:
            conn.execute("SELECT pg_advisory_xact_lock(?)", (lock_key("migrate"),))
            row = conn.execute("SELECT MAX(version) FROM pmsync_schema").fetchone()
            current = row[0] or 0
            if current > len(MIGRATIONS):
                raise SchemaError(
                    f"the store has schema version {current}, newer than this pmsync knows "
                    f"({len(MIGRATIONS)}): a newer pmsync wrote it; upgrade pmsync")
            if current == 0 and number == 1:
                foreign = [name for (name,) in conn.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                    "current_schema() AND table_name <> 'pmsync_schema'")]
                if foreign:
                    raise SchemaError(
                        f"a PostgreSQL database, but not a pmsync store (it holds "
                        f"{', '.join(sorted(foreign)[:5])}); give pmsync a database of its own")
            if current < number:
                try:
                    conn.script(POSTGRES_ONLY.get(number)
                                or translate_ddl(MIGRATIONS[number - 1]))
                except ProgrammingError as exc:  # SQLSTATE class 42: not these tables' DDL
                    raise SchemaError(
                        f"half-migrated: migration {number} of {len(MIGRATIONS)} does not "
                        f"apply to its tables ({str(exc).strip().splitlines()[0]})",
                        rebuildable=True) from None
                conn.execute("DELETE FROM pmsync_schema")
                conn.execute("INSERT INTO pmsync_schema VALUES (?)", (number,))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    missing: list[str] = []
    for table, columns in expected_schema().items():
        present = {name for (name,) in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = "
            "current_schema() AND table_name = ?", (table,))}
        missing += [f"{table}.{c}" for c in sorted(columns - present)] if present else [table]
    if missing:
        raise SchemaError(f"half-migrated or edited: missing {', '.join(sorted(missing)[:5])}",
                          rebuildable=True)
    return len(MIGRATIONS)
