"""The portfolio's plan lookups answer from shortcuts at scale (issue 14): the newest
sprint worked out once per list of sprint keys, field history skipped for items that
have none. Each is checked here against the plain definition, on random portfolios."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from pmsync.metrics import member_at
from pmsync.model import Change, Sprint, WorkItem
from pmsync.portfolio import Portfolio, end_of_day

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)
SPRINT_KEYS = [f"j:sprint:{n}" for n in range(5)]

sprint_specs = st.lists(st.one_of(st.none(), st.integers(-3, 3)), min_size=5, max_size=5)
# Keys an item lists: known sprints, repeats, and one the portfolio does not hold.
key_lists = st.lists(st.sampled_from([*SPRINT_KEYS, "j:sprint:gone"]), max_size=4).map(tuple)
item_specs = st.lists(st.tuples(key_lists, st.one_of(st.none(), st.integers(-5, 5)),
                                st.one_of(st.none(), st.integers(-5, 5)), st.booleans()),
                      min_size=1, max_size=12)


def newest_by_definition(p: Portfolio, keys: tuple[str, ...]) -> Sprint | None:
    sprints = [p.sprints[k] for k in keys if k in p.sprints]
    dated = [s for s in sprints if s.start is not None]
    return max(dated, key=lambda s: s.start) if dated else (sprints[-1] if sprints else None)


def portfolio_of(sprint_starts, items) -> tuple[Portfolio, list[WorkItem]]:
    sprints = [Sprint(key, key, "closed",
                      start=T0 + timedelta(weeks=w) if w is not None else None,
                      end=T0 + timedelta(weeks=w, days=14) if w is not None else None)
               for key, w in zip(SPRINT_KEYS, sprint_starts, strict=True)]
    made, changes = [], []
    for n, (keys, start, due, history) in enumerate(items):
        made.append(WorkItem(
            f"j:I-{n}", "story", "t", "To Do", "todo", sprint_keys=keys,
            start=date(2026, 11, 10) + timedelta(days=start) if start is not None else None,
            due=date(2026, 11, 20) + timedelta(days=due) if due is not None else None,
            estimate=3.0))
        if history:
            changes += [Change(f"j:I-{n}", "estimate", T0 + timedelta(days=3), "1", "2", "a"),
                        Change(f"j:I-{n}", "sprint", T0 + timedelta(days=5), None, "1", "b")]
    return Portfolio.build(made, sprints, changes=changes, today=date(2026, 11, 23)), made


@settings(max_examples=200, deadline=None)
@given(sprint_specs, item_specs)
def test_plans_are_the_plain_definition_whatever_items_share(sprint_starts, items):
    p, made = portfolio_of(sprint_starts, items)
    for item in made:
        sprint = newest_by_definition(p, item.sprint_keys)
        assert p.latest_sprint(item) is sprint
        start = (sprint.start if sprint is not None and sprint.start is not None else
                 datetime.combine(item.start, time.min, UTC) if item.start else None)
        finish = (sprint.end if sprint is not None and sprint.end is not None else
                  end_of_day(item.due) if item.due else None)
        assert (p.planned_start(item), p.planned_finish(item)) == (start, finish)


@settings(max_examples=100, deadline=None)
@given(sprint_specs, item_specs, st.integers(0, 8))
def test_history_lookups_are_the_plain_definition(sprint_starts, items, day):
    p, made = portfolio_of(sprint_starts, items)
    moment = T0 + timedelta(days=day)
    for item in made:
        history = p.changes.get(item.key, [])
        estimates = [c for c in history if c.field == "estimate"]
        before = [c for c in estimates if c.at <= moment]
        after = [c for c in estimates if c.at > moment]
        expected = before[-1].new if before else after[0].old if after else "3"
        assert p.value_at(item, "estimate", moment, "3") == expected
        for sprint in p.sprints.values():
            moves = [c for c in history if c.field == "sprint"]
            if not moves:
                member = sprint.key in item.sprint_keys
            else:
                was = [c for c in moves if c.at <= moment]
                ids = (was[-1].new if was else moves[0].old) or ""
                member = sprint.key.rsplit(":", 1)[-1] in {i.strip() for i in ids.split(",")}
            assert member_at(p, item, sprint, moment) == member
