"""The Jira tracker table's options, checked without importing the connector."""

from __future__ import annotations

from typing import Any

from pmsync.config import TrackerConfig
from pmsync.errors import ConfigError

CLOUD, DATA_CENTER = "cloud", "datacenter"

OPTIONS: dict[str, tuple[Any, str]] = {
    "email": (str, "the Atlassian account email (Cloud; leave out for a DC token)"),
    "token_env": (str, "the name of the env var holding the API token or PAT"),
    "projects": (list, 'a list of project keys, e.g. ["PAY"]'),
    "deployment": (str, '"auto", "cloud" or "datacenter"'),
    "page_size": (int, "a number of issues per search page (1-100)"),
    "pages_space": (str, "a Confluence space key"),
    "pages_parent_id": (str, "a Confluence page id"),
    "confluence_url": (str, "the Confluence base URL (DC; Cloud uses <url>/wiki)"),
    "link_types": (list, 'a list of issue link type names, e.g. ["Blocks"]'),
    "overlap_minutes": (int, "a number of minutes"),
    "reconcile_hours": (int | float, "a number of hours (0: every run)"),
    "timeout": (int, "a number of seconds"),
    "retry_attempts": (int, "a number of attempts"),
    "retry_backoff": (int | float, "a factor for retry waits"),
    "sprint_field": (str, "a field id or name"),
    "story_points_field": (str, "a field id or name"),
    "start_date_field": (str, "a field id or name"),
}


def validate_config(tracker: TrackerConfig) -> None:
    for key, value in tracker.options.items():
        if key not in OPTIONS:
            raise ConfigError(
                f"{tracker.where(key)} is not a Jira option; valid: {', '.join(OPTIONS)}")
        kind, what = OPTIONS[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ConfigError(f"{tracker.where(key)} must be {what}, not {value!r}")
    tracker.require("token_env", str, OPTIONS["token_env"][1])
    projects = tracker.require("projects", list, OPTIONS["projects"][1])
    if not projects or not all(isinstance(p, str) and p for p in projects):
        raise ConfigError(f"{tracker.where('projects')} must list at least one project key")
    if not 1 <= tracker.options.get("page_size", 100) <= 100:
        raise ConfigError(f"{tracker.where('page_size')} must be between 1 and 100")
    if tracker.options.get("deployment", "auto") not in ("auto", CLOUD, DATA_CENTER):
        raise ConfigError(f"{tracker.where('deployment')} must be {OPTIONS['deployment'][1]}")
    if tracker.options.get("deployment") == CLOUD and not tracker.options.get("email"):
        raise ConfigError(f"{tracker.where('email')} is missing: Jira Cloud needs the "
                          "account email that goes with the API token")
