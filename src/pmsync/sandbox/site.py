"""The simulated Atlassian site: Jira issues, boards, sprints, Confluence pages.

Everything is kept in the vendors' own JSON shapes, so handlers serve it as it
is. One lock guards the whole site: the server is threaded.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from pmsync.sandbox.server import RateLimit  # noqa: F401 (the fixed window; tests import it here)

# Custom field ids differ per real site; these are common Cloud defaults and a
# test may change them (the connector must discover them through /field).
DEFAULT_FIELD_IDS = {
    "sprint": "customfield_10020",
    "story_points": "customfield_10028",  # "Story Points": company-managed projects, DC
    "story_point_estimate": "customfield_10016",  # "Story point estimate": team-managed
    "start_date": "customfield_10015",
    "epic_link": "customfield_10014",  # DC only: Cloud links epics through `parent`
}
# Display names per field role. A real site may rename any of them (the estimate field
# called "Estimate", the sprint field "Iteration"): clients must find fields by the board's
# configuration and their custom type, not by these names.
DEFAULT_FIELD_NAMES = {
    "sprint": "Sprint",
    "story_points": "Story Points",
    "story_point_estimate": "Story point estimate",
    "start_date": "Start date",
    "epic_link": "Epic Link",
}
FLOAT_TYPE = "com.atlassian.jira.plugin.system.customfieldtypes:float"
CHANGELOG_EMBED_MAX = 40  # histories embedded by expand=changelog; more need the endpoint

STATUS_CATEGORIES = {
    "new": {"id": 2, "key": "new", "colorName": "blue-gray", "name": "To Do"},
    "indeterminate": {"id": 4, "key": "indeterminate", "colorName": "yellow", "name": "In Progress"},
    "done": {"id": 3, "key": "done", "colorName": "green", "name": "Done"},
}
STATUSES = {
    "To Do": ("10000", "new"),
    "In Progress": ("3", "indeterminate"),
    "Done": ("10001", "done"),
}
ISSUE_TYPES = {
    "Epic": {"id": "10000", "subtask": False, "hierarchyLevel": 1},
    "Story": {"id": "10001", "subtask": False, "hierarchyLevel": 0},
    "Task": {"id": "10002", "subtask": False, "hierarchyLevel": 0},
    "Bug": {"id": "10004", "subtask": False, "hierarchyLevel": 0},
    "Subtask": {"id": "10003", "subtask": True, "hierarchyLevel": -1},
}
LINK_TYPES = [
    {"id": "10000", "name": "Blocks", "inward": "is blocked by", "outward": "blocks"},
    {"id": "10001", "name": "Cloners", "inward": "is cloned by", "outward": "clones"},
    {"id": "10003", "name": "Relates", "inward": "relates to", "outward": "relates to"},
]


def jira_time(moment: datetime, zone: tzinfo = UTC) -> str:
    """Jira's timestamp form: 2026-11-20T10:11:12.345+0000 (the offset of ``zone``)."""
    moment = moment.astimezone(zone)
    return (moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"
            + moment.strftime("%z"))


@dataclass
class Account:
    account_id: str
    email: str
    display_name: str
    api_token: str
    time_zone: str = "America/New_York"
    name: str = "dana"  # DC identifies users by name/key, Cloud by accountId
    personal_access_token: str = "sandbox-pat"  # DC: Authorization: Bearer <PAT>


@dataclass
class Site:
    """All state of one simulated site; ``base_url`` is set when the server starts."""

    base_url: str = "http://127.0.0.1"
    deployment: str = "Cloud"  # or "Server" (Jira Data Center / Server)
    account: Account = field(
        default_factory=lambda: Account(
            "5b10ac8d82e05b22cc7d4ef5", "demo@example.com", "Dana Demo", "sandbox-token"
        )
    )
    field_ids: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_FIELD_IDS))
    field_names: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_FIELD_NAMES))
    # Other float fields the site has (id -> name), seeded with values that are not
    # estimates: a client that takes "the float field" instead of the board's one is caught.
    decoy_fields: dict[str, str] = field(default_factory=dict)
    # Older Server / Data Center versions send changelog items with only `field` (the
    # display name), no `fieldId`.
    changelog_field_ids: bool = True
    time_zone: str | None = None  # the account's (and /myself's) zone; None keeps the account's
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    issues: dict[str, dict[str, Any]] = field(default_factory=dict)  # by key, IssueBean shape
    comments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by issue key
    histories: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # changelog by key
    rate_limit: RateLimit | None = None
    throttled: int = 0  # requests answered 429
    revision: int = 0  # bumped on every issue change; keys the search cache
    search_cache: dict[tuple[str, int, int], list[dict[str, Any]]] = field(default_factory=dict)
    boards: dict[int, dict[str, Any]] = field(default_factory=dict)
    sprints: dict[int, dict[str, Any]] = field(default_factory=dict)
    versions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by project key
    spaces: dict[str, dict[str, Any]] = field(default_factory=dict)  # by id
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)  # by id
    planted: dict[str, list[tuple[str, tuple[str, ...]]]] = field(default_factory=dict)
    moved: dict[str, str] = field(default_factory=dict)  # old key -> new key, as Jira keeps them
    lock: threading.RLock = field(default_factory=threading.RLock)
    _next_id: int = 20000

    def __post_init__(self) -> None:
        self.field_names = {**DEFAULT_FIELD_NAMES, **self.field_names}
        self.field_ids = {**DEFAULT_FIELD_IDS, **self.field_ids}
        if self.time_zone is not None:
            ZoneInfo(self.time_zone)  # an unknown zone fails here, not at the first request
            self.account.time_zone = self.time_zone

    def next_id(self) -> str:
        with self.lock:
            self._next_id += 1
            return str(self._next_id)

    def now(self) -> datetime:
        return datetime.now(UTC)

    def issue_by_id_or_key(self, id_or_key: str) -> dict[str, Any] | None:
        """By id, key, or a key the issue had before it was moved (Jira answers old keys)."""
        issue = self.issues.get(self.current_key(id_or_key.upper()))
        if issue is not None:
            return issue
        return next((i for i in self.issues.values() if i["id"] == id_or_key), None)

    def current_key(self, key: str) -> str:
        seen = set()
        while key in self.moved and key not in seen:
            seen.add(key)
            key = self.moved[key]
        return key

    def delete_issue(self, key: str) -> None:
        """Gone for good: its history and comments go with it; links to it vanish."""
        with self.lock:
            issue = self.issues.pop(key)
            self.histories.pop(key, None)
            self.comments.pop(key, None)
            for other in self.issues.values():
                f = other["fields"]
                f["issuelinks"] = [link for link in f["issuelinks"]
                                   if (link.get("inwardIssue") or link.get("outwardIssue"))["id"]
                                   != issue["id"]]
                if (f.get("parent") or {}).get("id") == issue["id"]:
                    f["parent"] = None
            self.moved = {old: new for old, new in self.moved.items() if new != key}
            self.revision += 1

    def move_issue(self, key: str, project_key: str) -> str:
        """Move an issue to another project: a new key, the old one still answers, and the
        changelog records the key and project change, as Jira's move does."""
        with self.lock:
            issue = self.issues.pop(key)
            project = self.projects[project_key]
            number = 1 + max((int(k.rsplit("-", 1)[1]) for k in [*self.issues, *self.moved]
                              if k.startswith(project_key + "-")), default=0)
            new_key = f"{project_key}-{number}"
            old_project = issue["fields"]["project"]
            issue["key"] = new_key
            issue["fields"]["project"] = project
            self.issues[new_key] = issue
            for store in (self.histories, self.comments):
                if key in store:
                    store[new_key] = store.pop(key)
            self.moved[key] = new_key
            for other in self.issues.values():
                f = other["fields"]
                refs = [link.get("inwardIssue") or link.get("outwardIssue")
                        for link in f["issuelinks"]]
                for ref in [*refs, f.get("parent")]:
                    if ref and ref["id"] == issue["id"]:
                        ref["key"] = new_key
            now = self.stamp(self.now())
            issue["fields"]["updated"] = now
            self.add_history(new_key, now, [
                {"field": "Key", "fieldtype": "jira", "fieldId": "issuekey", "from": None,
                 "fromString": key, "to": None, "toString": new_key},
                {"field": "project", "fieldtype": "jira", "fieldId": "project",
                 "from": old_project["id"], "fromString": old_project["name"],
                 "to": project["id"], "toString": project["name"]},
            ])
            self.revision += 1
            return new_key

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.account.time_zone)

    def stamp(self, moment: datetime) -> str:
        """A timestamp as Jira writes it for this site's user: in their zone's offset."""
        return jira_time(moment, self.zone())

    @property
    def is_cloud(self) -> bool:
        return self.deployment == "Cloud"

    def touch(self, key: str, **fields: Any) -> None:
        """Change an issue as a user would: new values, a changelog entry, a fresh ``updated``."""
        with self.lock:
            issue = self.issues[key]
            now = self.stamp(self.now())
            items = [self.change_item(name, issue["fields"].get(name), value)
                     for name, value in fields.items() if issue["fields"].get(name) != value]
            issue["fields"].update(fields)
            issue["fields"]["updated"] = now
            self.revision += 1
            if items:
                self.add_history(key, now, items)

    def add_history(self, key: str, created: str, items: list[dict[str, Any]]) -> None:
        self.histories.setdefault(key, []).append(
            {"id": self.next_id(), "author": self.user_ref(), "created": created, "items": items}
        )

    def change_item(self, name: str, old: Any, new: Any) -> dict[str, Any]:
        """One changelog item, shaped as Jira writes them for these fields."""
        custom = name.startswith("customfield_")
        label = {self.field_ids[role]: self.field_names[role]
                 for role in self.field_names}.get(name, name)

        def ids_and_text(value: Any) -> tuple[str | None, str | None]:
            if value is None or value == []:
                return None, None
            if name == self.field_ids["sprint"]:
                return (", ".join(str(s["id"]) for s in value), ", ".join(s["name"] for s in value))
            if isinstance(value, dict):  # status, resolution, ...
                return value.get("id"), value.get("name")
            return str(value), str(value)

        old_id, old_text = ids_and_text(old)
        new_id, new_text = ids_and_text(new)
        return {
            "field": label, "fieldtype": "custom" if custom else "jira", "fieldId": name,
            "from": old_id, "fromString": old_text, "to": new_id, "toString": new_text,
        }

    def user_ref(self) -> dict[str, Any]:
        """The account as Jira nests it: by accountId on Cloud, by name and key on DC."""
        a = self.account
        if not self.is_cloud:
            return {"self": f"{self.base_url}/rest/api/2/user?username={a.name}", "name": a.name,
                    "key": self.user_key, "displayName": a.display_name, "active": True,
                    "timeZone": a.time_zone, "emailAddress": a.email}
        return {
            "self": f"{self.base_url}/rest/api/3/user?accountId={a.account_id}",
            "accountId": a.account_id,
            "displayName": a.display_name,
            "active": True,
            "timeZone": a.time_zone,
            "accountType": "atlassian",
        }

    @property
    def user_key(self) -> str:
        return f"JIRAUSER{10000 + len(self.account.name)}"

    def status_field(self, name: str) -> dict[str, Any]:
        status_id, category = STATUSES[name]
        cat = dict(STATUS_CATEGORIES[category])
        cat["self"] = f"{self.base_url}/rest/api/3/statuscategory/{cat['id']}"
        return {
            "self": f"{self.base_url}/rest/api/3/status/{status_id}",
            "description": "",
            "iconUrl": f"{self.base_url}/images/icons/statuses/generic.png",
            "name": name,
            "id": status_id,
            "statusCategory": cat,
        }

    def issuetype_field(self, name: str) -> dict[str, Any]:
        info = ISSUE_TYPES[name]
        return {
            "self": f"{self.base_url}/rest/api/3/issuetype/{info['id']}",
            "id": info["id"],
            "description": "",
            "iconUrl": f"{self.base_url}/images/icons/issuetypes/{name.lower()}.svg",
            "name": name,
            "subtask": info["subtask"],
            "hierarchyLevel": info["hierarchyLevel"],
        }

    def issue_ref(self, issue: dict[str, Any]) -> dict[str, Any]:
        """The short form Jira nests for parents and linked issues."""
        f = issue["fields"]
        return {
            "id": issue["id"],
            "key": issue["key"],
            "self": issue["self"],
            "fields": {
                "summary": f["summary"],
                "status": f["status"],
                "priority": f.get("priority"),
                "issuetype": f["issuetype"],
            },
        }

    def add_link(self, blocker_key: str, blocked_key: str, type_name: str = "Blocks") -> None:
        link_type = next(t for t in LINK_TYPES if t["name"] == type_name)
        type_ref = dict(link_type, self=f"{self.base_url}/rest/api/3/issueLinkType/{link_type['id']}")
        link_id = self.next_id()
        blocker, blocked = self.issues[blocker_key], self.issues[blocked_key]
        common = {"id": link_id, "self": f"{self.base_url}/rest/api/3/issueLink/{link_id}"}
        blocker["fields"]["issuelinks"].append(
            {**common, "type": type_ref, "outwardIssue": self.issue_ref(blocked)}
        )
        blocked["fields"]["issuelinks"].append(
            {**common, "type": type_ref, "inwardIssue": self.issue_ref(blocker)}
        )
