"""The local HTML reports in a real browser: headless Chromium renders them, with their
charts and no console errors, and leaves a screenshot to look at.

Chromium is Debian's package; `.ci/run` installs it. Without it the test skips,
unless PMSYNC_REQUIRE_CHROMIUM is set (CI sets it), where a missing browser fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pmsync.cli import main

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0", "--window-size=1280,2400"]


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


@pytest.mark.parametrize("report", ["sprint-review-payments", "roadmap"])
def test_reports_render_with_charts_and_no_console_errors(report, tmp_path):
    browser = chromium()
    assert main(["demo", "--dir", str(tmp_path / "demo")]) == 0
    page = tmp_path / "demo" / "state" / "reports" / f"{report}.html"
    dom = browse(browser, page, tmp_path / "profile", "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "pygal-chart" in dom.stdout and "<svg" in dom.stdout  # the charts are in the page
    errors = [line for line in dom.stderr.splitlines()
              if "CONSOLE" in line and re.search(r"error|uncaught|failed", line, re.I)]
    assert errors == []
    shot = tmp_path / f"{report}.png"
    result = browse(browser, page, tmp_path / "profile2", f"--screenshot={shot}")
    assert result.returncode == 0 and shot.exists() and shot.stat().st_size > 10_000
