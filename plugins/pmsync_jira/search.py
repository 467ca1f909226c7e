"""Paging through Jira: Cloud's token-paged enhanced search, DC's offset search, changelogs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pmsync_jira.client import JiraSite


def pages(site: JiraSite, jql: str, fields: list[str], page_size: int,
          changelog: bool = True) -> Iterator[list[dict[str, Any]]]:
    """Each page of raw issues; loops on the server's paging answer, never on counts."""
    params: dict[str, Any] = {"jql": jql, "maxResults": page_size, "fields": ",".join(fields)}
    if changelog:
        params["expand"] = "changelog"
    if site.is_cloud:
        token: str | None = None
        while True:
            page = site.call("GET", "/rest/api/3/search/jql", "searching issues",
                             params={**params, **({"nextPageToken": token} if token else {})})
            yield page.get("issues") or []
            token = page.get("nextPageToken")
            if page.get("isLast", True) or not token:
                return
    start = 0
    while True:
        page = site.call("GET", "/rest/api/2/search", "searching issues",
                         params={**params, "startAt": start})
        issues = page.get("issues") or []
        yield issues
        start += len(issues)
        if not issues or start >= int(page.get("total", 0)):
            return


def changelog(site: JiraSite, issue_key: str) -> Iterator[dict[str, Any]]:
    """Every history entry of one issue (Cloud's paged changelog endpoint)."""
    start = 0
    while True:
        page = site.call("GET", f"/rest/api/3/issue/{issue_key}/changelog", "reading a changelog",
                         params={"startAt": start, "maxResults": 100})
        values = page.get("values") or []
        yield from values
        start += len(values)
        if page.get("isLast", True) or not values:
            return


def jql_time(since_iso: str, overlap: timedelta, time_zone: str) -> str:
    """A JQL datetime: in the searching user's own timezone, to the minute, minus the overlap."""
    try:
        zone: Any = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    moment = (datetime.fromisoformat(since_iso) - overlap).astimezone(zone)
    return f"{moment:%Y-%m-%d %H:%M}"
