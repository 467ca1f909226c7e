"""Dates as the tracker's people read them: in the site's time zone, not raw ISO stamps.

The zone is the one the tracker itself uses for this account: Jira's /myself timeZone
(the connector keeps it in its sync cursor), a tracker's ``time_zone`` option (ClickUp),
else UTC. A moment shows as its calendar day there ("Dec 5, 2026"); its time only where
it matters, i.e. when moments compared in one message fall on the same day.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def site_zone(ws: Any, tracker: str) -> ZoneInfo:
    """The tracker's calendar, as the workspace knows it (one place decides it)."""
    zone = ws.zones().get(tracker)
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo("UTC")


def day_text(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def readable(values: Iterable[str], zone: ZoneInfo) -> list[str]:
    """Each value as a person reads it: ISO moments and days rewritten, the rest as given."""
    values = list(values)
    moments = {i: datetime.fromisoformat(v).astimezone(zone) for i, v in enumerate(values)
               if ISO_MOMENT.match(v) and _parses(v)}
    days = [m.date() for m in moments.values()]
    same_day = len(days) != len(set(days))  # two moments on one day: the time tells them apart
    out = []
    for i, value in enumerate(values):
        if i in moments:
            moment = moments[i]
            out.append(day_text(moment.date())
                       + (f" {moment:%H:%M} {moment.tzname()}" if same_day else ""))
        elif ISO_DAY.match(value):
            out.append(day_text(date.fromisoformat(value)))
        else:
            out.append(value)
    return out


def _parses(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True
