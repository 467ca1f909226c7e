"""Property tests for schedule propagation and the knock-on rule (hypothesis).

The propagation (Kahn order, one pass) is checked against a brute-force longest-path
computation that enumerates every path of small random graphs."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from pmsync.config import RuleSettings
from pmsync.model import Link, ProductLine, Release, Selector, WorkItem
from pmsync.portfolio import Portfolio
from pmsync.rules.knock_on import DependencyKnockOn
from pmsync.schedule import DAY, propagate

TODAY = date(2026, 11, 23)
NOW = int(datetime(2026, 11, 23, 12, tzinfo=UTC).timestamp())
N = 8
KEYS = [f"j:N{n}" for n in range(N)]
LINES = ["A", "B", "C"]
PRODUCT_LINES = [ProductLine(line, (Selector("j", (("project", line),)),)) for line in LINES]

node = st.fixed_dictionaries({
    "start": st.one_of(st.none(), st.integers(-20, 40)),
    "length": st.integers(0, 12),
    "due_only": st.booleans(),
    "line": st.sampled_from(LINES),
    "epic": st.booleans(),
    "forecast": st.one_of(st.none(), st.integers(-5, 60)),
    "slip": st.sampled_from([0, 0, 0, 3, 10]),
    "release": st.one_of(st.none(), st.integers(0, 2)),
})
pairs = st.lists(st.tuples(st.integers(0, N - 1), st.integers(0, N - 1)), max_size=16)
parents = st.lists(st.one_of(st.none(), st.integers(0, N - 1)), min_size=N, max_size=N)


def build(nodes, links, parent_of, release_days=(5, 15, 30)):
    items = []
    for n, spec in enumerate(nodes):
        start = TODAY + timedelta(days=spec["start"]) if spec["start"] is not None else None
        due = start + timedelta(days=spec["length"]) if start else None
        parent = parent_of[n]
        items.append(WorkItem(
            KEYS[n], "epic" if spec["epic"] else "story", KEYS[n], "To Do", "todo",
            facets=(("project", spec["line"]),),
            parent_key=KEYS[parent] if parent is not None and parent != n else None,
            start=None if spec["due_only"] else start, due=due,
            release_keys=(f"j:r{spec['release']}",) if spec["release"] is not None else ()))
    releases = [Release(f"j:r{r}", f"r{r}", TODAY + timedelta(days=d))
                for r, d in enumerate(release_days)]
    return Portfolio.build(items, links=[Link(KEYS[a], KEYS[b]) for a, b in links],
                           releases=releases, today=TODAY, product_lines=PRODUCT_LINES)


def brute_force(p: Portfolio, nodes, edges):
    """Earliest finish of every node as the longest path over all paths ending there.

    edges: (a, b, kind), kind "link" (b starts after a finishes) or "child" (b, the parent,
    finishes after a). A path u → ... → v is worth its source value at u (planned start +
    duration, a forecast, or now) plus, for every node it enters by a link, that node's
    planned duration, plus every slip on it."""
    ps, pf, dur, src, slip = {}, {}, {}, {}, {}
    for n, key in enumerate(KEYS):
        item = p.items[key]
        s, f = p.planned_start(item), p.planned_finish(item)
        ps[n] = int(s.timestamp()) if s else None
        pf[n] = int(f.timestamp()) if f else None
        dur[n] = pf[n] - ps[n] if ps[n] is not None and pf[n] is not None else 0
        base = ps[n] if ps[n] is not None else pf[n]
        src[n] = [v for v in (base + dur[n] if base is not None else None,
                              _forecast(nodes[n])) if v is not None]
        slip[n] = nodes[n]["slip"] * DAY
    into = {n: [(a, kind) for a, b, kind in edges if b == n] for n in range(N)}

    def paths_into(v, seen):
        """Every (value added after the path's source, source node) of paths ending at v."""
        yield slip[v], v
        for a, kind in into[v]:
            if a in seen:
                continue
            for added, source in paths_into(a, seen | {a}):
                yield added + (dur[v] if kind == "link" else 0) + slip[v], source

    ef = {}
    for v in range(N):
        found = list(paths_into(v, {v}))
        sources = [(added, u) for added, u in found if src[u]]
        if not sources:
            ef[v] = None
            continue
        # Every node with a finish also finishes no earlier than now: a source of its own.
        defined = {u for _, u in found if _defined(u, into, src)}
        ef[v] = max([max(src[u]) + added for added, u in sources]
                    + [NOW + added for added, u in found if u in defined])
    return ef


def _forecast(spec):
    if spec["forecast"] is None or not spec["epic"]:
        return None
    return int(datetime.combine(TODAY + timedelta(days=spec["forecast"]),
                                datetime.max.time(), UTC).timestamp())


def _defined(u, into, src, seen=frozenset()):
    return bool(src[u]) or any(_defined(a, into, src, seen | {u})
                               for a, _ in into[u] if a not in seen | {u})


def forecasts_of(nodes):
    return {KEYS[n]: TODAY + timedelta(days=spec["forecast"]) for n, spec in enumerate(nodes)
            if spec["epic"] and spec["forecast"] is not None}


def slips_of(nodes):
    return {KEYS[n]: spec["slip"] for n, spec in enumerate(nodes) if spec["slip"]}


def dag(rank, links, parent_of):
    """Keep only edges up a random order: links a → b and child → parent."""
    order = {n: (rank[n], n) for n in range(N)}
    links = {(a, b) for a, b in links if order[a] < order[b]}
    parent_of = [p if p is not None and order[n] < order[p] else None
                 for n, p in enumerate(parent_of)]
    return links, parent_of


def edges_of(links, parent_of):
    return ([(a, b, "link") for a, b in links]
            + [(n, p, "child") for n, p in enumerate(parent_of) if p is not None and p != n])


@settings(max_examples=300, deadline=None)
@given(st.lists(node, min_size=N, max_size=N), st.permutations(range(N)), pairs, parents)
def test_propagated_dates_equal_the_longest_paths(nodes, rank, links, parent_of):
    links, parent_of = dag(rank, links, parent_of)
    p = build(nodes, links, parent_of)
    schedule = propagate(p, forecasts_of(nodes), slips_of(nodes))
    expected = brute_force(p, nodes, edges_of(links, parent_of))
    got = {n: schedule.dates(KEYS[n]).earliest_finish for n in range(N)}
    assert {n: int(v.timestamp()) if v else None for n, v in got.items()} == expected
    for n in range(N):  # the chain to every node only goes through what drives it
        chain = [schedule.dates(k) for k in schedule.chain_keys(KEYS[n])]
        assert all(h.driver == prev.key for prev, h in zip(chain, chain[1:], strict=False))
        assert chain[-1].links == sum(h.reason == "blocked" for h in chain[1:])


def knock_on_findings(p, **options):
    return {(f.subject_key, f.related_keys)
            for f in DependencyKnockOn().evaluate(p, RuleSettings(options=options))}


@settings(max_examples=200, deadline=None)
@given(st.lists(node, min_size=N, max_size=N), st.permutations(range(N)), pairs, parents,
       st.lists(st.integers(0, 30), min_size=N, max_size=N), st.integers(0, 30))
def test_adding_slack_never_adds_a_finding(nodes, rank, links, parent_of, more, later):
    """Later due dates, later release dates, or a higher threshold: never a new finding."""
    links, parent_of = dag(rank, links, parent_of)
    p = build(nodes, links, parent_of)
    before = knock_on_findings(p)
    # An epic's due date is a deadline for its children; when the epic is itself linked or
    # has a parent, it is also a plan other dates hang on, and moving it is no longer slack.
    linked = {a for a, _ in links} | {b for _, b in links}
    free = [spec["epic"] and n not in linked and parent_of[n] is None
            for n, spec in enumerate(nodes)]
    roomier = build([{**spec, "length": spec["length"] + extra} if grow else spec
                     for spec, extra, grow in zip(nodes, more, free, strict=True)],
                    links, parent_of, release_days=(5 + later, 15 + later, 30 + later))
    assert knock_on_findings(roomier) <= before
    assert knock_on_findings(p, min_days_late=1 + later) <= before


@settings(max_examples=300, deadline=None)
@given(st.lists(node, min_size=N, max_size=N), pairs, parents)
def test_graphs_with_cycles_terminate_and_date_the_rest(nodes, links, parent_of):
    """Any graph: every node is processed once; the result equals the longest paths of the
    graph without the edges inside its cycles (those are dependency-cycle's finding)."""
    p = build(nodes, links, parent_of)
    schedule = propagate(p, forecasts_of(nodes), slips_of(nodes))
    assert sorted(schedule.order) == list(range(N))
    edges = [e for e in edges_of({(a, b) for a, b in links if a != b}, parent_of)]
    reach = {n: _reachable(edges, n) for n in range(N)}
    acyclic = [(a, b, kind) for a, b, kind in edges if not (b in reach[a] and a in reach[b])]
    expected = brute_force(p, nodes, acyclic)
    got = {n: schedule.dates(KEYS[n]).earliest_finish for n in range(N)}
    assert {n: int(v.timestamp()) if v else None for n, v in got.items()} == expected


def _reachable(edges, start):
    seen, todo = set(), [start]
    while todo:
        at = todo.pop()
        for a, b, _ in edges:
            if a == at and b not in seen:
                seen.add(b)
                todo.append(b)
    return seen


def test_slipping_more_never_breaks_less():
    """A monotone what-if: the 14-day slip breaks a superset of what no slip breaks."""
    from pmsync.schedule import impact

    nodes = [{"start": 3 * n, "length": 2, "due_only": False, "line": LINES[n % 3],
              "epic": False, "forecast": None, "slip": 0, "release": n % 3} for n in range(N)]
    p = build(nodes, [(n, n + 1) for n in range(N - 1)], [None] * N)
    small, large = impact(p, KEYS[0], 0), impact(p, KEYS[0], 14)
    assert {b.key for b in small.broken} <= {b.key for b in large.broken}
    assert large.broken and dataclasses.asdict(large.subject.item) == dataclasses.asdict(
        p.items[KEYS[0]])
