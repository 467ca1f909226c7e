"""Step 2: the rules over the stored portfolio, and how findings are shown."""

from __future__ import annotations

import atexit
import gc
import json

from pmsync.model import SEVERITIES, Finding, split_key
from pmsync.portfolio import Portfolio
from pmsync.rules import run_rules
from pmsync.store import gc_paused
from pmsync.workspace import Workspace


def _no_collection_at_exit() -> None:
    """At exit the interpreter runs one last full collection over every object still
    alive: at 1M items that walks and frees the portfolio the command held (about 4 s of
    CPU after the output is written). The process is ending and the OS takes its memory
    back at once, so the heap is frozen out of that collection (the same trick as
    gc.freeze() before a fork). atexit handlers run before that collection; in-process
    callers (tests) keep a normal GC until their own interpreter exits."""
    gc.freeze()


atexit.register(_no_collection_at_exit)


def run_check(ws: Workspace, baseline: str | None = None,
              with_suppressed: bool = False) -> tuple[Portfolio, list[Finding]]:
    """The findings; suppressed ones (config [[suppress]], unexpired) are left out."""
    # The portfolio lives as long as the check: keep the cyclic GC from walking its
    # hundreds of thousands of objects again and again while it is built (a growing heap
    # sets off full collections: 15 % of a check's time) and while the rules read it
    # (they make indexes and findings; what is left over is collected afterwards).
    with gc_paused():
        portfolio = ws.portfolio(baseline)
        gc.freeze()
        try:
            findings = run_rules(portfolio, ws.registry.rules, ws.config.rules)
        finally:
            gc.unfreeze()
    hidden = suppressed(ws)
    if with_suppressed:
        return portfolio, [f for f in findings if f.fingerprint in hidden]
    return portfolio, [f for f in findings if f.fingerprint not in hidden]


def suppressed(ws: Workspace) -> dict[str, str]:
    """Fingerprint → reason, for suppressions still in force today."""
    return {s.fingerprint: s.reason or "no reason given"
            for s in ws.config.suppressions if s.active(ws.today)}


def explain(portfolio: Portfolio, finding: Finding) -> str:
    """The evidence chain behind one finding, for `check --explain`."""
    lines = [f"{finding.rule} ({finding.severity}) on {finding.subject_key}",
             f"  {finding.message}", f"  fingerprint {finding.fingerprint}", "evidence:"]
    lines += [f"  {name}: {value}" for name, value in finding.evidence]
    for key in (finding.subject_key, *finding.related_keys):
        item = portfolio.items.get(key)
        if item is None:
            continue
        sprint = portfolio.latest_sprint(item)
        start, finish = portfolio.planned_start(item), portfolio.planned_finish(item)
        lines.append(f"{key}: {item.title!r} [{item.status}] line {item.product_line or '-'}")
        lines.append(f"  sprint {sprint.name if sprint else '-'}; starts "
                     f"{start.date() if start else '-'}; finishes {finish.date() if finish else '-'}"
                     f"; due {item.due or '-'}")
        for change in portfolio.changes.get(key, [])[-5:]:
            lines.append(f"  {change.at.date()} {change.field}: {change.old} -> {change.new}")
    links = [link for link in portfolio.links
             if {link.blocker_key, link.blocked_key} & {finding.subject_key, *finding.related_keys}]
    lines += [f"link: {link.blocker_key} blocks {link.blocked_key} ({link.link_type})"
              for link in links]
    return "\n".join(lines)


def subject_url(portfolio: Portfolio | None, finding: Finding,
                ws: Workspace | None = None) -> str | None:
    """Where a person looks at the subject: the item's browse page, a sprint's report page,
    else what its connector says (``browse_url``, a classmethod: no token needed)."""
    if portfolio is None:
        return None
    item = portfolio.items.get(finding.subject_key)
    if item is not None:
        return item.url
    sprint = portfolio.sprints.get(finding.subject_key)
    if sprint is not None and sprint.url:
        return sprint.url
    tracker = ws.config.trackers.get(split_key(finding.subject_key)[0]) if ws else None
    if tracker is None:
        return None
    factory = ws.registry.connectors[tracker.kind]
    cls = factory.load() if hasattr(factory, "load") else factory
    browse = getattr(cls, "browse_url", None)
    return browse(tracker, finding.subject_key) if browse else None


def subject_name(portfolio: Portfolio | None, finding: Finding) -> str:
    """How a person names the subject (PAY-12, GRO-13, a sprint's name)."""
    item = portfolio.items.get(finding.subject_key) if portfolio else None
    if item is not None:
        return item.name
    sprint = portfolio.sprints.get(finding.subject_key) if portfolio else None
    return sprint.name if sprint is not None else split_key(finding.subject_key)[1]


def finding_record(finding: Finding, portfolio: Portfolio | None = None,
                   ws: Workspace | None = None) -> dict:
    """The public JSON shape of ``check --format json``: exactly these keys."""
    return {
        "rule": finding.rule,
        "severity": finding.severity,
        "subject": finding.subject_key,
        "product_line": finding.product_line,
        "related": list(finding.related_keys),
        "message": finding.message,
        "fingerprint": finding.fingerprint,
        "url": subject_url(portfolio, finding, ws),
    }


def findings_json(findings: list[Finding], portfolio: Portfolio | None = None,
                  ws: Workspace | None = None) -> str:
    # Paused for the same reason as in run_check: the records made here (100,000 findings
    # at 1M items) would set off full collections, each walking the whole portfolio the
    # caller still holds (3 s of CPU at 1M items, for nothing: these records hold no cycles).
    with gc_paused():
        return indented_json([finding_record(f, portfolio, ws) for f in findings])


_compact = json.JSONEncoder().encode  # the C encoder: json.dumps with indent is pure Python


def indented_json(records: list[dict]) -> str:
    """``json.dumps(records, indent=2)``, character for character, for a list of flat
    records (values scalars or lists of scalars): each value through the C encoder, the
    indentation joined here (a million-item check has 100,000 findings to print)."""
    if not records:
        return "[]"
    out = []
    for record in records:
        fields = []
        for name, value in record.items():
            if isinstance(value, list | tuple):
                text = ("[\n      " + ",\n      ".join(map(_compact, value)) + "\n    ]"
                        if value else "[]")
            else:
                text = _compact(value)
            fields.append(f"    {_compact(name)}: {text}")
        out.append("  {\n" + ",\n".join(fields) + "\n  }" if fields else "  {}")
    return "[\n" + ",\n".join(out) + "\n]"


def findings_table(findings: list[Finding], portfolio: Portfolio | None = None) -> str:
    with gc_paused():  # as findings_json
        return _table(findings, portfolio)


def _table(findings: list[Finding], portfolio: Portfolio | None) -> str:
    if not findings:
        return "No findings."
    rows = [("SEVERITY", "RULE", "SUBJECT", "LINE", "MESSAGE")]
    rows += [(f.severity, f.rule, subject_name(portfolio, f), f.product_line or "-", f.message)
             for f in findings]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4] for r in rows]
    return "\n".join(lines)


def at_or_above(findings: list[Finding], severity: str) -> list[Finding]:
    floor = SEVERITIES.index(severity)
    return [f for f in findings if SEVERITIES.index(f.severity) >= floor]
