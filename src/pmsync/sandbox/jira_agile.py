"""Jira Software agile 1.0: boards and their sprints (startAt/maxResults/isLast/total)."""

from __future__ import annotations

from typing import Any

from pmsync.sandbox.atlassian import jira_error
from pmsync.sandbox.server import HttpError, Request, Response, route
from pmsync.sandbox.site import STATUSES, Site

AGILE_MAX = 50


def _agile_page(req: Request, values: list[dict[str, Any]]) -> Response:
    start = req.int_arg("startAt", 0)
    size = max(1, min(req.int_arg("maxResults", AGILE_MAX), AGILE_MAX))
    page = values[start: start + size]
    return Response(body={"maxResults": size, "startAt": start, "total": len(values),
                          "isLast": start + len(page) >= len(values), "values": page})


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
    board_id = _board_or_404(req)["id"]
    states = set(req.args("state")) or {"future", "active", "closed"}
    sprints = [s for s in req.site.sprints.values()
               if s["originBoardId"] == board_id and s["state"] in states]
    return _agile_page(req, sprints)


def _agile_or_404(req: Request, param: str, records: dict[int, Any], what: str,
                  missing: str) -> dict[str, Any]:
    """The board or sprint a path names, or Jira Software's 400 / 404 for it."""
    try:
        record_id = int(req.params[param])
    except ValueError:
        raise HttpError(400, jira_error(f"The {what} id must be a number.")) from None
    record = records.get(record_id)
    if record is None:
        raise HttpError(404, jira_error(
            f"{missing.format(record_id)} does not exist or you do not have permission to see it."))
    return record


def _board_or_404(req: Request) -> dict[str, Any]:
    return _agile_or_404(req, "boardId", req.site.boards, "board", "Board {}")


def estimation_role(site: Site, board: dict[str, Any]) -> str:
    """Which field the board sums: team-managed Cloud boards use "Story point estimate"."""
    project = site.projects.get(board["location"]["projectKey"]) or {}
    return "story_point_estimate" if site.is_cloud and project.get("simplified") else "story_points"


def board_configuration(req: Request) -> Response:
    """GET /board/{id}/configuration: columns, ranking and the board's estimation field."""
    site = req.site
    board = _board_or_404(req)
    role = estimation_role(site, board)
    base = site.base_url
    columns = [{"name": name, "statuses": [
        {"id": status_id, "self": f"{base}/rest/api/2/status/{status_id}"}]}
        for name, (status_id, _) in STATUSES.items()]
    body = {
        "id": board["id"], "name": board["name"], "type": board["type"],
        "self": f"{base}/rest/agile/1.0/board/{board['id']}/configuration",
        "location": {"type": "project", "projectKeyOrId": board["location"]["projectKey"]},
        "filter": {"id": str(10000 + board["id"]), "self": f"{base}/rest/api/2/filter/"
                                                           f"{10000 + board['id']}"},
        "columnConfig": {"columns": columns, "constraintType": "none"},
        "estimation": {"type": "field", "field": {"fieldId": site.field_ids[role],
                                                  "displayName": site.field_names[role]}},
        "ranking": {"rankCustomFieldId": 10019},
    }
    return Response(body=body)


def _sprint_or_404(req: Request) -> dict[str, Any]:
    return _agile_or_404(req, "sprintId", req.site.sprints, "sprint", "Sprint with id {}")


def get_sprint(req: Request) -> Response:
    return Response(body=_sprint_or_404(req))


def get_board(req: Request) -> Response:
    return Response(body=_board_or_404(req))


def _issue_page(req: Request, chosen: list[dict[str, Any]]) -> Response:
    """A page of agile issues: the platform issue plus Jira Software's own fields (the open
    sprint, closed sprints, flagged), optionally narrowed by ``jql``."""
    from pmsync.sandbox import jira_api, jql
    from pmsync.sandbox.jira_views import issue_view

    site = req.site
    text = req.arg("jql")
    if text:
        try:
            query = jira_api.parse_jql(site, text)
        except jql.JqlError as exc:
            raise HttpError(400, jira_error(str(exc))) from None
        chosen = [i for i in chosen if query.matches(i)]
        chosen = query.sort(chosen) if query.order_by else chosen
    start = max(0, req.int_arg("startAt", 0))
    size = max(1, min(req.int_arg("maxResults", AGILE_MAX), AGILE_MAX))
    wanted = req.args("fields") or ["*all"]
    version = "3" if site.is_cloud else "2"
    issues = []
    with site.lock:
        for issue in chosen[start: start + size]:
            view = issue_view(site, issue, wanted, req.arg("expand") or "", version)
            if "fields" in view and ("*all" in wanted or "*navigable" in wanted):
                view["fields"].update(agile_fields(site, issue))
            issues.append(view)
    return Response(body={"expand": "schema,names", "startAt": start, "maxResults": size,
                          "total": len(chosen), "issues": issues})


def agile_fields(site: Site, issue: dict[str, Any]) -> dict[str, Any]:
    from pmsync.sandbox.site import FLAGGED_ID

    refs = issue["fields"].get(site.field_ids["sprint"]) or []
    sprints = [site.sprints[r["id"]] for r in refs if r["id"] in site.sprints]
    open_sprint = next((s for s in sprints if s["state"] != "closed"), None)
    return {"sprint": open_sprint, "closedSprints": [s for s in sprints if s["state"] == "closed"],
            "flagged": bool(issue["fields"].get(FLAGGED_ID))}


def sprint_issues(req: Request) -> Response:
    sprint = _sprint_or_404(req)
    site = req.site
    field = site.field_ids["sprint"]
    with site.lock:
        chosen = [i for i in site.issues.values()
                  if any(r["id"] == sprint["id"] for r in i["fields"].get(field) or [])]
    return _issue_page(req, chosen)


def board_issues(req: Request) -> Response:
    board = _board_or_404(req)
    site = req.site
    with site.lock:
        chosen = [i for i in site.issues.values()
                  if i["fields"]["project"]["key"] == board["location"]["projectKey"]]
    return _issue_page(req, chosen)


def board_backlog(req: Request) -> Response:
    """Issues of the board in no open sprint and not done."""
    board = _board_or_404(req)
    site = req.site
    field = site.field_ids["sprint"]
    with site.lock:
        chosen = [i for i in site.issues.values()
                  if i["fields"]["project"]["key"] == board["location"]["projectKey"]
                  and i["fields"]["status"]["statusCategory"]["key"] != "done"
                  and not any(site.sprints.get(r["id"], {}).get("state") in ("active", "future")
                              for r in i["fields"].get(field) or [])]
    return _issue_page(req, chosen)


ROUTES = [
    route("GET", "/rest/agile/1.0/board", boards),
    route("GET", "/rest/agile/1.0/board/{boardId}/sprint", board_sprints),
    route("GET", "/rest/agile/1.0/board/{boardId}/configuration", board_configuration),
    route("GET", "/rest/agile/1.0/board/{boardId}", get_board),
    route("GET", "/rest/agile/1.0/board/{boardId}/issue", board_issues),
    route("GET", "/rest/agile/1.0/board/{boardId}/backlog", board_backlog),
    route("GET", "/rest/agile/1.0/sprint/{sprintId}", get_sprint),
    route("GET", "/rest/agile/1.0/sprint/{sprintId}/issue", sprint_issues),
]
