"""Long lists on a report page: at most LISTED rows each, then how many were left out and
the whole list counted (a portfolio of a million items would otherwise render pages of
hundreds of thousands of rows); the timeline's lanes draw at most BARS_PER_LANE epics."""

from __future__ import annotations

import random
import re
from datetime import date, timedelta

import pytest

from lines import in_line, lines_of
from pmsync.model import Finding, Link, WorkItem
from pmsync.plugins import Registry
from pmsync.portfolio import Portfolio
from pmsync.reports import chart_markup, template_env
from pmsync.review import LISTED, roadmap, sprint_review
from pmsync.timeline import BARS_PER_LANE

TODAY = date(2026, 11, 23)
EPICS = BARS_PER_LANE + 30
LINKS = LISTED + 60  # Payments stories blocked by Mobile ones
CLOSED = 40  # of those links, both ends done: listed after the open ones


class _Ws:
    class config:  # noqa: N801 - a stand-in for Config
        templates_dir = None

    registry = Registry()


def big_portfolio(shuffle: int | None = None) -> tuple[Portfolio, list[Finding]]:
    epics = [WorkItem(f"j:PAY-{n}", "epic", f"Epic {n}", "To Do", "todo",
                      start=TODAY, due=TODAY + timedelta(days=10 + n), facets=in_line("Payments"))
             for n in range(1, EPICS + 1)]
    late_epic = epics[-1]  # due last: drawn only because a conflict involves it
    ours, theirs, links = [], [], []
    for n in range(LINKS):
        done = n < CLOSED
        status = ("Done", "done") if done else ("To Do", "todo")
        ours.append(WorkItem(f"j:PAY-{1000 + n}", "story", f"Ours {n}", *status,
                             parent_key=late_epic.key if n == LINKS - 1 else epics[0].key,
                             facets=in_line("Payments")))
        theirs.append(WorkItem(f"j:MOB-{1000 + n}", "story", f"Theirs {n}", *status,
                               facets=in_line("Mobile")))
        links.append(Link(theirs[-1].key, ours[-1].key))
    mobile_epic = WorkItem("j:MOB-1", "epic", "Mobile epic", "To Do", "todo", start=TODAY,
                           due=TODAY + timedelta(days=30), facets=in_line("Mobile"))
    theirs[-1] = WorkItem(theirs[-1].key, "story", "Theirs last", "To Do", "todo",
                          parent_key=mobile_epic.key, facets=in_line("Mobile"))
    items = [*epics, *ours, *theirs, mobile_epic]
    if shuffle is not None:  # the order a store hands records back in (PostgreSQL: any)
        random.Random(shuffle).shuffle(items)
        random.Random(shuffle).shuffle(links)
    portfolio = Portfolio.build(items, links=links, product_lines=lines_of(items), today=TODAY)
    # the last link is in conflict: its epics must be on the timeline whatever the cut
    findings = [Finding("blocker-scheduled-late", "critical", ours[-1].key, "Payments",
                        "late blocker", related_keys=(theirs[-1].key,))]
    findings += [Finding("epic-overdue", "warning", e.key, "Payments", f"{e.name} is late")
                 for e in epics[: LISTED + 5]]  # most severe first, as the rules hand them
    return portfolio, findings


def render(report: str, target: str, shuffle: int | None = None) -> tuple[object, str]:
    portfolio, findings = big_portfolio(shuffle)
    data = ({"review": sprint_review(portfolio, "Payments", findings)} if report == "sprint_review"
            else {"roadmap": roadmap(portfolio, findings)})
    svgs = next(iter(data.values())).charts
    body = template_env(_Ws(), target).get_template(f"{report}.{target}.j2").render(
        **data, title="t", today=TODAY, portfolio=portfolio, target=target,
        charts=chart_markup(target, svgs))
    return next(iter(data.values())), body


@pytest.mark.parametrize("target", ["html", "markdown"])
def test_sprint_review_lists_the_first_rows_and_counts_the_rest(target):
    review, body = render("sprint_review", target)
    assert len(review.depends_on) == LISTED and review.depended_by == []
    assert all(ours.is_open for ours, _ in review.depends_on)  # open links first
    assert review.links_more == LINKS - LISTED
    assert review.links_by_line == [("Mobile", LINKS, 0)]  # every link counted
    assert f"… and {LINKS - LISTED} more (open ones are listed first)" in body
    assert len(review.findings) == LISTED and review.findings[0].severity == "critical"
    assert f"… and {LISTED + 6 - LISTED} more (the most severe are listed)" in body
    cells = "<td>Mobile</td><td>%d</td><td>0</td>" if target == "html" else "| Mobile | %d | 0 |"
    assert cells % LINKS in body


def test_roadmap_counts_its_links_by_pair_of_lines():
    plan, body = render("roadmap", "html")
    open_links = LINKS - CLOSED
    assert len(plan.edges) == LISTED and plan.edges[0][2]  # the conflict first
    assert plan.edges_more == open_links - LISTED
    assert plan.edge_lines == [("Mobile", "Payments", open_links, 1)]
    assert f"<td>Mobile</td><td>Payments</td><td>{open_links}</td><td>1</td>" in body


def test_a_lane_draws_at_most_its_bars_and_says_how_many_it_left_out():
    plan, body = render("roadmap", "html")
    bars = [bar for lane in plan.timeline.lanes if lane.line == "Payments" for bar in lane.bars]
    assert len(bars) == BARS_PER_LANE and plan.timeline.hidden == EPICS - BARS_PER_LANE
    assert f"j:PAY-{EPICS}" in {bar.key for bar in bars}  # due last, but in the conflict
    assert plan.timeline.arrows  # so its arrow has both ends
    assert re.search(rf"{EPICS - BARS_PER_LANE} more epics not drawn", body)


@pytest.mark.parametrize("report", ["sprint_review", "roadmap"])
def test_pages_do_not_depend_on_the_order_the_store_hands_records_back(report):
    """PostgreSQL returns rows in heap order, which every UPDATE changes: the same
    portfolio in another order must give the same page, or an unchanged page is
    published again (seen after a kill -9 and rerun on PostgreSQL)."""
    _, body = render(report, "html")
    for seed in (1, 2, 3):
        assert render(report, "html", shuffle=seed)[1] == body
