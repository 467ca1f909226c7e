"""The sandbox's Jira and Confluence as public clients and people use them (issue 13): JQL,
issue writes, metadata, agile issues, worklogs, Confluence v1 and v2 page histories."""

from __future__ import annotations

import pytest
import requests

from contract import check_response, require_specs
from pmsync.sandbox import jira_api


@pytest.fixture
def http(sandbox):
    session = requests.Session()
    session.auth = (sandbox.site.account.email, sandbox.site.account.api_token)
    return session


def search(sandbox, http, jql: str, version: str = "3", **params) -> requests.Response:
    return http.get(f"{sandbox.url}/rest/api/{version}/search/jql",
                    params={"jql": jql, "maxResults": 5000, "fields": "key", **params})


def keys(sandbox, http, jql: str) -> set[str]:
    response = search(sandbox, http, jql)
    assert response.status_code == 200, response.text
    return {i["key"] for i in response.json()["issues"]}


def site_keys(site, test) -> set[str]:
    return {k for k, i in site.issues.items() if test(i["fields"])}


def test_jql_clauses_people_write_match_what_the_site_holds(sandbox, http):
    site = sandbox.site
    ids = site.field_ids
    open_ids = {s["id"] for s in site.sprints.values() if s["state"] == "active"}
    assert keys(sandbox, http, "sprint in openSprints()") == site_keys(
        site, lambda f: any(r["id"] in open_ids for r in f[ids["sprint"]] or []))
    assert keys(sandbox, http, "resolution = Unresolved") == site_keys(
        site, lambda f: f["resolution"] is None)
    assert keys(sandbox, http, "assignee = currentUser()") == site_keys(
        site, lambda f: (f["assignee"] or {}).get("accountId") == site.account.account_id)
    story_points = site_keys(site, lambda f: f[ids["story_points"]] == 3.0)
    assert story_points and keys(sandbox, http, '"Story Points" = 3') == story_points
    assert keys(sandbox, http, f"cf[{ids['story_points'].split('_')[1]}] = 3") == story_points
    assert keys(sandbox, http, '"Epic Link" = PAY-1') == keys(sandbox, http, "parent = PAY-1") != set()
    assert keys(sandbox, http, 'fixVersion = "PAY 1.0" AND priority = Medium') == site_keys(
        site, lambda f: [v["name"] for v in f["fixVersions"]] == ["PAY 1.0"])
    assert keys(sandbox, http, 'summary ~ "vault"') == site_keys(
        site, lambda f: "vault" in f["summary"].lower().split())
    # History: every Done story went through In Progress, and the changelog says so.
    done = site_keys(site, lambda f: f["status"]["name"] == "Done" and
                     f["issuetype"]["name"] == "Story")
    went = keys(sandbox, http, 'status changed FROM "In Progress" TO "Done"')
    assert done and done <= went
    assert done <= keys(sandbox, http, 'status was "In Progress"')
    assert not keys(sandbox, http, 'status changed TO "Done" AFTER 1d')  # nothing in the future
    # People move their own issues: the changelog names who did it.
    mine = keys(sandbox, http, "status changed BY currentUser()")
    marco = keys(sandbox, http, 'status changed BY "Marco Rossi"')
    assert mine and marco and not mine & marco


def test_a_search_narrowed_to_its_projects_finds_what_testing_every_issue_finds(sandbox, http):
    """A query that starts with a project clause is answered from that project's issues only
    (issue 14): the same issues, in the same order, as testing each issue of the site,
    however the project is named, with a key range, and after an issue moved project."""
    site = sandbox.site
    moved = site.move_issue("PAY-5", "MOB")
    project = site.projects["WEB"]
    queries = ['project in ("PAY") ORDER BY key ASC',
               'project in (pay, "MOB") AND key >= MOB-3 AND key < MOB-40',
               f'project = {project["id"]} AND status != Done',
               f'project = "{project["name"]}" ORDER BY updated DESC',
               "project in (MOB, WEB) AND key > PAY-2 OR project = PAY",
               "project in (WEB, PAY)",
               f"project = MOB AND key >= {moved}",
               "status = Done AND project = PAY"]
    for jql in queries:
        query = jira_api.parse_jql(site, jql)
        every = query.sort([i for i in site.issues.values() if query.matches(i)])
        assert every, jql
        assert [i["key"] for i in query.sort(query.select(site))] == [i["key"] for i in every], jql
        answer = search(sandbox, http, jql).json()["issues"]
        assert [i["key"] for i in answer] == [i["key"] for i in every], jql
    assert jira_api.parse_jql(site, queries[1]).projects == ("pay", "MOB")
    assert jira_api.parse_jql(site, queries[4]).projects is None  # an OR: every issue tested


def test_ordering_by_rank_and_priority(sandbox, http):
    ranked = search(sandbox, http, "project = PAY ORDER BY Rank ASC").json()["issues"]
    assert [i["id"] for i in ranked] == sorted((i["id"] for i in ranked), key=int)


@pytest.mark.parametrize("jql, message", [
    ("project = PAY AND storypoints = 3",
     "Field 'storypoints' does not exist or you do not have permission to view it."),
    ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
    ("sprint = 999", "The value '999' does not exist for the field 'sprint'."),
    ("project = PAY AND labels was x", "History searches do not support the 'labels' field. "
     "The WAS operator only supports the fields assignee, fix version, priority, reporter, "
     "resolution and status."),
])
def test_a_query_jira_refuses_is_a_400_not_an_empty_result(sandbox, http, jql, message):
    response = search(sandbox, http, jql)
    assert response.status_code == 400
    assert response.json() == {"errorMessages": [message], "errors": {}}


def test_enhanced_search_on_v2_and_the_approximate_count(sandbox, http):
    require_specs()
    page = search(sandbox, http, "project = MOB", version="2", fields="*all",
                  expand="names,schema,transitions,renderedFields").json()
    issue = page["issues"][0]
    assert isinstance(issue["fields"]["description"], str)  # v2: wiki text, not ADF
    assert {"description", "reporter", "creator", "comment", "worklog", "subtasks",
            "timetracking", "votes", "watches"} <= set(issue["fields"])
    assert page["names"]["summary"] == "Summary" and page["schema"]["status"]["type"] == "status"
    assert "names" not in issue  # a search names the fields once, beside the issues
    assert {t["name"] for t in issue["transitions"]} and issue["renderedFields"]["description"]
    v3 = search(sandbox, http, "project = MOB", fields="summary").json()
    check_response("GET", "/rest/api/3/search/jql", 200, v3)
    count = http.post(f"{sandbox.url}/rest/api/2/search/approximate-count",
                      json={"jql": "project = MOB"}).json()
    assert count == {"count": sum(k.startswith("MOB-") for k in sandbox.site.issues)}


def test_create_edit_transition_and_log_work_through_the_api(sandbox, http):
    url = sandbox.url + "/rest/api/3"
    site = sandbox.site
    doc = {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "Made by a test"}]}]}
    created = http.post(f"{url}/issue", json={"fields": {
        "project": {"key": "PAY"}, "issuetype": {"name": "Story"}, "summary": "A new story",
        "description": doc, site.field_ids["story_points"]: 5,
        site.field_ids["sprint"]: next(s["id"] for s in site.sprints.values()
                                       if s["state"] == "active" and s["originBoardId"] == 1)}})
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    assert key.startswith("PAY-") and key in keys(sandbox, http, "sprint in openSprints()")
    refused = http.post(f"{url}/issue", json={"fields": {
        "project": {"key": "PAY"}, "issuetype": {"name": "Story"}, "summary": "x",
        "description": "not a document"}})
    assert refused.status_code == 400 and "description" in refused.json()["errors"]
    assert http.put(f"{url}/issue/{key}", json={"fields": {"summary": "Renamed"},
                                                 "update": {"labels": [{"add": "api"}]}}
                    ).status_code == 204
    transitions = http.get(f"{url}/issue/{key}/transitions").json()["transitions"]
    to_done = next(t["id"] for t in transitions if t["to"]["name"] == "Done")
    assert http.post(f"{url}/issue/{key}/transitions",
                     json={"transition": {"id": to_done}}).status_code == 204
    assert http.post(f"{url}/issue/{key}/transitions",
                     json={"transition": {"id": "999"}}).status_code == 400
    logged = http.post(f"{url}/issue/{key}/worklog", json={"timeSpent": "1h 30m"})
    assert logged.status_code == 201 and logged.json()["timeSpentSeconds"] == 5400
    issue = http.get(f"{url}/issue/{key}").json()["fields"]
    assert issue["summary"] == "Renamed" and issue["labels"] == ["api"]
    assert issue["resolution"]["name"] == "Done" and issue["timetracking"]["timeSpent"] == "1h 30m"
    changes = [(i["field"], i["toString"]) for h in
               http.get(f"{url}/issue/{key}/changelog").json()["values"] for i in h["items"]]
    assert ("summary", "Renamed") in changes and ("status", "Done") in changes
    assert key in keys(sandbox, http, "resolution = Done AND labels = api")
    updated = http.get(f"{url}/worklog/updated", params={"since": 0}).json()
    assert updated["lastPage"] is True
    ids = [v["worklogId"] for v in updated["values"]]
    assert len(ids) == sum(len(v) for v in site.worklogs.values())
    listed = http.post(f"{url}/worklog/list", json={"ids": ids[:10]}).json()
    assert {w["id"] for w in listed} == {str(i) for i in ids[:10]}


def test_platform_metadata_public_clients_read(sandbox, http):
    url = sandbox.url + "/rest/api/2"
    assert [p["key"] for p in http.get(f"{url}/project").json()] == ["PAY", "MOB", "WEB"]
    page = http.get(f"{url}/project/search", params={"maxResults": 2}).json()
    assert page["total"] == 3 and page["isLast"] is False and len(page["values"]) == 2
    assert http.get(f"{url}/project/PAY").json()["lead"]["displayName"] == "Dana Demo"
    versions = http.get(f"{url}/project/PAY/version", params={"orderBy": "sequence"}).json()
    assert [v["name"] for v in versions["values"]] == ["PAY 1.0", "PAY 1.1"]
    assert {t["key"] for t in http.get(f"{url}/project/type").json()} >= {"software"}
    for path in ("projectCategory", "resolution", "role", "priority", "status", "issuetype"):
        assert http.get(f"{url}/{path}").json(), path
    members = http.get(f"{url}/group/member", params={"groupname": "jira-software-users"}).json()
    assert members["total"] == 5
    assert http.get(f"{url}/group/member", params={"groupname": "nobody"}).status_code == 404
    assert [u["displayName"] for u in http.get(f"{url}/user/search",
                                               params={"query": "marco"}).json()] == ["Marco Rossi"]
    link = next(link for i in sandbox.site.issues.values() for link in i["fields"]["issuelinks"])
    assert http.get(f"{url}/issueLink/{link['id']}").json()["type"]["name"] == link["type"]["name"]


def test_agile_sprint_and_board_issues(sandbox, http):
    require_specs()
    site = sandbox.site
    active = next(s for s in site.sprints.values() if s["state"] == "active")
    assert http.get(f"{sandbox.url}/rest/agile/1.0/sprint/{active['id']}").json() == active
    path = f"/rest/agile/1.0/sprint/{active['id']}/issue"
    body = http.get(sandbox.url + path, params={"jql": "status = Done"}).json()
    check_response("GET", path, 200, body)
    assert body["total"] and all(i["fields"]["status"]["name"] == "Done" for i in body["issues"])
    assert all(i["fields"]["sprint"]["id"] == active["id"] for i in body["issues"])
    board = http.get(f"{sandbox.url}/rest/agile/1.0/board/1/issue").json()
    assert board["total"] == sum(k.startswith("PAY-") for k in site.issues)
    assert http.get(f"{sandbox.url}/rest/agile/1.0/sprint/999").status_code == 404


def test_seeded_flow_history_is_realistic(sandbox):
    """Done stories went To Do -> In Progress -> Done over days, with an assignee and work
    logged; the changelog holds every status change."""
    site = sandbox.site
    done = [k for k, i in site.issues.items() if i["fields"]["status"]["name"] == "Done"
            and i["fields"]["issuetype"]["name"] == "Story" and i["fields"]["resolutiondate"]]
    assert len(done) > 20
    for key in done:
        moves = [(h["created"], i["fromString"], i["toString"]) for h in site.histories[key]
                 for i in h["items"] if i["field"] == "status"]
        assert [(a, b) for _, a, b in moves] == [("To Do", "In Progress"), ("In Progress", "Done")]
        assert site.issues[key]["fields"]["assignee"] is not None
        assert site.worklogs[key]
    flagged = [h for k in site.histories for h in site.histories[k]
               if any(i["field"] == "Flagged" for i in h["items"])]
    assert flagged


def test_confluence_v1_lives_under_wiki_on_cloud_with_history(sandbox, http):
    base = sandbox.url + "/wiki/rest/api/content"
    created = http.post(base + "/", json={"type": "page", "title": "V1 page", "space": {"key": "PM"},
                                          "body": {"storage": {"value": "<p>1</p>",
                                                               "representation": "storage"}}})
    assert created.status_code == 200, created.text
    page_id = created.json()["id"]
    assert http.get(sandbox.url + "/rest/api/content/" + page_id).status_code == 404
    history = http.get(f"{base}/{page_id}/history").json()
    assert history["lastUpdated"]["number"] == 1
    updated = http.put(f"{base}/{page_id}", json={
        "id": page_id, "type": "page", "title": "V1 page", "version": {"number": 2},
        "body": {"storage": {"value": "<p>2</p>", "representation": "storage"}}})
    assert updated.status_code == 200
    shown = http.get(f"{base}/{page_id}", params={"expand": "body.storage,history,version"}).json()
    assert shown["body"]["storage"]["value"] == "<p>2</p>"
    assert shown["history"]["lastUpdated"]["number"] == 2 == shown["version"]["number"]
    assert http.get(sandbox.url + "/wiki/rest/api/space/PM").json()["key"] == "PM"


def test_confluence_v2_versions_and_direct_children(sandbox, http):
    require_specs()
    base = sandbox.url + "/wiki/api/v2/pages"
    parent = http.post(base, json={"spaceId": "65537", "status": "current", "title": "Parent",
                                   "body": {"storage": {"value": "<p>p</p>"}}}).json()
    child = http.post(base, json={"spaceId": "65537", "status": "current", "title": "Child",
                                  "parentId": parent["id"],
                                  "body": {"representation": "storage", "value": "<p>c</p>"}}).json()
    assert http.put(f"{base}/{parent['id']}", json={
        "id": parent["id"], "status": "current", "title": "Parent",
        "body": {"representation": "storage", "value": "<p>p2</p>"},
        "version": {"number": 2, "message": "second"}}).status_code == 200
    versions = http.get(f"{base}/{parent['id']}/versions").json()["results"]
    assert [(v["number"], v["message"]) for v in versions] == [(2, "second"), (1, "")]
    children = http.get(f"{base}/{parent['id']}/direct-children").json()["results"]
    assert [(c["id"], c["title"]) for c in children] == [(child["id"], "Child")]


def test_new_issue_routes_match_the_published_schemas(sandbox, http):
    """Routes the shared vendor documents describe: the full issue with its expansions, the
    changelog on v2, the enhanced search on v2, the agile board configuration."""
    require_specs()
    url = sandbox.url
    for version in ("2", "3"):
        path = f"/rest/api/{version}/issue/PAY-4"
        issue = http.get(url + path, params={
            "fields": "*all", "expand": "names,schema,transitions,renderedFields,changelog"})
        check_response("GET", path, 200, issue.json())
        path = f"/rest/api/{version}/issue/MOB-2/changelog"
        check_response("GET", path, 200, http.get(url + path, params={"maxResults": 5}).json())
        path = f"/rest/api/{version}/search/jql"
        found = http.post(url + path, json={"jql": "project = WEB", "fields": ["*all"],
                                            "maxResults": 3, "expand": "names"})
        check_response("POST", path, 200, found.json())
        assert found.json()["names"]
    path = "/rest/agile/1.0/board/1/configuration"
    check_response("GET", path, 200, http.get(url + path).json())
