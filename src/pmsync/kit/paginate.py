"""Paging through a collection, as singer-sdk's paginators do: the loop once, the
vendor's paging style as a small object.

A paginator holds ``current_value`` (what the next request asks for: an offset,
a page number, a token), reads each answer to advance, and says when it is
``finished``. Every style stops on the server's word (isLast, total, a missing
token, a short page), and also on an empty page, so a server that keeps saying
"more" while sending nothing cannot loop us forever.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import suppress
from typing import Any

Records = Callable[[Any], list[Any]]


def records_at(key: str) -> Records:
    return lambda body: list((body or {}).get(key) or ())


class Paginator:
    def __init__(self, start_value: Any, records: Records):
        self.current_value = start_value
        self.records = records
        self.finished = False

    def has_more(self, body: Any, page: list[Any]) -> bool:
        return bool(page)

    def next_value(self, body: Any, page: list[Any]) -> Any:
        raise NotImplementedError

    def advance(self, body: Any) -> list[Any]:
        page = self.records(body)
        if not page or not self.has_more(body, page):
            self.finished = True
        else:
            self.current_value = self.next_value(body, page)
            self.finished = self.current_value is None
        return page


class OffsetPaginator(Paginator):
    """startAt-style: the next offset is this one plus what came; stops at ``isLast`` or
    ``total`` when the server sends them, else on a page shorter than ``page_size``."""

    def __init__(self, records: Records, page_size: int | None = None, start: int = 0):
        super().__init__(start, records)
        self.page_size = page_size

    def has_more(self, body: Any, page: list[Any]) -> bool:
        body = body if isinstance(body, dict) else {}
        if "isLast" in body:
            return not body["isLast"]
        if "total" in body:
            return self.current_value + len(page) < int(body["total"])
        return self.page_size is None or len(page) >= self.page_size

    def next_value(self, body: Any, page: list[Any]) -> Any:
        return self.current_value + len(page)


class PageNumberPaginator(Paginator):
    """page=0,1,2…: stops at ``last_page`` when sent, else on a page shorter than full."""

    def __init__(self, records: Records, page_size: int, start: int = 0,
                 last_key: str = "last_page"):
        super().__init__(start, records)
        self.page_size, self.last_key = page_size, last_key

    def has_more(self, body: Any, page: list[Any]) -> bool:
        if isinstance(body, dict) and body.get(self.last_key):
            return False
        return len(page) >= self.page_size

    def next_value(self, body: Any, page: list[Any]) -> Any:
        return self.current_value + 1


class TokenPaginator(Paginator):
    """A next-page token: read from the answer (``nextPageToken``), or made from the last
    record (keyset paging, e.g. a comment's date and id). None ends the walk."""

    def __init__(self, records: Records, token: Callable[[Any, list[Any]], Any],
                 more: Callable[[Any, list[Any]], bool] | None = None):
        super().__init__(None, records)
        self.token, self.more = token, more

    def has_more(self, body: Any, page: list[Any]) -> bool:
        return self.more(body, page) if self.more else True

    def next_value(self, body: Any, page: list[Any]) -> Any:
        return self.token(body, page)


def paginate(fetch: Callable[[Any], Any], paginator: Paginator) -> Iterator[list[Any]]:
    """Each page's records; ``fetch(current_value)`` asks for one page."""
    while not paginator.finished:
        yield paginator.advance(fetch(paginator.current_value))


_DONE = object()


def prefetched(walks: list[Iterator[Any]], at_once: int = 4) -> Prefetched:
    """The pages of every walk, each walk fetching its next page in a thread of its own
    while the caller maps and stores the page before (issue 14): a walk's next request
    needs only the previous answer's token or offset, never the caller's work on it.

    The walks start at once, before the first page is asked for, so a caller can start
    the search and finish other work (the setup calls of a sync) while it runs.

    At most ``at_once`` requests are in flight (one cursor per walk, e.g. per project);
    each walk holds at most one page ready and one in hand, so memory stays flat however
    long the walks are. Pages come round-robin, one from each walk in turn, so the same
    answers give the same order whatever the timing (a record seen twice, e.g. a sprint
    on issues of two projects, is written the same way every run). An error in a walk is
    raised here, where the caller would have seen it; when the caller stops early (an
    error, Ctrl-C), ``close()`` (or dropping the iterator) stops the walks after their
    request in flight.
    """
    slots = threading.Semaphore(max(at_once, 1))
    stop = threading.Event()
    ready: list[queue.Queue[tuple[Any, Any]]] = [queue.Queue(maxsize=1) for _ in walks]

    def walk(pages: Iterator[Any], out: queue.Queue[tuple[Any, Any]]) -> None:
        try:
            while not stop.is_set():
                with slots:
                    page = next(pages, _DONE)
                if page is _DONE:
                    break
                _put(out, stop, (page, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            _put(out, stop, (_DONE, exc))
            return
        _put(out, stop, (_DONE, None))

    # Each thread runs in a copy of the caller's context (progress display, log settings).
    for pages, out in zip(walks, ready, strict=True):
        threading.Thread(target=contextvars.copy_context().run, args=(walk, pages, out),
                         name="pmsync-fetch", daemon=True).start()
    return Prefetched(ready, stop)


class Prefetched:
    """The round-robin reader of ``prefetched``'s walks."""

    def __init__(self, ready: list[queue.Queue[tuple[Any, Any]]], stop: threading.Event):
        self._running = list(ready)
        self._turn = 0
        self._stop = stop

    def __iter__(self) -> Prefetched:
        return self

    def __next__(self) -> Any:
        while self._running:
            self._turn %= len(self._running)
            page, error = self._running[self._turn].get()
            if error is not None:
                self.close()
                raise error
            if page is _DONE:
                del self._running[self._turn]  # the next walk moves into this turn
                continue
            self._turn += 1
            return page
        raise StopIteration

    def close(self) -> None:
        """Stop the walks: each ends after its request in flight; nobody waits for it."""
        self._stop.set()
        self._running = []

    def __del__(self) -> None:
        self._stop.set()


def _put(ready: queue.Queue[tuple[Any, Any]], stop: threading.Event, entry: tuple[Any, Any]) -> None:
    while not stop.is_set():
        with suppress(queue.Full):
            ready.put(entry, timeout=0.1)
            return
