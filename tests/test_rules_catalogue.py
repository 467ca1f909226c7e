"""Every rule of the catalogue on hand-built portfolios: a positive case, a boundary
that must stay silent, and a control; cross-line and cross-tracker variants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from lines import in_line, lines_of
from pmsync.config import RuleSettings
from pmsync.model import Change, Link, Release, Sprint, WorkItem
from pmsync.portfolio import Baseline, Portfolio
from pmsync.rules import run_rules
from pmsync.rules.dependencies import BlockerCancelled, BlockerUnscheduled, DependencyCycle
from pmsync.rules.drift import (
    ChildAfterEpicDue,
    DueDateSlipped,
    ReleaseSlipped,
    ScopeGrowth,
    StaleEpic,
)
from pmsync.rules.forecast import ForecastAfterDue
from pmsync.rules.sprints import SprintOvercommitted, SprintScopeAdded

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
BASE = Baseline("14 days ago", NOW - timedelta(days=14))


def at(days: float) -> datetime:
    return NOW + timedelta(days=days)


def item(key, kind="story", line="Payments", status="doing", **kw) -> WorkItem:
    kw.setdefault("created", at(-60))
    kw.setdefault("updated", at(-1))
    return WorkItem(key=key, kind=kind, title=f"title of {key}", status=status,
                    status_category=status, facets=in_line(line), **kw)


def sprint(key, start_days, state, line="Payments") -> Sprint:
    return Sprint(key=key, name=key, state=state, facets=in_line(line),
                  start=at(start_days), end=at(start_days + 14))


def portfolio(items, sprints=(), links=(), changes=(), releases=(), baseline=BASE) -> Portfolio:
    return Portfolio.build(items, sprints, links, releases, lines_of(items, sprints),
                           today=TODAY, changes=changes, baseline=baseline)


def keys(rule, p, **options) -> list[tuple[str, tuple[str, ...]]]:
    return [(f.subject_key, f.related_keys)
            for f in rule.evaluate(p, RuleSettings(options=options))]


# drift --------------------------------------------------------------------------------
def test_due_date_slipped_reads_the_changelog_at_the_baseline():
    moved = item("j:E1", "epic", due=date(2027, 1, 30))
    a_little = item("j:E2", "epic", due=date(2027, 1, 8))
    on_boundary = item("j:E3", "epic", due=date(2027, 1, 8))
    later_epic = item("j:E4", "epic", due=date(2027, 3, 1), created=at(-3))  # new since
    changes = [Change("j:E1", "due", at(-5), "2027-01-01", "2027-01-30", "1"),
               Change("j:E2", "due", at(-5), "2027-01-05", "2027-01-08", "2"),
               Change("j:E3", "due", at(-5), "2027-01-01", "2027-01-08", "3")]
    p = portfolio([moved, a_little, on_boundary, later_epic], changes=changes)
    assert keys(DueDateSlipped(), p) == [("j:E1", ())]  # 29 days; 3 and exactly 7 are fine
    assert keys(DueDateSlipped(), p, days=30) == []
    # A named baseline from the store wins over the changelog.
    snapshot = Baseline("q3", at(-20), items={"j:E2": item("j:E2", "epic", due=date(2026, 12, 1))})
    p = portfolio([a_little], baseline=snapshot)
    assert keys(DueDateSlipped(), p) == [("j:E2", ())]
    assert keys(DueDateSlipped(), portfolio([moved], changes=changes, baseline=None)) == []


def test_child_after_epic_due_across_trackers():
    epic = item("jira:E", "epic", due=date(2026, 12, 10))
    late = item("clickup:t1", parent_key="jira:E", sprint_keys=("s:next",))
    fine = item("clickup:t2", parent_key="jira:E", sprint_keys=("s:now",))
    done = item("clickup:t3", parent_key="jira:E", status="done", sprint_keys=("s:next",))
    boundary = item("jira:S", parent_key="jira:E", due=date(2026, 12, 10))  # end of due day
    p = portfolio([epic, late, fine, done, boundary],
                  [sprint("s:now", -4, "active"), sprint("s:next", 10, "future")])
    assert keys(ChildAfterEpicDue(), p) == [("clickup:t1", ("jira:E",))]
    overdue = item("jira:E", "epic", due=date(2026, 11, 1))  # overdue: epic-overdue's job
    assert keys(ChildAfterEpicDue(), portfolio([overdue, late], [sprint("s:next", 10, "future")])) \
        == []


def test_scope_growth_in_points_and_in_items():
    epic = item("j:E", "epic")
    old = [item(f"j:S{n}", parent_key="j:E", estimate=3.0) for n in range(4)]  # 12 points
    new = item("j:N", parent_key="j:E", estimate=3.0, created=at(-2))        # +25 %
    p = portfolio([epic, *old, new])
    assert keys(ScopeGrowth(), p) == [("j:E", ())]
    assert keys(ScopeGrowth(), p, percent=25) == []  # boundary: exactly 25 % is tolerated
    # Re-estimated since: 3 → 5 on one story is growth too.
    bumped = portfolio([epic, *old],
                       changes=[Change("j:S0", "estimate", at(-2), "3", "5", "9")])
    assert keys(ScopeGrowth(), bumped) == []  # current estimate is 3: no growth
    grown = [*old[1:], item("j:S0", parent_key="j:E", estimate=6.0)]
    p = portfolio([epic, *grown], changes=[Change("j:S0", "estimate", at(-2), "3", "6", "9")])
    assert keys(ScopeGrowth(), p) == [("j:E", ())]
    # Unestimated lines count items.
    count = portfolio([epic, *[item(f"j:U{n}", parent_key="j:E") for n in range(4)],
                       item("j:U9", parent_key="j:E", created=at(-1))])
    assert keys(ScopeGrowth(), count) == [("j:E", ())]


def test_release_slipped_and_passed_unreleased():
    past = Release("j:version:1", "1.0", date(2026, 11, 16), released=False)
    done = Release("j:version:2", "0.9", date(2026, 11, 1), released=True)
    later = Release("j:version:3", "2.0", date(2027, 2, 1))
    future_ok = Release("j:version:4", "1.1", date(2027, 1, 1))
    members = [item("j:A", release_keys=("j:version:1",)),
               item("j:B", release_keys=("j:version:2",))]
    base = Baseline("b", at(-14), releases={"j:version:3": Release("j:version:3", "2.0",
                                                                   date(2027, 1, 15)),
                                            "j:version:4": future_ok})
    p = portfolio(members, releases=[past, done, later, future_ok], baseline=base)
    assert sorted(keys(ReleaseSlipped(), p)) == [("j:version:1", ()), ("j:version:3", ())]
    empty_past = portfolio([], releases=[past])  # past, unreleased, but nothing open in it
    assert keys(ReleaseSlipped(), empty_past) == []


def test_stale_epic_and_our_own_comments_do_not_count():
    quiet = item("j:E1", "epic", updated=at(-20))
    busy_child = item("j:E2", "epic", updated=at(-20))
    child = item("j:C", parent_key="j:E2", updated=at(-3))
    todo = item("j:E3", "epic", status="todo", updated=at(-40))
    boundary = item("j:E4", "epic", updated=at(-14))
    p = portfolio([quiet, busy_child, child, todo, boundary])
    assert keys(StaleEpic(), p) == [("j:E1", ())]
    # pmsync's own comment bumped "updated": still stale.
    commented = item("j:E1", "epic", updated=at(-0.01))
    p = Portfolio.build([commented], today=TODAY, our_writes={"j:E1": at(-0.01)})
    assert keys(StaleEpic(), p) == [("j:E1", ())]


def test_forecast_after_due_is_seeded_and_reproducible():
    done = [item(f"j:D{n}", status="done", estimate=5.0, done_at=at(-7 * (n % 6) - 1))
            for n in range(12)]  # 60 points in six weeks: 10 a week
    tight = item("j:E1", "epic", due=date(2026, 12, 7))   # two weeks for 40 points: no
    loose = item("j:E2", "epic", due=date(2027, 3, 1))    # fourteen weeks for 40: yes
    rest = [item(f"{key}-R{n}", parent_key=key, estimate=5.0)
            for key in ("j:E1", "j:E2") for n in range(8)]
    p = portfolio([*done, tight, loose, *rest])
    findings = list(ForecastAfterDue().evaluate(p, RuleSettings()))
    assert [f.subject_key for f in findings] == ["j:E1"]
    assert dict(findings[0].evidence)["remaining"] == "40 points"
    again = list(ForecastAfterDue().evaluate(p, RuleSettings()))
    assert again == findings
    no_pace = portfolio([tight, *rest])  # no throughput: nothing to forecast from
    assert keys(ForecastAfterDue(), no_pace) == []


# dependencies ----------------------------------------------------------------------------
def test_blocker_unscheduled_across_lines_and_trackers():
    blocked = item("jira:A", sprint_keys=("s:1",))
    blocker = item("clickup:x", line="Platform")
    both_open_unscheduled = item("jira:B")
    p = portfolio([blocked, blocker, both_open_unscheduled, item("jira:C", due=date(2027, 1, 1))],
                  [sprint("s:1", -4, "active")],
                  [Link("clickup:x", "jira:A"), Link("clickup:x", "jira:B"),
                   Link("jira:C", "jira:A")])
    findings = list(BlockerUnscheduled().evaluate(p, RuleSettings()))
    assert [(f.subject_key, f.related_keys, f.severity) for f in findings] == [
        ("jira:A", ("clickup:x",), "warning")]  # cross-line: graded up from info


def test_blocker_cancelled_and_controls():
    p = portfolio([item("j:A"), item("j:X", status="cancelled"),
                   item("j:B", status="done"), item("j:Y", line="Mobile", status="cancelled"),
                   item("j:C", status="todo")],
                  links=[Link("j:X", "j:A"), Link("j:X", "j:B"), Link("j:Y", "j:C")])
    findings = list(BlockerCancelled().evaluate(p, RuleSettings()))
    assert [(f.subject_key, f.severity) for f in findings] == [("j:A", "warning"),
                                                               ("j:C", "critical")]


def test_dependency_cycle_reported_once_with_all_members():
    ring = [item("jira:A"), item("clickup:b", line="Platform"), item("jira:C", line="Web")]
    links = [Link("jira:A", "clickup:b"), Link("clickup:b", "jira:C"), Link("jira:C", "jira:A"),
             Link("jira:C", "jira:D")]
    p = portfolio([*ring, item("jira:D")], links=links)
    (finding,) = DependencyCycle().evaluate(p, RuleSettings())
    assert finding.subject_key == "clickup:b" and finding.related_keys == ("jira:A", "jira:C")
    assert finding.severity == "critical" and "3 items" in finding.message
    done_ring = portfolio([item("jira:A"), item("jira:B", status="done")],
                          links=[Link("jira:A", "jira:B"), Link("jira:B", "jira:A")])
    assert keys(DependencyCycle(), done_ring) == []


# sprints ---------------------------------------------------------------------------------
def sprint_portfolio(active_points: float, extra_changes=()) -> Portfolio:
    sprints = [sprint(f"s:{n}", -46 + 14 * n, "closed") for n in range(3)]
    sprints += [sprint("s:3", -4, "active"), sprint("s:4", 10, "future")]
    items = [item(f"j:C{n}{k}", status="done", estimate=5.0, sprint_keys=(f"s:{n}",))
             for n in range(3) for k in range(2)]  # velocity 10
    items += [item("j:A1", estimate=active_points, sprint_keys=("s:3",), created=at(-30))]
    return portfolio(items, sprints, changes=extra_changes)


@pytest.mark.parametrize(("points", "expected"), [(10, []), (12, []), (12.5, ["s:3"])])
def test_sprint_overcommitted_threshold(points, expected):
    assert [s for s, _ in keys(SprintOvercommitted(), sprint_portfolio(points))] == expected


def test_sprint_scope_added_from_the_sprint_history():
    p = sprint_portfolio(8)
    late = item("j:L", estimate=2.0, sprint_keys=("s:3",), created=at(-30))
    changes = [Change("j:L", "sprint", at(-2), "2", "2, 3", "7")]  # moved in after the start
    sprints = list(p.sprints.values())
    with_late = portfolio([*p.items.values(), late], sprints, changes=changes)
    assert keys(SprintScopeAdded(), with_late) == [("s:3", ("j:L",))]  # 2 of 8: +25 %
    small = item("j:L", estimate=0.5, sprint_keys=("s:3",), created=at(-30))
    assert keys(SprintScopeAdded(), portfolio([*p.items.values(), small], sprints,
                                              changes=changes)) == []
    before = [Change("j:L", "sprint", at(-6), "2", "2, 3", "7")]  # joined before the start
    assert keys(SprintScopeAdded(), portfolio([*p.items.values(), late], sprints,
                                              changes=before)) == []
    created_late = item("clickup:t", estimate=2.0, sprint_keys=("s:3",), created=at(-1))
    assert keys(SprintScopeAdded(), portfolio([*p.items.values(), created_late], sprints)) \
        == [("s:3", ("clickup:t",))]  # no history (ClickUp): creation after the start counts


# settings per line -----------------------------------------------------------------------
def test_per_line_thresholds_switches_and_severities():
    rules = {"stale-epic": StaleEpic()}
    p = portfolio([item("j:E1", "epic", updated=at(-20)),
                   item("j:E2", "epic", line="Mobile", updated=at(-20))])
    settings = {"stale-epic": RuleSettings(lines={
        "Mobile": RuleSettings(severity="critical"),
        "Payments": RuleSettings(options={"days": 30})})}
    found = run_rules(p, rules, settings)
    assert [(f.subject_key, f.severity) for f in found] == [("j:E2", "critical")]
    off = {"stale-epic": RuleSettings(lines={"Mobile": RuleSettings(enabled=False)})}
    assert [f.subject_key for f in run_rules(p, rules, off)] == ["j:E1"]
