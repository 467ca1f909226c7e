"""`pmsync run` against the sandbox through the CLI, twice, counting real writes."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta

from pmsync.model import fingerprint
from pmsync.store import Store


def comment_posts(sandbox) -> Counter:
    posts = sandbox.site.writes_to("POST", "/comment")
    return Counter(w["path"].split("/")[5] for w in posts)


def test_run_twice_is_sticky_and_incremental(sandbox, pmsync, config_path):
    code, out, err = pmsync("run")
    assert code == 0, err
    assert "findings  2" in out

    # One comment per finding, on the epic the finding concerns.
    site = sandbox.site
    blocked, (blocker,) = site.planted["blocker-scheduled-late"][0]
    blocked_epic = site.issues[blocked]["fields"]["parent"]["key"]
    blocker_epic = site.issues[blocker]["fields"]["parent"]["key"]
    # The blocker sits in another product line: its epic hears of the conflict too.
    expected = Counter({"PAY-1": 1, blocked_epic: 1, blocker_epic: 1})
    assert comment_posts(sandbox) == expected
    assert len(site.pages) == 3 and all(p["version"]["number"] == 1 for p in site.pages.values())

    # Between runs a person finishes a story in PAY's active sprint.
    sprint_field = site.field_ids["sprint"]
    planted = {k for cases in site.planted.values() for s, rel in cases for k in (s, *rel)}
    story = next(k for k, i in site.issues.items() if k.startswith("PAY-") and k not in planted
                 and i["fields"]["parent"]
                 and i["fields"]["parent"]["key"] not in ("PAY-1", blocked_epic)
                 and (i["fields"][sprint_field] or [{}])[0].get("state") == "active"
                 and i["fields"]["status"]["name"] != "Done")
    site.touch(story, status=site.status_field("Done"))

    code, out, err = pmsync("run")
    assert code == 0, err
    assert comment_posts(sandbox) == expected  # no second comment anywhere
    assert not site.writes_to("PUT", "/comment/")  # same findings, same text: no edit either
    pay_page = next(p for p in site.pages.values() if p["title"] == "Sprint review: Payments")
    assert pay_page["version"]["number"] == 2
    assert story in pay_page["body"]
    others = [p for p in site.pages.values() if p is not pay_page]
    assert all(p["version"]["number"] == 1 for p in others)  # unchanged content: no new version

    store = Store(config_path.parent / "state" / "pmsync.sqlite3")
    try:
        assert len(store.revision_runs()) == 2
        first, second = store.sync_log()
        assert first["full_sync"] == 1 and first["fetched"] == 60
        # The second sync asks only for what changed since the cursor: the touched story,
        # the two commented epics, and whatever sits inside the overlap window.
        touched = {story, "PAY-1", blocked_epic, blocker_epic}
        cursor = max(datetime.strptime(i["fields"]["updated"], "%Y-%m-%dT%H:%M:%S.%f%z")
                     for k, i in site.issues.items() if k not in touched)
        in_overlap = sum(
            1 for i in site.issues.values()
            if cursor - timedelta(minutes=3)
            <= datetime.strptime(i["fields"]["updated"], "%Y-%m-%dT%H:%M:%S.%f%z") <= cursor
        )
        assert second["full_sync"] == 0
        assert len(touched) <= second["fetched"] <= len(touched) + in_overlap < 10
    finally:
        store.close()

    code, out, _ = pmsync("check", "--format", "json")
    findings = json.loads(out)
    assert {f["fingerprint"] for f in findings} == {
        fingerprint("epic-overdue", "jira:PAY-1"),
        fingerprint("blocker-scheduled-late", f"jira:{blocked}", (f"jira:{blocker}",)),
    }


def test_lost_ledger_adopts_the_existing_comment(sandbox, pmsync, config_path):
    """A crash between posting a comment and recording it must not lead to a duplicate."""
    assert pmsync("run")[0] == 0
    store = Store(config_path.parent / "state" / "pmsync.sqlite3")
    store.conn.execute("DELETE FROM alerts")
    store.close()
    posts_before = len(sandbox.site.writes_to("POST", "/comment"))

    code, out, err = pmsync("alert")
    assert code == 0, err
    assert len(sandbox.site.writes_to("POST", "/comment")) == posts_before
    assert "3 edited" in out


def test_demo_runs_the_whole_cycle(tmp_path, capsys):
    from pmsync.cli import main

    assert main(["demo", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    # Jira and ClickUp together: the cross-tracker conflict is among the findings.
    assert "findings  4: blocker-scheduled-late 3, epic-overdue 1" in out
    assert "alerts    6 created" in out
    assert "report    Platform: page v1 (created)" in out
    assert "/wiki/spaces/PM/pages/" in out
    html = tmp_path / "state" / "reports" / "sprint-review-payments.html"
    assert html.exists() and "Sprint review: Payments" in html.read_text()
