"""Dependency conflicts. The ones that cross product lines matter most: they are
graded higher and say so in their message."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from pmsync.config import RuleSettings
from pmsync.hookspecs import hookimpl
from pmsync.model import Finding, Link, WorkItem
from pmsync.portfolio import Portfolio
from pmsync.rules import BaseRule


def _pairs(portfolio: Portfolio) -> list[tuple[Link, WorkItem, WorkItem]]:
    return portfolio.dependencies


def _across(blocker: WorkItem, blocked: WorkItem) -> str:
    if blocker.product_line == blocked.product_line:
        return ""
    return (f" across product lines ({blocker.product_line or 'no line'} → "
            f"{blocked.product_line or 'no line'})")


class DependencyRule(BaseRule):
    cross_line_severity = "critical"

    def severity_of(self, *items: WorkItem) -> str:
        lines = {i.product_line for i in items}
        return self.cross_line_severity if len(lines) > 1 else self.severity


class BlockerScheduledLate(DependencyRule):
    id = "blocker-scheduled-late"
    category = "dependency"
    advice = (
        "Pull the blocker into an earlier sprint, or move the blocked item later; talk to "
        "the blocker's owner if it sits in another product line.")
    summary = "A blocker is scheduled to finish after the item it blocks is scheduled to start."

    def evaluate(self, portfolio: Portfolio, settings: RuleSettings) -> Iterator[Finding]:
        for _, blocker, blocked in _pairs(portfolio):
            if not (blocker.is_open and blocked.is_open):
                continue
            finish = portfolio.planned_finish(blocker)
            start = portfolio.planned_start(blocked)
            if finish is None or start is None or finish <= start:
                continue
            yield self.finding(
                self.severity_of(blocker, blocked),
                subject_key=blocked.key, product_line=blocked.product_line,
                related_keys=(blocker.key,),
                message=(f"{blocked.name} is scheduled to start {start.date().isoformat()} but its "
                         f"blocker {blocker.name} is scheduled to finish "
                         f"{finish.date().isoformat()}{_across(blocker, blocked)}."),
                evidence=(("blocked starts", start.isoformat()),
                          ("blocker finishes", finish.isoformat()),
                          ("late by", f"{(finish - start).days} days"),
                          ("blocker line", blocker.product_line or "-"),
                          ("blocked line", blocked.product_line or "-")),
            )


class BlockerUnscheduled(DependencyRule):
    id = "blocker-unscheduled"
    category = "dependency"
    advice = "Ask the blocker's team to schedule it, or plan around the dependency."
    severity = "info"
    cross_line_severity = "warning"
    summary = "A blocker has no sprint and no due date while the item it blocks is scheduled."

    def evaluate(self, portfolio: Portfolio, settings: RuleSettings) -> Iterator[Finding]:
        for _, blocker, blocked in _pairs(portfolio):
            if not (blocker.is_open and blocked.is_open):
                continue
            start = portfolio.planned_start(blocked)
            if start is None or portfolio.planned_finish(blocker) is not None:
                continue
            yield self.finding(
                self.severity_of(blocker, blocked),
                subject_key=blocked.key, product_line=blocked.product_line,
                related_keys=(blocker.key,),
                message=(f"{blocked.name} is scheduled to start {start.date().isoformat()} but its "
                         f"blocker {blocker.name} is not scheduled at all{_across(blocker, blocked)}."),
                evidence=(("blocked starts", start.isoformat()), ("blocker", "no sprint, no due date")),
            )


class BlockerCancelled(DependencyRule):
    id = "blocker-cancelled"
    category = "dependency"
    advice = "Find another way to unblock the item, or cancel it too."
    summary = "A blocker was cancelled (Won't Do) while the item it blocks is still open."

    def evaluate(self, portfolio: Portfolio, settings: RuleSettings) -> Iterator[Finding]:
        for _, blocker, blocked in _pairs(portfolio):
            if blocker.status_category != "cancelled" or not blocked.is_open:
                continue
            yield self.finding(
                self.severity_of(blocker, blocked),
                subject_key=blocked.key, product_line=blocked.product_line,
                related_keys=(blocker.key,),
                message=(f"{blocked.name} waits on {blocker.name}, which was cancelled "
                         f"({blocker.status}){_across(blocker, blocked)}."),
                evidence=(("blocker status", blocker.status),),
            )


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's components, iteratively (deep chains must not hit the recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(graph.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph.get(child, ()))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


class DependencyCycle(DependencyRule):
    id = "dependency-cycle"
    category = "dependency"
    advice = "Break the cycle: one of these items must not wait on the others."
    summary = "Items block each other in a cycle (reported once, with all its members)."

    def evaluate(self, portfolio: Portfolio, settings: RuleSettings) -> Iterator[Finding]:
        graph: dict[str, set[str]] = defaultdict(set)
        for _, blocker, blocked in _pairs(portfolio):
            if blocker.is_open and blocked.is_open:
                graph[blocker.key].add(blocked.key)
        for component in strongly_connected(graph):
            if len(component) < 2:
                continue
            members = [portfolio.items[k] for k in component]
            first = members[0]
            lines = sorted({m.product_line or "no line" for m in members})
            yield self.finding(
                self.severity_of(*members),
                subject_key=first.key, product_line=first.product_line,
                related_keys=tuple(component[1:]),
                message=(f"{len(component)} items block each other in a cycle: "
                         f"{', '.join(m.name for m in members)}"
                         + (f" (across {', '.join(lines)})." if len(lines) > 1 else ".")),
                evidence=(("members", ", ".join(m.name for m in members)),
                          ("lines", ", ".join(lines))),
            )


@hookimpl
def register_rules(register):
    for rule in (BlockerScheduledLate(), BlockerUnscheduled(), BlockerCancelled(),
                 DependencyCycle()):
        register(rule)
