"""The Jira connector against sites configured as real ones are (issue 12): an estimate field
renamed and a decoy float beside it, Data Center changelogs that name fields only by display
name (the sprint field renamed "Iteration"), legacy sprint strings; Cloud and DC alike."""

from __future__ import annotations

import pytest

from conftest import store_of
from pmsync.cli import main
from pmsync.sandbox import Sandbox
from pmsync.store import Store
from pmsync_jira.mapping import FieldIds, discover_fields, legacy_sprint, map_changelog

DECOY = "customfield_10060"
FLOAT = "com.atlassian.jira.plugin.system.customfieldtypes:float"


@pytest.fixture(params=["Cloud", "Server"])
def real_site(request):
    """A site whose estimate is called "Estimate", with a float "Business Value" beside it,
    and (Data Center) changelog items without fieldId and the sprint field called "Iteration"."""
    dc = request.param == "Server"
    with Sandbox.start(seed=5, size=36, deployment=request.param, changelog_field_ids=not dc,
                       field_names={"story_points": "Estimate",
                                    **({"sprint": "Iteration"} if dc else {})},
                       decoy_fields={DECOY: "Business Value"}, clickup_size=0) as sb:
        yield sb


def synced(sandbox, tmp_path, monkeypatch, write_config, extra: str = "") -> Store:
    path = write_config(sandbox, tmp_path, monkeypatch, extra)
    assert main(["--config", str(path), "sync"]) == 0
    return store_of(path)


def test_the_estimate_is_the_field_the_board_names_not_a_decoy(real_site, tmp_path, monkeypatch,
                                                               write_config):
    site = real_site.site
    store = synced(real_site, tmp_path, monkeypatch, write_config)
    estimates = (site.field_ids["story_points"], site.field_ids["story_point_estimate"])
    expected = {f"jira:{key}": next((float(issue["fields"][f]) for f in estimates
                                     if issue["fields"].get(f) is not None), None)
                for key, issue in site.issues.items()}
    items = {i.key: i for i in store.current("item", "jira")}
    got = {key: items[key].estimate for key in expected if key in items}
    assert sum(v is not None for v in got.values()) >= 10
    assert got == {key: expected[key] for key in got}
    decoys = {float(i["fields"][DECOY]) for i in site.issues.values() if i["fields"].get(DECOY)}
    assert not decoys & {v for k, v in got.items() if expected[k] is None}
    store.close()


def test_discovery_takes_the_boards_field_then_the_type_never_a_decoy_by_type_alone():
    fields = [{"id": "customfield_1", "name": "Estimate", "schema": {"custom": FLOAT}},
              {"id": DECOY, "name": "Business Value", "schema": {"custom": FLOAT}},
              {"id": "customfield_2", "name": "Sprint",
               "schema": {"custom": "com.pyxis.greenhopper.jira:gh-sprint"}}]
    assert discover_fields(fields, {}, ("customfield_1",)).story_points == ("customfield_1",)
    assert discover_fields(fields, {}).story_points == ()  # no board, no known name: nothing
    named = [*fields, {"id": "customfield_3", "name": "Story Points", "schema": {"custom": FLOAT}}]
    assert discover_fields(named, {}).story_points == ("customfield_3",)
    # A board naming a system time field (estimation by time) is not a points estimate.
    assert discover_fields(named, {}, ("timeoriginalestimate",)).story_points == ("customfield_3",)


def test_changelog_items_map_by_field_id_else_by_resolved_name(real_site, tmp_path, monkeypatch,
                                                                write_config):
    site = real_site.site
    ids = site.field_ids
    roles = {"duedate": "due", "status": "status", ids["sprint"]: "sprint",
             ids["start_date"]: "start", ids["story_points"]: "estimate",
             ids["story_point_estimate"]: "estimate"}
    store = synced(real_site, tmp_path, monkeypatch, write_config)
    got = {(c.item_key, c.field, c.new) for c in store.changes()}
    expected = set()
    for key, histories in site.histories.items():
        for history in histories:
            for item in history["items"]:  # the site's own record (WorklogId has no fieldId)
                role = roles.get(item.get("fieldId"))
                if role:
                    new = item["to"] if role == "sprint" else item["toString"]
                    expected.add((f"jira:{key}", role, new))
    assert got == expected
    assert {"due", "sprint", "status"} <= {field for _, field, _ in got}
    store.close()


def test_a_changelog_item_of_an_unknown_field_is_skipped_not_guessed():
    ids = FieldIds(sprint="customfield_9", start_date="customfield_8",
                   names={"Iteration": "customfield_9"})
    history = {"id": "1", "created": "2026-11-20T10:00:00.000+0000", "items": [
        {"field": "Iteration", "from": "1", "to": "2", "fromString": "S1", "toString": "S2"},
        {"field": "duedate", "fromString": "2026-12-01", "toString": "2026-12-08"},
        {"field": "Flagged", "fromString": None, "toString": "Impediment"},
        {"field": "Rank", "fromString": None, "toString": "Ranked higher"}]}
    changes = map_changelog("jira:PAY-1", [history], ids)
    assert [(c.field, c.new) for c in changes] == [("sprint", "2"), ("due", "2026-12-08")]


def test_every_attribute_of_a_legacy_sprint_string_is_read():
    value = ("com.atlassian.greenhopper.service.sprint.Sprint@1f2e3d[id=42,rapidViewId=7,"
             "state=CLOSED,name=Sprint 42, the long one,goal=Ship the ledger, then rest,"
             "startDate=2026-11-02T09:00:00.000+13:00,endDate=2026-11-16T09:00:00.000+13:00,"
             "completeDate=2026-11-16T17:30:00.000+13:00,sequence=42]")
    assert legacy_sprint(value) == {
        "id": 42, "boardId": "7", "state": "closed", "name": "Sprint 42, the long one",
        "goal": "Ship the ledger, then rest", "startDate": "2026-11-02T09:00:00.000+13:00",
        "endDate": "2026-11-16T09:00:00.000+13:00",
        "completeDate": "2026-11-16T17:30:00.000+13:00"}
    empty = legacy_sprint("x.Sprint@1[id=3,rapidViewId=1,state=FUTURE,name=S3,goal=<null>,"
                          "startDate=<null>,endDate=<null>,completeDate=<null>,sequence=3]")
    assert empty["goal"] is None and empty["startDate"] is None and empty["state"] == "future"


def test_the_boards_sprint_record_wins_and_a_rerun_republishes_nothing(real_site, tmp_path,
                                                                      monkeypatch, write_config,
                                                                      capsys):
    site = real_site.site
    path = write_config(real_site, tmp_path, monkeypatch, "\nreconcile_hours = 0")
    assert main(["--config", str(path), "run"]) == 0, capsys.readouterr().err
    store = store_of(path)
    sprints = {s.key: s for s in store.current("sprint", "jira")}
    for sprint_id, sprint in site.sprints.items():
        record = sprints[f"jira:sprint:{sprint_id}"]
        assert record.goal == (sprint.get("goal") or None)
        assert (record.completed is None) == (not sprint.get("completeDate"))
    store.close()
    assert any(s.get("goal") for s in site.sprints.values())
    writes = len(real_site.writes)
    capsys.readouterr()
    assert main(["--config", str(path), "run"]) == 0
    assert real_site.writes[writes:] == []  # nothing flipped: no page, no comment rewritten
