"""Everything one pmsync invocation works with: config, plugins, store, connectors,
and the clock: one instant, read in each tracker's site calendar."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pmsync.config import Config, load_config
from pmsync.connector import CALENDAR_KEY, Connector
from pmsync.errors import ConfigError
from pmsync.plugins import Registry, default_registry
from pmsync.portfolio import Baseline, Portfolio
from pmsync.store import Store

log = logging.getLogger("pmsync.workspace")


class Workspace:
    def __init__(self, config: Config, registry: Registry, now: datetime | None = None):
        self.config = config
        self.registry = registry
        self.now = now or datetime.now(UTC)
        self._connectors: dict[str, Connector] = {}

    @classmethod
    def open(cls, config_path: Path, registry: Registry | None = None,
             now: datetime | None = None):
        registry = registry or default_registry()
        return cls(load_config(config_path, registry), registry, now)

    def zones(self) -> dict[str, tzinfo]:
        """Each tracker's site calendar: the zone its connector recorded at the last sync
        (connector.CALENDAR_KEY), else its ``time_zone`` option, else UTC."""
        out: dict[str, tzinfo] = {}
        for name, tracker in self.config.trackers.items():
            zone = ((self.store.cursor(name) or {}).get(CALENDAR_KEY)
                    or tracker.options.get("time_zone"))
            try:
                out[name] = ZoneInfo(zone) if isinstance(zone, str) and zone else ZoneInfo("UTC")
            except (ZoneInfoNotFoundError, ValueError):
                log.warning("%s: unknown time zone %r; reading its dates in UTC", name, zone)
                out[name] = ZoneInfo("UTC")
        return out

    @property
    def home_zone(self) -> tzinfo:
        """The first configured tracker's calendar: the date of what spans trackers."""
        return next(iter(self.zones().values()), UTC)

    @property
    def today(self) -> date:
        return self.now.astimezone(self.home_zone).date()

    @cached_property
    def store(self) -> Store:
        return Store(self.config.store_location, self.config.store_password())

    def synced_trackers(self) -> frozenset[str]:
        """The trackers something was ever synced from into this store (their cursor is
        stored); no store is made where there is none yet."""
        if not self.config.store_exists():
            return frozenset()
        return frozenset(name for name in self.config.trackers
                         if self.store.cursor(name) is not None)

    def connector(self, tracker_name: str) -> Connector:
        """The tracker's connector, made on first use (that is when its secret is read)."""
        if tracker_name not in self._connectors:
            tracker = self.config.trackers[tracker_name]
            self._connectors[tracker_name] = self.registry.connectors[tracker.kind](tracker)
        return self._connectors[tracker_name]

    def connectors(self) -> dict[str, Connector]:
        return {name: self.connector(name) for name in self.config.trackers}

    def portfolio(self, baseline_name: str | None = None) -> Portfolio:
        store = self.store
        records = store.all_current()
        return Portfolio.build(
            items=records["item"],
            sprints=records["sprint"],
            links=records["link"],
            releases=records["release"],
            product_lines=self.config.product_lines,
            today=self.today,
            moment=self.now,
            zones=self.zones(),
            changes=store.changes(),
            baseline=self.baseline(baseline_name or self.config.baseline),
            our_writes=store.our_writes(),
            owned=True,
        )

    def baseline(self, name: str | None) -> Baseline:
        """A named baseline from the store, or the state ``baseline_days`` ago."""
        store = self.store
        if name:
            match = next((b for b in store.baselines() if b["name"] == name), None)
            if match is None:
                known = ", ".join(b["name"] for b in store.baselines()) or "none yet"
                raise ConfigError(f"no baseline named {name!r} (saved: {known}); save one with "
                                  f"`pmsync baseline save {name}`")
            at = datetime.fromisoformat(match["run_started"])
            return Baseline(name, at, _by_key(store.state_at("item", match["run_id"])),
                            _by_key(store.state_at("release", match["run_id"])))
        days = self.config.baseline_days
        at = datetime.combine(self.today - timedelta(days=days), time(12), self.home_zone)
        run = store.latest_run(at)
        if run is None:  # pmsync did not run back then: the trackers' history stands in
            return Baseline(f"{days} days ago", at)
        return Baseline(f"{days} days ago", at, _by_key(store.state_at("item", run[0])),
                        _by_key(store.state_at("release", run[0])))

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()


def _by_key(records: list[Any]) -> dict[str, Any]:
    return {r.key: r for r in records}
