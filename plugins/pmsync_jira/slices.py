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
from array import array
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
    """Every key of each synced project, as one key-only search found them; which of them
    the search has returned so far; and the keys Jira has since said no longer exist.

    Held as numbers (an array per project, a byte per number for "returned"), not as
    strings and sets: 50,000 keys take under a megabyte, so a sync's memory stays flat
    however many issues there are (issue 14)."""

    def __init__(self, keys: dict[str, Iterable[str]]):
        self.numbers = {project: array("q", sorted({key_number(k) for k in found}))
                        for project, found in keys.items()}
        self._returned = {project: bytearray((numbers[-1] + 1) if numbers else 0)
                          for project, numbers in self.numbers.items()}
        self._new: set[str] = set()  # returned, not listed: created since the listing
        self.gone: set[str] = set()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return sum(len(numbers) for numbers in self.numbers.values())

    def returned(self, keys: Iterable[str]) -> None:
        """The search returned these issues."""
        for key in keys:
            project, _, number = key.rpartition("-")
            marks = self._returned.get(project)
            if marks is not None and number.isdigit() and int(number) < len(marks):
                marks[int(number)] = 1
            else:
                self._new.add(key)

    def unreturned(self) -> list[str]:
        """Listed keys the search has not returned and Jira has not said are gone."""
        return [key for project, numbers in self.numbers.items()
                for number in numbers if not self._returned[project][number]
                for key in (f"{project}-{number}",) if key not in self.gone]

    def present(self) -> set[str]:
        """Every key the projects hold, as far as the listing and the search tell."""
        return {f"{project}-{number}" for project, numbers in self.numbers.items()
                for number in numbers} - self.gone | self._new

    def next_after(self, key: str) -> str | None:
        """``key`` is gone: the first listed key after it that is not (None: none is)."""
        with self._lock:
            self.gone.add(key)
            project = key.rpartition("-")[0]
            numbers = self.numbers.get(project, array("q"))
            for number in numbers[bisect_right(numbers, key_number(key)):]:
                if f"{project}-{number}" not in self.gone:
                    return f"{project}-{number}"
            return None

    def plan(self, page_size: int, at_once: int) -> list[Slice]:
        """Ranges of about equal size, in whole pages: enough for ``at_once`` walks in
        all, none under MIN_PAGES_PER_SLICE pages; a small project stays one range."""
        pages = {p: math.ceil(len(numbers) / page_size) for p, numbers in self.numbers.items()}
        per_slice = max(MIN_PAGES_PER_SLICE, math.ceil(sum(pages.values()) / max(at_once, 1)))
        slices = []
        for project, numbers in self.numbers.items():
            count = max(1, min(math.ceil(pages[project] / per_slice), len(numbers)))
            # Whole pages a range (but the last): cut anywhere else, each range would end
            # on a short page, a request more per range than one walk needs.
            size = math.ceil(len(numbers) / count / page_size) * page_size
            bounds = [None, *(f"{project}-{numbers[n * size]}" for n in range(1, count)
                              if n * size < len(numbers)), None]
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
