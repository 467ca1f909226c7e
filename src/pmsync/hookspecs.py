"""Every pmsync hook, in one place. Built-in plugins use these same hooks.

Each hook hands the plugin a ``register`` callable; the plugin calls it once
for each thing it adds, so one hook can add many and the core keeps the registry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("pmsync")
hookimpl = pluggy.HookimplMarker("pmsync")


@hookspec
def register_connectors(register: Callable[[Any], None]) -> None:
    """Register tracker connector classes (each has a unique ``kind``, e.g. "jira")."""


@hookspec
def register_rules(register: Callable[[Any], None]) -> None:
    """Register rules (each has a unique ``id`` and an ``evaluate(portfolio, settings)``)."""


@hookspec
def register_publishers(register: Callable[[Any], None]) -> None:
    """Register report publishers that are not tied to a tracker (e.g. local files)."""


@hookspec
def register_templates(register: Callable[[Any], None]) -> None:
    """Register folders of Jinja2 report templates (searched after the user's own folder)."""
