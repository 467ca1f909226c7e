"""Exactly-once writes under faults, with people's comments in the way: the figures.

For every write kind (Jira Cloud / Data Center comment, ClickUp comment, Confluence
Cloud / Data Center page, ClickUp Doc, ClickUp Doc page) and every fault the sandbox
injects on it (lost answer past the timeout, reset before / after the write, truncated
and malformed answers, 503, 429), a trial:

1. a clean `pmsync run` against a fresh sandbox;
2. the store is lost, pmsync's comments and pages are deleted (as a person might), and
   next to where each comment was, people leave two comments quoting its marker: one in
   a sentence, one with the marker alone on the last line, exactly as pmsync writes it;
3. the fault is armed (up to three hits) and `pmsync run` writes everything again.

Counted: faults fired by kind, runs that failed, duplicates (a comment, page or Doc of
ours twice), and people's comments edited or deleted. The last two must be 0.

    .venv/bin/python benchmarks/exactly_once.py [--trials N] [--kinds lost,reset=after]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from pmsync.cli import main
from pmsync.demo import CLICKUP_TOKEN_ENV, demo_config
from pmsync.sandbox import Sandbox
from pmsync.sandbox.jira_comments import text_to_adf
from pmsync_jira.connector import read_marker

TOKEN_ENV = "PMSYNC_DEMO_TOKEN"
WRITES = {
    "jira-cloud-comment": ("Cloud", "POST:/rest/api/3/issue/*/comment"),
    "jira-dc-comment": ("Server", "POST:/rest/api/2/issue/*/comment"),
    "confluence-cloud-page": ("Cloud", "POST:/wiki/api/v2/pages"),
    "confluence-dc-page": ("Server", "POST:/rest/api/content"),
    "clickup-comment": ("Cloud", "POST:/api/v2/task/*/comment"),
    "clickup-doc": ("Cloud", "POST:/api/v3/workspaces/*/docs"),
    "clickup-doc-page": ("Cloud", "POST:/api/v3/workspaces/*/docs/*/pages"),
}
FAULTS = ["lost=4", "reset=after", "reset=before", "truncated", "malformed", "status=503",
          "status=429,retry-after=0"]
PERSON = {"accountId": "557058:person-pat", "displayName": "Pat Person", "name": "pat",
          "key": "JIRAUSER20001"}
CLICKUP_PERSON = {"id": 4242, "username": "Pat Person", "email": "pat@example.com"}


def write_config(sandbox: Sandbox, folder: Path) -> Path:
    account = sandbox.site.account
    team = sandbox.clickup.team_id if sandbox.clickup else None
    text = demo_config(sandbox.url, account.email, team) if team else \
        demo_config(sandbox.url, account.email)
    if sandbox.site.is_cloud:
        os.environ[TOKEN_ENV] = account.api_token
    else:
        os.environ[TOKEN_ENV] = account.personal_access_token
        text = text.replace(f'email = "{account.email}"\n', "")
        text = text.replace('pages_space = "PM"', f'pages_space = "PM"\nconfluence_url = '
                                                  f'"{sandbox.url}"')
    if sandbox.clickup:
        os.environ[CLICKUP_TOKEN_ENV] = sandbox.clickup.token
    # timeout 2 s against answers held 4 s; no back-off sleeps (the trial is about writes)
    text = text.replace('pages_space = "PM"', 'pages_space = "PM"\ntimeout = 2\nretry_backoff = 0')
    text = text.replace('link_tracker = "jira"', 'link_tracker = "jira"\ntimeout = 2\n'
                                                 'retry_backoff = 0')
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pmsync.toml").write_text(text)
    return folder / "pmsync.toml"


def run(path: Path) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(["--config", str(path), "run"])


def forget_our_writes(sandbox: Sandbox, path: Path) -> list[tuple[dict, str]]:
    """Lose the store, delete our comments and pages, leave people's comments quoting the
    markers. Returns the people's comments with a snapshot of each."""
    shutil.rmtree(path.parent / "state")
    people = []
    site = sandbox.site
    for comments in site.comments.values():
        ours = [c for c in comments if c.get("author") is None]
        for comment in ours:
            comments.remove(comment)
            fp = read_marker(comment["body"])
            for text in (f"HUMAN NOTE: customer escalation, do not delete. pmsync:{fp}",
                         f"Copied from the bot:\npmsync:{fp}"):
                body = text_to_adf(text) if site.is_cloud else text
                human = {"id": site.next_id(), "body": body, "author": dict(PERSON),
                         "created": comment["created"], "updated": comment["updated"]}
                comments.append(human)
                people.append((human, json.dumps(human, sort_keys=True)))
    site.pages.clear()
    if sandbox.clickup:
        ws = sandbox.clickup
        for comments in ws.comments.values():
            for comment in [c for c in comments if c.get("user") is None]:
                comments.remove(comment)
                marker = comment["comment_text"].splitlines()[-1]
                for text in (f"HUMAN NOTE: customer escalation, do not delete. {marker}",
                             f"Copied from the bot:\n{marker}"):
                    human = {"id": ws.next_id(), "comment_text": text, "comment": [{"text": text}],
                             "date": ws.now_ms(), "user": dict(CLICKUP_PERSON)}
                    comments.append(human)
                    people.append((human, json.dumps(human, sort_keys=True)))
        ws.docs.clear()
        ws.pages.clear()
    return people


def ours(sandbox: Sandbox) -> set:
    """Every comment, page and Doc of ours, by what identifies it."""
    found = {("jira", key, read_marker(c["body"])) for key, comments in sandbox.site.comments.items()
             for c in comments if c.get("author") is None}
    found |= {("page", p["title"]) for p in sandbox.site.pages.values()}
    if sandbox.clickup:
        ws = sandbox.clickup
        found |= {("clickup", t, c["comment_text"].splitlines()[-1])
                  for t, comments in ws.comments.items() for c in comments if c.get("user") is None}
        found |= {("doc", d["name"]) for d in ws.docs.values()}
        found |= {("doc-page", p["name"]) for p in ws.pages.values()}
    return found


def duplicates(sandbox: Sandbox) -> int:
    ours = Counter((key, read_marker(c["body"])) for key, comments in sandbox.site.comments.items()
                   for c in comments if c.get("author") is None)
    pages = Counter((p["spaceId"], p["title"]) for p in sandbox.site.pages.values())
    extra = sum(n - 1 for n in [*ours.values(), *pages.values()])
    if sandbox.clickup:
        ws = sandbox.clickup
        cu = Counter((t, c["comment_text"].splitlines()[-1]) for t, comments in ws.comments.items()
                     for c in comments if c.get("user") is None)
        docs = Counter(d["name"] for d in ws.docs.values())
        doc_pages = Counter((p["doc_id"], p["name"]) for p in ws.pages.values())
        extra += sum(n - 1 for n in [*cu.values(), *docs.values(), *doc_pages.values()])
    return extra


def people_touched(sandbox: Sandbox, people: list[tuple[dict, str]]) -> int:
    present = {id(c) for comments in sandbox.site.comments.values() for c in comments}
    if sandbox.clickup:
        present |= {id(c) for comments in sandbox.clickup.comments.values() for c in comments}
    return sum(1 for comment, snapshot in people
               if id(comment) not in present or json.dumps(comment, sort_keys=True) != snapshot)


def trial(write: str, fault: str | None, folder: Path) -> dict:
    """One trial; ``fault`` None is the control: the same steps with nothing injected."""
    deployment, path_glob = WRITES[write]
    clickup = write.startswith("clickup")
    with Sandbox.start(seed=7, size=40, deployment=deployment,
                       clickup_size=30 if clickup else 0) as sandbox:
        path = write_config(sandbox, folder)
        if run(path) != 0:
            return {"failed": 1, "fired": {}, "duplicates": 0, "people": 0, "human": 0,
                    "ours": set()}
        people = forget_our_writes(sandbox, path)
        armed = sandbox.inject(f"{path_glob}:{fault},times=3") if fault else []
        code = run(path)
        return {"failed": int(code != 0), "fired": {f.label: f.fired for f in armed},
                "ours": ours(sandbox),
                "duplicates": duplicates(sandbox), "people": people_touched(sandbox, people),
                "human": len(people)}


def main_cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=1)
    parser.add_argument("--kinds", default=",".join(FAULTS).replace(",retry-after=0", ""))
    args = parser.parse_args()
    kinds = [k if k != "status=429" else "status=429,retry-after=0" for k in
             args.kinds.split(",")]
    fired: Counter = Counter()
    failed = dupes = touched = humans = trials = missing = 0
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for write in WRITES:
            # The control: what the same steps write with no fault (a lost store changes
            # one finding by itself: stale-epic cannot tell our comments' activity).
            control = trial(write, None, Path(tmp) / f"{write}-control")["ours"]
            for kind in kinds:
                for n in range(args.trials):
                    result = trial(write, kind, Path(tmp) / f"{write}-{kind}-{n}")
                    result["missing"] = len(control - result["ours"])
                    trials += 1
                    fired.update(result["fired"])
                    failed += result["failed"]
                    dupes += result["duplicates"]
                    missing += result["missing"]
                    touched += result["people"]
                    humans += result["human"]
                    print(f"{write:22} {kind:26} fired {sum(result['fired'].values())} "
                          f"failed {result['failed']} missing {result['missing']} "
                          f"duplicates {result['duplicates']} "
                          f"people's comments touched {result['people']}/{result['human']}",
                          flush=True)
    print(f"\n{trials} trials in {time.perf_counter() - start:.0f} s over {len(WRITES)} write "
          f"kinds; faults fired by kind: {dict(sorted(fired.items()))} "
          f"(total {sum(fired.values())})")
    print(f"runs failed: {failed}; writes missing after the run: {missing}; duplicates: {dupes}; "
          f"people's comments edited or deleted: {touched} of {humans} planted")
    if dupes or touched or missing or failed:
        sys.exit(1)


if __name__ == "__main__":
    main_cli()
