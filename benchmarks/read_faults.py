"""Read faults (issue 11): every fault kind on every read path of `pmsync sync`.

    python benchmarks/read_faults.py [--only TARGET] [--kinds K1 K2 ...]

The write side is benchmarks/exactly_once.py. Here, for each (read path, kind), a fresh
sandbox (Jira Cloud + ClickUp) arms one fault (`times=1`), pmsync (timeout 2 s) runs
`pmsync sync`, and the table says: how often the fault fired, pmsync's exit code, its
first error line, and whether the store holds every Jira issue and ClickUp task (a
read retried or resumed must lose nothing). Reproduce any row by hand with
`pmsync sandbox --fault SPEC`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from pmsync.demo import CLICKUP_TOKEN_ENV, TOKEN_ENV, demo_config
from pmsync.sandbox import Sandbox
from pmsync.store import Store

TARGETS = {
    "jira-search": "GET:/rest/api/*/search/jql",
    "jira-fields": "GET:/rest/api/*/field",
    "jira-boards": "GET:/rest/agile/1.0/board",
    "clickup-spaces": "GET:/api/v2/team/*/space",
    "clickup-list-tasks": "GET:/api/v2/list/*/task",
}
KINDS = ["lost=4", "reset=before", "reset=after", "503", "429", "429,retry-after=1",
         "malformed", "truncated"]


def stored_items(state: Path) -> int:
    store = Store(state / "pmsync.sqlite3")
    try:
        return store.count("item")
    finally:
        store.close()


def run_case(target: str, kind: str, folder: Path) -> dict:
    spec = f"{TARGETS[target]}:{kind}"
    with Sandbox.start(faults=[spec]) as sandbox:
        account, ws = sandbox.site.account, sandbox.clickup
        text = demo_config(sandbox.url, account.email, ws.team_id)
        tuning = "\ntimeout = 2\nretry_backoff = 0.1"
        text = text.replace('pages_space = "PM"', 'pages_space = "PM"' + tuning)
        text = text.replace('link_tracker = "jira"', 'link_tracker = "jira"' + tuning)
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / "pmsync.toml"
        config.write_text(text)
        env = {**os.environ, TOKEN_ENV: account.api_token, CLICKUP_TOKEN_ENV: ws.token}
        done = subprocess.run([sys.executable, "-m", "pmsync.cli", "--config", str(config),
                               "sync"], capture_output=True, text=True, env=env, timeout=600)
        errors = [ln for ln in done.stderr.splitlines() if ln.startswith("pmsync:")]
        expected = len(sandbox.site.issues) + len(ws.tasks)
        return {"fired": sum(sandbox.fault_counts().values()), "code": done.returncode,
                "complete": stored_items(folder / "state") == expected,
                "error": errors[0] if errors else ""}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(TARGETS), action="append")
    parser.add_argument("--kinds", nargs="+", default=KINDS)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="pmsync-read-faults-"))
    rows = []
    for target in args.only or TARGETS:
        for kind in args.kinds:
            row = run_case(target, kind, root / f"{target}-{len(rows)}")
            rows.append(row)
            print(f"{target:<19} {kind:<18} fired {row['fired']}  exit {row['code']}  "
                  f"{'all items' if row['complete'] else 'ITEMS MISSING':<13} "
                  f"{row['error'][:80]}", flush=True)
    failed = sum(1 for r in rows if r["code"] != 0 or not r["complete"])
    print(f"\n{len(rows)} cases, {sum(r['fired'] for r in rows)} faults fired, "
          f"{failed} syncs failed or incomplete")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
