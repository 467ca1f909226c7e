"""Shared fixtures: a fresh sandbox per test on 127.0.0.1, and configs pointing at it.

Every test that writes a pmsync config (``write_config``, ``write_clickup_config``,
``config_path``, ``pmsync``) runs twice: on the SQLite store and on a fresh PostgreSQL
database (``store_kind``). A test that is about the SQLite file itself says so with
``@pytest.mark.sqlite_only`` and a comment why.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest

from pmsync.cli import main
from pmsync.config import load_config
from pmsync.demo import CLICKUP_TOKEN_ENV, demo_config
from pmsync.plugins import default_registry
from pmsync.sandbox import Sandbox
from pmsync.store import Store

TOKEN_ENV = "PMSYNC_DEMO_TOKEN"
# A PostgreSQL server for the tests: .ci/run starts one (.ci/pg-server) and sets these.
PG_URL_ENV = "PMSYNC_TEST_PG_URL"
PG_PASSWORD_ENV = "PMSYNC_TEST_PG_PASSWORD"
STORES = ["sqlite", "postgresql"]


@pytest.fixture
def sandbox():
    with Sandbox.start(seed=7, size=60) as sb:
        yield sb


def _write_clickup_config(sandbox, folder: Path, monkeypatch, extra: str = "",
                          store_lines: str = "") -> Path:
    """Jira and ClickUp together, as the demo runs them; ``extra`` joins [trackers.clickup]."""
    account, clickup = sandbox.site.account, sandbox.clickup
    monkeypatch.setenv(TOKEN_ENV, account.api_token)
    monkeypatch.setenv(CLICKUP_TOKEN_ENV, clickup.token)
    text = demo_config(sandbox.url, account.email, clickup.team_id)
    text = text.replace('link_tracker = "jira"', 'link_tracker = "jira"\nretry_backoff = 0' + extra)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pmsync.toml"
    path.write_text(store_lines + text)
    return path


def _write_config(sandbox, folder: Path, monkeypatch, extra: str = "",
                  store_lines: str = "") -> Path:
    """A config for ``sandbox`` (Cloud or Data Center) with its secret in the environment.

    ``extra`` lines are added to the [trackers.jira] table.
    """
    account = sandbox.site.account
    text = demo_config(sandbox.url, account.email)
    if sandbox.site.is_cloud:
        monkeypatch.setenv(TOKEN_ENV, account.api_token)
    else:  # Data Center: a personal access token, no email; Confluence at its own URL
        monkeypatch.setenv(TOKEN_ENV, account.personal_access_token)
        text = text.replace(f'email = "{account.email}"\n', "")
        extra += f'\nconfluence_url = "{sandbox.url}"'
    text = text.replace('pages_space = "PM"', 'pages_space = "PM"\nretry_backoff = 0' + extra)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pmsync.toml"
    path.write_text(store_lines + text)
    return path


@pytest.fixture
def write_config(store_for):
    """``write_config(sandbox, folder, monkeypatch, extra="")``: a Jira config for any sandbox,
    on this test's store (``store_kind``)."""

    def write(sandbox, folder: Path, monkeypatch, extra: str = "") -> Path:
        return _write_config(sandbox, folder, monkeypatch, extra, store_for(folder))

    return write


@pytest.fixture
def write_clickup_config(store_for):
    """``write_clickup_config(sandbox, folder, monkeypatch, extra="")``: Jira and ClickUp,
    on this test's store (``store_kind``)."""

    def write(sandbox, folder: Path, monkeypatch, extra: str = "") -> Path:
        return _write_clickup_config(sandbox, folder, monkeypatch, extra, store_for(folder))

    return write


def pytest_generate_tests(metafunc):
    """Every test reaching ``store_kind`` runs on both stores; ``sqlite_only`` ones on SQLite."""
    if "store_kind" in metafunc.fixturenames:
        kinds = ["sqlite"] if metafunc.definition.get_closest_marker("sqlite_only") else STORES
        metafunc.parametrize("store_kind", kinds, indirect=True, ids=kinds)


@pytest.fixture
def store_kind(request) -> str:
    """The store this test's configs use: "sqlite" (state_dir) or "postgresql"."""
    kind = getattr(request, "param", "sqlite")
    if kind == "postgresql":
        request.getfixturevalue("pg_server")  # skips (or fails in CI) without a server
    return kind


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The test server's URL (admin user). In CI a missing server fails the test."""
    url = os.environ.get(PG_URL_ENV)
    if not url:
        message = (f"no PostgreSQL for the tests: {PG_URL_ENV} is not set; "
                   'eval "$(.ci/pg-server start /tmp/pmsync-pg)" starts one')
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return url


class PgDatabases:
    """Fresh, empty databases on the test server, each dropped at the end of the test."""

    def __init__(self, server: str):
        self.server = server
        self.password = os.environ.get(PG_PASSWORD_ENV)
        self.names: list[str] = []

    def _admin(self):
        import psycopg

        return psycopg.connect(self.server, password=self.password, autocommit=True)

    def create(self) -> str:
        """A new database's URL, without the password (it is in $PMSYNC_TEST_PG_PASSWORD)."""
        name = f"pmsync_t_{uuid.uuid4().hex[:12]}"
        with self._admin() as admin:
            admin.execute(f"CREATE DATABASE {name}")
        self.names.append(name)
        return self.server.rsplit("/", 1)[0] + "/" + name

    def drop_all(self) -> None:
        if self.names:
            with self._admin() as admin:
                for name in self.names:
                    admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def pg_databases(pg_server):
    databases = PgDatabases(pg_server)
    yield databases
    databases.drop_all()


@pytest.fixture
def pg_url(pg_databases) -> str:
    """A fresh, empty database on the test server (dropped afterwards): its URL, without
    the password, which is in $PMSYNC_TEST_PG_PASSWORD as store_password_env names it."""
    return pg_databases.create()


def pg_store_lines(url: str) -> str:
    """Top-level config lines keeping the store in the PostgreSQL database at ``url``."""
    return f'store = "{url}"\nstore_password_env = "{PG_PASSWORD_ENV}"\n'


@pytest.fixture
def store_for(store_kind, request):
    """``store_for(folder)``: the top-level config lines choosing this test's store for the
    config in ``folder``. SQLite: none (the file in the folder's state_dir). PostgreSQL: a
    fresh database per folder, as each folder has its own SQLite file; writing a config
    into the same folder again keeps its database."""
    databases: dict[Path, str] = {}

    def lines(folder: Path) -> str:
        if store_kind == "sqlite":
            return ""
        key = Path(folder).resolve()
        if key not in databases:
            databases[key] = request.getfixturevalue("pg_databases").create()
        return pg_store_lines(databases[key])

    return lines


def store_of(config_path: Path) -> Store:
    """The store ``config_path`` names (its SQLite file or its PostgreSQL database), opened
    through pmsync's own Store, as a run opens it; the caller closes it."""
    config = load_config(config_path, default_registry())
    return Store(config.store_location, config.store_password())


def store_rows(config_path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """A read-only SELECT (``?`` placeholders) on the store ``config_path`` names, without
    opening it as pmsync does (no migration, no lock): for watching a store that another
    process is writing. Raises one of ``store_errors()`` while there is no such table yet."""
    config = load_config(config_path, default_registry())
    if config.store_url is None:
        conn = sqlite3.connect(f"file:{config.store_path}?mode=ro", uri=True)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(config.store_url, password=config.store_password()) as conn:
        return conn.execute(sql.replace("?", "%s"), params).fetchall()


def store_execute(config_path: Path, *statements: str) -> None:
    """Statements run straight on the store ``config_path`` names, outside pmsync: how a
    test edits or damages a store by hand, as someone with a SQL shell would."""
    config = load_config(config_path, default_registry())
    if config.store_url is None:
        conn = sqlite3.connect(config.store_path)
        try:
            for statement in statements:
                conn.execute(statement)
            conn.commit()
        finally:
            conn.close()
        return
    import psycopg

    with psycopg.connect(config.store_url, password=config.store_password(),
                         autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def lose_store(config_path: Path) -> None:
    """The store is lost (a new disk, a fresh database): its state_dir goes, and on
    PostgreSQL every table with it; the next run starts from the trackers alone."""
    config = load_config(config_path, default_registry())
    if config.store_url is not None:
        store_execute(config_path, "DROP SCHEMA public CASCADE", "CREATE SCHEMA public")
    shutil.rmtree(config.state_dir, ignore_errors=config.store_url is not None)


def store_values(config_path: Path) -> list[bytes]:
    """Every value in every table of the store ``config_path`` names, as bytes (a PostgreSQL
    store's counterpart of reading the SQLite file's bytes)."""
    tables = store_rows(config_path, "SELECT table_name FROM information_schema.tables "
                                     "WHERE table_schema = current_schema()")
    values: list[bytes] = []
    for (table,) in tables:
        for row in store_rows(config_path, f'SELECT * FROM "{table}"'):
            values += [bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode()
                       for v in row]
    return values


def store_errors() -> tuple[type[BaseException], ...]:
    """What ``store_rows`` raises on a store that is not there yet, on either database."""
    import psycopg

    return sqlite3.Error, psycopg.Error


@pytest.fixture
def new_store(store_kind, tmp_path, request):
    """A fresh, empty Store of this test's kind, without a config."""
    if store_kind == "sqlite":
        store = Store(tmp_path / "s.sqlite3")
    else:
        store = Store(request.getfixturevalue("pg_url"), os.environ.get(PG_PASSWORD_ENV))
    yield store
    store.close()


@pytest.fixture
def open_store(monkeypatch):
    """``open_store(config_path)``: the store that config names, SQLite or PostgreSQL."""
    from pmsync.plugins import default_registry
    from pmsync.workspace import Workspace

    opened = []

    def open_(path: Path):
        ws = Workspace.open(path, default_registry())
        opened.append(ws)
        return ws.store

    yield open_
    for ws in opened:
        ws.close()


@pytest.fixture
def config_path(sandbox, tmp_path, monkeypatch, store_for) -> Path:
    """The demo's config for this test's sandbox and store, with the token in the environment."""
    monkeypatch.setenv(TOKEN_ENV, sandbox.site.account.api_token)
    path = tmp_path / "pmsync.toml"
    path.write_text(store_for(tmp_path) + demo_config(sandbox.url, sandbox.site.account.email))
    return path


@pytest.fixture
def pmsync(config_path, capsys):
    """Run the CLI in-process: returns (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--config", str(config_path), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run
