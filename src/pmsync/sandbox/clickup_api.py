"""ClickUp API v2 (hierarchy, tasks, comments) and v3 Docs, as documented.

Personal tokens go raw in the Authorization header (pk_...), OAuth tokens as
Bearer. Errors are {"err", "ECODE"} (v2) or {"status", "message"} (v3); over
the per-token limit a request gets 429 with X-RateLimit-* (Reset in Unix seconds).
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from typing import Any

from pmsync.sandbox.clickup_site import ClickUpWorkspace
from pmsync.sandbox.server import HttpError, Realm, Request, Response, route

PAGE = 100


def cu_error(status: int, err: str, ecode: str) -> HttpError:
    return HttpError(status, {"err": err, "ECODE": ecode})


def _ws(req: Request) -> ClickUpWorkspace:
    ws = req.site
    if ws is None:  # a sandbox started without ClickUp
        raise cu_error(404, "Route not found", "APP_001")
    return ws


class ClickUpRealm(Realm):
    """ClickUp's gate: raw pk_ tokens or OAuth Bearer, the per-token limit, {err, ECODE}."""

    prefixes = ("/api/v2/", "/api/v3/")

    def __init__(self, workspace: ClickUpWorkspace | None):
        super().__init__(workspace)
        self.ws = workspace

    def authenticate(self, request: Request) -> None:
        ws = self.ws
        header = request.headers.get("authorization", "")
        if not header:
            raise cu_error(401, "Authorization header required", "OAUTH_017")
        if ws is None or header not in (ws.token, f"Bearer {ws.oauth_token}"):
            raise cu_error(401, "Token invalid", "OAUTH_025")

    def limit(self) -> tuple[Response | None, dict[str, str]]:
        ws = self.ws
        limit = ws.rate_limit if ws else None
        if limit is None:
            return None, {}
        with ws.lock:
            remaining, reset_in = limit.take()
            if remaining < 0:
                ws.throttled += 1
        headers = {"X-RateLimit-Limit": str(limit.limit),
                   "X-RateLimit-Remaining": str(max(remaining, 0)),
                   "X-RateLimit-Reset": ws.reset_header(reset_in)}
        if remaining >= 0:
            return None, headers
        return Response(429, {"err": "Rate limit reached", "ECODE": "APP_002"}, headers), headers

    def error_body(self, path: str, status: int, message: str) -> Any:
        if path.startswith("/api/v3/"):
            return v3_error(status, message).response.body
        if status == 404:
            return {"err": "Route not found", "ECODE": "APP_001"}
        if status == 429:
            return {"err": "Rate limit reached", "ECODE": "APP_002"}
        # ClickUp documents the shape ({err, ECODE}) but no code for its 5xx answers;
        # this one says where it came from.
        return {"err": message, "ECODE": f"SANDBOX_{status}"}

    def throttle_headers(self, fault) -> dict[str, str]:
        """ClickUp sends no Retry-After, only X-RateLimit-* with the reset in Unix seconds."""
        ws = self.ws
        limit = ws.rate_limit.limit if ws and ws.rate_limit else 100
        reset_in = 1.0 if fault.reset_in is None else fault.reset_in
        reset = ws.reset_header(reset_in) if ws else str(int(time.time() + reset_in))
        return {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": reset}


# hierarchy -------------------------------------------------------------------------
def teams(req: Request) -> Response:
    ws = _ws(req)
    avatar = "https://attachments.clickup.com/profilePictures/team.png"
    return Response(body={"teams": [{"id": ws.team_id, "name": ws.name, "color": "#536cfe",
                                     "avatar": avatar, "members": [{"user": ws.user}]}]})


def _team(req: Request, key: str = "team_id") -> ClickUpWorkspace:
    ws = _ws(req)
    if req.params[key] != ws.team_id:
        raise cu_error(401, "Team not authorized", "OAUTH_027")
    return ws


def _archived(req: Request, items) -> list[dict[str, Any]]:
    """``archived=true`` lists only the archived ones, false (the default) only the others,
    so a client asking both ways (tap-clickup does) sees each once."""
    wanted = _flag(req, "archived")
    return [item for item in items if bool(item.get("archived")) == wanted]


def spaces(req: Request) -> Response:
    ws = _team(req)
    return Response(body={"spaces": _archived(req, ws.spaces.values())})


def _space(req: Request) -> dict[str, Any]:
    space = _ws(req).spaces.get(req.params["space_id"])
    if space is None:
        raise cu_error(404, "Space not found", "ITEM_015")
    return space


def folders(req: Request) -> Response:
    space = _space(req)
    ws = _ws(req)
    return Response(body={"folders": _archived(req, [f for f in ws.folders.values()
                                                     if f["space"]["id"] == space["id"]])})


def folder_lists(req: Request) -> Response:
    ws = _ws(req)
    if req.params["folder_id"] not in ws.folders:
        raise cu_error(404, "Folder not found", "ITEM_013")
    return Response(body={"lists": _archived(req, ws.folders[req.params["folder_id"]]["lists"])})


def folderless_lists(req: Request) -> Response:
    space = _space(req)
    ws = _ws(req)
    return Response(body={"lists": _archived(req, [
        lst for lst in ws.lists.values()
        if lst["space"]["id"] == space["id"] and lst["folder"]["hidden"]])})


def custom_items(req: Request) -> Response:
    return Response(body={"custom_items": _team(req).custom_items})


def list_fields(req: Request) -> Response:
    from pmsync.sandbox.clickup_seed import WAITS_ON_FIELD

    if req.params["list_id"] not in _ws(req).lists:
        raise cu_error(404, "List not found", "ITEM_013")
    return Response(body={"fields": [WAITS_ON_FIELD]})


# tasks -----------------------------------------------------------------------------
def _flag(req: Request, name: str) -> bool:
    return (req.arg(name) or "false").lower() == "true"


def _ms_arg(req: Request, name: str) -> int | None:
    value = req.arg(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError:
        raise cu_error(400, f"{name} must be a Unix time in milliseconds", "INPUT_005") from None


def _filtered(req: Request, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    updated_gt, updated_lt = _ms_arg(req, "date_updated_gt"), _ms_arg(req, "date_updated_lt")
    closed, subtasks, archived = _flag(req, "include_closed"), _flag(req, "subtasks"), \
        _flag(req, "archived")
    out = []
    for task in tasks:
        if task["archived"] != archived:
            continue
        if not closed and task["status"]["type"] == "closed":
            continue
        if not subtasks and task["parent"]:
            continue
        # ClickUp's date_updated_gt behaves as >= (tap-clickup notes it); so does ours.
        if updated_gt is not None and int(task["date_updated"]) < updated_gt:
            continue
        if updated_lt is not None and int(task["date_updated"]) >= updated_lt:
            continue
        out.append(task)
    order = req.arg("order_by") or "created"
    key = {"updated": "date_updated", "created": "date_created", "id": "id",
           "due_date": "due_date"}.get(order, "date_created")
    # ClickUp documents no direction. Public clients tested against it (tap-clickup's
    # task stream asks order_by=updated&reverse=true and requires ascending order) show
    # the default is newest first and reverse=true oldest first; see README, "ClickUp".
    newest_first = _ws(req).newest_first != _flag(req, "reverse")
    out.sort(key=lambda t: (int(t[key] or 0) if key != "id" else t["id"], t["id"]),
             reverse=newest_first)
    return out


def _page(req: Request, tasks: list[dict[str, Any]], with_last_page: bool) -> Response:
    page = req.int_arg("page", 0)
    chunk = tasks[page * PAGE: (page + 1) * PAGE]
    body: dict[str, Any] = {"tasks": chunk}
    if with_last_page:
        body["last_page"] = (page + 1) * PAGE >= len(tasks)
    return Response(body=body)


def list_tasks(req: Request) -> Response:
    ws = _ws(req)
    list_id = req.params["list_id"]
    if list_id not in ws.lists:
        raise cu_error(404, "List not found", "ITEM_013")
    with ws.lock:
        home = ws.in_list(list_id, _flag(req, "include_timl"))
        return _page(req, _filtered(req, home), with_last_page=True)


def team_tasks(req: Request) -> Response:
    ws = _team(req, "team_Id")
    spaces = set(req.args("space_ids[]") or req.args("space_ids"))
    lists = set(req.args("list_ids[]") or req.args("list_ids"))
    with ws.lock:
        chosen = [t for t in ws.tasks.values()
                  if (not spaces or t["space"]["id"] in spaces)
                  and (not lists or t["list"]["id"] in lists)]
        return _page(req, _filtered(req, chosen), with_last_page=True)


def get_task(req: Request) -> Response:
    ws = _ws(req)
    task = ws.tasks.get(req.params["task_id"])
    if task is None:
        raise cu_error(404, "Task not found, deleted", "ITEM_013")
    return Response(body=task)


# comments --------------------------------------------------------------------------
def _comment_view(ws: ClickUpWorkspace, comment: dict[str, Any]) -> dict[str, Any]:
    author = comment.get("user") or ws.user  # a person's comment carries its own author
    return {"id": comment["id"], "comment": comment["comment"],
            "comment_text": comment["comment_text"], "user": author, "resolved": False,
            # As in the vendor's example: a comment is assigned to (and by) its author.
            "assignee": author, "assigned_by": author, "reactions": [],
            "date": comment["date"], "reply_count": "0"}


def authorized_user(req: Request) -> Response:
    """GET /v2/user (GetAuthorizedUser): the user the token belongs to."""
    ws = _ws(req)
    return Response(body={"user": {**ws.user, "week_start_day": 1, "global_font_support": True,
                                   "timezone": "UTC"}})


def _comment_text(body: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    rich = body.get("comment")
    if isinstance(rich, list) and rich:
        return "".join(str(part.get("text", "")) for part in rich), rich
    text = body.get("comment_text")
    if not isinstance(text, str) or not text:
        raise cu_error(400, "Comment text invalid", "INPUT_002")
    return text, [{"text": text}]


def task_comments(req: Request) -> Response:
    ws = _ws(req)
    task_id = req.params["task_id"]
    if task_id not in ws.tasks:
        raise cu_error(404, "Task not found, deleted", "ITEM_013")
    with ws.lock:
        newest_first = sorted(ws.comments.get(task_id, []), key=lambda c: (int(c["date"]),
                              int(c["id"])), reverse=True)
    start, start_id = req.arg("start"), req.arg("start_id")
    if start and start_id:  # the page after the comment (start, start_id)
        newest_first = [c for c in newest_first
                        if (int(c["date"]), int(c["id"])) < (int(start), int(start_id))]
    return Response(body={"comments": [_comment_view(ws, c) for c in newest_first[:25]]})


def add_comment(req: Request) -> Response:
    ws = _ws(req)
    task = ws.tasks.get(req.params["task_id"])
    if task is None:
        raise cu_error(404, "Task not found, deleted", "ITEM_013")
    body = req.json() or {}
    if "notify_all" not in body:
        raise cu_error(400, "notify_all is required", "INPUT_002")
    text, rich = _comment_text(body)
    with ws.lock:
        comment = {"id": ws.next_id(), "comment_text": text, "comment": rich, "date": ws.now_ms()}
        ws.comments.setdefault(task["id"], []).append(comment)
        task["date_updated"] = comment["date"]
        ws.revision += 1
    return Response(200, {"id": comment["id"], "hist_id": ws.next_id(), "date": int(comment["date"])})


def edit_comment(req: Request) -> Response:
    ws = _ws(req)
    body = req.json() or {}
    text, rich = _comment_text(body)
    return _change_comment(ws, req.params["comment_id"],
                           lambda _, comment: comment.update(comment_text=text, comment=rich))


def delete_comment(req: Request) -> Response:
    """DELETE /v2/comment/{comment_id} (DeleteComment) → 200 {}."""
    return _change_comment(_ws(req), req.params["comment_id"],
                           lambda comments, comment: comments.remove(comment))


def _change_comment(ws: ClickUpWorkspace, comment_id: str,
                    change: Callable[[list[dict[str, Any]], dict[str, Any]], object]) -> Response:
    """Apply ``change(its task's comments, comment)`` to the comment, whichever task holds it;
    the task counts as updated. 404 as ClickUp answers when no task holds it."""
    with ws.lock:
        for task_id, comments in ws.comments.items():
            for comment in comments:
                if comment["id"] == comment_id:
                    change(comments, comment)
                    ws.tasks[task_id]["date_updated"] = ws.now_ms()
                    ws.revision += 1
                    return Response(200, {})
    raise cu_error(404, "Comment not found", "ITEM_013")


# Docs (v3) -----------------------------------------------------------------------------
def v3_error(status: int, message: str) -> HttpError:
    return HttpError(status, {"status": status, "message": message, "trace_id": 0,
                              "timestamp": int(time.time() * 1000)})


def _workspace_v3(req: Request) -> ClickUpWorkspace:
    ws = _ws(req)
    if req.params["workspace_id"] != ws.team_id:
        raise v3_error(401, "Workspace not authorized")
    return ws


def search_docs(req: Request) -> Response:
    ws = _workspace_v3(req)
    parent = req.arg("parent_id")
    docs = [d for d in ws.docs.values() if not parent or d["parent"]["id"] == parent]
    return Response(body={"docs": docs})  # no next_cursor: this is the last page


def create_doc(req: Request) -> Response:
    ws = _workspace_v3(req)
    body = req.json() or {}
    if not isinstance(body.get("name"), str) or not body["name"]:
        raise v3_error(400, "name is required")
    now = int(ws.now_ms())
    doc = {"id": ws.next_id("8cdu4-"), "name": body["name"], "type": 1,
           "parent": body.get("parent") or {"id": ws.team_id, "type": 12},
           "public": False, "workspace_id": int(ws.team_id), "creator": ws.user["id"],
           "date_created": now, "date_updated": now, "deleted": False, "archived": False}
    ws.docs[doc["id"]] = doc
    if body.get("create_page", True):
        _new_page(ws, doc, {"name": body["name"], "content": ""})
    return Response(201, doc)


def _doc(req: Request, ws: ClickUpWorkspace) -> dict[str, Any]:
    doc = ws.docs.get(req.params["doc_id"])
    if doc is None:
        raise v3_error(404, "Doc not found")
    return doc


def _new_page(ws: ClickUpWorkspace, doc: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    now = int(ws.now_ms())
    page = {"id": ws.next_id("8cdu4-p"), "doc_id": doc["id"],
            "workspace_id": int(ws.team_id), "name": body.get("name", ""),
            "sub_title": body.get("sub_title"), "content": body.get("content", ""),
            "pages": [], "date_created": now, "date_updated": now,
            "creator_id": ws.user["id"], "authors": [ws.user["id"]], "archived": False,
            "protected": False, "date_edited": now, "edited_by": ws.user["id"],
            "parent_page_id": body.get("parent_page_id")}
    for optional in ("parent_page_id", "sub_title"):  # absent, not null, when unset
        if not page[optional]:
            page.pop(optional)
    ws.pages[page["id"]] = page
    return page


def doc_pages(req: Request) -> Response:
    ws = _workspace_v3(req)
    doc = _doc(req, ws)
    return Response(body=[p for p in ws.pages.values() if p["doc_id"] == doc["id"]])


def create_page(req: Request) -> Response:
    ws = _workspace_v3(req)
    doc = _doc(req, ws)
    body = req.json() or {}
    if not isinstance(body.get("content", ""), str) or not body.get("name"):
        raise v3_error(400, "name and content are required")
    if body.get("content_format", "text/md") not in ("text/md", "text/plain"):
        raise v3_error(400, "content_format must be text/md or text/plain")
    return Response(201, _new_page(ws, doc, body))


def edit_page(req: Request) -> Response:
    ws = _workspace_v3(req)
    doc = _doc(req, ws)
    page = ws.pages.get(req.params["page_id"])
    if page is None or page["doc_id"] != doc["id"]:
        raise v3_error(404, "Page not found")
    body = req.json() or {}
    mode = body.get("content_edit_mode", "replace")
    content = body.get("content", "")
    if mode == "append":
        content = page["content"] + content
    elif mode == "prepend":
        content = content + page["content"]
    page.update(content=content, name=body.get("name", page["name"]),
                date_updated=int(ws.now_ms()), date_edited=int(ws.now_ms()))
    return Response(200, {})


def page_web_view(req: Request) -> Response:
    """What a person sees following a Doc page link (markdown shown as text)."""
    ws = _ws(req)
    page = ws.pages.get(req.params["page_id"])
    if page is None:
        raise v3_error(404, "Page not found")
    document = (f"<!doctype html><meta charset='utf-8'><title>{html.escape(page['name'])}</title>"
                "<style>body{font-family:sans-serif;max-width:70em;margin:2em auto}</style>"
                f"<p><small>Sandbox ClickUp Doc</small></p><h1>{html.escape(page['name'])}</h1>"
                f"<pre style='white-space:pre-wrap'>{html.escape(page['content'])}</pre>")
    return Response(body=document, content_type="text/html; charset=utf-8")


def _cu(method: str, path: str, handler, auth: bool = True):
    return route(method, path, handler, auth=auth, realm="clickup")


ROUTES = [
    _cu("GET", "/api/v2/team", teams),
    _cu("GET", "/api/v2/team/{team_id}/space", spaces),
    _cu("GET", "/api/v2/team/{team_id}/custom_item", custom_items),
    _cu("GET", "/api/v2/team/{team_Id}/task", team_tasks),
    _cu("GET", "/api/v2/space/{space_id}/folder", folders),
    _cu("GET", "/api/v2/space/{space_id}/list", folderless_lists),
    _cu("GET", "/api/v2/folder/{folder_id}/list", folder_lists),
    _cu("GET", "/api/v2/list/{list_id}/task", list_tasks),
    _cu("GET", "/api/v2/list/{list_id}/field", list_fields),
    _cu("GET", "/api/v2/task/{task_id}", get_task),
    _cu("GET", "/api/v2/task/{task_id}/comment", task_comments),
    _cu("POST", "/api/v2/task/{task_id}/comment", add_comment),
    _cu("PUT", "/api/v2/comment/{comment_id}", edit_comment),
    _cu("DELETE", "/api/v2/comment/{comment_id}", delete_comment),
    _cu("GET", "/api/v2/user", authorized_user),
    _cu("GET", "/api/v3/workspaces/{workspace_id}/docs", search_docs),
    _cu("POST", "/api/v3/workspaces/{workspace_id}/docs", create_doc),
    _cu("GET", "/api/v3/workspaces/{workspace_id}/docs/{doc_id}/pages", doc_pages),
    _cu("POST", "/api/v3/workspaces/{workspace_id}/docs/{doc_id}/pages", create_page),
    _cu("PUT", "/api/v3/workspaces/{workspace_id}/docs/{doc_id}/pages/{page_id}", edit_page),
    # The app's own link shape, https://app.clickup.com/{team}/v/dc/{doc}/{page}
    _cu("GET", "/{team_id}/v/dc/{doc_id}/{page_id}", page_web_view, auth=False),
]
