"""Charts for the reports, drawn by pygal (SVG) rather than by hand.

The roadmap timeline is drawn here by hand (pygal has no Gantt chart) with
ElementTree, whose writer escapes every text and attribute.

Every chart renders the same bytes for the same data (pygal's random ids and
its dated comment are replaced), so an unchanged report makes no new page
version. Text in a chart (sprint names, epic titles) is escaped by the XML
writer. No external scripts: the charts work offline and in a sandboxed page.
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pygal
from pygal.style import Style

from pmsync.timeline import Bar, Timeline

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


def data_uri(svg: str) -> str:
    """For Markdown targets: the chart as an image link."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


# The timeline --------------------------------------------------------------------------
LANE_COLORS = ("#0052cc", "#00875a", "#6554c0", "#ff991f", "#00a3bf", "#5e6c84")
LATE, CONFLICT, TODAY = "#de350b", "#de350b", "#bf2600"
ROW, LANE_HEAD, LABEL_W, WIDTH, RELEASE_ROWS = 22, 26, 330, 1040, 3


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: object) -> ET.Element:
    node = ET.SubElement(parent, tag, {k.rstrip("_").replace("_", "-"): str(v)
                                       for k, v in attrs.items()})
    if text is not None:
        node.text = text
    return node


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _bar_tooltip(bar: Bar, percentile: float) -> str:
    start = bar.start.isoformat() if bar.start_known else "no start date"
    parts = [_short(bar.named, 300), f"{start} → due {bar.due.isoformat()}"]
    if bar.forecast:
        parts.append(f"forecast p{percentile:g}: {bar.forecast.isoformat()}"
                     + (" (after due)" if bar.late else ""))
    return "\n".join([*parts, *bar.marks])


def timeline_svg(timeline: Timeline, name: str = "timeline",
                 title: str = "Roadmap: epics from start to due") -> str:
    """One bar per epic, lanes per product line, today, forecasts, releases, conflicts."""
    first, last = timeline.span
    total = max((last - first).days, 1)
    x0, x1 = LABEL_W + 10, WIDTH - 20
    # below the title, the month axis and (when there are releases) the release band
    top = 60 + 12 * RELEASE_ROWS if timeline.milestones else 52
    rows: dict[str, float] = {}  # bar key → its centre line
    y = top
    for lane in timeline.lanes:
        y += LANE_HEAD
        for bar in lane.bars:
            rows[bar.key] = y + ROW / 2
            y += ROW
    height = y + 56

    def x(day: date) -> float:
        return round(x0 + (day - first).days / total * (x1 - x0), 1)

    svg = ET.Element("svg", {
        "xmlns": "http://www.w3.org/2000/svg", "class": "timeline", "id": name,
        "width": str(WIDTH), "height": str(height), "viewBox": f"0 0 {WIDTH} {height}",
        "font-family": "system-ui, sans-serif", "font-size": "12", "role": "img"})
    _el(svg, "title", f"Roadmap timeline: {len(timeline.bars)} epics, today {timeline.today}")
    defs = _el(svg, "defs")
    marker = _el(defs, "marker", id=f"{name}-arrow", viewBox="0 0 10 10", refX=9, refY=5,
                 markerWidth=7, markerHeight=7, orient="auto-start-reverse")
    _el(marker, "path", d="M0,0 L10,5 L0,10 z", fill=CONFLICT)
    _el(svg, "rect", x=0, y=0, width=WIDTH, height=height, fill="white")
    _el(svg, "text", title, x=10, y=20, font_size=15,
        font_weight="bold", fill="#172b4d")

    axis = _el(svg, "g", class_="axis")
    month = date(first.year, first.month, 1)
    while month <= last:
        if first <= month and x(month) + 50 < WIDTH:
            _el(axis, "line", x1=x(month), x2=x(month), y1=30, y2=y, stroke="#dfe1e6")
            _el(axis, "text", month.strftime("%b %Y"), x=x(month) + 3, y=40, fill="#6b778c",
                font_size=11)
        month = (month + timedelta(days=32)).replace(day=1)

    band = _el(svg, "g", class_="releases")
    if timeline.milestones:
        _el(band, "text", "Releases", x=10, y=62, fill="#6b778c")
    label_ends = [0.0] * RELEASE_ROWS  # where each label row is taken up to
    for milestone in sorted(timeline.milestones, key=lambda m: (m.day, m.name)):
        mx = x(milestone.day)
        text = _short(milestone.name, 16)
        row = next((r for r, end in enumerate(label_ends) if end < mx), None)
        group = _el(band, "g", class_="milestone", data_key=milestone.key)
        _el(group, "title", f"{milestone.name}: {milestone.day.isoformat()}"
            + (" (released)" if milestone.released else ""))
        _el(group, "path", d=f"M{mx},{52} l6,6 l-6,6 l-6,-6 z",
            fill="#36b37e" if milestone.released else "#ffab00", stroke="#172b4d",
            stroke_width=0.5)
        _el(group, "line", x1=mx, x2=mx, y1=64, y2=top - 2, stroke="#c1c7d0", stroke_width=0.5)
        if row is not None:  # no room left: the name is in the tooltip
            label_ends[row] = mx + 8 + 6 * len(text)
            _el(group, "text", text, x=mx + 8, y=62 + 12 * row, font_size=10, fill="#42526e")

    y = top
    for index, lane in enumerate(timeline.lanes):
        color = LANE_COLORS[index % len(LANE_COLORS)]
        group = _el(svg, "g", class_="lane", data_line=lane.line)
        _el(group, "rect", x=0, y=y, width=WIDTH, height=LANE_HEAD + ROW * len(lane.bars),
            fill="#f4f5f7" if index % 2 else "white")
        _el(group, "text", lane.line, x=10, y=y + 18, font_size=13, font_weight="bold",
            fill=color, class_="lane-name")
        y += LANE_HEAD
        for bar in lane.bars:
            _draw_bar(group, bar, x, rows[bar.key], color, timeline.percentile)
            y += ROW

    arrows = _el(svg, "g", class_="dependencies")
    bars = {}  # by key, the first bar of each (one lookup per arrow end, not a scan)
    for bar in timeline.bars:
        bars.setdefault(bar.key, bar)
    for arrow in timeline.arrows:
        blocker, blocked = bars[arrow.blocker], bars[arrow.blocked]
        ax, ay = x(blocker.due), rows[arrow.blocker]
        bx, by = x(blocked.start), rows[arrow.blocked]
        # Routed as planning tools do: out of the blocker's end, along the gap between
        # rows, into the blocked bar's start (which lies left of the end: the conflict).
        gap = by - ROW / 2 if by > ay else by + ROW / 2
        path = _el(arrows, "path", class_="dependency conflict", data_from=arrow.blocker,
                   data_to=arrow.blocked, fill="none", stroke=CONFLICT, stroke_width=1.5,
                   d=f"M{ax},{ay} h8 V{gap} H{bx - 12} V{by} H{bx - 1}",
                   marker_end=f"url(#{name}-arrow)")
        _el(path, "title", f"conflict: {arrow.reason}")

    tx = x(timeline.today)
    today = _el(svg, "g", class_="today")
    _el(today, "line", x1=tx, x2=tx, y1=30, y2=y, stroke=TODAY, stroke_width=1.5,
        stroke_dasharray="5,3")
    _el(today, "text", f"today {timeline.today.isoformat()}", x=tx + 3, y=y + 14, fill=TODAY,
        font_size=11)

    legend = _el(svg, "g", class_="legend", transform=f"translate(10,{y + 34})")
    _el(legend, "rect", x=0, y=-9, width=24, height=10, rx=2, fill=LANE_COLORS[0])
    _el(legend, "text", "start → due", x=30, y=0)
    _el(legend, "path", d="M130,-4 l6,-6 l6,6 l-6,6 z", fill=LATE)
    _el(legend, "text", f"forecast p{timeline.percentile:g}, after due", x=148, y=0)
    _el(legend, "path", d="M330,-4 l6,-6 l6,6 l-6,6 z", fill="#ffab00")
    _el(legend, "text", "release", x=348, y=0)
    _el(legend, "line", x1=420, x2=444, y1=-4, y2=-4, stroke=CONFLICT, stroke_width=1.5,
        marker_end=f"url(#{name}-arrow)")
    _el(legend, "text", "dependency in conflict", x=450, y=0)
    if timeline.undated:
        _el(legend, "text", f"{len(timeline.undated)} open epics have no due date (not drawn)",
            x=620, y=0, fill="#6b778c")
    if timeline.hidden:
        _el(legend, "text", f"{timeline.hidden} more epics not drawn (a lane shows those in "
            "conflict, then the late, then the soonest due)", x=0, y=18, fill="#6b778c")
    return ET.tostring(svg, encoding="unicode")


def _draw_bar(parent: ET.Element, bar: Bar, x, cy: float, color: str,
              percentile: float) -> None:
    group = _el(parent, "g", class_="epic" + (" late" if bar.late else ""), data_key=bar.key,
                data_line=bar.line)
    _el(group, "title", _bar_tooltip(bar, percentile))
    _el(group, "text", _short(bar.named, 46), x=18, y=cy + 4, fill="#172b4d",
        class_="epic-label")
    left, right = x(bar.start), x(bar.due)
    style = {} if bar.start_known else {"fill_opacity": 0.45, "stroke": color,
                                        "stroke_dasharray": "3,2"}
    _el(group, "rect", class_="bar", x=left, y=cy - 7, width=max(right - left, 3), height=14,
        rx=3, fill=color, **style)
    if bar.late and bar.forecast:
        fx = x(bar.forecast)
        _el(group, "line", class_="forecast-gap", x1=right, x2=fx, y1=cy, y2=cy, stroke=LATE,
            stroke_width=1.5, stroke_dasharray="3,3")
        _el(group, "path", class_="forecast", d=f"M{fx},{cy - 6} l6,6 l-6,6 l-6,-6 z",
            fill=LATE)
