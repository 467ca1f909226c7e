"""Peer job: a plain `jira`-library script exporting every issue with its changelog.

    python jira_full_sync.py URL EMAIL API_TOKEN JQL [EXPORT_FILE]

What a person writing a full export against the library's documentation does: one
search_issues over everything (maxResults=False pages until the end), changelog
expanded, and each issue written as the library returned it, one JSON line each, to
EXPORT_FILE (default export.jsonl). Prints one JSON line: issues read, history entries
read, and how many issues had a changelog cut short (more entries than the search page
embeds).
"""

import json
import sys

from jira import JIRA

url, user, secret, jql = sys.argv[1:5]
export = sys.argv[5] if len(sys.argv) > 5 else "export.jsonl"
client = JIRA(url, basic_auth=(user, secret), max_retries=0)
issues = client.search_issues(jql, maxResults=False, expand="changelog")
histories = cut = 0
with open(export, "w") as out:
    for issue in issues:
        out.write(json.dumps(issue.raw) + "\n")
        changelog = getattr(issue, "changelog", None)
        got = len(getattr(changelog, "histories", []) or [])
        histories += got
        cut += int(getattr(changelog, "total", got) > got)
print(json.dumps({"records": len(issues), "histories": histories, "changelogs_cut": cut}))
