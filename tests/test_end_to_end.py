"""`pmsync run` against the sandbox through the CLI, twice, counting real writes.

Every test here runs against both stores (SQLite and PostgreSQL), as the whole suite does.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timedelta

from pmsync.model import fingerprint
from pmsync_jira.adf import find_marker


def comment_posts(sandbox) -> Counter:
    """(issue, fingerprint) → how many comments were posted for it."""
    posts = sandbox.writes_to("POST", "/comment")
    return Counter((w["path"].split("/")[5], find_marker(w["body"]["body"])) for w in posts)


def jira_planted(site) -> set[str]:
    return {fingerprint(rule, subject, related) for rule, cases in site.planted.items()
            for subject, related in cases if subject.startswith("jira:")}


def test_run_twice_is_sticky_and_incremental(sandbox, pmsync, config_path, open_store):
    code, out, err = pmsync("run")
    assert code == 0, err
    site = sandbox.site
    created = int(re.search(r"alerts +(\d+) created", out).group(1))

    # One comment per finding and epic: never two for the same problem on one issue.
    posts = comment_posts(sandbox)
    assert sum(posts.values()) == created > 0 and set(posts.values()) == {1}
    # A conflict across product lines is told on the epics of both sides.
    blocked, (blocker,) = site.planted["blocker-scheduled-late"][0]
    blocked_epic = site.issues[blocked.split(":")[1]]["fields"]["parent"]["key"]
    blocker_epic = site.issues[blocker.split(":")[1]]["fields"]["parent"]["key"]
    late = fingerprint("blocker-scheduled-late", blocked, (blocker,))
    assert posts[(blocked_epic, late)] == posts[(blocker_epic, late)] == 1
    titles = sorted(p["title"] for p in site.pages.values())
    assert titles == ["Portfolio roadmap", "Sprint review: Mobile", "Sprint review: Payments",
                      "Sprint review: Web"]
    assert all(p["version"]["number"] == 1 for p in site.pages.values())

    # Between runs a person finishes a story in PAY's active sprint, under a quiet epic.
    sprint_field = site.field_ids["sprint"]
    commented = {issue for issue, _ in posts}
    planted = {k.split(":")[1] for cases in site.planted.values() for s, rel in cases
               for k in (s, *rel)}
    story = next(k for k, i in site.issues.items() if k.startswith("PAY-") and k not in planted
                 and i["fields"]["parent"] and i["fields"]["parent"]["key"] not in commented
                 and (i["fields"][sprint_field] or [{}])[0].get("state") == "active"
                 and i["fields"]["status"]["name"] != "Done")
    site.touch(story, status=site.status_field("Done"))

    code, out, err = pmsync("run")
    assert code == 0, err
    assert comment_posts(sandbox) == posts  # no second comment anywhere
    assert not sandbox.writes_to("PUT", "/comment/")  # same findings, same text: no edit either
    pay_page = next(p for p in site.pages.values() if p["title"] == "Sprint review: Payments")
    assert pay_page["version"]["number"] == 2
    assert story in pay_page["body"]
    # The story's epic progressed, so the roadmap changed too; the other lines did not.
    versions = {p["title"]: p["version"]["number"] for p in site.pages.values()}
    assert versions["Portfolio roadmap"] == 2
    assert versions["Sprint review: Mobile"] == versions["Sprint review: Web"] == 1

    store = open_store(config_path)
    try:
        assert len(store.revision_runs()) == 2
        first, second = store.sync_log()
        assert first["full_sync"] == 1 and first["fetched"] == len(site.issues)
        # The second sync asks only for what changed since the cursor: the touched story,
        # the commented epics, and whatever sits inside the overlap window.
        touched = {story} | commented
        cursor = max(datetime.fromisoformat(i["fields"]["updated"])
                     for k, i in site.issues.items() if k not in touched)
        in_overlap = sum(1 for i in site.issues.values()
                         if cursor - timedelta(minutes=3)
                         <= datetime.fromisoformat(i["fields"]["updated"]) <= cursor)
        assert second["full_sync"] == 0
        assert len(touched) <= second["fetched"] <= len(touched) + in_overlap
        assert second["fetched"] < len(site.issues) // 4
    finally:
        store.close()

    code, out, _ = pmsync("check", "--format", "json")
    assert {f["fingerprint"] for f in json.loads(out)} == jira_planted(site)


def test_lost_ledger_adopts_the_existing_comment(sandbox, pmsync, config_path, open_store):
    """A crash between posting a comment and recording it must not lead to a duplicate,
    and a comment that already says what it should is adopted without an edit."""
    assert pmsync("run")[0] == 0
    store = open_store(config_path)
    store.conn.execute("DELETE FROM alerts")
    store.close()
    posts_before = len(sandbox.writes_to("POST", "/comment"))

    code, out, err = pmsync("alert")
    assert code == 0, err
    assert len(sandbox.writes_to("POST", "/comment")) == posts_before
    assert not sandbox.writes_to("PUT", "/comment")
    assert "0 comments were created, 0 edited" in out
    assert pmsync("alert")[0] == 0  # adopted into the ledger: the next run makes no call
    assert not sandbox.writes_to("PUT", "/comment")


def test_demo_runs_the_whole_cycle(tmp_path, capsys):
    from pmsync.cli import main

    assert main(["demo", "--dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    # Jira and ClickUp together: every rule's planted case is among the findings.
    findings_line = next(line for line in out.splitlines() if line.startswith("findings"))
    for rule in ("epic-overdue", "due-date-slipped", "child-after-epic-due", "scope-growth",
                 "forecast-after-due", "release-slipped", "stale-epic", "blocker-unscheduled",
                 "blocker-cancelled", "dependency-cycle", "sprint-overcommitted",
                 "sprint-scope-added", "dependency-knock-on"):
        assert f"{rule} 1" in findings_line
    assert "blocker-scheduled-late 3" in findings_line  # one of them across trackers
    assert "report    Platform: page v1 (created)" in out
    assert "/wiki/spaces/PM/pages/" in out
    html = tmp_path / "state" / "reports" / "sprint-review-payments.html"
    assert html.exists() and "Sprint review: Payments" in html.read_text()


def test_sync_per_tracker_then_run_without_sync(sandbox, pmsync, config_path, open_store):
    """Separate jobs: `sync --tracker` fills the store, `run --no-sync` works from it."""
    code, out, err = pmsync("sync", "--tracker", "jira")
    assert code == 0 and out.startswith("jira:"), err
    code, out, err = pmsync("sync", "--tracker", "nosuch")
    assert code == 2 and "--tracker nosuch: no such tracker" in err
    code, out, err = pmsync("run", "--no-sync")
    assert code == 0, err
    assert "synced" not in out and int(re.search(r"alerts +(\d+) created", out).group(1)) > 0
    store = open_store(config_path)
    assert len(store.sync_log()) == 1  # nothing synced: the findings came from the store
    assert [r.command for r in store.runs()] == ["run", "sync"]


def test_demo_serve_prints_what_other_commands_need(tmp_path):
    """README: keep the sandbox running with `demo --serve` to go on with other commands;
    those need the tokens the demo's config names, printed as `pmsync sandbox` prints them."""
    import os
    import signal
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("PMSYNC_DEMO_")}
    demo = subprocess.Popen([sys.executable, "-m", "pmsync.cli", "demo", "--serve", "--size",
                             "20", "--dir", str(tmp_path)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        lines = []
        while not lines or "Ctrl-C to stop" not in lines[-1]:
            line = demo.stdout.readline()
            assert line, "".join(lines)  # the demo ended without serving
            lines.append(line)
        out = "".join(lines)
        assert "API token sandbox-token" in out and "token pk_" in out  # as `pmsync sandbox`
        (exports,) = [line.split()[1:] for line in lines if line.strip().startswith("export ")]
        tokens = dict(pair.split("=", 1) for pair in exports)
        assert set(tokens) == {"PMSYNC_DEMO_TOKEN", "PMSYNC_DEMO_CLICKUP_TOKEN"}
        config = tmp_path / "pmsync.toml"
        assert f"pmsync --config {config} check" in out
        doctor = subprocess.run([sys.executable, "-m", "pmsync.cli", "--config", str(config),
                                 "doctor"], env={**env, **tokens}, capture_output=True, text=True,
                                timeout=120)
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=60)
