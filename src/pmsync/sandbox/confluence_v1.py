"""Confluence REST v1 content (pages), sharing the page store with v2.

Data Center serves it at the site root (/rest/api/content); Cloud under its /wiki
context (/wiki/rest/api/content), where the root belongs to Jira and answers 404.
"""

from __future__ import annotations

from typing import Any

from pmsync.sandbox.server import HttpError, Request, Response, route
from pmsync.sandbox.site import Site, jira_time, keep_version


def v1_error(status: int, message: str) -> HttpError:
    return HttpError(status, {"statusCode": status, "data": {"authorized": True, "valid": False,
                                                             "errors": [], "successful": False},
                              "message": message, "reason": ""})


def _space_by_key(site: Site, key: str) -> dict[str, Any] | None:
    return next((s for s in site.spaces.values() if s["key"] == key), None)


def api_root(site: Site) -> str:
    return site.base_url + ("/wiki" if site.is_cloud else "")


def check_context(req: Request) -> None:
    """Cloud's Confluence lives under /wiki; the bare /rest/api/content is Jira's (404)."""
    if req.site.is_cloud and not req.path.startswith("/wiki/"):
        raise v1_error(404, "null for uri: " + req.path)


def person(site: Site) -> dict[str, Any]:
    a = site.account
    who = {"type": "known", "displayName": a.display_name, "publicName": a.display_name}
    return {**who, "accountId": a.account_id} if site.is_cloud else {
        **who, "username": a.name, "userKey": site.user_key}


def content_view(site: Site, page: dict[str, Any], expand: str = "") -> dict[str, Any]:
    space = site.spaces[page["spaceId"]]
    wanted = set(expand.split(",")) if expand else set()
    root = api_root(site)
    view: dict[str, Any] = {
        "id": page["id"], "type": "page", "status": page["status"], "title": page["title"],
        "space": {"id": int(space["id"]), "key": space["key"], "name": space["name"],
                  "type": "global", "status": "current"},
        "version": {"by": person(site), "number": page["version"]["number"],
                    "when": page["version"]["createdAt"],
                    "message": page["version"].get("message", ""), "minorEdit": False},
        "extensions": {"position": page["position"]},
        "_links": {"webui": f"/spaces/{space['key']}/pages/{page['id']}/x",
                   "base": site.base_url + "/wiki", "context": "/wiki",
                   "self": f"{root}/rest/api/content/{page['id']}"},
        "_expandable": {"history": f"/rest/api/content/{page['id']}/history",
                        "ancestors": "", "body": ""},
    }
    if "body.storage" in wanted or "body" in wanted:
        view["body"] = {"storage": {"value": page["body"], "representation": "storage"}}
    if "history" in wanted:
        view["history"] = history_view(site, page)
    if "ancestors" in wanted:
        chain, parent = [], site.pages.get(page.get("parentId") or "")
        while parent is not None:
            chain.insert(0, {"id": parent["id"], "type": "page", "status": parent["status"],
                             "title": parent["title"]})
            parent = site.pages.get(parent.get("parentId") or "")
        view["ancestors"] = chain
    return view


def history_view(site: Site, page: dict[str, Any]) -> dict[str, Any]:
    first = (page.get("versions") or [page["version"]])[0]
    return {"latest": True, "createdBy": person(site), "createdDate": first["createdAt"],
            "lastUpdated": {"by": person(site), "when": page["version"]["createdAt"],
                            "message": page["version"].get("message", ""),
                            "number": page["version"]["number"], "minorEdit": False},
            "_links": {"self": f"{api_root(site)}/rest/api/content/{page['id']}/history"}}


def find_content(req: Request) -> Response:
    check_context(req)
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
    check_context(req)
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
                "version": {"createdAt": now, "message": (body.get("version") or {}).get(
                    "message", ""), "number": 1, "minorEdit": False,
                            "authorId": site.account.account_id}}
        site.pages[page["id"]] = page
        keep_version(page)
    return Response(200, content_view(site, page, "body.storage"))


def get_content(req: Request) -> Response:
    check_context(req)
    page = req.site.pages.get(req.params["id"])
    if page is None:
        raise v1_error(404, "No content found with id : ContentId{id=" + req.params["id"] + "}")
    return Response(body=content_view(req.site, page, req.arg("expand") or ""))


def content_history(req: Request) -> Response:
    check_context(req)
    page = req.site.pages.get(req.params["id"])
    if page is None:
        raise v1_error(404, "No content found with id : ContentId{id=" + req.params["id"] + "}")
    return Response(body=history_view(req.site, page))


def update_content(req: Request) -> Response:
    check_context(req)
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
        ancestors = body.get("ancestors") or []
        if ancestors:
            page["parentId"] = ancestors[-1]["id"]
        page["version"] = {"createdAt": jira_time(site.now()), "number": number,
                           "message": (body.get("version") or {}).get("message", ""),
                           "minorEdit": bool((body.get("version") or {}).get("minorEdit")),
                           "authorId": site.account.account_id}
        keep_version(page)
    return Response(200, content_view(site, page, "body.storage"))


ROUTES = [
    route(method, f"{prefix}/rest/api/content{path}", handler)
    for prefix in ("", "/wiki")
    for method, path, handler in (
        ("GET", "", find_content), ("POST", "", create_content),
        ("POST", "/", create_content),  # clients post to content/ too; Confluence takes both
        ("GET", "/{id}", get_content), ("PUT", "/{id}", update_content),
        ("GET", "/{id}/history", content_history))
]
