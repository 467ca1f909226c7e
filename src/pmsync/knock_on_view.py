"""What the reports show of knock-on effects, as plain data.

The roadmap marks the chains behind the ``dependency-knock-on`` findings (only those:
settings and suppressions apply as for the comments): each chain with its hops, the
links on it for the dependency table, and short notes for the timeline's bars (the
impacted epic, and the root's epic). Each sprint review lists the line's work that is
late because of another line, with the root. Everything reads the one propagated
schedule (pmsync.schedule), worked out once per portfolio.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pmsync.model import Finding
from pmsync.portfolio import Portfolio
from pmsync.schedule import ItemDates, KnockOn, knock_ons, portfolio_schedule

RULE = "dependency-knock-on"


@dataclass(frozen=True)
class Hop:
    """One hop of a chain as a report row: the item, its line, its dates, how late."""

    dates: ItemDates
    via: str  # "root", "waits on", "part of"

    @property
    def item(self):
        return self.dates.item


@dataclass(frozen=True)
class Chain:
    knock: KnockOn
    hops: tuple[Hop, ...]

    @property
    def target(self):
        return self.knock.target

    @property
    def root(self) -> ItemDates:
        return self.hops[0].dates

    @property
    def path(self) -> str:
        return " → ".join(h.item.name for h in self.hops)


@dataclass(frozen=True)
class LateFromElsewhere:
    """An item of the line, late because of a root in another line."""

    dates: ItemDates
    root: ItemDates
    path: str  # root → ... → the item, as people name them

    @property
    def item(self):
        return self.dates.item


@dataclass
class KnockOnView:
    chains: list[Chain] = field(default_factory=list)
    edges: dict[tuple[str, str], str] = field(default_factory=dict)  # link → what it breaks
    marks: dict[str, list[str]] = field(default_factory=dict)  # epic key → timeline notes


def _hops(knock: KnockOn) -> tuple[Hop, ...]:
    return tuple(Hop(d, "root" if n == 0 else "part of" if d.reason == "children"
                     else "waits on") for n, d in enumerate(knock.chain))


def knock_on_view(portfolio: Portfolio, findings: list[Finding],
                  forecast_settings: Callable[[str | None], Any] | None = None) -> KnockOnView:
    """The chains behind the knock-on findings."""
    wanted = {(f.subject_key, f.related_keys[0]) for f in findings
              if f.rule == RULE and f.related_keys}
    view = KnockOnView()
    if not wanted:
        return view
    schedule = portfolio_schedule(portfolio, forecast_settings)
    found = portfolio.memo(("knock-ons", id(schedule)), lambda: knock_ons(schedule))
    for knock in found:
        if (knock.target.key, knock.root_key) not in wanted:
            continue
        chain = Chain(knock, _hops(knock))
        view.chains.append(chain)
        days = f"{knock.days_late} day{'' if knock.days_late == 1 else 's'}"
        breaks = f"{knock.target.called} by {days}"
        for before, hop in zip(chain.hops, chain.hops[1:], strict=False):
            if hop.via == "waits on":
                view.edges.setdefault((before.item.key, hop.item.key),
                                      f"on the chain from {chain.root.item.name} that "
                                      f"breaks {breaks}")
        if knock.target.kind == "epic":
            view.marks.setdefault(knock.target.key, []).append(
                f"knock-on: {days} past due, from {chain.root.item.name} "
                f"({chain.root.line or 'no line'}) via {chain.path}")
        root_epic = portfolio.epic_of(chain.root.item.key)
        if root_epic is not None and root_epic.key != knock.target.key:
            view.marks.setdefault(root_epic.key, []).append(
                f"knock-on root {chain.root.item.name} breaks {breaks}")
    view.chains.sort(key=lambda c: (-c.knock.days_late, c.target.key, c.knock.root_key))
    return view


def late_from_other_lines(portfolio: Portfolio, line: str,
                          forecast_settings: Callable[[str | None], Any] | None = None,
                          first: int | None = None) -> tuple[list[LateFromElsewhere], int]:
    """The line's open work (not epics) whose earliest finish is after its planned finish
    because of a root in another line, latest first: the ``first`` rows (all without it),
    and how many more there are."""
    schedule = portfolio_schedule(portfolio, forecast_settings)
    by_line = portfolio.memo(("late-from-other-lines", id(schedule)),
                             lambda: _late_by_line(portfolio, schedule))
    late = by_line.get(line, [])
    shown = late if first is None else late[:first]
    # A row's root and path are made only for the rows shown (a line at a million items
    # has tens of thousands of them).
    items = portfolio.items
    rows = [LateFromElsewhere(dates, schedule.dates(chain[0]),
                              " → ".join(items[k].name for k in chain))
            for dates, chain in shown]
    return rows, len(late) - len(rows)


def _late_by_line(portfolio: Portfolio, schedule: Any
                  ) -> dict[str | None, list[tuple[ItemDates, tuple[str, ...]]]]:
    """Every line's late items and their chains, latest first: one pass over the schedule
    for all the reviews."""
    out: dict[str | None, list[tuple[ItemDates, tuple[str, ...]]]] = {}
    items = portfolio.items
    for _, item, _ in schedule.late():
        if item.kind == "epic":
            continue
        # The chain first (root first): most late items are their own root or have it in
        # their own line, and their dates (datetimes in the site's zone) are not needed.
        chain = schedule.chain_keys(item.key)
        if chain[0] == item.key or items[chain[0]].product_line == item.product_line:
            continue
        dates = schedule.dates(item.key)
        if dates.days_late < 1:
            continue
        out.setdefault(item.product_line, []).append((dates, chain))
    for rows in out.values():
        rows.sort(key=lambda row: (-row[0].days_late, row[0].item.key))
    return out
