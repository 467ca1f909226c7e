"""What the reports show: a sprint review per product line, and the portfolio roadmap.

Plain data for the templates; every number comes from metrics (Jira's Sprint
Report definitions, the Monte Carlo forecast), computed with the rules' own
settings, so a page and an alert never disagree; every chart comes from charts.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import Any

from pmsync import charts
from pmsync.knock_on_view import Chain, LateFromElsewhere, knock_on_view, late_from_other_lines
from pmsync.metrics import (
    ForecastSettings,
    SprintNumbers,
    Velocity,
    burndown,
    line_forecast,
    sprint_numbers,
    velocity,
)
from pmsync.model import Finding, Sprint, WorkItem, split_key
from pmsync.portfolio import Portfolio
from pmsync.rules import rule_ids
from pmsync.timeline import Timeline, build_timeline, epic_lookup


@dataclass(frozen=True)
class MetricSettings:
    """A line's settings for the numbers the rules judge by (forecast-after-due's
    percentile, weeks, trials and seed; sprint-overcommitted's velocity sprints)."""

    forecast: ForecastSettings = ForecastSettings()
    velocity_sprints: int = 3


SettingsOf = Callable[[str | None], MetricSettings]


def defaults(line: str | None) -> MetricSettings:
    return MetricSettings()


Forecasts = dict[str, tuple[date | None, date | None]]  # epic key → (p50, configured pN)


def epic_forecasts(portfolio: Portfolio, epics: list[WorkItem],
                   settings_of: SettingsOf) -> Forecasts:
    """Each open epic's p50 and configured-percentile finish, from its line's forecast
    (the one the forecast rule judged by: same settings, same simulation)."""
    out: Forecasts = {}
    for epic in epics:
        if not epic.is_open:
            continue
        settings = settings_of(epic.product_line).forecast
        outlook = line_forecast(portfolio, epic.product_line, settings).epic(epic)
        if outlook is not None:
            out[epic.key] = (outlook.p50, outlook.landing)
    return out


@dataclass
class EpicRow:
    item: WorkItem
    total: float
    done: float
    percent: int
    p50: date | None = None
    landing: date | None = None  # the forecast at the configured percentile
    label: str = "p85"  # that percentile, as "p85"

    @property
    def late(self) -> bool:
        return bool(self.item.due and self.landing and self.landing > self.item.due)


@dataclass
class SprintReview:
    line: str
    sprint: Sprint | None
    numbers: SprintNumbers = field(default_factory=SprintNumbers)
    items: list[WorkItem] = field(default_factory=list)
    velocity: Velocity = field(default_factory=lambda: Velocity(()))
    forecast_label: str = "p85"
    burndown: list[tuple[str, float]] = field(default_factory=list)
    epics: list[EpicRow] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    depends_on: list[tuple[WorkItem, WorkItem]] = field(default_factory=list)  # (ours, theirs)
    depended_by: list[tuple[WorkItem, WorkItem]] = field(default_factory=list)
    charts: dict[str, str] = field(default_factory=dict)
    timeline: Timeline | None = None
    late_elsewhere: list[LateFromElsewhere] = field(default_factory=list)  # knock-on
    # Past LISTED rows a list is cut: how many rows each left out, and the cross-line
    # links counted per other line (line, we wait on them, they wait on us).
    findings_more: int = 0
    links_more: int = 0
    links_by_line: list[tuple[str, int, int]] = field(default_factory=list)
    late_elsewhere_more: int = 0

    @property
    def velocity_rows(self) -> list[tuple[str, str, str]]:
        return [(v.sprint.name, f"{v.committed:g}", f"{v.completed:g}")
                for v in self.velocity.sprints]

    @property
    def average_velocity(self) -> str:
        average = self.velocity.average
        return "-" if average is None else f"{average:g}"

    @property
    def burndown_rows(self) -> list[tuple[str, str]]:
        return [(day, f"{left:g}") for day, left in self.burndown]


# A list on a page shows at most this many rows, then says how many it left out (and
# counts them where that tells something): at a million items a sprint review would
# list hundreds of thousands of links, which no one reads and no page renders in time.
LISTED = 100


def first_rows(rows: list[Any], first: Callable[[Any], bool] | None = None
               ) -> tuple[list[Any], int]:
    """At most LISTED of ``rows`` (in their order; those ``first`` picks before the others),
    and how many were left out."""
    if len(rows) <= LISTED:
        return rows, 0
    if first is not None:
        picked = [row for row in rows if first(row)][:LISTED]
        if len(picked) < LISTED:
            chosen = {id(row) for row in picked}
            picked += [row for row in rows if id(row) not in chosen][:LISTED - len(picked)]
            order = {id(row): n for n, row in enumerate(rows)}
            picked.sort(key=lambda row: order[id(row)])
        return picked, len(rows) - len(picked)
    return rows[:LISTED], len(rows) - LISTED


def natural(key: str) -> tuple[str, int]:
    native = split_key(key)[1]
    head, _, number = native.rpartition("-")
    return (head, int(number)) if number.isdigit() else (native, 0)


def epic_points(portfolio: Portfolio, epic: WorkItem) -> tuple[float, float]:
    """Its children's points, all and done; once per portfolio (a review and the roadmap
    both list an open epic)."""
    known: dict[str, tuple[float, float]] = portfolio.memo(("epic-points",), dict)
    if epic.key not in known:
        total = done = 0
        for child in portfolio.children.get(epic.key, ()):
            points = child.estimate or 0
            total += points
            if child.status_category == "done":
                done += points
        known[epic.key] = total, done
    return known[epic.key]


def epic_rows(portfolio: Portfolio, epics: list[WorkItem], forecasts: Forecasts,
              settings: ForecastSettings) -> list[EpicRow]:
    rows = []
    for epic in sorted(epics, key=lambda i: natural(i.key)):
        total, done = epic_points(portfolio, epic)
        p50, landing = forecasts.get(epic.key, (None, None))
        rows.append(EpicRow(epic, total, done, round(100 * done / total) if total else 0,
                            p50, landing, settings.label))
    return rows


def sprint_review(portfolio: Portfolio, line: str, findings: list[Finding],
                  settings_of: SettingsOf = defaults) -> SprintReview:
    settings = settings_of(line)
    sprints = portfolio.sprints_of_line(line)
    active = [s for s in sprints if s.state == "active"]
    closed = [s for s in sprints if s.state == "closed"]
    sprint = active[-1] if active else (closed[-1] if closed else None)
    review = SprintReview(line=line, sprint=sprint, forecast_label=settings.forecast.label)
    review.findings, review.findings_more = first_rows(
        [f for f in findings if f.product_line == line])
    if sprint is not None:
        review.numbers = sprint_numbers(portfolio, sprint)
        review.items = sorted(portfolio.items_in_sprint(sprint.key), key=lambda i: natural(i.key))
        review.burndown = burndown(portfolio, sprint)
    review.velocity = velocity(portfolio, line, settings.velocity_sprints)
    epics = epics_by_line(portfolio).get(line, [])
    review.epics = epic_rows(portfolio, epics, epic_forecasts(portfolio, epics, settings_of),
                             settings.forecast)
    links = cross_line_links(portfolio)
    ours = natural_order(portfolio).get(line, [])
    review.depends_on, cut_on = _first_links(ours, links.waits_on, links.waiting(line))
    review.depended_by, cut_by = _first_links(ours, links.waited_on, links.waited(line))
    review.links_more = cut_on + cut_by
    if review.links_more:
        review.links_by_line = links.by_line(line)
    review.late_elsewhere, review.late_elsewhere_more = late_from_other_lines(
        portfolio, line, lambda name: settings_of(name).forecast, first=LISTED)
    review.timeline = line_timeline(portfolio, line, findings, settings_of, review.epics)
    if review.timeline.bars:
        review.charts["timeline"] = charts.timeline_svg(
            review.timeline, "line-timeline",
            f"{line}: epics from start to due, and the epics its conflicts involve")
    if review.velocity.sprints:
        review.charts["velocity"] = charts.velocity_svg(
            [(v.sprint.name, v.committed, v.completed) for v in review.velocity.sprints])
    if review.burndown and sprint is not None and sprint.start and sprint.end:
        review.charts["burndown"] = charts.burndown_svg(
            review.burndown, (sprint.end.date() - sprint.start.date()).days)
    return review


def _either_open(pair: tuple[WorkItem, WorkItem]) -> bool:
    return pair[0].is_open or pair[1].is_open


Pairs = list[tuple[WorkItem, WorkItem]]


def _first_links(ours: list[WorkItem], index: dict[str, list[WorkItem]],
                 total: int) -> tuple[Pairs, int]:
    """What ``first_rows`` picks (open ones first) from the ``total`` pairs (ours, theirs)
    of ``index``, in natural order of ours then theirs; ``ours`` in natural order.

    At a million items a line has hundreds of thousands of such pairs: sorting them all
    to list a hundred took most of a review's time, so the pairs are read in order,
    item by item, only as far as the rows listed."""
    def in_order() -> Iterator[tuple[WorkItem, WorkItem]]:
        for item in ours:
            for theirs in sorted(index.get(item.key, ()), key=natural_item):
                yield item, theirs

    if total > LISTED:
        shown = list(islice(filter(_either_open, in_order()), LISTED))
        if len(shown) == LISTED:
            return shown, total - LISTED
    # Fewer open pairs than rows: closed ones fill the list, as first_rows does it.
    return first_rows(list(in_order()), _either_open)


def epics_by_line(portfolio: Portfolio) -> dict[str | None, list[WorkItem]]:
    """Every epic by its line, in the portfolio's order: one pass for all the reviews."""
    def compute() -> dict[str | None, list[WorkItem]]:
        out: dict[str | None, list[WorkItem]] = {}
        for item in portfolio.items.values():
            if item.kind == "epic":
                out.setdefault(item.product_line, []).append(item)
        return out

    return portfolio.memo(("epics-by-line",), compute)


def natural_item(item: WorkItem) -> tuple[tuple[str, int], str]:
    """Natural key order (PAY-2 before PAY-10), the whole key breaking a tie."""
    return natural(item.key), item.key


def natural_order(portfolio: Portfolio) -> dict[str | None, list[WorkItem]]:
    """Each line's items in natural key order, once per portfolio. A page lists links in
    this order, not the store's: PostgreSQL hands rows back in heap order, which every
    UPDATE changes, and a page whose content did not change must not be republished."""
    def compute() -> dict[str | None, list[WorkItem]]:
        out: dict[str | None, list[WorkItem]] = {}
        for item in sorted(portfolio.items.values(), key=natural_item):
            out.setdefault(item.product_line, []).append(item)
        return out

    return portfolio.memo(("natural-order",), compute)


@dataclass
class CrossLinks:
    """The links between product lines, indexed in one pass for every review."""

    # item key → the other lines' items it waits on / that wait on it
    waits_on: defaultdict[str, list[WorkItem]] = field(default_factory=lambda: defaultdict(list))
    waited_on: defaultdict[str, list[WorkItem]] = field(default_factory=lambda: defaultdict(list))
    # (the waiting item's line, the line it waits on) → links
    count: Counter[tuple[str | None, str | None]] = field(default_factory=Counter)

    def waiting(self, line: str) -> int:
        """Links where ``line`` waits on another line."""
        return sum(n for (waits, _), n in self.count.items() if waits == line)

    def waited(self, line: str) -> int:
        """Links where another line waits on ``line``."""
        return sum(n for (_, waited), n in self.count.items() if waited == line)

    def by_line(self, line: str) -> list[tuple[str, int, int]]:
        """(other line, links where we wait on it, links where it waits on us), by name."""
        waits, waited = Counter(), Counter()
        for (a, b), n in self.count.items():
            if a == line:
                waits[b or "no line"] += n
            if b == line:
                waited[a or "no line"] += n
        return [(other, waits[other], waited[other])
                for other in sorted(waits.keys() | waited.keys())]


def cross_line_links(portfolio: Portfolio) -> CrossLinks:
    def compute() -> CrossLinks:
        links = CrossLinks()
        for _, blocker, blocked in portfolio.dependencies:
            if blocked.product_line != blocker.product_line:
                links.waits_on[blocked.key].append(blocker)
                links.waited_on[blocker.key].append(blocked)
                links.count[blocked.product_line, blocker.product_line] += 1
        return links

    return portfolio.memo(("cross-line-links",), compute)


def line_timeline(portfolio: Portfolio, line: str, findings: list[Finding],
                  settings_of: SettingsOf, rows: list[EpicRow]) -> Timeline:
    """The line's open epics, and in their own lanes the other lines' epics that one of
    its dependency conflicts touches (so the arrow has both ends)."""
    conflicts = conflict_edges(portfolio, findings).touching.get(line, [])
    lanes: dict[str, list[WorkItem]] = {line: [r.item for r in rows if r.item.is_open]}
    laned: set[str] = set()  # the other lines' epics already in a lane
    epic_of = epic_lookup(portfolio)
    for pair in conflicts:
        for end in pair:
            epic = epic_of(end.key)
            if (epic is not None and epic.product_line and epic.product_line != line
                    and epic.key not in laned):
                laned.add(epic.key)
                lanes.setdefault(epic.product_line, []).append(epic)
    shown = [epic for epics in lanes.values() for epic in epics]
    return build_timeline(portfolio, lanes, epic_forecasts(portfolio, shown, settings_of),
                          conflicts, settings_of(line).forecast.percentile)


@dataclass
class Roadmap:
    lines: list[str]
    epics: dict[str, list[EpicRow]]
    releases: list[Any]
    edges: list[tuple[WorkItem, WorkItem, bool]]  # (blocker, blocked, in conflict)
    drift: list[Finding]
    charts: dict[str, str] = field(default_factory=dict)
    timeline: Timeline | None = None
    percentile: float = 85.0  # the forecast rule's, for the timeline and the introduction
    labels: dict[str, str] = field(default_factory=dict)  # each line's forecast percentile
    knock_ons: list[Chain] = field(default_factory=list)  # chains that break a date
    chain_edges: dict[tuple[str, str], str] = field(default_factory=dict)  # link → what
    # Past LISTED rows a list is cut (see SprintReview); the cross-line links counted
    # per pair of lines: (blocker line, blocked line, links, in conflict).
    edges_more: int = 0
    edge_lines: list[tuple[str, str, int, int]] = field(default_factory=list)
    knock_ons_more: int = 0
    drift_more: int = 0


def _edge_order(edge: tuple[WorkItem, WorkItem]) -> tuple[tuple[str, int], tuple[str, int]]:
    blocker, blocked = edge
    return natural(blocked.key), natural(blocker.key)


@dataclass
class CrossEdges:
    """Open cross-line dependencies (blocker, blocked): those in conflict, by natural key of
    the blocked item then of the blocker, and per line the ones that touch it, in that
    order; the others as the store hands them (only the first few are ever listed)."""

    conflicts: list[tuple[WorkItem, WorkItem]]
    others: list[tuple[WorkItem, WorkItem]]
    touching: dict[str | None, list[tuple[WorkItem, WorkItem]]]

    def __len__(self) -> int:
        return len(self.conflicts) + len(self.others)

    def first(self, count: int) -> list[tuple[WorkItem, WorkItem, bool]]:
        """The first ``count`` (blocker, blocked, in conflict): conflicts, then the others,
        each in the conflicts' order; none of the others sorted beyond those listed."""
        rows = [(blocker, blocked, True) for blocker, blocked in self.conflicts[:count]]
        rows += [(blocker, blocked, False) for blocker, blocked
                 in heapq.nsmallest(count - len(rows), self.others, key=_edge_order)]
        return rows


def conflict_edges(portfolio: Portfolio, findings: list[Finding]) -> CrossEdges:
    """Worked out once per portfolio and list of findings (every review and the roadmap
    ask, with the same list). The memo keeps the list it was worked out from, so its id
    names no other list meanwhile (a tuple of every fingerprint as the key cost more than
    the lookup saved, at a million items)."""
    basis = ("conflict-edges", id(findings))
    return portfolio.memo(basis, lambda: (findings, _conflict_edges(portfolio, findings)))[1]


def _conflict_edges(portfolio: Portfolio, findings: list[Finding]) -> CrossEdges:
    conflict_rules = rule_ids("dependency")
    conflicted = {(f.subject_key, key) for f in findings if f.rule in conflict_rules
                  for key in f.related_keys}
    for f in findings:  # a cycle is every link among its members, whichever way they point
        if f.rule == "dependency-cycle":
            members = {f.subject_key, *f.related_keys}
            conflicted |= {(a, b) for a in members for b in members if a != b}
    edges = CrossEdges([], [], {})
    for _, blocker, blocked in portfolio.dependencies:
        if blocker.product_line != blocked.product_line and (blocker.is_open or blocked.is_open):
            in_conflict = (blocked.key, blocker.key) in conflicted
            (edges.conflicts if in_conflict else edges.others).append((blocker, blocked))
    edges.conflicts.sort(key=_edge_order)
    for blocker, blocked in edges.conflicts:
        edges.touching.setdefault(blocker.product_line, []).append((blocker, blocked))
        edges.touching.setdefault(blocked.product_line, []).append((blocker, blocked))
    return edges


def roadmap(portfolio: Portfolio, findings: list[Finding],
            settings_of: SettingsOf = defaults) -> Roadmap:
    lines = [line.name for line in portfolio.product_lines]
    open_epics = [i for i in portfolio.items.values() if i.kind == "epic" and i.is_open]
    forecasts = epic_forecasts(portfolio, open_epics, settings_of)
    epics = {line: epic_rows(portfolio, [i for i in open_epics if i.product_line == line],
                             forecasts, settings_of(line).forecast)
             for line in lines}
    percentile = settings_of(None).forecast.percentile
    edges = conflict_edges(portfolio, findings)
    drift_rules = rule_ids("drift")
    drift = [f for f in findings if f.rule in drift_rules]
    releases = sorted(portfolio.releases.values(),
                      key=lambda r: (r.release_date or date.max, r.name))
    shown_edges = edges.first(LISTED)
    edges_more = len(edges) - len(shown_edges)
    shown_drift, drift_more = first_rows(drift)
    result = Roadmap(lines, epics, releases, shown_edges, shown_drift, percentile=percentile,
                     labels={line: settings_of(line).forecast.label for line in lines},
                     edges_more=edges_more, drift_more=drift_more)
    if edges_more:
        pairs = Counter((blocker.product_line or "no line", blocked.product_line or "no line",
                         conflict) for conflict, listed in ((True, edges.conflicts),
                                                            (False, edges.others))
                        for blocker, blocked in listed)
        result.edge_lines = [(a, b, pairs[a, b, False] + pairs[a, b, True], pairs[a, b, True])
                             for a, b in sorted({(a, b) for a, b, _ in pairs})]
    knock = knock_on_view(portfolio, findings, lambda name: settings_of(name).forecast)
    result.knock_ons, result.knock_ons_more = first_rows(knock.chains)
    result.chain_edges = knock.edges
    result.timeline = build_timeline(
        portfolio, {line: [row.item for row in epics[line]] for line in lines}, forecasts,
        edges.conflicts, percentile,
        releases).with_marks(knock.marks)
    if result.timeline.bars:
        result.charts["roadmap"] = charts.timeline_svg(result.timeline, "roadmap-timeline")
    return result
