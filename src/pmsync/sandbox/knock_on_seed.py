"""The knock-on case for the sandbox: a delay that crosses lines and trackers.

A Mobile story (the root) is overdue. A Payments story waits on it, a ClickUp
(Platform) task waits on that Payments story, and another ClickUp task waits on
the first: none of these links looks wrong on its own (every blocker is planned
to finish before what it blocks starts), so no pairwise rule speaks, but the
root's delay carried through three links pushes the Platform epic past its due
date. Next to it, a control: the same root also blocks a two-hop chain in Web
with enough slack to absorb the delay (it breaks only when the root slips two
more weeks, which `pmsync impact ROOT --slip 14` shows).

Day offsets are from the seed's today, Jira's in the Jira site's calendar (New York's
by default), ClickUp's in UTC; a day between the Jira and the ClickUp hop keeps even
New York's end of day before the ClickUp task's start. The root was due at the end of
day -3 and is still open, so it finishes now at the earliest.

    root (Mobile)      start -10  due -3   open, overdue
    pay  (Payments)    start -2   due +5   waits on root
    sync (Platform)    start +7   due +9   waits on pay      epic due +10
    admin (Platform)   start +10  due +10  waits on sync     same epic
    banner (Web)       start +2   due +6   waits on root     epic due +14
    analytics (Web)    start +8   due +12  waits on banner   same epic

No story points, no sprints: the sprint, forecast and scope rules see nothing new.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

ROOT = "Wallet token vault migration"
PAY = "Wallet API for the platform"
SLACK_EPIC = "Wallet launch on the web"
SYNC_EPIC = "Wallet sync"


def plant_jira(b: Any) -> None:
    """The Jira hops (called by the Jira seed with its builder)."""
    site = b.site
    root = b.issue("MOB", "Story", ROOT, parent=site.issues["MOB-1"], start=-10, due=-3,
                   status="In Progress")
    pay = b.issue("PAY", "Story", PAY, parent=site.issues["PAY-1"], start=-2, due=5)
    site.add_link(root["key"], pay["key"])
    web = b.issue("WEB", "Epic", SLACK_EPIC, start=-20, due=14, status="In Progress")
    banner = b.issue("WEB", "Story", "Wallet promo banner", parent=web, start=2, due=6)
    analytics = b.issue("WEB", "Story", "Wallet promo analytics", parent=web, start=8, due=12)
    site.add_link(root["key"], banner["key"])
    site.add_link(banner["key"], analytics["key"])


def plant_clickup(site: Any, ws: Any, make_task: Any, backlog: dict[str, Any],
                  today: date) -> None:
    """The ClickUp hops (called by the ClickUp seed once the Jira issues exist);
    ``make_task(name, home, status)`` is the ClickUp seed's own task maker."""
    from pmsync.sandbox.clickup_site import ms

    root = next(k for k, i in site.issues.items() if i["fields"]["summary"] == ROOT)
    pay = next(k for k, i in site.issues.items() if i["fields"]["summary"] == PAY)

    def at(days: int) -> int:
        return ms(datetime.combine(today + timedelta(days=days), time(4), UTC))

    epic = make_task(SYNC_EPIC, backlog, "in progress")
    epic["tags"].append({"name": "epic", "tag_fg": "#800000", "tag_bg": "#800000",
                         "creator": 183})
    epic["start_date"], epic["due_date"] = at(-30), at(10)
    sync = make_task("Wallet sync service", backlog, "to do")
    admin = make_task("Wallet sync in the admin app", backlog, "to do")
    for task, start, due in ((sync, 7, 9), (admin, 10, 10)):
        task["parent"] = task["top_level_parent"] = epic["id"]
        task["start_date"], task["due_date"] = at(start), at(due)
    waits_on = next(f for f in sync["custom_fields"] if f["name"] == "Waits on (Jira)")
    waits_on["value"] = f"{site.base_url}/browse/{pay}"
    ws.add_dependency(sync["id"], admin["id"])
    site.planted.setdefault("dependency-knock-on", []).append(
        (f"clickup:{epic['id']}", (f"jira:{root}",)))
