"""Injected faults, driven over HTTP: each kind does what it says, in the vendor's shape."""

from __future__ import annotations

import json
import time

import pytest
import requests

from pmsync.cli import main
from pmsync.sandbox import Fault, FaultSpecError, Sandbox, parse_fault


@pytest.fixture
def sandbox():
    with Sandbox.start(seed=7, size=12) as sb:
        yield sb


def clickup(sandbox, method: str, path: str, timeout: float = 5, **kwargs) -> requests.Response:
    return requests.request(method, f"{sandbox.url}/api/v2{path}", timeout=timeout,
                            headers={"Authorization": sandbox.clickup.token}, **kwargs)


def jira(sandbox, method: str, path: str, timeout: float = 5, **kwargs) -> requests.Response:
    account = sandbox.site.account
    return requests.request(method, f"{sandbox.url}/rest/api/3{path}", timeout=timeout,
                            auth=(account.email, account.api_token), **kwargs)


def a_task(sandbox) -> str:
    return next(iter(sandbox.clickup.tasks))


def comments_on(sandbox, task_id: str) -> int:
    return len(sandbox.clickup.comments.get(task_id, []))


COMMENT = {"comment_text": "from the fault test", "notify_all": False}


@pytest.mark.parametrize(("spec", "problem"), [
    ("/x:explode", "unknown fault kind 'explode'"),
    ("POST:/x:lost", "lost needs the seconds to hold"),
    ("/x:reset", "reset=before (nothing committed) or reset=after"),
    ("/x:status=200", "status needs an HTTP error status 400-599"),
    ("/x:status=503,times=two", "times needs a whole number"),
    ("/x:status=503,colour=red", "unknown fault option 'colour='"),
    ("x:status=503", "must start with /"),
    ("just-a-path", "write [METHOD:]PATH:KIND"),
])
def test_a_bad_fault_spec_says_what_to_write(spec, problem):
    with pytest.raises(FaultSpecError) as caught:
        parse_fault(spec)
    assert problem in str(caught.value).replace("red'", "'")


def test_the_spec_reads_back_as_written():
    fault = parse_fault("post:/rest/api/3/issue/*/comment:lost=4,times=2,after=1")
    assert (fault.method, fault.kind, fault.seconds, fault.times, fault.after) == \
        ("POST", "lost", 4.0, 2, 1)
    assert parse_fault(fault.describe()).describe() == fault.describe()
    assert parse_fault("/a/**:503").status == 503 and parse_fault("/a:429").label == "status-429"


def test_the_cli_refuses_a_bad_fault_in_one_line(capsys):
    assert main(["sandbox", "--port", "0", "--fault", "POST:/x:lost"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "lost needs the seconds to hold" in err


def test_globs_methods_times_and_after(sandbox):
    fault, = sandbox.inject("GET:/api/v2/task/*:status=500,times=2,after=1")
    task = a_task(sandbox)
    assert clickup(sandbox, "POST", f"/task/{task}/comment", json=COMMENT).status_code == 200
    assert [clickup(sandbox, "GET", f"/task/{task}").status_code for _ in range(4)] == \
        [200, 500, 500, 200]
    # * is one segment: the comment list under the task is not hit
    assert clickup(sandbox, "GET", f"/task/{task}/comment").status_code == 200
    assert fault.fired == 2 and sandbox.fault_counts() == {"status-500": 2}


def test_a_lost_response_commits_the_write(sandbox):
    task = a_task(sandbox)
    before = comments_on(sandbox, task)
    sandbox.inject("POST:/api/v2/task/*/comment:lost=1.5")
    with pytest.raises(requests.exceptions.ReadTimeout):
        clickup(sandbox, "POST", f"/task/{task}/comment", timeout=0.5, json=COMMENT)
    assert comments_on(sandbox, task) == before + 1
    assert sandbox.fault_counts() == {"lost": 1}


def test_a_slow_answer_is_handled_after_the_wait(sandbox):
    sandbox.inject("GET:/api/v2/team:slow=0.6")
    started = time.monotonic()
    assert clickup(sandbox, "GET", "/team").json()["teams"]
    assert time.monotonic() - started >= 0.6


@pytest.mark.parametrize(("when", "committed"), [("before", 0), ("after", 1)])
def test_a_reset_connection_before_or_after_the_write(sandbox, when, committed):
    task = a_task(sandbox)
    before = comments_on(sandbox, task)
    sandbox.inject(f"POST:/api/v2/task/*/comment:reset={when}")
    with pytest.raises(requests.exceptions.ConnectionError):
        clickup(sandbox, "POST", f"/task/{task}/comment", json=COMMENT)
    assert comments_on(sandbox, task) == before + committed
    assert clickup(sandbox, "GET", f"/task/{task}").status_code == 200  # the server lives on


def test_5xx_answers_in_each_vendors_error_shape(sandbox):
    sandbox.inject("**:503,times=*")
    cu = clickup(sandbox, "GET", "/team")
    assert cu.status_code == 503 and set(cu.json()) == {"err", "ECODE"}
    docs = requests.get(f"{sandbox.url}/api/v3/workspaces/1/docs", timeout=5)
    assert docs.status_code == 503 and {"status", "message"} <= set(docs.json())
    atl = jira(sandbox, "GET", "/myself")
    assert atl.status_code == 503 and set(atl.json()) == {"errorMessages", "errors"}
    wiki = requests.get(f"{sandbox.url}/wiki/api/v2/pages", timeout=5)
    assert wiki.json()["errors"][0]["status"] == 503  # Confluence v2's own shape
    v1 = requests.get(f"{sandbox.url}/rest/api/content", timeout=5)
    assert v1.json()["statusCode"] == 503  # Confluence v1's
    unknown_clickup_route = requests.get(f"{sandbox.url}/api/v2/nowhere", timeout=5)
    assert "ECODE" in unknown_clickup_route.json()


def test_a_clickup_429_carries_a_whole_second_reset_and_no_retry_after(sandbox):
    sandbox.inject("GET:/api/v2/team:429,reset-in=3")
    answer = clickup(sandbox, "GET", "/team")
    assert answer.status_code == 429
    assert answer.json() == {"err": "Rate limit reached", "ECODE": "APP_002"}
    assert "Retry-After" not in answer.headers
    reset = answer.headers["X-RateLimit-Reset"]
    assert reset.isdigit() and time.time() + 1 <= int(reset) <= time.time() + 3
    assert answer.headers["X-RateLimit-Remaining"] == "0"


@pytest.mark.parametrize(("spec", "retry_after"), [
    ("GET:/rest/api/3/myself:429,retry-after=2", "2"), ("GET:/rest/api/3/myself:429", None)])
def test_a_jira_429_with_and_without_retry_after(sandbox, spec, retry_after):
    sandbox.inject(spec)
    answer = jira(sandbox, "GET", "/myself")
    assert answer.status_code == 429 and answer.json()["errorMessages"] == ["Rate limit exceeded."]
    assert answer.headers.get("Retry-After") == retry_after


def test_the_rate_limiter_sends_whole_second_resets_by_default(sandbox):
    from pmsync.sandbox.site import RateLimit

    sandbox.clickup.rate_limit = RateLimit(limit=100, window=5)
    reset = clickup(sandbox, "GET", "/team").headers["X-RateLimit-Reset"]
    assert reset.isdigit()


def test_malformed_json_after_the_write(sandbox):
    task = a_task(sandbox)
    before = comments_on(sandbox, task)
    sandbox.inject("POST:/api/v2/task/*/comment:malformed")
    answer = clickup(sandbox, "POST", f"/task/{task}/comment", json=COMMENT)
    assert answer.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(answer.text)
    assert comments_on(sandbox, task) == before + 1


def test_a_truncated_body_breaks_the_read_after_the_write(sandbox):
    key = next(iter(sandbox.site.issues))
    before = len(sandbox.site.comments.get(key, []))
    sandbox.inject("POST:/rest/api/3/issue/*/comment:truncated")
    body = {"body": {"type": "doc", "version": 1, "content": [
        {"type": "paragraph", "content": [{"type": "text", "text": "hello"}]}]}}
    with pytest.raises(requests.exceptions.RequestException):
        jira(sandbox, "POST", f"/issue/{key}/comment", json=body)
    assert len(sandbox.site.comments.get(key, [])) == before + 1


def test_faults_are_armed_and_read_over_http(sandbox):
    control = f"{sandbox.url}/_sandbox/faults"
    bad = requests.post(control, json={"fault": "/x:nope"}, timeout=5)
    assert bad.status_code == 400 and "unknown fault kind" in bad.json()["error"]
    assert requests.post(control, json={"fault": "GET:/api/v2/team:502"},
                         timeout=5).status_code == 201
    assert clickup(sandbox, "GET", "/team").status_code == 502
    state = requests.get(control, timeout=5).json()
    assert state["fired"] == {"status-502": 1}
    assert requests.delete(control, timeout=5).status_code == 204 and not sandbox.faults


def test_start_arms_faults_given_as_objects_or_strings():
    with Sandbox.start(size=12, clickup_size=0,
                       faults=[Fault("/rest/api/3/myself", status=500),
                               "GET:/rest/api/3/serverInfo:504"]) as sb:
        assert jira(sb, "GET", "/myself").status_code == 500
        assert jira(sb, "GET", "/serverInfo").status_code == 504
        assert sb.fault_counts() == {"status-500": 1, "status-504": 1}
        assert "fault armed: GET:/rest/api/3/serverInfo:status=504" in sb.describe()


@pytest.mark.parametrize("spec", ["GET:/rest/api/*/search/jql:truncated",
                                  "GET:/rest/api/*/search/jql:reset=after"])
def test_pmsync_reads_again_after_a_read_is_cut_off(spec, tmp_path, monkeypatch, write_config):
    with Sandbox.start(size=12, clickup_size=0, faults=[spec]) as sb:
        path = write_config(sb, tmp_path, monkeypatch)
        assert main(["--config", str(path), "sync"]) == 0
        assert sum(sb.fault_counts().values()) == 1
