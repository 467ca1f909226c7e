"""Reports as pages of one ClickUp Doc (API v3, Markdown content).

The Doc is created once (found again by name in its space); each report is a
page in it, found again by the id in pmsync's page ledger ("<doc>/<page>") or,
failing that, by its name. ClickUp pages have no version numbers: pmsync counts
its own updates so the ledger can say which version a page is at.

Creating a Doc or a page is a POST: when its answer is lost we look for it by
name before sending it again (pmsync.once). ClickUp allows several pages of one
name, so repeats of ours (a race, an older version) are folded: the API can
delete neither pages nor Docs, so a repeat is renamed and emptied, pointing at
the page we keep. Only what our own user created is ever touched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pmsync.connector import PageRequest, PublishedPage
from pmsync.kit.errors import HttpError
from pmsync.kit.http import HttpClient
from pmsync.once import write_once

log = logging.getLogger("pmsync.clickup")
SPACE = 4  # ClickUp's parent type for a Space
REPEAT_SUFFIX = " (repeat, safe to delete)"


class DocPages:
    def __init__(self, http: HttpClient, team_id: str, app_url: str, doc_name: str,
                 space: str | None, space_lookup: Callable[[str | None], str],
                 my_id: Callable[[], str]):
        self.http, self.team_id, self.app_url = http, team_id, app_url
        self.doc_name, self.space, self.space_lookup = doc_name, space, space_lookup
        self.my_id = my_id
        self.base = f"/v3/workspaces/{team_id}/docs"
        self._doc_id: str | None = None

    def doc_id(self) -> str:
        if self._doc_id is None:
            space_id = self.space_lookup(self.space)
            doc = self._find_doc(space_id)
            if doc is None:
                doc = write_once(
                    lambda: self.http.request("POST", self.base, "creating the reports Doc", json={
                        "name": self.doc_name, "parent": {"id": space_id, "type": SPACE},
                        "visibility": "PRIVATE", "create_page": False}),
                    lambda: self._find_doc(space_id), "creating the reports Doc",
                    self.http.policy)
            self._doc_id = str(doc["id"])
        return self._doc_id

    def _find_doc(self, space_id: str) -> dict[str, Any] | None:
        """Our Doc of that name; of several (a lost answer before this version), the oldest."""
        docs = self.http.request("GET", self.base, "finding the reports Doc",
                              params={"parent_id": space_id, "parent_type": SPACE,
                                      "deleted": "false", "archived": "false"})
        named = [d for d in docs.get("docs") or () if d.get("name") == self.doc_name]
        ours = [d for d in named if str(d.get("creator", "")) == self.my_id()] or named
        if not ours:
            return None
        if len(ours) > 1:
            log.warning("clickup: %d Docs named %r; using the oldest (ClickUp's API cannot "
                        "delete the others)", len(ours), self.doc_name)
        return min(ours, key=lambda d: (int(d.get("date_created") or 0), str(d["id"])))

    def publish(self, request: PageRequest) -> PublishedPage:
        doc_id, page_id = (request.page_id.split("/", 1) if request.page_id and "/" in
                           request.page_id else (self.doc_id(), None))
        self._doc_id = doc_id
        pages = self._pages(doc_id)
        page = self._keep(doc_id, pages, request.title, page_id)
        body = {"name": request.title, "content": request.body, "content_format": "text/md"}
        if page is None:
            created = write_once(
                lambda: self.http.request("POST", f"{self.base}/{doc_id}/pages",
                                       "creating a Doc page", json=body),
                lambda: self._keep(doc_id, self._pages(doc_id), request.title, None),
                f"creating the Doc page {request.title!r}", self.http.policy)
            page_id, version = str(created["id"]), 1
        elif page.get("content") == request.body and page.get("name") == request.title:
            page_id, version = str(page["id"]), max(request.version, 1)  # no new version
        else:
            page_id = str(page["id"])
            self.http.request("PUT", f"{self.base}/{doc_id}/pages/{page_id}", "updating a Doc page",
                           json={**body, "content_edit_mode": "replace"})
            version = request.version + 1
        return PublishedPage(f"{doc_id}/{page_id}", version,
                             f"{self.app_url}/{self.team_id}/v/dc/{doc_id}/{page_id}")

    def _keep(self, doc_id: str, pages: list[dict[str, Any]], title: str,
              known_id: str | None) -> dict[str, Any] | None:
        """The page to publish into: the ledger's, else ours of that title (the oldest);
        other pages of ours with that title are folded into it."""
        by_id = {str(p["id"]): p for p in pages}
        me = self.my_id()
        ours = [str(p["id"]) for p in sorted(pages, key=lambda p: (int(p.get("date_created") or 0),
                                                                str(p["id"])))
                if p.get("name") == title and str(p.get("creator_id", "")) == me]
        keep = known_id if known_id in by_id else (ours[0] if ours else None)  # the oldest
        if keep is None:
            # A page of that title someone else made is used as before, never folded.
            return next((p for p in pages if p.get("name") == title), None)
        for extra in (i for i in ours if i != keep):
            log.warning("clickup: Doc page %s repeats our page %s; renaming it", extra, keep)
            self.http.request("PUT", f"{self.base}/{doc_id}/pages/{extra}", "folding a Doc page",
                           json={"name": f"{title}{REPEAT_SUFFIX}", "content_format": "text/md",
                                 "content_edit_mode": "replace",
                                 "content": f"This page repeats [{title}]"
                                            f"({self.app_url}/{self.team_id}/v/dc/{doc_id}/"
                                            f"{keep}) and can be deleted."})
        return by_id[keep]

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
