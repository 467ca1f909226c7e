"""Tracker text is untrusted: it renders as text in every report and comment format."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from pmsync.connector import AlertFact, AlertMessage
from pmsync.model import Finding, Link, ProductLine, Selector, Sprint, WorkItem
from pmsync.plugins import Registry
from pmsync.portfolio import Portfolio
from pmsync.reports import chart_markup, template_env
from pmsync.review import roadmap, sprint_review
from pmsync_jira import wiki
from pmsync_jira.adf import find_marker, render_comment

EVIL = '<script>alert(1)</script> ]]> {code} [link|javascript:alert(1)] <img src=x onerror=y>'


class _Ws:
    class config:  # noqa: N801 - a stand-in for Config
        templates_dir = None

    registry = Registry()


def portfolio_with_evil_text() -> tuple[Portfolio, list[Finding]]:
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    closed = Sprint("j:sprint:0", EVIL, "closed", "Payments", now - timedelta(days=18),
                    now - timedelta(days=4))
    sprint = Sprint("j:sprint:1", EVIL, "active", "Payments", now - timedelta(days=4),
                    now + timedelta(days=10), goal=EVIL)
    epic = WorkItem("j:PAY-2", "epic", EVIL, "To Do", "todo", "Payments", due=date(2026, 12, 1),
                    url="javascript:alert(1)")
    item = WorkItem("j:PAY-1", "story", EVIL, EVIL, "doing", "Payments", parent_key="j:PAY-2",
                    sprint_keys=("j:sprint:1",), estimate=3, url="https://x/browse/PAY-1")
    done = WorkItem("j:PAY-3", "story", EVIL, "Done", "done", "Payments", parent_key="j:PAY-2",
                    sprint_keys=("j:sprint:0",), estimate=2, done_at=now - timedelta(days=6))
    other = WorkItem("j:MOB-1", "story", EVIL, "To Do", "todo", "Mobile",
                     sprint_keys=("j:sprint:1",))
    lines = [ProductLine("Payments", (Selector("j", ()),)), ProductLine("Mobile", ())]
    portfolio = Portfolio.build([item, epic, done, other], [closed, sprint],
                                [Link("j:MOB-1", "j:PAY-1")], product_lines=lines,
                                today=date(2026, 11, 23))
    return portfolio, [Finding("epic-overdue", "warning", "j:PAY-2", "Payments", EVIL)]


def rendered(report: str, target: str) -> str:
    portfolio, findings = portfolio_with_evil_text()
    if report == "sprint_review":
        data = {"review": sprint_review(portfolio, "Payments", findings)}
        svgs = data["review"].charts
    else:
        data = {"roadmap": roadmap(portfolio, findings)}
        svgs = data["roadmap"].charts
    env = template_env(_Ws(), target)
    return env.get_template(f"{report}.{target}.j2").render(
        **data, title=EVIL, today=date(2026, 11, 23), portfolio=portfolio, target=target,
        charts=chart_markup(target, svgs))


@pytest.mark.parametrize("report", ["sprint_review", "roadmap"])
@pytest.mark.parametrize("target", ["html", "confluence"])
def test_html_and_confluence_storage_escape_tracker_text(report, target):
    body = rendered(report, target)
    assert "<script>" not in body and "<img" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "]]>" not in body  # cannot close a CDATA section in storage format
    assert 'href="javascript:' not in body  # a tracker URL that is not http(s) is dropped
    assert "[link|javascript:alert(1)]" in body  # inert as text, not a link


@pytest.mark.parametrize("report", ["sprint_review", "roadmap"])
def test_markdown_escapes_tracker_text(report):
    body = rendered(report, "markdown")
    assert not re.search(r"(?<!\\)<(script|img)", body)  # every < of tracker text is escaped
    assert r"\<script\>" in body
    assert "](javascript" not in body and r"\[link\|javascript:alert\(1\)\]" in body


EVIL_KEY = '<b onclick="x">K-1</b>&'  # a display key (ClickUp custom id) is tracker text too


@pytest.mark.parametrize("report", ["sprint_review", "roadmap"])
@pytest.mark.parametrize("target", ["html", "confluence"])
def test_item_keys_links_and_titles_escape_in_the_markup_targets(report, target):
    """The ``key`` and ``named`` filters write every item cell of these pages (epics,
    sprint items, cross-line links): the display key, the link and the title escaped,
    a link that is not http(s) dropped, exactly as {{ }} escapes."""
    portfolio, findings = portfolio_with_evil_text()
    odd = {"j:PAY-1": 'https://x/browse/PAY-1?a="><script>', "j:PAY-2": "javascript:alert(1)",
           "j:MOB-1": "https://x/browse/MOB-1"}
    items = [replace(i, facets=(("display_key", EVIL_KEY),), url=odd.get(i.key, i.url),
                     product_line=None)
             for i in portfolio.items.values()]
    portfolio = Portfolio.build(items, list(portfolio.sprints.values()),
                                [Link("j:MOB-1", "j:PAY-1")],
                                product_lines=list(portfolio.product_lines),
                                today=date(2026, 11, 23))
    data = ({"review": sprint_review(portfolio, "Payments", findings)}
            if report == "sprint_review" else {"roadmap": roadmap(portfolio, findings)})
    body = template_env(_Ws(), target).get_template(f"{report}.{target}.j2").render(
        **data, title="t", today=date(2026, 11, 23), portfolio=portfolio, target=target,
        charts=chart_markup(target, next(iter(data.values())).charts))
    assert "<b " not in body and "<script>" not in body and 'href="javascript' not in body
    assert "&lt;b onclick=&#34;x&#34;&gt;K-1&lt;/b&gt;&amp;" in body  # the key, as text
    assert "&lt;b onclick=&#34;x&#34;&gt;K-1&lt;/b&gt;&amp; &lt;script&gt;" in body  # + title
    if report == "sprint_review":  # the story in the sprint: linked, its URL made inert
        assert ('<a href="https://x/browse/PAY-1?a=%22%3E%3Cscript%3E">&lt;b onclick='
                in body)


def test_charts_escape_names():
    portfolio, findings = portfolio_with_evil_text()
    review = sprint_review(portfolio, "Payments", findings)
    svg = review.charts["velocity"]
    assert "<script>alert" not in svg and "&lt;script&gt;" in svg
    assert svg == sprint_review(portfolio, "Payments", findings).charts["velocity"]


def test_adf_comment_keeps_text_as_text_and_the_marker_round_trips():
    message = AlertMessage("0123456789abcdef0123", EVIL,
                           (AlertFact("Item", EVIL, link_url="https://x/browse/PAY-1"),), EVIL)
    doc = render_comment(message, lambda key: f"https://x/browse/{key}")
    text = json.dumps(doc)
    nodes = [n for block in doc["content"] for n in block.get("content", [])]
    assert all(n["type"] == "text" for n in nodes)
    assert EVIL in [n["text"] for n in nodes]
    assert '"javascript:' not in text.replace("[link|javascript:", "")  # no href made from text
    assert find_marker(json.loads(text)) == "0123456789abcdef0123"
    # Only the footer counts: a fingerprint quoted in the text is not pmsync's marker.
    quoted = json.loads(text)
    quoted["content"].insert(0, {"type": "paragraph", "content": [
        {"type": "text", "text": "pmsync:fffffffffffffffffff0"}]})
    assert find_marker(quoted) == "0123456789abcdef0123"
    quoted["content"].pop()
    assert find_marker(quoted) is None


def test_wiki_marker_is_read_from_the_footer_line_only():
    message = AlertMessage("0123456789abcdef0123", "pmsync:fffffffffffffffffff0 in a title")
    body = wiki.render_comment(message, lambda key: key)
    assert wiki.find_marker(body) == "0123456789abcdef0123"
    assert wiki.find_marker("wiki text ... pmsync:0123456789abcdef0123\nmore") is None
