"""A ClickUp full sync spends each rate-limit window's budget quickly and starts on the next
window as soon as it has turned: lists are paged side by side (within the budget), and a
spent window's reset is placed by the request that opened it, not rounded up to the next
whole second (ClickUp gives the reset in whole seconds)."""

from __future__ import annotations

import re
from datetime import timedelta

import requests

from pmsync.cli import main
from pmsync.sandbox import Sandbox
from pmsync.sandbox.site import RateLimit
from pmsync_clickup.vendor import CLICKUP, WindowPacer


def test_lists_are_paged_side_by_side_within_the_budget(tmp_path, monkeypatch,
                                                         write_clickup_config):
    with Sandbox.start(seed=7, size=12, clickup_size=3000) as sandbox:
        path = write_clickup_config(sandbox, tmp_path, monkeypatch)
        # Whole-second resets; about 50 requests: the window turns at least once.
        sandbox.clickup.rate_limit = RateLimit(limit=40, window=1)
        assert main(["--config", str(path), "sync"]) == 0
        lists = [m.group(1) for _, p, _ in sandbox.requests
                 if (m := re.fullmatch(r"/api/v2/list/([^/]+)/task", p))]
        assert sandbox.clickup.throttled == 0
    long_lists = [lst for lst in set(lists) if lists.count(lst) >= 4]
    assert len(long_lists) >= 3
    # One list at a time, every list but the last would be done before the last starts.
    # Side by side, no list's fourth page is asked for before every list's first page has
    # been (pages are read one from each list in turn, and a list holds one page ready).
    for lst in long_lists:
        fourth_page = [n for n, name in enumerate(lists) if name == lst][3]
        assert all(lists.index(other) < fourth_page for other in set(lists)), lst


class Clock:
    def __init__(self, now: float):
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


def answer(remaining: int, reset: int, status: int = 200, took: float = 0.02):
    response = requests.Response()
    response.status_code = status
    response.elapsed = timedelta(seconds=took)
    response.headers.update({"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": str(remaining),
                             "X-RateLimit-Reset": str(reset)})
    return response


def test_a_spent_window_wakes_at_its_reset_as_the_opening_request_places_it():
    clock = Clock(1000.68)
    pacer = WindowPacer(CLICKUP, clock=clock, sleep=clock.sleep)

    def opened(sent: float, answered: float, reset: int) -> None:
        """Our request sent at ``sent`` opened a window (its answer: the limit less one)."""
        clock.now = answered
        pacer.after_response(answer(9, reset, took=round(answered - sent, 3)))

    def spent(reset: int) -> float:
        """The window's other nine requests, then one more, which waits: until when."""
        for left in range(8, -1, -1):
            pacer.before_request()
            pacer.after_response(answer(left, reset))
        pacer.before_request()
        return round(clock.now, 3)

    pacer.before_request()
    # Opened at 1000.68-1000.70: a 5 s window turns by 1005.70. The header says 1005,
    # which alone could mean any time up to 1006 (where the kit alone would wake).
    opened(1000.68, 1000.70, 1005)
    assert spent(1005) == 1005.75  # 1005.70 + the 0.05 s margin
    opened(1005.75, 1005.77, 1010)  # the request that waited opened the next window
    assert spent(1010) == 1010.82
    # A round trip across a whole second: which fraction is unknown, so the kit's margin.
    opened(1010.82, 1011.01, 1015)
    assert spent(1015) == 1016.0
    # A 429 says windows turn otherwise here: from then on, every wait keeps the margin.
    pacer.after_response(answer(0, 1016, status=429))
    pacer.before_request()
    assert round(clock.now, 3) == 1017.0
    opened(1017.0, 1017.02, 1022)
    assert spent(1022) == 1023.0



def test_answers_in_flight_across_a_window_turn_never_overspend_the_fresh_window():
    """Requests go out side by side, so answers from a spent window can come back after
    the wait for the next one: they must not hand the fresh window's budget out again."""
    clock = Clock(1000.0)
    pacer = WindowPacer(CLICKUP, clock=clock, sleep=clock.sleep)
    pacer.after_response(answer(1, 1005))
    pacer.before_request()  # A: the window's last request, its answer still on the way
    pacer.before_request()  # B: waits for the window to turn, then opens the next one
    assert clock.slept == [6.0]
    for _ in range(3):  # C, D, E
        pacer.before_request()
    pacer.after_response(answer(0, 1005))  # A's answer, from the window waited out
    pacer.after_response(answer(9, 1011))  # B's: the server has seen only B so far
    sent = 4
    while len(clock.slept) == 1:
        pacer.before_request()
        sent += 1
    assert sent - 1 == 10  # the fresh window's ten requests, then a wait
