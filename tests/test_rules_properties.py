"""Property tests for the graph rules, on random graphs (hypothesis)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from pmsync.config import RuleSettings
from pmsync.model import Link, Sprint, WorkItem
from pmsync.portfolio import Portfolio
from pmsync.rules.dependencies import BlockerScheduledLate, DependencyCycle, strongly_connected

NODES = [f"j:N{n}" for n in range(9)]
edges = st.sets(st.tuples(st.sampled_from(NODES), st.sampled_from(NODES)), max_size=30)


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


@settings(max_examples=200, deadline=None)
@given(edges)
def test_cycles_found_are_exactly_the_cycles_of_the_graph(pairs):
    pairs = {(a, b) for a, b in pairs if a != b}
    graph: dict[str, set[str]] = {}
    for a, b in pairs:
        graph.setdefault(a, set()).add(b)
    # By brute force: two nodes share a cycle when each reaches the other.
    reach = {n: reachable(graph, n) for n in NODES}
    expected = {frozenset({n} | {m for m in reach[n] if n in reach[m]})
                for n in NODES if n in reach[n]}
    items = [WorkItem(n, "story", n, "To Do", "todo") for n in NODES]
    portfolio = Portfolio.build(items, links=[Link(a, b) for a, b in pairs])
    found = {frozenset((f.subject_key, *f.related_keys))
             for f in DependencyCycle().evaluate(portfolio, RuleSettings())}
    assert found == expected
    assert len(found) == len(list(DependencyCycle().evaluate(portfolio, RuleSettings())))
    components = [c for c in strongly_connected(graph) if len(c) > 1]
    assert sorted(map(sorted, components)) == sorted(map(sorted, expected))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=6), min_size=len(NODES),
                max_size=len(NODES)), edges)
def test_a_dag_scheduled_in_order_has_no_dependency_finding(rank, pairs):
    """Order nodes by a random rank; keep only edges that go up the order (a DAG) and put
    each node in the sprint of its rank: every blocker ends before its blocked one starts."""
    start = datetime(2026, 11, 2, 9, tzinfo=UTC)
    sprints = [Sprint(f"s:{r}", f"S{r}", "future", start=start + timedelta(days=14 * r),
                      end=start + timedelta(days=14 * (r + 1))) for r in range(7)]
    position = {n: (rank[i], i) for i, n in enumerate(NODES)}
    dag = [Link(a, b) for a, b in pairs if position[a][0] < position[b][0]]
    items = [WorkItem(n, "story", n, "To Do", "todo", sprint_keys=(f"s:{rank[i]}",))
             for i, n in enumerate(NODES)]
    portfolio = Portfolio.build(items, sprints, dag, today=date(2026, 11, 1))
    assert list(BlockerScheduledLate().evaluate(portfolio, RuleSettings())) == []
    assert list(DependencyCycle().evaluate(portfolio, RuleSettings())) == []
