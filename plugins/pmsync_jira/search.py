"""Paging through Jira: Cloud's token-paged enhanced search, DC's offset search, changelogs,
comments and the agile lists, each through one of the kit's paginators."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pmsync.kit.errors import HttpError
from pmsync.kit.paginate import OffsetPaginator, TokenPaginator, paginate, records_at
from pmsync_jira.client import JiraSite


def pages(site: JiraSite, jql: str, fields: list[str], page_size: int,
          changelog: bool = True) -> Iterator[list[dict[str, Any]]]:
    """Each page of raw issues; loops on the server's paging answer, never on counts."""
    params: dict[str, Any] = {"jql": jql, "maxResults": page_size, "fields": ",".join(fields)}
    if changelog:
        params["expand"] = "changelog"
    if site.is_cloud:
        paginator = TokenPaginator(
            records_at("issues"), token=lambda body, _: body.get("nextPageToken"),
            more=lambda body, _: not body.get("isLast", True))
        return paginate(lambda token: site.call(
            "GET", "/rest/api/3/search/jql", "searching issues",
            params={**params, **({"nextPageToken": token} if token else {})}), paginator)
    return offset_pages(site, "/rest/api/2/search", "searching issues", "issues", params)


def missing_keys(exc: HttpError) -> set[str]:
    """The keys a 400 from the search names as not existing."""
    body = exc.body() if isinstance(exc.body(), dict) else {}
    text = " ".join(str(m) for m in body.get("errorMessages") or ())
    return set(re.findall(r"[Aa]n issue with key '([A-Za-z][\w]*-\d+)' does not exist", text))


def keys(site: JiraSite, jql: str) -> Iterator[str]:
    """Every key the search finds: key-only pages, the largest Jira serves (5,000)."""
    for page in pages(site, jql, ["key"], 5000, changelog=False):
        for raw in page:
            yield raw["key"]


def count(site: JiraSite, jql: str) -> int:
    """What the search will return: Cloud's approximate-count, DC's search total."""
    if site.is_cloud:
        body = site.call("POST", "/rest/api/3/search/approximate-count", "counting issues",
                         body={"jql": jql}, idempotent=True)
        return int((body or {}).get("count") or 0)
    body = site.call("GET", "/rest/api/2/search", "counting issues",
                     params={"jql": jql, "maxResults": 0})
    return int((body or {}).get("total") or 0)


def offset_pages(site: JiraSite, path: str, what: str, key: str,
                 params: dict[str, Any] | None = None) -> Iterator[list[dict[str, Any]]]:
    """A startAt-paged list (search, changelog, comments, boards, sprints)."""
    params = {"maxResults": 100, **(params or {})}
    return paginate(lambda start: site.call("GET", path, what, params={**params, "startAt": start}),
                    OffsetPaginator(records_at(key)))


def changelog(site: JiraSite, issue_key: str) -> Iterator[dict[str, Any]]:
    """Every history entry of one issue (Cloud's paged changelog endpoint)."""
    for page in offset_pages(site, f"/rest/api/3/issue/{issue_key}/changelog",
                             "reading a changelog", "values"):
        yield from page


def jql_time(since_iso: str, overlap: timedelta, time_zone: str) -> str:
    """A JQL datetime: in the searching user's own timezone, to the minute, minus the overlap."""
    try:
        zone: Any = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    moment = (datetime.fromisoformat(since_iso) - overlap).astimezone(zone)
    return f"{moment:%Y-%m-%d %H:%M}"
