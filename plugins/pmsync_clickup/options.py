"""The ClickUp tracker table's options, checked without importing the connector."""

from __future__ import annotations

from typing import Any

from pmsync.config import TrackerConfig
from pmsync.errors import ConfigError

OPTIONS: dict[str, tuple[Any, str]] = {
    "token_env": (str, "the name of the env var holding the token (pk_... or OAuth)"),
    "team_id": (str, "the Workspace (team) id, as a string"),
    "spaces": (list, 'a list of space names or ids, e.g. ["Platform"]'),
    "epic_tag": (str, "the tag that marks an epic"),
    "epic_task_type": (str, "the custom task type name that marks an epic"),
    "sprint_folder": (str, "text that sprint Folder names contain"),
    "waits_on_field": (str, "the custom field naming issues a task waits on"),
    "blocks_field": (str, "the custom field naming issues a task blocks"),
    "link_tracker": (str, "the configured tracker whose keys those fields hold"),
    "requests_per_minute": (int, "the token's rate limit"),
    "overlap_minutes": (int, "a number of minutes"),
    "reconcile_hours": (int | float, "a number of hours (0: every run)"),
    "time_zone": (str, "an IANA timezone for dates, e.g. Europe/Berlin"),
    "docs_space": (str, "the space (name or id) that holds the reports Doc"),
    "doc_name": (str, "the name of the Doc pmsync publishes into"),
    "app_url": (str, "the ClickUp app URL for links"),
    "timeout": (int, "a number of seconds"),
    "retry_attempts": (int, "a number of attempts"),
    "retry_backoff": (int | float, "a factor for retry waits"),
}


def validate_config(tracker: TrackerConfig) -> None:
    for key, value in tracker.options.items():
        if key not in OPTIONS:
            raise ConfigError(
                f"{tracker.where(key)} is not a ClickUp option; valid: {', '.join(OPTIONS)}")
        kind, what = OPTIONS[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ConfigError(f"{tracker.where(key)} must be {what}, not {value!r}")
    tracker.require("token_env", str, OPTIONS["token_env"][1])
    tracker.require("team_id", str, OPTIONS["team_id"][1])
