"""Client job: the `jira` library's common calls, default settings, against one site.

    python jira_common.py URL cloud EMAIL API_TOKEN
    python jira_common.py URL datacenter - PERSONAL_ACCESS_TOKEN

Runs inside the client's own virtualenv; nothing here changes requests or answers. It
does what a script written against the library's documentation does: read the site,
search, create an issue, comment, log work, move it through the workflow, read boards
and sprints. Prints one JSON line: {"calls": N, "records": N, "failed": [...]}.
"""

import sys

from _tally import call, failed, report
from jira import JIRA

url, deployment, user, secret = sys.argv[1:5]
if deployment == "cloud":
    client = JIRA(url, basic_auth=(user, secret), max_retries=0)  # REST v2, the default
else:
    client = JIRA(url, token_auth=secret, max_retries=0)

call("server_info", client.server_info)
call("myself", client.myself)
projects = call("projects", client.projects) or []
call("project", lambda: client.project("PAY"))
call("project_versions", lambda: client.project_versions("PAY"))
call("project_components", lambda: client.project_components("PAY"))
call("fields", client.fields)
call("statuses", client.statuses)
call("priorities", client.priorities)
call("resolutions", client.resolutions)
call("issue_types", client.issue_types)
call("issue_link_types", client.issue_link_types)
call("search_users", lambda: client.search_users(query="dana") if client._is_cloud
     else client.search_users(user="dana"))
issues = call("search_issues", lambda: client.search_issues(
    "project = PAY ORDER BY key", maxResults=False)) or []
if client._is_cloud:
    call("enhanced_search_issues", lambda: client.enhanced_search_issues(
        "project = MOB AND resolution = Unresolved ORDER BY Rank", maxResults=0))
    call("approximate_issue_count", lambda: [0] * client.approximate_issue_count("project = WEB"))
call("search sprint/assignee/fixVersion/Story Points", lambda: client.search_issues(
    'sprint in openSprints() AND assignee = currentUser() OR fixVersion = "PAY 1.1" '
    'OR "Story Points" >= 3', maxResults=False))
issue = call("issue *all", lambda: client.issue(
    "PAY-4", expand="transitions,renderedFields,names,schema,changelog"))
if issue is not None:
    for name in ("description", "reporter", "creator", "comment", "worklog", "subtasks",
                 "timetracking", "votes", "watches"):
        if not hasattr(issue.fields, name):
            failed.append(f"issue *all: no field {name}")
links = [link for i in issues for link in getattr(i.fields, "issuelinks", [])]
if links:
    call("issue_link", lambda: client.issue_link(links[0].id))
new = call("create_issue", lambda: client.create_issue(
    project="PAY", summary="Created by the jira library", issuetype={"name": "Story"},
    description="Made through the API"))
if new is not None:
    call("issue.update", lambda: new.update(summary="Renamed by the jira library"))
    comment = call("add_comment", lambda: client.add_comment(new, "A comment"))
    if comment is not None:
        call("comment.update", lambda: comment.update(body="An edited comment"))
    call("comments", lambda: client.comments(new))
    call("add_worklog", lambda: client.add_worklog(new, timeSpent="2h"))
    call("worklogs", lambda: client.worklogs(new))
    transitions = call("transitions", lambda: client.transitions(new)) or []
    done = next((t["id"] for t in transitions if t["name"] == "Done"), None)
    if done is not None:
        call("transition_issue", lambda: client.transition_issue(new, done))
    refreshed = call("issue", lambda: client.issue(new.key))
    if refreshed is not None and refreshed.fields.status.name != "Done":
        failed.append("transition_issue: the issue is not Done")
boards = call("boards", client.boards) or []
if boards:
    sprints = call("sprints", lambda: client.sprints(boards[0].id)) or []
    if sprints:
        call("sprint", lambda: client.sprint(sprints[0].id))
        call("sprint issues", lambda: client.search_issues(
            f"sprint = {sprints[0].id}", maxResults=False))
report()
