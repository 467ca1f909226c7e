"""Every pmsync hook, in one place. Built-in plugins use these same hooks.

Each hook hands the plugin a ``register`` callable; the plugin calls it once
for each thing it adds, so one hook can add many and the core keeps the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pluggy

if TYPE_CHECKING:
    from pmsync.config import Config
    from pmsync.connector import ConnectorFactory
    from pmsync.rules import Rule

hookspec = pluggy.HookspecMarker("pmsync")
hookimpl = pluggy.HookimplMarker("pmsync")


class Publisher(Protocol):
    """Publishes every report somewhere not tied to a tracker (e.g. local HTML files)."""

    name: str

    def publish(self, config: Config, name: str, html: str) -> Path:
        """Write the report ``name`` and say where it went."""


@hookspec
def register_connectors(register: Callable[[ConnectorFactory], None]) -> None:
    """Register tracker connector factories (each has a unique ``kind``, e.g. "jira", and
    its ``options``); see ``pmsync.connector.ConnectorFactory``."""


@hookspec
def register_rules(register: Callable[[Rule], None]) -> None:
    """Register rules (unique ``id``, ``category``, ``advice``, ``options``,
    ``evaluate(portfolio, settings)``); see ``pmsync.rules.Rule``."""


@hookspec
def register_publishers(register: Callable[[Publisher], None]) -> None:
    """Register report publishers that are not tied to a tracker (e.g. local files)."""


@hookspec
def register_templates(register: Callable[[str | Path], None]) -> None:
    """Register folders of Jinja2 report templates (searched after the user's own folder)."""
