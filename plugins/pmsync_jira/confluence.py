"""Sprint-review pages on Confluence: Cloud REST v2, Data Center REST v1 (content).

A page is found again by the id in pmsync's page ledger; if that page was
deleted, or the ledger never heard of it (a crash right after creating it, a
create whose answer was lost), by its title in the space. A page that already
holds the body gets no new version, nor do charts it already holds. An update
carries version.number = current + 1; on a 409 (someone edited meanwhile) we
re-read and try once more.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pmsync.connector import PageRequest, PublishedPage
from pmsync.errors import TrackerError
from pmsync.kit.errors import HttpError
from pmsync.once import write_once
from pmsync_jira.client import JiraSite


class Pages:
    """The publishing flow; subclasses speak one API version."""

    def __init__(self, site: JiraSite, base: str, space_key: str, parent_id: str | None,
                 where: str):
        self.site = site
        self.base = base.rstrip("/")  # e.g. https://x.atlassian.net/wiki
        self.space_key = space_key
        self.parent_id = parent_id or None
        self.where = where  # the config key, for errors a person can act on

    def publish(self, request: PageRequest) -> PublishedPage:
        published = self._publish_body(request)
        self.attach(published.page_id, request.extra.get("attachments") or {})
        return published

    def attach(self, page_id: str, files: dict[str, tuple[bytes, str]]) -> None:
        """Files the body shows (<ac:image><ri:attachment .../>): created, or a new version
        of the page's file of that name (REST v1 on Cloud and Data Center alike). A file
        whose content the page already holds (its comment carries the digest) is not sent."""
        if not files:
            return
        path = f"{self.base}/rest/api/content/{page_id}/child/attachment"
        listed = self.site.call("GET", path, "listing a Confluence page's attachments") or {}
        held = {a.get("title"): (a.get("metadata") or {}).get("comment", "")
                for a in listed.get("results") or ()}
        for name, (data, media_type) in sorted(files.items()):
            comment = f"Drawn by pmsync ({hashlib.sha256(data).hexdigest()[:16]})"
            if held.get(name) == comment:
                continue
            self.site.upload(path, f"attaching {name} to a Confluence page", name, data,
                             media_type, comment=comment)

    def _publish_body(self, request: PageRequest) -> PublishedPage:
        page = self.get(request.page_id) if request.page_id else None
        if page is None:
            page = self.find_by_title(request.title)
        if page is None:
            # A create whose answer is lost may have happened: look by title before resending
            # (Confluence refuses a second page of that title in the space anyway).
            return self.view(write_once(lambda: self.create(request),
                                        lambda: self.find_by_title(request.title),
                                        f"creating the Confluence page {request.title!r}",
                                        self.site.http.policy))
        if self.body_of(page) == request.body and page.get("title") == request.title:
            return self.view(page)  # already says it (e.g. after a lost page ledger)
        for attempt in (1, 2):
            try:
                return self.view(self.update(page, request))
            except HttpError as exc:
                if exc.status != 409:
                    raise
                if attempt == 2:
                    raise TrackerError(
                        f"Confluence page {page['id']} kept changing under us (HTTP 409); "
                        "run pmsync report again"
                    ) from None
                page = self.get(str(page["id"])) or page
        raise AssertionError("unreachable")

    def get(self, page_id: str) -> dict[str, Any] | None:
        try:
            return self.site.call("GET", self.page_path(page_id), "reading a Confluence page",
                                  params=self.read_params())
        except HttpError as exc:
            if exc.status == 404:
                return None
            raise

    def missing_space(self) -> TrackerError:
        return TrackerError(
            f"Confluence space {self.space_key!r} does not exist or is not visible to this "
            f"account; set {self.where} to an existing space key"
        )

    # per API version
    def page_path(self, page_id: str) -> str: ...
    def read_params(self) -> dict[str, str]: ...
    def find_by_title(self, title: str) -> dict[str, Any] | None: ...
    def create(self, request: PageRequest) -> dict[str, Any]: ...
    def update(self, page: dict[str, Any], request: PageRequest) -> dict[str, Any]: ...
    @staticmethod
    def body_of(page: dict[str, Any]) -> str | None:
        """The storage-format body, when the read asked for it (both APIs nest it alike)."""
        return ((page.get("body") or {}).get("storage") or {}).get("value")

    def view(self, page: dict[str, Any]) -> PublishedPage:
        """Both APIs give the page's address as _links.base + _links.webui."""
        links = page.get("_links") or {}
        return PublishedPage(str(page["id"]), int(page["version"]["number"]),
                             f"{links.get('base', self.base)}{links.get('webui', '')}")


class CloudPages(Pages):
    """Confluence Cloud REST v2: /wiki/api/v2/pages, storage format, numeric space ids."""

    _space_id: str | None = None

    def space_id(self) -> str:
        if self._space_id is None:
            body = self.site.call("GET", f"{self.base}/api/v2/spaces",
                                  "looking up the Confluence space", params={"keys": self.space_key})
            results = body.get("results") or []
            if not results:
                raise self.missing_space()
            self._space_id = str(results[0]["id"])
        return self._space_id

    def page_path(self, page_id: str) -> str:
        return f"{self.base}/api/v2/pages/{page_id}"

    def read_params(self) -> dict[str, str]:
        return {"body-format": "storage"}

    def find_by_title(self, title: str) -> dict[str, Any] | None:
        body = self.site.call("GET", f"{self.base}/api/v2/pages", "finding a Confluence page",
                              params={"space-id": self.space_id(), "title": title,
                                      "status": "current", "body-format": "storage"})
        results = body.get("results") or []
        return results[0] if results else None

    def create(self, request: PageRequest) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "spaceId": self.space_id(), "status": "current", "title": request.title,
            "body": {"representation": "storage", "value": request.body},
        }
        if self.parent_id:
            payload["parentId"] = self.parent_id
        return self.site.call("POST", f"{self.base}/api/v2/pages", "creating a Confluence page",
                              body=payload)

    def update(self, page: dict[str, Any], request: PageRequest) -> dict[str, Any]:
        payload = {
            "id": str(page["id"]), "status": "current", "title": request.title,
            "body": {"representation": "storage", "value": request.body},
            "version": {"number": page["version"]["number"] + 1, "message": "Updated by pmsync"},
        }
        return self.site.call("PUT", self.page_path(page["id"]), "updating a Confluence page",
                              body=payload)



class DataCenterPages(Pages):
    """Confluence Data Center REST v1: /rest/api/content, space keys, ancestors."""

    def page_path(self, page_id: str) -> str:
        return f"{self.base}/rest/api/content/{page_id}"

    def read_params(self) -> dict[str, str]:
        return {"expand": "version,space,body.storage"}

    def find_by_title(self, title: str) -> dict[str, Any] | None:
        body = self.site.call("GET", f"{self.base}/rest/api/content", "finding a Confluence page",
                              params={"spaceKey": self.space_key, "title": title,
                                      "type": "page", "expand": "version,space,body.storage"})
        results = body.get("results") or []
        return results[0] if results else None

    def create(self, request: PageRequest) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "type": "page", "title": request.title, "space": {"key": self.space_key},
            "body": {"storage": {"value": request.body, "representation": "storage"}},
        }
        if self.parent_id:
            payload["ancestors"] = [{"id": self.parent_id}]
        try:
            return self.site.call("POST", f"{self.base}/rest/api/content",
                                  "creating a Confluence page", body=payload)
        except HttpError as exc:
            if exc.status == 404:  # Confluence DC: "No space with key"
                raise self.missing_space() from None
            raise

    def update(self, page: dict[str, Any], request: PageRequest) -> dict[str, Any]:
        payload = {
            "id": str(page["id"]), "type": "page", "title": request.title,
            "space": {"key": self.space_key},
            "body": {"storage": {"value": request.body, "representation": "storage"}},
            "version": {"number": page["version"]["number"] + 1, "message": "Updated by pmsync"},
        }
        return self.site.call("PUT", self.page_path(page["id"]), "updating a Confluence page",
                              body=payload)

