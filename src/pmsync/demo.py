"""`pmsync demo`: the whole cycle against the built-in sandbox, in one command."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from pmsync.cycle import run_cycle
from pmsync.errors import EXIT_OK
from pmsync.lock import run_lock
from pmsync.sandbox import Sandbox
from pmsync.workspace import Workspace

TOKEN_ENV = "PMSYNC_DEMO_TOKEN"


def demo_config(url: str, email: str) -> str:
    return f"""\
# Written by `pmsync demo`: the sandbox's three product lines.
state_dir = "state"

[trackers.jira]
kind = "jira"
url = "{url}"
email = "{email}"
token_env = "{TOKEN_ENV}"
projects = ["PAY", "MOB", "WEB"]
pages_space = "PM"

[[product_lines]]
name = "Payments"
select = [{{ tracker = "jira", project = "PAY" }}]

[[product_lines]]
name = "Mobile"
select = [{{ tracker = "jira", project = "MOB" }}]

[[product_lines]]
name = "Web"
select = [{{ tracker = "jira", project = "WEB" }}]
"""


def run_demo(size: int = 60, port: int = 0, folder: Path | None = None,
             serve: bool = False) -> int:
    folder = Path(folder or tempfile.mkdtemp(prefix="pmsync-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    sandbox = Sandbox.start(size=size, port=port)
    try:
        config_path = folder / "pmsync.toml"
        config_path.write_text(demo_config(sandbox.url, sandbox.site.account.email))
        os.environ[TOKEN_ENV] = sandbox.site.account.api_token
        ws = Workspace.open(config_path)
        try:
            with run_lock(ws.config.lock_path):
                result = run_cycle(ws)
        finally:
            ws.close()
        print(f"pmsync demo against the sandbox at {sandbox.url}")
        print(f"config    {config_path}")
        print(result.summary())
        if serve:
            print(f"\nsandbox stays up at {sandbox.url} (open the page links above); "
                  "Ctrl-C to stop", flush=True)
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
        return EXIT_OK
    finally:
        sandbox.stop()
