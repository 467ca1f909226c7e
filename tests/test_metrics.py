"""The metrics against figures worked out by hand from Jira's Sprint Report definitions
(committed at start, added, removed, completed, not completed, carried over, velocity)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

from pmsync import metrics
from pmsync.metrics import Tally, burndown, sprint_numbers, velocity
from pmsync.model import Change, ProductLine, Selector, Sprint, WorkItem
from pmsync.portfolio import Portfolio

START = datetime(2026, 11, 2, 9, tzinfo=UTC)
END = START + timedelta(days=14)
PAY = (("project", "PAY"),)
PAYMENTS = ProductLine("Payments", (Selector("j", PAY),))


def day(offset: float) -> datetime:
    return START + timedelta(days=offset)


def story(key, points, sprints, status="doing", done_at=None) -> WorkItem:
    return WorkItem(key, "story", key, status, status, facets=PAY, sprint_keys=sprints,
                    estimate=points, done_at=done_at, created=day(-30))


def moved(key, at, old, new, n) -> Change:
    return Change(key, "sprint", at, old, new, f"{key}-{n}")


def build() -> tuple[Portfolio, Sprint]:
    sprint = Sprint("j:sprint:10", "PAY Sprint 10", "closed", start=START, end=END, completed=END,
                    facets=PAY)
    following = Sprint("j:sprint:11", "PAY Sprint 11", "active", start=END,
                       end=END + timedelta(14), facets=PAY)
    items = [
        story("j:A", 3, ("j:sprint:10",), "done", day(5)),           # committed, completed
        story("j:B", 8, ("j:sprint:10", "j:sprint:11")),             # re-estimated 5→8, carried
        story("j:C", 2, ("j:sprint:10",), "done", day(5)),           # added, completed
        story("j:D", 1, ()),                                         # committed, removed
        story("j:E", 2, ()),                                         # added, then removed
        story("j:F", 2, ("j:sprint:10",), "done", day(16)),          # done after the sprint
    ]
    changes = [
        moved("j:A", day(-2), None, "10", 1),
        moved("j:B", day(-2), None, "10", 1),
        Change("j:B", "estimate", day(3), "5", "8", "j:B-2"),
        moved("j:B", day(14.1), "10", "10, 11", 3),
        moved("j:C", day(2), None, "10", 1),
        moved("j:D", day(-2), None, "10", 1),
        moved("j:D", day(4), "10", None, 2),
        moved("j:E", day(1), None, "10", 1),
        moved("j:E", day(6), "10", None, 2),
        moved("j:F", day(-1), None, "10", 1),
    ]
    portfolio = Portfolio.build(items, [sprint, following], today=date(2026, 11, 23),
                                changes=changes, product_lines=[PAYMENTS])
    return portfolio, portfolio.sprints[sprint.key]


def test_numbers_match_the_hand_worked_sprint_report():
    portfolio, sprint = build()
    n = sprint_numbers(portfolio, sprint)
    # By hand: committed A 3 + B 5 (its estimate at the start) + D 1 + F 2.
    assert n.committed == Tally(4, 11)
    assert n.added == Tally(2, 4) and sorted(n.added_keys) == ["j:C", "j:E"]       # C 2, E 2
    assert n.removed == Tally(2, 3) and sorted(n.removed_keys) == ["j:D", "j:E"]   # D 1, E 2
    assert n.completed == Tally(2, 5)                                              # A 3, C 2
    assert n.not_completed == Tally(2, 10)        # B at 8 now, F (done only after the end)
    assert n.carried_over == ["j:B"]              # B moved on to sprint 11; F did not


def test_burndown_follows_scope_and_completion():
    portfolio, sprint = build()
    points = dict(burndown(portfolio, sprint))
    assert points["2026-11-02"] == 11   # A 3, B 5, D 1, F 2 on the first day
    assert points["2026-11-03"] == 13   # E (2) joined
    assert points["2026-11-04"] == 15   # C (2) joined
    assert points["2026-11-05"] == 18   # B re-estimated 5 → 8
    assert points["2026-11-16"] == 10   # at the end: B 8 and F 2 left


def test_velocity_is_committed_vs_completed_of_closed_sprints():
    portfolio, _ = build()
    pace = velocity(portfolio, "Payments", 3)
    ((row),) = pace.sprints
    assert row.sprint.key == "j:sprint:10" and row.committed == 11 and row.completed == 5
    assert pace.average == 5 and pace.describe() == "PAY Sprint 10 5"
    assert velocity(portfolio, "Payments", 3) == pace and velocity(portfolio, "Mobile", 3).average is None


# Through the CLI against the sandbox: the rule, the page and --explain share one number.
def closed_done_story(site, project: str) -> tuple[str, str, float]:
    """A done story of the project's newest closed sprint: (key, estimate field, points)."""
    ids = site.field_ids
    done = [issue for key, issue in site.issues.items() if key.startswith(f"{project}-")
            and issue["fields"]["status"]["name"] == "Done"
            and any(s.get("state") == "closed" for s in issue["fields"][ids["sprint"]] or ())]
    story = max(done, key=lambda i: i["fields"][ids["sprint"]][-1]["id"])
    field = next(f for f in (ids["story_points"], ids["story_point_estimate"])
                 if story["fields"].get(f) is not None)
    return story["key"], field, story["fields"][field]


def page(site, title: str) -> str:
    return next(p["body"] for p in site.pages.values() if p["title"] == title)


def test_a_re_estimate_after_the_sprint_closed_moves_no_velocity_anywhere(sandbox, pmsync,
                                                                          config_path):
    site = sandbox.site
    ((sprint_key, _),) = site.planted["sprint-overcommitted"]  # a Web sprint
    key, field, points = closed_done_story(site, "WEB")
    assert points == 3
    site.touch(key, **{field: 8})  # re-estimated after its sprint closed: 3 → 8

    assert pmsync("run")[0] == 0
    code, out, _ = pmsync("check", "--format", "json")
    (finding,) = [f for f in json.loads(out) if f["rule"] == "sprint-overcommitted"]
    assert finding["subject"] == sprint_key
    # Jira's velocity: completed at each sprint's end, at the estimate then (3, not 8).
    assert "the line's recent velocity is 9 (" in finding["message"]
    code, explained, _ = pmsync("check", "--explain", finding["fingerprint"])
    assert "  velocity: 9\n" in explained
    assert "  velocity sprints: WEB Sprint 1 9, WEB Sprint 2 9, WEB Sprint 3 9\n" in explained
    html = next(config_path.parent.rglob("sprint-review-web.html")).read_text()
    for body in (html, page(site, "Sprint review: Web")):
        assert "<strong>Velocity:</strong> 9 points" in body
        for name in ("WEB Sprint 1", "WEB Sprint 2", "WEB Sprint 3"):
            assert re.search(rf"<td>{name}</td><td>9</td><td>9</td>", body), name


def test_reports_forecast_with_the_rule_s_settings_once_per_run(sandbox, pmsync, config_path,
                                                                 monkeypatch):
    with config_path.open("a") as config:
        config.write("\n[rules.forecast-after-due]\npercentile = 95\nweeks = 6\n"
                     "trials = 300\nseed = 3\n")
    simulations = []
    real = metrics.percentile_curves
    monkeypatch.setattr(metrics, "percentile_curves",
                        lambda *args: simulations.append(args[:3]) or real(*args))
    assert pmsync("run")[0] == 0
    # One simulation per line, at the configured settings, shared by the rule and both pages.
    assert [(len(samples), p, trials) for samples, p, trials in simulations] == \
        [(6, (50.0, 95.0), 300)] * 3
    code, out, _ = pmsync("check", "--format", "json")
    (late,) = [f for f in json.loads(out) if f["rule"] == "forecast-after-due"]
    assert "(95 % confidence)" in late["message"]
    code, explained, _ = pmsync("check", "--explain", late["fingerprint"])
    landing = re.search(r"  p95: (\S+)\n", explained).group(1)
    assert "last 6 weeks" in explained
    epic = late["subject"].split(":")[1]
    for title in ("Sprint review: Mobile", "Portfolio roadmap"):
        body = page(sandbox.site, title)
        assert "p85" not in body and "p95" in body
        row = next(r for r in body.split("<tr>") if f"/browse/{epic}" in r or f">{epic}<" in r)
        assert landing in row, title
