"""Reports as pages of one ClickUp Doc (API v3, Markdown content).

The Doc is created once (found again by name in its space); each report is a
page in it, found again by the id in pmsync's page ledger ("<doc>/<page>") or,
failing that, by its name. ClickUp pages have no version numbers: pmsync counts
its own updates so the ledger can say which version a page is at.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pmsync.connector import PageRequest, PublishedPage
from pmsync.kit.errors import HttpError
from pmsync.kit.http import HttpClient

SPACE = 4  # ClickUp's parent type for a Space


class DocPages:
    def __init__(self, http: HttpClient, team_id: str, app_url: str, doc_name: str,
                 space: str | None, space_lookup: Callable[[str | None], str]):
        self.http, self.team_id, self.app_url = http, team_id, app_url
        self.doc_name, self.space, self.space_lookup = doc_name, space, space_lookup
        self.base = f"/v3/workspaces/{team_id}/docs"
        self._doc_id: str | None = None

    def doc_id(self) -> str:
        if self._doc_id is None:
            space_id = self.space_lookup(self.space)
            docs = self.http.request("GET", self.base, "finding the reports Doc",
                                  params={"parent_id": space_id, "parent_type": SPACE,
                                          "deleted": "false", "archived": "false"})
            doc = next((d for d in docs.get("docs") or () if d.get("name") == self.doc_name), None)
            if doc is None:
                doc = self.http.request("POST", self.base, "creating the reports Doc", json={
                    "name": self.doc_name, "parent": {"id": space_id, "type": SPACE},
                    "visibility": "PRIVATE", "create_page": False})
            self._doc_id = str(doc["id"])
        return self._doc_id

    def publish(self, request: PageRequest) -> PublishedPage:
        doc_id, page_id = (request.page_id.split("/", 1) if request.page_id and "/" in
                           request.page_id else (self.doc_id(), None))
        self._doc_id = doc_id
        if page_id is None or not self._exists(doc_id, page_id):
            page_id = self._find(doc_id, request.title)
        body = {"name": request.title, "content": request.body, "content_format": "text/md"}
        if page_id is None:
            created = self.http.request("POST", f"{self.base}/{doc_id}/pages", "creating a Doc page",
                                     json=body)
            page_id, version = str(created["id"]), 1
        else:
            self.http.request("PUT", f"{self.base}/{doc_id}/pages/{page_id}", "updating a Doc page",
                           json={**body, "content_edit_mode": "replace"})
            version = request.version + 1
        return PublishedPage(f"{doc_id}/{page_id}", version,
                             f"{self.app_url}/{self.team_id}/v/dc/{doc_id}/{page_id}")

    def _pages(self, doc_id: str) -> list[dict[str, Any]]:
        try:
            pages = self.http.request("GET", f"{self.base}/{doc_id}/pages", "listing Doc pages",
                                   params={"max_page_depth": -1, "content_format": "text/md"})
        except HttpError as exc:
            if exc.status == 404:
                return []
            raise
        flat, todo = [], list(pages or [])
        while todo:  # pages nest: walk the tree
            page = todo.pop()
            flat.append(page)
            todo.extend(page.get("pages") or ())
        return flat

    def _exists(self, doc_id: str, page_id: str) -> bool:
        return any(str(p["id"]) == page_id for p in self._pages(doc_id))

    def _find(self, doc_id: str, title: str) -> str | None:
        return next((str(p["id"]) for p in self._pages(doc_id) if p.get("name") == title), None)
