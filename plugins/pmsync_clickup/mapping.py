"""ClickUp JSON → the common product model. Pure functions, no HTTP."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pmsync.model import Link, Sprint, WorkItem, make_key

CANCELLED = {"cancelled", "canceled", "won't do", "wont do", "declined"}
CATEGORY = {"open": "todo", "custom": "doing", "done": "done", "closed": "done"}
ISSUE_KEY = re.compile(r"(?<![A-Za-z0-9])([A-Z][A-Z0-9_]+-\d+)(?![0-9])")


@dataclass(frozen=True)
class Conventions:
    """How this workspace marks epics, sprints and cross-tracker links (from the config)."""

    tracker: str
    epic_tag: str = "epic"
    epic_item_id: int | None = None
    waits_on_field: str | None = None
    blocks_field: str | None = None
    link_tracker: str = "jira"
    zone: str = "UTC"


def to_datetime(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    return datetime.fromtimestamp(int(value) / 1000, UTC)


def to_date(value: Any, zone: str) -> date | None:
    """ClickUp dates are instants (4 am local when no time was set): the local calendar day."""
    moment = to_datetime(value)
    return moment.astimezone(ZoneInfo(zone)).date() if moment else None


def is_sprint_list(folder_name: str, pattern: str) -> bool:
    name = folder_name.lower()
    return pattern.lower() in name and "archive" not in name


def map_sprint(lst: dict[str, Any], tracker: str, now: datetime) -> Sprint:
    start, end = to_datetime(lst.get("start_date")), to_datetime(lst.get("due_date"))
    if end is not None and end < now:
        state = "closed"
    elif start is not None and start <= now:
        state = "active"
    else:
        state = "future"
    return Sprint(
        key=make_key(tracker, f"list:{lst['id']}"),
        name=lst.get("name", ""),
        state=state,
        start=start,
        end=end,
        completed=end if state == "closed" else None,
        facets=list_facets(lst),
    )


def list_facets(lst: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    facets = [("list", lst.get("name", "")), ("list", str(lst["id"]))]
    space = lst.get("space") or {}
    facets += [("space", str(space.get("id", ""))), ("space", space.get("name", ""))]
    folder = lst.get("folder") or {}
    if folder and not folder.get("hidden"):
        facets += [("folder", folder.get("name", "")), ("folder", str(folder.get("id", "")))]
    return tuple((k, v) for k, v in facets if v)


def map_task(task: dict[str, Any], conv: Conventions, lists: dict[str, dict[str, Any]],
             sprint_lists: set[str]) -> tuple[WorkItem, list[Link]]:
    tracker = conv.tracker
    key = make_key(tracker, task["id"])
    tags = tuple(t.get("name", "") for t in task.get("tags") or ())
    status = task.get("status") or {}
    name = (status.get("status") or "").lower()
    category = "cancelled" if name in CANCELLED else CATEGORY.get(status.get("type"), "todo")
    is_epic = conv.epic_tag in tags or (
        conv.epic_item_id is not None and task.get("custom_item_id") == conv.epic_item_id)
    parent = task.get("parent")
    nested = parent and task.get("top_level_parent") not in (None, parent)
    kind = "epic" if is_epic else "subtask" if nested else "story" if parent else "task"
    home = str((task.get("list") or {}).get("id", ""))
    in_lists = [home] + [str(loc["id"]) for loc in task.get("locations") or ()]
    home_list = lists.get(home) or {"id": home, "name": (task.get("list") or {}).get("name", ""),
                                     "space": task.get("space") or {}, "folder": task.get("folder")}
    facets = list(list_facets(home_list)) + [("tag", t) for t in tags]
    # What the workspace shows a person: its custom task id (GRO-13) when the Custom Task
    # IDs ClickApp is on, else the task's name; never the internal id.
    facets.append(("display_key", task.get("custom_id") or task.get("name") or str(task["id"])))
    assignees = task.get("assignees") or []
    item = WorkItem(
        key=key,
        kind=kind,
        title=task.get("name") or "",
        status=status.get("status") or "",
        status_category=category,
        parent_key=make_key(tracker, parent) if parent else None,
        sprint_keys=tuple(make_key(tracker, f"list:{lid}") for lid in in_lists
                          if lid in sprint_lists),
        start=to_date(task.get("start_date"), conv.zone),
        due=to_date(task.get("due_date"), conv.zone),
        estimate=float(task["points"]) if isinstance(task.get("points"), int | float) else None,
        assignee=assignees[0].get("username") if assignees else None,
        labels=tags,
        url=task.get("url"),
        created=to_datetime(task.get("date_created")),
        updated=to_datetime(task.get("date_updated")),
        done_at=to_datetime(task.get("date_done") or task.get("date_closed")),
        facets=tuple(dict.fromkeys(facets)),
    )
    return item, map_links(task, conv)


def map_links(task: dict[str, Any], conv: Conventions) -> list[Link]:
    """Dependencies ("task_id waits on depends_on"), and Jira keys named in custom fields."""
    this = make_key(conv.tracker, task["id"])
    links = []
    for dep in task.get("dependencies") or ():
        if dep.get("task_id") and dep.get("depends_on"):
            links.append(Link(make_key(conv.tracker, dep["depends_on"]),
                              make_key(conv.tracker, dep["task_id"]), "waiting on"))
    for field in task.get("custom_fields") or ():
        value = field.get("value")
        if not isinstance(value, str) or field.get("name") not in (conv.waits_on_field,
                                                                   conv.blocks_field):
            continue
        for native in ISSUE_KEY.findall(value):
            other = make_key(conv.link_tracker, native)
            if field["name"] == conv.waits_on_field:
                links.append(Link(other, this, field["name"]))
            else:
                links.append(Link(this, other, field["name"]))
    return list(dict.fromkeys(links))
