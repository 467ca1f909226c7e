"""The Jira tracker table's options: one declaration gives validation, defaults and docs."""

from __future__ import annotations

from pmsync.config import TrackerConfig
from pmsync.errors import ConfigError
from pmsync.kit.cursor import SYNC_OPTIONS
from pmsync.kit.http import HTTP_OPTIONS
from pmsync.kit.options import REQUIRED, Option, merge

OPTIONS = merge(HTTP_OPTIONS, SYNC_OPTIONS, (
    Option("token_env", "str", REQUIRED, "the environment variable holding the API token "
           "(Cloud) or personal access token (Data Center)", example="PMSYNC_JIRA_TOKEN",
           nonempty=True),
    Option("email", "str", None, "the Atlassian account email the API token belongs to "
           "(Cloud; leave out for a Data Center token)", example="you@example.com", nonempty=True),
    Option("projects", "list", REQUIRED, "the project keys to sync", example='["PAY"]',
           nonempty=True),
    Option("deployment", "str", "auto", "the kind of site (auto: read from serverInfo)",
           choices=("auto", "cloud", "datacenter")),
    Option("page_size", "int", 100, "issues per search page", min=1, max=100),
    Option("pages_space", "str", None, "the Confluence space key for sprint-review pages",
           example="PM", nonempty=True),
    Option("pages_parent_id", "str", None, "publish pages under this Confluence page id",
           example="123456", nonempty=True),
    Option("confluence_url", "url", None, "the Confluence base URL (Data Center; Cloud uses "
           "<url>/wiki)", example="https://confluence.example.com"),
    Option("link_types", "list", ["Blocks"], "issue link type names that mean \"blocks\"",
           nonempty=True),
    Option("sprint_field", "str", None, "the sprint field's id or name, instead of discovery",
           example="Sprint", nonempty=True),
    Option("story_points_field", "str", None, "the estimate field's id or name, instead of "
           "discovery", example="Story Points", nonempty=True),
    Option("start_date_field", "str", None, "the start date field's id or name, instead of "
           "discovery", example="Start date", nonempty=True),
), owner="a Jira option")


def validate_config(tracker: TrackerConfig) -> None:
    """What one option alone cannot say."""
    if tracker.options.get("deployment") == "cloud" and not tracker.options.get("email"):
        raise ConfigError(f"{tracker.where('email')} is missing: Jira Cloud needs the "
                          "account email that goes with the API token")
