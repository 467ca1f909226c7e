"""Confluence Cloud REST v2 pages and spaces, plus the pages' web view.

Paging is by opaque ``cursor`` with the next link in both ``_links.next`` and
a ``Link`` header; an update must carry version.number = current + 1.
"""

from __future__ import annotations

import html
import re
from typing import Any

from pmsync.sandbox.confluence_attachments import show_images
from pmsync.sandbox.server import HttpError, Request, Response, route
from pmsync.sandbox.site import Site, jira_time, keep_version

MAX_LIMIT = 250


def confluence_error(status: int, title: str, code: str = "INVALID_REQUEST_PARAMETER") -> HttpError:
    return HttpError(status, {"errors": [{"status": status, "code": code, "title": title, "detail": None}]})


def _slug(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "+", title).strip("+")


def _page_view(site: Site, page: dict[str, Any], body_format: str | None) -> dict[str, Any]:
    space = site.spaces[page["spaceId"]]
    webui = f"/spaces/{space['key']}/pages/{page['id']}/{_slug(page['title'])}"
    view = {
        "id": page["id"],
        "status": page["status"],
        "title": page["title"],
        "spaceId": page["spaceId"],
        "position": page["position"],
        "authorId": site.account.account_id,
        "ownerId": site.account.account_id,
        "createdAt": page["createdAt"],
        "version": dict(page["version"]),
        "body": {},
        "_links": {
            "webui": webui,
            "editui": f"/pages/resumedraft.action?draftId={page['id']}",
            "tinyui": f"/x/{page['id']}",
            "base": f"{site.base_url}/wiki",
        },
    }
    if page.get("parentId"):  # absent, not null, at the top of a space
        view["parentId"], view["parentType"] = page["parentId"], "page"
    if body_format == "storage":
        view["body"] = {"storage": {"representation": "storage", "value": page["body"]}}
    return view


def _paged(req: Request, results: list[dict[str, Any]], path: str) -> Response:
    limit = max(1, min(req.int_arg("limit", 25), MAX_LIMIT))
    start = 0
    if req.arg("cursor"):
        try:
            start = int(req.arg("cursor"))
        except ValueError:
            raise confluence_error(400, "Invalid cursor") from None
    page = results[start : start + limit]
    body: dict[str, Any] = {"results": page, "_links": {"base": f"{req.site.base_url}/wiki"}}
    headers = {}
    if start + limit < len(results):
        query = "&".join(
            f"{k}={v}" for k, values in req.query.items() if k != "cursor" for v in values
        )
        nxt = f"/wiki/api/v2/{path}?{query}&cursor={start + limit}".replace("?&", "?")
        body["_links"]["next"] = nxt
        headers["Link"] = f'<{nxt}>; rel="next"'
    return Response(body=body, headers=headers)


def get_spaces(req: Request) -> Response:
    keys = set(req.args("keys"))
    ids = set(req.args("ids"))
    spaces = [
        s for s in req.site.spaces.values()
        if (not keys or s["key"] in keys) and (not ids or s["id"] in ids)
    ]
    return _paged(req, spaces, "spaces")


def get_pages(req: Request) -> Response:
    site = req.site
    space_ids = set(req.args("space-id"))
    title = req.arg("title")
    status = set(req.args("status")) or {"current", "archived"}
    with site.lock:
        pages = [
            _page_view(site, p, req.arg("body-format"))
            for p in site.pages.values()
            if (not space_ids or p["spaceId"] in space_ids)
            and (title is None or p["title"] == title)
            and p["status"] in status
        ]
    return _paged(req, pages, "pages")


def _storage_body(body: dict[str, Any]) -> str:
    value = body.get("body") if isinstance(body, dict) else None
    if not isinstance(value, dict):
        raise confluence_error(400, "A page body is required")
    if "storage" in value and isinstance(value["storage"], dict):
        # The nested write form (PageNestedBodyWrite): the key names the representation.
        value = {"representation": "storage", **{k: v for k, v in value["storage"].items()
                                                   if v is not None}}
    if value.get("representation") != "storage" or not isinstance(value.get("value"), str):
        raise confluence_error(400, "Body representation must be 'storage' with a string value")
    return value["value"]


def create_page(req: Request) -> Response:
    site = req.site
    body = req.json()
    if not isinstance(body, dict) or not body.get("spaceId") or not body.get("title"):
        raise confluence_error(400, "spaceId and title are required")
    if str(body["spaceId"]) not in site.spaces:
        raise confluence_error(404, "Space not found", "NOT_FOUND")
    storage = _storage_body(body)
    parent = body.get("parentId")
    with site.lock:
        if parent and parent not in site.pages:
            raise confluence_error(404, "Parent page not found", "NOT_FOUND")
        if any(p["title"] == body["title"] and p["spaceId"] == str(body["spaceId"])
               for p in site.pages.values()):
            raise confluence_error(
                400, "A page with this title already exists: A page already exists with the same "
                "TITLE in this space",
            )
        now = jira_time(site.now())
        page = {
            "id": site.next_id(),
            "status": body.get("status") or "current",
            "title": body["title"],
            "spaceId": str(body["spaceId"]),
            "parentId": parent,
            "position": len(site.pages),
            "createdAt": now,
            "version": _version(site, 1, now, ""),
            "body": storage,
        }
        site.pages[page["id"]] = page
        keep_version(page)
    return Response(200, _page_view(site, page, "storage"))


def _version(site: Site, number: int, now: str, message: str) -> dict[str, Any]:
    return {
        "createdAt": now, "message": message, "number": number, "minorEdit": False,
        "authorId": site.account.account_id,
    }


def _page_or_404(site: Site, page_id: str) -> dict[str, Any]:
    page = site.pages.get(page_id)
    if page is None:
        raise confluence_error(404, "Page not found", "NOT_FOUND")
    return page


def get_page(req: Request) -> Response:
    page = _page_or_404(req.site, req.params["id"])
    return Response(body=_page_view(req.site, page, req.arg("body-format")))


def update_page(req: Request) -> Response:
    site = req.site
    body = req.json()
    if not isinstance(body, dict):
        raise confluence_error(400, "A JSON body is required")
    missing = [k for k in ("id", "status", "title", "body", "version") if k not in body]
    if missing:
        raise confluence_error(400, f"Missing required fields: {', '.join(missing)}")
    storage = _storage_body(body)
    with site.lock:
        page = _page_or_404(site, req.params["id"])
        number = (body.get("version") or {}).get("number")
        current = page["version"]["number"]
        if number != current + 1:
            raise confluence_error(
                409, f"Version must be incremented on update. Current version is: {current}",
                "CONFLICT",
            )
        page["title"] = body["title"]
        page["status"] = body["status"]
        page["body"] = storage
        page["version"] = _version(
            site, number, jira_time(site.now()), (body.get("version") or {}).get("message", "")
        )
        keep_version(page)
    return Response(200, _page_view(site, page, "storage"))


def page_versions(req: Request) -> Response:
    """GET /pages/{id}/versions: newest first (sort=modified-date for oldest first)."""
    site = req.site
    with site.lock:
        page = _page_or_404(site, req.params["id"])
        versions = list(reversed(page.get("versions", [])))
    if req.arg("sort") == "modified-date":
        versions.reverse()
    rows = []
    for v in versions:
        row = {k: v[k] for k in ("number", "message", "minorEdit", "authorId", "createdAt")}
        row["page"] = {"id": page["id"], "title": v["title"]}
        if req.arg("body-format") == "storage":
            row["page"]["body"] = {"storage": {"representation": "storage", "value": v["body"]}}
        rows.append(row)
    return _paged(req, rows, f"pages/{page['id']}/versions")


def direct_children(req: Request) -> Response:
    """GET /pages/{id}/direct-children (and the older /children): the pages right under it."""
    site = req.site
    with site.lock:
        parent = _page_or_404(site, req.params["id"])
        children = [{"id": p["id"], "status": p["status"], "title": p["title"], "type": "page",
                     "spaceId": p["spaceId"], "childPosition": p["position"]}
                    for p in site.pages.values() if p.get("parentId") == parent["id"]]
    kind = "direct-children" if req.path.endswith("direct-children") else "children"
    return _paged(req, children, f"pages/{parent['id']}/{kind}")


def page_web_view(req: Request) -> Response:
    """What a person sees at the page's webui link (no login in the sandbox)."""
    page = _page_or_404(req.site, req.params["id"])
    document = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(page['title'])} - Confluence sandbox</title>"
        "<style>body{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em}"
        # Macros are Confluence's to draw; the sandbox shows where one sits, with its data.
        "ac\\:parameter{display:none}ac\\:structured-macro{display:block;border:1px dashed #97a0af;"
        "padding:.4em;margin:.5em 0}ac\\:structured-macro::before{content:'Confluence chart macro';"
        "font-size:small;color:#6b778c}</style>"
        f"</head><body><p><small>Sandbox Confluence · version {page['version']['number']}</small></p>"
        f"<h1>{html.escape(page['title'])}</h1>{show_images(page, page['body'])}</body></html>"
    )
    return Response(body=document, content_type="text/html; charset=utf-8")


ROUTES = [
    route("GET", "/wiki/api/v2/spaces", get_spaces),
    route("GET", "/wiki/api/v2/pages", get_pages),
    route("POST", "/wiki/api/v2/pages", create_page),
    route("GET", "/wiki/api/v2/pages/{id}", get_page),
    route("PUT", "/wiki/api/v2/pages/{id}", update_page),
    route("GET", "/wiki/api/v2/pages/{id}/versions", page_versions),
    route("GET", "/wiki/api/v2/pages/{id}/direct-children", direct_children),
    route("GET", "/wiki/api/v2/pages/{id}/children", direct_children),
    route("GET", "/wiki/spaces/{spaceKey}/pages/{id}/{slug}", page_web_view, auth=False),
]
