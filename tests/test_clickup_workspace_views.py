"""ClickUp's Workspace views (tags, Goals, shared, time entries, task templates), `archived`
on the hierarchy and the task order, driven over HTTP and checked against ClickUp's
published v2 reference (shared/specs/clickup/sources, the untrimmed document: the trimmed
one leaves these operations out)."""

from __future__ import annotations

import time

import pytest
import requests

from contract import check_request, check_response, require_specs


@pytest.fixture
def call(sandbox):
    http = requests.Session()
    http.headers["Authorization"] = sandbox.clickup.token

    def get(path: str, check: bool = True, **params) -> dict:
        answer = http.get(f"{sandbox.url}/api/v2{path}", params=params, timeout=10)
        if check:
            require_specs()
            check_request("GET", f"/api/v2{path}", tuple(sorted(params)))
            check_response("GET", f"/api/v2{path}", answer.status_code, answer.json())
        assert answer.status_code == 200, answer.text
        return answer.json()

    return get


def test_archived_spaces_folders_and_lists_are_listed_apart(sandbox, call):
    ws = sandbox.clickup
    team, space = ws.team_id, next(iter(ws.spaces))
    for path, key in [(f"/team/{team}/space", "spaces"), (f"/space/{space}/folder", "folders"),
                      (f"/space/{space}/list", "lists")]:
        live = {x["id"] for x in call(path, archived="false")[key]}
        gone = {x["id"] for x in call(path, archived="true")[key]}
        assert not live & gone and all(not x["archived"] for x in call(path)[key])
        assert {x["id"] for x in call(path)[key]} == live  # archived=false is the default
    archived = {f["id"] for f in call(f"/space/{space}/folder", archived="true")["folders"]}
    assert archived == {f["id"] for f in ws.folders.values() if f["archived"]} != set()
    folder = next(iter(archived))
    assert [lst["archived"] for lst in call(f"/folder/{folder}/list", archived="true")["lists"]] \
        == [True]


def test_space_tags_goals_shared_and_templates(sandbox, call):
    ws = sandbox.clickup
    team, space = ws.team_id, next(iter(ws.spaces))
    tags = {t["name"] for t in call(f"/space/{space}/tag")["tags"]}
    on_tasks = {tag["name"] for t in ws.tasks.values() for tag in t["tags"]}
    assert on_tasks <= tags and "epic" in tags
    open_goals = call(f"/team/{team}/goal")["goals"]
    every_goal = call(f"/team/{team}/goal", include_completed="true")["goals"]
    assert len(open_goals) < len(every_goal) == len(ws.goals)
    assert all(g["percent_completed"] < 100 for g in open_goals)
    assert call(f"/team/{team}/shared") == {"shared": {"tasks": [], "lists": [], "folders": []}}
    templates = call(f"/team/{team}/taskTemplate", page=0)["templates"]
    assert [t["name"] for t in templates] == [t["name"] for t in ws.task_templates]
    assert call(f"/team/{team}/taskTemplate", page=1)["templates"] == []
    # tap-clickup's spelling answers the same (it reads it from live ClickUp).
    assert call(f"/team/{team}/task_template", check=False, page=0)["templates"] == templates


def test_time_entries_default_to_the_users_last_30_days(sandbox, call):
    ws = sandbox.clickup
    team = ws.team_id
    entries = call(f"/team/{team}/time_entries")["data"]
    assert len(entries) == len(ws.time_entries) > 0
    assert all(int(e["end"]) - int(e["start"]) == int(e["duration"]) for e in entries)
    task = entries[0]["task"]["id"]
    assert {e["task"]["id"] for e in call(f"/team/{team}/time_entries", task_id=task)["data"]} \
        == {task}
    now = int(time.time() * 1000)
    assert call(f"/team/{team}/time_entries", start_date=now - 1000, end_date=now)["data"] == []
    assert call(f"/team/{team}/time_entries", assignee="999")["data"] == []
    worked = {e["task"]["id"] for e in entries}
    assert all(ws.tasks[t]["time_spent"] > 0 for t in worked)


@pytest.mark.parametrize("newest_first", [True, False])
def test_task_order_follows_reverse(sandbox, call, newest_first):
    """Default newest first, reverse=true oldest first (README: ClickUp); the other way
    round too when the sandbox is told so, for clients that must not depend on it."""
    ws = sandbox.clickup
    ws.newest_first = newest_first
    stamps = [int(t["date_updated"]) for t in call(
        f"/team/{ws.team_id}/task", check=False, order_by="updated", reverse="true",
        include_closed="true", subtasks="true")["tasks"]]
    assert len(set(stamps)) > 1
    assert stamps == sorted(stamps, reverse=not newest_first)
