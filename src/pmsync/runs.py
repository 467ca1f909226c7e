"""`pmsync runs`: what happened last night, from the run records in the store."""

from __future__ import annotations

import json

from pmsync.store import RunRecord


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def run_record(run: RunRecord) -> dict:
    """The public JSON shape of ``runs --format json``."""
    return {
        "id": run.id,
        "command": run.command,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "duration_seconds": run.seconds,
        "outcome": run.outcome,
        "exit_code": run.exit_code,
        "counts": run.counts,
        "error": run.error,
        "pid": run.pid,
        "host": run.host,
    }


def runs_json(runs: list[RunRecord]) -> str:
    return json.dumps([run_record(r) for r in runs], indent=2)


def runs_table(runs: list[RunRecord]) -> str:
    if not runs:
        return "No runs recorded yet; `pmsync run` records one."
    rows = [("ID", "COMMAND", "STARTED", "DURATION", "OUTCOME", "EXIT", "COUNTS")]
    for run in runs:
        counts = " ".join(f"{name}={n}" for name, n in sorted(run.counts.items()))
        if run.error:
            counts = f"{counts}  ({run.error})" if counts else run.error
        rows.append((str(run.id), run.command, run.started_at, duration(run.seconds),
                     run.outcome, "-" if run.exit_code is None else str(run.exit_code),
                     counts or "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    return "\n".join("  ".join(r[i].ljust(widths[i]) for i in range(6)) + "  " + r[6]
                     for r in rows)
