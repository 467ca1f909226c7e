"""The connector kit through its public interface: HttpClient against `responses`,
paginators over answers, option schemas over values."""

from __future__ import annotations

import logging
import threading
import time

import pytest
import requests
import responses

from pmsync.errors import ConfigError
from pmsync.kit.errors import HttpAuthError, HttpError, LostResponse, Unreachable
from pmsync.kit.http import HttpClient
from pmsync.kit.options import REQUIRED, Option, OptionSchema
from pmsync.kit.paginate import (
    OffsetPaginator,
    PageNumberPaginator,
    TokenPaginator,
    paginate,
    prefetched,
    records_at,
)
from pmsync.kit.retry import Vendor

API = "https://tracker.example"
VENDOR = Vendor("Acme", remaining_header="X-RateLimit-Remaining",
                error_detail=lambda body: body.get("err", ""))


@pytest.fixture
def waits(monkeypatch) -> list[float]:
    """Every sleep the client asks for (tenacity's and the pacer's), without sleeping."""
    slept: list[float] = []
    monkeypatch.setattr("tenacity.nap.time.sleep", slept.append)
    monkeypatch.setattr("pmsync.kit.retry.time.sleep", slept.append)
    return slept


def client(**kwargs) -> HttpClient:
    http = HttpClient(API, VENDOR, headers={"Authorization": "tok"}, backoff=0, **kwargs)
    http.pacer.sleep = lambda s: None
    return http


@responses.activate
def test_http_error_carries_status_and_response(waits):
    responses.get(f"{API}/thing", status=404, json={"err": "no such thing"})
    with pytest.raises(HttpError) as caught:
        client().request("GET", "/thing", "reading a thing")
    assert caught.value.status == 404 and caught.value.response.json()["err"] == "no such thing"
    assert str(caught.value) == (f"Acme at {API} answered HTTP 404 while reading a thing: "
                                 "no such thing")
    assert len(responses.calls) == 1  # a 404 is not retried


@responses.activate
def test_refused_credentials_are_never_retried(waits):
    responses.get(f"{API}/me", status=401, json={"err": "Token invalid"})
    with pytest.raises(HttpAuthError) as caught:
        HttpClient(API, VENDOR, secret_hint="$ACME_TOKEN").request("GET", "/me", "checking")
    assert "$ACME_TOKEN" in str(caught.value) and len(responses.calls) == 1


@responses.activate
def test_a_post_is_not_resent_after_a_5xx_or_a_lost_answer(waits):
    responses.post(f"{API}/comment", status=503)
    with pytest.raises(HttpError):
        client().request("POST", "/comment", "posting a comment", json={"text": "hi"})
    assert len(responses.calls) == 1
    responses.replace(responses.POST, f"{API}/comment", body=requests.ReadTimeout("slow"))
    with pytest.raises(LostResponse):
        client().request("POST", "/comment", "posting a comment", json={"text": "hi"})
    assert len(responses.calls) == 2  # one more send, no resend


@responses.activate
def test_a_get_and_a_put_are_retried_after_5xx_and_timeouts(waits):
    responses.get(f"{API}/x", status=502)
    responses.get(f"{API}/x", body=requests.ReadTimeout("slow"))
    responses.get(f"{API}/x", json={"ok": True})
    assert client().request("GET", "/x", "reading") == {"ok": True}
    responses.put(f"{API}/y", status=500)
    responses.put(f"{API}/y", json={"ok": 1})
    assert client().request("PUT", "/y", "editing", json={}) == {"ok": 1}


@responses.activate
def test_a_429_on_a_post_waits_and_is_sent_again(waits):
    """A 429 means the server did nothing: safe to send again, but never at once."""
    responses.post(f"{API}/comment", status=429)  # no Retry-After, no reset
    responses.post(f"{API}/comment", json={"id": "1"})
    assert client().request("POST", "/comment", "posting")["id"] == "1"
    assert waits and waits[0] >= 1.0


@responses.activate
def test_a_429_waits_past_a_whole_second_reset(waits, caplog):
    http = client()
    now = 1_800_000_000.4
    http.policy.clock = http.pacer.clock = lambda: now + sum(waits)  # time moves as we sleep
    responses.get(f"{API}/x", status=429, headers={"X-RateLimit-Reset": "1800000042",
                                                    "X-RateLimit-Remaining": "0"})
    responses.get(f"{API}/x", json={})
    with caplog.at_level(logging.INFO, logger="pmsync.http"):
        http.request("GET", "/x", "reading")
    # The reset says second 42; it may turn as late as 43: wait until then, not 41.6 s.
    assert waits[0] == pytest.approx(42.6)
    assert [r.getMessage() for r in caplog.records] == ["waiting 43 s for Acme's rate limit"]


@responses.activate
def test_retry_after_wins_over_the_reset(waits):
    responses.get(f"{API}/x", status=429, headers={"Retry-After": "7",
                                                    "X-RateLimit-Reset": "1"})
    responses.get(f"{API}/x", json={})
    client().request("GET", "/x", "reading")
    assert waits == [7.0]


def test_the_pacer_waits_for_the_reset_when_the_budget_is_spent():
    http = client()
    slept: list[float] = []
    http.pacer.sleep, http.pacer.clock = slept.append, lambda: 100.0
    response = requests.Response()
    response.status_code = 200
    response.headers.update({"X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "130"})
    http.pacer.after_response(response)
    http.pacer.before_request()  # spends the last one
    assert slept == []
    http.pacer.before_request()
    assert slept == [31.0]  # reset 130 in whole seconds: safe from 131


def test_paginators_stop_on_the_servers_word_and_on_empty_pages():
    offsets = {0: {"values": [1, 2], "isLast": False}, 2: {"values": [3], "isLast": True}}
    assert list(paginate(offsets.__getitem__, OffsetPaginator(records_at("values")))) == [
        [1, 2], [3]]
    totals = {0: {"issues": [1, 2], "total": 3}, 2: {"issues": [3], "total": 3}}
    assert [len(p) for p in paginate(totals.__getitem__, OffsetPaginator(records_at("issues")))
            ] == [2, 1]
    numbers = {0: {"tasks": [1] * 100}, 1: {"tasks": [1] * 100, "last_page": True}}
    assert len(list(paginate(numbers.__getitem__, PageNumberPaginator(records_at("tasks"), 100)))
               ) == 2
    tokens = {None: {"issues": [1], "nextPageToken": "a", "isLast": False},
              "a": {"issues": [2], "isLast": True}}
    paginator = TokenPaginator(records_at("issues"), token=lambda b, _: b.get("nextPageToken"),
                               more=lambda b, _: not b.get("isLast", True))
    assert list(paginate(tokens.__getitem__, paginator)) == [[1], [2]]
    forever = list(paginate(lambda _: {"values": [], "isLast": False},
                            OffsetPaginator(records_at("values"))))
    assert forever == [[]]


SCHEMA = OptionSchema((
    Option("minutes", "int", 2, "minutes", min=0, max=1440),
    Option("ratio", "number", 1, "a ratio", min=0),
    Option("url", "url", None, "a URL"),
    Option("names", "list", REQUIRED, "names", nonempty=True),
    Option("mode", "str", "a", "a mode", choices=("a", "b")),
), owner="an option of the test")


def where(key: str) -> str:
    return f"t.toml: x.{key}"


def test_option_schema_fills_defaults_and_names_key_and_range():
    assert SCHEMA.parse({"names": ["n"]}, where) == {
        "minutes": 2, "ratio": 1, "url": None, "names": ["n"], "mode": "a"}
    bad = [({"names": ["n"], "minutes": -10}, "x.minutes must be a whole number from 0 to 1440"),
           ({"names": ["n"], "minutes": True}, "x.minutes must be a whole number"),
           ({"names": ["n"], "minutes": 1.5}, "x.minutes must be a whole number"),
           ({"names": ["n"], "ratio": float("nan")}, "x.ratio must be a number >= 0"),
           ({"names": ["n"], "url": "http://"}, "x.url must be an http(s) URL"),
           ({"names": ["n"], "url": "https://a b.example"}, "x.url must be an http(s) URL"),
           ({"names": []}, "x.names must be a non-empty list"),
           ({}, "x.names is missing"),
           ({"names": ["n"], "mode": "c"}, "x.mode must be one of a, b"),
           ({"names": ["n"], "other": 1}, "x.other is not an option of the test")]
    for table, message in bad:
        with pytest.raises(ConfigError) as caught:
            SCHEMA.parse(table, where)
        assert message in str(caught.value) and "\n" not in str(caught.value)


def test_option_schema_documents_itself():
    table = SCHEMA.markdown().splitlines()
    assert table[2] == "| `minutes` | a whole number from 0 to 1440 | `2` | minutes |"
    assert "| `names` | a non-empty list of text values | required | names |" in table


def test_a_post_to_a_refused_connection_is_unreachable_not_lost(waits):
    """Nothing was sent, so the POST may go again, and the caller is not told to re-read."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nobody listens there
    http = HttpClient(f"http://127.0.0.1:{port}", VENDOR, attempts=3, backoff=0)
    with pytest.raises(Unreachable) as caught:
        http.request("POST", "/comment", "posting a comment", json={})
    assert f"cannot reach Acme at http://127.0.0.1:{port} while posting a comment" in str(
        caught.value)
    assert len(waits) == 2  # tried three times


def test_overlapping_requests_share_one_budget():
    """Issue 14 overlaps page fetches: threads spend one budget, and wait for one reset."""
    import threading

    from pmsync.kit.retry import Pacer

    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer(VENDOR, clock=lambda: now[0], sleep=sleep)
    response = requests.Response()
    response.status_code = 200
    response.headers.update({"X-RateLimit-Remaining": "5", "X-RateLimit-Limit": "10",
                             "X-RateLimit-Reset": "130"})
    pacer.after_response(response)
    threads = [threading.Thread(target=pacer.before_request) for _ in range(15)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 5 go in this window; the other 10 wait once, until the reset (130, whole seconds: 131),
    # then spend the new window's 10 one by one.
    assert slept == [31.0] and pacer.remaining == 0



@responses.activate
def test_garbled_rate_limit_headers_never_stall_a_run(waits):
    responses.get(f"{API}/x", status=429, headers={"X-RateLimit-Reset": "inf",
                                                    "Retry-After": "nan"})
    responses.get(f"{API}/x", status=200, json={}, headers={
        "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(10**12 * 7)})
    responses.get(f"{API}/x", json={})
    http = client()
    slept: list[float] = []
    http.pacer.sleep = slept.append
    http.request("GET", "/x", "reading")
    http.request("GET", "/x", "reading")
    assert all(1.0 <= w <= 300 for w in waits) and all(0 < s <= 300 for s in slept)


def _fetch_threads_alive() -> bool:
    return any(t.name == "pmsync-fetch" and t.is_alive() for t in threading.enumerate())


def test_prefetched_fetches_the_next_page_while_the_caller_works():
    second_asked = threading.Event()

    def walk(name: str, count: int):
        for n in range(count):
            if n == 1:
                second_asked.set()
            yield [f"{name}{n}"]

    pages = prefetched([walk("a", 3)])
    assert next(pages) == ["a0"]
    # the caller has not asked for more, yet the next page is already on its way
    assert second_asked.wait(5)
    assert list(pages) == [["a1"], ["a2"]]

    got = [p[0] for p in prefetched([walk("a", 3), walk("b", 2)], at_once=2)]
    assert got == ["a0", "b0", "a1", "b1", "a2"]  # round-robin: the same order every run


def test_prefetched_raises_a_walks_error_in_the_caller_and_stops_the_others():
    def failing():
        yield [1]
        raise HttpError("page 2 refused", status=500)

    def endless():
        n = 0
        while True:
            n += 1
            yield [n]

    with pytest.raises(HttpError, match="page 2 refused"):
        for _ in prefetched([failing(), endless()], at_once=2):
            pass
    deadline = time.monotonic() + 5
    while _fetch_threads_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _fetch_threads_alive()
