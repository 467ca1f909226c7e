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
            children = portfolio.children.get(epic.key, [])
            open_children = sum(1 for c in children if c.is_open)
            yield Finding(
                rule=self.id,
                severity=self.severity,
                subject_key=epic.key,
                product_line=epic.product_line,
                message=(
                    f"Epic {epic.key} was due {epic.due.isoformat()} ({late} days ago) and is "
                    f"still {epic.status}, with {open_children} of {len(children)} children open."
                ),
                evidence=(
                    ("due", epic.due.isoformat()),
                    ("status", epic.status),
                    ("open children", f"{open_children} of {len(children)}"),
                ),
            )


@hookimpl
def register_rules(register):
    register(EpicOverdue())
