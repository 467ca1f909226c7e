"""The local HTML reports in a real browser: headless Chromium renders them, with their
charts and no console errors, and leaves a screenshot to look at. The roadmap timeline is
checked on the DOM the browser built: one bar per dated open epic, the today line, an
arrow per cross-line dependency in conflict.

Chromium is Debian's package; `.ci/run` installs it. Without it the test skips,
unless PMSYNC_REQUIRE_CHROMIUM is set (CI sets it), where a missing browser fails.
PMSYNC_SCREENSHOT_DIR=docs keeps the screenshots (that is how docs/*-after.png are made).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pmsync.cli import main
from pmsync.rules import rule_ids
from pmsync.workspace import Workspace

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--enable-logging=stderr", "--v=0", "--window-size=1280,2400"]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("PMSYNC_REQUIRE_CHROMIUM"):
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium); .ci/run installs it")
    return found


def browse(browser: str, page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    assert main(["demo", "--dir", str(folder)]) == 0
    return folder


def screenshot(browser: str, page: Path, folder: Path, name: str) -> Path:
    shot = folder / f"{name}.png"
    result = browse(browser, page, folder / f"profile-{name}", f"--screenshot={shot}")
    assert result.returncode == 0 and shot.exists() and shot.stat().st_size > 10_000
    keep = os.environ.get("PMSYNC_SCREENSHOT_DIR")
    if keep:
        shutil.copy(shot, Path(keep) / f"{name}-after.png")
    return shot


@pytest.mark.parametrize("report", ["sprint-review-payments", "roadmap"])
def test_reports_render_with_charts_and_no_console_errors(report, demo, tmp_path):
    browser = chromium()
    page = demo / "state" / "reports" / f"{report}.html"
    dom = browse(browser, page, tmp_path / "profile", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'class="timeline"' in dom.stdout  # the timeline is in both
    if report.startswith("sprint-review"):
        assert "pygal-chart" in dom.stdout  # velocity and burndown
    errors = [line for line in dom.stderr.splitlines()
              if "CONSOLE" in line and re.search(r"error|uncaught|failed", line, re.I)]
    assert errors == []
    screenshot(browser, page, tmp_path, report)


class Svg(HTMLParser):
    """The elements of one inline <svg id=...> the browser serialised: (tag, attributes)."""

    def __init__(self, svg_id: str):
        super().__init__()
        self.svg_id, self.depth, self.elements = svg_id, 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.depth or (tag == "svg" and attrs.get("id") == self.svg_id):
            self.elements.append((tag, attrs))
            self.depth += 1

    def handle_startendtag(self, tag, attrs):
        if self.depth:
            self.elements.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def having(self, tag: str, css_class: str) -> list[dict]:
        return [a for t, a in self.elements
                if t == tag and css_class in (a.get("class") or "").split()]


def test_roadmap_timeline_in_the_browser_dom(demo, tmp_path, capsys):
    browser = chromium()
    dom = browse(browser, demo / "state" / "reports" / "roadmap.html", tmp_path / "p",
                 "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    svg = Svg("roadmap-timeline")
    svg.feed(dom.stdout)

    ws = Workspace.open(demo / "pmsync.toml")
    try:
        portfolio = ws.portfolio()
    finally:
        ws.close()
    dated = {i.key for i in portfolio.items.values()
             if i.kind == "epic" and i.is_open and i.due and i.product_line}
    bars = svg.having("g", "epic")
    assert sorted(b["data-key"] for b in bars) == sorted(dated)  # one bar per epic, no more
    assert len(svg.having("rect", "bar")) == len(bars)
    lanes = [lane["data-line"] for lane in svg.having("g", "lane")]
    assert lanes == [line.name for line in portfolio.product_lines]  # grouped by product line
    assert len(svg.having("g", "today")) == 1
    today = next(t for t in svg.elements if t[0] == "line" and t[1].get("stroke-dasharray"))
    assert today  # the dashed today line is drawn

    # The forecast marker: exactly on the epics whose forecast lands after the due date.
    assert main(["--config", str(demo / "pmsync.toml"), "check", "--format", "json"]) in (0, 1)
    findings = json.loads(capsys.readouterr().out)
    late = {f["subject"] for f in findings if f["rule"] == "forecast-after-due"}
    assert {b["data-key"] for b in bars if "late" in b["class"].split()} >= late
    assert len(svg.having("path", "forecast")) == len([b for b in bars if "late" in b["class"]])

    # An arrow per pair of epics whose cross-line dependency is in conflict.
    pairs = set()  # (blocker, blocked) items
    for f in findings:
        if f["rule"] == "dependency-cycle":  # every link among the members
            members = {f["subject"], *f["related"]}
            pairs |= {(a.key, b.key) for _, a, b in portfolio.dependencies
                      if a.key in members and b.key in members}
        elif f["rule"] in rule_ids("dependency"):
            pairs |= {(related, f["subject"]) for related in f["related"]}
    expected = set()
    for blocker, blocked in pairs:
        ends = portfolio.epic_of(blocker), portfolio.epic_of(blocked)
        if (all(e is not None and e.key in dated for e in ends)
                and ends[0].product_line != ends[1].product_line):
            expected.add((ends[0].key, ends[1].key))
    arrows = {(a["data-from"], a["data-to"]) for a in svg.having("path", "conflict")}
    assert arrows == expected and arrows
    assert len(svg.having("g", "milestone")) == len(
        [r for r in portfolio.releases.values() if r.release_date])
