"""Progress on a terminal (checked on a pseudo-terminal), JSON log lines under cron."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from conftest import PG_PASSWORD_ENV
from pmsync.sandbox.server import RateLimit
from terminal import Terminal, plain


def tokens(sandbox) -> dict[str, str]:
    """The secrets a run reads: the trackers' tokens and, on PostgreSQL, the store's password
    (the terminal passes no other PMSYNC_ variable on)."""
    store = {PG_PASSWORD_ENV: os.environ[PG_PASSWORD_ENV]} if PG_PASSWORD_ENV in os.environ else {}
    return {"PMSYNC_DEMO_TOKEN": sandbox.site.account.api_token,
            "PMSYNC_DEMO_CLICKUP_TOKEN": sandbox.clickup.token, **store}


def test_sync_and_publish_show_progress_on_a_terminal(sandbox, tmp_path, monkeypatch,
                                                      write_clickup_config):
    config = write_clickup_config(sandbox, tmp_path, monkeypatch)
    # A short ClickUp window: the first sync runs into it and waits a few seconds.
    sandbox.clickup.rate_limit = RateLimit(6, 4.0)
    term = Terminal("--config", str(config), "run", cwd=tmp_path, env=tokens(sandbox))
    code, out = term.finish(timeout=120)
    screen = plain(out)
    assert code == 0, screen[-3000:]
    issues = len(sandbox.site.issues)
    # Jira: items fetched of the tracker's own count, to the end: on a first sync, the key
    # listing that plans its ranges (no count request of its own).
    assert re.search(rf"sync jira .*\b{issues}/{issues}\b", screen), screen[-3000:]
    assert not [r for r in sandbox.requests if r[1].endswith("/search/approximate-count")]
    # ClickUp: tasks fetched, and its lists walked one by one to the last.
    tasks = len(sandbox.clickup.tasks)
    assert re.search(rf"sync clickup .*\b{tasks}/{tasks} +(\d+)/\1 lists", screen), screen[-3000:]
    assert re.search(r"clickup: rate limit, waiting .* done", screen, re.I), screen[-3000:]
    assert re.search(r"publish .*\b5/5\b", screen), screen[-3000:]  # 4 reviews + the roadmap
    assert "\x1b[" in out  # drawn, not printed line by line


def test_cron_gets_json_lines_and_no_bars(sandbox, tmp_path, monkeypatch, write_clickup_config):
    config = write_clickup_config(sandbox, tmp_path, monkeypatch)
    result = subprocess.run([sys.executable, "-m", "pmsync.cli", "--config", str(config), "sync"],
                            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stderr.splitlines()
    assert lines and all(json.loads(line)["msg"] for line in lines)  # JSON, every one
    assert "\x1b[" not in result.stderr + result.stdout
    # No total is asked for where nobody watches.
    assert not [r for r in sandbox.requests if r[1].endswith("/search/approximate-count")]
