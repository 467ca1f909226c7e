"""Confluence Data Center REST v1 content (pages), sharing the page store with v2."""

from __future__ import annotations

from typing import Any

from pmsync.sandbox.server import HttpError, Request, Response, route
from pmsync.sandbox.site import Site, jira_time


def v1_error(status: int, message: str) -> HttpError:
    return HttpError(status, {"statusCode": status, "data": {"authorized": True, "valid": False,
                                                             "errors": [], "successful": False},
                              "message": message, "reason": ""})


def _space_by_key(site: Site, key: str) -> dict[str, Any] | None:
    return next((s for s in site.spaces.values() if s["key"] == key), None)


def content_view(site: Site, page: dict[str, Any], expand: str = "") -> dict[str, Any]:
    space = site.spaces[page["spaceId"]]
    view: dict[str, Any] = {
        "id": page["id"], "type": "page", "status": page["status"], "title": page["title"],
        "space": {"key": space["key"], "name": space["name"], "type": "global"},
        "version": {"number": page["version"]["number"], "when": page["version"]["createdAt"],
                    "message": page["version"].get("message", ""), "minorEdit": False},
        "_links": {"webui": f"/spaces/{space['key']}/pages/{page['id']}/x",
                   "base": site.base_url + "/wiki", "context": "/wiki",
                   "self": f"{site.base_url}/rest/api/content/{page['id']}"},
    }
    if "body.storage" in expand:
        view["body"] = {"storage": {"value": page["body"], "representation": "storage"}}
    return view


def find_content(req: Request) -> Response:
    site = req.site
    space_key, title = req.arg("spaceKey"), req.arg("title")
    start, limit = req.int_arg("start", 0), max(1, min(req.int_arg("limit", 25), 200))
    with site.lock:
        found = [p for p in site.pages.values()
                 if (space_key is None or site.spaces[p["spaceId"]]["key"] == space_key)
                 and (title is None or p["title"] == title)]
    page = found[start: start + limit]
    return Response(body={"results": [content_view(site, p, req.arg("expand") or "") for p in page],
                          "start": start, "limit": limit, "size": len(page),
                          "_links": {"base": site.base_url + "/wiki", "context": "/wiki"}})


def _storage(body: dict[str, Any]) -> str:
    storage = ((body.get("body") or {}).get("storage") or {})
    if storage.get("representation") != "storage" or not isinstance(storage.get("value"), str):
        raise v1_error(400, "body.storage with representation 'storage' is required")
    return storage["value"]


def create_content(req: Request) -> Response:
    site = req.site
    body = req.json()
    if not isinstance(body, dict) or body.get("type") != "page" or not body.get("title"):
        raise v1_error(400, "type 'page' and a title are required")
    space = _space_by_key(site, (body.get("space") or {}).get("key", ""))
    if space is None:
        raise v1_error(404, "No space with key : " + str((body.get("space") or {}).get("key")))
    storage = _storage(body)
    ancestors = body.get("ancestors") or []
    with site.lock:
        if any(p["title"] == body["title"] and p["spaceId"] == space["id"]
               for p in site.pages.values()):
            raise v1_error(400, "A page with this title already exists: A page already exists "
                                "with the title " + body["title"] + " in this space")
        now = jira_time(site.now())
        page = {"id": site.next_id(), "status": "current", "title": body["title"],
                "spaceId": space["id"], "parentId": ancestors[-1]["id"] if ancestors else None,
                "position": len(site.pages), "createdAt": now, "body": storage,
                "version": {"createdAt": now, "message": "", "number": 1, "minorEdit": False,
                            "authorId": site.account.account_id}}
        site.pages[page["id"]] = page
    return Response(200, content_view(site, page, "body.storage"))


def get_content(req: Request) -> Response:
    page = req.site.pages.get(req.params["id"])
    if page is None:
        raise v1_error(404, "No content found with id : ContentId{id=" + req.params["id"] + "}")
    return Response(body=content_view(req.site, page, req.arg("expand") or ""))


def update_content(req: Request) -> Response:
    site = req.site
    body = req.json()
    if not isinstance(body, dict):
        raise v1_error(400, "A JSON body is required")
    storage = _storage(body)
    with site.lock:
        page = site.pages.get(req.params["id"])
        if page is None:
            raise v1_error(404, "No content found with id : ContentId{id=" + req.params["id"] + "}")
        number = (body.get("version") or {}).get("number")
        current = page["version"]["number"]
        if number != current + 1:
            raise v1_error(409, "Version must be incremented on update. Current version is: "
                                f"{current}")
        page.update(title=body.get("title", page["title"]), body=storage)
        page["version"] = {"createdAt": jira_time(site.now()), "number": number,
                           "message": (body.get("version") or {}).get("message", ""),
                           "minorEdit": False, "authorId": site.account.account_id}
    return Response(200, content_view(site, page, "body.storage"))


ROUTES = [
    route("GET", "/rest/api/content", find_content),
    route("POST", "/rest/api/content", create_content),
    route("GET", "/rest/api/content/{id}", get_content),
    route("PUT", "/rest/api/content/{id}", update_content),
]
