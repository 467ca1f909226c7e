"""Sprint-review numbers, with Jira's Sprint Report definitions.

- committed: in the sprint when it started, at its estimate then;
- added: joined after the start (Jira marks these with an asterisk);
- removed: in the sprint during it, but no longer at its end;
- completed: in the sprint at its end and done by then;
- not completed: in the sprint at its end, not done (carried over if it moved on).
Membership over time comes from the sprint field's history; a tracker without
one (ClickUp) counts items created after the start as added.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from pmsync.model import Sprint, WorkItem, split_key
from pmsync.portfolio import Portfolio


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


def native_id(sprint: Sprint) -> str:
    return split_key(sprint.key)[1].rsplit(":", 1)[-1]


def _ids(text: str | None) -> set[str]:
    return {part.strip() for part in (text or "").split(",") if part.strip()}


def member_at(portfolio: Portfolio, item: WorkItem, sprint: Sprint, moment: datetime) -> bool:
    changes = [c for c in portfolio.changes.get(item.key, ()) if c.field == "sprint"]
    if not changes:  # no history: in it now, and already created then
        return sprint.key in item.sprint_keys and (item.created is None or item.created <= moment)
    before = [c for c in changes if c.at <= moment]
    ids = _ids(before[-1].new) if before else _ids(changes[0].old)
    return native_id(sprint) in ids


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


def sprint_end(portfolio: Portfolio, sprint: Sprint) -> datetime:
    end = sprint.completed or sprint.end or portfolio.now
    return min(end, portfolio.now)


def candidates(portfolio: Portfolio, sprint: Sprint) -> list[WorkItem]:
    """Items in the sprint now, or whose sprint history ever mentions it."""
    nid = native_id(sprint)
    keys = {i.key for i in portfolio.items_in_sprint(sprint.key)}
    for key, changes in portfolio.changes.items():
        if any(c.field == "sprint" and (nid in _ids(c.new) or nid in _ids(c.old)) for c in changes):
            keys.add(key)
    return [portfolio.items[k] for k in sorted(keys)
            if k in portfolio.items and portfolio.items[k].kind != "epic"]


def sprint_numbers(portfolio: Portfolio, sprint: Sprint) -> SprintNumbers:
    numbers = SprintNumbers()
    if sprint.start is None:
        return numbers
    start, end = sprint.start, sprint_end(portfolio, sprint)
    for item in candidates(portfolio, sprint):
        at_start = member_at(portfolio, item, sprint, start)
        at_end = member_at(portfolio, item, sprint, end)
        during = at_start or any(
            c.field == "sprint" and start < c.at <= end and native_id(sprint) in _ids(c.new)
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
    """Points left in the sprint at the end of each day, scope changes included."""
    if sprint.start is None or sprint.end is None:
        return []
    items = candidates(portfolio, sprint)
    points, day = [], sprint.start.date()
    last = min(sprint.end, portfolio.now).date()
    while day <= last:
        moment = datetime.combine(day, time.max, sprint.start.tzinfo)
        left = sum(estimate_at(portfolio, i, moment) or 0 for i in items
                   if member_at(portfolio, i, sprint, moment) and not done_by(i, moment))
        points.append((day.isoformat(), left))
        day += timedelta(days=1)
    return points


def velocity(portfolio: Portfolio, line: str, count: int = 5) -> list[tuple[Sprint, Tally, Tally]]:
    """Committed and completed of the line's last ``count`` closed sprints."""
    closed = [s for s in portfolio.sprints_of_line(line) if s.state == "closed"]
    rows = []
    for sprint in closed[-count:]:
        numbers = sprint_numbers(portfolio, sprint)
        rows.append((sprint, numbers.committed, numbers.completed))
    return rows
