"""dependency-knock-on: a delay carried through two or more links breaks an epic's due
date or a release's date.

The pairwise dependency rules see one link at a time; this one reads the propagated
schedule (pmsync.schedule). One finding per impacted epic or release per root cause,
never one per downstream item: the subject is the epic (or release), the related key
the root, so the comment lands on the impacted epic and, across lines, on the root's
epic, and each tells the whole chain and everything else the root knocks on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from pmsync.config import RuleSettings
from pmsync.hookspecs import hookimpl
from pmsync.kit.options import Option
from pmsync.model import Finding
from pmsync.portfolio import Portfolio
from pmsync.rules import RULE_SETTINGS, BaseRule, thresholds
from pmsync.schedule import ItemDates, KnockOn, knock_ons, portfolio_schedule

REASONS = {"overdue": "overdue, still open", "forecast": "its forecast lands after its plan",
           "plan": "planned to finish after what it blocks starts",
           "children": "its children finish after it", "slip": "slipped"}


def count(n: int, noun: str) -> str:
    """"1 day", "3 days", "1 more hop"."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _day(moment) -> str:
    return moment.date().isoformat() if moment else "-"


def describe_hop(hop: ItemDates, first: bool) -> str:
    """One hop as the evidence and the reports tell it: key, line, dates, why."""
    native = hop.item.name
    line = hop.line or "no line"
    if first:
        why = REASONS.get(hop.reason, hop.reason)
        return (f"{native} ({line}) planned to finish {_day(hop.planned_finish)}, finishes "
                f"{_day(hop.earliest_finish)} at the earliest: {why}")
    via = "part of it" if hop.reason == "children" else "waits on the previous hop"
    late = f", {count(hop.days_late, 'day')} late" if hop.days_late else ""
    return (f"{native} ({line}) {via}; planned {_day(hop.planned_start)} to "
            f"{_day(hop.planned_finish)}, earliest {_day(hop.earliest_start)} to "
            f"{_day(hop.earliest_finish)}{late}")


def shown_hops(chain: tuple[ItemDates, ...], limit: int) -> list[tuple[int, ItemDates | None]]:
    """At most ``limit`` hops: the first ones and the last one, a gap (None) between."""
    if len(chain) <= limit:
        return list(enumerate(chain))
    head = list(enumerate(chain[: max(limit - 1, 1)]))
    return [*head, (-1, None), (len(chain) - 1, chain[-1])]


def forecast_settings_of(portfolio: Portfolio):
    """A line's forecast settings as the forecast rule has them in this check (so the
    epics' forecasts here are the ones that rule and the reports simulate, once)."""
    from pmsync.rules.forecast import ForecastAfterDue

    peers = portfolio.memo(RULE_SETTINGS, dict)
    own = peers.get(ForecastAfterDue.id, RuleSettings())
    return lambda line: ForecastAfterDue().forecast_settings(own, line)


class DependencyKnockOn(BaseRule):
    id = "dependency-knock-on"
    # Not "dependency": reports read those findings as one conflicting link (subject and
    # related its two ends); a knock-on's ends are an epic and a root far upstream.
    category = "schedule"
    advice = ("Pull the root forward, or move the dates it knocks on: the chain names each "
              "team on the way, and `pmsync impact ROOT` shows what else it holds up.")
    severity = "warning"
    cross_line_severity = "critical"
    summary = ("Dates propagated through the dependency graph push an epic past its due date "
               "or a release past its date, two or more links away from the late root.")
    options = thresholds(
        Option("min_days_late", "int", 1, "days past the due or release date before it counts",
               min=1, max=3650),
        Option("max_chain_shown", "int", 6, "hops of the chain a finding shows (longer: the "
               "first ones and the last)", min=2, max=1000))

    def evaluate(self, portfolio: Portfolio, settings: RuleSettings) -> Iterator[Finding]:
        schedule = portfolio_schedule(portfolio, forecast_settings_of(portfolio))
        found = [k for k in knock_ons(schedule)
                 if k.days_late >= self.opt(settings, "min_days_late", k.target.line)]
        by_root: dict[str, list[KnockOn]] = defaultdict(list)
        for knock in found:
            by_root[knock.root_key].append(knock)
        for knock in found:
            line = knock.target.line
            yield self._finding(portfolio, knock, by_root[knock.root_key],
                                int(self.opt(settings, "max_chain_shown", line)))

    def _finding(self, portfolio: Portfolio, knock: KnockOn, siblings: list[KnockOn],
                 limit: int) -> Finding:
        target, chain = knock.target, knock.chain
        root = chain[0]
        items = portfolio.items
        what = f"Epic {target.label}" if target.kind == "epic" else f"Release {target.name}"
        when = "due" if target.kind == "epic" else "dated"
        path = " → ".join(items[k].name for k in knock.chain_keys)
        across = (f" across product lines ({', '.join(knock.lines)})"
                  if knock.crosses_lines else "")
        message = (f"{what} is {when} {target.limit.isoformat()} but "
                   f"{items[knock.chain_keys[-1]].name} finishes "
                   f"{_day(chain[-1].earliest_finish)} at the earliest, "
                   f"{count(knock.days_late, 'day')} late, knocked on by {root.item.name} "
                   f"through {count(chain[-1].links, 'link')}{across}: {path}.")
        evidence: list[tuple[str, str]] = [
            ("root", describe_hop(root, first=True)),
            (f"{target.kind} date", target.limit.isoformat()),
            ("days late", str(knock.days_late)),
        ]
        for number, hop in shown_hops(chain, limit)[1:]:
            if hop is None:
                evidence.append(("hops", f"… {count(len(chain) - limit, 'more hop')}"))
            else:
                evidence.append((f"hop {number}", describe_hop(hop, first=False)))
        others = [k for k in knock.late_keys if k != knock.chain_keys[-1]]
        if others:
            evidence.append(("also late here", ", ".join(items[k].name for k in others[:10])
                             + (f" and {len(others) - 10} more" if len(others) > 10 else "")))
        evidence.append(("root knocks on", "; ".join(
            f"{s.target.called} ({s.target.line or 'no line'}) by {count(s.days_late, 'day')}"
            for s in siblings)))
        return self.finding(
            self.cross_line_severity if knock.crosses_lines else self.severity,
            subject_key=target.key, product_line=target.line, related_keys=(root.key,),
            message=message, evidence=tuple(evidence))


@hookimpl
def register_rules(register):
    register(DependencyKnockOn())
