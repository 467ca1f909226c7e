"""Sprint-review numbers against figures worked out by hand from Jira's Sprint Report
definitions (committed at start, added, removed, completed, not completed, carried over)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pmsync.model import Change, ProductLine, Selector, Sprint, WorkItem
from pmsync.portfolio import Portfolio
from pmsync.sprint_numbers import Tally, burndown, sprint_numbers, velocity

START = datetime(2026, 11, 2, 9, tzinfo=UTC)
END = START + timedelta(days=14)
PAY = (("project", "PAY"),)
PAYMENTS = ProductLine("Payments", (Selector("j", PAY),))


def day(offset: float) -> datetime:
    return START + timedelta(days=offset)


def story(key, points, sprints, status="doing", done_at=None) -> WorkItem:
    return WorkItem(key, "story", key, status, status, facets=PAY, sprint_keys=sprints,
                    estimate=points, done_at=done_at, created=day(-30))


def moved(key, at, old, new, n) -> Change:
    return Change(key, "sprint", at, old, new, f"{key}-{n}")


def build() -> tuple[Portfolio, Sprint]:
    sprint = Sprint("j:sprint:10", "PAY Sprint 10", "closed", start=START, end=END, completed=END,
                    facets=PAY)
    following = Sprint("j:sprint:11", "PAY Sprint 11", "active", start=END,
                       end=END + timedelta(14), facets=PAY)
    items = [
        story("j:A", 3, ("j:sprint:10",), "done", day(5)),           # committed, completed
        story("j:B", 8, ("j:sprint:10", "j:sprint:11")),             # re-estimated 5→8, carried
        story("j:C", 2, ("j:sprint:10",), "done", day(5)),           # added, completed
        story("j:D", 1, ()),                                         # committed, removed
        story("j:E", 2, ()),                                         # added, then removed
        story("j:F", 2, ("j:sprint:10",), "done", day(16)),          # done after the sprint
    ]
    changes = [
        moved("j:A", day(-2), None, "10", 1),
        moved("j:B", day(-2), None, "10", 1),
        Change("j:B", "estimate", day(3), "5", "8", "j:B-2"),
        moved("j:B", day(14.1), "10", "10, 11", 3),
        moved("j:C", day(2), None, "10", 1),
        moved("j:D", day(-2), None, "10", 1),
        moved("j:D", day(4), "10", None, 2),
        moved("j:E", day(1), None, "10", 1),
        moved("j:E", day(6), "10", None, 2),
        moved("j:F", day(-1), None, "10", 1),
    ]
    portfolio = Portfolio.build(items, [sprint, following], today=date(2026, 11, 23),
                                changes=changes, product_lines=[PAYMENTS])
    return portfolio, portfolio.sprints[sprint.key]


def test_numbers_match_the_hand_worked_sprint_report():
    portfolio, sprint = build()
    n = sprint_numbers(portfolio, sprint)
    # By hand: committed A 3 + B 5 (its estimate at the start) + D 1 + F 2.
    assert n.committed == Tally(4, 11)
    assert n.added == Tally(2, 4) and sorted(n.added_keys) == ["j:C", "j:E"]       # C 2, E 2
    assert n.removed == Tally(2, 3) and sorted(n.removed_keys) == ["j:D", "j:E"]   # D 1, E 2
    assert n.completed == Tally(2, 5)                                              # A 3, C 2
    assert n.not_completed == Tally(2, 10)        # B at 8 now, F (done only after the end)
    assert n.carried_over == ["j:B"]              # B moved on to sprint 11; F did not


def test_burndown_follows_scope_and_completion():
    portfolio, sprint = build()
    points = dict(burndown(portfolio, sprint))
    assert points["2026-11-02"] == 11   # A 3, B 5, D 1, F 2 on the first day
    assert points["2026-11-03"] == 13   # E (2) joined
    assert points["2026-11-04"] == 15   # C (2) joined
    assert points["2026-11-05"] == 18   # B re-estimated 5 → 8
    assert points["2026-11-16"] == 10   # at the end: B 8 and F 2 left


def test_velocity_is_committed_vs_completed_of_closed_sprints():
    portfolio, _ = build()
    ((sprint, committed, completed),) = velocity(portfolio, "Payments")
    assert sprint.key == "j:sprint:10" and committed.points == 11 and completed.points == 5
