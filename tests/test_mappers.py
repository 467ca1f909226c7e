"""The mappers as plain functions, fed the vendors' own documented examples (the response
examples of ../shared/specs): a Jira issue, an agile sprint page, a ClickUp task."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from contract import SPECS, require_specs
from pmsync.model import Link
from pmsync_clickup.mapping import Conventions, map_task
from pmsync_jira.mapping import FieldIds, map_issue, map_sprint


def example(spec: str, path: str) -> dict:
    require_specs()
    document = json.loads((SPECS / spec).read_text())
    content = document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    found = content.get("example") or content["schema"]["example"]
    return json.loads(found) if isinstance(found, str) else found


def test_jira_issue_example_maps_key_project_and_links_both_ways():
    issue = example("jira-platform-v3.trimmed.json", "/rest/api/3/issue/{issueIdOrKey}")
    item, links = map_issue(issue, "jira", "https://x.atlassian.net", FieldIds(), {"Dependent"})
    assert item.key == "jira:ED-1" and item.url == "https://x.atlassian.net/browse/ED-1"
    assert ("project", "EX") in item.facets
    assert item.kind == "task" and item.status_category == "todo"  # no issuetype, no status
    # Outward "is depended by" PR-2: ED-1 blocks PR-2; inward PR-3 blocks ED-1.
    assert links == [Link("jira:ED-1", "jira:PR-2", "Dependent"),
                     Link("jira:PR-3", "jira:ED-1", "Dependent")]
    assert map_issue(issue, "jira", "https://x", FieldIds(), {"Blocks"})[1] == []


def test_agile_sprint_example_maps_dates_goal_and_board():
    page = example("jira-software-agile-1.0.trimmed.json", "/rest/agile/1.0/board/{boardId}/sprint")
    board = {"id": 5, "location": {"projectKey": "EX"}}
    closed, future = (map_sprint(s, "jira", board) for s in page["values"])
    assert closed.key == "jira:sprint:37" and closed.state == "closed"
    assert closed.goal == "sprint 1 goal"
    assert closed.start == datetime(2015, 4, 11, 5, 22, tzinfo=UTC)  # +10:00 read as UTC
    assert closed.completed == datetime(2015, 4, 20, 1, 4, tzinfo=UTC)
    assert closed.facets == (("board", "5"), ("project", "EX"))
    assert future.state == "future" and future.start is None and future.goal == "sprint 2 goal"


def test_clickup_task_example_maps_status_points_dates_tags_and_dependency():
    task = example("clickup/clickup-api-v2.trimmed.json", "/v2/task/{task_id}")
    lists = {"15505202": {"id": "15505202", "name": "Sprint Backlog",
                          "space": {"id": "7002367", "name": "Mobile"},
                          "folder": {"id": "6992470", "name": "Mobile Squad", "hidden": False}}}
    item, links = map_task(task, Conventions("clickup"), lists, {"15505202"})
    assert item.key == "clickup:9hx" and item.title == "Fix login bug"
    assert item.status == "in progress" and item.status_category == "doing"  # type "custom"
    assert item.estimate == 3.0 and item.labels == ("bug",) and item.kind == "task"
    assert item.due == date(2017, 10, 18) and item.start is None
    assert item.assignee == "Alex Johnson" and item.url == "https://app.clickup.com/t/9hx"
    assert item.sprint_keys == ("clickup:list:15505202",)
    assert {("list", "Sprint Backlog"), ("folder", "Mobile Squad"), ("tag", "bug")} <= set(
        item.facets)
    # "9hx waits on 8gx": 8gx blocks 9hx.
    assert links == [Link("clickup:8gx", "clickup:9hx", "waiting on")]
