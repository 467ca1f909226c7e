"""Built-in pmsync plugin: Jira Cloud issues, boards and sprints; Confluence pages.

Registered through the ``pmsync`` entry-point group, like any third-party plugin.
"""

from __future__ import annotations

from pmsync.hookspecs import hookimpl

__version__ = "0.1.0"


@hookimpl
def register_connectors(register):
    from pmsync.connector import LazyConnector
    from pmsync_jira.options import OPTIONS, validate_config

    register(LazyConnector("jira", "pmsync_jira.connector:JiraConnector", OPTIONS,
                           validate_config))
