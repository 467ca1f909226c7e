"""Jira Software agile 1.0: boards and their sprints (startAt/maxResults/isLast/total)."""

from __future__ import annotations

from typing import Any

from pmsync.sandbox.server import HttpError, Request, Response, jira_error, route

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
    try:
        board_id = int(req.params["boardId"])
    except ValueError:
        raise HttpError(400, jira_error("The board id must be a number.")) from None
    if board_id not in req.site.boards:
        raise HttpError(404, jira_error(
            f"Board {board_id} does not exist or you do not have permission to see it."))
    states = set(req.args("state")) or {"future", "active", "closed"}
    sprints = [s for s in req.site.sprints.values()
               if s["originBoardId"] == board_id and s["state"] in states]
    return _agile_page(req, sprints)


ROUTES = [
    route("GET", "/rest/agile/1.0/board", boards),
    route("GET", "/rest/agile/1.0/board/{boardId}/sprint", board_sprints),
]
