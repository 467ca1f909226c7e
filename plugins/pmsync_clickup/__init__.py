"""Built-in pmsync plugin: ClickUp tasks, sprint lists, dependencies; Docs pages.

Registered through the ``pmsync`` entry-point group, like any third-party plugin.
"""

from __future__ import annotations

from pmsync.hookspecs import hookimpl

__version__ = "0.1.0"


@hookimpl
def register_connectors(register):
    from pmsync.connector import LazyConnector
    from pmsync_clickup.options import OPTIONS

    register(LazyConnector("clickup", "pmsync_clickup.connector:ClickUpConnector", OPTIONS))
