"""The sync cursor's clock: when a sync is incremental and when it reconciles.

An incremental sync asks only for what changed since the cursor (minus an
overlap, because trackers stamp changes late); every ``reconcile_hours`` a
sync re-reads the site's setup and lists every key, so deletions and moves
are seen. Both connectors decide this the same way, here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pmsync.kit.options import Option

SYNC_OPTIONS = (
    Option("overlap_minutes", "int", 2, "minutes an incremental sync re-reads before its cursor "
           "(trackers stamp changes late)", min=0, max=1440),
    Option("reconcile_hours", "number", 24, "hours between full re-reads of the setup that also "
           "detect deleted and moved items (0: every run)", min=0, max=8760),
)


class SyncClock:
    """``reconcile`` is true on a first sync, when the cursor lacks ``needs`` (what the site
    is like), and when the last reconcile is ``every`` old; ``state`` is the cursor to extend."""

    def __init__(self, cursor: dict[str, Any] | None, options: dict[str, Any], needs: str,
                 now: datetime | None = None):
        self.first = cursor is None
        self.state: dict[str, Any] = dict(cursor or {})
        self.now = now or datetime.now(UTC)
        self.overlap = timedelta(minutes=options["overlap_minutes"])
        every = timedelta(hours=options["reconcile_hours"])
        last = _moment(self.state.get("reconciled_at"))
        self.reconcile = (self.first or needs not in self.state or last is None
                          or self.now - last >= every)

    @property
    def detects_removals(self) -> bool:
        """A reconcile after the first sync lists every key: what is missing was removed."""
        return self.reconcile and not self.first

    def done(self, **updates: Any) -> dict[str, Any]:
        """The cursor to store at the end of this sync."""
        if self.reconcile:
            self.state["reconciled_at"] = self.now.isoformat()
        return {**self.state, **updates}


def _moment(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None  # a damaged cursor: reconcile, which rewrites it
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)
