"""Schedule propagation: what a late item really breaks, through the whole dependency graph.

Every open item of the portfolio (both trackers, every product line) gets an
earliest start and an earliest finish, as a scheduling tool computes them:

* earliest start = the later of its planned start and the earliest finish of
  everything that blocks it;
* earliest finish = earliest start + its planned duration (sprint, or start to due);
  an item with children (an epic) finishes no earlier than its children, and an
  epic no earlier than its forecast; an open item never finishes before now.

The graph is processed in topological order (Kahn), so the work is linear in
items + links and there is no recursion. Links inside a cycle are left out (the
``dependency-cycle`` rule reports cycles): the propagation never loops, and what
lies downstream of a cycle is still dated.

Each item remembers what set its finish (its *driver*: the blocker or child that
pushed it), so every delay can be traced back to a *root*: an item late on its own
(overdue, forecast after its plan, or planned to end after its dependent starts).
Times are whole seconds since the epoch inside; the public answers are datetimes.
"""

from __future__ import annotations

import gc
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from functools import cached_property
from typing import Any

from pmsync.model import WorkItem, split_key
from pmsync.portfolio import Portfolio, end_of_day

DAY = 86_400

# Why an item finishes when it does.
PLAN, BLOCKED, CHILDREN, FORECAST, OVERDUE, SLIP = (
    "plan", "blocked", "children", "forecast", "overdue", "slip")


def _ts(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def _moment(ts: int | None, zone: tzinfo = UTC) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, zone)


def days_between(later: int, earlier: int) -> int:
    """Whole days ``later`` falls after ``earlier``, any part of a day counting as one."""
    return -(-(later - earlier) // DAY) if later > earlier else 0


@dataclass(frozen=True)
class ItemDates:
    """One item's plan and propagated dates, and what set them."""

    item: WorkItem
    planned_start: datetime | None
    planned_finish: datetime | None
    earliest_start: datetime | None
    earliest_finish: datetime | None
    reason: str  # plan / blocked / children / forecast / overdue / slip
    driver: str | None  # the blocker or child that set the finish
    links: int  # "blocks" links on the chain from its root
    root: str

    @property
    def key(self) -> str:
        return self.item.key

    @property
    def line(self) -> str | None:
        return self.item.product_line

    @property
    def days_late(self) -> int:
        """Days its earliest finish falls after its planned finish."""
        if self.planned_finish is None or self.earliest_finish is None:
            return 0
        return days_between(_ts(self.earliest_finish), _ts(self.planned_finish))


class Schedule:
    """Propagated dates for every open item; built by :func:`propagate`."""

    def __init__(self, portfolio: Portfolio, items: list[WorkItem], ps, pf, es, ef, reason,
                 driver, links, root, order):
        self.portfolio = portfolio
        self._items = items
        self._index = {item.key: n for n, item in enumerate(items)}
        self._ps, self._pf, self._es, self._ef = ps, pf, es, ef
        self._reason, self._driver, self._links, self._root = reason, driver, links, root
        self.order = order  # node numbers, every driver before what it drives

    def __contains__(self, key: str) -> bool:
        return key in self._index

    def dates(self, key: str) -> ItemDates | None:
        n = self._index.get(key)
        return None if n is None else self._dates(n)

    def _dates(self, n: int) -> ItemDates:
        driver, root = self._driver[n], self._root[n]
        # In the calendar of the item's site: its dates read as the tracker shows them.
        zone = self.portfolio.zone_of(self._items[n].key)
        return ItemDates(
            self._items[n], _moment(self._ps[n], zone), _moment(self._pf[n], zone),
            _moment(self._es[n], zone), _moment(self._ef[n], zone), self._reason[n],
            self._items[driver].key if driver >= 0 else None, self._links[n],
            self._items[root].key)

    def chain_keys(self, key: str, stop: str | None = None) -> tuple[str, ...]:
        """The keys from the item's root (or from ``stop``, when it is on the way) to it."""
        n, items, driver = self._index[key], self._items, self._driver
        keys = []
        while n >= 0:
            keys.append(items[n].key)
            if keys[-1] == stop:
                break
            n = driver[n]
        keys.reverse()
        return tuple(keys)

    def late(self) -> Iterator[tuple[int, WorkItem, int]]:
        """(node, item, earliest finish) of every item that has one, in driver order."""
        items, ef = self._items, self._ef
        for n in self.order:
            if ef[n] is not None:
                yield n, items[n], ef[n]


def propagate(portfolio: Portfolio, forecasts: dict[str, date | None] | None = None,
              slips: dict[str, int] | None = None) -> Schedule:
    """Earliest dates for every open item. ``forecasts``: an epic's forecast finish day;
    ``slips``: extra days on an item's earliest finish (a what-if)."""
    # The pass allocates a few lists per item and no reference cycles: the cyclic garbage
    # collector would only walk the whole portfolio again and again (two thirds of the time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _propagate(portfolio, forecasts or {}, slips or {})
    finally:
        if collecting:
            gc.enable()


def _propagate(portfolio: Portfolio, forecasts: dict[str, date | None],
               slips: dict[str, int]) -> Schedule:
    items = [i for i in portfolio.items.values() if i.is_open]
    index = {item.key: n for n, item in enumerate(items)}
    size = len(items)
    planned_start, planned_finish = portfolio.planned_start, portfolio.planned_finish
    seconds: dict[datetime, int] = {}  # items of one sprint share its datetimes: convert once

    def ts(moment: datetime | None) -> int | None:
        if moment is None:
            return None
        value = seconds.get(moment)
        if value is None:
            value = seconds[moment] = int(moment.timestamp())
        return value

    ps = [ts(planned_start(item)) for item in items]
    pf = [ts(planned_finish(item)) for item in items]
    extra: dict[int, int] = {}
    for key, days in slips.items():
        if key in index and days:
            extra[index[key]] = int(days) * DAY
    forecast: dict[int, int] = {}
    for key, day in forecasts.items():
        if day is not None and key in index:
            forecast[index[key]] = _ts(end_of_day(day))

    # The graph: each node's blocked successors, its parent, and how many predecessors
    # (blockers and children) it waits for.
    blocks: dict[int, list[int]] = {}
    indeg = [0] * size
    get = index.get
    for link in portfolio.links:
        a, b = get(link.blocker_key), get(link.blocked_key)
        if a is not None and b is not None and a != b:
            if a in blocks:
                blocks[a].append(b)
            else:
                blocks[a] = [b]
            indeg[b] += 1
    parent = [-1] * size
    for n, item in enumerate(items):
        if item.parent_key:
            up = get(item.parent_key)
            if up is not None and up != n:
                parent[n] = up
                indeg[up] += 1

    now = _ts(portfolio.now)
    es: list[int | None] = [None] * size
    ef: list[int | None] = [None] * size
    reason = [PLAN] * size
    driver = [-1] * size
    links = [0] * size
    root = list(range(size))
    # The latest finish among a node's blockers and among its children, and whose it is.
    blocked_at: list[int | None] = [None] * size
    blocked_node = [-1] * size
    children_at: list[int | None] = [None] * size
    children_node = [-1] * size
    component = [-1] * size  # for nodes on a cycle: its strongly connected component
    order: list[int] = []
    keys = [item.key for item in items]
    no_successors: list[int] = []

    def run(queue: deque[int]) -> None:
        pop, push, append = queue.popleft, queue.append, order.append
        while queue:
            v = pop()
            append(v)
            start, finish, why, by = ps[v], pf[v], PLAN, -1
            if start is None:
                start = finish
            elif finish is not None:
                finish -= start  # the planned duration, for now
            blocked = blocked_at[v]
            if blocked is not None and (start is None or blocked > start):
                start, why, by = blocked, BLOCKED, blocked_node[v]
            if start is not None:
                finish = start + (finish if ps[v] is not None and finish is not None else 0)
            done_by = children_at[v]
            if done_by is not None and (finish is None or done_by > finish):
                finish, why, by = done_by, CHILDREN, children_node[v]
            if forecast:
                predicted = forecast.get(v)
                if predicted is not None and (finish is None or predicted > finish):
                    finish, why, by = predicted, FORECAST, -1
            if finish is not None and finish < now:
                finish, why, by = now, OVERDUE, -1
            if extra and v in extra and finish is not None:
                finish += extra[v]
                if by < 0:
                    why = SLIP
            es[v], ef[v] = start, finish
            if by >= 0:
                reason[v], driver[v] = why, by
                links[v] = links[by] + (1 if why == BLOCKED else 0)
                root[v] = root[by]
            elif why != PLAN:
                reason[v] = why
            cv = component[v]
            for w in blocks.get(v, no_successors):
                if cv >= 0 and component[w] == cv:
                    continue  # inside a cycle: already counted out
                if finish is not None:
                    best = blocked_at[w]
                    if best is None or finish > best or (
                            finish == best and keys[v] < keys[blocked_node[w]]):
                        blocked_at[w], blocked_node[w] = finish, v
                indeg[w] -= 1
                if not indeg[w]:
                    push(w)
            w = parent[v]
            if w >= 0 and not (cv >= 0 and component[w] == cv):
                if finish is not None:
                    best = children_at[w]
                    if best is None or finish > best or (
                            finish == best and keys[v] < keys[children_node[w]]):
                        children_at[w], children_node[w] = finish, v
                indeg[w] -= 1
                if not indeg[w]:
                    push(w)

    run(deque(n for n in range(size) if not indeg[n]))
    if len(order) < size:
        # Some nodes sit on (or behind) a cycle. Leave out the edges inside each cycle and go
        # on: what remains is acyclic, so the rest is dated in the same linear pass.
        waiting = [n for n in range(size) if indeg[n] > 0]
        _break_cycles(blocks, parent, indeg, component, waiting)
        run(deque(n for n in waiting if not indeg[n]))
    return Schedule(portfolio, items, ps, pf, es, ef, reason, driver, links, root, order)


def _successors(blocks: dict[int, list[int]], parent: list[int], v: int) -> list[int]:
    return [*blocks.get(v, ()), *([parent[v]] if parent[v] >= 0 else [])]


def _break_cycles(blocks, parent, indeg, component, left: list[int]) -> None:
    """Number the strongly connected components among ``left`` (iterative Tarjan) and take
    the edges inside one component out of the in-degrees."""
    from pmsync.rules.dependencies import strongly_connected

    remaining = set(left)
    graph = {v: {w for w in _successors(blocks, parent, v) if w in remaining} for v in left}
    for number, members in enumerate(strongly_connected(graph)):
        for v in members:
            component[v] = number
    for v in left:
        for w in _successors(blocks, parent, v):
            if w in remaining and component[w] == component[v]:
                indeg[w] -= 1


def portfolio_schedule(portfolio: Portfolio,
                       forecast_settings: Callable[[str | None], Any] | None = None,
                       slips: dict[str, int] | None = None) -> Schedule:
    """The schedule as the rule, the reports and `pmsync impact` see it: an epic finishes
    no earlier than its Monte Carlo forecast (``forecast_settings``: a line's
    ForecastSettings, the forecast rule's; default p85). Worked out once per portfolio."""
    from pmsync.metrics import ForecastSettings, line_forecast

    settings_of = forecast_settings or (lambda line: ForecastSettings())
    lines = portfolio.memo(("epic-lines",), lambda: sorted(  # asked once per report page
        {i.product_line for i in portfolio.items.values() if i.kind == "epic"}, key=str))
    settings = {line: settings_of(line) for line in lines}

    def compute() -> Schedule:
        forecasts: dict[str, date | None] = {}
        for item in portfolio.items.values():
            if item.kind == "epic" and item.is_open:
                line = item.product_line
                outlook = line_forecast(portfolio, line, settings[line]).epic(item)
                if outlook is not None:
                    forecasts[item.key] = outlook.landing
        return propagate(portfolio, forecasts, slips)

    if slips:
        return compute()
    return portfolio.memo(("schedule", tuple(settings.items())), compute)


# --- knock-on: which epics and releases a chain of links pushes past their dates -------------
@dataclass(frozen=True)
class Target:
    """An epic's due date or a release's date, as a knock-on can break it."""

    key: str
    kind: str  # "epic" or "release"
    name: str  # an epic's title, a release's name
    line: str | None
    limit: date
    url: str | None = None
    label: str = ""  # how a person names it: the epic's key (or custom id), the release's name

    @property
    def called(self) -> str:
        return f"epic {self.label}" if self.kind == "epic" else f"release {self.name}"


@dataclass(frozen=True)
class KnockOn:
    """A root's delay, carried over two or more links, breaking one target's date."""

    target: Target
    chain_keys: tuple[str, ...]  # root → ... → the item that finishes latest in the target
    days_late: int  # that item's earliest finish after the target's date
    late_keys: tuple[str, ...]  # every item of the target this root makes late, latest first
    schedule: Schedule = field(repr=False, compare=False)

    @property
    def root_key(self) -> str:
        return self.chain_keys[0]

    @cached_property
    def chain(self) -> tuple[ItemDates, ...]:
        return tuple(self.schedule.dates(key) for key in self.chain_keys)

    @property
    def links(self) -> int:
        return self.schedule.dates(self.chain_keys[-1]).links

    @property
    def lines(self) -> list[str]:
        items = self.schedule.portfolio.items
        return list(dict.fromkeys(items[k].product_line or "no line" for k in self.chain_keys))

    @property
    def crosses_lines(self) -> bool:
        return len(self.lines) > 1


class Targets:
    """The dates an item must meet besides its own: its epic's due, its releases' dates.
    Asked for every late item; each epic and release is looked up once."""

    def __init__(self, portfolio: Portfolio):
        self.portfolio = portfolio
        self._epics: dict[str, Target | None] = {}
        self._releases: dict[tuple[str, str | None], Target | None] = {}
        self.limit: dict[str, int] = {}  # target key → the end of its day, in seconds

    def of(self, item: WorkItem) -> list[Target]:
        found = []
        anchor = item.key if item.kind == "epic" else item.parent_key
        if anchor:
            if anchor not in self._epics:
                self._epics[anchor] = self._epic(anchor)
            if self._epics[anchor] is not None:
                found.append(self._epics[anchor])
        for key in item.release_keys:
            memo = (key, item.product_line)
            if memo not in self._releases:
                self._releases[memo] = self._release(key, item.product_line)
            if self._releases[memo] is not None:
                found.append(self._releases[memo])
        return found

    def _epic(self, key: str) -> Target | None:
        epic = self.portfolio.epic_of(key)
        if epic is None or not epic.is_open or epic.due is None:
            return None
        return self._keep(Target(epic.key, "epic", epic.title, epic.product_line, epic.due,
                                 epic.url, epic.name))

    def _release(self, key: str, line: str | None) -> Target | None:
        release = self.portfolio.releases.get(key)
        if release is None or release.released or release.release_date is None:
            return None
        return self._keep(Target(release.key, "release", release.name, line,
                                 release.release_date, label=release.name))

    def _keep(self, target: Target) -> Target:
        self.limit[target.key] = _ts(end_of_day(target.limit))
        return target


@dataclass
class _Group:
    target: Target
    worst: tuple[int, str] = (0, "")  # (earliest finish, key) of the latest item
    late: list[tuple[int, str]] = field(default_factory=list)


def knock_ons(schedule: Schedule, min_links: int = 2, min_days: int = 1) -> list[KnockOn]:
    """One per (target, root): every epic or release whose date some item misses by
    ``min_days`` or more because of a chain of at least ``min_links`` links."""
    collecting = gc.isenabled()
    gc.disable()  # as in propagate: many small objects, no cycles
    try:
        return _knock_ons(schedule, min_links, max(int(min_days), 1))
    finally:
        if collecting:
            gc.enable()


def _knock_ons(schedule: Schedule, min_links: int, min_days: int) -> list[KnockOn]:
    targets = Targets(schedule.portfolio)
    groups: dict[tuple[str, str], _Group] = {}
    links, root, items = schedule._links, schedule._root, schedule._items
    reasons, ef, limit = schedule._reason, schedule._ef, targets.limit
    slack = (min_days - 1) * DAY  # late by min_days or more: past the date by more than this
    for n in [n for n, count in enumerate(links) if count >= min_links]:
        finish, item = ef[n], items[n]
        if finish is None:
            continue
        for target in targets.of(item):
            if finish - limit[target.key] <= slack:
                continue
            if target.key == item.key and reasons[n] == CHILDREN:
                continue  # an epic late through its children: they are the ones to name
            pair = (target.key, items[root[n]].key)
            group = groups.get(pair)
            if group is None:
                group = groups[pair] = _Group(target)
            group.late.append((finish, item.key))
            if (finish, item.key) > group.worst:
                group.worst = (finish, item.key)
    found = []
    for _, group in sorted(groups.items()):
        finish, key = group.worst
        late = sorted(group.late, key=lambda fk: (-fk[0], fk[1]))
        found.append(KnockOn(group.target, schedule.chain_keys(key),
                             days_between(finish, limit[group.target.key]),
                             tuple(k for _, k in late), schedule))
    return found


# --- the what-if: `pmsync impact KEY --slip DAYS` ---------------------------------------------
@dataclass(frozen=True)
class Broken:
    """A date the subject's delay breaks: an item's own finish, an epic's due, a release's."""

    key: str
    kind: str  # item / epic / release
    name: str
    line: str | None
    limit: date | None
    earliest_finish: datetime
    days_late: int
    chain: tuple[str, ...]  # subject → ... → the item that misses it
    label: str = ""  # how a person names it (key or custom id; a release's name)


@dataclass(frozen=True)
class Impact:
    subject: ItemDates
    slip_days: int | None
    broken: tuple[Broken, ...]
    tree: dict[str, list[str]]  # driver → what it drives, along the chains that break a date
    dates: dict[str, ItemDates]  # every key in the tree

    def of_kind(self, kind: str) -> list[Broken]:
        return [b for b in self.broken if b.kind == kind]

    @property
    def lines(self) -> list[str]:
        return sorted({b.line or "no line" for b in self.broken})


def resolve_key(portfolio: Portfolio, typed: str) -> str | None:
    """A key as a person types it: jira:PAY-20, PAY-20, pay-20, a ClickUp task id or
    custom id, or a tracker URL ending in one. None when nothing (or more than one item)
    matches."""
    text = typed.strip().rstrip("/")
    if text in portfolio.items:
        return text
    if "://" in text:
        text = text.rsplit("/", 1)[-1]
    wanted = text.casefold()
    if ":" in wanted:
        matches = [k for k in portfolio.items if k.casefold() == wanted]
    else:
        matches = [k for k, item in portfolio.items.items()
                   if wanted in (split_key(k)[1].casefold(), item.name.casefold())]
    return matches[0] if len(matches) == 1 else None


def impact(portfolio: Portfolio, key: str, slip_days: int | None = None,
           forecast_settings: Callable[[str | None], Any] | None = None) -> Impact:
    """What ``key`` finishing ``slip_days`` later than it now can (None: as it stands)
    pushes past a date: items, epics, releases downstream, with the chain to each."""
    schedule = portfolio_schedule(portfolio, forecast_settings,
                                  {key: slip_days} if slip_days else None)
    subject = schedule.dates(key)
    if subject is None:
        raise ValueError(f"{key} is not open")
    index, driver, ef, items = schedule._index, schedule._driver, schedule._ef, schedule._items
    targets = Targets(portfolio)
    start = index[key]
    through = {start}  # nodes whose driver chain passes through the subject
    for n in schedule.order:
        if driver[n] in through and n != start:
            through.add(n)
    broken: dict[tuple[str, str], Broken] = {}
    for n in sorted(through, key=lambda m: items[m].key):
        item, finish = items[n], ef[n]
        if finish is None:
            continue
        dates = schedule._dates(n)
        if n != start and item.kind != "epic" and dates.days_late > 0:
            _keep(broken, Broken(item.key, "item", item.title, item.product_line,
                                 dates.planned_finish.date(), dates.earliest_finish,
                                 dates.days_late, _path(schedule, item.key, key), item.name))
        for target in targets.of(item):
            if target.key == item.key and dates.reason == CHILDREN:
                continue  # late through its children: the child that misses it is named
            late = days_between(finish, targets.limit[target.key])
            if late > 0:
                _keep(broken, Broken(target.key, target.kind, target.name, target.line,
                                     target.limit, dates.earliest_finish, late,
                                     _path(schedule, item.key, key), target.label))
    tree: dict[str, list[str]] = {}
    shown: dict[str, ItemDates] = {key: subject}
    for b in broken.values():
        for parent, child in zip(b.chain, b.chain[1:], strict=False):
            if child not in tree.setdefault(parent, []):
                tree[parent].append(child)
            shown.setdefault(child, schedule.dates(child))
    for children in tree.values():
        children.sort()
    order = {"epic": 0, "release": 1, "item": 2}
    return Impact(subject, slip_days,
                  tuple(sorted(broken.values(), key=lambda b: (order[b.kind], b.key))),
                  tree, shown)


def _path(schedule: Schedule, key: str, stop: str) -> tuple[str, ...]:
    return schedule.chain_keys(key, stop=stop)


def _keep(broken: dict[tuple[str, str], Broken], found: Broken) -> None:
    """Per date, the item that misses it by the most."""
    current = broken.get((found.kind, found.key))
    if current is None or (found.days_late, found.chain) > (current.days_late, current.chain):
        broken[(found.kind, found.key)] = found
