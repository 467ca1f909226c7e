"""Comments live with their findings: untouched when nothing changed, resolved when the
problem goes, reopened when it comes back; digest mode gathers an epic's findings."""

from __future__ import annotations

import json

from pmsync.cli import main


def writes(sandbox, method: str, fragment: str) -> int:
    return len(sandbox.writes_to(method, fragment))


def run(path) -> int:
    return main(["--config", str(path), "run"])


def test_unchanged_findings_make_no_writes_resolve_and_reopen(sandbox, config_path, capsys):
    site = sandbox.site
    assert run(config_path) == 0
    posts, puts = writes(sandbox, "POST", "/comment"), writes(sandbox, "PUT", "/comment")
    page_writes = writes(sandbox, "POST", "/wiki/") + writes(sandbox, "PUT", "/wiki/")
    assert posts > 0 and puts == 0

    assert run(config_path) == 0  # nothing changed anywhere
    assert writes(sandbox, "POST", "/comment") == posts and writes(sandbox, "PUT", "/comment") == 0
    assert writes(sandbox, "POST", "/wiki/") + writes(sandbox, "PUT", "/wiki/") == page_writes

    # The overdue epic gets done: its one comment is marked resolved, nothing else moves.
    overdue = site.planted["epic-overdue"][0][0].split(":")[1]
    site.touch(overdue, status=site.status_field("Done"),
               resolution={"id": "10000", "name": "Done", "description": ""})
    capsys.readouterr()
    assert run(config_path) == 0
    assert "1 resolved" in capsys.readouterr().out
    edits = sandbox.writes_to("PUT", "/comment")
    assert len(edits) == 1 and f"/issue/{overdue}/comment/" in edits[0]["path"]
    assert "Resolved on" in json.dumps(edits[0]["body"])
    assert writes(sandbox, "POST", "/comment") == posts

    # It is reopened: the same comment is edited back, no new one.
    site.touch(overdue, status=site.status_field("In Progress"), resolution=None)
    assert run(config_path) == 0
    edits = sandbox.writes_to("PUT", "/comment")
    assert len(edits) == 2 and "Resolved on" not in json.dumps(edits[1]["body"])
    assert writes(sandbox, "POST", "/comment") == posts


def test_comments_link_to_the_report_page(sandbox, config_path):
    assert run(config_path) == 0
    page = next(p for p in sandbox.site.pages.values() if p["title"] == "Sprint review: Payments")
    bodies = [json.dumps(w["body"]) for w in sandbox.writes_to("POST", "/comment")]
    assert any(f"/pages/{page['id']}/" in body for body in bodies)


def test_digest_mode_posts_one_comment_per_epic(sandbox, tmp_path, monkeypatch, capsys, write_config):
    path = write_config(sandbox, tmp_path, monkeypatch)
    path.write_text(path.read_text().replace(
        'name = "Payments"\n', 'name = "Payments"\nalerts = "digest"\n'))
    assert run(path) == 0
    pay_posts = [w for w in sandbox.writes_to("POST", "/comment") if "/issue/PAY-" in w["path"]]
    targets = [w["path"].split("/")[5] for w in pay_posts]
    assert len(targets) == len(set(targets))  # one comment per Payments epic
    busiest = max(pay_posts, key=lambda w: json.dumps(w["body"]).count("["))
    assert "open problems on" in json.dumps(busiest["body"])
    posts = len(sandbox.writes_to("POST", "/comment"))
    assert run(path) == 0  # unchanged: the digests are left alone
    assert len(sandbox.writes_to("POST", "/comment")) == posts
    assert not sandbox.writes_to("PUT", "/comment")
