"""How stored issues look on the wire: Cloud v3, Cloud v2, or Data Center v2.

Issues are stored in the Cloud shape. Data Center differs where Atlassian's
documentation says it does: sprints as legacy toString values, epics through
the Epic Link field instead of ``parent``, no team-managed estimate field.
"""

from __future__ import annotations

import json
from typing import Any

from pmsync.sandbox.site import CHANGELOG_EMBED_MAX, Site


def project_fields(issue: dict[str, Any], wanted: list[str]) -> dict[str, Any]:
    """Jira's `fields` parameter: *all, *navigable, names, and -name exclusions."""
    all_fields = issue["fields"]
    include_all = not wanted or any(w in ("*all", "*navigable") for w in wanted)
    names = set(all_fields) if include_all else {w for w in wanted if not w.startswith("-")}
    names -= {w[1:] for w in wanted if w.startswith("-")}
    return {name: all_fields[name] for name in names if name in all_fields}


def issue_view(site: Site, issue: dict[str, Any], wanted: list[str] | None,
               expand: str = "") -> dict[str, Any]:
    view = {"expand": issue["expand"], "id": issue["id"], "self": issue["self"], "key": issue["key"]}
    if wanted:
        fields = issue["fields"] if site.is_cloud else data_center_fields(site, issue["fields"])
        view["fields"] = project_fields({"fields": fields}, wanted)
    if "changelog" in expand.split(","):
        histories = site.histories.get(issue["key"], [])
        shown = histories[:CHANGELOG_EMBED_MAX] if site.is_cloud else histories
        view["changelog"] = {"startAt": 0, "maxResults": len(shown), "total": len(histories),
                             "histories": [history_view(site, h) for h in shown]}
    return view


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
    text = json.dumps(body)
    if "/rest/api/3/" not in text:
        return body
    return json.loads(text.replace(f"{site.base_url}/rest/api/3/", f"{site.base_url}/rest/api/2/"))


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
