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
CLICKUP_TOKEN_ENV = "PMSYNC_DEMO_CLICKUP_TOKEN"


def demo_config(url: str, email: str, clickup_team: str | None = None) -> str:
    """The sandbox's Jira lines, and its ClickUp line when ``clickup_team`` is given."""
    clickup = "" if clickup_team is None else f"""
[trackers.clickup]
kind = "clickup"
url = "{url}"
app_url = "{url}"
token_env = "{CLICKUP_TOKEN_ENV}"
team_id = "{clickup_team}"
waits_on_field = "Waits on (Jira)"
link_tracker = "jira"

[[product_lines]]
name = "Platform"
select = [{{ tracker = "clickup", space = "Platform" }}]
"""
    return f"""\
# Written by `pmsync demo`: the sandbox's product lines.
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
{clickup}"""


def run_demo(size: int = 60, port: int = 0, folder: Path | None = None,
             serve: bool = False) -> int:
    folder = Path(folder or tempfile.mkdtemp(prefix="pmsync-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    sandbox = Sandbox.start(size=size, port=port)
    try:
        config_path = folder / "pmsync.toml"
        clickup = sandbox.clickup
        config_path.write_text(demo_config(sandbox.url, sandbox.site.account.email,
                                           clickup.team_id if clickup else None))
        os.environ[TOKEN_ENV] = sandbox.site.account.api_token
        if clickup:
            os.environ[CLICKUP_TOKEN_ENV] = clickup.token
        ws = Workspace.open(config_path)
        try:
            with run_lock(ws.config.lock_path), ws.store.run("demo", holds_lock=True) as run:
                result = run_cycle(ws, run)
        finally:
            ws.close()
        print(f"pmsync demo against the sandbox at {sandbox.url}")
        print(f"config    {config_path}")
        print(result.summary())
        if not serve:
            print("\nThe html files above stay; the sandbox stops now. To open the page links "
                  "too, run `pmsync demo --serve`.")
        if serve:
            # What `pmsync sandbox` prints, and the variables this config names: other
            # commands can then run against the sandbox from another shell.
            tokens = {TOKEN_ENV: sandbox.site.account.api_token}
            if clickup:
                tokens[CLICKUP_TOKEN_ENV] = clickup.token
            print(f"\n{sandbox.describe()}\nother commands, from another shell:\n  export "
                  + " ".join(f"{var}={value}" for var, value in tokens.items())
                  + f"\n  pmsync --config {config_path} check")
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
