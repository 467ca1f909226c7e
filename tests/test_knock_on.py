"""Knock-on effects: schedule propagation, the dependency-knock-on rule, `pmsync impact`.

Hand-built portfolios with every date worked out in the comments, then the sandbox's
planted chain end to end (its plan is in pmsync/sandbox/knock_on_seed.py)."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime

import pytest

from pmsync.cli import main
from pmsync.config import RuleSettings
from pmsync.errors import ConfigError
from pmsync.model import Link, ProductLine, Release, Selector, Sprint, WorkItem
from pmsync.portfolio import Portfolio
from pmsync.rules.knock_on import DependencyKnockOn
from pmsync.schedule import impact, propagate, resolve_key

TODAY = date(2026, 11, 23)  # now = 12:00 UTC that day
D = TODAY


def item(key, line, kind="story", status="todo", **kw) -> WorkItem:
    """An item of ``line``: its project facet is what the line selects."""
    return WorkItem(key=key, kind=kind, title=f"title of {key}", status=status.title(),
                    status_category=status, facets=(("project", line),), **kw)


def build(items, sprints=(), links=(), releases=()) -> Portfolio:
    lines = sorted({value for i in items for name, value in i.facets if name == "project"})
    return Portfolio.build(items, sprints, links, releases,
                           [ProductLine(line, (Selector("j", (("project", line),)),))
                            for line in lines], today=TODAY)


def the_issue_example() -> Portfolio:
    """Issue 16's story. PAY-20 was due 11-13 and is still open: it finishes now (11-23
    12:00) at the earliest, 10 days late. CHK-20 (sprint 11-16 09:00 to 11-30 09:00)
    waits on it: starts 11-23 12:00, finishes 12-07 12:00 (8 days late). CHK-25 (12-01 to
    12-04) waits on CHK-20, which looked fine on paper: starts 12-07 12:00, finishes
    12-11 11:59:59 (7 days late), past the Checkout epic's due 12-08 (3 days) and
    release 5.0's date 12-10 (1 day). Two links: a knock-on.

    Controls: PAY-30, also overdue, blocks WEB-5 → WEB-6 with slack (they start in
    December); PAY-40, overdue, blocks CHK-40 directly (one link: not a knock-on)."""
    sprint = Sprint("j:s1", "CHK Sprint 3", "active", "Checkout",
                    datetime(2026, 11, 16, 9, tzinfo=UTC), datetime(2026, 11, 30, 9, tzinfo=UTC))
    items = [
        item("j:PAY-20", "Payments", start=date(2026, 11, 9), due=date(2026, 11, 13),
             status="doing"),
        item("j:CHK-1", "Checkout", "epic", "doing", due=date(2026, 12, 8)),
        item("j:CHK-20", "Checkout", parent_key="j:CHK-1", sprint_keys=("j:s1",)),
        item("j:CHK-25", "Checkout", parent_key="j:CHK-1", start=date(2026, 12, 1),
             due=date(2026, 12, 4), release_keys=("j:version:50",)),
        item("j:PAY-30", "Payments", due=date(2026, 11, 13)),
        item("j:WEB-1", "Web", "epic", "doing", due=date(2026, 12, 31)),
        item("j:WEB-5", "Web", parent_key="j:WEB-1", start=date(2026, 12, 14),
             due=date(2026, 12, 18)),
        item("j:WEB-6", "Web", parent_key="j:WEB-1", start=date(2026, 12, 21),
             due=date(2026, 12, 23)),
        item("j:PAY-40", "Payments", due=date(2026, 11, 13)),
        item("j:CHK-2", "Checkout", "epic", "doing", due=date(2026, 11, 25)),
        item("j:CHK-40", "Checkout", parent_key="j:CHK-2", start=date(2026, 11, 20),
             due=date(2026, 11, 24)),
        item("j:CHK-99", "Checkout", status="done", due=date(2026, 11, 1)),
    ]
    links = [Link("j:PAY-20", "j:CHK-20"), Link("j:CHK-20", "j:CHK-25"),
             Link("j:PAY-30", "j:WEB-5"), Link("j:WEB-5", "j:WEB-6"),
             Link("j:PAY-40", "j:CHK-40"), Link("j:CHK-99", "j:CHK-25")]
    releases = [Release("j:version:50", "checkout-5.0", date(2026, 12, 10))]
    return build(items, [sprint], links, releases)


def at(y, m, d, hh=0, mm=0, ss=0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=UTC)


def test_propagated_dates_worked_out_by_hand():
    schedule = propagate(the_issue_example())
    pay, chk20, chk25 = (schedule.dates(k) for k in ("j:PAY-20", "j:CHK-20", "j:CHK-25"))
    assert (pay.earliest_finish, pay.reason, pay.days_late) == (at(2026, 11, 23, 12), "overdue", 10)
    assert (chk20.earliest_start, chk20.earliest_finish) == (at(2026, 11, 23, 12),
                                                             at(2026, 12, 7, 12))
    assert (chk20.driver, chk20.links, chk20.root, chk20.days_late) == ("j:PAY-20", 1,
                                                                       "j:PAY-20", 8)
    assert chk25.earliest_finish == at(2026, 12, 11, 11, 59, 59)
    assert (chk25.links, chk25.root, chk25.days_late) == (2, "j:PAY-20", 7)
    epic = schedule.dates("j:CHK-1")
    assert (epic.earliest_finish, epic.reason, epic.driver) == (chk25.earliest_finish,
                                                                "children", "j:CHK-25")
    # Slack absorbs PAY-30's delay; a done blocker pushes nothing.
    assert schedule.dates("j:WEB-5").days_late == schedule.dates("j:WEB-6").days_late == 0
    assert "j:CHK-99" not in schedule
    assert schedule.chain_keys("j:CHK-1") == ("j:PAY-20", "j:CHK-20", "j:CHK-25", "j:CHK-1")


def test_one_finding_per_impacted_epic_and_release_with_the_chain():
    findings = list(DependencyKnockOn().evaluate(the_issue_example(), RuleSettings()))
    assert [(f.subject_key, f.related_keys, f.severity) for f in findings] == [
        ("j:CHK-1", ("j:PAY-20",), "critical"),        # across Payments → Checkout
        ("j:version:50", ("j:PAY-20",), "critical")]  # not one for CHK-20 or CHK-25
    epic, release = findings
    assert epic.message == (
        "Epic CHK-1 is due 2026-12-08 but CHK-25 finishes 2026-12-11 at the earliest, "
        "3 days late, knocked on by PAY-20 through 2 links across product lines "
        "(Payments, Checkout): PAY-20 → CHK-20 → CHK-25.")
    evidence = dict(epic.evidence)
    assert evidence["root"].startswith("PAY-20 (Payments) planned to finish 2026-11-13, "
                                       "finishes 2026-11-23 at the earliest: overdue")
    assert evidence["hop 1"] == ("CHK-20 (Checkout) waits on the previous hop; planned "
                                 "2026-11-16 to 2026-11-30, earliest 2026-11-23 to "
                                 "2026-12-07, 8 days late")
    assert evidence["hop 2"].startswith("CHK-25 (Checkout)")
    assert evidence["root knocks on"] == ("epic CHK-1 (Checkout) by 3 days; "
                                          "release checkout-5.0 (Checkout) by 1 day")
    assert release.message.startswith("Release checkout-5.0 is dated 2026-12-10")
    assert dict(release.evidence)["days late"] == "1"


def test_settings_min_days_late_and_chain_shown():
    p = the_issue_example()
    only_epic = DependencyKnockOn().evaluate(p, RuleSettings(options={"min_days_late": 2}))
    assert [f.subject_key for f in only_epic] == ["j:CHK-1"]
    assert list(DependencyKnockOn().evaluate(p, RuleSettings(options={"min_days_late": 4}))) \
        == []
    per_line = RuleSettings(lines={"Checkout": RuleSettings(options={"min_days_late": 9})})
    assert list(DependencyKnockOn().evaluate(p, per_line)) == []
    (finding, _) = DependencyKnockOn().evaluate(p, RuleSettings(options={"max_chain_shown": 2}))
    evidence = dict(finding.evidence)
    assert evidence["hop 2"].startswith("CHK-25") and "hop 1" not in evidence
    assert evidence["hops"] == "… 1 more hop"
    with pytest.raises(ConfigError, match="max_chain_shown"):
        DependencyKnockOn().options.parse({"max_chain_shown": 1}, lambda key: f"rules.x.{key}")


def test_same_line_chain_is_a_warning_and_a_long_chain_is_one_finding():
    """A root in the same line as its 60-item chain: one finding, severity warning; the
    chain is walked without recursion."""
    n = 60
    items = [item("j:R", "Core", due=date(2026, 11, 20)),
             item("j:E", "Core", "epic", "doing", due=date(2027, 1, 15))]
    items += [item(f"j:C{i}", "Core", parent_key="j:E", start=TODAY + timedelta(days=i),
                   due=TODAY + timedelta(days=i)) for i in range(n)]
    links = [Link("j:R", "j:C0")] + [Link(f"j:C{i}", f"j:C{i + 1}") for i in range(n - 1)]
    p = build(items, links=links)
    (finding,) = DependencyKnockOn().evaluate(p, RuleSettings())
    assert (finding.subject_key, finding.related_keys, finding.severity) == (
        "j:E", ("j:R",), "warning")
    assert f"through {n} links" in finding.message
    assert dict(finding.evidence)["hops"] == "… 55 more hops"


def test_cycles_are_skipped_and_what_lies_behind_them_is_still_dated():
    items = [item("j:A", "L", due=date(2026, 11, 10)), item("j:B", "L", due=date(2026, 11, 30)),
             item("j:C", "L", due=date(2026, 12, 5)),
             item("j:D", "L", start=date(2026, 12, 1), due=date(2026, 12, 3))]
    links = [Link("j:A", "j:B"), Link("j:B", "j:C"), Link("j:C", "j:B"), Link("j:C", "j:D")]
    schedule = propagate(build(items, links=links))
    assert len(schedule.order) == 4  # every node processed once
    assert schedule.dates("j:D").earliest_finish is not None


def test_impact_what_if_worked_out_by_hand():
    p = the_issue_example()
    now = impact(p, "j:PAY-20")
    assert [(b.kind, b.key, b.days_late) for b in now.broken] == [
        ("epic", "j:CHK-1", 3), ("release", "j:version:50", 1),
        ("item", "j:CHK-20", 8), ("item", "j:CHK-25", 7)]
    assert now.lines == ["Checkout"]
    # Two more weeks: PAY-20 finishes 12-07 12:00; CHK-20 12-21 12:00 (22 days late);
    # CHK-25 12-25 11:59:59 (21); the epic 17 days, the release 15.
    later = impact(p, "j:PAY-20", 14)
    assert [(b.kind, b.key, b.days_late) for b in later.broken] == [
        ("epic", "j:CHK-1", 17), ("release", "j:version:50", 15),
        ("item", "j:CHK-20", 22), ("item", "j:CHK-25", 21)]
    # PAY-30's chain has 20.5 days of slack: from now (11-23 12:00) to WEB-5's start (12-14).
    # With 21 days WEB-5 finishes 12-19 11:59:59; WEB-6 (from 12-21) still has slack.
    assert [b.key for b in impact(p, "j:PAY-30", 21).broken] == ["j:WEB-5"]
    assert not impact(p, "j:PAY-30", 20).broken
    assert resolve_key(p, "pay-20") == resolve_key(p, "j:PAY-20") == "j:PAY-20"
    assert resolve_key(p, "https://x.atlassian.net/browse/CHK-25") == "j:CHK-25"
    assert resolve_key(p, "PAY-2") is None


# --- the sandbox's planted chain, end to end --------------------------------------------------
def run_cli(path, capsys, *args) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--config", str(path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_planted_chain_end_to_end(sandbox, tmp_path, monkeypatch, capsys, write_clickup_config):
    """The seed (see knock_on_seed): the root is overdue, so it finishes now; pay, the two
    ClickUp tasks and their epic (due +10) follow, 2 days late for the epic whatever the
    hour; the Web chain (banner +2..+6) starts after today: no push until it slips."""
    site = sandbox.site
    ((epic, (root,)),) = site.planted["dependency-knock-on"]
    path = write_clickup_config(sandbox, tmp_path, monkeypatch)
    assert run_cli(path, capsys, "run")[0] == 0
    code, out, _ = run_cli(path, capsys, "check", "--format", "json")
    knock = [f for f in json.loads(out) if f["rule"] == "dependency-knock-on"]
    assert [(f["subject"], f["related"], f["severity"]) for f in knock] == [
        (epic, [root], "critical")]
    web_epic = next(k for k, i in site.issues.items()
                    if i["fields"]["summary"] == "Wallet launch on the web")
    assert f"jira:{web_epic}" not in {f["subject"] for f in json.loads(out)}  # the slack control

    # One comment on the impacted epic, one on the root's epic (across lines), none elsewhere.
    root_epic = site.issues[root.split(":")[1]]["fields"]["parent"]["key"]
    posts = [w for w in sandbox.writes_to("POST", "/comment")
             if "dependency-knock-on" in json.dumps(w["body"])]
    jira_posts = Counter(w["path"].split("/")[5] for w in posts
                         if w["path"].startswith("/rest/api/"))
    clickup_posts = Counter(w["path"].split("/")[4] for w in posts
                            if w["path"].startswith("/api/v2/task/"))
    assert jira_posts == {root_epic: 1}
    assert clickup_posts == {epic.split(":")[1]: 1}
    # The root's epic hears the whole chain and everything the root knocks on.
    told = json.dumps(next(w["body"] for w in posts if w["path"].startswith("/rest/api/")))
    assert "Root knocks on" in told and "epic Wallet sync (Platform) by 2 days" in told
    assert "Wallet sync in the admin app" in told  # the last hop

    # The reports: the roadmap's chain (every hop with its line and dates), the links on it
    # marked in the dependency table, notes on the timeline's bars; each line's review
    # lists its work that is late because of another line, with the root.
    reports = tmp_path / "state" / "reports"
    roadmap = (reports / "roadmap.html").read_text()
    chains = roadmap[roadmap.index("<h2>Chains that break a date</h2>"):]
    chains = chains[:chains.index("<h2>", 5)]
    assert f"from {root.split(':')[1]} (Mobile)</h3>" in chains
    assert chains.count("<tr>") == 1 + 4  # header, then root, pay, sync, admin
    assert "epic Wallet sync (Platform), dated" in chains and "2 days late, from" in chains
    assert roadmap.count("<strong>knock-on</strong> on the chain from") == 2  # MOB→PAY→ClickUp
    assert "knock-on: 2 days past due, from" in roadmap  # the epic's bar, on hover
    assert "breaks epic Wallet sync by 2 days" in roadmap  # the root's epic's bar
    payments = (reports / "sprint-review-payments.html").read_text()
    late = payments[payments.index("Late because of another line"):]
    assert "Wallet API for the platform" in late and "(Mobile)" in late
    mobile = (reports / "sprint-review-mobile.html").read_text()
    assert "Wallet" not in mobile[mobile.index("Late because of another line"):]

    # The what-if on the root as a person types it, against the dates worked out by hand.
    native = root.split(":")[1]
    titles = {f"jira:{k}": i["fields"]["summary"] for k, i in site.issues.items()}
    titles |= {f"clickup:{t['id']}": t["name"] for t in sandbox.clickup.tasks.values()}
    by_title = {title: key for key, title in titles.items()}
    pay, sync, admin = (by_title[t] for t in ("Wallet API for the platform",
                                              "Wallet sync service",
                                              "Wallet sync in the admin app"))
    banner, analytics = by_title["Wallet promo banner"], by_title["Wallet promo analytics"]
    for slip in (0, 14):
        before = time.time()
        code, out, _ = run_cli(path, capsys, "impact", native.lower(), "--slip", str(slip),
                               "--format", "json")
        after = time.time()
        assert code == 0
        got = json.loads(out)
        items = {i["key"]: i["days_late"] for i in got["items"]}
        epics = {e["key"]: e["days_late"] for e in got["epics"]}
        # "now" is read while the command runs: the answer is the one for a moment in it.
        assert (items, epics) in [by_hand(site, sandbox.clickup, slip, moment, epic,
                                          f"jira:{web_epic}", pay, sync, admin, banner,
                                          analytics)
                                  for moment in (before, after)], (slip, items, epics)
        assert got["subject"]["reason"] == ("overdue" if slip == 0 else "slip")
        assert got["releases"] == []
        assert got["lines"] == (["Payments", "Platform"] if slip == 0
                                else ["Payments", "Platform", "Web"])
        chain = next(e["chain"] for e in got["epics"] if e["key"] == epic)
        assert chain == [root, pay, sync, admin]
    assert set(items) == {pay, sync, admin, banner, analytics}  # two weeks use up the slack

    # The tree on a terminal, and mistakes as one line with the way out.
    code, out, _ = run_cli(path, capsys, "impact", native)
    assert code == 0 and "✗ breaks epic Wallet sync (Platform)" in out
    assert "Breaks 3 items, 1 epic, 0 releases in Payments, Platform." in out
    code, _, err = run_cli(path, capsys, "impact", "NOPE-404")
    assert code == 2 and err.count("\n") == 1 and "no item 'NOPE-404'" in err
    code, _, err = run_cli(path, capsys, "impact", native, "--slip", "-3")
    assert code == 2 and "--slip must be 0 or more days" in err
    # impact wrote nothing.
    writes = len(sandbox.writes)
    run_cli(path, capsys, "impact", native, "--slip", "30")
    assert len(sandbox.writes) == writes


def by_hand(site, clickup, slip, now, epic, web_epic, pay, sync, admin, banner, analytics):
    """Days late per item and per epic, worked out from the seed's dates. Each seed counts
    its days from its own site's today (Jira's in New York, ClickUp's in UTC: a day apart
    from 00:00 to 05:00 UTC). A date-only plan is read on one clock, UTC, as
    Portfolio._plan documents. Each start is the later of its own and its blocker's
    finish, each finish that start plus the planned span; the root, overdue, finishes
    ``now`` (+ the slip)."""
    root_due = next(date.fromisoformat(i["fields"]["duedate"]) for i in site.issues.values()
                    if i["fields"]["summary"] == "Wallet token vault migration")
    jira_today = root_due + timedelta(days=3)
    sync_task = clickup.tasks[sync.split(":")[1]]
    clickup_today = (datetime.fromtimestamp(int(sync_task["start_date"]) / 1000, UTC).date()
                     - timedelta(days=7))
    jira, utc = jira_today, clickup_today  # whose today a day offset counts from

    def start(day, today):
        return int(datetime.combine(today + timedelta(days=day), dtime.min, UTC).timestamp())

    def end(day, today):
        return int(datetime.combine(today + timedelta(days=day), dtime.max, UTC).timestamp())

    def late(finish, planned):
        return -(-(finish - planned) // 86400)

    root = max(end(-3, jira), int(now)) + slip * 86400
    pay_f = max(start(-2, jira), root) + end(5, jira) - start(-2, jira)
    sync_f = max(start(7, utc), pay_f) + end(9, utc) - start(7, utc)
    admin_f = max(start(10, utc), sync_f) + end(10, utc) - start(10, utc)
    banner_f = max(start(2, jira), root) + end(6, jira) - start(2, jira)
    analytics_f = max(start(8, jira), banner_f) + end(12, jira) - start(8, jira)
    items = {pay: late(pay_f, end(5, jira)), sync: late(sync_f, end(9, utc)),
             admin: late(admin_f, end(10, utc)), banner: late(banner_f, end(6, jira)),
             analytics: late(analytics_f, end(12, jira))}
    epics = {epic: late(max(sync_f, admin_f), end(10, utc)),
             web_epic: late(max(banner_f, analytics_f), end(14, jira))}
    return ({k: v for k, v in items.items() if v > 0}, {k: v for k, v in epics.items() if v > 0})
