"""Shared fixtures: a fresh sandbox per test on 127.0.0.1, and configs pointing at it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmsync.cli import main
from pmsync.demo import CLICKUP_TOKEN_ENV, demo_config
from pmsync.sandbox import Sandbox

TOKEN_ENV = "PMSYNC_DEMO_TOKEN"


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


@pytest.fixture
def config_path(sandbox, tmp_path, monkeypatch) -> Path:
    """The demo's config for this test's sandbox, with the token in the environment."""
    monkeypatch.setenv(TOKEN_ENV, sandbox.site.account.api_token)
    path = tmp_path / "pmsync.toml"
    path.write_text(demo_config(sandbox.url, sandbox.site.account.email))
    return path


@pytest.fixture
def pmsync(config_path, capsys):
    """Run the CLI in-process: returns (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--config", str(config_path), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run
