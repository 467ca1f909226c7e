"""`pmsync run`: sync → check → alert → report, the way cron calls it."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pmsync.alerts import AlertPlan, sync_alerts
from pmsync.check import run_check, suppressed
from pmsync.errors import TrackerError
from pmsync.model import Finding
from pmsync.store import Run
from pmsync.sync import SyncResult, sync_all, sync_counts
from pmsync.workspace import Workspace

if TYPE_CHECKING:  # the report step imports Jinja2 and pygal: only a run that reports does
    from pmsync.reports import ReportResult

log = logging.getLogger("pmsync.cycle")


@dataclass
class CycleResult:
    synced: list[SyncResult]
    findings: list[Finding]
    alerts: AlertPlan
    reports: list[ReportResult]
    dry_run: bool = False

    def summary(self) -> str:
        lines = []
        for s in self.synced:
            mode = "full" if s.full else "incremental"
            lines.append(f"synced    {s.tracker}: {s.fetched} items fetched ({mode}), "
                         f"{s.changed} records changed")
        by_rule = Counter(f.rule for f in self.findings)
        detail = ", ".join(f"{rule} {n}" for rule, n in sorted(by_rule.items())) or "none"
        lines.append(f"findings  {len(self.findings)}: {detail}")
        a = self.alerts
        if self.dry_run:  # nothing was written: say what would have been
            lines.append(f"alerts    {len(a.created)} would be created, {len(a.edited)} would be "
                         f"edited, {len(a.resolved)} would be resolved, {len(a.unchanged)} "
                         "unchanged (dry run: nothing posted)")
        else:
            lines.append(f"alerts    {len(a.created)} created, {len(a.edited)} edited, "
                         f"{len(a.resolved)} resolved, {len(a.unchanged)} unchanged")
        for r in self.reports:
            action = r.page_action.replace("would-publish", "would publish")
            page = (f"page v{r.page_version} ({action}) {r.page_url}"
                    if r.page_url and r.page_version else f"page {action}")
            lines.append(f"report    {r.line}: {page}")
            if r.html_path:
                lines.append(f"          html {r.html_path}")
        return "\n".join(lines)


def run_cycle(ws: Workspace, run: Run, dry_run: bool = False, sync: bool = True) -> CycleResult:
    """Each step gets what it needs and returns what it did. A tracker that cannot be
    reached, or a report that cannot be published, does not stop the other steps: the
    failure goes into ``run.failures`` and the run ends non-zero with all of them.
    ``sync=False``: check, alert and publish from what is stored (other jobs sync)."""
    from pmsync.reports import publish_reports, review_links

    # Every connector is made (and so every token variable read) before any sync.
    synced = sync_all(ws.store, ws.connectors(), run) if sync else []
    run.add(sync_counts(synced))
    unreachable = (frozenset(ws.config.trackers) - {s.tracker for s in synced} if sync
                   else never_synced(ws))
    portfolio, findings = run_check(ws)
    run.count("findings", len(findings))
    # Reports first: the comments link to the pages they publish.
    reports = publish_reports(ws, findings, portfolio, dry_run=dry_run,
                              skip_trackers=unreachable)
    run.add(report_counts(reports))
    for report in reports:
        if report.failure is not None:
            run.fail(report.failure)
    try:
        alerts = sync_alerts(ws, findings, portfolio, dry_run=dry_run,
                             suppressed=frozenset(suppressed(ws)), links=review_links(reports),
                             skip_trackers=unreachable)
    except TrackerError as exc:
        run.fail(exc)
        alerts = getattr(exc, "plan", None) or AlertPlan()  # what was written still counts
    run.add(alert_counts(alerts, dry_run))
    return CycleResult(synced, findings, alerts, reports, dry_run)


def never_synced(ws: Workspace) -> frozenset[str]:
    """Trackers nothing was ever synced from into this store. Publishing from the store alone
    (alert, report, run --no-sync) leaves them alone: a mistyped state_dir, a container
    without its volume or a --no-sync job starting before the first sync would otherwise
    write empty pages over the real ones."""
    never = frozenset(ws.config.trackers) - ws.synced_trackers()
    for name in sorted(never):
        log.warning("%s: nothing was ever synced from it into %s, so its pages and comments "
                    "are left alone; run `pmsync sync`, or point state_dir (or store) at the "
                    "store your syncs write", name, ws.config.store_location)
    return never


# What each step adds to its run record (`pmsync runs`); the sync's, sync_counts, lives
# beside the sync so that `pmsync sync` need not import this module's steps.
def alert_counts(plan: AlertPlan, dry_run: bool) -> dict[str, int]:
    if dry_run:  # nothing was written: say so in the names
        return {"would_create": len(plan.created), "would_edit": len(plan.edited),
                "would_resolve": len(plan.resolved)}
    return {"created": len(plan.created), "edited": len(plan.edited),
            "resolved": len(plan.resolved), "unchanged": len(plan.unchanged)}


def report_counts(results: list[ReportResult]) -> dict[str, int]:
    return {"pages_written": sum(r.page_action in ("created", "updated") for r in results),
            "html_files": sum(r.html_path is not None for r in results)}
