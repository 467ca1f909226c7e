"""Sprint-review pages on Confluence Cloud (REST v2, storage format).

A page is found again by the id in pmsync's page ledger; if that page was
deleted, or the ledger never heard of it (a crash right after creating it), by
its title in the space. An update carries version.number = current + 1; on a
409 (someone else edited meanwhile) we re-read and try once more.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jira.exceptions import JIRAError

from pmsync.connector import PageRequest, PublishedPage
from pmsync.errors import TrackerError

Call = Callable[..., Any]  # (method, path, what, **kwargs) -> parsed JSON


class ConfluencePages:
    def __init__(self, call: Call, space_key: str, parent_id: str | None, where: str):
        self.call = call
        self.space_key = space_key
        self.parent_id = parent_id or None
        self.where = where  # config key, for errors a person can act on
        self._space_id: str | None = None

    def space_id(self) -> str:
        if self._space_id is None:
            body = self.call("GET", "/wiki/api/v2/spaces", "looking up the Confluence space",
                             params={"keys": self.space_key})
            results = body.get("results") or []
            if not results:
                raise TrackerError(
                    f"Confluence space {self.space_key!r} does not exist or is not visible to "
                    f"this account; set {self.where} to an existing space key"
                )
            self._space_id = str(results[0]["id"])
        return self._space_id

    def publish(self, request: PageRequest) -> PublishedPage:
        page = self._get(request.page_id) if request.page_id else None
        if page is None:
            page = self._find_by_title(request.title)
        if page is None:
            return self._view(self._create(request))
        for attempt in (1, 2):
            try:
                return self._view(self._update(page, request))
            except JIRAError as exc:
                if exc.status_code != 409 or attempt == 2:
                    raise
                page = self._get(page["id"]) or page  # someone edited: re-read, retry once
        raise AssertionError("unreachable")

    def _get(self, page_id: str) -> dict[str, Any] | None:
        try:
            return self.call("GET", f"/wiki/api/v2/pages/{page_id}", "reading a Confluence page")
        except TrackerError as exc:
            if "HTTP 404" in str(exc):
                return None
            raise

    def _find_by_title(self, title: str) -> dict[str, Any] | None:
        body = self.call(
            "GET", "/wiki/api/v2/pages", "finding a Confluence page by title",
            params={"space-id": self.space_id(), "title": title, "status": "current"},
        )
        results = body.get("results") or []
        return results[0] if results else None

    def _create(self, request: PageRequest) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "spaceId": self.space_id(),
            "status": "current",
            "title": request.title,
            "body": {"representation": "storage", "value": request.body},
        }
        if self.parent_id:
            payload["parentId"] = self.parent_id
        return self.call("POST", "/wiki/api/v2/pages", "creating a Confluence page", body=payload)

    def _update(self, page: dict[str, Any], request: PageRequest) -> dict[str, Any]:
        payload = {
            "id": page["id"],
            "status": "current",
            "title": request.title,
            "body": {"representation": "storage", "value": request.body},
            "version": {"number": page["version"]["number"] + 1, "message": "Updated by pmsync"},
        }
        return self.call(
            "PUT", f"/wiki/api/v2/pages/{page['id']}", "updating a Confluence page",
            body=payload, raw_conflict=True,
        )

    @staticmethod
    def _view(page: dict[str, Any]) -> PublishedPage:
        links = page.get("_links") or {}
        return PublishedPage(
            page_id=str(page["id"]),
            version=int(page["version"]["number"]),
            url=f"{links.get('base', '')}{links.get('webui', '')}",
        )
