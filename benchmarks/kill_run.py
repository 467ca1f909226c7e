"""kill -9 at random points of `pmsync run`: the end state must be a clean run's.

Each trial starts a fresh sandbox (Jira + Confluence + ClickUp, the same seed every time)
and an empty state folder, starts `pmsync run` as a child process, kills it with SIGKILL
after a random delay drawn over the length of a whole run (so the kill lands in the
sync, the check, the publishing or the alerts), then runs `pmsync run` again to the end.
What is left is compared with a run that was never interrupted:

* the store: every current record (kind, key, content; the tracker's `updated` time is
  left out, because pmsync's own comment moves it), the alert ledger
  (fingerprint, epic → state, text hash) and the page ledger (report → tracker, hash);
* the trackers: pmsync's comments on Jira issues and ClickUp tasks (by marker, with
  their text), Confluence pages, ClickUp Docs and Doc pages (by title, with content).

Counted: trials, kills that landed while the run was still working, duplicates (a
comment, page or Doc of ours twice) and mismatches (a trial whose end state differs from
the uninterrupted run's). The last two must be 0.

    .venv/bin/python benchmarks/kill_run.py [--trials 50] [--seed 1] [--size 60]

With ``--store postgresql://USER@HOST:PORT/DB`` (a server pmsync may create databases on;
the password in the variable ``--password-env`` names) every run keeps its store in a
fresh database of its own there, dropped at the end, instead of the SQLite file.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from _common import free_port

from pmsync.config import load_config
from pmsync.demo import CLICKUP_TOKEN_ENV, TOKEN_ENV, demo_config
from pmsync.plugins import default_registry
from pmsync.sandbox import Sandbox
from pmsync_jira.connector import read_marker


class Databases:
    """With --store: a fresh PostgreSQL database per run on that server, dropped at the end.
    Without: nothing (each run's SQLite store is a file in its own folder)."""

    def __init__(self, server: str | None, password_env: str):
        self.server, self.password_env, self.names = server, password_env, []

    def _admin(self):
        import psycopg

        return psycopg.connect(self.server, password=os.environ.get(self.password_env),
                               autocommit=True)

    def store_lines(self) -> str:
        if not self.server:
            return ""
        name = f"pmsync_kill_{uuid.uuid4().hex[:12]}"
        with self._admin() as admin:
            admin.execute(f"CREATE DATABASE {name}")
        self.names.append(name)
        url = self.server.rsplit("/", 1)[0] + "/" + name
        return f'store = "{url}"\nstore_password_env = "{self.password_env}"\n'

    def drop_all(self) -> None:
        if self.names:
            with self._admin() as admin:
                for name in self.names:
                    admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def write_config(sandbox: Sandbox, folder: Path, databases: Databases) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = demo_config(sandbox.url, sandbox.site.account.email, sandbox.clickup.team_id)
    text = text.replace('pages_space = "PM"', 'pages_space = "PM"\nretry_backoff = 0')
    text = text.replace('link_tracker = "jira"', 'link_tracker = "jira"\nretry_backoff = 0')
    (folder / "pmsync.toml").write_text(databases.store_lines() + text)
    return folder / "pmsync.toml"


def environment(sandbox: Sandbox) -> dict[str, str]:
    return {**os.environ, TOKEN_ENV: sandbox.site.account.api_token,
            CLICKUP_TOKEN_ENV: sandbox.clickup.token}


def start_run(config: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pmsync.cli", "--config", str(config), "run"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def run_to_the_end(config: Path, env: dict[str, str]) -> tuple[int, float, str]:
    start = time.perf_counter()
    proc = start_run(config, env)
    _, err = proc.communicate()
    return proc.returncode, time.perf_counter() - start, err


class NoStore(Exception):
    """The run was killed before its store (or its schema) was there."""


def store_state(config: Path) -> dict[str, Any]:
    """The store's end state, read straight from the database the config names."""
    settings = load_config(config, default_registry())
    if settings.store_url:
        import psycopg

        try:
            conn = psycopg.connect(settings.store_url, password=settings.store_password())
            conn.execute("SELECT 1 FROM alerts, pages LIMIT 1")
        except psycopg.Error:
            raise NoStore from None
    elif not settings.store_path.exists():
        raise NoStore
    else:
        conn = sqlite3.connect(settings.store_path)
        try:
            conn.execute("SELECT 1 FROM alerts, pages LIMIT 1")
        except sqlite3.Error:
            conn.close()
            raise NoStore from None
    try:
        return {
            # Without `updated`: a comment pmsync posted moves its epic's updated time (Jira
            # and ClickUp both do), so a rerun after a kill syncs that epic once more.
            "records": sorted((kind, key, json.dumps({**json.loads(data), "updated": None},
                                                     sort_keys=True))
                              for kind, key, data in conn.execute(
                                  "SELECT kind, key, data FROM records WHERE removed = 0")),
            "alerts": sorted(conn.execute(
                "SELECT fingerprint, target_key, state, body_hash FROM alerts")),
            "pages": sorted(conn.execute("SELECT report_key, tracker, body_hash FROM pages")),
        }
    finally:
        conn.close()


def tracker_state(sandbox: Sandbox) -> tuple[dict[str, Any], int]:
    """pmsync's writes in the sandbox by what identifies them, and how many repeat."""
    site, ws = sandbox.site, sandbox.clickup
    writes: dict[str, Counter] = {
        "jira comments": Counter(
            (key, read_marker(c["body"]), json.dumps(c["body"], sort_keys=True))
            for key, comments in site.comments.items() for c in comments
            if c.get("author") is None),
        "confluence pages": Counter(
            (p["spaceId"], p["title"], json.dumps(p.get("body"), sort_keys=True))
            for p in site.pages.values()),
        "clickup comments": Counter(
            (task, c["comment_text"]) for task, comments in ws.comments.items()
            for c in comments if c.get("user") is None),
        "clickup docs": Counter(d["name"] for d in ws.docs.values()),
        "clickup doc pages": Counter(
            (p["doc_id"] and ws.docs[p["doc_id"]]["name"], p["name"], p.get("content"))
            for p in ws.pages.values()),
    }
    identity = {  # what makes two writes "the same one" (a duplicate), whatever their text
        "jira comments": lambda k: k[:2], "confluence pages": lambda k: k[:2],
        "clickup comments": lambda k: (k[0], k[1].splitlines()[-1]),
        "clickup docs": lambda k: k, "clickup doc pages": lambda k: k[:2],
    }
    duplicates = 0
    for kind, counter in writes.items():
        by_identity = Counter()
        for key, n in counter.items():
            by_identity[identity[kind](key)] += n
        duplicates += sum(n - 1 for n in by_identity.values())
    return {kind: sorted(map(repr, counter.elements())) for kind, counter in writes.items()}, \
        duplicates


def end_state(sandbox: Sandbox, config: Path) -> tuple[dict[str, Any], int]:
    trackers, duplicates = tracker_state(sandbox)
    return {"store": store_state(config), "trackers": trackers}, duplicates


def phase(config: Path, sandbox: Sandbox, reference: dict[str, Any]) -> str:
    """Where the kill landed, read from what it left: the step that was not finished."""
    try:
        state = store_state(config)
    except NoStore:
        return "start-up"  # killed before the store or its schema was made
    if len(state["records"]) < len(reference["store"]["records"]) // 2:
        return "sync"
    if len(state["pages"]) < len(reference["store"]["pages"]):
        return "reports"
    if len(state["alerts"]) < len(reference["store"]["alerts"]):
        return "alerts"
    return "after the writes"


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    out = []
    for part in a:
        for kind in a[part]:
            if a[part][kind] != b[part][kind]:
                missing = len(set(map(str, a[part][kind])) - set(map(str, b[part][kind])))
                extra = len(set(map(str, b[part][kind])) - set(map(str, a[part][kind])))
                out.append(f"{part}/{kind}: {missing} missing, {extra} extra")
    return out


def sandbox(args) -> Sandbox:
    """The same site every time, on the same port (its URLs are in the records and links)."""
    return Sandbox.start(seed=args.sandbox_seed, size=args.size, clickup_size=args.clickup_size,
                         port=args.port, latency=args.latency)


def quiet_sandbox_threads() -> None:
    """A killed client leaves the sandbox's handler writing to a closed socket; the server
    thread would print that traceback, which says nothing about pmsync."""
    import socketserver

    socketserver.BaseServer.handle_error = lambda self, request, client_address: None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1, help="seeds the kill delays")
    parser.add_argument("--size", type=int, default=60, help="Jira issues in the sandbox")
    parser.add_argument("--clickup-size", type=int, default=40)
    parser.add_argument("--sandbox-seed", type=int, default=7)
    parser.add_argument("--signal", choices=["KILL", "TERM", "INT"], default="KILL",
                        help="TERM / INT: the run must also exit 143 / 130 with one line")
    parser.add_argument("--latency", type=float, default=0.01,
                        help="seconds the sandbox adds to each answer: spreads the kill points")
    parser.add_argument("--store", metavar="POSTGRESQL_URL",
                        help="a PostgreSQL server (its admin user): each run gets a fresh "
                        "database there instead of a SQLite file")
    parser.add_argument("--password-env", default="PMSYNC_TEST_PG_PASSWORD",
                        help="the variable holding --store's password")
    args = parser.parse_args()
    databases = Databases(args.store, args.password_env)
    try:
        trials(args, databases)
    finally:
        databases.drop_all()


def trials(args, databases: Databases) -> None:
    args.port = free_port()
    quiet_sandbox_threads()
    rng = random.Random(args.seed)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        with sandbox(args) as sb:  # the reference: a run nobody interrupts
            config = write_config(sb, Path(tmp) / "reference", databases)
            code, seconds, err = run_to_the_end(config, environment(sb))
            if code != 0:
                sys.exit(f"the uninterrupted run failed (exit {code}): {err[-500:]}")
            reference, ref_dupes = end_state(sb, config)
        print(f"reference run: {seconds:.1f} s, {len(reference['store']['records'])} records, "
              f"{len(reference['store']['alerts'])} alerts, "
              f"{sum(len(v) for v in reference['trackers'].values())} tracker writes, "
              f"{ref_dupes} duplicates", flush=True)
        landed = duplicates = mismatches = failed = bad_exits = before_main = 0
        phases: Counter = Counter()
        for n in range(args.trials):
            delay = rng.uniform(0.05, seconds * 0.9)  # the last tenth: mostly already done
            with sandbox(args) as sb:
                config = write_config(sb, Path(tmp) / f"trial-{n}", databases)
                env = environment(sb)
                proc = start_run(config, env)
                time.sleep(delay)
                working = proc.poll() is None
                proc.send_signal(getattr(signal, f"SIG{args.signal}"))
                _, killed_err = proc.communicate()
                landed += working
                if working and args.signal != "KILL":
                    expected = {"TERM": 143, "INT": 130}[args.signal]
                    lines = [x for x in killed_err.splitlines() if x.startswith("pmsync:")]
                    # killed before main() took the signal over: Python's own default ending
                    early = proc.returncode in (-signal.SIGTERM, 1) and not lines
                    before_main += early
                    if not early and (proc.returncode != expected or len(lines) != 1
                                      or "Traceback" in killed_err):
                        bad_exits += 1
                        print(f"           exit {proc.returncode}: {killed_err[-300:]}")
                where = phase(config, sb, reference) if working else "after it ended"
                phases[where] += 1
                code, _, err = run_to_the_end(config, env)
                state, dupes = end_state(sb, config)
            diff = differences(reference, state)
            failed += code != 0
            duplicates += dupes
            mismatches += bool(diff)
            print(f"trial {n + 1:3}: kill at {delay:5.2f} s ({where}), rerun exit {code}, "
                  f"duplicates {dupes}, {'same end state' if not diff else '; '.join(diff)}"
                  + (f"\n           {err.strip().splitlines()[-1]}" if code else ""), flush=True)
    print(f"\n{args.trials} trials in {time.perf_counter() - start:.0f} s; kills mid-run: "
          f"{landed} (by step: {dict(phases.most_common())}); reruns failed: {failed}; "
          f"duplicates: {duplicates}; end states differing from the uninterrupted run: {mismatches}"
          + (f"; SIG{args.signal} exits not one line + {143 if args.signal == 'TERM' else 130}: "
             f"{bad_exits} ({before_main} arrived before pmsync's main had started)"
             if args.signal != "KILL" else ""))
    if duplicates or mismatches or failed or bad_exits:
        sys.exit(1)


if __name__ == "__main__":
    main()
