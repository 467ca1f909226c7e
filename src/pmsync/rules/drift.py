"""Roadmap drift: dates that slipped, scope that grew, epics late or gone quiet."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta

from pmsync.config import RuleSettings
from pmsync.hookspecs import hookimpl
from pmsync.kit.options import Option
from pmsync.model import Finding, WorkItem
from pmsync.portfolio import Portfolio, end_of_day
from pmsync.rules import BaseRule, thresholds


def open_epics(portfolio: Portfolio) -> Iterator[WorkItem]:
    return (i for i in portfolio.items.values() if i.kind == "epic" and i.is_open)


class EpicOverdue(BaseRule):
    id = "epic-overdue"
    category = "schedule"
    advice = "Move the due date to a date the team believes, or close the epic."
    summary = "An epic's due date has passed and it is not done."
    options = thresholds(Option("grace_days", "int", 0, "days past due before it counts", min=0,
                                 max=3650))

    def evaluate(self, portfolio: Portfolio, settings: RuleSettings) -> Iterator[Finding]:
        for epic in open_epics(portfolio):
            if epic.due is None:
                continue
            if portfolio.days_ago(epic.due, epic.key) <= self.opt(settings, "grace_days",
                                                                  epic.product_line):
                continue
            # Only facts that change when the problem changes: a day count or a child's
            # progress in the text would edit the comment (and notify watchers) every night.
            yield self.finding(
                subject_key=epic.key, product_line=epic.product_line,
                message=f"Epic {epic.name} was due {epic.due.isoformat()} and is still {epic.status}.",
                evidence=(("due", epic.due.isoformat()), ("status", epic.status)),
            )


class DueDateSlipped(BaseRule):
    id = "due-date-slipped"
    category = "drift"
    advice = (
        "Agree the new date with the stakeholders, or cut scope to hold the old one.")
    summary = "An epic's due date is later than at the baseline by more than N days."
    options = thresholds(Option("days", "int", 7, "days of slip tolerated", min=0, max=3650))

    def evaluate(self, portfolio: Portfolio, settings: RuleSettings) -> Iterator[Finding]:
        baseline = portfolio.baseline
        if baseline is None:
            return
        for epic in open_epics(portfolio):
            if epic.due is None or not portfolio.existed_at(epic, baseline.at):
                continue
            then = baseline.items.get(epic.key)
            old = then.due if then is not None else _as_date(
                portfolio.value_at(epic, "due", baseline.at, epic.due.isoformat()))
            if old is None or (epic.due - old).days <= self.opt(settings, "days",
                                                                epic.product_line):
                continue
            moves = [c for c in portfolio.changes.get(epic.key, ())
                     if c.field == "due" and c.at > baseline.at]
            when = moves[-1].at.date().isoformat() if moves else "between the runs"
            yield self.finding(
                subject_key=epic.key, product_line=epic.product_line,
                message=(f"Epic {epic.name} is now due {epic.due.isoformat()}, "
                         f"{(epic.due - old).days} days later than at the baseline "
                         f"({old.isoformat()})."),
                evidence=(("due at baseline", old.isoformat()), ("due now", epic.due.isoformat()),
                          ("changed", when), ("baseline", baseline.name)),
            )


class ChildAfterEpicDue(BaseRule):
    id = "child-after-epic-due"
    category = "schedule"
    advice = "Pull the child into an earlier sprint, or move the epic's due date."
    summary = "A child's sprint end or due date falls after its epic's due date."

    def evaluate(self, portfolio: Portfolio, settings: RuleSettings) -> Iterator[Finding]:
        for epic in open_epics(portfolio):
            if epic.due is None or epic.due < portfolio.today_for(epic.key):
                continue  # an overdue epic is epic-overdue's finding, not one per child
            deadline = end_of_day(epic.due)  # on the clock planned finishes use
            for child in portfolio.children.get(epic.key, ()):
                finish = portfolio.planned_finish(child) if child.is_open else None
                if finish is None or finish <= deadline:
                    continue
                yield self.finding(
                    subject_key=child.key, product_line=child.product_line,
                    related_keys=(epic.key,),
                    message=(f"{child.name} is scheduled to finish {finish.date().isoformat()}, "
                             f"after its epic {epic.name} is due ({epic.due.isoformat()})."),
                    evidence=(("child finishes", finish.date().isoformat()),
                              ("epic due", epic.due.isoformat())),
                )


def _as_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _as_float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


class ScopeGrowth(BaseRule):
    id = "scope-growth"
    category = "drift"
    advice = "Split the new scope into a follow-up epic, or re-plan the due date."
    summary = "An epic's scope grew by more than X % against the baseline."
    options = thresholds(Option("percent", "number", 20, "percent of growth tolerated", min=0,
                                 max=10000))

    def evaluate(self, portfolio: Portfolio, settings: RuleSettings) -> Iterator[Finding]:
        baseline = portfolio.baseline
        if baseline is None:
            return
        for epic in open_epics(portfolio):
            if not portfolio.existed_at(epic, baseline.at):
                continue
            children = [c for c in portfolio.children.get(epic.key, ())
                        if c.status_category != "cancelled"]
            then = [c for c in children if portfolio.existed_at(c, baseline.at)]
            estimated = any(c.estimate is not None for c in children)
            unit = "points" if estimated else "items"
            if estimated:
                now_scope = sum(c.estimate or 0 for c in children)
                old_scope = sum(_as_float(portfolio.value_at(
                    c, "estimate", baseline.at, _str(c.estimate))) or 0 for c in then)
            else:
                now_scope, old_scope = len(children), len(then)
            if old_scope <= 0:
                continue
            growth = 100 * (now_scope - old_scope) / old_scope
            if growth <= self.opt(settings, "percent", epic.product_line):
                continue
            yield self.finding(
                subject_key=epic.key, product_line=epic.product_line,
                message=(f"Epic {epic.name} grew from {old_scope:g} to {now_scope:g} {unit} "
                         f"since the baseline (+{growth:.0f} %)."),
                evidence=(("scope at baseline", f"{old_scope:g} {unit}"),
                          ("scope now", f"{now_scope:g} {unit}"),
                          ("items added", str(len(children) - len(then))),
                          ("baseline", baseline.name)),
            )


def _str(value: float | None) -> str | None:
    return None if value is None else f"{value:g}"


class ReleaseSlipped(BaseRule):
    id = "release-slipped"
    category = "drift"
    advice = "Tell the release's stakeholders, or move items out of the release."
    summary = "A release moved later than at the baseline, or passed unreleased with open items."
    options = thresholds(Option("days", "int", 0, "days of slip tolerated", min=0, max=3650))

    def evaluate(self, portfolio: Portfolio, settings: RuleSettings) -> Iterator[Finding]:
        items_of: dict[str, list[WorkItem]] = {}
        for item in portfolio.items.values():
            for key in item.release_keys:
                items_of.setdefault(key, []).append(item)
        for release in portfolio.releases.values():
            if release.released or release.release_date is None:
                continue
            members = items_of.get(release.key, [])
            lines = Counter(i.product_line for i in members if i.product_line)
            line = lines.most_common(1)[0][0] if lines else None
            open_items = [i for i in members if i.is_open]
            then = portfolio.baseline.releases.get(release.key) if portfolio.baseline else None
            slip = ((release.release_date - then.release_date).days
                    if then is not None and then.release_date else 0)
            if slip > self.opt(settings, "days", line):
                yield self.finding(
                    subject_key=release.key, product_line=line,
                    message=(f"Release {release.name} moved to {release.release_date.isoformat()}, "
                             f"{slip} days later than at the baseline."),
                    evidence=(("date at baseline", then.release_date.isoformat()),
                              ("date now", release.release_date.isoformat())),
                )
            elif release.release_date < portfolio.today_for(release.key) and open_items:
                yield self.finding(
                    subject_key=release.key, product_line=line,
                    message=(f"Release {release.name} was due {release.release_date.isoformat()} "
                             f"and is not released; {len(open_items)} of its items are open."),
                    evidence=(("release date", release.release_date.isoformat()),
                              ("open items", ", ".join(sorted(i.name for i in open_items)[:10]))),
                )


class StaleEpic(BaseRule):
    id = "stale-epic"
    category = "schedule"
    advice = "Check whether the epic is still wanted; pause it or close it if not."
    summary = "An epic in progress with no update on it or its children for N days."
    options = thresholds(Option("days", "int", 14, "days without activity", min=1, max=3650))

    def evaluate(self, portfolio: Portfolio, settings: RuleSettings) -> Iterator[Finding]:
        for epic in open_epics(portfolio):
            if epic.status_category != "doing":
                continue
            family = [epic, *portfolio.children.get(epic.key, ())]
            stamps = [t for t in (portfolio.last_activity(i) for i in family) if t]
            if not stamps:
                continue
            quiet_for = self.opt(settings, "days", epic.product_line)
            if (portfolio.now - max(stamps)) // timedelta(days=1) <= quiet_for:
                continue
            # No date in the text: it would move (and edit the comment) as time passes.
            yield self.finding(
                subject_key=epic.key, product_line=epic.product_line,
                message=(f"Epic {epic.name} is in progress but nothing on it or its children "
                         f"changed in the last {quiet_for:g} days."),
                evidence=(("quiet for more than", f"{quiet_for:g} days"),),
            )


@hookimpl
def register_rules(register):
    for rule in (EpicOverdue(), DueDateSlipped(), ChildAfterEpicDue(), ScopeGrowth(),
                 ReleaseSlipped(), StaleEpic()):
        register(rule)
