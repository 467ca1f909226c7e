"""The sandbox's responses and the connector's requests, against the vendors' specs."""

from __future__ import annotations

import pytest
import requests

from contract import check_request, check_response, require_specs


def test_sandbox_responses_match_the_published_schemas(sandbox):
    require_specs()
    site = sandbox.site
    auth = (site.account.email, site.account.api_token)
    http = requests.Session()
    http.auth = auth
    url = sandbox.url
    adf = {"body": {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "hello"}]}]}}

    def call(method, path, **kwargs):
        response = http.request(method, url + path, **kwargs)
        check_response(method, path, response.status_code, response.json())
        return response

    call("GET", "/rest/api/3/serverInfo")
    call("GET", "/rest/api/3/myself")
    call("GET", "/rest/api/3/field")
    page = call("GET", "/rest/api/3/search/jql", params={
        "jql": "project = PAY ORDER BY key", "maxResults": 5, "fields": "*all"}).json()
    assert page["isLast"] is False and "total" not in page
    call("POST", "/rest/api/3/search/jql", json={
        "jql": "project = PAY", "maxResults": 5, "fields": ["summary"],
        "nextPageToken": page["nextPageToken"]})
    call("GET", "/rest/api/3/issue/PAY-4")
    comment = call("POST", "/rest/api/3/issue/PAY-1/comment", json=adf).json()
    call("PUT", f"/rest/api/3/issue/PAY-1/comment/{comment['id']}", json=adf)
    call("GET", "/rest/api/3/issue/PAY-1/comment")
    call("GET", "/rest/api/3/project/PAY/versions")
    call("GET", "/rest/api/3/issueLinkType")
    call("GET", "/rest/agile/1.0/board", params={"projectKeyOrId": "PAY"})
    call("GET", "/rest/agile/1.0/board/1/sprint")
    space = call("GET", "/wiki/api/v2/spaces", params={"keys": "PM"}).json()["results"][0]
    created = call("POST", "/wiki/api/v2/pages", json={
        "spaceId": space["id"], "status": "current", "title": "Contract",
        "body": {"representation": "storage", "value": "<p>x</p>"}}).json()
    call("GET", f"/wiki/api/v2/pages/{created['id']}", params={"body-format": "storage"})
    call("PUT", f"/wiki/api/v2/pages/{created['id']}", json={
        "id": created["id"], "status": "current", "title": "Contract",
        "body": {"representation": "storage", "value": "<p>y</p>"}, "version": {"number": 2}})
    call("GET", "/wiki/api/v2/pages", params={"space-id": space["id"], "title": "Contract"})


def test_sandbox_errors_use_documented_statuses(sandbox):
    require_specs()
    bad = requests.get(sandbox.url + "/rest/api/3/myself", auth=("demo@example.com", "wrong"))
    assert bad.status_code == 401
    assert bad.json() == {"errorMessages": ["Client must be authenticated to access this resource."],
                          "errors": {}}
    unbounded = requests.get(sandbox.url + "/rest/api/3/search/jql", params={"jql": "order by key"},
                             auth=("demo@example.com", "sandbox-token"))
    assert unbounded.status_code == 400
    check_response("GET", "/rest/api/3/search/jql", 400, unbounded.json())


def test_every_connector_request_is_a_documented_operation(sandbox, pmsync):
    require_specs()
    assert pmsync("run")[0] == 0
    assert pmsync("run")[0] == 0
    seen = {(m, p, q) for m, p, q in sandbox.requests}
    assert any("/search/jql" in p for _, p, _ in seen)
    for method, path, query in sorted(seen):
        check_request(method, path, query)


def test_clickup_sandbox_responses_match_the_published_schemas(sandbox):
    require_specs()
    ws = sandbox.clickup
    http = requests.Session()
    http.headers["Authorization"] = ws.token

    def call(method, path, **kwargs):
        response = http.request(method, sandbox.url + path, **kwargs)
        check_response(method, path, response.status_code, response.json())
        return response.json()

    team = ws.team_id
    call("GET", "/api/v2/team")
    space = call("GET", f"/api/v2/team/{team}/space")["spaces"][0]["id"]
    folder = call("GET", f"/api/v2/space/{space}/folder")["folders"][0]
    call("GET", f"/api/v2/folder/{folder['id']}/list")
    backlog = call("GET", f"/api/v2/space/{space}/list")["lists"][0]["id"]
    tasks = call("GET", f"/api/v2/list/{backlog}/task",
                 params={"include_closed": "true", "subtasks": "true", "page": 0})["tasks"]
    call("GET", f"/api/v2/team/{team}/task", params={"page": 0, "subtasks": "true"})
    call("GET", f"/api/v2/task/{tasks[0]['id']}")
    call("GET", f"/api/v2/list/{backlog}/field")
    comment = call("POST", f"/api/v2/task/{tasks[0]['id']}/comment",
                   json={"comment_text": "hi", "notify_all": False})
    call("PUT", f"/api/v2/comment/{comment['id']}", json={"comment_text": "hi again",
                                                           "resolved": False})
    call("GET", f"/api/v2/task/{tasks[0]['id']}/comment")
    doc = call("POST", f"/api/v3/workspaces/{team}/docs",
               json={"name": "Reports", "parent": {"id": space, "type": 4}, "create_page": False})
    call("GET", f"/api/v3/workspaces/{team}/docs", params={"parent_id": space})
    page = call("POST", f"/api/v3/workspaces/{team}/docs/{doc['id']}/pages",
                json={"name": "P", "content": "# x", "content_format": "text/md"})
    call("PUT", f"/api/v3/workspaces/{team}/docs/{doc['id']}/pages/{page['id']}",
         json={"name": "P", "content": "# y", "content_edit_mode": "replace"})
    call("GET", f"/api/v3/workspaces/{team}/docs/{doc['id']}/pages")


def test_every_clickup_request_is_a_documented_operation(sandbox, tmp_path, monkeypatch,
        write_clickup_config):
    from pmsync.cli import main

    require_specs()
    path = write_clickup_config(sandbox, tmp_path, monkeypatch)
    assert main(["--config", str(path), "run"]) == 0
    sandbox.clickup.touch(next(iter(sandbox.clickup.tasks)), name="x")
    assert main(["--config", str(path), "run"]) == 0
    seen = {(m, p, q) for m, p, q in sandbox.requests if p.startswith("/api/")}
    assert any("/task" in p for _, p, _ in seen)
    for method, path_, query in sorted(seen):
        check_request(method, path_, query)


def test_missing_specs_fail_in_ci_and_skip_elsewhere(tmp_path, monkeypatch):
    import contract

    monkeypatch.setattr(contract, "SPECS", tmp_path / "no-specs")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must have them"):
        require_specs()
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        require_specs()
