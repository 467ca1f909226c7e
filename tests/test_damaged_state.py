"""Damaged state and file-system trouble: one line naming the path, what is wrong and the
way out, a documented exit code, never a traceback (issue 11).

Read-only files and full disks are made at the OS / SQLite boundary (tests may run as
root, whom permission bits do not stop): SQLite's own read-only mode and page limit give
its real errors; OSErrors carry the errno the kernel would.

A damaged schema (a newer version, half-migrated, a table gone) is tested on both stores;
what happens to the SQLite file itself (its bytes, its read-only mode, its page limit, the
state_dir file lock) is ``sqlite_only``.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
from pathlib import Path

import pytest

from conftest import store_execute
from pmsync.config import load_config
from pmsync.errors import EXIT_STATE, EXIT_USAGE
from pmsync.plugins import default_registry

MOVE_ASIDE = "the next run rebuilds it from the trackers and adopts its comments and pages"
MOVE_ASIDE_PG = "the next run rebuilds the store from the trackers and adopts its comments"


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("pmsync: error:")]


def one_line(err: str, *fragments: str) -> str:
    lines = error_lines(err)
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def store_path(config_path) -> Path:
    return config_path.parent / "state" / "pmsync.sqlite3"


@pytest.fixture
def synced(pmsync, store_path) -> Path:
    """A real store, written by a finished sync (its WAL checkpointed on close)."""
    assert pmsync("sync")[0] == 0
    assert not Path(f"{store_path}-wal").exists()
    return store_path


@pytest.fixture
def store_name(config_path) -> str:
    """How errors name this test's store: its SQLite file, or its PostgreSQL URL."""
    config = load_config(config_path, default_registry())
    return config.store_url or str(config.store_path)


def sql(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for offset in range(4096, len(data), 4096):  # every page after the first: garbage
        data[offset:offset + 200] = b"\xde\xad\xbe\xef" * 50
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 3])


def foreign_file(path: Path) -> None:
    path.write_text("name,email\nada,ada@example.com\n" * 200)


def foreign_sqlite(path: Path) -> None:
    path.unlink()
    sql(path, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")


COMMANDS = ["run", "check", "runs", "impact PAY-1 --slip 5"]


@pytest.mark.sqlite_only  # the damage is to the SQLite file's bytes
@pytest.mark.parametrize(("damage", "fragments"), [
    (corrupt, ["damaged", MOVE_ASIDE]),
    (truncate, ["damaged", MOVE_ASIDE]),
    (foreign_file, ["not a SQLite database", MOVE_ASIDE]),
])
@pytest.mark.parametrize("command", COMMANDS)
def test_a_damaged_store_is_one_line_with_the_way_out(pmsync, synced, damage, fragments, command):
    damage(synced)
    code, _, err = pmsync(*command.split())
    assert code == EXIT_STATE
    one_line(err, str(synced), *fragments)


def by_sql(*statements: str):
    """A damage done by hand in a SQL shell."""
    return lambda config_path: store_execute(config_path, *statements)


def replaced_by_a_foreign_sqlite(config_path: Path) -> None:
    foreign_sqlite(config_path.parent / "state" / "pmsync.sqlite3")


# A store whose schema is not pmsync's: per store, how it got so and what the one line
# must say (the problem, then the way out).
SCHEMA_DAMAGES = {
    "newer_schema": {
        "sqlite": (by_sql("PRAGMA user_version = 99"),
                   ["schema version 99, newer than this pmsync knows", "upgrade pmsync"]),
        "postgresql": (by_sql("UPDATE pmsync_schema SET version = 99"),
                       ["schema version 99, newer than this pmsync knows", "upgrade pmsync"]),
    },
    "half_migrated": {  # the version says 3, the tables are already newer
        "sqlite": (by_sql("PRAGMA user_version = 3"),
                   ["half-migrated: migration 4", "move it aside"]),
        "postgresql": (by_sql("UPDATE pmsync_schema SET version = 3"),
                       ["half-migrated: migration 4", "an empty database", MOVE_ASIDE_PG]),
    },
    "table_missing": {
        "sqlite": (by_sql("DROP TABLE pages"),
                   ["half-migrated or edited: missing pages", "move it aside"]),
        "postgresql": (by_sql("DROP TABLE pages CASCADE"),
                       ["half-migrated or edited: missing pages", "an empty database",
                        MOVE_ASIDE_PG]),
    },
    "foreign": {
        "sqlite": (replaced_by_a_foreign_sqlite,
                   ["not a pmsync store (it holds customers)", "point state_dir"]),
        "postgresql": (by_sql("DROP SCHEMA public CASCADE", "CREATE SCHEMA public",
                              "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)"),
                       ["not a pmsync store (it holds customers)",
                        "give pmsync a database of its own"]),
    },
}


@pytest.mark.parametrize("damage", SCHEMA_DAMAGES)
@pytest.mark.parametrize("command", COMMANDS)
def test_a_damaged_schema_is_one_line_with_the_way_out(pmsync, config_path, store_kind,
                                                       store_name, damage, command):
    make_damage, fragments = SCHEMA_DAMAGES[damage][store_kind]
    assert pmsync("sync")[0] == 0
    make_damage(config_path)
    code, _, err = pmsync(*command.split())
    assert code == EXIT_STATE
    one_line(err, store_name, *fragments)


def read_only_store(monkeypatch) -> None:
    """Open the store as SQLite does a file it may not write: its real read-only errors."""
    connect = sqlite3.connect

    def read_only(path, **kwargs):
        return connect(f"file:{path}?mode=ro", uri=True, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", read_only)


@pytest.mark.sqlite_only  # SQLite's read-only open mode on the store file
def test_a_read_only_store_is_one_line(pmsync, synced, monkeypatch):
    read_only_store(monkeypatch)
    code, _, err = pmsync("run")
    assert code == EXIT_STATE
    one_line(err, str(synced), "read-only", "writable for the user running pmsync")


@pytest.mark.sqlite_only  # SQLite's page limit stands in for a full disk under the file
def test_a_full_disk_under_the_store_is_one_line_and_leaves_no_half_sync(
        pmsync, store_path, monkeypatch):
    connect = sqlite3.connect
    disk = {"full": True}

    def small_disk(path, **kwargs):  # SQLite's own limit: it answers SQLITE_FULL
        conn = connect(path, **kwargs)
        if disk["full"]:
            conn.execute("PRAGMA max_page_count = 40")
        return conn

    monkeypatch.setattr(sqlite3, "connect", small_disk)
    code, _, err = pmsync("sync")
    assert code == EXIT_STATE
    one_line(err, str(store_path), "the disk is full", "the next run carries on")
    disk["full"] = False
    code, out, _ = pmsync("runs", "--format", "json")
    (run,) = json.loads(out)
    assert (run["outcome"], run["exit_code"]) == ("failed", EXIT_STATE)
    conn = sqlite3.connect(store_path)
    assert conn.execute("SELECT COUNT(*) FROM records").fetchone() == (0,)  # rolled back whole
    assert conn.execute("SELECT COUNT(*) FROM cursors").fetchone() == (0,)
    conn.close()
    assert pmsync("sync")[0] == 0  # room again: the next run carries on


def test_state_dir_that_is_a_file(pmsync, config_path, store_kind):
    (config_path.parent / "state").write_text("not a folder")
    # The SQLite store lives in state_dir, so every command needs it. A PostgreSQL store's
    # `check` needs nothing there; its `run` still writes the local HTML reports there.
    for command in ("run", "check") if store_kind == "sqlite" else ("run",):
        code, _, err = pmsync(command)
        assert code == EXIT_STATE
        one_line(err, str(config_path.parent / "state"), "is a file where pmsync needs a folder")
    if store_kind == "postgresql":
        assert pmsync("check")[0] == 0


def deny(monkeypatch, module, name: str, err: int = errno.EACCES, only: str = "") -> None:
    """``module.name`` fails as the kernel would on a read-only folder (or a full disk)."""
    real = getattr(module, name)

    def failing(*args, **kwargs):
        target = str(kwargs.get("dir") or (args[0] if args else ""))
        if only in target:
            raise OSError(err, os.strerror(err), target)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, failing)


@pytest.mark.sqlite_only  # the state_dir file lock; PostgreSQL takes advisory locks instead
def test_a_read_only_state_dir_is_one_line(pmsync, config_path, monkeypatch):
    import builtins

    deny(monkeypatch, builtins, "open", errno.EROFS, only="pmsync.lock")
    code, _, err = pmsync("run")
    monkeypatch.undo()
    assert code == EXIT_STATE
    one_line(err, str(config_path.parent / "state" / "pmsync.lock"), "Read-only file system",
             "state_dir must be a folder the user running pmsync can write")


@pytest.mark.parametrize(("err", "fragment"), [
    (errno.EACCES, "set reports.html_dir to another folder"),
    (errno.ENOSPC, "the disk is full"),
])
def test_an_unwritable_reports_dir_does_not_stop_the_alerts(pmsync, config_path, sandbox,
                                                             monkeypatch, err, fragment):
    import tempfile

    deny(monkeypatch, tempfile, "mkstemp", err)
    code, out, stderr = pmsync("run")
    monkeypatch.undo()
    assert code == EXIT_STATE
    one_line(stderr, str(config_path.parent / "state" / "reports"), fragment)  # once, not 4x
    assert sandbox.writes_to("POST", "/comment")  # the alerts still went out
    assert "Sprint review: Payments" in {p["title"] for p in sandbox.site.pages.values()}
    assert "created" in out


def test_a_config_path_that_is_a_folder_or_not_utf8(tmp_path, capsys):
    from pmsync.cli import main

    folder = tmp_path / "conf.d"
    folder.mkdir()
    assert main(["--config", str(folder), "run"]) == EXIT_USAGE
    one_line(capsys.readouterr().err, str(folder), "is a folder, not a config file")
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('state_dir = "\xe9tat"\n'.encode("latin-1"))
    assert main(["--config", str(latin1), "run"]) == EXIT_USAGE
    one_line(capsys.readouterr().err, str(latin1), "not UTF-8")
