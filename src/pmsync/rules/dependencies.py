"""Dependency-conflict rules: the ones that cross product lines matter most."""

from __future__ import annotations

from collections.abc import Iterator

from pmsync.config import RuleSettings
from pmsync.hookspecs import hookimpl
from pmsync.model import Finding
from pmsync.portfolio import Portfolio
from pmsync.rules import no_unknown_options


class BlockerScheduledLate:
    id = "blocker-scheduled-late"
    severity = "warning"
    cross_line_severity = "critical"
    summary = "A blocker is scheduled to finish after the item it blocks is scheduled to start."

    def validate_options(self, options: dict, where: str) -> None:
        no_unknown_options(options, set(), where)

    def evaluate(self, portfolio: Portfolio, settings: RuleSettings) -> Iterator[Finding]:
        for link in portfolio.links:
            blocker = portfolio.items.get(link.blocker_key)
            blocked = portfolio.items.get(link.blocked_key)
            if blocker is None or blocked is None or not (blocker.is_open and blocked.is_open):
                continue
            finish = portfolio.planned_finish(blocker)
            start = portfolio.planned_start(blocked)
            if finish is None or start is None or finish <= start:
                continue
            cross = blocker.product_line != blocked.product_line
            across = (
                f" across product lines ({blocker.product_line or 'no line'} → "
                f"{blocked.product_line or 'no line'})" if cross else ""
            )
            yield Finding(
                rule=self.id,
                severity=self.cross_line_severity if cross else self.severity,
                subject_key=blocked.key,
                product_line=blocked.product_line,
                related_keys=(blocker.key,),
                message=(
                    f"{blocked.key} is scheduled to start {start.date().isoformat()} but its "
                    f"blocker {blocker.key} is scheduled to finish {finish.date().isoformat()}"
                    f"{across}."
                ),
                evidence=(
                    ("blocked starts", start.isoformat()),
                    ("blocker finishes", finish.isoformat()),
                    ("late by", f"{(finish - start).days} days"),
                    ("blocker line", blocker.product_line or "-"),
                    ("blocked line", blocked.product_line or "-"),
                ),
            )


@hookimpl
def register_rules(register):
    register(BlockerScheduledLate())
