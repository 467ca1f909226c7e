"""The ClickUp connector: workspace hierarchy, tasks, sprint lists, comments, Docs pages.

A full sync (or a periodic reconcile) reads the hierarchy and pages through
every list (100 tasks a page, closed tasks and subtasks included). What it
learnt (lists, sprint lists, the Epic task type) travels in the cursor, so an
incremental sync is one workspace-wide search for tasks updated since then.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, ClassVar

from pmsync import progress
from pmsync.config import TrackerConfig
from pmsync.connector import AlertMessage, Comment, PageRequest, PublishedPage, SyncBatch
from pmsync.errors import ConfigError, TrackerError
from pmsync.kit.cursor import SyncClock
from pmsync.kit.errors import HttpError
from pmsync.kit.http import HttpClient
from pmsync.kit.marker import last_line, marker, read_footer
from pmsync.kit.paginate import (
    PageNumberPaginator,
    TokenPaginator,
    paginate,
    prefetched,
    records_at,
)
from pmsync.model import Sprint, split_key
from pmsync.once import our_comment, write_once
from pmsync.untrusted import fact_href, render_within
from pmsync_clickup import mapping
from pmsync_clickup.docs import DocPages
from pmsync_clickup.vendor import CLICKUP, WindowPacer

log = logging.getLogger("pmsync.clickup")
PAGE = 100
COMMENT_PAGE = 25
# Lists paged at once in a full sync: enough to spend a rate-limit window's budget in a
# few round trips; ClickUp's per-token limit, not this, bounds the sync. Never more than
# a tenth of the window's budget (X-RateLimit-Limit, known from the hierarchy calls):
# requests in flight at a window's turn are the ones the pacer can count in the wrong
# window, and with a budget of a few requests side by side would gain nothing anyway.
LISTS_AT_ONCE = 4
_LIST_DONE = object()  # a list's walk is over (for the progress line)

class ClickUpConnector:
    kind: ClassVar[str] = "clickup"
    page_format: ClassVar[str] = "markdown"
    page_images: ClassVar[str] = "inline"

    def __init__(self, tracker: TrackerConfig):
        self.tracker = tracker
        self.name = tracker.name
        opts = tracker.options
        self.team_id = opts["team_id"]
        self.http = HttpClient.for_tracker(
            tracker, f"{tracker.url}/api", CLICKUP,
            {"Authorization": tracker.secret("token_env")})
        # Paced as the kit paces, waking at a spent window's reset as its opening request
        # places it rather than up to a second after (vendor.WindowPacer).
        self.http.pacer = WindowPacer(CLICKUP, opts.get("requests_per_minute"))
        self.app_url = opts["app_url"].rstrip("/")
        self._docs: DocPages | None = None
        self._user_id: str | None = None

    def item_url(self, item_key: str) -> str:
        return f"{self.app_url}/t/{split_key(item_key)[1]}"

    # reading ----------------------------------------------------------------------
    def check_auth(self) -> str:
        teams = self.http.request("GET", "/v2/team", "checking the token").get("teams") or []
        return next((t["name"] for t in teams if str(t["id"]) == self.team_id), "?")

    def fetch(self, cursor: dict[str, Any] | None) -> Iterator[SyncBatch]:
        clock = SyncClock(cursor, self.tracker.options, needs="lists")
        state = clock.state
        if clock.reconcile:
            state.update(self._hierarchy())
            sprints = [self._with_url(mapping.map_sprint(state["lists"][lid], self.name, clock.now))
                       for lid in state["sprint_lists"]]
            yield SyncBatch(sprints=tuple(sprints))
        conv = self._conventions(state)
        newest = state.get("updated_ms")
        present: set[str] = set()
        since = int(newest or 0) - int(clock.overlap.total_seconds() * 1000)
        pages = self._all_tasks(state) if clock.reconcile else self._changed_tasks(state, since)
        for tasks in pages:
            batch = self._map(tasks, conv, state)
            present.update(item.key for item in batch.items)
            stamps = [int(t["date_updated"]) for t in tasks if t.get("date_updated")]
            newest = max([int(newest or 0), *stamps]) or newest
            yield batch
        yield SyncBatch(present_keys=frozenset(present) if clock.detects_removals else None,
                        cursor=clock.done(updated_ms=newest,
                                          time_zone=self.tracker.options["time_zone"]))

    def _conventions(self, state: dict[str, Any]) -> mapping.Conventions:
        opts = self.tracker.options
        return mapping.Conventions(
            tracker=self.name, epic_tag=opts["epic_tag"], epic_item_id=state.get("epic_item_id"),
            waits_on_field=opts["waits_on_field"], blocks_field=opts["blocks_field"],
            link_tracker=opts["link_tracker"], zone=opts["time_zone"])

    def _map(self, tasks, conv, state) -> SyncBatch:
        items, links = [], []
        sprint_lists = set(state["sprint_lists"])
        for task in tasks:
            item, task_links = mapping.map_task(task, conv, state["lists"], sprint_lists)
            items.append(item)
            links.extend(task_links)
        return SyncBatch(items=tuple(items), links=tuple(links))

    def _hierarchy(self) -> dict[str, Any]:
        """Spaces → folders (with their lists) and folderless lists; the Epic task type."""
        teams = self.http.request("GET", "/v2/team", "listing workspaces").get("teams") or []
        if self.team_id not in {str(t["id"]) for t in teams}:
            known = ", ".join(f"{t['id']} ({t['name']})" for t in teams) or "none"
            raise ConfigError(f"{self.tracker.where('team_id')}: workspace {self.team_id} is not "
                              f"visible to this token; visible: {known}")
        wanted = set(self.tracker.options["spaces"] or ())
        spaces = self.http.request("GET", f"/v2/team/{self.team_id}/space", "listing spaces",
                                params={"archived": "false"}).get("spaces") or []
        pattern = self.tracker.options["sprint_folder"]
        lists: dict[str, dict[str, Any]] = {}
        sprint_lists: list[str] = []
        for space in spaces:
            if wanted and not wanted & {space["id"], space["name"]}:
                continue
            folders = self.http.request("GET", f"/v2/space/{space['id']}/folder", "listing folders",
                                     params={"archived": "false"}).get("folders") or []
            for folder in folders:
                for lst in folder.get("lists") or ():
                    lists[str(lst["id"])] = _slim_list(lst, space, folder)
                    if mapping.is_sprint_list(folder["name"], pattern):
                        sprint_lists.append(str(lst["id"]))
            loose = self.http.request("GET", f"/v2/space/{space['id']}/list", "listing lists",
                                   params={"archived": "false"}).get("lists") or []
            for lst in loose:
                lists[str(lst["id"])] = _slim_list(lst, space, None)
        state: dict[str, Any] = {"lists": lists, "sprint_lists": sprint_lists,
                                 "space_ids": sorted({lst["space"]["id"] for lst in lists.values()})}
        type_name = self.tracker.options["epic_task_type"]
        items = self.http.request("GET", f"/v2/team/{self.team_id}/custom_item",
                               "listing custom task types").get("custom_items") or []
        state["epic_item_id"] = next((i["id"] for i in items if i.get("name") == type_name), None)
        log.info("%s: %d lists (%d sprints) in %d spaces", self.name, len(lists),
                 len(sprint_lists), len(state["space_ids"]))
        return state

    def _all_tasks(self, state: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
        """Every list's pages, several lists paged at once: the token's budget is what
        bounds a full sync, and one page at a time left the last window's budget spent
        one round trip after another (the pacer keeps all of them within the budget)."""
        lists = list(state["lists"])
        done = 0
        budget = self.http.pacer.limit or self.tracker.options["requests_per_minute"]
        at_once = max(1, min(LISTS_AT_ONCE, budget // 10))
        for page in prefetched([self._list_pages(lid) for lid in lists], at_once):
            if page is _LIST_DONE:
                done += 1
                progress.current().sync_part(self.name, done, len(lists), "lists")
            else:
                yield page

    def _list_pages(self, list_id: str) -> Iterator[Any]:
        """One list's pages of tasks, then _LIST_DONE."""
        yield from paginate(lambda page: self.http.request(
            "GET", f"/v2/list/{list_id}/task", "listing tasks", params={
                "page": page, "include_closed": "true", "subtasks": "true",
                "archived": "false", "order_by": "created"}),
            PageNumberPaginator(records_at("tasks"), PAGE))
        yield _LIST_DONE

    def _changed_tasks(self, state: dict[str, Any], since_ms: int) -> Iterator[list[dict]]:
        """Tasks updated since ``since_ms``, right whichever way ClickUp orders them.

        Page numbers over a list ordered by update time lose a task when another one is
        updated mid-walk and moves (the rest shift a place). So after each full page the
        window moves past that page's edge stamp instead, and repeats at the edge are
        dropped. The team endpoint documents no last_page: a short page ends it.
        """
        first_window = {"page": 0, "date_updated_gt": since_ms}
        windows = [first_window]

        def next_window(body: Any, page: list[dict]) -> dict[str, int]:
            moved = _window_after(windows[-1], page)
            if moved in windows:  # a server ignoring the bounds: step on by page number
                moved = {**windows[-1], "page": windows[-1]["page"] + 1}
            windows.append(moved)
            return moved

        pages = paginate(lambda window: self.http.request(
            "GET", f"/v2/team/{self.team_id}/task", "searching tasks", params={
                "include_closed": "true", "subtasks": "true", "order_by": "updated",
                "reverse": "true", "space_ids[]": state["space_ids"],
                **(window or first_window)}),
            TokenPaginator(records_at("tasks"), token=next_window,
                           more=lambda body, page: len(page) >= PAGE and not (
                               isinstance(body, dict) and body.get("last_page"))))
        seen: set[tuple[str, str]] = set()
        for page in pages:
            fresh = [t for t in page if (t["id"], t.get("date_updated")) not in seen]
            seen.update((t["id"], t.get("date_updated")) for t in page)
            yield fresh

    # writing ----------------------------------------------------------------------
    def _my_id(self) -> str:
        """The user the token belongs to (/v2/user): only its comments are ever touched."""
        if self._user_id is None:
            me = self.http.request("GET", "/v2/user", "checking the token") or {}
            self._user_id = str((me.get("user") or {}).get("id", ""))
        return self._user_id

    def list_comments(self, item_key: str) -> list[Comment]:
        """Newest first, 25 a page; the next page starts at the last comment's date and id."""
        task = split_key(item_key)[1]
        paginator = TokenPaginator(
            records_at("comments"), more=lambda _, page: len(page) >= COMMENT_PAGE,
            token=lambda _, page: {"start": page[-1]["date"], "start_id": page[-1]["id"]})
        pages = paginate(lambda token: self.http.request(
            "GET", f"/v2/task/{task}/comment", "listing comments", params=token), paginator)
        me = self._my_id()
        return [Comment(str(c["id"]), read_footer(last_line(c.get("comment_text"))),
                        mine=bool(me) and str((c.get("user") or {}).get("id", "")) == me,
                        text=str(c.get("comment_text") or ""))
                for page in pages for c in page]

    def existing_keys(self, item_keys: list[str]) -> dict[str, str | None]:
        """Each task as it is now: its key, or None when it was deleted. A task keeps its id
        wherever it moves; ClickUp has no keyed batch search, so one GET a task (only for
        the few items of new or changed findings)."""
        found: dict[str, str | None] = {}
        for key in dict.fromkeys(item_keys):
            try:
                self.http.request("GET", f"/v2/task/{split_key(key)[1]}", "checking a task")
                found[key] = key
            except HttpError as exc:
                if exc.status != 404:
                    raise
                found[key] = None
        return found

    def comment_text(self, message: AlertMessage) -> str:
        return render_comment(message, self.item_url)

    def post_comment(self, item_key: str, message: AlertMessage) -> str:
        task = split_key(item_key)[1]

        def send() -> str:
            created = self.http.request(
                "POST", f"/v2/task/{task}/comment", "posting a comment",
                json={"comment_text": render_comment(message, self.item_url), "notify_all": False})
            return str(created["id"])

        def find() -> str | None:  # by the footer and our own user only
            return our_comment(self.list_comments(item_key), message.fingerprint)

        return write_once(send, find, f"{self.name}: posting a comment on {item_key}",
                          self.http.policy)

    def edit_comment(self, item_key: str, comment_id: str, message: AlertMessage) -> None:
        self.http.request("PUT", f"/v2/comment/{comment_id}", "editing a comment",
                       json={"comment_text": render_comment(message, self.item_url),
                             "resolved": False})

    def delete_comment(self, item_key: str, comment_id: str) -> None:
        self.http.request("DELETE", f"/v2/comment/{comment_id}", "deleting a comment")

    @property
    def publishes_pages(self) -> bool:
        return self.publishes_pages_for(self.tracker)

    @classmethod
    def publishes_pages_for(cls, tracker: TrackerConfig) -> bool:
        """Always: the reports go to a Doc in the workspace."""
        return True

    def publish_page(self, request: PageRequest) -> PublishedPage:
        if self._docs is None:
            opts = self.tracker.options
            self._docs = DocPages(self.http, self.team_id, self.app_url, opts["doc_name"],
                                  opts["docs_space"], self._space_lookup, self._my_id)
        return self._docs.publish(request)

    def _with_url(self, sprint: Sprint) -> Sprint:
        """A sprint is a List: its page in the app."""
        list_id = split_key(sprint.key)[1].removeprefix("list:")
        return replace(sprint, facets=(*sprint.facets,
                                       ("url", f"{self.app_url}/{self.team_id}/v/li/{list_id}")))

    def doctor(self):
        """What `pmsync doctor` asks of this tracker (pmsync.doctor.TrackerDoctor)."""
        from pmsync_clickup.doctor import ClickUpDoctor

        return ClickUpDoctor(self)

    def _space_lookup(self, wanted: str | None) -> str:
        spaces = self.http.request("GET", f"/v2/team/{self.team_id}/space", "listing spaces",
                                params={"archived": "false"}).get("spaces") or []
        for space in spaces:
            if wanted is None or wanted in (space["id"], space["name"]):
                return str(space["id"])
        raise TrackerError(f"{self.tracker.where('docs_space')}: no space {wanted!r} in workspace "
                           f"{self.team_id}")


def _window_after(window: dict[str, int], page: list[dict]) -> dict[str, int]:
    """The next window after a full page, by its first and last update stamps: oldest
    first moves the lower bound up, newest first moves the upper bound down (each one
    stamp wide of the edge, whether ClickUp reads gt/lt as strict or not); a page that
    is all one stamp can only move on by page number."""
    first, last = (int(page[i].get("date_updated") or 0) for i in (0, -1))
    if first == last:
        return {**window, "page": window["page"] + 1}
    if first < last:
        return {**window, "page": 0, "date_updated_gt": last - 1}
    return {**window, "page": 0, "date_updated_lt": last + 1}


def _slim_list(lst: dict[str, Any], space: dict[str, Any], folder: dict | None) -> dict[str, Any]:
    """What the cursor keeps of a list: enough to map tasks and sprints without asking again."""
    return {
        "id": str(lst["id"]), "name": lst.get("name", ""),
        "start_date": lst.get("start_date"), "due_date": lst.get("due_date"),
        "space": {"id": str(space["id"]), "name": space.get("name", "")},
        "folder": ({"id": str(folder["id"]), "name": folder.get("name", ""), "hidden": False}
                   if folder else {"hidden": True}),
    }


# ClickUp documents no comment length limit; we keep to Jira's 32,767 characters so a
# comment stays readable and a huge title cannot make a megabyte of comment.
COMMENT_LIMIT = 32_767


def render_comment(message: AlertMessage, item_url) -> str:
    """Plain comment text: ClickUp shows comment_text as typed, so nothing in it is markup;
    only checked http(s) URLs appear, in angle brackets (which they cannot contain)."""
    return render_within(message, lambda m: _render(m, item_url), len, COMMENT_LIMIT)


def _render(message: AlertMessage, item_url) -> str:
    def one_line(text: str) -> str:
        return " ".join(text.splitlines())

    if message.resolved_on:
        lines = [f"✅ Resolved on {message.resolved_on}: {one_line(message.headline)}"]
    else:
        lines = [f"⚠ {one_line(message.headline)}"]
    for fact in message.facts:
        href = fact_href(fact, item_url)
        lines.append(f"{one_line(fact.label)}: {one_line(fact.text)}"
                     + (f" <{href}>" if href else ""))
    if message.advice and not message.resolved_on:
        lines.append(one_line(message.advice))
    lines.append(marker(message.fingerprint))
    return "\n".join(lines)
