"""Jira JSON → the common product model. Pure functions, no HTTP."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from pmsync.model import Change, Link, Release, Sprint, WorkItem, make_key

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


EPIC_LINK_SCHEMA = "com.pyxis.greenhopper.jira:gh-epic-link"
STORY_POINT_NAMES = ("Story Points", "Story point estimate")


@dataclass(frozen=True)
class FieldIds:
    """The site's ids for the custom fields we map (they differ per site).

    A site with company- and team-managed projects has two estimate fields (its
    boards name them); an issue uses whichever is set. ``names`` resolves a
    changelog item that carries only the field's display name (older Server and
    Data Center) to the field's id, as the site's /field list says.
    """

    sprint: str | None = None
    story_points: tuple[str, ...] = ()
    start_date: str | None = None
    epic_link: str | None = None
    names: dict[str, str] = field(default_factory=dict)  # display name -> field id

    def search_fields(self) -> list[str]:
        custom = [self.sprint, *self.story_points, self.start_date, self.epic_link]
        return SYSTEM_FIELDS + [f for f in custom if f]

    def roles(self) -> dict[str, str]:
        """Field id -> what pmsync records of its changes."""
        roles = {"duedate": "due", "status": "status"}
        roles.update({f: "estimate" for f in self.story_points})
        if self.start_date:
            roles[self.start_date] = "start"
        if self.sprint:
            roles[self.sprint] = "sprint"
        return roles

    def as_json(self) -> dict[str, Any]:
        return {"sprint": self.sprint, "story_points": list(self.story_points),
                "start_date": self.start_date, "epic_link": self.epic_link, "names": self.names}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FieldIds:
        return cls(data.get("sprint"), tuple(data.get("story_points") or ()),
                   data.get("start_date"), data.get("epic_link"), dict(data.get("names") or {}))


def discover_fields(fields: list[dict[str, Any]], overrides: dict[str, Any],
                    board_estimates: tuple[str, ...] = ()) -> FieldIds:
    """Overrides first; then what the site says: the boards' estimation fields (as Jira
    Software itself sums them), schema.custom (locale-independent); English names last."""

    def by_override(key: str) -> str | None:
        wanted = overrides.get(key)
        return next((f["id"] for f in fields if wanted and wanted in (f.get("id"), f.get("name"))),
                    None)

    def by_schema(schemas: tuple[str, ...], names: tuple[str, ...] = ()) -> list[str]:
        found = [f["id"] for f in fields if (f.get("schema") or {}).get("custom") in schemas
                 and (not names or f.get("name") in names)]
        return found or [f["id"] for f in fields if f.get("name") in names]

    known = {f.get("id") for f in fields}
    points = by_override("story_points_field")
    estimates = [f for f in board_estimates if f in known and f.startswith("customfield_")]
    ids = FieldIds(
        sprint=by_override("sprint_field") or next(iter(by_schema((SPRINT_SCHEMA,), ())), None)
        or next(iter(by_schema((), ("Sprint",))), None),
        story_points=(points,) if points else tuple(dict.fromkeys(
            estimates or by_schema((STORY_POINT_SCHEMAS[0],))
            + by_schema((STORY_POINT_SCHEMAS[1],), STORY_POINT_NAMES))),
        start_date=by_override("start_date_field")
        or next(iter(by_schema(START_DATE_SCHEMAS[:1], ("Start date",))), None)
        or next(iter(by_schema(START_DATE_SCHEMAS[1:])), None),
        epic_link=next(iter(by_schema((EPIC_LINK_SCHEMA,), ())), None),
    )
    return replace(ids, names=display_names(fields, set(ids.roles())))


def display_names(fields: list[dict[str, Any]], tracked: set[str]) -> dict[str, str]:
    """Display name -> id of the tracked fields, when the name is unambiguous among them."""
    owners: dict[str, set[str]] = {}
    for f in fields:
        if f.get("name"):
            owners.setdefault(f["name"], set()).add(f.get("id"))
    return {name: next(iter(ids & tracked)) for name, ids in owners.items()
            if len(ids & tracked) == 1 and len(ids) == 1}


def parse_time(value: Any) -> datetime | None:
    """Jira's '2026-11-20T10:11:12.345+0000' (and agile's '+10:00' / 'Z') → aware UTC;
    anything else (absent, or not a timestamp) is unknown, not a crash."""
    if not isinstance(value, str):
        return None
    try:  # Python 3.11 reads all three forms itself: the common case, without a regex
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = _parse_time_loosely(value)
        if moment is None:
            return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


def _parse_time_loosely(value: str) -> datetime | None:
    """What fromisoformat refuses as it stands: padded, or a lower-case 'z'."""
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    text = re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", text)
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def parse_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if isinstance(value, str) and value else None
    except ValueError:
        return None


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


# DC's sprint field: "com.atlassian.greenhopper.service.sprint.Sprint@1f2e[id=3,rapidViewId=1,
# state=CLOSED,name=Sprint 3,goal=Ship it, then rest,startDate=…,endDate=…,completeDate=…,
# sequence=3]". Values may hold commas, so a pair starts only where a known attribute does.
LEGACY_KEYS = ("id", "rapidViewId", "state", "name", "goal", "startDate", "endDate",
               "completeDate", "activatedDate", "sequence", "autoStartStop", "synced",
               "incompleteIssuesDestinationId")
LEGACY_PAIR = re.compile(r"(?:^|,)(" + "|".join(LEGACY_KEYS) + r")=")


def legacy_sprint(text: str) -> dict[str, Any]:
    """Every attribute of a legacy sprint string, ``<null>`` as None."""
    body = text[text.find("[") + 1:text.rfind("]")] if "[" in text else text
    marks = list(LEGACY_PAIR.finditer(body))
    pairs = {m.group(1): body[m.end():marks[i + 1].start() if i + 1 < len(marks) else len(body)]
             for i, m in enumerate(marks)}
    value = {k: (None if v in ("<null>", "") else v) for k, v in pairs.items()}
    number = value.get("id") or ""
    return {
        "id": int(number) if number.isdigit() else number or None,
        "name": value.get("name"),
        "state": (value.get("state") or "").lower(),
        "boardId": value.get("rapidViewId"),
        "goal": value.get("goal"),
        "startDate": value.get("startDate"),
        "endDate": value.get("endDate"),
        "completeDate": value.get("completeDate"),
    }


def sprint_values(value: Any) -> list[dict[str, Any]]:
    """The sprint field as a list of dicts: Cloud objects, or DC's legacy strings."""
    return [entry if isinstance(entry, dict) else legacy_sprint(entry)
            for entry in value or [] if isinstance(entry, dict | str)]


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
    facets += [("board", str(s["boardId"])) for s in sprints if s.get("boardId")]
    estimate = next((fields[f] for f in ids.story_points if fields.get(f) is not None), None)
    # Cloud links epics through `parent`; DC (and old Cloud data) through Epic Link.
    parent = (fields.get("parent") or {}).get("key") or (
        fields.get(ids.epic_link) if ids.epic_link else None)
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
        facets=tuple(dict.fromkeys(facets)),
    )
    return item, map_links(issue, tracker, link_types)


def issue_sprints(issue: dict[str, Any], tracker: str, ids: FieldIds,
                  boards: dict[str, str], known: set[int]) -> list[Sprint]:
    """Sprint records from the issue's own sprint field, for sprints no board listed
    (``known``): a board's own record is complete and wins. ``boards`` gives a board's
    project, so a record from an issue of another project matches the board's."""
    fields = issue.get("fields") or {}
    out = []
    for value in sprint_values(fields.get(ids.sprint)) if ids.sprint else ():
        board_id = value.get("boardId")
        if value.get("id") is None or board_id is None or value["id"] in known:
            continue
        project = boards.get(str(board_id)) or (fields.get("project") or {}).get("key")
        out.append(map_sprint(value, tracker, {"id": board_id,
                                                "location": {"projectKey": project}}))
    return out


def map_changelog(item_key: str, histories: list[dict[str, Any]], ids: FieldIds,
                  roles: dict[str, str] | None = None) -> list[Change]:
    """The changes pmsync tracks (due, start, sprint, estimate, status) from Jira's changelog.

    An item names its field by ``fieldId`` (Cloud, newer Data Center) or only by ``field``,
    the display name (older Server / Data Center), which the site's field list resolves; an
    item whose field is not one pmsync tracks is skipped, never guessed.
    """
    roles = ids.roles() if roles is None else roles  # a sync passes them once a page
    changes = []
    for history in histories:
        at = None  # read once a history holds a tracked change (most hold none)
        for entry in history.get("items") or ():
            label = entry.get("field") or ""
            field_id = entry.get("fieldId") or ids.names.get(label) or label
            name = roles.get(field_id)
            if name is None:
                continue
            if at is None:
                at = parse_time(history.get("created"))
                if at is None:
                    break
            # Sprints: ids are stable; estimates, dates and statuses: the shown value.
            use_ids = name == "sprint"
            old = entry.get("from") if use_ids else entry.get("fromString")
            new = entry.get("to") if use_ids else entry.get("toString")
            changes.append(Change(item_key, name, at, old, new, str(history.get("id", ""))))
    return changes


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
