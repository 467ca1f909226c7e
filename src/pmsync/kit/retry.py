"""One retry and pacing policy for every tracker, parametrised per vendor.

What differs between vendors is data (``Vendor``): which statuses are worth
another try, how the server says when to come back (Retry-After in seconds,
X-RateLimit-Reset as epoch seconds or as an ISO time), whether we pace on the
remaining budget before running into a 429, and how its error bodies read.
What does not differ is here once:

- a 429 always waits: Retry-After, else the reset plus a margin (resets come
  in whole seconds, so "the reset" may be up to a second before the window
  really turns), else an exponential backoff of at least a second; never at once;
- a request that is not safe to resend (POST) is retried only when the server
  certainly did not act on it (a 429, a refused connection); otherwise the
  caller gets ``LostResponse`` and re-reads before deciding;
- a wait of more than a few seconds is logged once, as what it is.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from tenacity import RetryCallState, wait_exponential, wait_random

from pmsync import progress
from pmsync.kit.errors import HttpAuthError, HttpError

log = logging.getLogger("pmsync.http")

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
MAX_WAIT = 300.0  # no server's word keeps a cron run asleep longer than this per wait
LOG_WAITS_FROM = 3.0  # seconds: shorter waits are routine, longer ones are worth a line
FRESH_WINDOW_WAIT = 10.0  # seconds for a fresh window's first answer before sending anyway


def _no_detail(body: Any) -> str:
    return ""


@dataclass(frozen=True)
class Vendor:
    """How one vendor's API signals errors and limits."""

    name: str  # as people say it: "Jira", "ClickUp"
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})
    safe_methods: frozenset[str] = IDEMPOTENT
    reset_header: str | None = "X-RateLimit-Reset"
    reset_is_epoch: bool = True  # epoch seconds (ClickUp); else an ISO time (Atlassian)
    remaining_header: str | None = None  # set to pace on the budget before a 429 happens
    limit_header: str | None = "X-RateLimit-Limit"  # the window's whole budget
    error_detail: Callable[[Any], str] = _no_detail  # a JSON error body → one line
    auth_advice: str = "check the token in"

    def resume_at(self, response: requests.Response) -> float | None:
        """The epoch second it is safe to send again: the window's reset, plus one unit of
        the precision it is given in (a reset in whole seconds may turn up to a second
        later than it says; one to the minute, up to a minute later)."""
        value = (response.headers.get(self.reset_header) or "").strip() if self.reset_header else ""
        if not value:
            return None
        try:
            if self.reset_is_epoch:
                moment = float(value)
                if not math.isfinite(moment):
                    return None
                scale = 1000.0 if moment > 1e11 else 1.0  # some send milliseconds
                digits = len(value.partition(".")[2])
                return (moment + 10.0 ** -digits) / scale  # one unit of the last digit
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        clock = value.partition("T")[2].split("+")[0].split("-")[0].rstrip("Z")
        unit = 60.0 if clock.count(":") < 2 else 1.0 if "." not in clock else 0.01
        return moment.timestamp() + unit


def retry_after(response: requests.Response, now: float) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date (RFC 9110)."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    try:
        return max(parsedate_to_datetime(value).timestamp() - now, 0.0)
    except (TypeError, ValueError, IndexError):
        return None


class Pacer:
    """The token's remaining budget, shared by every request of one connector (and thread).

    Each request spends one unit before it goes out, so overlapping requests
    cannot all take the last one; an empty budget waits for the reset plus the
    precision margin (``Vendor.resume_at``).
    """

    def __init__(self, vendor: Vendor, per_minute: int | None = None, clock=time.time,
                 sleep=time.sleep):
        # reset_at: when the window's budget is back (the vendor's resume_at)
        self.vendor = vendor
        self.per_minute = per_minute  # our own budget while the server sends no headers
        self.clock, self.sleep = clock, sleep
        self.remaining: int | None = None
        self.limit: int | None = None
        self.reset_at: float | None = None
        self._sent: deque[float] = deque()
        # The last window waited out: answers from it still in flight (sent before the
        # wait, read after) must not spend the fresh window's budget back to nothing.
        self._waited_out: float | None = None
        self._lock = threading.Condition()  # notified by every answer (see before_request)

    def before_request(self) -> None:
        with self._lock:
            # A fresh window's whole budget went out before any of its answers came back:
            # its reset is not known yet, so wait for an answer (bounded: a request that
            # fails brings none) rather than take the window for yet another fresh one.
            deadline = time.monotonic() + FRESH_WINDOW_WAIT
            while (self.remaining is not None and self.remaining <= 0 and self.reset_at is None
                   and self._waited_out is not None and time.monotonic() < deadline):
                self._lock.wait(deadline - time.monotonic())
            if self.remaining is not None and self.remaining <= 0 and self.reset_at is not None:
                self._sleep_until(self.wake_at(self.reset_at))
                # A fresh window: its whole budget, less this request (overlapping requests
                # queue here and spend it one by one); unknown when the server never said.
                # Its reset comes with its first answer, which must not undo what was
                # sent meanwhile (see after_response).
                self._waited_out, self.reset_at = self.reset_at, None
                self.remaining = None if self.limit is None else self.limit - 1
            elif self.remaining is not None:
                self.remaining -= 1
            elif self.per_minute and self.reset_at is None:
                self._own_budget(self.per_minute)

    def wake_at(self, reset_at: float) -> float:
        """When a spent window's budget is surely back: its reset plus the precision margin
        (a vendor's pacer that knows the window better may say sooner). Under the lock."""
        return reset_at

    def _own_budget(self, per_minute: int) -> None:
        """No headers seen: keep to ``per_minute`` requests in any 60 s ourselves."""
        now = self.clock()
        while self._sent and self._sent[0] <= now - 60:
            self._sent.popleft()
        if len(self._sent) >= per_minute:
            self._sleep_until(self._sent[0] + 60)
        self._sent.append(self.clock())

    def _sleep_until(self, moment: float) -> None:
        delay = min(moment - self.clock(), MAX_WAIT)  # a garbled reset cannot stall a run
        if delay > 0:
            announce(delay, self.vendor)
            self.sleep(delay)

    def after_response(self, response: requests.Response) -> None:
        header = self.vendor.remaining_header
        if not header or header not in response.headers:
            return
        reset = self.vendor.resume_at(response)
        with self._lock:
            self._lock.notify_all()  # a request waiting for a fresh window's first answer
            try:
                remaining = int(response.headers[header])
            except ValueError:
                return
            if (response.status_code != 429 and reset is not None
                    and self._waited_out is not None and reset <= self._waited_out):
                return  # an answer from the window waited out (a 429 counts: we woke early)
            if response.status_code == 429:
                remaining = 0
            limit = response.headers.get(self.vendor.limit_header or "", "")
            self.limit = int(limit) if limit.isdigit() else self.limit
            # Overlapping answers arrive out of order: keep the smaller budget of a window
            # (reset_at None: the window just waited for, whose sends are counted already).
            if self.remaining is not None and self.reset_at in (reset, None):
                remaining = min(remaining, self.remaining)
            self.remaining, self.reset_at = remaining, reset


def announce(seconds: float, vendor: Vendor) -> None:
    if seconds >= LOG_WAITS_FROM:
        log.info("waiting %.0f s for %s's rate limit", seconds, vendor.name)
        progress.current().waiting(seconds, vendor.name)


@dataclass
class RetryPolicy:
    """tenacity's stop / retry / wait for one connector. ``backoff`` scales only our own
    exponential guesses (tests set 0); a server's word and the 1 s floor after a 429 stand."""

    vendor: Vendor
    attempts: int = 5
    backoff: float = 1.0
    clock: Callable[[], float] = time.time
    _exponential: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._exponential = wait_exponential(multiplier=0.5, max=30) + wait_random(0, 0.5)

    def is_safe(self, method: str, idempotent: bool | None) -> bool:
        """Whether sending the request twice does no more than sending it once."""
        return method.upper() in self.vendor.safe_methods if idempotent is None else idempotent

    def should_retry(self, exc: BaseException, method: str, idempotent: bool | None) -> bool:
        safe = self.is_safe(method, idempotent)
        if isinstance(exc, HttpAuthError):
            return False
        if isinstance(exc, HttpError):
            # A 429 was refused before any work was done: safe to send again, whatever it is.
            return exc.status == 429 or (safe and exc.status in self.vendor.retry_statuses)
        if never_sent(exc):
            return True
        # A body cut off mid-transfer (ChunkedEncodingError) is a network failure too.
        if isinstance(exc, requests.ConnectionError | requests.Timeout
                      | requests.exceptions.ChunkedEncodingError):
            return safe
        return isinstance(exc, ValueError) and safe  # a cut-off JSON body: read it again

    def wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        guess = self._exponential(state) * self.backoff
        response = getattr(exc, "response", None)
        if not isinstance(exc, HttpError) or response is None:
            return guess
        now = self.clock()
        asked = retry_after(response, now)
        if asked is None and exc.status == 429:
            resume = self.vendor.resume_at(response)
            if resume is not None and resume > now:
                asked = resume - now
        if asked is None:
            asked = guess
        if exc.status != 429:
            return min(asked, MAX_WAIT)
        asked = min(max(asked, 1.0), MAX_WAIT)  # a 429 never retries at once
        announce(asked, self.vendor)
        return asked


def never_sent(exc: BaseException) -> bool:
    """A connection that was never made (timed out connecting, refused, DNS): the request
    did not reach the server, so even a POST may go again."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError):
        return False
    text = repr(exc.args[0] if exc.args else exc)
    return "NewConnectionError" in text or "NameResolutionError" in text
