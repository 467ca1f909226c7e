"""Sprint and flow metrics, each defined once, for the rules and the reports alike.

Sprint numbers follow Jira's Sprint Report and velocity chart:
- committed: in the sprint when it started, at its estimate then;
- added: joined after the start (Jira marks these with an asterisk);
- removed: in the sprint during it, but no longer at its end;
- completed: in the sprint at its end and done by then, at its estimate then;
- not completed: in the sprint at its end, not done (carried over if it moved on);
- velocity: the average completed of the line's last N closed sprints.
Membership over time comes from the sprint field's history; a tracker without one
(ClickUp) counts an item as a member from its creation on.

The Monte Carlo forecast samples a line's weekly throughput (points done, or items
where the line does not estimate) over a recent window. Rather than simulate each
epic, it simulates the line once: many trials of cumulative weekly throughput. For a
week w, the p-th percentile forecast can deliver R if at least p % of the trials
reached R by w; since every trial only grows, "first such week" is a bisection over
the per-week quantiles. Seeded per line, so runs repeat; computed once per portfolio
and settings (``line_forecast``), so the rule and the reports share one simulation.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from pmsync.model import Sprint, WorkItem, split_key
from pmsync.portfolio import Portfolio

HORIZON_WEEKS = 104  # two years: a later forecast just says "beyond"


# Sprint membership ------------------------------------------------------------------
def native_id(sprint: Sprint) -> str:
    """The tracker's own sprint id, as the sprint field's history names it."""
    return split_key(sprint.key)[1].rsplit(":", 1)[-1]


def sprint_ids(text: str | None) -> set[str]:
    """The sprint ids a history value holds ("10, 11")."""
    return {part.strip() for part in (text or "").split(",") if part.strip()}


def member_at(portfolio: Portfolio, item: WorkItem, sprint: Sprint, moment: datetime) -> bool:
    """Was the item in the sprint at ``moment``?"""
    history = portfolio.changes.get(item.key)
    changes = [c for c in history if c.field == "sprint"] if history else ()
    if not changes:  # no history: in it now, and already created then
        return sprint.key in item.sprint_keys and (item.created is None or item.created <= moment)
    before = [c for c in changes if c.at <= moment]
    ids = sprint_ids(before[-1].new) if before else sprint_ids(changes[0].old)
    return native_id(sprint) in ids


def sprint_mentions(portfolio: Portfolio) -> dict[str, set[str]]:
    """Sprint id -> keys of the items whose sprint history names it (either side of a
    change). Built once per portfolio: scanning every change per sprint grew as
    sprints x changes, most of `check`'s time at 300k items (issue 14)."""
    def build() -> dict[str, set[str]]:
        index: dict[str, set[str]] = {}
        for key, changes in portfolio.changes.items():
            for change in changes:
                if change.field == "sprint":
                    for nid in sprint_ids(change.new) | sprint_ids(change.old):
                        index.setdefault(nid, set()).add(key)
        return index

    return portfolio.memo(("sprint-mentions",), build)


def candidates(portfolio: Portfolio, sprint: Sprint) -> list[WorkItem]:
    """Non-epic items in the sprint now, or whose sprint history ever mentions it."""
    keys = {i.key for i in portfolio.items_in_sprint(sprint.key)}
    keys |= sprint_mentions(portfolio).get(native_id(sprint), set())
    return [portfolio.items[k] for k in sorted(keys)
            if k in portfolio.items and portfolio.items[k].kind != "epic"]


def holdings(portfolio: Portfolio, sprint: Sprint) -> list[WorkItem]:
    """What an open sprint holds now: non-epic items whose newest sprint it is (an item
    carried over into it counts here, not in the sprint it left)."""
    return [i for i in portfolio.items_in_sprint(sprint.key)
            if i.kind != "epic" and (latest := portfolio.latest_sprint(i)) is not None
            and latest.key == sprint.key]


# Estimates and completion ------------------------------------------------------------
def estimate_at(portfolio: Portfolio, item: WorkItem, moment: datetime) -> float | None:
    value = portfolio.value_at(item, "estimate", moment,
                               None if item.estimate is None else f"{item.estimate:g}")
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return item.estimate


def done_by(item: WorkItem, moment: datetime) -> bool:
    if item.status_category != "done":
        return False
    return item.done_at is None or item.done_at <= moment


def points(items: list[WorkItem]) -> float:
    """Points now (current estimates)."""
    return sum(i.estimate or 0 for i in items)


def sprint_end(portfolio: Portfolio, sprint: Sprint) -> datetime:
    end = sprint.completed or sprint.end or portfolio.now
    return min(end, portfolio.now)


# The Sprint Report -------------------------------------------------------------------
@dataclass(frozen=True)
class Tally:
    count: int = 0
    points: float = 0.0

    def plus(self, points: float | None) -> Tally:
        return Tally(self.count + 1, self.points + (points or 0))


@dataclass
class SprintNumbers:
    committed: Tally = field(default_factory=Tally)
    added: Tally = field(default_factory=Tally)
    removed: Tally = field(default_factory=Tally)
    completed: Tally = field(default_factory=Tally)
    not_completed: Tally = field(default_factory=Tally)
    carried_over: list[str] = field(default_factory=list)
    added_keys: list[str] = field(default_factory=list)
    removed_keys: list[str] = field(default_factory=list)


def sprint_numbers(portfolio: Portfolio, sprint: Sprint) -> SprintNumbers:
    """The sprint's Sprint Report, so far (an active sprint is measured up to now)."""
    return portfolio.memo(("sprint-numbers", sprint.key),
                          lambda: _sprint_numbers(portfolio, sprint))


def _sprint_numbers(portfolio: Portfolio, sprint: Sprint) -> SprintNumbers:
    numbers = SprintNumbers()
    if sprint.start is None:
        return numbers
    start, end = sprint.start, sprint_end(portfolio, sprint)
    for item in candidates(portfolio, sprint):
        at_start = member_at(portfolio, item, sprint, start)
        at_end = member_at(portfolio, item, sprint, end)
        during = at_start or any(
            c.field == "sprint" and start < c.at <= end and native_id(sprint) in sprint_ids(c.new)
            for c in portfolio.changes.get(item.key, ())
        ) or (at_end and not at_start)
        if not during:
            continue
        later = estimate_at(portfolio, item, end)
        if at_start:
            numbers.committed = numbers.committed.plus(estimate_at(portfolio, item, start))
        else:
            numbers.added = numbers.added.plus(later)
            numbers.added_keys.append(item.key)
        if not at_end:
            numbers.removed = numbers.removed.plus(later)
            numbers.removed_keys.append(item.key)
        elif done_by(item, end):
            numbers.completed = numbers.completed.plus(later)
        else:
            numbers.not_completed = numbers.not_completed.plus(later)
            newest = portfolio.latest_sprint(item)
            if newest is not None and newest.key != sprint.key:
                numbers.carried_over.append(item.key)
    return numbers


def burndown(portfolio: Portfolio, sprint: Sprint) -> list[tuple[str, float]]:
    """Points left in the sprint at the end of each of its days (the site's days),
    scope changes included."""
    if sprint.start is None or sprint.end is None:
        return []
    items = candidates(portfolio, sprint)
    zone = portfolio.zone_of(sprint.key)
    out, day = [], portfolio.day_of(sprint.key, sprint.start)
    last = portfolio.day_of(sprint.key, min(sprint.end, portfolio.now))
    while day <= last:
        moment = datetime.combine(day, time.max, zone)
        left = sum(estimate_at(portfolio, i, moment) or 0 for i in items
                   if member_at(portfolio, i, sprint, moment) and not done_by(i, moment))
        out.append((day.isoformat(), left))
        day += timedelta(days=1)
    return out


# Velocity ----------------------------------------------------------------------------
@dataclass(frozen=True)
class SprintVelocity:
    sprint: Sprint
    committed: float
    completed: float


@dataclass(frozen=True)
class Velocity:
    """The line's last closed sprints (oldest first) and their average completed."""

    sprints: tuple[SprintVelocity, ...]

    @property
    def average(self) -> float | None:
        if not self.sprints:
            return None
        return sum(s.completed for s in self.sprints) / len(self.sprints)

    def describe(self) -> str:
        """The sprints behind the average, as alerts and `check --explain` show them."""
        return ", ".join(f"{s.sprint.name} {s.completed:g}" for s in self.sprints)


def velocity(portfolio: Portfolio, line: str, count: int) -> Velocity:
    """Committed and completed of the line's last ``count`` closed sprints."""
    closed = [s for s in portfolio.sprints_of_line(line) if s.state == "closed"]
    rows = []
    for sprint in closed[-count:] if count > 0 else []:
        numbers = sprint_numbers(portfolio, sprint)
        rows.append(SprintVelocity(sprint, numbers.committed.points, numbers.completed.points))
    return Velocity(tuple(rows))


# Throughput and the Monte Carlo forecast ---------------------------------------------
@dataclass(frozen=True)
class ForecastSettings:
    """The forecast rule's options; the reports use the same ones."""

    percentile: float = 85.0
    weeks: int = 8
    trials: int = 500
    seed: int = 7

    @property
    def label(self) -> str:
        return f"p{self.percentile:g}"


def weekly_throughput(portfolio: Portfolio, items: list[WorkItem], weeks: int,
                      by_points: bool) -> list[float]:
    """Done per week for the last ``weeks`` whole weeks before today."""
    samples = [0.0] * weeks
    now = portfolio.now
    for item in items:
        if item.status_category != "done" or item.done_at is None or item.kind == "epic":
            continue
        age = (now - item.done_at).days // 7
        if 0 <= age < weeks:
            samples[age] += (item.estimate or 0) if by_points else 1
    return samples


def percentile_curves(samples: list[float], percentiles: tuple[float, ...], trials: int,
                      seed: int) -> dict[float, list[float]]:
    """For each percentile p: per week, the amount p % of trials have delivered by then."""
    rng = random.Random(seed)
    # One future per trial: weekly draws from the samples, summed as the weeks go by.
    paths = [list(itertools.accumulate(rng.choices(samples, k=HORIZON_WEEKS)))
             for _ in range(trials)]
    curves: dict[float, list[float]] = {p: [] for p in percentiles}
    # p % of trials delivered at least the (100 - p)th percentile of a week's column.
    picks = {p: min(int((100 - p) / 100 * trials), trials - 1) for p in percentiles}
    for column in zip(*paths, strict=True):
        ordered = sorted(column)
        for p, index in picks.items():
            curves[p].append(ordered[index])
    return curves


def weeks_needed(curve: list[float], remaining: float) -> int | None:
    index = bisect.bisect_left(curve, remaining)
    return index + 1 if index < len(curve) else None


@dataclass(frozen=True)
class EpicForecast:
    remaining: float
    p50: date | None  # None: beyond the two-year horizon
    landing: date | None  # at the configured percentile


class LineForecast:
    """One product line's simulated futures; answers for any of its epics."""

    def __init__(self, portfolio: Portfolio, line: str | None, settings: ForecastSettings):
        self.portfolio, self.settings = portfolio, settings
        self._epics: dict[str, EpicForecast | None] = {}
        items = portfolio.items_by_line.get(line, [])
        self.by_points = any(i.estimate for i in items if i.kind != "epic")
        self.unit = "points" if self.by_points else "items"
        samples = weekly_throughput(portfolio, items, settings.weeks, self.by_points)
        line_seed = int(hashlib.sha256(f"{settings.seed}:{line}".encode()).hexdigest()[:8], 16)
        # No throughput at all: nothing to forecast from.
        self.curves = (percentile_curves(samples, (50.0, settings.percentile), settings.trials,
                                         line_seed) if any(samples) else None)

    def remaining(self, epic: WorkItem) -> float:
        return sum((c.estimate or 0) if self.by_points else 1
                   for c in self.portfolio.children.get(epic.key, ()) if c.is_open)

    def epic(self, epic: WorkItem) -> EpicForecast | None:
        """The epic's p50 and configured-percentile finish; None when nothing is left or
        the line has no throughput to forecast from. Once per epic (the rules, the
        schedule and every page ask)."""
        if epic.key not in self._epics:
            self._epics[epic.key] = self._epic(epic)
        return self._epics[epic.key]

    def _epic(self, epic: WorkItem) -> EpicForecast | None:
        remaining = self.remaining(epic)
        if self.curves is None or remaining <= 0:
            return None
        found = []
        for p in (50.0, self.settings.percentile):
            need = weeks_needed(self.curves[p], remaining)
            today = self.portfolio.today_for(epic.key)
            found.append(today + timedelta(weeks=need) if need else None)
        return EpicForecast(remaining, found[0], found[1])


def line_forecast(portfolio: Portfolio, line: str | None,
                  settings: ForecastSettings) -> LineForecast:
    """The line's forecast, simulated once per portfolio and settings."""
    return portfolio.memo(("forecast", line, settings),
                          lambda: LineForecast(portfolio, line, settings))
