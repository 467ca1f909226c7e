"""Charts for the reports, drawn by pygal (SVG) rather than by hand.

Every chart renders the same bytes for the same data (pygal's random ids and
its dated comment are replaced), so an unchanged report makes no new page
version. Text in a chart (sprint names, epic titles) is escaped by the XML
writer. No external scripts: the charts work offline and in a sandboxed page.
"""

from __future__ import annotations

import base64
import re
from datetime import date

import pygal
from pygal.style import Style

STYLE = Style(
    background="white", plot_background="white", foreground="#172b4d",
    foreground_strong="#172b4d", foreground_subtle="#6b778c",
    colors=("#0052cc", "#36b37e", "#ff8b00", "#de350b", "#6554c0"),
    font_family="system-ui, sans-serif",
)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def _options(**extra) -> dict:
    return {"js": [], "disable_xml_declaration": True, "style": STYLE, "width": 720,
            "height": 320, "explicit_size": True, "legend_at_bottom": True,
            "print_values": False, **extra}


def _render(chart, name: str) -> str:
    svg = chart.render(is_unicode=True)
    svg = _UUID.sub(name, svg)
    return _COMMENT.sub("", svg)


def velocity_svg(rows: list[tuple[str, float, float]]) -> str:
    """rows: (sprint name, committed points, completed points), oldest first."""
    chart = pygal.Bar(**_options(title="Velocity: committed vs completed points",
                                 include_x_axis=True))
    chart.x_labels = [name for name, _, _ in rows]
    chart.add("Committed", [committed for _, committed, _ in rows])
    chart.add("Completed", [completed for _, _, completed in rows])
    return _render(chart, "velocity")


def burndown_svg(points: list[tuple[str, float]], days_total: int) -> str:
    """points: (ISO day, points left) from the sprint's first day; an ideal line beside."""
    chart = pygal.Line(**_options(title="Burndown: points left", show_dots=True,
                                  x_label_rotation=30, include_x_axis=True))
    chart.x_labels = [day[5:] for day, _ in points]
    chart.add("Points left", [left for _, left in points])
    if points and days_total > 0:
        start = points[0][1]
        chart.add("Ideal", [max(start - start * n / days_total, 0) for n in range(len(points))])
    return _render(chart, "burndown")


def roadmap_svg(bars: list[tuple[str, date, date, date | None]], today: date) -> str:
    """bars: (label, start, due, p85 forecast or None): a timeline, one row per epic."""
    chart = pygal.DateLine(**_options(
        title="Roadmap: start → due (dotted: forecast p85)", height=max(240, 60 + 26 * len(bars)),
        width=960, x_label_rotation=30, show_legend=False, dots_size=3, truncate_label=40,
        stroke_style={"width": 6}))
    chart.y_labels = [{"label": label, "value": len(bars) - index}
                      for index, (label, *_) in enumerate(bars)]
    for index, (label, start, due, p85) in enumerate(bars):
        row = len(bars) - index
        chart.add(label, [(start, row), (due, row)])
        if p85 is not None and p85 > due:
            chart.add(f"{label} forecast", [(due, row), (p85, row)],
                      stroke_style={"width": 2, "dasharray": "4, 4"})
    chart.add("today", [(today, 0), (today, len(bars) + 1)], stroke_style={"width": 1})
    return _render(chart, "roadmap")


def data_uri(svg: str) -> str:
    """For Markdown targets: the chart as an image link."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
