"""Tracker text is untrusted: it renders as text in every report and comment format."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from pmsync.connector import AlertFact, AlertMessage
from pmsync.model import Finding, ProductLine, Selector, Sprint, WorkItem
from pmsync.plugins import Registry
from pmsync.portfolio import Portfolio
from pmsync.reports import sprint_review, template_env
from pmsync_jira.adf import find_marker, render_comment

EVIL = '<script>alert(1)</script> ]]> {code} [link|javascript:alert(1)] <img src=x onerror=y>'


class _Ws:
    class config:  # noqa: N801 - a stand-in for Config
        templates_dir = None

    registry = Registry()


def rendered(template: str) -> str:
    sprint = Sprint("j:sprint:1", EVIL, "active", "Payments",
                    datetime(2026, 11, 19, tzinfo=UTC), datetime(2026, 12, 3, tzinfo=UTC), goal=EVIL)
    item = WorkItem("j:PAY-1", "story", EVIL, EVIL, "doing", "Payments",
                    sprint_keys=("j:sprint:1",), estimate=3, url="https://x/browse/PAY-1")
    epic = WorkItem("j:PAY-2", "epic", EVIL, "To Do", "todo", "Payments", due=date(2026, 12, 1))
    portfolio = Portfolio.build([item, epic], [sprint],
                                product_lines=[ProductLine("Payments", (Selector("j", ()),))])
    finding = Finding("epic-overdue", "warning", "j:PAY-2", "Payments", EVIL)
    review = sprint_review(portfolio, "Payments", [finding])
    return template_env(_Ws()).get_template(template).render(
        review=review, title=EVIL, today=date(2026, 11, 23), portfolio=portfolio)


def test_html_and_confluence_storage_escape_tracker_text():
    for template in ("sprint_review.html.j2", "sprint_review.confluence.j2"):
        body = rendered(template)
        assert "<script>" not in body and "<img" not in body
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
        assert "]]>" not in body  # cannot close a CDATA section in storage format
        assert "[link|javascript:alert(1)]" in body  # inert as text, not a link


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
    assert find_marker("wiki text ... pmsync:0123456789abcdef0123") == "0123456789abcdef0123"
