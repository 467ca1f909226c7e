"""`pmsync impact KEY [--slip DAYS]`: the knock-on what-if, printed; writes nothing."""

from __future__ import annotations

import json
from typing import Any

from pmsync.errors import ConfigError
from pmsync.reports import metric_settings
from pmsync.schedule import Broken, Impact, ItemDates, impact, resolve_key
from pmsync.workspace import Workspace


def run_impact(ws: Workspace, typed_key: str, slip_days: int | None) -> Impact:
    if slip_days is not None and slip_days < 0:
        raise ConfigError(f"--slip must be 0 or more days, not {slip_days}")
    portfolio = ws.portfolio()
    key = resolve_key(portfolio, typed_key)
    if key is None:
        raise ConfigError(f"no item {typed_key!r} in the synced portfolio: give a key as the "
                          "tracker shows it (e.g. PAY-20 or jira:PAY-20), or run `pmsync sync`")
    item = portfolio.items[key]
    if not item.is_open:
        raise ConfigError(f"{item.name} is {item.status}: nothing waits on it any more")
    settings_of = metric_settings(ws)  # epics finish no earlier than the forecast rule says
    return impact(portfolio, key, slip_days, lambda line: settings_of(line).forecast)


def _day(moment) -> str | None:
    return moment.date().isoformat() if moment else None


def _hop(dates: ItemDates) -> dict[str, Any]:
    return {"key": dates.key, "label": dates.item.name, "title": dates.item.title,
            "line": dates.line,
            "planned_start": _day(dates.planned_start),
            "planned_finish": _day(dates.planned_finish),
            "earliest_start": _day(dates.earliest_start),
            "earliest_finish": _day(dates.earliest_finish),
            "days_late": dates.days_late, "reason": dates.reason}


def _broken(b: Broken) -> dict[str, Any]:
    return {"key": b.key, "label": b.label, "name": b.name, "line": b.line,
            "date": b.limit.isoformat() if b.limit else None,
            "earliest_finish": _day(b.earliest_finish), "days_late": b.days_late,
            "chain": list(b.chain)}


def impact_json(result: Impact) -> str:
    return json.dumps({
        "subject": _hop(result.subject),
        "slip_days": result.slip_days,
        "items": [_broken(b) for b in result.of_kind("item")],
        "epics": [_broken(b) for b in result.of_kind("epic")],
        "releases": [_broken(b) for b in result.of_kind("release")],
        "lines": result.lines,
        "chain": {parent: children for parent, children in result.tree.items()},
    }, indent=2)


def _clean(text: str) -> str:
    """Tracker text on a terminal: no control characters (no escape sequences)."""
    return "".join(c if c.isprintable() else " " for c in text)


def _label(dates: ItemDates) -> str:
    return (f"{_named(dates.item.name, dates.item.title)} "
            f"({_clean(dates.line or 'no line')})")


def _dated(dates: ItemDates) -> str:
    late = f": {dates.days_late} days late" if dates.days_late else ": on time"
    return (f"planned {_day(dates.planned_start) or '-'} to {_day(dates.planned_finish) or '-'}, "
            f"earliest {_day(dates.earliest_start) or '-'} to "
            f"{_day(dates.earliest_finish) or '-'}{late}")


def impact_tree(result: Impact) -> str:
    subject = result.subject
    slip = (f"if it finishes {result.slip_days} more days later" if result.slip_days
            else "as planned today")
    lines = [f"{_label(subject)}, {slip}",
             f"  finishes {_day(subject.earliest_finish) or '-'} at the earliest "
             f"(planned {_day(subject.planned_finish) or '-'})"]
    breaks: dict[str, list[Broken]] = {}
    for b in result.broken:
        if b.kind != "item":
            breaks.setdefault(b.chain[-1], []).append(b)
    # Depth-first with an explicit stack: chains can be longer than Python's recursion limit.
    stack: list[tuple[str, str]] = [(child, "") for child in reversed(result.tree.get(
        subject.key, []))]
    firsts = set(result.tree.get(subject.key, [])[-1:])
    while stack:
        key, indent = stack.pop()
        dates = result.dates[key]
        last = key in firsts
        branch = "└─ " if last else "├─ "
        via = "part of" if dates.reason == "children" else "waits on it:"
        lines.append(f"{indent}{branch}{via} {_label(dates)}; {_dated(dates)}")
        deeper = indent + ("   " if last else "│  ")
        for b in breaks.get(key, []):
            lines.append(f"{deeper}✗ breaks {_target(b)} ({_clean(b.line or 'no line')}) "
                         f"dated {b.limit}: {b.days_late} days late")
        children = result.tree.get(key, [])
        firsts.update(children[-1:])
        stack.extend((child, deeper) for child in reversed(children))
    for b in breaks.get(subject.key, []):
        lines.append(f"  ✗ breaks its own {_target(b)} dated {b.limit}: {b.days_late} days late")
    if not result.broken:
        lines.append("Breaks nothing downstream: every date still holds.")
    else:
        counts = ", ".join(_count(len(result.of_kind(kind)), kind)
                           for kind in ("item", "epic", "release"))
        lines.append(f"Breaks {counts} in {', '.join(result.lines)}.")
    return "\n".join(lines)


def _target(b: Broken) -> str:
    if b.kind == "epic":
        return f"epic {_named(b.label, b.name)}"
    return f"release {_clean(b.name)}"


def _named(label: str, title: str) -> str:
    """The key, then the title unless the key is the title (a ClickUp task without a
    custom id is named by its name)."""
    return _clean(label if label == title else f"{label} {title}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
