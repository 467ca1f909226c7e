"""Names people use: ClickUp custom task ids (or task names), keys without the tracker
prefix in prose, the subject's page in `check --format json`, dates in the site's zone."""

from __future__ import annotations

import json
import re

from pmsync.cli import main

QUALIFIED = re.compile(r"\b(jira|clickup):[A-Za-z0-9]")
RAW_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def adf_text(node) -> str:
    """The text a person reads in an ADF comment (link targets left out)."""
    if isinstance(node, dict):
        return (node.get("text") or "") + " " + adf_text(node.get("content") or [])
    if isinstance(node, list):
        return " ".join(adf_text(n) for n in node)
    return ""


def with_custom_ids(sandbox) -> dict[str, str]:
    """Turn on the Custom Task IDs ClickApp: every task gets GRO-<n>, as ClickUp numbers."""
    ids = {}
    for n, task in enumerate(sorted(sandbox.clickup.tasks.values(), key=lambda t: t["id"]), 1):
        task["custom_id"] = ids[task["id"]] = f"GRO-{n}"
    return ids


def test_people_read_keys_custom_ids_pages_and_local_dates(sandbox, tmp_path, monkeypatch,
                                                            capsys, write_clickup_config):
    custom = with_custom_ids(sandbox)
    config = write_clickup_config(sandbox, tmp_path, monkeypatch)
    assert main(["--config", str(config), "run"]) == 0
    capsys.readouterr()

    assert main(["--config", str(config), "check", "--format", "json"]) in (0, 1)
    findings = json.loads(capsys.readouterr().out)
    # Prose names items by key; the tracker-qualified reference stays in "subject".
    assert findings and not [f["message"] for f in findings if QUALIFIED.search(f["message"])]
    assert any(f["subject"].startswith("clickup:") for f in findings)
    for f in findings:  # every finding says where to look, sprint findings included
        assert f["url"] and f["url"].startswith("http"), f
        if f["rule"].startswith("sprint-") and f["subject"].startswith("jira:"):
            number = f["subject"].rsplit(":", 1)[1]
            assert "RapidBoard.jspa?rapidView=" in f["url"] and f["url"].endswith(
                f"&sprint={number}")
        if f["rule"].startswith("sprint-") and f["subject"].startswith("clickup:"):
            assert "/v/li/" in f["url"]
        if f["subject"].startswith("clickup:") and not f["rule"].startswith("sprint-"):
            assert f["url"].endswith("/t/" + f["subject"].split(":", 1)[1])

    assert main(["--config", str(config), "check"]) in (0, 1)
    table = capsys.readouterr().out
    clickup_subjects = [f["subject"].split(":", 1)[1] for f in findings
                        if f["subject"].startswith("clickup:") and not f["rule"].startswith("sprint")]
    assert clickup_subjects and all(custom[s] in table for s in clickup_subjects)
    assert not any(s in table for s in clickup_subjects)  # no internal id where a person reads

    # Comments: ClickUp's name tasks by custom id, none shows a raw timestamp or jira:KEY.
    clickup_comments = [c["comment_text"] for cs in sandbox.clickup.comments.values() for c in cs]
    jira_comments = [adf_text(w["body"]["body"]) for w in sandbox.writes_to("POST", "/comment")
                     if isinstance(w["body"], dict) and "body" in w["body"]]
    assert clickup_comments and jira_comments
    for text in clickup_comments + jira_comments:
        readable = re.sub(r"<https?://[^>]*>", "", text)  # link targets are for machines
        assert not QUALIFIED.search(readable), readable
        assert not RAW_STAMP.search(readable), readable
        assert not any(internal in readable for internal in custom), readable
    assert any("GRO-" in text for text in clickup_comments + jira_comments)
    late = [t for t in jira_comments if "Blocked starts" in t]
    assert late and all(re.search(r"Blocked starts:\s+[A-Z][a-z]{2} \d{1,2}, 20\d\d", t)
                        for t in late)

    # Pages: keys and custom ids, never jira:KEY.
    pages = [p["body"] for p in sandbox.site.pages.values()]
    pages += [p["content"] for p in sandbox.clickup.pages.values()]
    assert pages and not [p for p in pages if QUALIFIED.search(re.sub(r"https?://\S+", "", p))]
    assert any("GRO-" in p for p in pages)


def test_without_custom_ids_a_task_is_named_by_its_name(sandbox, tmp_path, monkeypatch, capsys,
                                                        write_clickup_config):
    config = write_clickup_config(sandbox, tmp_path, monkeypatch)
    assert main(["--config", str(config), "sync"]) == 0
    capsys.readouterr()
    assert main(["--config", str(config), "check"]) in (0, 1)
    table = capsys.readouterr().out
    tasks = sandbox.clickup.tasks
    named = [t for t in tasks.values() if t["name"] in table]
    assert named and not [tid for tid in tasks if tid in table]
