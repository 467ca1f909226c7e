"""The roadmap timeline as data: one bar per epic, lanes per product line, releases as
milestones, today, and the cross-line dependencies in conflict as arrows between bars.

This is the one place that decides what the timeline shows; ``charts.timeline_svg``
only draws it. Other features add to a bar through ``marks`` (e.g. a knock-on
warning) instead of drawing on the chart themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from pmsync.model import Release, WorkItem
from pmsync.portfolio import Portfolio


@dataclass(frozen=True)
class Bar:
    key: str  # the epic's tracker-qualified key (for machines: DOM data-key, marks)
    label: str  # its key as the tracker shows it
    title: str
    line: str
    start: date
    due: date
    start_known: bool  # False: no start date or sprint, drawn from today (or the due date)
    forecast: date | None = None  # the configured percentile's finish date
    marks: tuple[str, ...] = ()  # short notes other features attach, shown on hover

    @property
    def named(self) -> str:
        """Key and title, the title once when the key is it (a ClickUp task's name)."""
        return self.title if self.label == self.title else f"{self.label} {self.title}"

    @property
    def late(self) -> bool:
        return self.forecast is not None and self.forecast > self.due


@dataclass(frozen=True)
class Lane:
    line: str
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Milestone:
    key: str
    name: str
    day: date
    released: bool


@dataclass(frozen=True)
class Arrow:
    """blocker epic → blocked epic: the blocker is scheduled to end after the blocked starts."""

    blocker: str  # bar keys
    blocked: str
    reason: str  # the items that conflict, as a person reads them


@dataclass(frozen=True)
class Timeline:
    lanes: tuple[Lane, ...]
    milestones: tuple[Milestone, ...]
    arrows: tuple[Arrow, ...]
    today: date
    percentile: float
    undated: tuple[str, ...] = ()  # open epics without a due date: listed, not drawn
    hidden: int = 0  # epics beyond BARS_PER_LANE in their lane: counted, not drawn

    @property
    def bars(self) -> list[Bar]:
        return [bar for lane in self.lanes for bar in lane.bars]

    @property
    def span(self) -> tuple[date, date]:
        """First and last day drawn: every bar, forecast, milestone and today, padded a week."""
        days = [self.today, *(m.day for m in self.milestones)]
        for bar in self.bars:
            days += [bar.start, bar.due, *([bar.forecast] if bar.forecast else [])]
        return min(days) - timedelta(days=7), max(days) + timedelta(days=7)

    def with_marks(self, marks: dict[str, Iterable[str]]) -> Timeline:
        """A copy whose bars carry extra notes, by epic key."""
        lanes = tuple(Lane(lane.line, tuple(
            replace(bar, marks=bar.marks + tuple(marks.get(bar.key, ()))) for bar in lane.bars))
            for lane in self.lanes)
        return replace(self, lanes=lanes)


def epic_start(portfolio: Portfolio, epic: WorkItem) -> date | None:
    """Its start date, else the earliest planned start of its children (sprint or start);
    worked out once per portfolio (an epic shows on several timelines)."""
    if epic.start:
        return epic.start
    known: dict[str, date | None] = portfolio.memo(("epic-starts",), dict)
    if epic.key not in known:
        starts = [s.date() for c in portfolio.children.get(epic.key, ())
                  if (s := portfolio.planned_start(c)) is not None]
        known[epic.key] = min(starts) if starts else None
    return known[epic.key]


Forecasts = dict[str, tuple[date | None, date | None]]  # epic key → (p50, configured pN)


def epic_lookup(portfolio: Portfolio) -> Callable[[str], WorkItem | None]:
    """``portfolio.epic_of``, remembered per portfolio: every timeline asks it of both ends
    of each of its conflicts, tens of thousands at a million items."""
    known: dict[str, WorkItem | None] = portfolio.memo(("epic-of",), dict)

    def epic_of(key: str) -> WorkItem | None:
        if key not in known:
            known[key] = portfolio.epic_of(key)
        return known[key]

    return epic_of


def build_timeline(portfolio: Portfolio, epics_by_line: dict[str, list[WorkItem]],
                   forecasts: Forecasts,
                   conflicts: Iterable[tuple[WorkItem, WorkItem]], percentile: float,
                   releases: Iterable[Release] = ()) -> Timeline:
    """``epics_by_line``: the epics to draw, lane by lane in that order; ``conflicts``:
    (blocker, blocked) items of cross-line dependencies in conflict, any kind."""
    lanes, undated, hidden = [], [], 0
    conflicts = list(conflicts)
    epic_of = epic_lookup(portfolio)
    involved = {epic.key for pair in conflicts for end in pair
                if (epic := epic_of(end.key)) is not None}
    for line, epics in epics_by_line.items():
        dated = []
        for epic in epics:
            if epic.due is None:
                undated.append(epic.key)
            else:
                dated.append(epic)
        # Which epics are drawn is decided first: an epic's start reads all its children.
        drawn, cut = _drawn(dated, involved, forecasts)
        hidden += cut
        if drawn:
            lanes.append(Lane(line, tuple(_bar(portfolio, epic, line, forecasts)
                                          for epic in drawn)))
    drawn = {bar.key for lane in lanes for bar in lane.bars}
    arrows: dict[tuple[str, str], list[str]] = {}
    for blocker, blocked in conflicts:
        ends = epic_of(blocker.key), epic_of(blocked.key)
        if ends[0] is None or ends[1] is None or ends[0].key == ends[1].key:
            continue
        if ends[0].key in drawn and ends[1].key in drawn:
            arrows.setdefault((ends[0].key, ends[1].key), []).append(
                f"{blocker.name} blocks {blocked.name}")
    milestones = tuple(Milestone(r.key, r.name, r.release_date, r.released)
                       for r in releases if r.release_date is not None)
    return Timeline(
        tuple(lanes), milestones,
        tuple(Arrow(a, b, "; ".join(reasons)) for (a, b), reasons in arrows.items()),
        portfolio.today, percentile, tuple(undated), hidden)


def _bar(portfolio: Portfolio, epic: WorkItem, line: str, forecasts: Forecasts) -> Bar:
    start = epic_start(portfolio, epic)
    return Bar(key=epic.key, label=epic.name, title=epic.title, line=line,
               start=min(start or portfolio.today, epic.due), due=epic.due,
               start_known=start is not None, forecast=forecasts.get(epic.key, (None, None))[1])


# A lane drawn with more bars than this is no longer read (a 1M-item portfolio has
# thousands of epics a line): the ones in a conflict, then the late ones, then the
# soonest due are drawn, and the chart says how many it left out.
BARS_PER_LANE = 80


def _drawn(epics: list[WorkItem], involved: set[str],
           forecasts: Forecasts) -> tuple[list[WorkItem], int]:
    """The dated ``epics`` a lane draws, in their order, and how many it leaves out."""
    if len(epics) <= BARS_PER_LANE:
        return epics, 0

    def late(epic: WorkItem) -> bool:  # as Bar.late
        forecast = forecasts.get(epic.key, (None, None))[1]
        return forecast is not None and forecast > epic.due

    first = sorted(epics, key=lambda e: (e.key not in involved, not late(e), e.due, e.key))
    kept = {e.key for e in first[:BARS_PER_LANE]}
    return [e for e in epics if e.key in kept], len(epics) - BARS_PER_LANE
