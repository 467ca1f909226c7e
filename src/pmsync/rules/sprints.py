"""Sprint health, for the review: commitments the team's pace cannot carry, and
scope pushed into a sprint after it started. The numbers are metrics' (Jira's
Sprint Report definitions), the same ones the sprint-review page shows."""

from __future__ import annotations

from collections.abc import Iterator

from pmsync.config import RuleSettings
from pmsync.hookspecs import hookimpl
from pmsync.kit.options import Option
from pmsync.metrics import holdings, points, sprint_numbers, velocity
from pmsync.model import Finding
from pmsync.portfolio import Portfolio
from pmsync.rules import BaseRule, thresholds


class SprintOvercommitted(BaseRule):
    id = "sprint-overcommitted"
    category = "sprint"
    advice = "Move items out of the sprint until it fits the team's recent velocity."
    summary = "An active or future sprint holds more points than recent velocity by X %."
    options = thresholds(
        Option("percent", "number", 20, "percent above velocity tolerated", min=0, max=10000),
        Option("sprints", "int", 3, "closed sprints that make the velocity", min=1, max=50))

    def velocity_sprints(self, settings: RuleSettings, line: str | None) -> int:
        """How many closed sprints make the line's velocity (the reports use it too)."""
        return int(self.opt(settings, "sprints", line))

    def evaluate(self, portfolio: Portfolio, settings: RuleSettings) -> Iterator[Finding]:
        for line in sorted({s.product_line for s in portfolio.sprints.values()
                            if s.product_line}):
            pace = velocity(portfolio, line, self.velocity_sprints(settings, line))
            if not pace.average:
                continue
            limit = pace.average * (1 + self.opt(settings, "percent", line) / 100)
            for sprint in portfolio.sprints_of_line(line):
                if sprint.state not in ("active", "future"):
                    continue
                committed = points(holdings(portfolio, sprint))
                if committed <= limit:
                    continue
                over = 100 * (committed / pace.average - 1)
                yield self.finding(
                    subject_key=sprint.key, product_line=line,
                    message=(f"{sprint.name} holds {committed:g} points; the line's recent "
                             f"velocity is {pace.average:g} ({over:.0f} % over)."),
                    evidence=(("committed", f"{committed:g}"),
                              ("velocity", f"{pace.average:g}"),
                              ("velocity sprints", pace.describe())),
                )


class SprintScopeAdded(BaseRule):
    id = "sprint-scope-added"
    category = "sprint"
    advice = (
        "Swap out work of the same size, or agree the extra scope with the team.")
    summary = "Points added to the active sprint after it started exceed X % of its start."
    options = thresholds(Option("percent", "number", 10, "percent of the starting scope tolerated",
                                 min=0, max=10000))

    def evaluate(self, portfolio: Portfolio, settings: RuleSettings) -> Iterator[Finding]:
        for sprint in portfolio.sprints.values():
            if sprint.state != "active" or sprint.start is None:
                continue
            numbers = sprint_numbers(portfolio, sprint)
            at_start, added = numbers.committed.points, numbers.added.points
            if added <= 0 or at_start <= 0:
                continue
            share = 100 * added / at_start
            if share <= self.opt(settings, "percent", sprint.product_line):
                continue
            late = sorted(numbers.added_keys)
            yield self.finding(
                subject_key=sprint.key, product_line=sprint.product_line,
                related_keys=tuple(late),
                message=(f"{sprint.name} started with {at_start:g} points; {added:g} more were "
                         f"added since (+{share:.0f} %)."),
                evidence=(("points at start", f"{at_start:g}"), ("points added", f"{added:g}"),
                          ("added items", ", ".join(late[:10]))),
            )


@hookimpl
def register_rules(register):
    register(SprintOvercommitted())
    register(SprintScopeAdded())
