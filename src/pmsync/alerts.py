"""Step 3: one sticky comment per finding on the epic concerned.

The alert ledger maps (fingerprint, epic) to the tracker comment. A finding
seen before with the same text makes no call; changed text edits the comment;
a finding that went away has its comment marked resolved. Before any write we
look for our own comments with the finding's marker on the epic (pmsync.once):
a crash between posting and recording, or a lost answer, never leads to a
second comment, and repeats left by older versions are folded into one.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from zoneinfo import ZoneInfo

from pmsync.connector import AlertFact, AlertMessage, Comment
from pmsync.errors import AuthError, TrackerError
from pmsync.model import SEVERITIES, Finding, fingerprint, split_key
from pmsync.once import oldest_first, plain
from pmsync.portfolio import Portfolio
from pmsync.rules import advice_for
from pmsync.site_time import readable, site_zone
from pmsync.store import AlertEntry, content_hash, ledger_text
from pmsync.untrusted import tidy_message
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


def named(item) -> str:
    """An item as a person names it: its key and title (the title once, when the key is it)."""
    return item.name if item.name == item.title else f"{item.name} {item.title}"


def compose(finding: Finding, portfolio: Portfolio, report_url: str | None = None,
            zone: ZoneInfo | None = None) -> AlertMessage:
    subject = portfolio.items.get(finding.subject_key)
    facts = [AlertFact("Rule", f"{finding.rule} ({finding.severity})")]
    facts.append(AlertFact("Item", named(subject) if subject else split_key(finding.subject_key)[1],
                           link_url=subject.url if subject else None))
    for key in finding.related_keys:
        related = portfolio.items.get(key)
        label = named(related) if related else split_key(key)[1]
        line = f" ({related.product_line})" if related and related.product_line else ""
        facts.append(AlertFact("Related", label + line,
                               link_url=related.url if related else None))
    # Dates in the site's time zone, as the tracker shows them (not raw ISO stamps).
    values = readable((value for _, value in finding.evidence), zone or ZoneInfo("UTC"))
    facts.extend(AlertFact(name.capitalize(), value)
                 for (name, _), value in zip(finding.evidence, values, strict=True))
    if report_url:
        facts.append(AlertFact("Report", "sprint review", link_url=report_url))
    return AlertMessage(
        fingerprint=finding.fingerprint,
        headline=finding.message,
        facts=tuple(facts),
        advice=advice_for(finding.rule),
        report_url=report_url,
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
    writes = []
    failures: list[str] = []
    for fp, target, rule, subject, severity, message, names in _messages(ws, findings, portfolio,
                                                                         links):
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
        message = tidy_message(message)  # tracker text: no control characters, bounded
        digest = message_hash(message)
        entry = ledger.get((fp, target))
        if entry and entry.state == OPEN and entry.body_hash == digest:
            plan.unchanged.append(label)
            said = (severity, ledger_text(message.headline))
            if not dry_run and (entry.severity, entry.message) != said:
                store.describe_alert(fp, target, *said)  # a row from before migration 7
            continue
        if dry_run:
            (plan.edited if entry else plan.created).append(label)
            continue
        writes.append((fp, target, rule, subject, severity, message, names, label, entry, digest))

    # Before a comment is posted or edited, the items it names must still be there: a
    # deleted one would otherwise keep its finding (and comment) until the next reconcile.
    gone = _gone(ws, {name for write in writes for name in write[6]}, skip_trackers)
    for fp, target, rule, subject, severity, message, names, label, entry, digest in writes:
        if gone & set(names):
            live.discard((fp, target))  # its open comment, if any, is resolved below
            plan.skipped.append(f"{label} (names a deleted item: "
                                f"{', '.join(sorted(gone & set(names)))})")
            continue
        try:
            comment_id = _write(ws, plan, target, fp, message, label, entry)
        except AuthError:
            raise
        except TrackerError as exc:  # one comment failing does not stop the others
            failures.append(f"{label}: {exc}")
            continue
        store.save_alert(AlertEntry(fp, target, rule, subject, comment_id, OPEN, digest,
                                    severity, message.headline))

    for (fp, target), entry in sorted(ledger.items()):
        if (fp, target) in live or entry.state != OPEN:
            continue
        label = f"{entry.rule} on {target}"
        tracker = split_key(target)[0]
        if tracker not in ws.config.trackers or tracker in skip_trackers or not entry.comment_id \
                or target in gone:
            plan.skipped.append(label)
            continue
        if dry_run:
            plan.resolved.append(label)
            continue
        message = tidy_message(_resolved_message(entry, portfolio,
                                                  portfolio.today_for(target).isoformat()))
        connector = ws.connector(tracker)
        try:
            existing = _ours(connector, target, fp, entry.comment_id)
            if existing is not None:  # gone (deleted by a person): nothing left to mark
                connector.edit_comment(target, existing.id, message)
        except AuthError:
            raise
        except TrackerError as exc:
            failures.append(f"{label}: {exc}")
            continue
        store.save_alert(AlertEntry(fp, target, entry.rule, entry.subject_key,
                                    existing.id if existing else entry.comment_id,
                                    RESOLVED, message_hash(message), entry.severity,
                                    entry.message))
        plan.resolved.append(label)
    log.info("alerts: %d created, %d edited, %d resolved, %d unchanged", len(plan.created),
             len(plan.edited), len(plan.resolved), len(plan.unchanged))
    if failures:
        raise AlertsIncomplete(
            f"{len(failures)} alert comment{'s' if len(failures) != 1 else ''} could not be "
            f"written (the next run tries again): {failures[0]}", plan)
    return plan


def _write(ws: Workspace, plan: AlertPlan, target: str, fp: str, message: AlertMessage,
           label: str, entry: AlertEntry | None) -> str:
    """Post, adopt or edit the one comment for ``fp`` on ``target``; its id."""
    connector = ws.connector(split_key(target)[0])
    existing = _ours(connector, target, fp, entry.comment_id if entry else None)
    if existing is None:
        comment_id = connector.post_comment(target, message)
        plan.created.append(label)
    elif not entry and _says(connector, existing, message):
        comment_id = existing.id  # adopted after a lost store, and already says it all
        log.info("alerts: adopting comment %s on %s as it is", comment_id, target)
        plan.unchanged.append(label)
    else:
        comment_id = existing.id
        connector.edit_comment(target, comment_id, message)
        plan.edited.append(label)
    return comment_id


def _says(connector, comment: Comment, message: AlertMessage) -> bool:
    """Whether ``comment`` already reads as ``message`` would (a plugin connector that
    cannot tell gets its comment edited, as before)."""
    render = getattr(connector, "comment_text", None)
    return render is not None and plain(comment.text) == plain(render(message))


class AlertsIncomplete(TrackerError):
    """Some comments could not be written; ``plan`` says what was."""

    def __init__(self, message: str, plan: AlertPlan):
        super().__init__(message)
        self.plan = plan


def _gone(ws: Workspace, keys: set[str], skip_trackers: frozenset[str]) -> set[str]:
    """Those of ``keys`` whose item was deleted, asking each tracker once (keys only). A
    moved item answers under its new key: it is the same item, not gone."""
    gone: set[str] = set()
    by_tracker: dict[str, list[str]] = {}
    for key in sorted(keys):
        by_tracker.setdefault(split_key(key)[0], []).append(key)
    for tracker, asked in by_tracker.items():
        if tracker not in ws.config.trackers or tracker in skip_trackers:
            continue
        check = getattr(ws.connector(tracker), "existing_keys", None)
        if check is None:
            continue  # a connector that cannot tell: trust the last sync
        try:
            now = check(asked)
        except TrackerError as exc:  # the check is a courtesy: the next reconcile catches up
            log.warning("alerts: could not check that %d items still exist: %s", len(asked), exc)
            continue
        moved = {k: v for k, v in now.items() if v and v != k}
        if moved:
            log.info("alerts: moved since the last sync: %s", ", ".join(
                f"{k} is now {v}" for k, v in sorted(moved.items())))
        gone.update(k for k, v in now.items() if v is None)
    if gone:
        log.info("alerts: deleted since the last sync: %s", ", ".join(sorted(gone)))
    return gone


def _ours(connector, target: str, fp: str, known_id: str | None) -> Comment | None:
    """The one comment of ours for ``fp`` on ``target``, extras folded away.

    Only comments our own account wrote, with the marker on their own last line, count:
    a person's comment is never adopted, edited or deleted, whatever it says. When there
    are several (a race, an answer lost before this version), the ledger's one is kept,
    else the oldest, and the others are deleted.
    """
    ours = {c.id: c for c in connector.list_comments(target) if c.mine and c.fingerprint == fp}
    if not ours:
        return None
    keep = known_id if known_id in ours else oldest_first(ours)[0]
    for extra in oldest_first(i for i in ours if i != keep):
        log.warning("alerts: deleting comment %s on %s, a repeat of our comment %s",
                    extra, target, keep)
        if not hasattr(connector, "delete_comment"):  # a plugin that cannot delete
            continue
        connector.delete_comment(target, extra)
    return ours[keep]


def _messages(ws: Workspace, findings: list[Finding], portfolio: Portfolio,
              links: dict[str, str]):
    """(fingerprint, target, rule, subject, severity, message, the item keys it names) for
    every comment there should be.

    Lines in digest mode get one comment per epic listing all of its findings."""
    digest_lines = {line.name for line in ws.config.product_lines if line.alerts == "digest"}
    digests: dict[str, list[Finding]] = {}
    for finding in findings:
        for target in targets_of(portfolio, finding):
            line = portfolio.items[target].product_line if target in portfolio.items else None
            if line in digest_lines:
                digests.setdefault(target, []).append(finding)
            else:
                names = (target, finding.subject_key, *finding.related_keys)
                zone = site_zone(ws, split_key(target)[0])
                yield (finding.fingerprint, target, finding.rule, finding.subject_key,
                       finding.severity,
                       compose(finding, portfolio, links.get(finding.product_line or ""), zone),
                       names)
    for target, group in sorted(digests.items()):
        epic = portfolio.items[target]
        fp = fingerprint("digest", target)
        facts = [AlertFact(f.severity.capitalize(), f"[{f.rule}] {f.message}") for f in group]
        if links.get(epic.product_line or ""):
            facts.append(AlertFact("Report", "sprint review", link_url=links[epic.product_line]))
        message = AlertMessage(
            fingerprint=fp,
            headline=f"{len(group)} open problem{'s' if len(group) != 1 else ''} on "
                     f"{named(epic)}",
            facts=tuple(facts),
            advice="Each line is one finding; `pmsync check --explain FINGERPRINT` shows why.",
            report_url=links.get(epic.product_line or ""),
        )
        worst = max((f.severity for f in group), key=SEVERITIES.index)
        yield fp, target, "digest", target, worst, message, (target,)


def _resolved_message(entry: AlertEntry, portfolio: Portfolio, today: str) -> AlertMessage:
    subject = portfolio.items.get(entry.subject_key)
    title = named(subject) if subject else split_key(entry.subject_key)[1]
    return AlertMessage(
        fingerprint=entry.fingerprint,
        headline=f"{entry.rule}: {title}",
        facts=(AlertFact("Status", "This problem is no longer detected."),),
        resolved_on=today,
    )
