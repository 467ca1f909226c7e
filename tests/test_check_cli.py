"""`pmsync check` against the sandbox: exactly the planted findings; baselines, suppression,
explain, through the command line."""

from __future__ import annotations

import json

from pmsync.cli import main
from pmsync.model import fingerprint


def check_json(path, capsys, *args) -> list[dict]:
    capsys.readouterr()
    assert main(["--config", str(path), "check", "--format", "json", *args]) in (0, 1)
    return json.loads(capsys.readouterr().out)


def test_check_finds_every_planted_case_and_nothing_else(sandbox, tmp_path, monkeypatch, capsys,
        write_clickup_config):
    path = write_clickup_config(sandbox, tmp_path, monkeypatch)
    assert main(["--config", str(path), "sync"]) == 0
    findings = check_json(path, capsys)
    assert all(set(f) == {"rule", "severity", "subject", "product_line", "related", "message",
                          "fingerprint", "url"} for f in findings)
    got = {(f["rule"], f["subject"], tuple(f["related"])) for f in findings}
    planted = {(rule, subject, related) for rule, cases in sandbox.site.planted.items()
               for subject, related in cases}
    assert got == planted
    assert {rule for rule, _, _ in got} == {
        "epic-overdue", "due-date-slipped", "child-after-epic-due", "scope-growth",
        "forecast-after-due", "release-slipped", "stale-epic", "blocker-scheduled-late",
        "blocker-unscheduled", "blocker-cancelled", "dependency-cycle", "sprint-overcommitted",
        "sprint-scope-added", "dependency-knock-on"}
    assert all(f["fingerprint"] == fingerprint(f["rule"], f["subject"], tuple(f["related"]))
               for f in findings)


def test_suppression_baseline_and_explain(sandbox, tmp_path, monkeypatch, capsys, write_clickup_config):
    path = write_clickup_config(sandbox, tmp_path, monkeypatch)
    assert main(["--config", str(path), "sync"]) == 0
    findings = check_json(path, capsys)
    stale = next(f for f in findings if f["rule"] == "stale-epic")
    expired = next(f for f in findings if f["rule"] == "scope-growth")
    with path.open("a") as config:
        config.write(f'\n[[suppress]]\nfingerprint = "{stale["fingerprint"]}"\n'
                     'reason = "migration paused until January"\nuntil = 2099-01-31\n'
                     f'\n[[suppress]]\nfingerprint = "{expired["fingerprint"]}"\n'
                     'until = 2001-01-01\n')
    remaining = check_json(path, capsys)
    assert stale["fingerprint"] not in {f["fingerprint"] for f in remaining}
    assert expired["fingerprint"] in {f["fingerprint"] for f in remaining}  # expired: back
    assert [f["fingerprint"] for f in check_json(path, capsys, "--suppressed")] == \
        [stale["fingerprint"]]

    # A named baseline, saved now: nothing has slipped against it yet.
    assert main(["--config", str(path), "baseline", "save", "today"]) == 0
    assert main(["--config", str(path), "baseline", "list"]) == 0
    assert "today" in capsys.readouterr().out
    against_today = check_json(path, capsys, "--baseline", "today")
    assert "due-date-slipped" not in {f["rule"] for f in against_today}
    assert main(["--config", str(path), "check", "--baseline", "nope"]) == 2
    assert "no baseline named 'nope'" in capsys.readouterr().err

    late = next(f for f in findings if f["rule"] == "blocker-scheduled-late"
                and f["related"][0].startswith("jira:MOB"))
    assert main(["--config", str(path), "check", "--explain", late["fingerprint"][:10]]) == 0
    out = capsys.readouterr().out
    assert "blocker finishes" in out and f"link: {late['related'][0]} blocks" in out
