"""Step 4: sprint-review reports, rendered from Jinja2 and published.

Templates are looked up in the user's folder, then in plugins' folders, then
in the built-in ``reports/``; autoescape is on for every format we render, so
tracker text can never turn into markup. A page is published to the line's
tracker (e.g. Confluence) and updated in place; a local HTML copy is written too.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

import pmsync
from pmsync import charts, progress
from pmsync.config import RuleSettings
from pmsync.connector import PageRequest
from pmsync.errors import PmsyncError
from pmsync.model import Finding
from pmsync.portfolio import Portfolio
from pmsync.review import MetricSettings, SettingsOf, roadmap, sprint_review
from pmsync.store import PageEntry, content_hash, gc_paused
from pmsync.untrusted import clean, field_text, safe_url
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
    return MD_SPECIAL.sub(r"\\\1", " ".join(field_text(value).splitlines()))


def markup_text(value: Any) -> Any:
    """Every {{ value }} of an HTML or storage-format template, before autoescape: no
    control character (invalid in XML) and no field longer than the field limit."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return field_text(value)
    return value


def md_link(text: Any, url: Any) -> MdSafe:
    """``[text](url)`` for an http(s) URL; the text alone, escaped, for any other."""
    target = safe_url(url)
    return MdSafe(f"[{md_escape(text)}]({target})" if target else md_escape(text))


def link_target(value: Any) -> str:
    """The ``url`` filter: an http(s) URL made inert, or "" (the template drops the link)."""
    return safe_url(value) or ""


def points(value: float) -> str:
    """The ``pts`` filter: story points as people write them (3, 2.5)."""
    return f"{value:g}"


# The per-item pieces of the markup targets, as filters rather than Jinja2 macros: a
# page at a million items shows about 200,000 of them, and a macro call costs ten times
# a filter's. Each escapes exactly as {{ }} does (markup_text, then HTML-escaped).
def item_key(item: Any) -> Markup:
    """The ``key`` filter: the item's name, linked to its page if that is an http(s) URL."""
    name = escape(markup_text(item.name))
    target = link_target(item.url)
    return Markup(f'<a href="{escape(markup_text(target))}">{name}</a>') if target else name


def item_named(item: Any) -> Markup:
    """The ``named`` filter: the linked name, then the title unless the name is the title
    (a ClickUp task without a custom id)."""
    if item.name == item.title:
        return item_key(item)
    return Markup(f"{item_key(item)} {escape(markup_text(item.title))}")


def template_env(ws: Workspace, page_format: str = "html") -> jinja2.Environment:
    folders = [*([ws.config.templates_dir] if ws.config.templates_dir else []),
               *ws.registry.template_dirs, builtin_templates()]
    loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(f)) for f in folders])
    common = {"loader": loader, "undefined": jinja2.StrictUndefined, "trim_blocks": True,
              "lstrip_blocks": True}
    if page_format == "markdown":
        env = jinja2.Environment(autoescape=False, finalize=md_escape, **common)
        env.filters["url"] = lambda value: MdSafe(link_target(value))
        env.filters["md_link"] = md_link
    else:  # HTML and Confluence storage are markup: HTML-escape everything
        env = jinja2.Environment(autoescape=True, finalize=markup_text, **common)
        env.filters["url"] = link_target
        env.filters["key"] = item_key
        env.filters["named"] = item_named
    env.filters["pts"] = points
    return env


@dataclass
class ReportResult:
    line: str  # the product line, or "portfolio" for the roadmap
    title: str
    html_path: Path | None = None
    page_url: str | None = None
    page_version: int | None = None
    page_action: str = "none"  # created / updated / unchanged / none / would-publish
    failure: PmsyncError | None = None  # why it was not (fully) published
    template: str = ""  # which report: "sprint_review", "roadmap"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "report"


# Charts a Confluence page shows as an attached SVG file (its chart macro cannot draw a
# timeline); the others it draws natively with the chart macro, from the data.
ATTACHED_CHARTS = {"roadmap": "roadmap-timeline.svg", "timeline": "line-timeline.svg"}


def chart_markup(target: str, svgs: dict[str, str]) -> dict[str, Any]:
    """Charts as each target shows them: inline SVG in HTML, an image in Markdown, an
    attachment's file name on a Confluence page."""
    if target == "html":
        return {name: Markup(svg) for name, svg in svgs.items()}  # written by XML writers: escaped
    if target == "markdown":
        return {name: MdSafe(charts.data_uri(svg)) for name, svg in svgs.items()}
    return {name: ATTACHED_CHARTS[name] for name in svgs if name in ATTACHED_CHARTS}


def clean_charts(svgs: dict[str, str]) -> dict[str, str]:
    """Charts carry tracker text (sprint names, epic titles): no control characters."""
    return {name: clean(svg) for name, svg in svgs.items()}


def chart_attachments(svgs: dict[str, str]) -> dict[str, tuple[bytes, str]]:
    """file name → (bytes, media type): what a Confluence page attaches."""
    return {ATTACHED_CHARTS[name]: (svg.encode(), "image/svg+xml")
            for name, svg in svgs.items() if name in ATTACHED_CHARTS}


@dataclass(frozen=True)
class ReportJob:
    """One report to render: which template, for whom, published where."""

    line: str  # the product line, or "portfolio"
    template: str  # e.g. "sprint_review" → sprint_review.{html,confluence,markdown}.j2
    title: str
    report_key: str  # its page-ledger key
    file_name: str  # its local HTML file, without .html
    data: dict[str, Any]
    trackers: frozenset[str]  # whose pages it goes to
    svgs: dict[str, str]


def metric_settings(ws: Workspace) -> SettingsOf:
    """Per line, the settings the rules judge by, so the pages show the rules' numbers
    (the forecast at the configured percentile, velocity over the configured sprints)."""
    forecast = ws.registry.rules.get("forecast-after-due")
    overcommitted = ws.registry.rules.get("sprint-overcommitted")

    @functools.cache  # asked per epic by every page: worked out once per line
    def settings_of(line: str | None) -> MetricSettings:
        out = MetricSettings()
        if forecast is not None:
            own = ws.config.rules.get(forecast.id, RuleSettings())
            out = dataclasses.replace(out, forecast=forecast.forecast_settings(own, line))
        if overcommitted is not None:
            own = ws.config.rules.get(overcommitted.id, RuleSettings())
            out = dataclasses.replace(
                out, velocity_sprints=overcommitted.velocity_sprints(own, line))
        return out

    return settings_of


def report_jobs(ws: Workspace, findings: list[Finding], portfolio: Portfolio) -> list[ReportJob]:
    settings_of = metric_settings(ws)
    jobs = []
    for line in ws.config.product_lines:
        review = sprint_review(portfolio, line.name, findings, settings_of)
        home = frozenset({line.selectors[0].tracker}) if line.selectors else frozenset()
        jobs.append(ReportJob(line.name, "sprint_review", f"Sprint review: {line.name}",
                              sprint_review_key(line.name), f"sprint-review-{slug(line.name)}",
                              {"review": review}, home, clean_charts(review.charts)))
    plan = roadmap(portfolio, findings, settings_of)
    every = frozenset(s.tracker for line in ws.config.product_lines for s in line.selectors)
    jobs.append(ReportJob("portfolio", "roadmap", "Portfolio roadmap", "roadmap", "roadmap",
                          {"roadmap": plan}, every, clean_charts(plan.charts)))
    return jobs


def publish_reports(ws: Workspace, findings: list[Finding], portfolio: Portfolio,
                    dry_run: bool = False,
                    skip_trackers: frozenset[str] = frozenset()) -> list[ReportResult]:
    """Every report, each on its own: one that fails (its ``failure`` says why) does not
    stop the others. Trackers in ``skip_trackers`` (unreachable this run) get no pages."""
    envs = {"html": template_env(ws), "confluence": template_env(ws)}
    results = []
    with _gc_quiet():
        jobs = report_jobs(ws, findings, portfolio)
        shown = progress.current()
        shown.publishing(len(jobs))
        for job in jobs:
            result = ReportResult(job.line, job.title, template=job.template)
            try:
                _publish_job(ws, job, envs, portfolio, result, dry_run, skip_trackers)
            except PmsyncError as exc:
                result.failure = exc
                log.warning("reports: %s not published: %s", job.title, exc)
            results.append(result)
            shown.published(job.title)
    return results


@contextmanager
def _gc_quiet() -> Iterator[None]:
    """The cyclic GC paused while pages are built and rendered, as in run_check.

    What the pages are built from makes no reference cycles, but rendering allocates
    millions of small objects, and each full collection then walks every record of the
    portfolio again (at a million items, two thirds of the rendering time). At the end,
    what is still alive (the portfolio's worked-out indexes) goes into the oldest
    generation as it is (freeze, then unfreeze), instead of being walked by the first
    collection after the pause. The few cycles a render leaves (Jinja2's contexts) are
    collected with the oldest generation."""
    with gc_paused():
        try:
            yield
        finally:
            gc.freeze()
            gc.unfreeze()


def published_links(ws: Workspace) -> dict[str, str]:
    """Each product line's sprint-review page as last published, for an alert step run
    on its own (in `pmsync run` the report step hands its fresh URLs over directly)."""
    links = {}
    for line in ws.config.product_lines:
        entry = ws.store.page(sprint_review_key(line.name))
        if entry is not None and entry.url:
            links[line.name] = entry.url
    return links


def review_links(results: list[ReportResult]) -> dict[str, str]:
    """Each product line's sprint-review page, from the report step's own results."""
    return {r.line: r.page_url for r in results if r.template == "sprint_review" and r.page_url}


def sprint_review_key(line: str) -> str:
    return f"sprint-review:{line}"


def _publish_job(ws, job: ReportJob, envs, portfolio: Portfolio, result: ReportResult,
                 dry_run: bool, skip_trackers: frozenset[str]) -> None:
    # A line's page is dated in its site's calendar; the roadmap, spanning sites, in the home one.
    today = (portfolio.today_in(next(iter(job.trackers))) if len(job.trackers) == 1
             else portfolio.today)
    base = {**job.data, "title": job.title, "today": today, "portfolio": portfolio}
    # clean() the whole page too: chart markup and JSON data bypass the per-value finalize.
    html = clean(envs["html"].get_template(f"{job.template}.html.j2").render(
        **base, target="html", charts=chart_markup("html", job.svgs)))
    local_failure: PmsyncError | None = None  # a local copy failing keeps no page back
    if dry_run:
        result.page_action = "would-publish"
    else:
        for publisher in ws.registry.publishers.values():
            try:
                path = publisher.publish(ws.config, job.file_name, html)
            except PmsyncError as exc:
                local_failure = local_failure or exc
                continue
            result.html_path = result.html_path or path
    for tracker in sorted(t for t in job.trackers
                          if t in ws.config.trackers and t not in skip_trackers):
        if not publishes_pages(ws, tracker):
            continue
        connector = ws.connector(tracker)
        fmt = connector.page_format
        env = envs.setdefault(fmt, template_env(ws, fmt))
        body = env.get_template(f"{job.template}.{fmt}.j2").render(
            **base, target=fmt, charts=chart_markup(fmt, job.svgs))
        key = job.report_key if len(job.trackers) == 1 else f"{job.report_key}:{tracker}"
        files = (chart_attachments(job.svgs)
                 if connector.page_images == "attachment" else {})
        _publish_page(ws, tracker, connector, key, job.title, body, result, dry_run, files)
    if local_failure is not None:
        raise local_failure


def publishes_pages(ws: Workspace, tracker: str) -> bool:
    """Whether ``tracker`` has a page target, from its config when its connector's plugin
    can tell (``publishes_pages_for``): a report that only writes local files then makes
    no connector and needs no token. Otherwise the connector is made and asked."""
    config = ws.config.trackers[tracker]
    ask = getattr(ws.registry.connectors[config.kind], "publishes_pages_for", None)
    answer = ask(config) if ask is not None else None
    return ws.connector(tracker).publishes_pages if answer is None else answer


PAGE_TITLE_LIMIT = 255  # Confluence's limit for a page title; ClickUp Doc pages take it too


def _publish_page(ws, tracker, connector, report_key, title, body, result, dry_run,
                  files: dict[str, tuple[bytes, str]]) -> None:
    store = ws.store
    body, title = clean(body), field_text(title, PAGE_TITLE_LIMIT)  # nothing sent unchecked
    # The attached images count too: a chart can change while the page's text does not.
    digest = content_hash(body + "".join(f"\x1f{name}\x1f{data.decode(errors='replace')}"
                                         for name, (data, _) in sorted(files.items())))
    entry = store.page(report_key)
    if entry and entry.body_hash == digest and entry.tracker == tracker:
        result.page_url, result.page_version, result.page_action = (
            entry.url, entry.version, "unchanged")
        return
    if dry_run:  # the alerts still link to the page as it stands
        result.page_url = entry.url if entry else None
        return
    page = connector.publish_page(
        PageRequest(title=title, body=body, page_id=entry.page_id if entry else None,
                    version=entry.version if entry else 0,
                    extra={"attachments": files} if files else {}))
    store.save_page(PageEntry(report_key, tracker, page.page_id, page.version, page.url, digest))
    result.page_url, result.page_version = page.url, page.version
    result.page_action = "created" if page.version == 1 else "updated"
    log.info("reports: %s page %s (version %d) %s", report_key, page.page_id, page.version,
             page.url)
