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
# Jira Software's "Flagged" (a multi-checkbox with the single option "Impediment").
FLAGGED_ID = "customfield_10021"
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


def keep_version(page: dict[str, Any]) -> None:
    """Every version of a Confluence page stays readable (v2 /versions, v1 /history)."""
    page.setdefault("versions", []).append(
        {**page["version"], "title": page["title"], "body": page["body"]})


def parse_time(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def adf_text(node: Any) -> str:
    """The plain text of an Atlassian Document (paragraphs on their own lines)."""
    if isinstance(node, dict):
        if node.get("type") == "text":
            return str(node.get("text", ""))
        inner = "".join(adf_text(child) for child in node.get("content") or ())
        return inner + ("\n" if node.get("type") in ("paragraph", "heading") else "")
    return ""


def text_adf(text: str) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []}
        for line in text.split("\n")]}


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
    password: str = "sandbox-password"  # DC: Basic name:password works too


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
    worklogs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by issue key
    team: list[dict[str, Any]] = field(default_factory=list)  # other people on the site
    components: dict[str, list[str]] = field(default_factory=dict)  # names, by project key
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
    # What the account may not do (sandbox/permissions_api.py answers accordingly): Jira
    # project permission keys, e.g. "ADD_COMMENTS", or Confluence "create:page" operations.
    denied: set[str] = field(default_factory=set)
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
            self.worklogs.pop(key, None)
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
            for store in (self.histories, self.comments, self.worklogs):
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
            if "status" in fields and items:
                issue["fields"]["statuscategorychangedate"] = now
            self.revision += 1
            if items:
                self.add_history(key, now, items)

    def blank_fields(self, project_key: str, kind: str, created: str) -> dict[str, Any]:
        """Every field a new issue has, before the creator's values."""
        ids = self.field_ids
        return {
            "summary": "", "description": None, "issuetype": self.issuetype_field(kind),
            "project": self.projects[project_key], "created": created, "updated": created,
            "statuscategorychangedate": created, "labels": [], "components": [],
            "issuelinks": [], "fixVersions": [], "assignee": None, "reporter": self.user_ref(),
            "creator": self.user_ref(), "resolution": None, "resolutiondate": None,
            "duedate": None, "parent": None,
            "priority": {"self": f"{self.base_url}/rest/api/3/priority/3", "id": "3",
                         "name": "Medium"},
            "status": self.status_field("To Do"),
            ids["sprint"]: None, ids["story_points"]: None, ids["story_point_estimate"]: None,
            ids["start_date"]: None, FLAGGED_ID: None,
            **dict.fromkeys(self.decoy_fields),
        }

    def new_issue(self, project_key: str, kind: str, given: dict[str, Any]) -> dict[str, Any]:
        """Create an issue through the API: the next key of the project, a fresh id."""
        with self.lock:
            number = 1 + max((int(k.rsplit("-", 1)[1]) for k in [*self.issues, *self.moved]
                              if k.startswith(project_key + "-")), default=0)
            key, issue_id = f"{project_key}-{number}", self.next_id()
            now = self.stamp(self.now())
            fields = self.blank_fields(project_key, kind, now)
            fields.update(given)
            self.issues[key] = {
                "expand": "renderedFields,names,schema,operations,editmeta,changelog,"
                          "versionedRepresentations",
                "id": issue_id, "self": f"{self.base_url}/rest/api/3/issue/{issue_id}",
                "key": key, "fields": fields}
            self.revision += 1
            return self.issues[key]

    def add_comment(self, key: str, body: Any, created: str | None = None,
                    author: dict[str, Any] | None = None) -> dict[str, Any]:
        """A comment; ``author`` a person of people() (None: the account pmsync calls with)."""
        with self.lock:
            now = created or self.stamp(self.now())
            comment = {"id": self.next_id(), "body": body, "created": now, "updated": now}
            if author is not None:
                comment["author"] = author
            self.comments.setdefault(key, []).append(comment)
            self.issues[key]["fields"]["updated"] = max(self.issues[key]["fields"]["updated"], now,
                                                        key=parse_time)
            self.revision += 1
            return comment

    def add_worklog(self, key: str, author: dict[str, Any], started: str, seconds: int,
                    comment: Any, logged: str | None = None) -> dict[str, Any]:
        """Work logged on an issue; the changelog records the time spent, as Jira's does."""
        with self.lock:
            issue = self.issues[key]
            now = logged or self.stamp(self.now())
            worklog = {"id": self.next_id(), "issueId": issue["id"], "author": author,
                       "started": started, "created": now, "updated": now,
                       "timeSpentSeconds": seconds, "comment": comment}
            logs = self.worklogs.setdefault(key, [])
            before = sum(w["timeSpentSeconds"] for w in logs)
            logs.append(worklog)
            issue["fields"]["updated"] = max(issue["fields"]["updated"], now, key=parse_time)
            self.histories.setdefault(key, []).append({
                "id": self.next_id(), "author": author, "created": now, "items": [
                    {"field": "timespent", "fieldtype": "jira", "fieldId": "timespent",
                     "from": str(before) if before else None, "fromString": str(before) if before
                     else None, "to": str(before + seconds), "toString": str(before + seconds)},
                    {"field": "WorklogId", "fieldtype": "jira", "from": None, "fromString": None,
                     "to": worklog["id"], "toString": worklog["id"]}]})
            self.revision += 1
            return worklog

    def add_history(self, key: str, created: str, items: list[dict[str, Any]],
                    author: dict[str, Any] | None = None) -> None:
        """One changelog entry; ``author`` a person of people() (None: the account)."""
        who = self.person_ref(author) if author is not None else self.user_ref()
        self.histories.setdefault(key, []).append(
            {"id": self.next_id(), "author": who, "created": created, "items": items})

    def change_item(self, name: str, old: Any, new: Any) -> dict[str, Any]:
        """One changelog item, shaped as Jira writes them for these fields."""
        custom = name.startswith("customfield_")
        label = {self.field_ids[role]: self.field_names[role]
                 for role in self.field_names}.get(name, {FLAGGED_ID: "Flagged"}.get(name, name))

        def one(value: dict[str, Any]) -> tuple[str | None, str | None]:
            # status, resolution, priority: id + name; a user: accountId (DC: name) + display
            ident = value.get("id") or (value.get("accountId") if self.is_cloud
                                        else value.get("name"))
            return ident, value.get("displayName") or value.get("name") or value.get("value")

        def ids_and_text(value: Any) -> tuple[str | None, str | None]:
            if value is None or value == []:
                return None, None
            if name == self.field_ids["sprint"]:
                return (", ".join(str(s["id"]) for s in value), ", ".join(s["name"] for s in value))
            if isinstance(value, dict) and value.get("type") == "doc":  # an ADF description
                return None, adf_text(value)
            if isinstance(value, dict):
                return one(value)
            if isinstance(value, list):  # labels, components, versions, checkboxes
                pairs = [one(v) if isinstance(v, dict) else (None, str(v)) for v in value]
                ids = [i for i, _ in pairs if i]
                return (", ".join(ids) or None,
                        (" " if name == "labels" else ", ").join(t or "" for _, t in pairs))
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
        return self.person_ref({"accountId": a.account_id, "name": a.name, "key": self.user_key,
                                "displayName": a.display_name, "emailAddress": a.email})

    def person_ref(self, person: dict[str, Any]) -> dict[str, Any]:
        zone = self.account.time_zone
        if not self.is_cloud:
            return {"self": f"{self.base_url}/rest/api/2/user?username={person['name']}",
                    "name": person["name"], "key": person["key"],
                    "emailAddress": person["emailAddress"],
                    "avatarUrls": {"48x48": f"{self.base_url}/secure/useravatar?size=large"},
                    "displayName": person["displayName"], "active": True, "timeZone": zone}
        return {
            "self": f"{self.base_url}/rest/api/3/user?accountId={person['accountId']}",
            "accountId": person["accountId"],
            "avatarUrls": {"48x48": f"{self.base_url}/secure/useravatar?size=large"},
            "displayName": person["displayName"],
            "active": True,
            "timeZone": zone,
            "accountType": "atlassian",
        }

    def people(self) -> list[dict[str, Any]]:
        """Everyone on the site, the account first, in person_ref's input form."""
        a = self.account
        return [{"accountId": a.account_id, "name": a.name, "key": self.user_key,
                 "displayName": a.display_name, "emailAddress": a.email}, *self.team]

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

    def component(self, project: dict[str, Any], name: str) -> dict[str, Any]:
        component_id = str(10500 + sum(map(ord, project["key"] + name)) % 9000)
        return {"self": f"{self.base_url}/rest/api/3/component/{component_id}",
                "id": component_id, "name": name, "description": f"{name} ({project['name']})",
                "assigneeType": "PROJECT_DEFAULT", "isAssigneeTypeValid": False,
                "project": project["key"], "projectId": int(project["id"])}

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
