"""The Jira connector against the sandbox: Cloud and DC, history, increments, failures."""

from __future__ import annotations

import pytest

from conftest import store_of as open_store
from pmsync.cli import main
from pmsync.sandbox import Fault, Sandbox
from pmsync.sandbox.site import RateLimit


def run(path, *args) -> int:
    return main(["--config", str(path), *args])


@pytest.fixture
def dc_sandbox():
    with Sandbox.start(seed=7, size=60, deployment="Server") as sb:
        yield sb


def test_data_center_sync_alerts_and_pages(dc_sandbox, tmp_path, monkeypatch, capsys, write_config):
    path = write_config(dc_sandbox, tmp_path, monkeypatch)
    assert run(path, "run") == 0, capsys.readouterr().err
    site = dc_sandbox.site
    store = open_store(path)
    try:
        items = {i.key: i for i in store.current("item")}
        assert len(items) == len(dc_sandbox.site.issues)
        story = items["jira:PAY-4"]
        assert story.parent_key is not None  # epic through DC's Epic Link field
        assert story.sprint_keys and store.count("sprint") == 18  # legacy sprint strings parsed
        assert any(i.estimate for i in items.values() if i.key.startswith("jira:WEB-"))
    finally:
        store.close()
    # Wiki-markup comments on v2, found again by their marker; pages through REST v1.
    posts = dc_sandbox.writes_to("POST", "/rest/api/2/issue/")
    assert posts and all(isinstance(w["body"]["body"], str) for w in posts)
    assert all("pmsync:" in w["body"]["body"] for w in posts)
    assert len(dc_sandbox.writes_to("POST", "/rest/api/content")) == 4  # 3 reviews + roadmap
    assert not dc_sandbox.writes_to("POST", "/wiki/api/v2/pages")
    assert not [r for r in dc_sandbox.requests if r[1].startswith("/rest/api/3/")]

    overdue = site.planted["epic-overdue"][0][0].split(":")[1]
    site.touch(overdue, summary="Renamed epic, same problem")
    assert run(path, "run") == 0
    assert len(dc_sandbox.writes_to("POST", "/rest/api/2/issue/")) == len(posts)  # edited, not re-posted
    assert len(dc_sandbox.writes_to("PUT", f"/rest/api/2/issue/{overdue}/comment/")) == 1


def test_both_project_types_and_renamed_custom_fields(tmp_path, monkeypatch, write_config):
    ids = {"sprint": "customfield_11111", "story_points": "customfield_12222",
           "story_point_estimate": "customfield_13333", "start_date": "customfield_14444",
           "epic_link": "customfield_15555"}
    with Sandbox.start(seed=3, size=60, field_ids=ids) as sandbox:
        path = write_config(sandbox, tmp_path, monkeypatch)
        assert run(path, "sync") == 0
        store = open_store(path)
        try:
            items = store.current("item")
            stories = [i for i in items if i.kind == "story"]
            company = [i for i in stories if not i.key.startswith("jira:WEB-")]
            team = [i for i in stories if i.key.startswith("jira:WEB-")]
            # Company-managed "Story Points" and team-managed "Story point estimate" both land.
            def given(item):
                fields = sandbox.site.issues[item.key.split(":")[1]]["fields"]
                return fields[ids["story_points"]] or fields[ids["story_point_estimate"]]

            assert company and team
            assert all(i.estimate == given(i) for i in company + team)
            assert sum(i.estimate is not None for i in team) > len(team) // 2
            assert sum(bool(i.sprint_keys) for i in stories) > len(stories) // 2
            epics = [i for i in items if i.kind == "epic"]
            starts = {i.key: sandbox.site.issues[i.key.split(":")[1]]["fields"][ids["start_date"]]
                      for i in epics}
            assert all((i.start.isoformat() if i.start else None) == starts[i.key] for i in epics)
            assert any(i.start for i in epics)
        finally:
            store.close()


def test_changelog_history_is_kept_including_long_histories(sandbox, config_path):
    assert run(config_path, "sync") == 0
    site = sandbox.site
    site.touch("PAY-3", duedate="2027-03-01")
    assert run(config_path, "sync") == 0
    store = open_store(config_path)
    try:
        flips = [c for c in store.changes("jira:MOB-2") if c.field == "status"]
        in_jira = [i for h in site.histories["MOB-2"] for i in h["items"] if i["field"] == "status"]
        # more than the 40 histories search embeds: the rest came through the changelog endpoint
        assert len(flips) == len(in_jira) > 40
        (due,) = [c for c in store.changes("jira:PAY-3") if c.field == "due"]
        assert due.new == "2027-03-01" and due.old is not None
        added = [c for c in store.changes() if c.field == "sprint"]
        assert added and all(c.new for c in added)
    finally:
        store.close()
    assert any(r[1] == "/rest/api/3/issue/MOB-2/changelog" for r in sandbox.requests)


def test_incremental_sees_updates_deletions_and_moves(sandbox, tmp_path, monkeypatch, write_config):
    path = write_config(sandbox, tmp_path, monkeypatch, "\nreconcile_hours = 0")
    assert run(path, "sync") == 0
    site = sandbox.site
    site.touch("PAY-9", summary="Updated title")
    del site.issues["MOB-9"]  # deleted
    moved = site.issues.pop("PAY-10")  # moved to another project: a new key
    moved["key"] = "WEB-99"
    moved["fields"]["project"] = site.projects["WEB"]
    site.issues["WEB-99"] = moved
    site.touch("WEB-99")
    assert run(path, "sync") == 0
    store = open_store(path)
    try:
        items = {i.key: i for i in store.current("item")}
        assert items["jira:PAY-9"].title == "Updated title"
        assert "jira:MOB-9" not in items and "jira:PAY-10" not in items
        assert ("project", "WEB") in items["jira:WEB-99"].facets
        assert len(items) == len(site.issues)
    finally:
        store.close()


def test_rate_limit_429_is_waited_out(sandbox, tmp_path, monkeypatch, write_config):
    path = write_config(sandbox, tmp_path, monkeypatch, "\npage_size = 10")
    sandbox.site.rate_limit = RateLimit(limit=6, window=0.5)
    assert run(path, "sync") == 0
    assert sandbox.site.throttled > 0  # some requests met a 429, and all got through in the end
    store = open_store(path)
    try:
        assert store.count("item") == len(sandbox.site.issues)
    finally:
        store.close()


def test_a_503_burst_is_retried(sandbox, config_path):
    fault, = sandbox.inject("GET:/rest/api/*/search/jql:status=503,times=3,retry-after=0")
    assert run(config_path, "sync") == 0
    assert fault.fired == 3 and sandbox.fault_counts() == {"status-503": 3}


def test_a_sync_killed_midway_loses_nothing_and_resumes(sandbox, tmp_path, monkeypatch, capsys, write_config):
    path = write_config(sandbox, tmp_path, monkeypatch, "\npage_size = 10\nretry_attempts = 2")
    # From the fourth search page on, searches keep failing: the sync dies after three
    # pages. (The projects' searches run side by side: a fault firing only twice could
    # land on two searches that each recover on their retry.)
    fault = Fault("/rest/api/*/search/jql", status=500, times=1000)
    original = sandbox.server.dispatch
    seen = {"search": 0}

    def dispatch(request):
        if "/search/jql" in request.path:
            seen["search"] += 1
            if seen["search"] == 4:
                sandbox.inject(fault)
        return original(request)

    sandbox.server.dispatch = dispatch
    assert run(path, "sync") == 3
    assert "HTTP 500" in capsys.readouterr().err
    store = open_store(path)
    try:
        assert store.count("item") == 0 and store.cursor("jira") is None  # nothing half-written
    finally:
        store.close()
    sandbox.server.dispatch = original
    sandbox.server.faults.clear()
    assert run(path, "sync") == 0
    store = open_store(path)
    try:
        total = len(sandbox.site.issues)
        assert store.count("item") == total
        assert len(store.conn.execute("SELECT key FROM records WHERE kind='item'").fetchall()) \
            == total
    finally:
        store.close()


def test_malformed_json_is_a_one_line_error_and_nothing_is_written(sandbox, tmp_path,
                                                                   monkeypatch, capsys, write_config):
    path = write_config(sandbox, tmp_path, monkeypatch, "\nretry_attempts = 2")
    sandbox.inject("/rest/api/*/search/jql:malformed,times=5")
    assert run(path, "sync") == 3
    err = capsys.readouterr().err
    assert "not valid JSON while searching issues" in err and "Traceback" not in err
    store = open_store(path)
    try:
        assert store.count("item") == 0 and store.cursor("jira") is None
    finally:
        store.close()


def test_a_timeout_is_retried(sandbox, tmp_path, monkeypatch, write_config):
    path = write_config(sandbox, tmp_path, monkeypatch, "\ntimeout = 1")
    fault, = sandbox.inject("/rest/api/*/search/jql:slow=1.5")
    assert run(path, "sync") == 0
    assert fault.fired == 1


def test_a_page_edited_meanwhile_is_reread_and_updated_once_more(sandbox, config_path):
    assert run(config_path, "sync") == 0 and run(config_path, "report") == 0
    site = sandbox.site
    page = next(p for p in site.pages.values() if p["title"] == "Sprint review: Payments")
    in_sprint = site.planted["blocker-scheduled-late"][0][0].split(":")[1]  # in PAY's sprint
    site.touch(in_sprint, summary="A change for the next version")
    original = sandbox.server.dispatch
    edited = []

    def dispatch(request):
        if request.method == "PUT" and request.path.endswith(f"/pages/{page['id']}") \
                and not edited:
            edited.append(True)
            page["version"]["number"] += 1  # someone saved the page between our read and write
        return original(request)

    sandbox.server.dispatch = dispatch
    assert run(config_path, "sync") == 0 and run(config_path, "report") == 0
    puts = [w for w in sandbox.writes if w["method"] == "PUT" and w["path"].endswith(page["id"])]
    assert [w["status"] for w in puts] == [409, 200]
    assert page["version"]["number"] == 3 and "A change for the next version" in page["body"]


@pytest.fixture
def searched(monkeypatch):
    """The JQL of every search the connector sends (in-process syncs)."""
    from pmsync_jira import search

    sent: list[str] = []
    pages = search.pages

    def recording(site, jql, *args, **kwargs):
        sent.append(jql)
        return pages(site, jql, *args, **kwargs)

    monkeypatch.setattr(search, "pages", recording)
    return sent


def _synced_once(path, site) -> None:
    """Every issue of the site is in the store, and the sync fetched each exactly once."""
    store = open_store(path)
    try:
        assert {i.key for i in store.current("item")} == {f"jira:{k}" for k in site.issues}
        assert store.sync_log()[-1]["fetched"] == len(site.issues)
    finally:
        store.close()


def test_a_full_sync_searches_key_ranges_side_by_side_once_each(sandbox, tmp_path, monkeypatch,
                                                               write_config, searched):
    from pmsync_jira import slices

    monkeypatch.setattr(slices, "MIN_PAGES_PER_SLICE", 1)  # 60 issues: a few pages a range
    path = write_config(sandbox, tmp_path, monkeypatch, "\npage_size = 4")
    assert run(path, "sync") == 0
    listings = [q for q in searched if q.endswith("ORDER BY key ASC")]
    ranges = [q for q in searched if " AND key " in q]
    assert len(listings) == 3  # one key listing per project, beside the setup calls
    assert any(" AND key >= " in q for q in ranges) and any(" AND key < " in q for q in ranges)
    assert not [q for q in searched if q.startswith("key in (")]  # the ranges missed nothing
    _synced_once(path, sandbox.site)
    # The cursor is the newest issue's: the next sync only searches what changed since.
    sandbox.site.touch("PAY-3", summary="Changed after the ranged sync")
    searched.clear()
    assert run(path, "sync") == 0
    assert searched and all(" AND updated >= " in q and " AND key " not in q for q in searched)
    store = open_store(path)
    try:
        assert {i.key: i for i in store.current("item")}["jira:PAY-3"].title == (
            "Changed after the ranged sync")
    finally:
        store.close()


def test_a_range_bound_deleted_after_the_listing_moves_to_the_next_key(sandbox, tmp_path,
                                                                      monkeypatch, write_config,
                                                                      searched):
    from pmsync_jira import slices
    from pmsync_jira.connector import SEARCHES_AT_ONCE, JiraConnector

    monkeypatch.setattr(slices, "MIN_PAGES_PER_SLICE", 1)
    listed = JiraConnector._listing
    deleted = []

    def listing_then_delete(self, *args):
        found = listed(self, *args)
        bound = next(p.high for p in found.plan(self.page_size, SEARCHES_AT_ONCE) if p.high)
        sandbox.site.delete_issue(bound)  # gone between the listing and the search
        deleted.append(bound)
        return found

    monkeypatch.setattr(JiraConnector, "_listing", listing_then_delete)
    path = write_config(sandbox, tmp_path, monkeypatch, "\npage_size = 4")
    assert run(path, "sync") == 0
    (bound,) = deleted
    assert bound not in sandbox.site.issues
    assert [q for q in searched if f" key < {bound} " in q]  # asked, refused (400), moved on
    _synced_once(path, sandbox.site)


def test_listed_issues_no_range_returned_are_fetched_by_key(sandbox, tmp_path, monkeypatch,
                                                           write_config, searched):
    from pmsync_jira import slices

    monkeypatch.setattr(slices, "MIN_PAGES_PER_SLICE", 1)
    plan = slices.Listing.plan
    # Ranges that leave the first of each project's out, as a range Jira answered
    # differently than planned would: the listing's checklist fetches those by key.
    monkeypatch.setattr(slices.Listing, "plan", lambda self, *args: [
        part for part in plan(self, *args) if part.low is not None])
    path = write_config(sandbox, tmp_path, monkeypatch, "\npage_size = 4")
    assert run(path, "sync") == 0
    assert [q for q in searched if q.startswith("key in (")]
    _synced_once(path, sandbox.site)
