"""The portfolio the rules and reports read: every tracker's records as one graph.

Calendar decisions (is an epic overdue, which day of a sprint is it, what date does a
report carry) are made in each item's own site calendar: a tracker's ``zones`` entry
is its site's time zone (Jira's /myself, ClickUp's configured zone), so an epic due
today in Auckland is not overdue while it is already tomorrow there and still
yesterday in UTC. Instants (histories, sprint ends) stay timezone-aware.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cached_property
from typing import Any, TypeVar

from pmsync.model import (
    Change,
    Facet,
    Link,
    ProductLine,
    Release,
    Sprint,
    WorkItem,
    split_key,
    with_product_line,
)

Record = TypeVar("Record", WorkItem, Sprint)


def classify(tracker: str, facets: tuple[Facet, ...], lines: Iterable[ProductLine]) -> str | None:
    """The first product line with a selector matching these facets."""
    for line in lines:
        if any(selector.matches(tracker, facets) for selector in line.selectors):
            return line.name
    return None


def with_lines(records: Iterable[Record], lines: tuple[ProductLine, ...],
               owned: bool = False) -> list[Record]:
    """The records, each carrying the product line its facets select today: copies, or
    with ``owned`` (records just loaded, held by no one else) the records themselves,
    so a million items are not made twice.

    The line is configuration, so it is worked out here on every build and never read
    from the store. Many records share the same facets: each combination is classified
    once.
    """
    memo: dict[tuple[str, tuple[Facet, ...]], str | None] = {}
    out = []
    for record in records:
        basis = (split_key(record.key)[0], record.facets)
        line = memo.get(basis, memo)
        if line is memo:
            line = memo[basis] = classify(basis[0], record.facets, lines)
        if record.product_line != line:
            record = with_product_line(record, line, owned)
        out.append(record)
    return out


def end_of_day(day: date, zone: tzinfo = UTC) -> datetime:
    return datetime.combine(day, time.max, zone)


@dataclass(frozen=True)
class Baseline:
    """What the portfolio looked like at ``at``: a named snapshot, or a day N days ago.

    ``items`` and ``releases`` come from the store's revisions when pmsync ran by then
    (empty otherwise); rules fall back to the trackers' own history (changelogs).
    """

    name: str
    at: datetime
    items: dict[str, WorkItem] = field(default_factory=dict)
    releases: dict[str, Release] = field(default_factory=dict)


@dataclass
class Portfolio:
    items: dict[str, WorkItem]
    sprints: dict[str, Sprint] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    releases: dict[str, Release] = field(default_factory=dict)
    product_lines: tuple[ProductLine, ...] = ()
    today: date = field(default_factory=lambda: datetime.now(UTC).date())  # the home calendar's
    # The instant the portfolio is judged at (None: noon UTC of ``today``), and each
    # tracker's site time zone; a tracker without one keeps ``today``.
    moment: datetime | None = None
    zones: dict[str, tzinfo] = field(default_factory=dict)
    changes: dict[str, list[Change]] = field(default_factory=dict)  # by item, oldest first
    baseline: Baseline | None = None
    # When pmsync itself last wrote on an item (a comment bumps the tracker's "updated").
    our_writes: dict[str, datetime] = field(default_factory=dict)
    # Derived figures (a line's forecast, a sprint's numbers) worked out once per
    # portfolio, so the rules and the reports of one run share them.
    _memo: dict[Hashable, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def build(cls, items, sprints=(), links=(), releases=(), product_lines=(), today=None,
              changes=(), baseline=None, our_writes=None, moment=None, zones=None,
              owned=False):
        """Every item and sprint gets the line ``product_lines`` selects for its facets
        (none when no line matches). ``today`` is the home calendar's day (reports that
        span trackers); ``moment`` and ``zones`` give every tracker its own. ``owned``:
        the records were loaded for this portfolio alone (they get their lines in place)."""
        product_lines = tuple(product_lines)
        by_item: dict[str, list[Change]] = defaultdict(list)
        for change in sorted(changes, key=lambda c: (c.at, c.change_id)):
            by_item[change.item_key].append(change)
        return cls(
            items={i.key: i for i in with_lines(items, product_lines, owned)},
            sprints={s.key: s for s in with_lines(sprints, product_lines, owned)},
            links=list(links),
            releases={r.key: r for r in releases},
            product_lines=product_lines,
            today=today or (moment or datetime.now(UTC)).date(),
            changes=dict(by_item),
            baseline=baseline,
            our_writes=dict(our_writes or {}),
            moment=moment,
            zones=dict(zones or {}),
        )

    def memo(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @property
    def now(self) -> datetime:
        return self.moment or datetime.combine(self.today, time(12), UTC)

    def zone_of(self, key: str) -> tzinfo:
        """The calendar of the site a record (item, sprint, release) comes from."""
        return self.zones.get(split_key(key)[0], UTC)

    def today_in(self, tracker: str) -> date:
        """The day it is now on ``tracker``'s site."""
        zone = self.zones.get(tracker)
        if zone is None or self.moment is None:
            return self.today
        return self.moment.astimezone(zone).date()

    def today_for(self, key: str) -> date:
        """The day it is now where the record's site is."""
        return self.today_in(split_key(key)[0])

    def day_of(self, key: str, moment: datetime) -> date:
        """The calendar day ``moment`` falls on at the record's site."""
        return moment.astimezone(self.zone_of(key)).date()

    def value_at(self, item: WorkItem, field_name: str, moment: datetime, current: str | None):
        """A tracked field's value at ``moment``, read back through the item's history."""
        history = self.changes.get(item.key)
        if not history:  # most items: asked a million times, answered without a list
            return current
        changes = [c for c in history if c.field == field_name]
        before = [c for c in changes if c.at <= moment]
        if before:
            return before[-1].new
        after = [c for c in changes if c.at > moment]
        return after[0].old if after else current

    def last_activity(self, item: WorkItem) -> datetime | None:
        """When a person last changed the item: its "updated", unless that was our own
        comment, in which case its history (changelog, creation, completion) says."""
        ours = self.our_writes.get(item.key)
        if item.updated and not (ours and ours - timedelta(minutes=10) <= item.updated
                                  <= ours + timedelta(minutes=1)):
            return item.updated
        stamps = [c.at for c in self.changes.get(item.key, ())]
        stamps += [t for t in (item.created, item.done_at) if t]
        return max(stamps, default=None)

    def existed_at(self, item: WorkItem, moment: datetime) -> bool:
        return item.created is None or item.created <= moment

    @cached_property
    def children(self) -> dict[str, list[WorkItem]]:
        out: dict[str, list[WorkItem]] = defaultdict(list)
        for item in self.items.values():
            if item.parent_key:
                out[item.parent_key].append(item)
        return out

    @cached_property
    def items_by_line(self) -> dict[str | None, list[WorkItem]]:
        """Every item by its product line, in the portfolio's order (per-line figures
        read their line's items from here instead of scanning every item per line)."""
        out: dict[str | None, list[WorkItem]] = defaultdict(list)
        for item in self.items.values():
            out[item.product_line].append(item)
        return dict(out)

    def epic_of(self, key: str) -> WorkItem | None:
        """The item itself if it is an epic, else the nearest epic above it."""
        seen: set[str] = set()
        item = self.items.get(key)
        while item is not None and item.key not in seen:
            if item.kind == "epic":
                return item
            seen.add(item.key)
            item = self.items.get(item.parent_key) if item.parent_key else None
        return None

    @cached_property
    def _schedule(self) -> dict[str, tuple[Sprint | None, datetime | None, datetime | None]]:
        """Per item: its newest sprint, planned start, planned finish (rules ask often)."""
        return {}

    @cached_property
    def _newest_sprints(self) -> dict[tuple[str, ...], Sprint | None]:
        """The newest sprint of each list of sprint keys: a million items share a few
        hundred lists (load shares equal tuples), so each is worked out once."""
        return {}

    def newest_sprint(self, sprint_keys: tuple[str, ...]) -> Sprint | None:
        """The latest-starting of these sprints (else the last one listed)."""
        found = self._newest_sprints.get(sprint_keys, self)  # self: not worked out yet
        if found is self:
            sprints = [self.sprints[k] for k in sprint_keys if k in self.sprints]
            dated = [s for s in sprints if s.start is not None]
            found = (max(dated, key=lambda s: s.start) if dated
                     else (sprints[-1] if sprints else None))
            self._newest_sprints[sprint_keys] = found
        return found

    def _plan(self, item: WorkItem) -> tuple[Sprint | None, datetime | None, datetime | None]:
        cached = self._schedule.get(item.key)
        if cached is not None:
            return cached
        sprint = self.newest_sprint(item.sprint_keys) if item.sprint_keys else None
        if sprint is not None and sprint.start is not None:
            start = sprint.start
        else:
            # Date-only plans stay on one clock (UTC) so that a Jira due date and a
            # ClickUp start on the next day never overlap by the sites' zone offset.
            start = datetime.combine(item.start, time.min, UTC) if item.start else None
        if sprint is not None and sprint.end is not None:
            finish = sprint.end
        else:
            finish = end_of_day(item.due) if item.due else None
        plan = (sprint, start, finish)
        self._schedule[item.key] = plan
        return plan

    def latest_sprint(self, item: WorkItem) -> Sprint | None:
        return self._plan(item)[0]

    def planned_start(self, item: WorkItem) -> datetime | None:
        """When work on the item is scheduled to begin: its sprint's start, else its start date."""
        return self._plan(item)[1]

    def planned_finish(self, item: WorkItem) -> datetime | None:
        """When the item is scheduled to be done: its sprint's end, else the end of its due day."""
        return self._plan(item)[2]

    @cached_property
    def dependencies(self) -> list[tuple[Link, WorkItem, WorkItem]]:
        """Every link whose two ends are in the portfolio, with both items."""
        items = self.items
        out = []
        for link in self.links:
            blocker, blocked = items.get(link.blocker_key), items.get(link.blocked_key)
            if blocker is not None and blocked is not None and blocker is not blocked:
                out.append((link, blocker, blocked))
        return out

    @cached_property
    def sprint_index(self) -> dict[str, list[WorkItem]]:
        """Items by every sprint they are (or were) in."""
        index: dict[str, list[WorkItem]] = defaultdict(list)
        for item in self.items.values():
            for key in item.sprint_keys:
                index[key].append(item)
        return index

    def sprints_of_line(self, line: str) -> list[Sprint]:
        return sorted(
            (s for s in self.sprints.values() if s.product_line == line),
            key=lambda s: (s.start or datetime.max.replace(tzinfo=UTC), s.key),
        )

    def items_in_sprint(self, sprint_key: str) -> list[WorkItem]:
        return list(self.sprint_index.get(sprint_key, ()))

    def days_ago(self, day: date, key: str | None = None) -> int:
        """Days since ``day`` in the calendar of ``key``'s site (the home one without)."""
        return ((self.today_for(key) if key else self.today) - day).days
