"""Everything one pmsync invocation works with: config, plugins, store, connectors."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from pmsync.config import Config, load_config
from pmsync.plugins import Registry, default_registry
from pmsync.portfolio import Portfolio
from pmsync.store import Store


class Workspace:
    def __init__(self, config: Config, registry: Registry, today: date | None = None):
        self.config = config
        self.registry = registry
        self.today = today or datetime.now(UTC).date()
        self.run_id: int | None = None  # set once a step has committed its run row
        self._connectors: dict[str, Any] = {}

    @classmethod
    def open(cls, config_path: Path, registry: Registry | None = None, today: date | None = None):
        registry = registry or default_registry()
        return cls(load_config(config_path, registry), registry, today)

    @cached_property
    def store(self) -> Store:
        return Store(self.config.store_path)

    def connector(self, tracker_name: str) -> Any:
        """The tracker's connector, made on first use (that is when its secret is read)."""
        if tracker_name not in self._connectors:
            tracker = self.config.trackers[tracker_name]
            self._connectors[tracker_name] = self.registry.connectors[tracker.kind](tracker)
        return self._connectors[tracker_name]

    def connectors(self) -> dict[str, Any]:
        return {name: self.connector(name) for name in self.config.trackers}

    def portfolio(self) -> Portfolio:
        store = self.store
        return Portfolio.build(
            items=store.current("item"),
            sprints=store.current("sprint"),
            links=store.current("link"),
            releases=store.current("release"),
            product_lines=self.config.product_lines,
            today=self.today,
        )

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
