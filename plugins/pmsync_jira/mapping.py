"""Jira JSON → the common product model. Pure functions, no HTTP."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from pmsync.model import Link, Release, Sprint, WorkItem, make_key

CANCELLED_RESOLUTIONS = {"won't do", "won't fix", "cancelled", "canceled", "declined", "duplicate"}
CATEGORY = {"new": "todo", "indeterminate": "doing", "done": "done"}
SPRINT_SCHEMA = "com.pyxis.greenhopper.jira:gh-sprint"
STORY_POINT_SCHEMAS = (
    "com.pyxis.greenhopper.jira:jsw-story-points",
    "com.atlassian.jira.plugin.system.customfieldtypes:float",
)
START_DATE_SCHEMAS = (
    "com.atlassian.jira.plugin.system.customfieldtypes:datepicker",
    "com.atlassian.jpo:jpo-custom-field-baseline-start",
)
SYSTEM_FIELDS = [
    "summary", "issuetype", "status", "resolution", "parent", "duedate", "labels",
    "components", "assignee", "fixVersions", "issuelinks", "created", "updated",
    "resolutiondate", "project",
]


@dataclass(frozen=True)
class FieldIds:
    """The site's ids for the custom fields we map (they differ per site)."""

    sprint: str | None = None
    story_points: str | None = None
    start_date: str | None = None

    def search_fields(self) -> list[str]:
        return SYSTEM_FIELDS + [f for f in (self.sprint, self.story_points, self.start_date) if f]


def discover_fields(fields: list[dict[str, Any]], overrides: dict[str, str]) -> FieldIds:
    """Match on schema.custom (locale-independent), then on the English name."""

    def find(override_key: str, schemas: tuple[str, ...], names: tuple[str, ...]) -> str | None:
        wanted = overrides.get(override_key)
        if wanted:
            for f in fields:
                if wanted in (f.get("id"), f.get("name")):
                    return f["id"]
        for schema in schemas:
            for f in fields:
                if (f.get("schema") or {}).get("custom") == schema and (
                    schema != STORY_POINT_SCHEMAS[1] or f.get("name") in names
                ):
                    return f["id"]
        return next((f["id"] for f in fields if f.get("name") in names), None)

    return FieldIds(
        sprint=find("sprint_field", (SPRINT_SCHEMA,), ("Sprint",)),
        story_points=find(
            "story_points_field", STORY_POINT_SCHEMAS, ("Story Points", "Story point estimate")
        ),
        start_date=find("start_date_field", START_DATE_SCHEMAS[:1], ("Start date",))
        or find("start_date_field", START_DATE_SCHEMAS[1:], ("Target start",)),
    )


def parse_time(value: str | None) -> datetime | None:
    """Jira's '2026-11-20T10:11:12.345+0000' (and agile's '+10:00' / 'Z') → aware UTC."""
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    text = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", text)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_date(value: str | None) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def item_kind(issuetype: dict[str, Any]) -> str:
    name = (issuetype.get("name") or "").lower()
    if issuetype.get("subtask"):
        return "subtask"
    if issuetype.get("hierarchyLevel") == 1 or name == "epic":
        return "epic"
    return name if name in ("story", "bug", "task") else "task"


def status_category(fields: dict[str, Any]) -> str:
    resolution = (fields.get("resolution") or {}).get("name", "")
    if resolution.lower() in CANCELLED_RESOLUTIONS:
        return "cancelled"
    key = ((fields.get("status") or {}).get("statusCategory") or {}).get("key")
    return CATEGORY.get(key, "todo")


LEGACY_SPRINT = re.compile(r"(\w+)=([^,\]]*)")


def sprint_values(value: Any) -> list[dict[str, Any]]:
    """The sprint field as a list of dicts: Cloud objects, or DC's legacy strings."""
    out = []
    for entry in value or []:
        if isinstance(entry, dict):
            out.append(entry)
        elif isinstance(entry, str):
            pairs = dict(LEGACY_SPRINT.findall(entry))
            out.append({
                "id": int(pairs["id"]) if pairs.get("id", "").isdigit() else pairs.get("id"),
                "name": pairs.get("name"),
                "state": (pairs.get("state") or "").lower(),
                "boardId": pairs.get("rapidViewId"),
                "startDate": None if pairs.get("startDate") in ("<null>", None) else pairs["startDate"],
                "endDate": None if pairs.get("endDate") in ("<null>", None) else pairs["endDate"],
            })
    return out


def map_issue(
    issue: dict[str, Any], tracker: str, base_url: str, ids: FieldIds, link_types: set[str]
) -> tuple[WorkItem, list[Link]]:
    fields = issue.get("fields") or {}
    key = make_key(tracker, issue["key"])
    project = (fields.get("project") or {}).get("key", issue["key"].rsplit("-", 1)[0])
    labels = tuple(fields.get("labels") or ())
    components = tuple(c.get("name", "") for c in fields.get("components") or ())
    facets = (
        [("project", project)]
        + [("component", c) for c in components]
        + [("label", label) for label in labels]
    )
    sprints = sprint_values(fields.get(ids.sprint)) if ids.sprint else []
    estimate = fields.get(ids.story_points) if ids.story_points else None
    parent = (fields.get("parent") or {}).get("key")
    status = fields.get("status") or {}
    item = WorkItem(
        key=key,
        kind=item_kind(fields.get("issuetype") or {}),
        title=fields.get("summary") or "",
        status=status.get("name", ""),
        status_category=status_category(fields),
        parent_key=make_key(tracker, parent) if parent else None,
        sprint_keys=tuple(make_key(tracker, f"sprint:{s['id']}") for s in sprints),
        start=parse_date(fields.get(ids.start_date)) if ids.start_date else None,
        due=parse_date(fields.get("duedate")),
        estimate=float(estimate) if isinstance(estimate, int | float) else None,
        assignee=(fields.get("assignee") or {}).get("displayName"),
        labels=labels,
        release_keys=tuple(
            make_key(tracker, f"version:{v['id']}") for v in fields.get("fixVersions") or ()
        ),
        url=f"{base_url}/browse/{issue['key']}",
        created=parse_time(fields.get("created")),
        updated=parse_time(fields.get("updated")),
        done_at=parse_time(fields.get("resolutiondate")),
        facets=tuple(facets),
    )
    return item, map_links(issue, tracker, link_types)


def map_links(issue: dict[str, Any], tracker: str, link_types: set[str]) -> list[Link]:
    """Outward 'blocks' means this issue blocks the other; inward, the reverse."""
    this = make_key(tracker, issue["key"])
    links = []
    for link in (issue.get("fields") or {}).get("issuelinks") or ():
        type_name = (link.get("type") or {}).get("name", "")
        if type_name not in link_types:
            continue
        if "outwardIssue" in link:
            other = make_key(tracker, link["outwardIssue"]["key"])
            links.append(Link(this, other, type_name))
        elif "inwardIssue" in link:
            other = make_key(tracker, link["inwardIssue"]["key"])
            links.append(Link(other, this, type_name))
    return links


def map_sprint(sprint: dict[str, Any], tracker: str, board: dict[str, Any]) -> Sprint:
    location = board.get("location") or {}
    facets = [("board", str(board["id"]))]
    if location.get("projectKey"):
        facets.append(("project", location["projectKey"]))
    return Sprint(
        key=make_key(tracker, f"sprint:{sprint['id']}"),
        name=sprint.get("name", ""),
        state=(sprint.get("state") or "future").lower(),
        start=parse_time(sprint.get("startDate")),
        end=parse_time(sprint.get("endDate")),
        completed=parse_time(sprint.get("completeDate")),
        goal=sprint.get("goal") or None,
        facets=tuple(facets),
    )


def map_version(version: dict[str, Any], tracker: str) -> Release:
    return Release(
        key=make_key(tracker, f"version:{version['id']}"),
        name=version.get("name", ""),
        release_date=parse_date(version.get("releaseDate")),
        released=bool(version.get("released")),
    )
