"""The Jira connector: the `jira` library for reading, its session for writing.

The library already pages, authenticates and keeps one HTTP session; we wrap
it with one retry policy and turn its failures into one-line errors.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jira import JIRA
from jira.exceptions import JIRAError
from jira.resources import Board, Resource, Sprint

from pmsync.config import TrackerConfig
from pmsync.connector import AlertMessage, Comment, PageRequest, PublishedPage, SyncBatch
from pmsync.errors import ConfigError, TrackerError
from pmsync.model import split_key
from pmsync_jira import adf, mapping
from pmsync_jira.confluence import ConfluencePages
from pmsync_jira.http import RetryPolicy, describe_failure

log = logging.getLogger("pmsync.jira")

OPTIONS: dict[str, tuple[type, str]] = {
    "email": (str, "the Atlassian account email"),
    "token_env": (str, "the name of the env var holding the API token"),
    "projects": (list, "a list of project keys, e.g. [\"PAY\"]"),
    "page_size": (int, "a number of issues per search page (1-100)"),
    "pages_space": (str, "a Confluence space key"),
    "pages_parent_id": (str, "a Confluence page id"),
    "link_types": (list, "a list of issue link type names, e.g. [\"Blocks\"]"),
    "overlap_minutes": (int, "a number of minutes"),
    "timeout": (int, "a number of seconds"),
    "retry_attempts": (int, "a number of attempts"),
    "retry_backoff": (float | int, "a factor for retry waits"),
    "sprint_field": (str, "a field id or name"),
    "story_points_field": (str, "a field id or name"),
    "start_date_field": (str, "a field id or name"),
}


class JiraConnector:
    kind: ClassVar[str] = "jira"
    page_format: ClassVar[str] = "confluence"

    @classmethod
    def validate_config(cls, tracker: TrackerConfig) -> None:
        for key, value in tracker.options.items():
            if key not in OPTIONS:
                raise ConfigError(
                    f"{tracker.where(key)} is not a Jira option; valid: {', '.join(OPTIONS)}"
                )
            kind, what = OPTIONS[key]
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ConfigError(f"{tracker.where(key)} must be {what}, not {value!r}")
        tracker.require("email", str, OPTIONS["email"][1])
        tracker.require("token_env", str, OPTIONS["token_env"][1])
        projects = tracker.require("projects", list, OPTIONS["projects"][1])
        if not projects or not all(isinstance(p, str) and p for p in projects):
            raise ConfigError(f"{tracker.where('projects')} must list at least one project key")
        if not 1 <= tracker.options.get("page_size", 100) <= 100:
            raise ConfigError(f"{tracker.where('page_size')} must be between 1 and 100")

    def __init__(self, tracker: TrackerConfig):
        self.tracker = tracker
        self.name = tracker.name
        self.url = tracker.url
        opts = tracker.options
        self.secret_hint = f"${opts['token_env']}"
        self.projects: list[str] = list(opts["projects"])
        self.page_size = int(opts.get("page_size", 100))
        self.link_types = set(opts.get("link_types", ["Blocks"]))
        self.overlap = timedelta(minutes=int(opts.get("overlap_minutes", 2)))
        self.retry = RetryPolicy(
            attempts=int(opts.get("retry_attempts", 5)), backoff=float(opts.get("retry_backoff", 1))
        )
        self._email = opts["email"]
        self._token = tracker.secret("token_env")
        self._timeout = int(opts.get("timeout", 30))
        self._jira: JIRA | None = None
        self._field_ids: mapping.FieldIds | None = None
        space = opts.get("pages_space")
        self.pages = (
            ConfluencePages(self._call, space, opts.get("pages_parent_id"),
                            tracker.where("pages_space"))
            if space else None
        )

    # plumbing ---------------------------------------------------------------
    @property
    def jira(self) -> JIRA:
        if self._jira is None:
            self._jira = self._guard("connecting", lambda: JIRA(
                self.url,
                basic_auth=(self._email, self._token),
                # Agile lists page by 50 on Jira; say so, or the library warns on every page.
                options={"rest_api_version": "3",
                         "default_batch_size": {Resource: 100, Board: 50, Sprint: 50}},
                max_retries=0,  # retries are ours (RetryPolicy), not the library's
                timeout=self._timeout,
            ))
        return self._jira

    def _guard(self, what: str, fn):
        try:
            return self.retry.call(fn)
        except (JIRAError, OSError) as exc:
            raise describe_failure(exc, f"Jira at {self.url}", what, self.secret_hint) from None
        except (KeyError, ValueError, TypeError) as exc:
            raise TrackerError(
                f"Jira at {self.url} answered in an unexpected shape while {what} "
                f"({type(exc).__name__}: {exc}); is the url a Jira site?"
            ) from None

    def _call(self, method: str, path: str, what: str, *, params=None, body=None,
              raw_conflict: bool = False) -> Any:
        """A raw call through the library's session (same auth, headers, timeouts)."""
        session = self.jira._session

        def send():
            kwargs: dict[str, Any] = {"params": params}
            if body is not None:
                kwargs["data"] = json.dumps(body)
            return session.request(method, f"{self.url}{path}", **kwargs)

        try:
            response = self.retry.call(send)
        except JIRAError as exc:
            if raw_conflict and exc.status_code == 409:
                raise
            raise describe_failure(exc, f"Jira at {self.url}", what, self.secret_hint) from None
        except OSError as exc:
            raise describe_failure(exc, f"Jira at {self.url}", what, self.secret_hint) from None
        return response.json() if response.content else None

    def item_url(self, item_key: str) -> str:
        return f"{self.url}/browse/{split_key(item_key)[1]}"

    # reading ------------------------------------------------------------------
    def check_auth(self) -> str:
        me = self._guard("checking the credentials", self.jira.myself)
        return str(me.get("displayName") or me.get("accountId"))

    def field_ids(self) -> mapping.FieldIds:
        if self._field_ids is None:
            fields = self._guard("reading the field list", self.jira.fields)
            # Prime the library's name→id cache so it does not ask /field again.
            self.jira._fields_cache_value = {f["name"]: f["id"] for f in fields}
            self._field_ids = mapping.discover_fields(fields, self.tracker.options)
            log.info("jira fields: %s", self._field_ids)
        return self._field_ids

    def fetch(self, cursor: str | None) -> Iterator[SyncBatch]:
        me = self._guard("checking the credentials", self.jira.myself)
        ids = self.field_ids()
        yield SyncBatch(sprints=tuple(self._sprints()), releases=tuple(self._releases()))
        jql = self._jql(cursor, me.get("timeZone") or "UTC")
        log.info("jira search: %s", jql)
        token: str | None = None
        newest = cursor
        while True:
            page = self._guard("searching issues", lambda t=token: self.jira.enhanced_search_issues(
                jql, nextPageToken=t, maxResults=self.page_size,
                fields=ids.search_fields(), json_result=True,
            ))
            items, links = [], []
            for raw in page.get("issues") or ():
                item, item_links = mapping.map_issue(raw, self.name, self.url, ids, self.link_types)
                items.append(item)
                links.extend(item_links)
                stamp = item.updated.isoformat() if item.updated else None
                if stamp and (newest is None or stamp > newest):
                    newest = stamp
            yield SyncBatch(items=tuple(items), links=tuple(links), cursor=newest,
                            full=cursor is None)
            token = page.get("nextPageToken")
            if page.get("isLast", True) or not token:
                break

    def _jql(self, cursor: str | None, time_zone: str) -> str:
        projects = ", ".join(f'"{p}"' for p in self.projects)
        clause = f"project in ({projects})"
        if cursor:
            # JQL dates are read in the user's own timezone, to the minute.
            try:
                zone = ZoneInfo(time_zone)
            except (ZoneInfoNotFoundError, ValueError):
                zone = UTC
            since = (datetime.fromisoformat(cursor) - self.overlap).astimezone(zone)
            clause += f' AND updated >= "{since:%Y-%m-%d %H:%M}"'
        return f"{clause} ORDER BY updated ASC, key ASC"

    def _sprints(self):
        for project in self.projects:
            boards = self._guard("listing boards", lambda p=project: self.jira.boards(
                projectKeyOrID=p, maxResults=0))
            for board in boards:
                if board.raw.get("type") != "scrum":
                    continue
                sprints = self._guard("listing sprints", lambda b=board: self.jira.sprints(
                    b.id, maxResults=0))
                for sprint in sprints:
                    yield mapping.map_sprint(sprint.raw, self.name, board.raw)

    def _releases(self):
        for project in self.projects:
            versions = self._call("GET", f"/rest/api/3/project/{project}/versions",
                                  "listing project versions")
            for version in versions or ():
                yield mapping.map_version(version, self.name)

    # writing ----------------------------------------------------------------------
    def list_comments(self, item_key: str) -> list[Comment]:
        issue = split_key(item_key)[1]
        comments, start = [], 0
        while True:
            page = self._call("GET", f"/rest/api/3/issue/{issue}/comment", "listing comments",
                              params={"startAt": start, "maxResults": 100})
            for raw in page.get("comments") or ():
                comments.append(Comment(str(raw["id"]), adf.find_marker(raw.get("body"))))
            start += len(page.get("comments") or ())
            if not page.get("comments") or start >= page.get("total", 0):
                return comments

    def post_comment(self, item_key: str, message: AlertMessage) -> str:
        issue = split_key(item_key)[1]
        payload = {"body": adf.render_comment(message, self.item_url)}
        created = self._call("POST", f"/rest/api/3/issue/{issue}/comment", "posting a comment",
                             body=payload)
        return str(created["id"])

    def edit_comment(self, item_key: str, comment_id: str, message: AlertMessage) -> None:
        issue = split_key(item_key)[1]
        payload = {"body": adf.render_comment(message, self.item_url)}
        self._call("PUT", f"/rest/api/3/issue/{issue}/comment/{comment_id}", "editing a comment",
                   body=payload)

    @property
    def publishes_pages(self) -> bool:
        return self.pages is not None

    def publish_page(self, request: PageRequest) -> PublishedPage:
        if self.pages is None:
            raise TrackerError(f"{self.tracker.where('pages_space')} is not set: no page target")
        try:
            return self.pages.publish(request)
        except JIRAError as exc:
            raise describe_failure(exc, f"Confluence at {self.url}", "publishing a page",
                                   self.secret_hint) from None
