"""ClickUp's Workspace-wide views a reporting client reads: Space tags, Goals, what is
shared with the user, time entries and task templates (GetSpaceTags, GetGoals,
SharedHierarchy, Gettimeentrieswithinadaterange, GetTaskTemplates in the v2 reference).
"""

from __future__ import annotations

import time

from pmsync.sandbox.clickup_api import _cu, _flag, _ms_arg, _space, _team, cu_error
from pmsync.sandbox.server import Request, Response

THIRTY_DAYS_MS = 30 * 24 * 3600 * 1000
# ClickUp documents these refusals but not their ECODEs; the sandbox marks its own.
UNDOCUMENTED = "SANDBOX_400"


def space_tags(req: Request) -> Response:
    space = _space(req)
    return Response(body={"tags": req.site.tags.get(space["id"], [])})


def goals(req: Request) -> Response:
    """Goals outside Goal Folders; completed ones only with include_completed=true."""
    ws = _team(req)
    completed = _flag(req, "include_completed")
    shown = [g for g in ws.goals if completed or g["percent_completed"] < 100]
    return Response(body={"goals": shown, "folders": []})


def shared(req: Request) -> Response:
    """What others shared with the token's user: nothing, for the Workspace's owner."""
    _team(req)
    return Response(body={"shared": {"tasks": [], "lists": [], "folders": []}})


def time_entries(req: Request) -> Response:
    """By default the last 30 days of the authenticated user's entries (the reference)."""
    ws = _team(req, "team_Id")
    now = int(time.time() * 1000)
    start = _ms_arg(req, "start_date")
    end = _ms_arg(req, "end_date")
    start = now - THIRTY_DAYS_MS if start is None else start
    end = now if end is None else end
    assignees = {a for a in (req.arg("assignee") or str(ws.user["id"])).split(",") if a}
    places = [name for name in ("space_id", "folder_id", "list_id", "task_id") if req.arg(name)]
    if len(places) > 1:
        raise cu_error(400, "Only one location filter may be given", UNDOCUMENTED)
    where = (places[0], req.arg(places[0])) if places else None
    chosen = []
    for entry in ws.time_entries:
        if not start <= int(entry["start"]) <= end or str(entry["user"]["id"]) not in assignees:
            continue
        if where is not None:
            name, value = where
            key = {"task_id": entry["task"]["id"]}.get(name) or str(
                entry["task_location"][name])
            if key != value:
                continue
        chosen.append(entry)
    return Response(body={"data": chosen})


def task_templates(req: Request) -> Response:
    ws = _team(req)
    page = req.arg("page")
    if page is None:
        raise cu_error(400, "page is required", UNDOCUMENTED)
    first = page in ("", "0")
    return Response(body={"templates": ws.task_templates if first else []})


ROUTES = [
    _cu("GET", "/api/v2/space/{space_id}/tag", space_tags),
    _cu("GET", "/api/v2/team/{team_id}/goal", goals),
    _cu("GET", "/api/v2/team/{team_id}/shared", shared),
    _cu("GET", "/api/v2/team/{team_Id}/time_entries", time_entries),
    _cu("GET", "/api/v2/team/{team_id}/taskTemplate", task_templates),
    # tap-clickup (tested against live ClickUp in its CI) reads this spelling.
    _cu("GET", "/api/v2/team/{team_id}/task_template", task_templates),
]
