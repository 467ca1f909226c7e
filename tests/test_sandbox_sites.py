"""The sandbox configured like real sites: Data Center histories and sprint strings, a renamed
estimate field, the site's time zone, issues deleted and moved (issue 12)."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests

from contract import check_response, require_specs
from pmsync.sandbox import Sandbox

DC_AUTH = {"Authorization": "Bearer sandbox-pat"}


def cloud(sandbox) -> requests.Session:
    http = requests.Session()
    http.auth = (sandbox.site.account.email, sandbox.site.account.api_token)
    return http


@pytest.fixture
def old_dc():
    """An older Data Center: changelog items without fieldId, the estimate field renamed."""
    with Sandbox.start(seed=5, size=36, deployment="Server", changelog_field_ids=False,
                       field_names={"story_points": "Estimate", "sprint": "Iteration"},
                       decoy_fields={"customfield_10060": "Business Value"},
                       clickup_size=0) as sb:
        yield sb


def test_old_data_center_changelogs_name_fields_only_by_display_name(old_dc):
    url = old_dc.url + "/rest/api/2/search"
    found = requests.get(url, headers=DC_AUTH, params={
        "jql": "project = PAY AND status = Done", "expand": "changelog", "maxResults": 5}).json()
    items = [item for issue in found["issues"]
             for history in issue["changelog"]["histories"] for item in history["items"]]
    assert items and all("fieldId" not in item for item in items)
    assert {"Iteration", "status"} <= {item["field"] for item in items}
    # Data Center has no changelog resource; Cloud serves it on v2 and v3 alike.
    assert requests.get(old_dc.url + "/rest/api/2/issue/PAY-2/changelog",
                        headers=DC_AUTH).status_code == 404


def test_cloud_changelog_items_carry_field_ids_on_v2_and_v3(sandbox):
    http = cloud(sandbox)
    for version in ("2", "3"):
        page = http.get(f"{sandbox.url}/rest/api/{version}/issue/MOB-2/changelog",
                        params={"maxResults": 10}).json()
        assert page["total"] > 40 and all("fieldId" in i for v in page["values"]
                                          for i in v["items"])
        assert page["nextPage"].startswith(f"{sandbox.url}/rest/api/3/") is (version == "3")


def test_data_center_sprint_values_are_legacy_strings_with_every_attribute(old_dc):
    sprint_id = old_dc.site.field_ids["sprint"]
    issue = requests.get(old_dc.url + "/rest/api/2/issue/PAY-4", headers=DC_AUTH).json()
    [value] = issue["fields"][sprint_id]
    match = re.fullmatch(r"com\.atlassian\.greenhopper\.service\.sprint\.Sprint@[0-9a-f]+\[(.*)\]",
                         value)
    assert match
    attributes = dict(pair.split("=", 1) for pair in match.group(1).split(","))
    assert set(attributes) >= {"id", "rapidViewId", "state", "name", "goal", "startDate",
                               "endDate", "completeDate", "sequence"}
    sprint = old_dc.site.sprints[int(attributes["id"])]
    assert attributes["goal"] == sprint["goal"] and attributes["state"] == sprint["state"].upper()
    # Every self link on Data Center is v2: it has no v3 to point at.
    assert "/rest/api/3/" not in str(issue) and issue["self"].endswith(f"/rest/api/2/issue/{issue['id']}")


def test_the_board_configuration_names_the_renamed_estimate_field(old_dc):
    ids = old_dc.site.field_ids
    config = requests.get(old_dc.url + "/rest/agile/1.0/board/1/configuration",
                          headers=DC_AUTH).json()
    assert config["estimation"] == {"type": "field", "field": {
        "fieldId": ids["story_points"], "displayName": "Estimate"}}
    fields = requests.get(old_dc.url + "/rest/api/2/field", headers=DC_AUTH).json()
    floats = {f["name"]: f["id"] for f in fields
              if f.get("schema", {}).get("custom", "").endswith(":float")}
    assert floats == {"Estimate": ids["story_points"], "Business Value": "customfield_10060"}
    story = requests.get(old_dc.url + "/rest/api/2/issue/PAY-4", headers=DC_AUTH).json()["fields"]
    assert story[ids["story_points"]] == 3.0
    assert story["customfield_10060"] not in (None, 3.0)  # the decoy holds another number


def test_team_managed_cloud_boards_sum_story_point_estimate(sandbox):
    require_specs()
    http = cloud(sandbox)
    config = http.get(sandbox.url + "/rest/agile/1.0/board/3/configuration").json()
    check_response("GET", "/rest/agile/1.0/board/3/configuration", 200, config)
    assert config["estimation"]["field"] == {
        "fieldId": sandbox.site.field_ids["story_point_estimate"],
        "displayName": "Story point estimate"}
    assert http.get(sandbox.url + "/rest/agile/1.0/board/99/configuration").status_code == 404


@pytest.mark.parametrize("zone", ["Pacific/Auckland", "Pacific/Honolulu", "Pacific/Kiritimati"])
def test_the_site_time_zone_shows_in_myself_and_every_timestamp(zone):
    with Sandbox.start(seed=7, size=36, time_zone=zone, clickup_size=0) as sb:
        http = cloud(sb)
        assert http.get(sb.url + "/rest/api/3/myself").json()["timeZone"] == zone
        issue = http.get(sb.url + "/rest/api/3/issue/PAY-2").json()["fields"]
        offset = datetime.fromisoformat(issue["created"]).utcoffset()
        assert offset == datetime.fromisoformat(issue["created"]).astimezone(
            ZoneInfo(zone)).utcoffset()
        # Seeded sprints start at 09:00 in the site's own calendar.
        active = next(s for s in sb.site.sprints.values() if s["state"] == "active")
        assert datetime.fromisoformat(active["startDate"]).astimezone(ZoneInfo(zone)).hour == 9


def test_an_unknown_time_zone_is_a_one_line_error(capsys):
    from pmsync.cli import main

    assert main(["sandbox", "--time-zone", "Mars/Olympus"]) != 0
    err = capsys.readouterr().err
    assert "Mars/Olympus" in err and "Traceback" not in err


def test_a_deleted_issue_is_gone_with_its_links(sandbox):
    http = cloud(sandbox)
    site = sandbox.site
    linked = next(k for k, i in site.issues.items() if i["fields"]["issuelinks"])
    other = (site.issues[linked]["fields"]["issuelinks"][0].get("inwardIssue")
             or site.issues[linked]["fields"]["issuelinks"][0].get("outwardIssue"))["key"]
    assert http.delete(f"{sandbox.url}/rest/api/3/issue/{linked}").status_code == 204
    assert http.get(f"{sandbox.url}/rest/api/3/issue/{linked}").status_code == 404
    remaining = http.get(f"{sandbox.url}/rest/api/3/issue/{other}").json()["fields"]["issuelinks"]
    assert linked not in str(remaining)
    found = http.get(f"{sandbox.url}/rest/api/3/search/jql",
                     params={"jql": f"key in ({linked}, {other})"})
    assert found.status_code == 400
    assert found.json()["errorMessages"] == [
        f"An issue with key '{linked}' does not exist for field 'key'."]


def test_a_moved_issue_answers_under_its_old_key(sandbox):
    http = cloud(sandbox)
    moved = requests.post(sandbox.url + "/_sandbox/move",
                          json={"key": "PAY-5", "project": "MOB"}).json()["key"]
    assert moved.startswith("MOB-")
    issue = http.get(f"{sandbox.url}/rest/api/3/issue/PAY-5").json()
    assert issue["key"] == moved and issue["fields"]["project"]["key"] == "MOB"
    found = http.get(f"{sandbox.url}/rest/api/3/search/jql",
                     params={"jql": "key in (PAY-5)", "fields": "key"}).json()
    assert [i["key"] for i in found["issues"]] == [moved]
    last = http.get(f"{sandbox.url}/rest/api/3/issue/{moved}/changelog").json()["values"][-1]
    assert {(i["field"], i["fromString"], i["toString"]) for i in last["items"]} >= {
        ("Key", "PAY-5", moved)}


def test_sandbox_tls_prints_the_certificate_https_clients_trust(tmp_path):
    import socket
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "pmsync.cli", "sandbox", "--tls", "--port", str(port),
         "--clickup-size", "0", "--size", "24"], stdout=subprocess.PIPE, text=True)
    try:
        banner = [server.stdout.readline() for _ in range(2)]
        assert f"https://127.0.0.1:{port}" in banner[0]
        cert = re.search(r"self-signed certificate: (\S+)", banner[1]).group(1)
        url = f"https://127.0.0.1:{port}/rest/api/3/serverInfo"
        assert requests.get(url, verify=cert).json()["deploymentType"] == "Cloud"
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(url)  # not trusted without the certificate
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_data_center_takes_basic_username_and_password_as_real_dc_does(old_dc):
    account = old_dc.site.account
    url = old_dc.url + "/rest/api/2/myself"
    assert requests.get(url, auth=(account.name, account.password)).json()["name"] == account.name
    assert requests.get(url, auth=(account.name, "wrong")).status_code == 401
    assert requests.get(url, auth=(account.email, account.api_token)).status_code == 401
