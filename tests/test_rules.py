"""The two first rules on hand-built portfolios: positive, boundary and control cases."""

from __future__ import annotations

from datetime import UTC, date, datetime

from lines import in_line, lines_of
from pmsync.config import RuleSettings
from pmsync.model import Link, Sprint, WorkItem
from pmsync.portfolio import Portfolio
from pmsync.rules import run_rules
from pmsync.rules.dependencies import BlockerScheduledLate
from pmsync.rules.drift import EpicOverdue

TODAY = date(2026, 11, 23)


def item(key, kind="story", line="Payments", status="doing", **kw) -> WorkItem:
    return WorkItem(key=key, kind=kind, title=f"title of {key}", status=status,
                    status_category=status, facets=in_line(line), **kw)


def sprint(key, start, end, line="Payments", state="active") -> Sprint:
    return Sprint(key=key, name=key, state=state, facets=in_line(line),
                  start=datetime(*start, 9, tzinfo=UTC), end=datetime(*end, 9, tzinfo=UTC))


def portfolio(items, sprints=(), links=()) -> Portfolio:
    return Portfolio.build(items, sprints, links, product_lines=lines_of(items, sprints),
                           today=TODAY)


def evaluate(rule, p, **options):
    return list(rule.evaluate(p, RuleSettings(options=options)))


def test_epic_overdue_positive_boundary_and_controls():
    p = portfolio([
        item("j:E1", "epic", due=date(2026, 11, 22)),                   # a day late
        item("j:E2", "epic", due=TODAY),                                 # due today: not yet
        item("j:E3", "epic", status="done", due=date(2026, 10, 1)),      # late but done
        item("j:E4", "epic", status="cancelled", due=date(2026, 10, 1)),  # cancelled
        item("j:E5", "epic"),                                            # no due date
        item("j:S1", "story", due=date(2026, 10, 1)),                    # not an epic
    ])
    findings = evaluate(EpicOverdue(), p)
    assert [f.subject_key for f in findings] == ["j:E1"]
    assert findings[0].message == "Epic E1 was due 2026-11-22 and is still doing."
    assert evaluate(EpicOverdue(), p, grace_days=1) == []


def test_blocker_late_across_lines_is_critical():
    p = portfolio(
        [item("jira:PAY-4", sprint_keys=("s:pay-active",)),
         item("clickup:abc", line="Mobile", sprint_keys=("s:mob-next",))],
        [sprint("s:pay-active", (2026, 11, 19), (2026, 12, 3)),
         sprint("s:mob-next", (2026, 12, 3), (2026, 12, 17), "Mobile", "future")],
        [Link("clickup:abc", "jira:PAY-4")],
    )
    (finding,) = evaluate(BlockerScheduledLate(), p)
    assert finding.severity == "critical"
    assert finding.subject_key == "jira:PAY-4" and finding.related_keys == ("clickup:abc",)
    assert "across product lines (Mobile → Payments)" in finding.message


def test_blocker_late_within_a_line_is_a_warning_and_uses_due_dates():
    p = portfolio(
        [item("j:A", due=date(2026, 12, 20)), item("j:B", start=date(2026, 12, 1))],
        links=[Link("j:A", "j:B")],
    )
    (finding,) = evaluate(BlockerScheduledLate(), p)
    assert finding.severity == "warning" and finding.subject_key == "j:B"


def test_blocker_late_controls_stay_silent():
    sprints = [sprint("s:1", (2026, 11, 19), (2026, 12, 3)),
               sprint("s:2", (2026, 12, 3), (2026, 12, 17), state="future")]
    p = portfolio(
        [
            item("j:A", sprint_keys=("s:1",)), item("j:B", sprint_keys=("s:2",)),  # ends as B starts
            item("j:C", status="done", sprint_keys=("s:2",)), item("j:D", sprint_keys=("s:1",)),
            item("j:E"), item("j:F", sprint_keys=("s:1",)),        # blocker unscheduled: other rule
            item("j:G", sprint_keys=("s:2",)), item("j:H", status="done", sprint_keys=("s:1",)),
        ],
        sprints,
        [Link("j:A", "j:B"), Link("j:C", "j:D"), Link("j:E", "j:F"), Link("j:G", "j:H"),
         Link("j:A", "j:missing")],
    )
    assert evaluate(BlockerScheduledLate(), p) == []


def test_engine_applies_settings_and_fingerprints_are_stable():
    p = portfolio([item("j:E1", "epic", due=date(2026, 11, 1))])
    rules = {"epic-overdue": EpicOverdue(), "blocker-scheduled-late": BlockerScheduledLate()}
    (first,) = run_rules(p, rules, {"epic-overdue": RuleSettings(severity="critical")})
    assert first.severity == "critical"
    assert run_rules(p, rules, {"epic-overdue": RuleSettings(enabled=False)}) == []
    renamed = portfolio([WorkItem("j:E1", "epic", "a new title", "In Review", "doing",
                                  due=date(2026, 11, 2))])
    (again,) = run_rules(renamed, rules, {})
    assert again.fingerprint == first.fingerprint
