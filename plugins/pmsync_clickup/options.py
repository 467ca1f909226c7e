"""The ClickUp tracker table's options: one declaration gives validation, defaults and docs."""

from __future__ import annotations

from pmsync.kit.cursor import SYNC_OPTIONS
from pmsync.kit.http import HTTP_OPTIONS
from pmsync.kit.options import REQUIRED, Option, merge

OPTIONS = merge(HTTP_OPTIONS, SYNC_OPTIONS, (
    Option("token_env", "str", REQUIRED, "the environment variable holding the token "
           "(pk_... or OAuth)", example="PMSYNC_CLICKUP_TOKEN", nonempty=True),
    Option("team_id", "str", REQUIRED, "the Workspace (team) id, as a string (in the app URL)",
           example="9012345", nonempty=True),
    Option("spaces", "list", None, "space names or ids to sync (default: every space)",
           example='["Platform"]'),
    Option("epic_tag", "str", "epic", "the tag that marks a task as an epic", nonempty=True),
    Option("epic_task_type", "str", "Epic", "the custom task type that marks an epic",
           nonempty=True),
    Option("sprint_folder", "str", "sprint", "text that sprint Folder names contain",
           nonempty=True),
    Option("waits_on_field", "str", "Waits on (Jira)", "the custom field naming issues (keys or "
           "URLs) a task waits on", nonempty=True),
    Option("blocks_field", "str", None, "the custom field naming issues a task blocks",
           example="Blocks (Jira)", nonempty=True),
    Option("link_tracker", "str", "jira", "the configured tracker whose keys those fields hold",
           nonempty=True),
    Option("requests_per_minute", "int", 100, "the token's rate limit, kept to when ClickUp "
           "sends no X-RateLimit headers (Business Plus: 1000)", min=1, max=100000),
    Option("time_zone", "zone", "UTC", "the IANA time zone ClickUp dates are read in",
           example="Europe/Berlin"),
    Option("docs_space", "str", None, "the space (name or id) that holds the reports Doc "
           "(default: the first space)", example="Platform", nonempty=True),
    Option("doc_name", "str", "pmsync reports", "the name of the Doc pmsync publishes into",
           nonempty=True),
    Option("app_url", "url", "https://app.clickup.com", "where links in comments and reports "
           "point"),
), owner="a ClickUp option")
