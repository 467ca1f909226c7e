"""The Jira connector: Cloud and Data Center issues, sprints, history; comments; pages.

A full sync (or a periodic reconcile) reads the site's setup once: deployment,
the user's timezone, custom-field ids, boards and sprints, versions. That
knowledge travels in the cursor, so an incremental sync costs one search page
per hundred changed issues and nothing else.
"""

from __future__ import annotations

import contextvars
import itertools
import logging
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from typing import Any, ClassVar

from pmsync import progress
from pmsync.config import TrackerConfig
from pmsync.connector import AlertMessage, Comment, PageRequest, PublishedPage, SyncBatch
from pmsync.errors import TrackerError
from pmsync.kit.cursor import SyncClock
from pmsync.kit.errors import HttpError
from pmsync.kit.paginate import Prefetched, prefetched
from pmsync.model import Sprint, facet_value, split_key
from pmsync.once import our_comment, write_once
from pmsync_jira import adf, mapping, search, slices, wiki
from pmsync_jira.client import JiraSite
from pmsync_jira.confluence import CloudPages, DataCenterPages, Pages

log = logging.getLogger("pmsync.jira")
# Searches in flight at once during a sync (key ranges, or one walk per project). Six keep
# pages coming faster than one thread maps and stores them: with four, the sync's main
# thread still waited 0.15-0.2 s per full sync of 10,000 issues for its next page, with six
# 0.02-0.06 s (issue 14). Jira Cloud limits API-token traffic by a per-second burst rate
# per endpoint and answers 429 with Retry-After past it, which the shared pacer honours
# (developer.atlassian.com/cloud/jira/platform/rate-limiting).
SEARCHES_AT_ONCE = 6
SETUP_AT_ONCE = 8  # the setup calls of a full sync and its key listing, side by side


def read_marker(body: Any) -> str | None:
    """The fingerprint in a comment's footer: ADF on Cloud, wiki markup on Data Center."""
    return wiki.find_marker(body) if isinstance(body, str) else adf.find_marker(body)


def body_text(body: Any) -> str:
    """A comment body as plain text, the same for what we send and what Jira gives back."""
    return wiki.plain_text(body) if isinstance(body, str) else adf.plain_text(body)


class JiraConnector:
    kind: ClassVar[str] = "jira"
    page_format: ClassVar[str] = "confluence"
    page_images: ClassVar[str] = "attachment"  # charts go up as files the page shows

    def __init__(self, tracker: TrackerConfig):
        self.tracker = tracker
        self.name = tracker.name
        self.url = tracker.url
        opts = tracker.options
        self.projects: list[str] = list(opts["projects"])
        self.page_size = opts["page_size"]
        self.link_types = set(opts["link_types"])
        self.site = JiraSite(tracker)
        self._pages: Pages | None = None
        self._myself: dict[str, Any] | None = None
        self._boards: dict[str, str] = {}  # board id -> its project, from the last reconcile
        self._known_sprints: set[int] = set()  # sprints a board listed: their records win

    @classmethod
    def browse_url(cls, tracker: TrackerConfig, key: str) -> str | None:
        """A page for a record that has no URL of its own: a release's issues (a version's
        id is all its key holds, and this search works on Cloud and Data Center alike)."""
        native = split_key(key)[1]
        if native.startswith("version:"):
            return f"{tracker.url}/issues/?jql=fixVersion%3D{native.removeprefix('version:')}"
        return None

    def item_url(self, item_key: str) -> str:
        return f"{self.url}/browse/{split_key(item_key)[1]}"

    # reading ----------------------------------------------------------------------
    def check_auth(self) -> str:
        me = self.site.myself()
        return str(me.get("displayName") or me.get("name") or me.get("accountId"))

    def fetch(self, cursor: dict[str, Any] | None) -> Iterator[SyncBatch]:
        clock = SyncClock(cursor, self.tracker.options, needs="fields")
        state = clock.state
        if state.get("deployment"):
            self.site.deployment = self.site.deployment or state["deployment"]
        since = None if clock.first else state.get("updated")
        listing: slices.Listing | None = None
        setup: SyncBatch | None = None
        if not clock.reconcile:
            ids = mapping.FieldIds.from_json(state["fields"])
            stream = self._search(ids, since, state, clock, None)
        else:
            state["deployment"] = self.site.detect_deployment()  # v2 or v3: asked first
            # The setup calls that do not need each other's answers go side by side, with
            # the key listing (Cloud) that cuts the search into ranges and tells deletions;
            # the search starts as soon as the field ids are known, while the sprint and
            # version lists are still coming (issue 14).
            lists_keys = self.site.is_cloud and (since is None or clock.detects_removals)
            with ThreadPoolExecutor(SETUP_AT_ONCE, "pmsync-setup") as pool:
                def later(work: Any) -> Future[Any]:
                    return pool.submit(contextvars.copy_context().run, work)

                def each(work: Any, of: list[Any]) -> list[Future[Any]]:
                    """``work(x)`` for each x at once; the answers are read in order."""
                    return [later(lambda x=x: list(work(x))) for x in of]

                me, fields = later(self.site.myself), later(self.site.fields)
                keys = each(self._project_keys, self.projects) if lists_keys else None
                boards = self._scrum_boards(each(self._project_boards, self.projects))
                estimates = each(self._estimation_fields, boards)
                board_sprints = each(self._board_sprints, boards)
                releases = each(self._releases, self.projects)
                state["time_zone"] = me.result().get("timeZone") or "UTC"
                ids = mapping.discover_fields(fields.result(), self.tracker.options,
                                              tuple(f for done in estimates for f in done.result()))
                listing = self._listing(keys) if keys else None
                stream = self._search(ids, since, state, clock, listing)
                try:
                    sprints = [s for done in board_sprints for s in done.result()]
                    versions = tuple(v for done in releases for v in done.result())
                except BaseException:
                    stream.close()
                    raise
            state.update(fields=ids.as_json(),
                         boards={str(b["id"]): (b.get("location") or {}).get("projectKey")
                                 for b in boards},
                         board_sprints=sorted({int(s.key.rsplit(":", 1)[1]) for s in sprints}))
            log.info("%s: custom fields %s", self.name, ids)
            setup = SyncBatch(sprints=tuple(sprints), releases=versions)
        try:
            yield from self._read(stream, setup, ids, state, clock, listing)
        finally:
            stream.close()

    def _search(self, ids: mapping.FieldIds, since: str | None, state: dict[str, Any],
                clock: SyncClock, listing: slices.Listing | None) -> Prefetched:
        """The search, started: one walk per project, or on a full sync with a listing, per
        range of keys (slices.py); each fetches its next page while this thread maps and
        stores the one before. The cursor still moves only at the end, with everything in
        the one transaction."""
        zone = state.get("time_zone", "UTC")
        fields = ids.search_fields()
        if progress.current().wants_totals:  # one more request, worth it only on a terminal
            total = len(listing) if listing is not None and since is None else search.count(
                self.site, self._jql(self.projects, since, zone, clock.overlap))
            progress.current().sync_total(self.name, total, "issues")
        if listing is not None and since is None:
            def jql(part: slices.Slice) -> str:
                return self._jql([part.project], None, zone, clock.overlap, part.low, part.high)

            walks = [slices.walk(self.site, part, listing, jql, fields, self.page_size)
                     for part in listing.plan(self.page_size, SEARCHES_AT_ONCE)]
        elif since is not None:
            # An incremental sync: what changed since the last one fits a page or a few, so
            # one search over every project (one request, not one per project).
            walks = [search.pages(self.site, self._jql(self.projects, since, zone, clock.overlap),
                                  fields, self.page_size)]
        else:
            walks = [search.pages(self.site, self._jql([project], since, zone, clock.overlap),
                                  fields, self.page_size)
                     for project in self.projects]
        return prefetched(walks, at_once=SEARCHES_AT_ONCE)

    def _read(self, stream: Prefetched, setup: SyncBatch | None, ids: mapping.FieldIds,
              state: dict[str, Any], clock: SyncClock,
              listing: slices.Listing | None) -> Iterator[SyncBatch]:
        if setup is not None:
            yield setup
        self._boards = dict(state.get("boards") or {})
        self._known_sprints = set(state.get("board_sprints") or ())
        newest = state.get("updated")
        outside: set[str] = set()
        for page in itertools.chain(stream, self._unseen(listing, ids)):
            batch, page_newest = self._map_page(page, ids, outside)
            newest = max(filter(None, [newest, page_newest]), default=None)
            if listing is not None:
                listing.returned(raw["key"] for raw in page)
            yield batch
        if outside:
            yield self._outside_issues(outside, ids)
        present = None
        if clock.detects_removals:
            found = listing.present() if listing is not None else self._all_keys()
            present = frozenset(f"{self.name}:{key}" for key in found)
        yield SyncBatch(present_keys=present, cursor=clock.done(updated=newest))

    def _listing(self, per_project: list[Future[list[str]]]) -> slices.Listing:
        """Every key of each project, from the key-only searches run side by side."""
        return slices.Listing({project: found.result()
                               for project, found in zip(self.projects, per_project, strict=True)})

    def _project_keys(self, project: str) -> Iterator[str]:
        """Every key of one project (the listing, slices.py): a key-only search."""
        return search.keys(self.site, f"project in ({self._project_list([project])}) "
                                      "ORDER BY key ASC")

    def _unseen(self, listing: slices.Listing | None,
                ids: mapping.FieldIds) -> Iterator[list[dict[str, Any]]]:
        """The checklist (slices.py): listed issues no range returned, fetched by key once
        the ranges are done (evaluated lazily, after the search). A key Jira says no longer
        exists is left out."""
        if listing is None:
            return
        natives = listing.unreturned()
        if natives:
            log.info("%s: %d listed issues the ranges did not return: fetched by key",
                     self.name, len(natives))
        for start in range(0, len(natives), 100):
            batch = natives[start:start + 100]
            while batch:
                jql = f"key in ({', '.join(batch)})"
                try:
                    yield from search.pages(self.site, jql, ids.search_fields(), self.page_size)
                except HttpError as exc:
                    missing = search.missing_keys(exc) & set(batch)
                    if exc.status != 400 or not missing:
                        raise
                    listing.gone.update(missing)
                    batch = [k for k in batch if k not in missing]
                    continue
                break

    def _map_page(self, page: list[dict[str, Any]], ids: mapping.FieldIds,
                  outside: set[str]) -> tuple[SyncBatch, str | None]:
        items, links, sprints, releases, changes = [], [], {}, {}, []
        newest = None
        roles = ids.roles()  # once a page, not once an issue
        ours = {f"{self.name}:{project}" for project in self.projects}
        for raw in page:
            item, item_links = mapping.map_issue(raw, self.name, self.url, ids, self.link_types)
            items.append(item)
            if item_links:
                links.extend(item_links)
                for link in item_links:
                    for end in (link.blocker_key, link.blocked_key):
                        if end.rsplit("-", 1)[0] not in ours:
                            outside.add(end)
            for sprint in mapping.issue_sprints(raw, self.name, ids, self._boards,
                                                self._known_sprints):
                sprints[sprint.key] = self._with_url(sprint)
            for version in (raw.get("fields") or {}).get("fixVersions") or ():
                # Many issues share a version: map it once a page (the last copy wins, as
                # before; a version's fields are the same on every issue of one answer).
                releases[f"{self.name}:version:{version['id']}"] = version
            changes.extend(mapping.map_changelog(item.key, self._histories(raw), ids, roles))
            if item.updated is not None and (newest is None or item.updated > newest):
                newest = item.updated
        return SyncBatch(items=tuple(items), links=tuple(links), sprints=tuple(sprints.values()),
                         releases=tuple(mapping.map_version(v, self.name)
                                        for v in releases.values()),
                         changes=tuple(changes)), newest.isoformat() if newest else None

    def _histories(self, raw: dict[str, Any]) -> list[dict[str, Any]]:
        """The embedded changelog, completed through the changelog endpoint when cut short."""
        changelog = raw.get("changelog") or {}
        histories = list(changelog.get("histories") or ())
        if changelog.get("total", 0) <= len(histories) or not self.site.is_cloud:
            return histories
        return list(search.changelog(self.site, raw["key"]))

    def _outside_issues(self, keys: set[str], ids: mapping.FieldIds) -> SyncBatch:
        """Link ends in projects we do not sync: fetched once so the graph has both ends."""
        natives = sorted(split_key(k)[1] for k in keys)
        items = []
        for start in range(0, len(natives), 100):
            jql = f"key in ({', '.join(natives[start:start + 100])})"
            for page in search.pages(self.site, jql, ids.search_fields(), self.page_size,
                                     changelog=False):
                for raw in page:
                    item, _ = mapping.map_issue(raw, self.name, self.url, ids, self.link_types)
                    items.append(item)
        return SyncBatch(items=tuple(items))

    def existing_keys(self, item_keys: list[str]) -> dict[str, str | None]:
        """Each key's item as it is now: its key (a new one when the issue was moved), or
        None when it was deleted. One key-only search per hundred keys; Jira refuses a
        search naming a deleted key (400, "An issue with key 'X' does not exist"), so those
        are taken out and the search asked again, and a moved issue answers to its old key
        with its new one, which one GET of the old key tells."""
        found: dict[str, str | None] = {}
        natives = sorted({split_key(k)[1] for k in item_keys})
        for start in range(0, len(natives), 100):
            batch = natives[start:start + 100]
            while batch:
                jql = f"key in ({', '.join(batch)})"
                try:
                    keys = {raw["key"] for page in search.pages(self.site, jql, ["key"], 100,
                                                                 changelog=False)
                            for raw in page}
                except HttpError as exc:
                    missing = search.missing_keys(exc) & set(batch)
                    if exc.status != 400 or not missing:
                        raise
                    found.update(dict.fromkeys(missing))
                    batch = [k for k in batch if k not in missing]
                    continue
                for key in batch:
                    found[key] = key if key in keys else self._current_key(key)
                break
        return {k: (f"{self.name}:{found[split_key(k)[1]]}" if found.get(split_key(k)[1])
                    else None) for k in item_keys}

    def _current_key(self, key: str) -> str | None:
        try:
            issue = self.site.call("GET", f"/rest/api/{self.site.api}/issue/{key}",
                                   "looking up a moved issue", params={"fields": "key"})
        except HttpError as exc:
            if exc.status == 404:
                return None
            raise
        return str((issue or {}).get("key") or "") or None

    def _all_keys(self) -> set[str]:
        """Every issue key the projects hold now (Data Center, which lists no keys at the
        start): a cheap key-only search."""
        return set(search.keys(self.site, f"project in ({self._project_list()}) ORDER BY key ASC"))

    def _project_list(self, projects: list[str] | None = None) -> str:
        return ", ".join(f'"{p}"' for p in (self.projects if projects is None else projects))

    def _jql(self, projects: list[str], since: str | None, time_zone: str,
             overlap: timedelta, low: str | None = None, high: str | None = None) -> str:
        """The search; ``low`` / ``high``: a range of keys (slices.py), high excluded."""
        clause = f"project in ({self._project_list(projects)})"
        if low:
            clause += f" AND key >= {low}"
        if high:
            clause += f" AND key < {high}"
        if since:
            clause += f' AND updated >= "{search.jql_time(since, overlap, time_zone)}"'
        return f"{clause} ORDER BY updated ASC, key ASC"

    def _scrum_boards(self, per_project: list[Future[list[dict[str, Any]]]]) -> list[dict[str, Any]]:
        """The scrum boards of every project (one listed twice counts once, first place)."""
        boards: dict[int, dict[str, Any]] = {}
        for found in per_project:
            boards.update({b["id"]: b for b in found.result() if b.get("type") == "scrum"})
        return list(boards.values())

    def _project_boards(self, project: str) -> Iterator[dict[str, Any]]:
        for page in search.offset_pages(self.site, "/rest/agile/1.0/board", "listing boards",
                                        "values", {"projectKeyOrId": project}):
            yield from page

    def _estimation_fields(self, board: dict[str, Any]) -> Iterator[str]:
        """A board's estimation field, as Jira Software sums it for velocity."""
        try:
            config = self.site.call("GET", f"/rest/agile/1.0/board/{board['id']}/configuration",
                                    "reading a board's configuration") or {}
        except HttpError as exc:
            if exc.status not in (403, 404):  # a board we may not see: the others decide
                raise
            return
        estimation = config.get("estimation") or {}
        field_id = (estimation.get("field") or {}).get("fieldId")
        if estimation.get("type") == "field" and field_id:
            yield field_id

    def _board_sprints(self, board: dict[str, Any]) -> Iterator[Sprint]:
        for sprints in search.offset_pages(
                self.site, f"/rest/agile/1.0/board/{board['id']}/sprint", "listing sprints",
                "values"):
            for sprint in sprints:
                yield self._with_url(mapping.map_sprint(sprint, self.name, board))

    def _with_url(self, sprint: Sprint) -> Sprint:
        """The sprint's report on its board (the RapidBoard address: Data Center serves it,
        Cloud redirects it to the board's sprint report)."""
        board = facet_value(sprint.facets, "board")
        if board is None or facet_value(sprint.facets, "url"):
            return sprint
        number = split_key(sprint.key)[1].removeprefix("sprint:")
        url = (f"{self.url}/secure/RapidBoard.jspa?rapidView={board}&view=reporting"
               f"&chart=sprintRetrospective&sprint={number}")
        return replace(sprint, facets=(*sprint.facets, ("url", url)))

    def _releases(self, project: str):
        versions = self.site.call("GET", f"/rest/api/{self.site.api}/project/{project}/versions",
                                  "listing project versions")
        for version in versions or ():
            yield mapping.map_version(version, self.name)

    # writing ----------------------------------------------------------------------
    def _comment_path(self, item_key: str, comment_id: str | None = None) -> str:
        path = f"/rest/api/{self.site.api}/issue/{split_key(item_key)[1]}/comment"
        return f"{path}/{comment_id}" if comment_id else path

    def _comment_body(self, message: AlertMessage) -> Any:
        if self.site.is_cloud:
            return adf.render_comment(message, self.item_url)
        return wiki.render_comment(message, self.item_url)

    def comment_text(self, message: AlertMessage) -> str:
        return body_text(self._comment_body(message))

    def _me(self) -> dict[str, Any]:
        """Who pmsync is here: Cloud ``accountId``, Data Center ``key`` and ``name``."""
        if self._myself is None:
            self._myself = self.site.myself()
        return self._myself

    def _mine(self, author: Any) -> bool:
        """Written by the account pmsync calls with: the only comments it ever touches."""
        if not isinstance(author, dict):
            return False
        me = self._me()
        if me.get("accountId"):
            return author.get("accountId") == me["accountId"]
        if me.get("key") and author.get("key"):  # Data Center: the key survives a rename
            return author["key"] == me["key"]
        return bool(me.get("name")) and author.get("name") == me.get("name")

    def list_comments(self, item_key: str) -> list[Comment]:
        return [Comment(str(c["id"]), read_marker(c.get("body")),
                        mine=self._mine(c.get("author")), text=body_text(c.get("body")))
                for page in search.offset_pages(self.site, self._comment_path(item_key),
                                                "listing comments", "comments")
                for c in page]

    def post_comment(self, item_key: str, message: AlertMessage) -> str:
        def send() -> str:
            created = self.site.call("POST", self._comment_path(item_key), "posting a comment",
                                     body={"body": self._comment_body(message)})
            return str(created["id"])

        def find() -> str | None:  # by the footer and our own account only
            return our_comment(self.list_comments(item_key), message.fingerprint)

        return write_once(send, find, f"{self.name}: posting a comment on {item_key}",
                          self.site.http.policy)

    def edit_comment(self, item_key: str, comment_id: str, message: AlertMessage) -> None:
        self.site.call("PUT", self._comment_path(item_key, comment_id), "editing a comment",
                       body={"body": self._comment_body(message)})

    def delete_comment(self, item_key: str, comment_id: str) -> None:
        self.site.call("DELETE", self._comment_path(item_key, comment_id), "deleting a comment")

    @property
    def publishes_pages(self) -> bool:
        return self.publishes_pages_for(self.tracker)

    @classmethod
    def publishes_pages_for(cls, tracker: TrackerConfig) -> bool:
        """A Confluence space is configured (asked before the connector reads its token)."""
        return bool(tracker.options.get("pages_space"))

    def publish_page(self, request: PageRequest) -> PublishedPage:
        return self.pages().publish(request)

    def pages(self) -> Pages:
        """The Confluence space the pages go to (Cloud REST v2 or Data Center v1)."""
        if not self.publishes_pages:
            raise TrackerError(f"{self.tracker.where('pages_space')} is not set: no page target")
        if self._pages is None:
            opts = self.tracker.options
            cloud = self.site.is_cloud
            base = opts["confluence_url"] or (f"{self.url}/wiki" if cloud else self.url)
            kind = CloudPages if cloud else DataCenterPages
            self._pages = kind(self.site, base, opts["pages_space"], opts["pages_parent_id"],
                               self.tracker.where("pages_space"))
        return self._pages

    def doctor(self):
        """What `pmsync doctor` asks of this tracker (pmsync.doctor.TrackerDoctor)."""
        from pmsync_jira.doctor import JiraDoctor

        return JiraDoctor(self)
