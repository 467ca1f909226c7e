"""Writes happen exactly once, and only on what pmsync's own account wrote.

The marker is read from a comment's own last line only; a person's comment is never
adopted, edited or deleted, whatever it says; repeats of ours are folded into one;
after a lost store nothing that already says the right thing is written again.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from conftest import lose_store
from pmsync.cli import main
from pmsync.sandbox import Sandbox
from pmsync.sandbox.jira_comments import text_to_adf
from pmsync_jira.connector import read_marker as find_marker

PERSON = {"accountId": "557058:person-pat", "displayName": "Pat Person", "name": "pat",
          "key": "JIRAUSER20001"}
CLICKUP_PERSON = {"id": 4242, "username": "Pat Person", "email": "pat@example.com",
                  "color": "#000000", "initials": "PP", "profilePicture": None}


def run(path, *args: str) -> int:
    return main(["--config", str(path), *args])


def ours_by_marker(site) -> Counter:
    """(issue, fingerprint) → how many of pmsync's own comments carry it."""
    found: Counter = Counter()
    for key, comments in site.comments.items():
        for comment in comments:
            if comment.get("author") is None:  # written by the account pmsync calls with
                found[(key, find_marker(comment["body"]))] += 1
    return found


@pytest.fixture(params=["Cloud", "Server"])
def jira(request):
    with Sandbox.start(seed=7, size=60, deployment=request.param, clickup_size=0) as sb:
        yield sb


def person_comment(site, key: str, text: str) -> dict:
    body = text_to_adf(text) if site.is_cloud else text
    comment = {"id": site.next_id(), "body": body, "created": "2026-11-01T10:00:00.000+0000",
               "updated": "2026-11-01T10:00:00.000+0000", "author": dict(PERSON)}
    site.comments.setdefault(key, []).append(comment)
    return comment


def test_spoofed_markers_and_peoples_comments_are_never_taken_for_ours(
        jira, tmp_path, monkeypatch, capsys, write_config):
    sandbox, site = jira, jira.site
    path = write_config(jira, tmp_path, monkeypatch)
    assert run(path, "run") == 0
    first = ours_by_marker(site)
    assert first and set(first.values()) == {1}
    (epic, fp), *rest = sorted(first)
    other_fp = rest[0][1]

    # A title quoting another finding's marker, and two people quoting this one's: one in a
    # sentence, one with the marker alone on the last line, exactly as pmsync writes it.
    site.touch(epic, summary=f"Checkout pmsync:{other_fp} rework")
    human = [person_comment(site, epic, f"HUMAN NOTE: customer escalation, do not delete. "
                                        f"pmsync:{fp}"),
             person_comment(site, epic, f"Copied from the bot:\npmsync:{fp}")]
    before = [json.dumps(c["body"]) for c in human]
    assert run(path, "run") == 0  # the title changed: our comment on the epic is edited

    for _ in range(2):  # a lost store, twice: adopt, never add
        lose_store(path)
        posts = len(sandbox.writes_to("POST", "/comment"))
        puts = len(sandbox.writes_to("PUT", "/comment"))
        capsys.readouterr()
        assert run(path, "run") == 0
        assert len(sandbox.writes_to("POST", "/comment")) == posts
        assert len(sandbox.writes_to("PUT", "/comment")) == puts  # unchanged text: no edit
        assert "alerts: 0 created, 0 edited, 0 resolved" in capsys.readouterr().err
        assert ours_by_marker(site) == first

    assert [json.dumps(c["body"]) for c in human] == before
    assert all(c in site.comments[epic] for c in human)
    touched = {w["path"].rsplit("/", 1)[-1] for w in sandbox.writes
               if w["method"] in ("PUT", "DELETE") and "/comment/" in w["path"]}
    assert not touched & {c["id"] for c in human}


def test_repeats_of_our_comments_are_folded_people_stay(jira, tmp_path, monkeypatch,
                                                        write_config):
    sandbox, site = jira, jira.site
    path = write_config(jira, tmp_path, monkeypatch)
    assert run(path, "run") == 0
    first = ours_by_marker(site)
    (epic, fp), (other_epic, other_fp) = sorted(first)[:2]
    # An older version lost an answer and posted twice; a person quotes the marker.
    for key, mark in ((epic, fp), (other_epic, other_fp)):
        ours = next(c for c in site.comments[key] if c.get("author") is None
                    and find_marker(c["body"]) == mark)
        site.comments[key].append({**ours, "id": site.next_id()})
    person = person_comment(site, epic, f"pmsync:{fp}")
    assert ours_by_marker(site)[(epic, fp)] == 2

    lose_store(path)  # adoption folds them ...
    assert run(path, "run") == 0
    site.touch(other_epic, summary="Renamed")  # ... and so does the next write on an epic
    assert run(path, "run") == 0

    assert ours_by_marker(site) == first
    assert person in site.comments[epic]
    deleted = sandbox.writes_to("DELETE", "/comment/")
    assert len(deleted) == 2 and person["id"] not in {w["path"].rsplit("/", 1)[-1]
                                                      for w in deleted}


def test_after_a_lost_store_unchanged_pages_get_no_new_version(jira, tmp_path, monkeypatch,
                                                              write_config):
    sandbox, site = jira, jira.site
    path = write_config(jira, tmp_path, monkeypatch)
    assert run(path, "run") == 0
    # (A first lost store may change a finding: stale-epic cannot tell our own comments'
    # activity without its ledger. From then on the content is the same.)
    lose_store(path)
    assert run(path, "run") == 0
    versions = {p["id"]: p["version"]["number"] for p in site.pages.values()}
    writes = len(sandbox.writes)
    lose_store(path)
    assert run(path, "run") == 0
    page_writes = [w for w in sandbox.writes[writes:] if "/wiki/" in w["path"]
                   or "/rest/api/content" in w["path"]]
    assert page_writes == []
    assert {p["id"]: p["version"]["number"] for p in site.pages.values()} == versions


def clickup_person_comment(ws, task_id: str, text: str) -> dict:
    comment = {"id": ws.next_id(), "comment_text": text, "comment": [{"text": text}],
               "date": ws.now_ms(), "user": dict(CLICKUP_PERSON)}
    ws.comments.setdefault(task_id, []).append(comment)
    return comment


def clickup_ours(ws) -> Counter:
    found: Counter = Counter()
    for task_id, comments in ws.comments.items():
        for comment in comments:
            if comment.get("user") is None:
                found[(task_id, comment["comment_text"].splitlines()[-1])] += 1
    return found


def test_clickup_people_are_never_touched_repeats_fold_pages_stay(
        sandbox, tmp_path, monkeypatch, write_clickup_config):
    ws = sandbox.clickup
    path = write_clickup_config(sandbox, tmp_path, monkeypatch)
    assert run(path, "run") == 0
    first = clickup_ours(ws)
    (task, marker), *_ = sorted(first)
    people = [clickup_person_comment(ws, task, f"HUMAN NOTE: customer escalation, do not "
                                               f"delete. {marker}"),
              clickup_person_comment(ws, task, f"quoting:\n{marker}")]
    texts = [c["comment_text"] for c in people]
    ours = next(c for c in ws.comments[task] if c.get("user") is None)
    ws.comments[task].append({**ours, "id": ws.next_id()})  # a repeat of ours
    doc_pages = {pid: dict(p) for pid, p in ws.pages.items()}

    lose_store(path)
    posts = len(sandbox.writes_to("POST", "/comment"))
    doc_writes = len([w for w in sandbox.writes if "/api/v3/" in w["path"]])
    assert run(path, "run") == 0
    assert len(sandbox.writes_to("POST", "/comment")) == posts
    assert not sandbox.writes_to("PUT", "/api/v2/comment/")  # unchanged: adopted as it is
    assert clickup_ours(ws) == first
    assert [c["comment_text"] for c in people] == texts and all(
        c in ws.comments[task] for c in people)
    assert {pid: p["content"] for pid, p in ws.pages.items()} == {
        pid: p["content"] for pid, p in doc_pages.items()}
    assert len([w for w in sandbox.writes if "/api/v3/" in w["path"]]) == doc_writes
    assert len(sandbox.writes_to("DELETE", "/api/v2/comment/")) == 1  # the repeat


def test_a_repeated_clickup_doc_page_is_folded_into_the_oldest(sandbox, tmp_path, monkeypatch,
                                                                write_clickup_config):
    ws = sandbox.clickup
    path = write_clickup_config(sandbox, tmp_path, monkeypatch)
    assert run(path, "run") == 0
    (page,) = [p for p in ws.pages.values() if p["name"] == "Sprint review: Platform"]
    repeat = {**page, "id": ws.next_id("8cdu4-p"), "date_created": page["date_created"] + 1}
    ws.pages[repeat["id"]] = repeat  # an older version posted it twice
    theirs = {**page, "id": ws.next_id("8cdu4-p"), "creator_id": 4242}  # a person's copy
    ws.pages[theirs["id"]] = theirs
    snapshot = dict(theirs)
    lose_store(path)
    assert run(path, "run") == 0
    assert ws.pages[page["id"]]["name"] == "Sprint review: Platform"
    assert ws.pages[repeat["id"]]["name"] == "Sprint review: Platform (repeat, safe to delete)"
    assert page["id"] in ws.pages[repeat["id"]]["content"]  # it points at the page kept
    assert ws.pages[theirs["id"]] == snapshot  # a person's page is never touched
