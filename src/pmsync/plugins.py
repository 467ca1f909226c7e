"""The plugin manager: entry points of the ``pmsync`` group, built-ins included."""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from pmsync import hookspecs
from pmsync.hookspecs import Publisher

if TYPE_CHECKING:
    from pmsync.connector import ConnectorFactory
    from pmsync.rules import Rule

ENTRY_POINT_GROUP = "pmsync"


@dataclass
class Registry:
    """What the loaded plugins contributed, by name."""

    connectors: dict[str, ConnectorFactory] = field(default_factory=dict)
    rules: dict[str, Rule] = field(default_factory=dict)
    publishers: dict[str, Publisher] = field(default_factory=dict)
    template_dirs: list[Path] = field(default_factory=list)


def make_plugin_manager(extra_plugins: tuple[Any, ...] = ()) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("pmsync")
    pm.add_hookspecs(hookspecs)
    pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for plugin in extra_plugins:
        pm.register(plugin)
    return pm


def _unique(table: dict[str, Any], what: str, attr: str) -> Any:
    def register(obj: Any) -> None:
        name = getattr(obj, attr)
        if name in table and table[name] is not obj:
            raise ValueError(f"two plugins register the {what} {name!r}")
        table[name] = obj

    return register


def build_registry(pm: pluggy.PluginManager) -> Registry:
    registry = Registry()
    pm.hook.register_connectors(register=_unique(registry.connectors, "connector", "kind"))
    pm.hook.register_rules(register=_unique(registry.rules, "rule", "id"))
    pm.hook.register_publishers(register=_unique(registry.publishers, "publisher", "name"))
    pm.hook.register_templates(register=lambda path: registry.template_dirs.append(Path(path)))
    return registry


@cache
def default_registry() -> Registry:
    return build_registry(make_plugin_manager())


def describe_plugins(pm: pluggy.PluginManager) -> list[dict[str, Any]]:
    """Name, version and hooks of every loaded plugin, for ``pmsync plugins``."""
    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    rows = []
    for name, plugin in pm.list_name_plugin():
        dist = dists.get(id(plugin))
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        rows.append(
            {
                "name": name,
                "module": getattr(plugin, "__name__", type(plugin).__name__),
                "version": dist.version if dist else _version_of(plugin),
                "hooks": hooks,
            }
        )
    return sorted(rows, key=lambda row: row["name"])


def _version_of(plugin: Any) -> str:
    module = getattr(plugin, "__name__", "").split(".")[0]
    try:
        return importlib.metadata.version(module)
    except importlib.metadata.PackageNotFoundError:
        return getattr(plugin, "__version__", "-")
