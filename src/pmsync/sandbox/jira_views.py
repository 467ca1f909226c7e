"""How stored issues look on the wire: Cloud v3, Cloud v2, or Data Center v2.

Issues are stored in the Cloud v3 shape (ADF descriptions). Data Center differs where
Atlassian's documentation says it does: sprints as legacy toString values, epics through
the Epic Link field instead of ``parent``, no team-managed estimate field, wiki-markup
strings instead of ADF (as v2 on Cloud too). Fields Jira computes (comments, worklogs,
subtasks, time tracking, votes, watches) are built when asked for.
"""

from __future__ import annotations

import html
import json
from typing import Any

import orjson

from pmsync.sandbox.jira_comments import adf_to_text, comment_view
from pmsync.sandbox.jira_fields import field_list
from pmsync.sandbox.server import encode
from pmsync.sandbox.site import CHANGELOG_EMBED_MAX, STATUSES, Site

COMPUTED = ("comment", "worklog", "subtasks", "timetracking", "timespent", "aggregatetimespent",
            "timeestimate", "timeoriginalestimate", "progress", "aggregateprogress",
            "workratio", "votes", "watches", "attachment", "environment", "versions",
            "security", "lastViewed")
EMBEDDED_WORKLOGS = 20  # Jira embeds the first 20 worklogs in the field


def wanted_names(available: set[str], wanted: list[str]) -> set[str]:
    """Jira's `fields` parameter: *all, *navigable, names, and -name exclusions."""
    include_all = not wanted or any(w in ("*all", "*navigable") for w in wanted)
    names = set(available) if include_all else {w for w in wanted if not w.startswith("-")}
    return names - {w[1:] for w in wanted if w.startswith("-")}


def project_fields(issue: dict[str, Any], wanted: list[str]) -> dict[str, Any]:
    all_fields = issue["fields"]
    return {name: all_fields[name] for name in wanted_names(set(all_fields), wanted)
            if name in all_fields}


def issue_view(site: Site, issue: dict[str, Any], wanted: list[str] | None,
               expand: str = "", version: str = "3") -> dict[str, Any]:
    if not site.is_cloud:
        version = "2"
    view: dict[str, Any] = {"expand": issue["expand"], "id": issue["id"], "self": issue["self"],
                            "key": issue["key"]}
    expansions = set(expand.split(",")) if expand else set()
    if wanted:
        stored = issue["fields"] if site.is_cloud else data_center_fields(site, issue["fields"])
        names = wanted_names(set(stored) | set(COMPUTED), wanted)
        fields = {name: stored[name] for name in names if name in stored}
        for name in names & set(COMPUTED):
            fields[name] = computed_field(site, issue, name, version)
        if version == "2" and isinstance(fields.get("description"), dict):
            fields["description"] = adf_to_text(fields["description"]).rstrip("\n")
        view["fields"] = fields
    if "changelog" in expansions:
        histories = site.histories.get(issue["key"], [])
        shown = histories[:CHANGELOG_EMBED_MAX] if site.is_cloud else histories
        view["changelog"] = {"startAt": 0, "maxResults": len(shown), "total": len(histories),
                             "histories": [history_view(site, h) for h in shown]}
    if "transitions" in expansions:
        view["transitions"] = transitions_for(site, issue)
    if "renderedFields" in expansions:
        view["renderedFields"] = rendered_fields(site, issue)
    if {"names", "schema"} & expansions:
        catalogue = field_list(site)
        shown_names = set(view.get("fields", {}))
        if "names" in expansions:
            view["names"] = {f["id"]: f["name"] for f in catalogue if f["id"] in shown_names}
        if "schema" in expansions:
            view["schema"] = {f["id"]: f["schema"] for f in catalogue if f["id"] in shown_names}
    if "operations" in expansions:
        view["operations"] = {"linkGroups": []}
    if "editmeta" in expansions:
        view["editmeta"] = {"fields": {}}
    return view


def computed_field(site: Site, issue: dict[str, Any], name: str, version: str) -> Any:
    key = issue["key"]
    if name == "comment":
        comments = site.comments.get(key, [])
        return {"comments": [comment_view(site, version, issue, c) for c in comments],
                "self": f"{site.base_url}/rest/api/{version}/issue/{issue['id']}/comment",
                "maxResults": len(comments), "total": len(comments), "startAt": 0}
    worklogs = site.worklogs.get(key, [])
    spent = sum(w["timeSpentSeconds"] for w in worklogs) or None
    if name == "worklog":
        shown = worklogs[:EMBEDDED_WORKLOGS]
        return {"startAt": 0, "maxResults": EMBEDDED_WORKLOGS, "total": len(worklogs),
                "worklogs": [worklog_view(site, w, version) for w in shown]}
    if name == "subtasks":
        return [site.issue_ref(i) for i in subtasks_by_parent(site).get(issue["id"], ())]
    if name == "timetracking":
        return {"timeSpent": duration_text(spent), "timeSpentSeconds": spent} if spent else {}
    if name in ("timespent", "aggregatetimespent"):
        return spent
    if name in ("progress", "aggregateprogress"):
        return {"progress": spent or 0, "total": spent or 0,
                **({"percent": 100} if spent else {})}
    if name == "workratio":
        return -1
    if name == "votes":
        return {"self": f"{site.base_url}/rest/api/{version}/issue/{key}/votes", "votes": 0,
                "hasVoted": False}
    if name == "watches":
        return {"self": f"{site.base_url}/rest/api/{version}/issue/{key}/watchers",
                "watchCount": 1, "isWatching": True}
    if name in ("attachment", "versions"):
        return []
    return None  # environment, security, lastViewed, estimates: not set on any seeded issue


def subtasks_by_parent(site: Site) -> dict[str, list[dict[str, Any]]]:
    """Sub-tasks per parent id, rebuilt only when an issue changed (a search page asks for
    every issue's sub-tasks; scanning the site for each would be quadratic)."""
    cached = site.search_cache.get(("subtasks", site.revision, len(site.issues)))
    if cached is None:
        cached = {}
        for candidate in site.issues.values():
            parent = candidate["fields"].get("parent")
            if parent and candidate["fields"]["issuetype"].get("subtask"):
                cached.setdefault(parent["id"], []).append(candidate)
        site.search_cache[("subtasks", site.revision, len(site.issues))] = cached
    return cached


def duration_text(seconds: int | None) -> str | None:
    """Jira's time-tracking text: 1w 2d 3h 4m (5-day weeks, 8-hour days)."""
    if not seconds:
        return None
    minutes = seconds // 60
    parts = []
    for unit, size in (("w", 5 * 8 * 60), ("d", 8 * 60), ("h", 60), ("m", 1)):
        count, minutes = divmod(minutes, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts) or "0m"


def worklog_view(site: Site, worklog: dict[str, Any], version: str) -> dict[str, Any]:
    comment = worklog["comment"]
    return {
        "self": f"{site.base_url}/rest/api/{version}/issue/{worklog['issueId']}/worklog/"
                f"{worklog['id']}",
        "author": worklog["author"], "updateAuthor": worklog["author"],
        "comment": comment if version == "3" else adf_to_text(comment).rstrip("\n"),
        "created": worklog["created"], "updated": worklog["updated"],
        "started": worklog["started"], "timeSpent": duration_text(worklog["timeSpentSeconds"]),
        "timeSpentSeconds": worklog["timeSpentSeconds"], "id": worklog["id"],
        "issueId": worklog["issueId"],
    }


def transitions_for(site: Site, issue: dict[str, Any]) -> list[dict[str, Any]]:
    """Jira Software's simplified workflow: any status to any other (ids 11, 21, 31)."""
    current = issue["fields"]["status"]["name"]
    return [{"id": transition_id, "name": name, "to": site.status_field(name), "hasScreen": False,
             "isGlobal": True, "isInitial": False, "isAvailable": True, "isConditional": False,
             "isLooped": False}
            for transition_id, name in TRANSITIONS.items() if name != current]


TRANSITIONS = {str(11 + 10 * n): name for n, name in enumerate(STATUSES)}


def rendered_fields(site: Site, issue: dict[str, Any]) -> dict[str, Any]:
    f = issue["fields"]
    description = f.get("description")
    text = adf_to_text(description) if isinstance(description, dict) else description
    return {
        "description": "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines())
        if text else None,
        "created": f["created"], "updated": f["updated"], "duedate": f.get("duedate"),
        "resolutiondate": f.get("resolutiondate"), "environment": None,
    }


def history_view(site: Site, history: dict[str, Any]) -> dict[str, Any]:
    """Older Server / Data Center versions name a changed field only by its display name."""
    if site.is_cloud or site.changelog_field_ids:
        return history
    return {**history, "items": [{k: v for k, v in item.items() if k != "fieldId"}
                                 for item in history["items"]]}


def versioned(body: Any, site: Site, version: str) -> Any:
    """Self links name the API version asked for: v2 (and all of Data Center) links /rest/api/2."""
    if version == "3" or body is None:
        return body
    text = encode(body)  # orjson's round trip: the same values, several times faster
    if b"/rest/api/3/" not in text:
        return body
    text = text.replace(f"{site.base_url}/rest/api/3/".encode(),
                        f"{site.base_url}/rest/api/2/".encode())
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # what only json reads (a lone surrogate escaped)
        return json.loads(text)


def legacy_sprint(sprint: dict[str, Any]) -> str:
    """The toString form DC (and pre-2020 Cloud) returns in the sprint field."""
    def value(key: str) -> str:
        return str(sprint.get(key)) if sprint.get(key) not in (None, "") else "<null>"

    return (
        f"com.atlassian.greenhopper.service.sprint.Sprint@{sprint['id'] * 7919:x}"
        f"[id={sprint['id']},rapidViewId={sprint.get('boardId')},state={sprint['state'].upper()},"
        f"name={sprint['name']},startDate={value('startDate')},endDate={value('endDate')},"
        f"completeDate={value('completeDate')},sequence={sprint['id']},goal={value('goal')}]"
    )


def data_center_fields(site: Site, fields: dict[str, Any]) -> dict[str, Any]:
    ids = site.field_ids
    out = dict(fields)
    sprints = out.get(ids["sprint"])
    out[ids["sprint"]] = [legacy_sprint(s) for s in sprints] if sprints else None
    estimate = out.pop(ids["story_point_estimate"], None)
    if out.get(ids["story_points"]) is None:
        out[ids["story_points"]] = estimate
    parent = out.get("parent")
    if parent and parent["fields"]["issuetype"]["name"] == "Epic":
        out["parent"] = None
        out[ids["epic_link"]] = parent["key"]
    else:
        out[ids["epic_link"]] = None
    return out
