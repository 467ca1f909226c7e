"""The ClickUp connector against the sandbox, in one portfolio with Jira."""

from __future__ import annotations

import json
import re

from conftest import store_of
from pmsync.cli import main
from pmsync.portfolio import Portfolio
from pmsync.sandbox.site import RateLimit
from pmsync.workspace import Workspace


def run(path, *args) -> int:
    return main(["--config", str(path), *args])


def clickup_items(path) -> dict:
    store = store_of(path)
    try:
        return {i.key: i for i in store.current("item") if i.key.startswith("clickup:")}
    finally:
        store.close()


def portfolio_of(path) -> Portfolio:
    ws = Workspace.open(path)
    try:
        return ws.portfolio()
    finally:
        ws.close()


def test_hierarchy_sprints_and_epics_map_into_the_model(sandbox, tmp_path, monkeypatch, write_clickup_config):
    path = write_clickup_config(sandbox, tmp_path, monkeypatch)
    assert run(path, "sync") == 0
    ws = sandbox.clickup
    items = clickup_items(path)
    assert len(items) == len(ws.tasks)
    assert all(("space", "Platform") in i.facets for i in items.values())
    lines = portfolio_of(path)
    assert {lines.items[k].product_line for k in items} == {"Platform"}  # by space name
    epics = {k for k, i in items.items() if i.kind == "epic"}
    tagged = {f"clickup:{t['id']}" for t in ws.tasks.values()
              if any(tag["name"] == "epic" for tag in t["tags"])}
    typed = {f"clickup:{t['id']}" for t in ws.tasks.values() if t["custom_item_id"] == 1001}
    assert typed and tagged and epics == tagged | typed  # both conventions
    stories = [i for i in items.values() if i.kind == "story"]
    assert all(i.parent_key in epics for i in stories)
    store = store_of(path)
    try:
        sprints = {s.key: s for s in store.current("sprint") if s.key.startswith("clickup:")}
    finally:
        store.close()
    assert [s.state for s in sorted(sprints.values(), key=lambda s: s.start)] == \
        ["closed"] * 3 + ["active"] + ["future"] * 2
    assert {lines.sprints[k].product_line for k in sprints} == {"Platform"}
    # Home list or a second list (TIML): both make sprint membership.
    in_sprints = [i for i in stories if i.sprint_keys]
    assert all(k in sprints for i in in_sprints for k in i.sprint_keys)
    timl = [t for t in ws.tasks.values() if t["locations"]]
    assert timl and all(items[f"clickup:{t['id']}"].sprint_keys for t in timl)
    assert all(i.estimate == 3 for i in stories if i.key.split(":")[1] not in
               {t["id"] for t in timl} and ws.tasks[i.key.split(":")[1]]["points"] is not None)
    assert all(i.estimate is None for i in stories  # TIML's, and the knock-on case's
               if ws.tasks[i.key.split(":")[1]]["points"] is None)


def test_cross_tracker_dependency_conflict_is_found_and_posted_on_both_sides(
        sandbox, tmp_path, monkeypatch, capsys, write_clickup_config):
    path = write_clickup_config(sandbox, tmp_path, monkeypatch)
    assert run(path, "run") == 0
    capsys.readouterr()
    assert run(path, "check", "--format", "json") == 0
    findings = json.loads(capsys.readouterr().out)
    got = {(f["rule"], f["subject"], tuple(f["related"])) for f in findings}
    planted = {(rule, subject if ":" in subject else f"jira:{subject}",
                tuple(r if ":" in r else f"jira:{r}" for r in related))
               for rule, cases in sandbox.site.planted.items() for subject, related in cases}
    assert got == planted
    cross = next(f for f in findings if f["subject"].startswith("clickup:")
                 and f["related"][0].startswith("jira:"))
    assert cross["severity"] == "critical" and "across product lines" in cross["message"]

    ws, site = sandbox.clickup, sandbox.site
    waiting = ws.tasks[cross["subject"].split(":")[1]]
    jira_key = cross["related"][0].split(":")[1]
    clickup_posts = [w for w in sandbox.writes_to("POST", "/api/v2/task/")
                     if w["path"].endswith(f"/task/{waiting['parent']}/comment")]
    jira_epic = site.issues[jira_key]["fields"]["parent"]["key"]
    jira_posts = sandbox.writes_to("POST", f"/rest/api/3/issue/{jira_epic}/comment")
    assert len(clickup_posts) == 1 and len(jira_posts) == 1
    assert cross["fingerprint"] in clickup_posts[0]["body"]["comment_text"]

    # A second run changes nothing: no new comment on either side.
    posts = len(sandbox.writes_to("POST", "/comment"))
    assert run(path, "run") == 0
    assert len(sandbox.writes_to("POST", "/comment")) == posts


def test_incremental_sees_updated_closed_and_deleted_tasks(sandbox, tmp_path, monkeypatch,
        write_clickup_config):
    path = write_clickup_config(sandbox, tmp_path, monkeypatch, "\nreconcile_hours = 0")
    assert run(path, "sync") == 0
    ws = sandbox.clickup
    ids = sorted(t["id"] for t in ws.tasks.values() if t["parent"])
    ws.touch(ids[0], name="Renamed in ClickUp")
    ws.touch(ids[1], status={"status": "complete", "type": "closed", "orderindex": 2,
                             "color": "#6bc950"}, date_closed=ws.now_ms())
    del ws.tasks[ids[2]]
    assert run(path, "sync") == 0
    items = clickup_items(path)
    assert items[f"clickup:{ids[0]}"].title == "Renamed in ClickUp"
    assert items[f"clickup:{ids[1]}"].status_category == "done"
    assert f"clickup:{ids[2]}" not in items


def test_incremental_is_one_search_without_the_hierarchy(sandbox, tmp_path, monkeypatch,
        write_clickup_config):
    path = write_clickup_config(sandbox, tmp_path, monkeypatch)
    assert run(path, "sync") == 0
    mark = len(sandbox.requests)
    ws = sandbox.clickup
    ws.touch(next(iter(ws.tasks)), name="Edited")
    assert run(path, "sync") == 0
    clickup_calls = [p for _, p, _ in sandbox.requests[mark:] if p.startswith("/api/")]
    assert clickup_calls == [f"/api/v2/team/{ws.team_id}/task"]


def test_pacing_keeps_under_the_rate_limit(sandbox, tmp_path, monkeypatch, write_clickup_config):
    path = write_clickup_config(sandbox, tmp_path, monkeypatch)
    sandbox.clickup.rate_limit = RateLimit(limit=4, window=0.3)
    sandbox.clickup.whole_second_reset = False  # a 0.3 s window needs a precise reset
    assert run(path, "sync") == 0
    assert sandbox.clickup.throttled == 0  # paced on the headers, never hit a 429
    assert len(clickup_items(path)) == len(sandbox.clickup.tasks)


def test_a_429_waits_for_the_reset(sandbox, tmp_path, monkeypatch):
    from pmsync.config import make_tracker
    from pmsync.plugins import default_registry
    from pmsync_clickup.connector import ClickUpConnector

    ws = sandbox.clickup
    monkeypatch.setenv("CU_TOKEN", ws.token)
    connector = ClickUpConnector(make_tracker("clickup", {
        "kind": "clickup", "url": sandbox.url, "token_env": "CU_TOKEN", "team_id": ws.team_id},
        default_registry()))
    ws.rate_limit = RateLimit(limit=2, window=0.3)
    ws.whole_second_reset = False
    # Another client spent the budget: our first call meets a 429, waits, then succeeds.
    for _ in range(3):
        sandbox.server.realms["clickup"].limit()
    assert connector.check_auth() == ws.name
    assert ws.throttled >= 1


def test_whole_second_resets_never_draw_a_429_and_a_long_wait_is_logged_once_each(
        sandbox, tmp_path, monkeypatch, capsys, write_clickup_config):
    """ClickUp says the reset in whole seconds, up to a second before the window turns:
    pacing waits past it, so no request meets a 429; each wait of more than a few
    seconds is one log line saying what it waits for."""
    path = write_clickup_config(sandbox, tmp_path, monkeypatch)
    sandbox.clickup.rate_limit = RateLimit(limit=6, window=4)
    assert sandbox.clickup.whole_second_reset
    capsys.readouterr()
    assert run(path, "sync") == 0
    err = capsys.readouterr().err
    assert sandbox.clickup.throttled == 0
    waits = [line for line in err.splitlines() if "rate limit" in line]
    assert waits and all(re.search(r"waiting \d+ s for ClickUp's rate limit", w) for w in waits)
    clickup_requests = sum(p.startswith("/api/") for _, p, _ in sandbox.requests)
    assert len(waits) <= clickup_requests // 6  # one line per window waited, no more


def test_bad_clickup_token_exits_3_with_ecode(sandbox, tmp_path, monkeypatch, capsys, write_clickup_config):
    path = write_clickup_config(sandbox, tmp_path, monkeypatch)
    monkeypatch.setenv("PMSYNC_DEMO_CLICKUP_TOKEN", "pk_wrong")
    assert run(path, "sync") == 3
    err = capsys.readouterr().err
    assert "ClickUp at" in err and "refused the credentials" in err
    assert "OAUTH_025" in err and "pk_wrong" not in err


def test_links_both_directions_and_across_trackers():
    from pmsync.model import Link
    from pmsync_clickup.mapping import Conventions, map_links

    conv = Conventions("clickup", waits_on_field="Waits on", blocks_field="Blocks")
    task = {"id": "abc",
            "dependencies": [{"task_id": "abc", "depends_on": "x1"},   # abc waits on x1
                             {"task_id": "y2", "depends_on": "abc"}],  # y2 waits on abc
            "custom_fields": [
                {"name": "Waits on", "value": "https://acme.atlassian.net/browse/PAY-12"},
                {"name": "Blocks", "value": "MOB-3, WEB-40"},
                {"name": "Notes", "value": "mentions XYZ-1 but is not a link field"}]}
    assert set(map_links(task, conv)) == {
        Link("clickup:x1", "clickup:abc", "waiting on"),
        Link("clickup:abc", "clickup:y2", "waiting on"),
        Link("jira:PAY-12", "clickup:abc", "Waits on"),
        Link("clickup:abc", "jira:MOB-3", "Blocks"),
        Link("clickup:abc", "jira:WEB-40", "Blocks"),
    }
