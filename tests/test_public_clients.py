"""Public clients work against the sandbox unchanged; where one fails, the sandbox is wrong."""

from __future__ import annotations

from jira import JIRA


def test_the_jira_library_reads_the_sandbox(sandbox):
    account = sandbox.site.account
    client = JIRA(sandbox.url, basic_auth=(account.email, account.api_token),
                  options={"rest_api_version": "3"}, max_retries=0)
    assert client._is_cloud
    assert client.myself()["emailAddress"] == account.email
    issues = client.enhanced_search_issues("project = PAY ORDER BY key", maxResults=0,
                                           fields="summary,status,duedate")
    assert [i.key for i in issues][:3] == ["PAY-1", "PAY-2", "PAY-3"]
    assert len(issues) == sum(k.startswith("PAY-") for k in sandbox.site.issues)
    assert issues[0].fields.summary.startswith("Payments epic 1")
    post = client.enhanced_search_issues("project = MOB", maxResults=5, use_post=True,
                                         json_result=True)
    assert len(post["issues"]) == 5 and post["nextPageToken"]
    boards = client.boards(maxResults=0)
    assert [b.name for b in boards] == ["PAY board", "MOB board", "WEB board"]
    sprints = client.sprints(boards[0].id, maxResults=0)
    assert [s.state for s in sprints].count("active") == 1
    assert client.issue("PAY-4").fields.status.name
    fields = {f["name"]: f["id"] for f in client.fields()}
    assert fields["Sprint"] == sandbox.site.field_ids["sprint"]
