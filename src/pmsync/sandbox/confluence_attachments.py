"""Confluence page attachments (REST v1, Cloud under /wiki and Data Center at the root).

``PUT .../rest/api/content/{id}/child/attachment`` creates the file or, when the page
already has one of that name, adds a version of it; ``POST`` only creates (400 when the
name exists). Both are multipart/form-data with a ``file`` part, and Confluence refuses
them (403, XSRF check failed) without the ``X-Atlassian-Token: no-check`` header. The
answer is a content list of the attachment. Files are served at
``/wiki/download/attachments/{pageId}/{filename}``, which storage format's
``<ac:image><ri:attachment ri:filename=.../></ac:image>`` points at.
"""

from __future__ import annotations

import email.parser
import email.policy
import html
import re
from typing import Any
from urllib.parse import quote

from pmsync.sandbox.confluence_v1 import v1_error
from pmsync.sandbox.server import Request, Response, route
from pmsync.sandbox.site import Site, jira_time


def _parts(req: Request) -> dict[str, tuple[str | None, str, bytes]]:
    """form field → (filename, media type, bytes)."""
    content_type = req.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise v1_error(415, "Unsupported Media Type: use multipart/form-data")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + req.raw_body)
    out = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            out[str(name)] = (part.get_filename(), part.get_content_type(),
                              part.get_payload(decode=True) or b"")
    return out


def _view(site: Site, page: dict[str, Any], name: str, entry: dict[str, Any]) -> dict[str, Any]:
    download = f"/download/attachments/{page['id']}/{quote(name)}?version={entry['version']}"
    return {
        "id": entry["id"], "type": "attachment", "status": "current", "title": name,
        "version": {"number": entry["version"], "when": entry["when"], "minorEdit": True},
        "container": {"id": page["id"], "type": "page", "title": page["title"]},
        "metadata": {"mediaType": entry["media_type"], "comment": entry.get("comment", "")},
        "extensions": {"mediaType": entry["media_type"], "fileSize": len(entry["data"])},
        "_links": {"download": download, "base": site.base_url + "/wiki", "context": "/wiki"},
    }


def _upload(req: Request, replace: bool) -> Response:
    site = req.site
    if req.headers.get("x-atlassian-token", "").lower() not in ("no-check", "nocheck"):
        raise v1_error(403, "XSRF check failed")
    parts = _parts(req)
    if "file" not in parts or not parts["file"][0]:
        raise v1_error(400, "A 'file' part with a filename is required")
    name, media_type, data = parts["file"]
    with site.lock:
        page = site.pages.get(req.params["id"])
        if page is None:
            raise v1_error(404, f"No content found with id: ContentId{{id={req.params['id']}}}")
        files = page.setdefault("attachments", {})
        entry = files.get(name)
        if entry is not None and not replace:
            raise v1_error(400, f"Cannot add a new attachment with same file name as an "
                                f"existing attachment: {name}")
        if entry is None:
            entry = files[name] = {"id": f"att{page['id']}{len(files) + 1}", "version": 0}
        entry.update(version=entry["version"] + 1, data=data, when=jira_time(site.now()),
                     media_type=media_type if media_type != "text/plain" else
                     "application/octet-stream",
                     comment=parts.get("comment", (None, "", b""))[2].decode(errors="replace"))
        view = _view(site, page, name, entry)
    return Response(200, {"results": [view], "start": 0, "limit": 50, "size": 1})


def put_attachment(req: Request) -> Response:
    return _upload(req, replace=True)


def post_attachment(req: Request) -> Response:
    return _upload(req, replace=False)


def list_attachments(req: Request) -> Response:
    """GET .../child/attachment: the page's files (``filename`` narrows to one), as v1 lists."""
    site = req.site
    with site.lock:
        page = site.pages.get(req.params["id"])
        if page is None:
            raise v1_error(404, f"No content found with id: ContentId{{id={req.params['id']}}}")
        wanted = req.arg("filename")
        views = [_view(site, page, name, entry)
                 for name, entry in sorted((page.get("attachments") or {}).items())
                 if wanted in (None, name)]
    return Response(200, {"results": views, "start": 0, "limit": 50, "size": len(views)})


def download(req: Request) -> Response:
    page = req.site.pages.get(req.params["id"]) or {}
    entry = (page.get("attachments") or {}).get(req.params["name"])
    if entry is None:
        return Response(404, "Not found", content_type="text/plain")
    return Response(200, entry["data"], content_type=entry["media_type"])


_IMAGE = re.compile(r'<ac:image[^>]*>\s*<ri:attachment ri:filename="([^"]+)"\s*/>\s*</ac:image>')


def show_images(page: dict[str, Any], body: str) -> str:
    """For the sandbox's page view: attached images as <img>, as Confluence draws them."""
    return _IMAGE.sub(lambda m: f'<img src="/wiki/download/attachments/{page["id"]}/'
                                f'{quote(html.unescape(m.group(1)))}" alt="">', body)


ROUTES = [
    *(route(method, f"{prefix}/rest/api/content/{{id}}/child/attachment", handler)
      for prefix in ("", "/wiki")
      for method, handler in (("PUT", put_attachment), ("POST", post_attachment),
                              ("GET", list_attachments))),
    route("GET", "/wiki/download/attachments/{id}/{name}", download, auth=False),
]
