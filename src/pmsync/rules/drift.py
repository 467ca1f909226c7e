"""Roadmap drift rules."""

from __future__ import annotations

from collections.abc import Iterator

from pmsync.config import RuleSettings
from pmsync.hookspecs import hookimpl
from pmsync.model import Finding
from pmsync.portfolio import Portfolio
from pmsync.rules import int_option, no_unknown_options


class EpicOverdue:
    id = "epic-overdue"
    severity = "warning"
    summary = "An epic's due date has passed and it is not done."

    def validate_options(self, options: dict, where: str) -> None:
        no_unknown_options(options, {"grace_days"}, where)
        int_option(options, "grace_days", where)

    def evaluate(self, portfolio: Portfolio, settings: RuleSettings) -> Iterator[Finding]:
        grace = settings.options.get("grace_days", 0)
        for epic in portfolio.items.values():
            if epic.kind != "epic" or not epic.is_open or epic.due is None:
                continue
            late = portfolio.days_ago(epic.due)
            if late <= grace:
                continue
            # Only facts that change when the problem changes: a day count or a child's
            # progress in the text would edit the comment (and notify watchers) every night.
            yield Finding(
                rule=self.id,
                severity=self.severity,
                subject_key=epic.key,
                product_line=epic.product_line,
                message=f"Epic {epic.key} was due {epic.due.isoformat()} and is still {epic.status}.",
                evidence=(("due", epic.due.isoformat()), ("status", epic.status)),
            )


@hookimpl
def register_rules(register):
    register(EpicOverdue())
