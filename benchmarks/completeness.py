"""What each side-by-side contender obtained, read from its own output, against the truth.

    python completeness.py CONTENDER FOLDER TRUTH_JSON

The truth is what the sandbox seeded (``truth_of``, written by proxied_sandbox.py when
it starts): every issue, and every changelog entry of each. A contender's output is read
where it put it: pmsync's store, the `jira` script's export file, tap-jira's Singer
records, jira-agile-metrics' cycle-time CSV. Prints one JSON line:

    {"issues": [got, truth], "entries": [got, truth] | null, "scope": "...",
     "complete": bool, "missing": ["MOB-2: 6 of 52 entries", ...], "note": "..."}

Runs in a process of its own, so reading hundreds of MB of output never grows the harness
(whose memory a later child would report as its own peak).
"""

from __future__ import annotations

import csv
import json
import sqlite3
import sys
from collections import Counter
from pathlib import Path
from typing import Any

# The fields whose changes pmsync's model keeps (its Change rows: status, due, start,
# sprint, estimate): its store is complete when it holds every entry touching one.
PMSYNC_FIELDS = ("status", "duedate", "sprint", "story_points", "story_point_estimate",
                 "start_date")
# jira-agile-metrics' workflow in the harness's config: its cycle-time steps, in order.
METRICS_STEPS = {"Backlog": "To Do", "In Progress": "In Progress", "Done": "Done"}


def truth_of(sandbox: Any) -> dict[str, Any]:
    """Per Jira issue: its id, created, current status, every changelog entry's id, the ids
    of the entries touching a field pmsync keeps, and its status changes in order; every
    ClickUp task's id."""
    site = sandbox.site
    ids = dict(site.field_ids)
    tracked = {ids.get(name, name) for name in PMSYNC_FIELDS}
    issues = {}
    for key, issue in site.issues.items():
        histories = site.histories.get(key, [])
        issues[key] = {
            "id": issue["id"], "created": issue["fields"]["created"],
            "status": issue["fields"]["status"]["name"],
            "entries": [h["id"] for h in histories],
            "tracked": [h["id"] for h in histories
                        if any(item.get("fieldId") in tracked for item in h["items"])],
            "status_changes": [[h["created"], item.get("fromString"), item.get("toString")]
                               for h in histories for item in h["items"]
                               if item.get("field") == "status"],
        }
    tasks = sorted(sandbox.clickup.tasks) if sandbox.clickup else []
    return {"issues": issues, "clickup_tasks": tasks}


def _compare(got_issues: set[str], got_entries: set[tuple[str, str]] | None,
             truth: dict[str, Any], scope: str) -> dict[str, Any]:
    """Issues and (issue key, entry id) pairs obtained, against the truth's ``scope``
    ("entries": all of them, "tracked": those pmsync keeps)."""
    issues = truth["issues"]
    result: dict[str, Any] = {"issues": [len(got_issues & issues.keys()), len(issues)],
                              "entries": None, "scope": scope, "missing": [], "note": ""}
    absent = sorted(issues.keys() - got_issues)
    missing = [f"{len(absent)} issue(s) not obtained, e.g. {absent[0]}"] if absent else []
    extra = got_issues - issues.keys()
    if extra:
        result["note"] = f"{len(extra)} issue(s) not in the sandbox, e.g. {sorted(extra)[0]}"
    if got_entries is not None:
        want = {(key, entry) for key, data in issues.items() for entry in data[scope]}
        lost = Counter(key for key, _ in want - got_entries)
        result["entries"] = [len(want & got_entries), len(want)]
        missing += [f"{key}: {n} of {len(issues[key][scope])} entries not obtained"
                    for key, n in sorted(lost.items()) if key in got_issues]
    result["complete"] = not missing and not extra
    result["missing"] = missing[:5] + ([f"... {len(missing) - 5} more"] if len(missing) > 5
                                       else [])
    return result


def _store(folder: Path, tracker: str) -> tuple[set[str], set[tuple[str, str]]]:
    """pmsync's store: the tracker's current items and its (item, changelog entry) pairs,
    by the tracker's own keys."""
    conn = sqlite3.connect(folder / "state" / "pmsync.sqlite3")
    try:
        items = {key.split(":", 1)[1] for (key,) in conn.execute(
            "SELECT key FROM records WHERE kind = 'item' AND removed = 0 AND tracker = ?",
            (tracker,))}
        entries = {(key.split(":", 1)[1], change) for key, change in conn.execute(
            "SELECT DISTINCT item_key, change_id FROM changes WHERE item_key LIKE ?",
            (tracker + ":%",))}
    finally:
        conn.close()
    return items, entries


def pmsync(folder: Path, truth: dict[str, Any]) -> dict[str, Any]:
    return _compare(*_store(folder, "jira"), truth, "tracked")


def _tasks(got: set[str], truth: dict[str, Any]) -> dict[str, Any]:
    """ClickUp: every task there (its history is not part of a task read)."""
    want = set(truth["clickup_tasks"])
    missing = sorted(want - got)
    return {"issues": [len(got & want), len(want)], "entries": None, "scope": "tasks",
            "complete": not missing and not got - want,
            "missing": [f"{len(missing)} task(s) not obtained, e.g. {missing[0]}"] if missing
            else [],
            "note": f"{len(got - want)} task(s) not in the sandbox" if got - want else ""}


def pmsync_clickup(folder: Path, truth: dict[str, Any]) -> dict[str, Any]:
    return _tasks(_store(folder, "clickup")[0], truth)


def tap_clickup(folder: Path, truth: dict[str, Any]) -> dict[str, Any]:
    tasks = set()
    with (folder / "stdout").open() as lines:
        for line in lines:
            if line.startswith('{"type": "RECORD"') and '"stream": "task"' in line:
                tasks.add(str(json.loads(line)["record"]["id"]))
    return _tasks(tasks, truth)


def jira_script(folder: Path, truth: dict[str, Any]) -> dict[str, Any]:
    """The script's export: one issue a line, as the library returned it (with changelog)."""
    issues, entries = set(), set()
    with (folder / "export.jsonl").open() as lines:
        for line in lines:
            issue = json.loads(line)
            issues.add(issue["key"])
            entries |= {(issue["key"], h["id"])
                        for h in (issue.get("changelog") or {}).get("histories", [])}
    return _compare(issues, entries, truth, "entries")


def tap_jira(folder: Path, truth: dict[str, Any]) -> dict[str, Any]:
    """tap-jira's Singer RECORD messages: the issues stream and its changelogs stream."""
    key_of = {data["id"]: key for key, data in truth["issues"].items()}
    issues, entries = set(), set()
    with (folder / "stdout").open() as lines:
        for line in lines:
            if not line.startswith('{"type": "RECORD"'):
                continue
            message = json.loads(line)
            record = message["record"]
            if message["stream"] == "issues":
                issues.add(record["key"])
            elif message["stream"] == "changelogs":
                entries.add((key_of.get(str(record.get("issueId")), "?"), str(record["id"])))
    return _compare(issues, entries, truth, "entries")


def cycle_dates(data: dict[str, Any]) -> dict[str, str]:
    """The cycle-time steps' dates the issue's whole history implies, by jira-agile-metrics'
    rule: the day a step was first entered; a move back wipes the later steps' days. The
    start is the first status change's 'from' on the created day (its current status when
    it never changed); days are the stamps' own calendar days."""
    step_of = {status.lower(): step for step, status in METRICS_STEPS.items()}
    order = list(METRICS_STEPS)
    changes = data["status_changes"]
    snapshots = [(data["created"][:10], changes[0][1] if changes else data["status"])]
    snapshots += [(when[:10], to) for when, _, to in changes]
    dates: dict[str, str] = dict.fromkeys(order, "")
    for day, status in snapshots:
        step = step_of.get((status or "").lower())
        if step is None:
            continue
        dates[step] = dates[step] or day
        for later in order[order.index(step) + 1:]:
            dates[later] = ""
    return dates


def jira_agile_metrics(folder: Path, truth: dict[str, Any]) -> dict[str, Any]:
    """Its output holds no changelog entries, only what it made of them: each issue's
    cycle-time dates. Complete when every issue is there with the dates its whole history
    implies (entries it never saw change them)."""
    with (folder / "cycletime.csv").open() as handle:
        rows = {row["ID"]: row for row in csv.DictReader(handle)}
    result = _compare(set(rows), None, truth, "entries")
    wrong = [key for key, row in rows.items() if key in truth["issues"]
             and {step: row.get(step, "") for step in METRICS_STEPS}
             != cycle_dates(truth["issues"][key])]
    result["scope"] = "cycle dates"
    result["entries"] = [len(rows) - len(wrong), len(truth["issues"])]
    if wrong:
        result["complete"] = False
        result["missing"] = [f"{key}: cycle dates differ from its whole history"
                             for key in sorted(wrong)[:5]] + result["missing"]
    return result


READERS = {"pmsync": pmsync, "jira script": jira_script, "tap-jira": tap_jira,
           "jira-agile-metrics": jira_agile_metrics, "pmsync ClickUp": pmsync_clickup,
           "tap-clickup": tap_clickup}


def main() -> int:
    contender, folder, truth_file = sys.argv[1:4]
    truth = json.loads(Path(truth_file).read_text())
    try:
        result = READERS[contender](Path(folder), truth)
    except (OSError, ValueError, KeyError, sqlite3.Error) as exc:
        result = {"complete": False, "note": f"output unreadable: {type(exc).__name__}: {exc}"}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
