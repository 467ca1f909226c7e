"""Jira Cloud REST v3 (platform) and Jira Software agile 1.0, as documented.

Shapes follow Atlassian's OpenAPI documents (../shared/specs) field for field:
enhanced search pages with nextPageToken/isLast and no total, agile lists
page with startAt/maxResults/isLast/total, errors are ErrorCollections.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from pmsync.sandbox import jql
from pmsync.sandbox.server import HttpError, Request, Response, jira_error, route
from pmsync.sandbox.site import LINK_TYPES, Site, jira_time

SEARCH_MAX = 100  # the most issues one search page returns when fields are asked for
SEARCH_MAX_ID_ONLY = 5000
AGILE_MAX = 50


def server_info(req: Request) -> Response:
    site = req.site
    return Response(
        body={
            "baseUrl": site.base_url,
            "displayUrl": site.base_url,
            "version": "1001.0.0-SNAPSHOT",
            "versionNumbers": [1001, 0, 0],
            "deploymentType": "Cloud",
            "buildNumber": 100284,
            "buildDate": "2026-11-01T00:00:00.000+0000",
            "serverTime": jira_time(site.now()),
            "scmInfo": "0d6b9f1a1f4e3d4a1d1b2b6c2e5f9e8a7b6c5d4e",
            "serverTitle": "Jira",
            "serverTimeZone": "Etc/UTC",
        }
    )


def myself(req: Request) -> Response:
    site, account = req.site, req.site.account
    return Response(
        body={
            **site.user_ref(),
            "emailAddress": account.email,
            "avatarUrls": {"48x48": f"{site.base_url}/avatar/48.png"},
            "locale": "en_US",
            "groups": {"size": 1, "items": []},
            "applicationRoles": {"size": 1, "items": []},
            "expand": "groups,applicationRoles",
        }
    )


def _system_field(fid: str, name: str, schema_type: str, items: str | None = None) -> dict:
    schema: dict[str, Any] = {"type": schema_type, "system": fid}
    if items:
        schema["items"] = items
    return {
        "id": fid, "key": fid, "name": name, "custom": False, "orderable": True,
        "navigable": True, "searchable": True, "clauseNames": [fid], "schema": schema,
    }


def _custom_field(fid: str, name: str, schema: dict[str, Any]) -> dict:
    number = int(fid.split("_")[1])
    return {
        "id": fid, "key": fid, "name": name, "custom": True,
        "orderable": True, "navigable": True, "searchable": True,
        "clauseNames": [f"cf[{number}]", name], "schema": {**schema, "customId": number},
    }


def fields(req: Request) -> Response:
    ids = req.site.field_ids
    system = [
        _system_field("summary", "Summary", "string"),
        _system_field("status", "Status", "status"),
        _system_field("issuetype", "Issue Type", "issuetype"),
        _system_field("parent", "Parent", "issuelink"),
        _system_field("project", "Project", "project"),
        _system_field("duedate", "Due date", "date"),
        _system_field("labels", "Labels", "array", "string"),
        _system_field("components", "Components", "array", "component"),
        _system_field("assignee", "Assignee", "user"),
        _system_field("fixVersions", "Fix versions", "array", "version"),
        _system_field("issuelinks", "Linked Issues", "array", "issuelinks"),
        _system_field("resolution", "Resolution", "resolution"),
        _system_field("resolutiondate", "Resolved", "datetime"),
        _system_field("created", "Created", "datetime"),
        _system_field("updated", "Updated", "datetime"),
        _system_field("priority", "Priority", "priority"),
    ]
    custom = [
        _custom_field(ids["sprint"], "Sprint", {
            "type": "array", "items": "json", "custom": "com.pyxis.greenhopper.jira:gh-sprint"}),
        _custom_field(ids["story_points"], "Story point estimate", {
            "type": "number", "custom": "com.pyxis.greenhopper.jira:jsw-story-points"}),
        _custom_field(ids["start_date"], "Start date", {
            "type": "date",
            "custom": "com.atlassian.jira.plugin.system.customfieldtypes:datepicker"}),
        _custom_field("customfield_10019", "Rank", {
            "type": "any", "custom": "com.pyxis.greenhopper.jira:gh-lexo-rank"}),
    ]
    return Response(body=system + custom)


def _project_fields(issue: dict[str, Any], wanted: list[str]) -> dict[str, Any]:
    """Jira's `fields` parameter: *all, *navigable, names, and -name exclusions."""
    all_fields = issue["fields"]
    include_all = not wanted or any(w in ("*all", "*navigable") for w in wanted)
    names = set(all_fields) if include_all else {w for w in wanted if not w.startswith("-")}
    names -= {w[1:] for w in wanted if w.startswith("-")}
    return {name: all_fields[name] for name in names if name in all_fields}


def _issue_view(issue: dict[str, Any], wanted: list[str] | None) -> dict[str, Any]:
    view = {"expand": issue["expand"], "id": issue["id"], "self": issue["self"], "key": issue["key"]}
    if wanted:
        view["fields"] = _project_fields(issue, wanted)
    return view


def _encode_token(offset: int, jql_text: str) -> str:
    raw = json.dumps({"o": offset, "q": jql_text}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str, jql_text: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if data["q"] == jql_text:
            return int(data["o"])
    except (ValueError, KeyError, TypeError):
        pass
    raise HttpError(400, jira_error("The provided next page token is invalid or expired."))


def _search_params(req: Request) -> dict[str, Any]:
    if req.method == "POST":
        body = req.json() or {}
        if not isinstance(body, dict):
            raise HttpError(400, jira_error("Request body must be a JSON object."))
        wanted = body.get("fields") or []
        return {
            "jql": body.get("jql") or "",
            "nextPageToken": body.get("nextPageToken"),
            "maxResults": body.get("maxResults", 50),
            "fields": wanted if isinstance(wanted, list) else str(wanted).split(","),
            "expand": body.get("expand") or "",
        }
    return {
        "jql": req.arg("jql", "") or "",
        "nextPageToken": req.arg("nextPageToken"),
        "maxResults": req.int_arg("maxResults", 50),
        "fields": req.args("fields"),
        "expand": req.arg("expand", "") or "",
    }


def search_jql(req: Request) -> Response:
    site = req.site
    params = _search_params(req)
    try:
        query = jql.parse(params["jql"], site.account.time_zone)
    except jql.JqlError as exc:
        raise HttpError(400, jira_error(str(exc))) from None
    if query.predicate is None:
        raise HttpError(
            400,
            jira_error(
                "Unbounded JQL queries are not allowed here. Please add a search restriction "
                "to your query."
            ),
        )
    wanted = [w.strip() for w in params["fields"] if w.strip()]
    only_ids = not wanted or set(wanted) <= {"id", "key"}
    cap = SEARCH_MAX_ID_ONLY if only_ids else SEARCH_MAX
    max_results = max(1, min(int(params["maxResults"] or 50), cap))
    offset = _decode_token(params["nextPageToken"], params["jql"]) if params["nextPageToken"] else 0
    with site.lock:
        try:
            matched = query.sort([i for i in site.issues.values() if query.matches(i)])
        except jql.JqlError as exc:
            raise HttpError(400, jira_error(str(exc))) from None
        page = [_issue_view(i, wanted) for i in matched[offset : offset + max_results]]
    body: dict[str, Any] = {"issues": page}
    if offset + max_results < len(matched):
        body["nextPageToken"] = _encode_token(offset + max_results, params["jql"])
        body["isLast"] = False
    else:
        body["isLast"] = True
    return Response(body=body)


def _issue_or_404(site: Site, id_or_key: str) -> dict[str, Any]:
    issue = site.issue_by_id_or_key(id_or_key)
    if issue is None:
        raise HttpError(
            404,
            jira_error("Issue does not exist or you do not have permission to see it."),
        )
    return issue


def get_issue(req: Request) -> Response:
    issue = _issue_or_404(req.site, req.params["issueIdOrKey"])
    return Response(body=_issue_view(issue, req.args("fields") or ["*all"]))


def _comment_view(site: Site, issue: dict[str, Any], comment: dict[str, Any]) -> dict[str, Any]:
    return {
        "self": f"{site.base_url}/rest/api/3/issue/{issue['id']}/comment/{comment['id']}",
        "id": comment["id"],
        "author": site.user_ref(),
        "body": comment["body"],
        "updateAuthor": site.user_ref(),
        "created": comment["created"],
        "updated": comment["updated"],
        "jsdPublic": True,
    }


def list_comments(req: Request) -> Response:
    site = req.site
    issue = _issue_or_404(site, req.params["issueIdOrKey"])
    start = req.int_arg("startAt", 0)
    size = max(1, min(req.int_arg("maxResults", 100), 100))
    with site.lock:
        comments = list(site.comments.get(issue["key"], []))
    if (req.arg("orderBy") or "").startswith("-"):
        comments.reverse()
    page = comments[start : start + size]
    return Response(
        body={
            "startAt": start,
            "maxResults": size,
            "total": len(comments),
            "comments": [_comment_view(site, issue, c) for c in page],
        }
    )


def _adf_body(req: Request) -> dict[str, Any]:
    body = req.json()
    doc = body.get("body") if isinstance(body, dict) else None
    if not (isinstance(doc, dict) and doc.get("type") == "doc" and doc.get("version") == 1
            and isinstance(doc.get("content"), list)):
        raise HttpError(
            400,
            jira_error(errors={
                "comment": "Operation value must be an Atlassian Document "
                "(see the Atlassian Document Format)"
            }),
        )
    return doc


def add_comment(req: Request) -> Response:
    site = req.site
    issue = _issue_or_404(site, req.params["issueIdOrKey"])
    doc = _adf_body(req)
    now = jira_time(site.now())
    comment = {"id": site.next_id(), "body": doc, "created": now, "updated": now}
    with site.lock:
        site.comments.setdefault(issue["key"], []).append(comment)
        issue["fields"]["updated"] = now  # commenting updates the issue, as in Jira
    return Response(201, _comment_view(site, issue, comment))


def update_comment(req: Request) -> Response:
    site = req.site
    issue = _issue_or_404(site, req.params["issueIdOrKey"])
    doc = _adf_body(req)
    with site.lock:
        comment = next(
            (c for c in site.comments.get(issue["key"], []) if c["id"] == req.params["id"]), None
        )
        if comment is None:
            raise HttpError(404, jira_error("Can not find a comment for the id: " + req.params["id"]))
        comment["body"] = doc
        comment["updated"] = jira_time(site.now())
        issue["fields"]["updated"] = comment["updated"]
    return Response(200, _comment_view(site, issue, comment))


def project_versions(req: Request) -> Response:
    key = req.params["projectIdOrKey"].upper()
    project = next(
        (p for p in req.site.projects.values() if key in (p["key"], p["id"])), None
    )
    if project is None:
        raise HttpError(404, jira_error(f"No project could be found with key '{key}'."))
    return Response(body=req.site.versions.get(project["key"], []))


def issue_link_types(req: Request) -> Response:
    base = req.site.base_url
    return Response(body={"issueLinkTypes": [
        dict(t, self=f"{base}/rest/api/3/issueLinkType/{t['id']}") for t in LINK_TYPES
    ]})


def _agile_page(req: Request, values: list[dict[str, Any]]) -> Response:
    start = req.int_arg("startAt", 0)
    size = max(1, min(req.int_arg("maxResults", AGILE_MAX), AGILE_MAX))
    page = values[start : start + size]
    return Response(
        body={
            "maxResults": size,
            "startAt": start,
            "total": len(values),
            "isLast": start + len(page) >= len(values),
            "values": page,
        }
    )


def boards(req: Request) -> Response:
    wanted = (req.arg("projectKeyOrId") or "").upper()
    board_type = req.arg("type")
    name = (req.arg("name") or "").lower()
    selected = [
        b for b in req.site.boards.values()
        if (not wanted or wanted in (b["location"]["projectKey"], str(b["location"]["projectId"])))
        and (not board_type or b["type"] == board_type)
        and name in b["name"].lower()
    ]
    return _agile_page(req, selected)


def board_sprints(req: Request) -> Response:
    try:
        board_id = int(req.params["boardId"])
    except ValueError:
        raise HttpError(400, jira_error("The board id must be a number.")) from None
    if board_id not in req.site.boards:
        raise HttpError(404, jira_error(
            f"Board {board_id} does not exist or you do not have permission to see it."))
    states = set(req.args("state")) or {"future", "active", "closed"}
    sprints = [
        s for s in req.site.sprints.values()
        if s["originBoardId"] == board_id and s["state"] in states
    ]
    return _agile_page(req, sprints)


ROUTES = [
    route("GET", "/rest/api/{version}/serverInfo", server_info, auth=False),
    route("GET", "/rest/api/3/myself", myself),
    route("GET", "/rest/api/3/field", fields),
    route("GET", "/rest/api/3/search/jql", search_jql),
    route("POST", "/rest/api/3/search/jql", search_jql),
    route("GET", "/rest/api/3/issue/{issueIdOrKey}", get_issue),
    route("GET", "/rest/api/3/issue/{issueIdOrKey}/comment", list_comments),
    route("POST", "/rest/api/3/issue/{issueIdOrKey}/comment", add_comment),
    route("PUT", "/rest/api/3/issue/{issueIdOrKey}/comment/{id}", update_comment),
    route("GET", "/rest/api/3/project/{projectIdOrKey}/versions", project_versions),
    route("GET", "/rest/api/3/issueLinkType", issue_link_types),
    route("GET", "/rest/agile/1.0/board", boards),
    route("GET", "/rest/agile/1.0/board/{boardId}/sprint", board_sprints),
]
