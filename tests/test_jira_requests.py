"""Request shapes of the Jira connector, checked with `responses` (no server)."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from responses import matchers

from pmsync.config import make_tracker
from pmsync.errors import AuthError
from pmsync.plugins import default_registry
from pmsync_jira.connector import JiraConnector

SITE = "https://example.atlassian.net"
SERVER_INFO = {"deploymentType": "Cloud", "version": "1001.0.0", "versionNumbers": [1001, 0, 0]}
FIELDS = [
    {"id": "customfield_10101", "name": "Sprint", "custom": True,
     "schema": {"type": "array", "items": "json", "custom": "com.pyxis.greenhopper.jira:gh-sprint"}},
    {"id": "customfield_10102", "name": "Story Points", "custom": True,
     "schema": {"type": "number",
                "custom": "com.atlassian.jira.plugin.system.customfieldtypes:float"}},
    {"id": "summary", "name": "Summary", "custom": False, "schema": {"type": "string"}},
]


def issue(n: int, updated: str = "2026-11-20T10:00:00.000+0000") -> dict:
    return {"id": str(10000 + n), "key": f"PAY-{n}", "self": f"{SITE}/rest/api/3/issue/{n}",
            "fields": {"summary": f"Story {n}", "updated": updated,
                       "issuetype": {"name": "Story", "subtask": False, "hierarchyLevel": 0},
                       "status": {"name": "To Do", "statusCategory": {"key": "new"}},
                       "project": {"key": "PAY"}, "customfield_10102": 3,
                       "customfield_10101": [{"id": 5, "name": "S5", "state": "active"}]}}


@pytest.fixture
def connector(monkeypatch) -> JiraConnector:
    monkeypatch.setenv("TEST_JIRA_TOKEN", "s3cret-token")
    tracker = make_tracker("jira", {
        "kind": "jira", "url": SITE, "email": "me@example.com", "token_env": "TEST_JIRA_TOKEN",
        "projects": ["PAY"], "page_size": 2, "retry_backoff": 0,
    }, default_registry())
    return JiraConnector(tracker)


def fixed_calls(rsps: responses.RequestsMock) -> None:
    rsps.get(f"{SITE}/rest/api/2/serverInfo", json=SERVER_INFO)
    rsps.get(f"{SITE}/rest/api/3/myself",
             json={"accountId": "abc", "displayName": "Me", "timeZone": "America/New_York"})
    rsps.get(f"{SITE}/rest/api/3/field", json=FIELDS)
    rsps.get(f"{SITE}/rest/agile/1.0/board",
             json={"startAt": 0, "maxResults": 50, "total": 0, "isLast": True, "values": []})
    rsps.get(f"{SITE}/rest/api/3/project/PAY/versions", json=[])


def search_calls(rsps) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(c.request.url).query) for c in rsps.calls
            if "/search/jql" in c.request.url]


def test_full_sync_pages_by_next_page_token_with_basic_auth(connector):
    with responses.RequestsMock() as rsps:
        fixed_calls(rsps)
        # A full sync on Cloud first lists the project's keys (slices.py), beside the setup.
        rsps.get(f"{SITE}/rest/api/3/search/jql",
                 json={"issues": [{"key": f"PAY-{n}"} for n in range(1, 6)], "isLast": True},
                 match=[matchers.query_param_matcher({"fields": "key"}, strict_match=False)])
        pages = [
            {"issues": [issue(1), issue(2)], "nextPageToken": "t1", "isLast": False},
            {"issues": [issue(3), issue(4)], "nextPageToken": "t2", "isLast": False},
            {"issues": [issue(5, "2026-11-21T08:30:00.000+0000")], "isLast": True},
        ]
        for page in pages:
            rsps.get(f"{SITE}/rest/api/3/search/jql", json=page)
        batches = list(connector.fetch(None))

        items = [i for b in batches for i in b.items]
        assert [i.key for i in items] == [f"jira:PAY-{n}" for n in range(1, 6)]
        assert items[0].estimate == 3.0 and items[0].sprint_keys == ("jira:sprint:5",)
        assert batches[-1].cursor["updated"] == "2026-11-21T08:30:00+00:00"
        assert batches[-1].cursor["fields"]["story_points"] == ["customfield_10102"]

        listing, *searches = search_calls(rsps)
        assert listing["jql"] == ['project in ("PAY") ORDER BY key ASC']
        assert listing["maxResults"] == ["5000"] and "expand" not in listing
        assert len(searches) == 3  # five issues are one range: no slicing below four pages
        assert searches[0]["jql"] == ['project in ("PAY") ORDER BY updated ASC, key ASC']
        assert searches[0]["maxResults"] == ["2"] and "nextPageToken" not in searches[0]
        assert [s["nextPageToken"] for s in searches[1:]] == [["t1"], ["t2"]]
        assert {"customfield_10101", "customfield_10102", "summary", "updated"} <= set(
            searches[0]["fields"][0].split(","))
        expected = "Basic " + base64.b64encode(b"me@example.com:s3cret-token").decode()
        # serverInfo is anonymous on every deployment; everything else carries the token.
        authed = [c for c in rsps.calls if "serverInfo" not in c.request.url]
        assert authed and all(c.request.headers["Authorization"] == expected for c in authed)


def test_incremental_sync_is_one_search_in_the_users_timezone(connector):
    cursor = {"updated": "2026-11-21T08:30:00+00:00", "deployment": "cloud",
              "time_zone": "America/New_York", "reconciled_at": "2999-01-01T00:00:00+00:00",
              "fields": {"sprint": "customfield_10101", "story_points": ["customfield_10102"]}}
    with responses.RequestsMock() as rsps:
        rsps.get(f"{SITE}/rest/api/3/search/jql", json={"issues": [issue(7)], "isLast": True})
        batches = list(connector.fetch(cursor))
        assert len(rsps.calls) == 1  # what the site is like travels in the cursor
        (search,) = search_calls(rsps)
        # 08:30 UTC is 03:30 in New York; minus the two-minute overlap.
        assert search["jql"] == [
            'project in ("PAY") AND updated >= "2026-11-21 03:28" ORDER BY updated ASC, key ASC']
        assert search["expand"] == ["changelog"]
    assert [i.key for b in batches for i in b.items] == ["jira:PAY-7"]


def test_refused_credentials_are_one_line_and_name_the_variable(connector):
    with responses.RequestsMock() as rsps:
        rsps.get(f"{SITE}/rest/api/2/serverInfo", json=SERVER_INFO)
        rsps.get(f"{SITE}/rest/api/3/myself", status=401, json={
            "errorMessages": ["Client must be authenticated to access this resource."],
            "errors": {}})
        with pytest.raises(AuthError) as caught:
            connector.check_auth()
    message = str(caught.value)
    assert "HTTP 401" in message and "$TEST_JIRA_TOKEN" in message
    assert "s3cret-token" not in message and "\n" not in message


def test_503_is_retried_then_succeeds(connector):
    with responses.RequestsMock() as rsps:
        rsps.get(f"{SITE}/rest/api/2/serverInfo", json=SERVER_INFO)
        rsps.get(f"{SITE}/rest/api/3/myself", status=503, headers={"Retry-After": "1"})
        rsps.get(f"{SITE}/rest/api/3/myself", json={"displayName": "Me"})
        assert connector.check_auth() == "Me"
