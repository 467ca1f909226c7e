"""Sprint health, for the review: commitments the team's pace cannot carry, and
scope pushed into a sprint after it started."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

from pmsync.config import RuleSettings
from pmsync.hookspecs import hookimpl
from pmsync.kit.options import Option
from pmsync.model import Finding, Sprint, WorkItem, split_key
from pmsync.portfolio import Portfolio
from pmsync.rules import BaseRule, thresholds


def sprint_members(portfolio: Portfolio) -> dict[str, list[WorkItem]]:
    """Items by the sprint they are (last) in: carried-over items count in their newest."""
    members: dict[str, list[WorkItem]] = defaultdict(list)
    for item in portfolio.items.values():
        if item.kind == "epic":
            continue
        sprint = portfolio.latest_sprint(item)
        if sprint is not None:
            members[sprint.key].append(item)
    return members


def points(items: list[WorkItem]) -> float:
    return sum(i.estimate or 0 for i in items)


def velocity(closed: list[Sprint], members: dict[str, list[WorkItem]], count: int) -> float | None:
    recent = closed[-count:]
    if not recent:
        return None
    done = [points([i for i in members.get(s.key, []) if i.status_category == "done"])
            for s in recent]
    return sum(done) / len(done)


def added_at(portfolio: Portfolio, item: WorkItem, sprint: Sprint) -> datetime | None:
    """When the item joined the sprint: from the sprint field's history, else its creation."""
    native = split_key(sprint.key)[1].rsplit(":", 1)[-1]
    for change in portfolio.changes.get(item.key, ()):
        if change.field != "sprint":
            continue
        new = {s.strip() for s in (change.new or "").split(",")}
        old = {s.strip() for s in (change.old or "").split(",")}
        if native in new and native not in old:
            return change.at
    return item.created


class SprintOvercommitted(BaseRule):
    id = "sprint-overcommitted"
    summary = "An active or future sprint holds more points than recent velocity by X %."
    options = thresholds(
        Option("percent", "number", 20, "percent above velocity tolerated", min=0, max=10000),
        Option("sprints", "int", 3, "closed sprints that make the velocity", min=1, max=50))

    def evaluate(self, portfolio: Portfolio, settings: RuleSettings) -> Iterator[Finding]:
        members = sprint_members(portfolio)
        for line in sorted({s.product_line for s in portfolio.sprints.values()
                            if s.product_line}):
            sprints = portfolio.sprints_of_line(line)
            closed = [s for s in sprints if s.state == "closed"]
            pace = velocity(closed, members, int(self.opt(settings, "sprints", line)))
            if not pace:
                continue
            limit = pace * (1 + self.opt(settings, "percent", line) / 100)
            for sprint in (s for s in sprints if s.state in ("active", "future")):
                committed = points(members.get(sprint.key, []))
                if committed <= limit:
                    continue
                yield self.finding(
                    subject_key=sprint.key, product_line=line,
                    message=(f"{sprint.name} holds {committed:g} points; the line's recent "
                             f"velocity is {pace:g} ({100 * (committed / pace - 1):.0f} % over)."),
                    evidence=(("committed", f"{committed:g}"), ("velocity", f"{pace:g}"),
                              ("velocity sprints", ", ".join(s.name for s in closed[-3:]))),
                )


class SprintScopeAdded(BaseRule):
    id = "sprint-scope-added"
    summary = "Points added to the active sprint after it started exceed X % of its start."
    options = thresholds(Option("percent", "number", 10, "percent of the starting scope tolerated",
                                 min=0, max=10000))

    def evaluate(self, portfolio: Portfolio, settings: RuleSettings) -> Iterator[Finding]:
        for sprint in portfolio.sprints.values():
            if sprint.state != "active" or sprint.start is None:
                continue
            items = [i for i in portfolio.items_in_sprint(sprint.key) if i.kind != "epic"]
            late = [i for i in items if (added_at(portfolio, i, sprint) or sprint.start)
                    > sprint.start]
            at_start = points([i for i in items if i not in late])
            added = points(late)
            if added <= 0 or at_start <= 0:
                continue
            share = 100 * added / at_start
            if share <= self.opt(settings, "percent", sprint.product_line):
                continue
            yield self.finding(
                subject_key=sprint.key, product_line=sprint.product_line,
                related_keys=tuple(sorted(i.key for i in late)),
                message=(f"{sprint.name} started with {at_start:g} points; {added:g} more were "
                         f"added since (+{share:.0f} %)."),
                evidence=(("points at start", f"{at_start:g}"), ("points added", f"{added:g}"),
                          ("added items", ", ".join(sorted(i.key for i in late)[:10]))),
            )


@hookimpl
def register_rules(register):
    register(SprintOvercommitted())
    register(SprintScopeAdded())
