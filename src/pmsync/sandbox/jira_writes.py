"""Changing the world through the API as a user would: create and edit issues, move them
through the workflow, log work. Every change lands in the changelog, as in Jira.

Bodies follow the platform API: {"fields": {...}, "update": {...}}; a field given by
name or id ({"name": "Story"} / {"id": "10001"}); users by accountId (Cloud) or name (DC);
descriptions and comments as ADF on v3, as strings on v2. Errors are ErrorCollections
naming the field, as Jira's are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pmsync.sandbox.atlassian import jira_error
from pmsync.sandbox.jira_comments import comment_view
from pmsync.sandbox.jira_meta import PRIORITIES, RESOLUTIONS, api_version, project_or_404
from pmsync.sandbox.jira_views import TRANSITIONS, transitions_for, worklog_view
from pmsync.sandbox.server import HttpError, Request, Response, route
from pmsync.sandbox.site import FLAGGED_ID, ISSUE_TYPES, Site, text_adf

WORKLOG_PAGE = 1000  # /worklog/updated and /worklog/list answer at most this many


def _field_error(field: str, message: str) -> HttpError:
    return HttpError(400, jira_error(errors={field: message}))


def issue_or_404(site: Site, id_or_key: str) -> dict[str, Any]:
    issue = site.issue_by_id_or_key(id_or_key)
    if issue is None:
        raise HttpError(404, jira_error("Issue does not exist or you do not have permission "
                                        "to see it."))
    return issue


def _person(site: Site, field: str, value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    wanted = value.get("accountId") if site.is_cloud else (value.get("name") or value.get("key"))
    person = next((p for p in site.people() if wanted in (p["accountId"], p["name"], p["key"])),
                  None)
    if not isinstance(value, dict) or person is None:
        raise _field_error(field, f"User '{wanted}' does not exist.")
    return site.person_ref(person)


class FieldReader:
    """Turns the values a client sends into stored field values, or a 400 naming the field."""

    def __init__(self, site: Site, version: str, project: dict[str, Any]):
        self.site, self.version, self.project = site, version, project

    def read(self, name: str, value: Any) -> tuple[str, Any]:
        site, ids = self.site, self.site.field_ids
        if name == "summary":
            if not isinstance(value, str) or not value.strip():
                raise _field_error("summary", "You must specify a summary of the issue.")
            if len(value) > 255:
                raise _field_error("summary", "Summary must be less than 255 characters.")
            return name, value
        if name == "description":
            return name, self.document(name, value)
        if name in ("assignee", "reporter"):
            return name, _person(site, name, value)
        if name == "priority":
            wanted = (value or {}).get("id") or (value or {}).get("name")
            match = next((p for p in PRIORITIES if wanted in (p[0], p[1])), None)
            if match is None:
                raise _field_error("priority", f"Specify the Priority (id or name) in the "
                                               f"right format, not '{wanted}'.")
            return name, {"self": f"{site.base_url}/rest/api/3/priority/{match[0]}",
                          "id": match[0], "name": match[1]}
        if name == "labels":
            if not isinstance(value, list) or any(" " in str(v) for v in value):
                raise _field_error("labels", "The label can't contain spaces.")
            return name, [str(v) for v in value]
        if name == "duedate" or name == ids["start_date"]:
            if value is not None:
                try:
                    datetime.strptime(str(value), "%Y-%m-%d")
                except ValueError:
                    raise _field_error(name, "Error parsing date string: " + str(value)) from None
            return name, value
        if name == "components":
            return name, [self.site.component(self.project, self.named(name, v)) for v in value or []]
        if name == "fixVersions":
            versions = site.versions.get(self.project["key"], [])
            chosen = []
            for v in value or []:
                wanted = self.named(name, v)
                match = next((x for x in versions if wanted in (x["id"], x["name"])), None)
                if match is None:
                    raise _field_error(name, f"Version name '{wanted}' is not valid")
                chosen.append(match)
            return name, chosen
        if name == "parent":
            parent = site.issue_by_id_or_key(str((value or {}).get("key") or (value or {}).get("id")))
            if parent is None:
                raise _field_error("parent", "Given parent work item does not belong to "
                                             "appropriate hierarchy.")
            return name, site.issue_ref(parent)
        if name == ids["epic_link"] and not site.is_cloud:
            epic = site.issue_by_id_or_key(str(value)) if value else None
            if value and epic is None:
                raise _field_error(name, f"The issue '{value}' does not exist.")
            return "parent", site.issue_ref(epic) if epic else None
        if name == ids["sprint"]:
            sprint = site.sprints.get(int(value)) if value not in (None, []) else None
            if value not in (None, []) and sprint is None:
                raise _field_error(name, f"Sprint with id {value} does not exist.")
            return name, [sprint_ref(sprint)] if sprint else None
        if name in (ids["story_points"], ids["story_point_estimate"], *site.decoy_fields):
            if value is not None and not isinstance(value, int | float):
                raise _field_error(name, "Operation value must be a number")
            return name, None if value is None else float(value)
        if name == FLAGGED_ID:
            return name, [{"self": f"{site.base_url}/rest/api/2/customFieldOption/10019",
                           "value": "Impediment", "id": "10019"}] if value else None
        raise _field_error(name, f"Field '{name}' cannot be set. It is not on the appropriate "
                                 "screen, or unknown.")

    def named(self, field: str, value: Any) -> str:
        if not isinstance(value, dict) or not (value.get("name") or value.get("id")):
            raise _field_error(field, "expected Object containing a 'name' or 'id' property")
        return str(value.get("name") or value.get("id"))

    def document(self, field: str, value: Any) -> Any:
        if value is None:
            return None
        if self.version == "3":
            if not (isinstance(value, dict) and value.get("type") == "doc"):
                raise _field_error(field, "Operation value must be an Atlassian Document "
                                          "(see the Atlassian Document Format)")
            return value
        if not isinstance(value, str):
            raise _field_error(field, "Operation value must be a string")
        return text_adf(value)


def sprint_ref(sprint: dict[str, Any]) -> dict[str, Any]:
    ref = {k: sprint[k] for k in ("id", "name", "state", "goal", "startDate", "endDate")
           if k in sprint}
    ref["boardId"] = sprint["originBoardId"]
    if "completeDate" in sprint:
        ref["completeDate"] = sprint["completeDate"]
    return ref


def _body(req: Request) -> dict[str, Any]:
    body = req.json()
    if not isinstance(body, dict):
        raise HttpError(400, jira_error("Can not deserialize instance of the request body: "
                                        "expected a JSON object."))
    return body


def create_issue(req: Request) -> Response:
    version = api_version(req)
    site = req.site
    body = _body(req)
    given = dict(body.get("fields") or {})
    errors = {}
    if not given.get("project"):
        errors["project"] = "Specify a valid project ID or key"
    if not given.get("issuetype"):
        errors["issuetype"] = "Specify an issue type"
    if errors:
        raise HttpError(400, jira_error(errors=errors))
    project_ref = given.pop("project")
    project = project_or_404(site, str(project_ref.get("key") or project_ref.get("id")))
    type_ref = given.pop("issuetype")
    kind = next((name for name, info in ISSUE_TYPES.items()
                 if type_ref.get("name") == name or type_ref.get("id") == info["id"]), None)
    if kind is None:
        raise _field_error("issuetype", "The issue type selected is invalid.")
    reader = FieldReader(site, version, project)
    fields = dict(reader.read(name, value) for name, value in given.items())
    if "summary" not in fields:
        raise _field_error("summary", "You must specify a summary of the issue.")
    with site.lock:
        issue = site.new_issue(project["key"], kind, fields)
    return Response(201, {"id": issue["id"], "key": issue["key"],
                          "self": f"{site.base_url}/rest/api/{version}/issue/{issue['id']}"})


def edit_issue(req: Request) -> Response:
    """PUT /issue/{key}: `fields` set values, `update` adds / removes / sets (labels,
    components, versions) or adds comments; 204 with no body."""
    version = api_version(req)
    site = req.site
    body = _body(req)
    with site.lock:
        issue = issue_or_404(site, req.params["issueIdOrKey"])
        reader = FieldReader(site, version, issue["fields"]["project"])
        changes = dict(reader.read(name, value) for name, value in (body.get("fields") or {}).items())
        comments = []
        for name, operations in (body.get("update") or {}).items():
            for operation in operations:
                verb, value = next(iter(operation.items()))
                if name == "comment" and verb == "add":
                    comments.append(reader.document("comment", value.get("body")))
                    continue
                current = list(changes.get(name, issue["fields"].get(name)) or [])
                if verb == "set":
                    current = value if isinstance(value, list) else [value]
                elif verb == "add":
                    current.append(value)
                elif verb == "remove":
                    current = [c for c in current if c != value and not (
                        isinstance(c, dict) and isinstance(value, dict)
                        and c.get("name") == value.get("name"))]
                else:
                    raise _field_error(name, f"Unsupported operation '{verb}'.")
                changes.update([reader.read(name, current)])
        site.touch(issue["key"], **changes)
        for comment in comments:
            site.add_comment(issue["key"], comment)
    return Response(204)


def get_transitions(req: Request) -> Response:
    api_version(req)
    site = req.site
    with site.lock:
        issue = issue_or_404(site, req.params["issueIdOrKey"])
        found = transitions_for(site, issue)
    wanted = req.arg("transitionId")
    if wanted:
        found = [t for t in found if t["id"] == wanted]
    return Response(body={"expand": "transitions", "transitions": found})


def do_transition(req: Request) -> Response:
    """POST /issue/{key}/transitions {"transition": {"id": "31"}}: the status moves, a done
    status sets the resolution (Done unless given), leaving one clears it."""
    version = api_version(req)
    site = req.site
    body = _body(req)
    transition_id = str((body.get("transition") or {}).get("id") or "")
    with site.lock:
        issue = issue_or_404(site, req.params["issueIdOrKey"])
        if transition_id not in {t["id"] for t in transitions_for(site, issue)}:
            raise HttpError(400, jira_error(
                f"Transition id '{transition_id}' is not valid for this issue."))
        target = site.status_field(TRANSITIONS[transition_id])
        changes: dict[str, Any] = {"status": target}
        fields = body.get("fields") or {}
        if target["statusCategory"]["key"] == "done":
            wanted = (fields.get("resolution") or {}).get("name") or "Done"
            match = next((r for r in RESOLUTIONS if wanted in (r[0], r[1])), RESOLUTIONS[0])
            changes["resolution"] = {"self": f"{site.base_url}/rest/api/3/resolution/{match[0]}",
                                     "id": match[0], "name": match[1], "description": match[2]}
            changes["resolutiondate"] = site.stamp(site.now())
        elif issue["fields"].get("resolution"):
            changes.update(resolution=None, resolutiondate=None)
        reader = FieldReader(site, version, issue["fields"]["project"])
        changes.update(reader.read(k, v) for k, v in fields.items() if k != "resolution")
        site.touch(issue["key"], **changes)
        for operation in (body.get("update") or {}).get("comment", []):
            site.add_comment(issue["key"], reader.document("comment", operation["add"]["body"]))
    return Response(204)


def get_comment(req: Request) -> Response:
    version = api_version(req)
    site = req.site
    with site.lock:
        issue = issue_or_404(site, req.params["issueIdOrKey"])
        comment = next((c for c in site.comments.get(issue["key"], [])
                        if c["id"] == req.params["id"]), None)
        if comment is None:
            raise HttpError(404, jira_error("Can not find a comment for the id: "
                                            + req.params["id"]))
        return Response(body=comment_view(site, version, issue, comment))


def issue_worklogs(req: Request) -> Response:
    version = api_version(req)
    site = req.site
    with site.lock:
        issue = issue_or_404(site, req.params["issueIdOrKey"])
        worklogs = site.worklogs.get(issue["key"], [])
    start = max(0, req.int_arg("startAt", 0))
    size = max(1, min(req.int_arg("maxResults", 5000), 5000))
    return Response(body={"startAt": start, "maxResults": size, "total": len(worklogs),
                          "worklogs": [worklog_view(site, w, version)
                                       for w in worklogs[start: start + size]]})


def add_worklog(req: Request) -> Response:
    """POST /issue/{key}/worklog {timeSpentSeconds | timeSpent, started?, comment?}."""
    version = api_version(req)
    site = req.site
    body = _body(req)
    seconds = body.get("timeSpentSeconds")
    if seconds is None and body.get("timeSpent"):
        seconds = parse_duration(str(body["timeSpent"]))
    if not isinstance(seconds, int) or seconds <= 0:
        raise _field_error("timeLogged", "You must indicate the time spent working.")
    with site.lock:
        issue = issue_or_404(site, req.params["issueIdOrKey"])
        comment = body.get("comment")
        comment = FieldReader(site, version, issue["fields"]["project"]).document(
            "comment", comment) if comment else text_adf("")
        started = body.get("started") or site.stamp(site.now())
        worklog = site.add_worklog(issue["key"], site.user_ref(), started, seconds, comment)
    return Response(201, worklog_view(site, worklog, version))


def parse_duration(text: str) -> int | None:
    units = {"w": 5 * 8 * 3600, "d": 8 * 3600, "h": 3600, "m": 60}
    total = 0
    for part in text.split():
        if len(part) < 2 or part[-1] not in units or not part[:-1].isdigit():
            return None
        total += int(part[:-1]) * units[part[-1]]
    return total


def updated_worklogs(req: Request) -> Response:
    """GET /worklog/updated?since=<ms>: ids of worklogs changed since, oldest first, 1000 a
    page, with lastPage and the next page's `since`."""
    api_version(req)
    site = req.site
    since = req.int_arg("since", 0)
    with site.lock:
        changed = sorted(((_ms(w["updated"]), w) for logs in site.worklogs.values() for w in logs
                          if _ms(w["updated"]) > since), key=lambda pair: pair[0])
    page = changed[:WORKLOG_PAGE]
    last = len(changed) <= WORKLOG_PAGE
    until = page[-1][0] if page else since
    body: dict[str, Any] = {
        "values": [{"worklogId": int(w["id"]), "updatedTime": ms, "properties": []}
                   for ms, w in page],
        "since": since, "until": until,
        "self": f"{site.base_url}{req.path}?since={since}", "lastPage": last}
    if not last:
        body["nextPage"] = f"{site.base_url}{req.path}?since={until}"
    return Response(body=body)


def list_worklogs(req: Request) -> Response:
    """POST /worklog/list {"ids": [...]}: the worklogs, at most 1000."""
    version = api_version(req)
    site = req.site
    ids = {str(i) for i in (_body(req).get("ids") or [])}
    if len(ids) > WORKLOG_PAGE:
        raise HttpError(400, jira_error("The number of worklog ids must be 1000 or less."))
    with site.lock:
        found = [worklog_view(site, w, version) for logs in site.worklogs.values() for w in logs
                 if w["id"] in ids]
    return Response(body=found)


def _ms(stamp: str) -> int:
    return int(datetime.fromisoformat(stamp).timestamp() * 1000)


_P = "/rest/api/{version}/issue"
ROUTES = [
    route("POST", _P, create_issue),
    route("PUT", f"{_P}/{{issueIdOrKey}}", edit_issue),
    route("GET", f"{_P}/{{issueIdOrKey}}/transitions", get_transitions),
    route("POST", f"{_P}/{{issueIdOrKey}}/transitions", do_transition),
    route("GET", f"{_P}/{{issueIdOrKey}}/comment/{{id}}", get_comment),
    route("GET", f"{_P}/{{issueIdOrKey}}/worklog", issue_worklogs),
    route("POST", f"{_P}/{{issueIdOrKey}}/worklog", add_worklog),
    route("GET", "/rest/api/{version}/worklog/updated", updated_worklogs),
    route("POST", "/rest/api/{version}/worklog/list", list_worklogs),
]

