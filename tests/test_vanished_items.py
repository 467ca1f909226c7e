"""Before a comment is posted or edited, the items it names must still exist (issue 12).

An incremental sync cannot see a deletion (only the periodic reconcile can), so without
this check a finding about a deleted blocker is posted, or kept open, for up to a day.
A moved issue answers under its new key: it is the same item, and its finding stands.
"""

from __future__ import annotations

import json
import re

import pytest

from pmsync.cli import main
from pmsync.model import fingerprint
from pmsync.sandbox import Sandbox
from pmsync_jira.connector import read_marker

# The sandbox's planted cross-line conflicts (seed 7): PAY-38 is blocked by MOB-42, which
# was cancelled; PAY-36 by MOB-37, which is scheduled too late.
CANCELLED = fingerprint("blocker-cancelled", "jira:PAY-38", ("jira:MOB-42",))
LATE = fingerprint("blocker-scheduled-late", "jira:PAY-36", ("jira:MOB-37",))


@pytest.fixture(params=["Cloud", "Server"])
def jira(request):
    with Sandbox.start(seed=7, size=60, deployment=request.param, clickup_size=0) as sb:
        yield sb


def run(path, *args: str) -> int:
    return main(["--config", str(path), *args])


def our_comments(site) -> dict[str, list[dict]]:
    """fingerprint → pmsync's comments carrying it."""
    found: dict[str, list[dict]] = {}
    for comments in site.comments.values():
        for comment in comments:
            if comment.get("author") is None:
                found.setdefault(read_marker(comment["body"]), []).append(comment)
    return found


def test_a_new_finding_about_a_deleted_item_is_not_posted(jira, tmp_path, monkeypatch, capsys,
                                                         write_config):
    site = jira.site
    path = write_config(jira, tmp_path, monkeypatch)
    assert run(path, "sync") == 0
    site.delete_issue("MOB-42")  # after the sync: the store still holds it
    searches = len([r for r in jira.requests if "/search" in r[1]])
    capsys.readouterr()
    assert run(path, "run") == 0  # an incremental sync: it cannot see the deletion
    err = capsys.readouterr().err
    comments = our_comments(site)
    assert CANCELLED not in comments  # nothing said about a blocker that is gone
    assert LATE in comments  # the control: the other conflicts were posted
    assert "deleted since the last sync: jira:MOB-42" in err
    # Keyed searches for the whole batch, never one issue at a time (nothing was moved).
    assert not [r for r in jira.requests[searches:]
                if re.fullmatch(r"/rest/api/\d/issue/[A-Z]+-\d+", r[1])]


def test_a_moved_item_is_the_same_item(jira, tmp_path, monkeypatch, capsys, write_config):
    site = jira.site
    path = write_config(jira, tmp_path, monkeypatch)
    assert run(path, "sync") == 0
    new_key = site.move_issue("MOB-37", "WEB")
    capsys.readouterr()
    assert run(path, "run") == 0
    err = capsys.readouterr().err
    assert f"jira:MOB-37 is now jira:{new_key}" in err
    assert LATE in our_comments(site)  # still about the same blocker: posted


def test_a_deleted_clickup_task_is_checked_too(sandbox, tmp_path, monkeypatch, capsys,
                                               write_clickup_config):
    path = write_clickup_config(sandbox, tmp_path, monkeypatch)
    assert run(path, "sync") == 0
    capsys.readouterr()
    assert run(path, "check", "--format", "json") in (0, 1)
    data = json.loads(capsys.readouterr().out)
    findings = data if isinstance(data, list) else data["findings"]
    within = next(f for f in findings if f["rule"] == "blocker-scheduled-late" and all(
        k.startswith("clickup:") for k in [f["subject"], *f["related"]]))
    across = next(f for f in findings if f["rule"] == "blocker-scheduled-late"
                  and f is not within and any(k.startswith("clickup:")
                                              for k in [f["subject"], *f["related"]]))
    blocker = within["related"][0].split(":", 1)[1]
    del sandbox.clickup.tasks[blocker]  # deleted in ClickUp after the sync
    assert run(path, "run") == 0
    markers = {c["comment_text"].splitlines()[-1] for comments in sandbox.clickup.comments.values()
               for c in comments}
    markers |= {str(read_marker(c["body"])) for comments in sandbox.site.comments.values()
                for c in comments}
    assert f"pmsync:{within['fingerprint']}" not in markers
    assert f"pmsync:{across['fingerprint']}" in markers or across["fingerprint"] in markers
