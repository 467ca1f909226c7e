"""A full sync's search cut into disjoint key ranges, searched side by side (issue 14).

One project of 10,000 issues is a hundred pages, each asking for the one before's
token: one walk can go no faster than a hundred round trips. So a full sync on Cloud
first lists every key of each project (a key-only search, 5,000 keys a page, run beside
the setup calls), cuts each project's keys into ranges of about equal size, and walks
each range on its own, a few at a time (the same pacer and retry policy for all):

    project in ("PAY") AND key >= PAY-2518 AND key < PAY-5035 ORDER BY updated ASC, key ASC

JQL orders issue keys of one project by their number (``key >= PAY-2518`` is numeric,
not text), so the ranges are disjoint, and with the first open below and the last open
above they cover every issue, including ones created meanwhile. Each bound is a key
the listing returned; Jira refuses a key that no longer exists (400 "An issue with key
'PAY-2518' does not exist for field 'key'."), so a bound deleted in between is replaced
by the next listed key, the same one for both ranges that share it.

The listing is also a checklist: a listed key that no range returned (an issue moved
meanwhile, a range Jira answered differently than planned) is fetched by key at the
end, so nothing is skipped even when the ranges were not what they should be.
"""

from __future__ import annotations

import itertools
import math
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pmsync.kit.errors import HttpError
from pmsync_jira import search
from pmsync_jira.client import JiraSite

# A range shorter than this many pages is not worth its own first round trip.
MIN_PAGES_PER_SLICE = 4


def key_number(key: str) -> int:
    number = key.rpartition("-")[2]
    return int(number) if number.isdigit() else 0


@dataclass(frozen=True)
class Slice:
    project: str
    low: str | None  # its first key; None: from the project's first
    high: str | None  # the first key past it; None: to the project's last


class Listing:
    """Every key of each synced project, in key order, as one key-only search found them;
    and the keys Jira has since said no longer exist (``gone``)."""

    def __init__(self, keys: dict[str, Iterable[str]]):
        self.keys = {project: sorted(set(found), key=key_number)
                     for project, found in keys.items()}
        self.gone: set[str] = set()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return sum(len(keys) for keys in self.keys.values())

    def all(self) -> set[str]:
        """The listed keys Jira has not since said are gone."""
        return {key for keys in self.keys.values() for key in keys} - self.gone

    def next_after(self, key: str) -> str | None:
        """``key`` is gone: the first listed key after it that is not (None: none is)."""
        with self._lock:
            self.gone.add(key)
            keys = self.keys.get(key.rpartition("-")[0], [])
            start = bisect_right([key_number(k) for k in keys], key_number(key))
            return next((k for k in keys[start:] if k not in self.gone), None)

    def plan(self, page_size: int, at_once: int) -> list[Slice]:
        """Ranges of about equal size: enough for ``at_once`` walks in all, none under
        MIN_PAGES_PER_SLICE pages; a small project stays one range."""
        pages = {p: math.ceil(len(keys) / page_size) for p, keys in self.keys.items()}
        per_slice = max(MIN_PAGES_PER_SLICE, math.ceil(sum(pages.values()) / max(at_once, 1)))
        slices = []
        for project, keys in self.keys.items():
            count = max(1, min(math.ceil(pages[project] / per_slice), len(keys)))
            bounds = [None, *(keys[n * len(keys) // count] for n in range(1, count)), None]
            slices += [Slice(project, low, high) for low, high in itertools.pairwise(bounds)]
        return slices


def walk(site: JiraSite, part: Slice, listing: Listing, jql: Callable[[Slice], str],
         fields: list[str], page_size: int) -> Iterator[list[dict[str, Any]]]:
    """The pages of one range; a bound Jira says no longer exists is moved to the next
    listed key and the range asked again from its start (rare: a deletion in the second
    between the listing and the search; what was already written is written once more,
    the same)."""
    while True:
        try:
            yield from search.pages(site, jql(part), fields, page_size)
            return
        except HttpError as exc:
            gone = search.missing_keys(exc) & {part.low, part.high}
            if exc.status != 400 or not gone:
                raise
        low = listing.next_after(part.low) if part.low in gone else part.low
        high = listing.next_after(part.high) if part.high in gone else part.high
        if (part.low in gone and low is None) or (low is not None and low == high):
            return  # nothing left in this range: the next one starts where it did
        part = Slice(part.project, low, high)
