"""`pmsync init --store postgresql://…`: the config keeps its store in PostgreSQL, the
password named by an environment variable (never written), as the README's store section
shows; a run with that config syncs into the server. Driven through the CLI, on a
pseudo-terminal (the questions) and without one (the commented sample)."""

from __future__ import annotations

import subprocess
import sys
import tomllib

from conftest import PG_PASSWORD_ENV, store_rows
from pmsync.cli import main
from pmsync.config import SAMPLE_CONFIG
from terminal import Terminal


def test_init_writes_a_postgresql_store_that_a_run_syncs_into(sandbox, tmp_path, monkeypatch,
                                                              capsys, pg_url):
    config = tmp_path / "pmsync.toml"
    term = Terminal("--config", str(config), "init", "--store", pg_url,
                    "--store-password-env", PG_PASSWORD_ENV, cwd=tmp_path)
    for prompt, text in [("Tracker kind", ""), ("Name for it", ""), ("Jira URL", sandbox.url),
                         ("Is this Jira Cloud?", "y"), ("Account email", "demo@example.com"),
                         ("hold the API token", "PM_TOKEN"), ("Project keys", "PAY"),
                         ("Confluence space key", ""), ("Add another tracker?", "n"),
                         ("One product line per project (PAY)?", ""),
                         ("Name of the line for project PAY [PAY]: ", "Payments")]:
        term.answer(prompt, text)
    code, out = term.finish()
    assert code == 0, out
    assert "pip install 'pmsync[postgres]'" in out and f"export {PG_PASSWORD_ENV}=..." in out
    top = tomllib.loads(config.read_text())
    assert top["store"] == pg_url and top["store_password_env"] == PG_PASSWORD_ENV
    monkeypatch.setenv("PM_TOKEN", sandbox.site.account.api_token)
    assert main(["--config", str(config), "sync"]) == 0, capsys.readouterr()
    pay = sum(key.startswith("PAY-") for key in sandbox.site.issues)
    assert store_rows(config, "SELECT COUNT(*) FROM records WHERE kind = 'item' "
                              "AND key LIKE ? AND removed = 0", ("jira:PAY-%",)) == [(pay,)]
    assert not list((tmp_path / "state").glob("*.sqlite3"))  # nothing went to SQLite


def test_without_a_terminal_init_writes_the_sample_with_the_store(tmp_path, pg_url):
    config = tmp_path / "pmsync.toml"
    made = subprocess.run([sys.executable, "-m", "pmsync.cli", "--config", str(config), "init",
                           "--store", pg_url], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    text = config.read_text()
    top = tomllib.loads(text)
    assert top["store"] == pg_url and top["store_password_env"] == "PMSYNC_STORE_PASSWORD"
    assert text.replace(text[text.index("\n# The store"):text.index("store_password_env")], "") \
        .replace('store_password_env = "PMSYNC_STORE_PASSWORD"\n', "") == SAMPLE_CONFIG
    assert "export PMSYNC_STORE_PASSWORD=..." in made.stdout


def test_a_bad_store_is_one_line_and_writes_nothing(tmp_path):
    config = tmp_path / "pmsync.toml"
    for args, says in [
            (["--store", "postgresql://pmsync:hunter2@db.example.com/pmsync"], "password"),
            (["--store", "mysql://db.example.com/pmsync"], "postgresql://"),
            (["--store", "postgresql://db.example.com/pmsync", "--store-password-env",
              "not a name"], "--store-password-env"),
            (["--store-password-env", "PMSYNC_STORE_PASSWORD"], "goes with --store")]:
        result = subprocess.run([sys.executable, "-m", "pmsync.cli", "--config", str(config),
                                 "init", *args], stdin=subprocess.DEVNULL, capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 2, (args, result.stderr)
        (line,) = result.stderr.strip().splitlines()
        assert says in line and "hunter2" not in line, line
        assert not config.exists()
