"""What the reports show: a sprint review per product line, and the portfolio roadmap.

Plain data for the templates; every number comes from sprint_numbers (Jira's
Sprint Report definitions) or the rules, and every chart from charts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pmsync import charts
from pmsync.model import Finding, Link, Sprint, WorkItem, split_key
from pmsync.portfolio import Portfolio
from pmsync.rules.forecast import epic_forecasts
from pmsync.sprint_numbers import SprintNumbers, burndown, sprint_numbers, velocity


@dataclass
class EpicRow:
    item: WorkItem
    total: float
    done: float
    percent: int
    p50: date | None = None
    p85: date | None = None

    @property
    def late(self) -> bool:
        return bool(self.item.due and self.p85 and self.p85 > self.item.due)


@dataclass
class SprintReview:
    line: str
    sprint: Sprint | None
    numbers: SprintNumbers = field(default_factory=SprintNumbers)
    items: list[WorkItem] = field(default_factory=list)
    velocity: list[dict[str, Any]] = field(default_factory=list)
    burndown: list[tuple[str, float]] = field(default_factory=list)
    epics: list[EpicRow] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    depends_on: list[tuple[WorkItem, WorkItem]] = field(default_factory=list)  # (ours, theirs)
    depended_by: list[tuple[WorkItem, WorkItem]] = field(default_factory=list)
    charts: dict[str, str] = field(default_factory=dict)

    @property
    def velocity_rows(self) -> list[tuple[str, str, str]]:
        return [(v["sprint"].name, f"{v['committed']:g}", f"{v['completed']:g}")
                for v in self.velocity]

    @property
    def burndown_rows(self) -> list[tuple[str, str]]:
        return [(day, f"{left:g}") for day, left in self.burndown]


def natural(key: str) -> tuple[str, int]:
    native = split_key(key)[1]
    head, _, number = native.rpartition("-")
    return (head, int(number)) if number.isdigit() else (native, 0)


def epic_rows(portfolio: Portfolio, epics: list[WorkItem], forecasts) -> list[EpicRow]:
    rows = []
    for epic in sorted(epics, key=lambda i: natural(i.key)):
        children = portfolio.children.get(epic.key, [])
        total = sum(c.estimate or 0 for c in children)
        done = sum(c.estimate or 0 for c in children if c.status_category == "done")
        p50, p85 = forecasts.get(epic.key, (None, None))
        rows.append(EpicRow(epic, total, done, round(100 * done / total) if total else 0,
                            p50, p85))
    return rows


def sprint_review(portfolio: Portfolio, line: str, findings: list[Finding],
                  forecasts: dict | None = None) -> SprintReview:
    forecasts = epic_forecasts(portfolio) if forecasts is None else forecasts
    sprints = portfolio.sprints_of_line(line)
    active = [s for s in sprints if s.state == "active"]
    closed = [s for s in sprints if s.state == "closed"]
    sprint = active[-1] if active else (closed[-1] if closed else None)
    review = SprintReview(line=line, sprint=sprint,
                          findings=[f for f in findings if f.product_line == line])
    if sprint is not None:
        review.numbers = sprint_numbers(portfolio, sprint)
        review.items = sorted(portfolio.items_in_sprint(sprint.key), key=lambda i: natural(i.key))
        review.burndown = burndown(portfolio, sprint)
    review.velocity = [{"sprint": s, "committed": c.points, "completed": d.points}
                       for s, c, d in velocity(portfolio, line)]
    review.epics = epic_rows(portfolio, [i for i in portfolio.items.values()
                                         if i.kind == "epic" and i.product_line == line],
                             forecasts)
    for _, blocker, blocked in portfolio.dependencies:
        if blocked.product_line == line and blocker.product_line != line:
            review.depends_on.append((blocked, blocker))
        elif blocker.product_line == line and blocked.product_line != line:
            review.depended_by.append((blocker, blocked))
    if review.velocity:
        review.charts["velocity"] = charts.velocity_svg(
            [(v["sprint"].name, v["committed"], v["completed"]) for v in review.velocity])
    if review.burndown and sprint is not None and sprint.start and sprint.end:
        review.charts["burndown"] = charts.burndown_svg(
            review.burndown, (sprint.end.date() - sprint.start.date()).days)
    return review


@dataclass
class Roadmap:
    lines: list[str]
    epics: dict[str, list[EpicRow]]
    releases: list[Any]
    edges: list[tuple[WorkItem, WorkItem, bool]]  # (blocker, blocked, in conflict)
    drift: list[Finding]
    charts: dict[str, str] = field(default_factory=dict)


CONFLICT_RULES = {"blocker-scheduled-late", "blocker-unscheduled", "blocker-cancelled",
                  "dependency-cycle"}
DRIFT_RULES = {"due-date-slipped", "scope-growth", "release-slipped", "forecast-after-due"}


def roadmap(portfolio: Portfolio, findings: list[Finding], forecasts: dict | None = None) -> Roadmap:
    forecasts = epic_forecasts(portfolio) if forecasts is None else forecasts
    lines = [line.name for line in portfolio.product_lines]
    epics = {line: epic_rows(portfolio, [i for i in portfolio.items.values()
                                         if i.kind == "epic" and i.product_line == line
                                         and i.is_open], forecasts)
             for line in lines}
    conflicted = {(f.subject_key, key) for f in findings if f.rule in CONFLICT_RULES
                  for key in f.related_keys}
    edges = [(blocker, blocked, (blocked.key, blocker.key) in conflicted)
             for link, blocker, blocked in portfolio.dependencies
             if blocker.product_line != blocked.product_line and _open(link, blocker, blocked)]
    edges.sort(key=lambda e: (not e[2], natural(e[1].key)))
    drift = [f for f in findings if f.rule in DRIFT_RULES]
    result = Roadmap(lines, epics, sorted(portfolio.releases.values(),
                                          key=lambda r: (r.release_date or date.max, r.name)),
                     edges, drift)
    bars = [(f"{row.item.title} ({line})", row.item.start or portfolio.today, row.item.due,
             row.p85) for line in lines for row in epics[line] if row.item.due][:40]
    if bars:
        result.charts["roadmap"] = charts.roadmap_svg(bars, portfolio.today)
    return result


def _open(link: Link, blocker: WorkItem, blocked: WorkItem) -> bool:
    return blocker.is_open or blocked.is_open
