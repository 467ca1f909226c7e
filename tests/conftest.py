"""Shared fixtures: a fresh sandbox per test on 127.0.0.1, and configs pointing at it."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from pmsync.cli import main
from pmsync.demo import CLICKUP_TOKEN_ENV, demo_config
from pmsync.sandbox import Sandbox

TOKEN_ENV = "PMSYNC_DEMO_TOKEN"
# A PostgreSQL server for the tests: .ci/run starts one (.ci/pg-server) and sets these.
PG_URL_ENV = "PMSYNC_TEST_PG_URL"
PG_PASSWORD_ENV = "PMSYNC_TEST_PG_PASSWORD"
STORES = ["sqlite", "postgresql"]


@pytest.fixture
def sandbox():
    with Sandbox.start(seed=7, size=60) as sb:
        yield sb


def _write_clickup_config(sandbox, folder: Path, monkeypatch, extra: str = "") -> Path:
    """Jira and ClickUp together, as the demo runs them; ``extra`` joins [trackers.clickup]."""
    account, clickup = sandbox.site.account, sandbox.clickup
    monkeypatch.setenv(TOKEN_ENV, account.api_token)
    monkeypatch.setenv(CLICKUP_TOKEN_ENV, clickup.token)
    text = demo_config(sandbox.url, account.email, clickup.team_id)
    text = text.replace('link_tracker = "jira"', 'link_tracker = "jira"\nretry_backoff = 0' + extra)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pmsync.toml"
    path.write_text(text)
    return path


def _write_config(sandbox, folder: Path, monkeypatch, extra: str = "") -> Path:
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
    path.write_text(text)
    return path


@pytest.fixture
def write_config():
    """``write_config(sandbox, folder, monkeypatch, extra="")``: a Jira config for any sandbox."""
    return _write_config


@pytest.fixture
def write_clickup_config():
    """``write_clickup_config(sandbox, folder, monkeypatch, extra="")``: Jira and ClickUp."""
    return _write_clickup_config


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


@pytest.fixture
def pg_url(pg_server):
    """A fresh, empty database on the test server (dropped afterwards): its URL, without
    the password, which is in $PMSYNC_TEST_PG_PASSWORD as store_password_env names it."""
    import psycopg

    name = f"pmsync_t_{uuid.uuid4().hex[:12]}"
    password = os.environ.get(PG_PASSWORD_ENV)
    with psycopg.connect(pg_server, password=password, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield pg_server.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(pg_server, password=password, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def store_lines() -> str:
    """Top-level config lines choosing the store: none, SQLite in state_dir. A test module
    runs against both stores by overriding this fixture with ``store_params``."""
    return ""


def store_params(request) -> str:
    """For a module's ``store_lines`` fixture parametrised over STORES."""
    if request.param == "sqlite":
        return ""
    url = request.getfixturevalue("pg_url")
    return f'store = "{url}"\nstore_password_env = "{PG_PASSWORD_ENV}"\n'


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
def config_path(sandbox, tmp_path, monkeypatch, store_lines) -> Path:
    """The demo's config for this test's sandbox, with the token in the environment."""
    monkeypatch.setenv(TOKEN_ENV, sandbox.site.account.api_token)
    path = tmp_path / "pmsync.toml"
    path.write_text(store_lines + demo_config(sandbox.url, sandbox.site.account.email))
    return path


@pytest.fixture
def pmsync(config_path, capsys):
    """Run the CLI in-process: returns (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--config", str(config_path), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run
