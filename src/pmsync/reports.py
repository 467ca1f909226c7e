"""Step 4: sprint-review reports, rendered from Jinja2 and published.

Templates are looked up in the user's folder, then in plugins' folders, then
in the built-in ``reports/``; autoescape is on for every format we render, so
tracker text can never turn into markup. A page is published to the line's
tracker (e.g. Confluence) and updated in place; a local HTML copy is written too.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

import pmsync
from pmsync.connector import PageRequest
from pmsync.model import Finding, Sprint, WorkItem, split_key
from pmsync.portfolio import Portfolio
from pmsync.store import PageEntry, content_hash
from pmsync.workspace import Workspace

log = logging.getLogger("pmsync.reports")


def builtin_templates() -> Path:
    """Inside the wheel: pmsync/reports; in a source checkout: <repo>/reports."""
    packaged = Path(pmsync.__file__).parent / "reports"
    return packaged if packaged.is_dir() else Path(pmsync.__file__).parents[2] / "reports"


class MdSafe(str):
    """Markdown that pmsync wrote itself (links it built): the escaper leaves it alone."""


MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&])")


def md_escape(value: Any) -> str:
    """Every {{ value }} of a Markdown template: tracker text can never become markup."""
    if value is None:
        return ""
    if isinstance(value, MdSafe):
        return value
    return MD_SPECIAL.sub(r"\\\1", " ".join(str(value).splitlines()))


def safe_url(value: Any) -> str:
    """Only http(s) links, with the characters that could end a link percent-encoded."""
    url = str(value or "")
    if not url.startswith(("http://", "https://")):
        return ""
    return quote(url, safe=":/?#=&%.~_+,;@!$*-")


def template_env(ws: Workspace, page_format: str = "html") -> jinja2.Environment:
    folders = [*([ws.config.templates_dir] if ws.config.templates_dir else []),
               *ws.registry.template_dirs, builtin_templates()]
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(f)) for f in folders])
    common = {"loader": loader, "undefined": jinja2.StrictUndefined, "trim_blocks": True,
              "lstrip_blocks": True}
    if page_format == "markdown":
        env = jinja2.Environment(autoescape=False, finalize=md_escape, **common)
        env.filters["url"] = lambda value: MdSafe(safe_url(value))
    else:  # HTML and Confluence storage are markup: HTML-escape everything
        env = jinja2.Environment(autoescape=True, **common)
        env.filters["url"] = safe_url
    return env


@dataclass
class ReportResult:
    line: str
    title: str
    html_path: Path | None = None
    page_url: str | None = None
    page_version: int | None = None
    page_action: str = "none"  # created / updated / unchanged / none / would-publish


@dataclass
class SprintReview:
    line: str
    sprint: Sprint | None
    items: list[WorkItem] = field(default_factory=list)
    epics: list[dict[str, Any]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    velocity: list[dict[str, Any]] = field(default_factory=list)

    @property
    def committed_points(self) -> float:
        return sum(i.estimate or 0 for i in self.items)

    @property
    def completed_points(self) -> float:
        return sum(i.estimate or 0 for i in self.items if i.status_category == "done")


def sprint_review(portfolio: Portfolio, line: str, findings: list[Finding]) -> SprintReview:
    sprints = portfolio.sprints_of_line(line)
    active = [s for s in sprints if s.state == "active"]
    closed = [s for s in sprints if s.state == "closed"]
    sprint = active[-1] if active else (closed[-1] if closed else None)
    items = sorted(portfolio.items_in_sprint(sprint.key), key=lambda i: _natural(i.key)) \
        if sprint else []
    epics = []
    for epic in sorted((i for i in portfolio.items.values()
                        if i.kind == "epic" and i.product_line == line),
                       key=lambda i: _natural(i.key)):
        children = portfolio.children.get(epic.key, [])
        total = sum(c.estimate or 0 for c in children)
        done = sum(c.estimate or 0 for c in children if c.status_category == "done")
        epics.append({"item": epic, "total": total, "done": done,
                      "percent": round(100 * done / total) if total else 0})
    velocity = []
    for past in closed[-5:]:
        members = portfolio.items_in_sprint(past.key)
        velocity.append({
            "sprint": past,
            "committed": sum(i.estimate or 0 for i in members),
            "completed": sum(i.estimate or 0 for i in members if i.status_category == "done"),
        })
    return SprintReview(
        line=line, sprint=sprint, items=items, epics=epics,
        findings=[f for f in findings if f.product_line == line], velocity=velocity,
    )


def _natural(key: str) -> tuple[str, int]:
    native = split_key(key)[1]
    head, _, number = native.rpartition("-")
    return (head, int(number)) if number.isdigit() else (native, 0)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "report"


def publish_reports(ws: Workspace, findings: list[Finding], portfolio: Portfolio,
                    dry_run: bool = False) -> list[ReportResult]:
    env = template_env(ws)
    envs = {"html": env, "confluence": env}
    results = []
    for line in ws.config.product_lines:
        review = sprint_review(portfolio, line.name, findings)
        title = f"Sprint review: {line.name}"
        context = {"review": review, "title": title, "today": portfolio.today,
                   "portfolio": portfolio}
        result = ReportResult(line.name, title)
        html = env.get_template("sprint_review.html.j2").render(context)
        if dry_run:
            result.page_action = "would-publish"
        else:
            for publisher in ws.registry.publishers.values():
                path = publisher.publish(ws.config, f"sprint-review-{slug(line.name)}", html)
                result.html_path = result.html_path or path
        tracker = line.selectors[0].tracker if line.selectors else None
        connector = ws.connector(tracker) if tracker else None
        if connector is not None and getattr(connector, "publishes_pages", False):
            fmt = connector.page_format
            page_env = envs.setdefault(fmt, template_env(ws, fmt))
            body = page_env.get_template(f"sprint_review.{fmt}.j2").render(context)
            _publish_page(ws, tracker, connector, f"sprint-review:{line.name}", title, body,
                          result, dry_run)
        results.append(result)
    return results


def _publish_page(ws, tracker, connector, report_key, title, body, result, dry_run) -> None:
    store = ws.store
    digest = content_hash(body)
    entry = store.page(report_key)
    if entry and entry.body_hash == digest and entry.tracker == tracker:
        result.page_url, result.page_version, result.page_action = (
            entry.url, entry.version, "unchanged")
        return
    if dry_run:
        return
    page = connector.publish_page(
        PageRequest(title=title, body=body, page_id=entry.page_id if entry else None,
                    version=entry.version if entry else 0))
    store.save_page(PageEntry(report_key, tracker, page.page_id, page.version, page.url, digest))
    result.page_url, result.page_version = page.url, page.version
    result.page_action = "created" if page.version == 1 else "updated"
    log.info("reports: %s page %s (version %d) %s", report_key, page.page_id, page.version,
             page.url)
