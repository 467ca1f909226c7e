"""Step 2: the rules over the stored portfolio, and how findings are shown."""

from __future__ import annotations

import json

from pmsync.model import SEVERITIES, Finding, split_key
from pmsync.portfolio import Portfolio
from pmsync.rules import run_rules
from pmsync.workspace import Workspace


def run_check(ws: Workspace) -> tuple[Portfolio, list[Finding]]:
    portfolio = ws.portfolio()
    return portfolio, run_rules(portfolio, ws.registry.rules, ws.config.rules)


def finding_record(finding: Finding) -> dict:
    """The public JSON shape of ``check --format json``: exactly these keys."""
    return {
        "rule": finding.rule,
        "severity": finding.severity,
        "subject": finding.subject_key,
        "product_line": finding.product_line,
        "related": list(finding.related_keys),
        "message": finding.message,
        "fingerprint": finding.fingerprint,
    }


def findings_json(findings: list[Finding]) -> str:
    return json.dumps([finding_record(f) for f in findings], indent=2)


def findings_table(findings: list[Finding]) -> str:
    if not findings:
        return "No findings."
    rows = [("SEVERITY", "RULE", "SUBJECT", "LINE", "MESSAGE")]
    rows += [(f.severity, f.rule, split_key(f.subject_key)[1], f.product_line or "-", f.message)
             for f in findings]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4] for r in rows]
    return "\n".join(lines)


def at_or_above(findings: list[Finding], severity: str) -> list[Finding]:
    floor = SEVERITIES.index(severity)
    return [f for f in findings if SEVERITIES.index(f.severity) >= floor]
