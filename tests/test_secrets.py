"""Secrets come from the environment and go nowhere else: not the logs, the store,
the reports, nor the pages and comments written to the trackers."""

from __future__ import annotations

import json

from conftest import store_values
from pmsync.cli import main


def test_tokens_never_leave_the_environment(sandbox, tmp_path, monkeypatch, capsys,
                                            write_clickup_config, store_kind):
    path = write_clickup_config(sandbox, tmp_path, monkeypatch)
    secrets = [sandbox.site.account.api_token, sandbox.clickup.token]
    assert main(["-v", "--config", str(path), "run"]) == 0
    out, err = capsys.readouterr()
    state = path.parent / "state"
    files = [p for p in state.rglob("*") if p.is_file()]
    assert any(p.suffix == ".html" for p in files)
    has_file = any("sqlite3" in p.name for p in files)
    assert has_file == (store_kind == "sqlite")
    # PostgreSQL: every value of every table, as the SQLite file's bytes are read below.
    stored = [] if has_file else store_values(path)
    assert has_file or len(stored) > 1000  # the store really holds the synced data
    written = json.dumps(sandbox.writes) + json.dumps(
        [c for c in sandbox.clickup.comments.values()])
    for secret in secrets:
        assert secret not in out and secret not in err and secret not in written
        for file in files:
            assert secret.encode() not in file.read_bytes(), file
        assert not [v for v in stored if secret.encode() in v]
