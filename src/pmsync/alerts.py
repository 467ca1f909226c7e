"""Step 3: one sticky comment per finding on the epic concerned.

The alert ledger maps (fingerprint, epic) to the tracker comment. A finding
seen before with the same text makes no call; changed text edits the comment;
a finding that went away has its comment marked resolved. Before posting a
new comment we look for our marker on the epic, so a crash between posting
and recording never leads to a second comment.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field

from pmsync.connector import AlertFact, AlertMessage
from pmsync.model import Finding, fingerprint, split_key
from pmsync.portfolio import Portfolio
from pmsync.rules import advice_for
from pmsync.store import AlertEntry, content_hash
from pmsync.workspace import Workspace

log = logging.getLogger("pmsync.alerts")

OPEN, RESOLVED = "open", "resolved"


@dataclass
class AlertPlan:
    """What alert would do (dry run) or did."""

    created: list[str] = field(default_factory=list)
    edited: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def targets_of(portfolio: Portfolio, finding: Finding) -> list[str]:
    """A story's finding goes to its epic (an item with no epic gets it itself); a
    conflict across product lines goes to the epics on both sides (a side in no
    configured line has nobody to answer for it, and gets no comment)."""

    def epic_or_self(key: str) -> str:
        epic = portfolio.epic_of(key)
        return epic.key if epic else key

    targets = [epic_or_self(finding.subject_key)]
    subject = portfolio.items.get(finding.subject_key)
    for key in finding.related_keys:
        related = portfolio.items.get(key)
        if related is not None and subject is not None and \
                related.product_line != subject.product_line and \
                (related.product_line or not portfolio.product_lines):
            targets.append(epic_or_self(key))
    return list(dict.fromkeys(targets))


def compose(finding: Finding, portfolio: Portfolio, report_url: str | None = None) -> AlertMessage:
    subject = portfolio.items.get(finding.subject_key)
    title = subject.title if subject else finding.subject_key
    facts = [AlertFact("Rule", f"{finding.rule} ({finding.severity})")]
    facts.append(AlertFact("Item", f"{split_key(finding.subject_key)[1]} {title}",
                           link_url=subject.url if subject else None))
    for key in finding.related_keys:
        related = portfolio.items.get(key)
        label = f"{split_key(key)[1]} {related.title}" if related else key
        line = f" ({related.product_line})" if related and related.product_line else ""
        facts.append(AlertFact("Related", label + line,
                               link_url=related.url if related else None))
    facts.extend(AlertFact(name.capitalize(), value) for name, value in finding.evidence)
    if report_url:
        facts.append(AlertFact("Report", "sprint review", link_url=report_url))
    return AlertMessage(
        fingerprint=finding.fingerprint,
        headline=finding.message,
        facts=tuple(facts),
        advice=advice_for(finding.rule),
    )


def message_hash(message: AlertMessage) -> str:
    return content_hash(json.dumps(asdict(message), sort_keys=True, default=str))


def sync_alerts(
    ws: Workspace, findings: list[Finding], portfolio: Portfolio, dry_run: bool = False,
    suppressed: frozenset[str] = frozenset(), links: dict[str, str] | None = None,
    skip_trackers: frozenset[str] = frozenset(),
) -> AlertPlan:
    """``suppressed`` fingerprints are neither posted nor resolved: they are left as they are.
    ``links``: each product line's report page, for the comments to link to. Trackers in
    ``skip_trackers`` (unreachable this run) are not written to."""
    store = ws.store
    plan = AlertPlan()
    ledger = {(e.fingerprint, e.target_key): e for e in store.alerts()}
    live: set[tuple[str, str]] = {key for key in ledger if key[0] in suppressed}

    links = links or {}
    for fp, target, rule, subject, message in _messages(ws, findings, portfolio, links):
        tracker = split_key(target)[0]
        label = f"{rule} on {target}"
        if tracker not in ws.config.trackers or target not in portfolio.items:
            plan.skipped.append(label)  # e.g. a sprint's or a release's finding: no epic to tell
            continue
        if tracker in skip_trackers:
            live.add((fp, target))  # neither posted nor resolved while unreachable
            plan.skipped.append(label)
            continue
        live.add((fp, target))
        digest = message_hash(message)
        entry = ledger.get((fp, target))
        if entry and entry.state == OPEN and entry.body_hash == digest:
            plan.unchanged.append(label)
            continue
        if dry_run:
            (plan.edited if entry else plan.created).append(label)
            continue
        connector = ws.connector(tracker)
        comment_id = entry.comment_id if entry else _find_existing(connector, target, fp)
        if comment_id:
            connector.edit_comment(target, comment_id, message)
            plan.edited.append(label)
        else:
            comment_id = connector.post_comment(target, message)
            plan.created.append(label)
        store.save_alert(AlertEntry(fp, target, rule, subject, comment_id, OPEN, digest))

    for (fp, target), entry in sorted(ledger.items()):
        if (fp, target) in live or entry.state != OPEN:
            continue
        label = f"{entry.rule} on {target}"
        tracker = split_key(target)[0]
        if tracker not in ws.config.trackers or tracker in skip_trackers or not entry.comment_id:
            plan.skipped.append(label)
            continue
        if dry_run:
            plan.resolved.append(label)
            continue
        message = _resolved_message(entry, portfolio, ws.today.isoformat())
        ws.connector(tracker).edit_comment(target, entry.comment_id, message)
        store.save_alert(AlertEntry(fp, target, entry.rule, entry.subject_key, entry.comment_id,
                                    RESOLVED, message_hash(message)))
        plan.resolved.append(label)
    log.info("alerts: %d created, %d edited, %d resolved, %d unchanged", len(plan.created),
             len(plan.edited), len(plan.resolved), len(plan.unchanged))
    return plan


def _find_existing(connector, target: str, fp: str) -> str | None:
    for comment in connector.list_comments(target):
        if comment.fingerprint == fp:
            log.info("alerts: adopting existing comment %s on %s", comment.id, target)
            return comment.id
    return None


def _messages(ws: Workspace, findings: list[Finding], portfolio: Portfolio,
              links: dict[str, str]):
    """(fingerprint, target, rule, subject, message) for every comment there should be.

    Lines in digest mode get one comment per epic listing all of its findings."""
    digest_lines = {line.name for line in ws.config.product_lines if line.alerts == "digest"}
    digests: dict[str, list[Finding]] = {}
    for finding in findings:
        for target in targets_of(portfolio, finding):
            line = portfolio.items[target].product_line if target in portfolio.items else None
            if line in digest_lines:
                digests.setdefault(target, []).append(finding)
            else:
                yield (finding.fingerprint, target, finding.rule, finding.subject_key,
                       compose(finding, portfolio, links.get(finding.product_line or "")))
    for target, group in sorted(digests.items()):
        epic = portfolio.items[target]
        fp = fingerprint("digest", target)
        facts = [AlertFact(f.severity.capitalize(), f"[{f.rule}] {f.message}") for f in group]
        if links.get(epic.product_line or ""):
            facts.append(AlertFact("Report", "sprint review", link_url=links[epic.product_line]))
        message = AlertMessage(
            fingerprint=fp,
            headline=f"{len(group)} open problem{'s' if len(group) != 1 else ''} on "
                     f"{split_key(target)[1]} {epic.title}",
            facts=tuple(facts),
            advice="Each line is one finding; `pmsync check --explain FINGERPRINT` shows why.",
        )
        yield fp, target, "digest", target, message


def _resolved_message(entry: AlertEntry, portfolio: Portfolio, today: str) -> AlertMessage:
    subject = portfolio.items.get(entry.subject_key)
    title = f"{split_key(entry.subject_key)[1]} {subject.title}" if subject else entry.subject_key
    return AlertMessage(
        fingerprint=entry.fingerprint,
        headline=f"{entry.rule}: {title}",
        facts=(AlertFact("Status", "This problem is no longer detected."),),
        resolved_on=today,
    )
