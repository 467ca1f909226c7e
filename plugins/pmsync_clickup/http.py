"""One session, one pacing policy and one error vocabulary for the ClickUp API.

ClickUp allows a number of requests per minute per token and says how many
are left on every answer (X-RateLimit-Remaining, X-RateLimit-Reset in Unix
seconds). We pace on that: when the budget is spent we sleep until the reset
instead of running into a 429; should a 429 still come, we wait for the reset.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import requests
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential, wait_random

from pmsync.errors import AuthError, TrackerError

log = logging.getLogger("pmsync.clickup")
RETRY_STATUSES = {429, 500, 502, 503, 504}


class ClickUpHttpError(Exception):
    def __init__(self, response: requests.Response):
        super().__init__(response.status_code)
        self.response = response


class Pacer:
    """Knows the token's remaining budget from the last answer; waits out an empty one."""

    def __init__(self, per_minute: int, clock=time.time, sleep=time.sleep):
        self.per_minute = per_minute
        self.remaining: int | None = None
        self.reset_at: float | None = None
        self.clock, self.sleep = clock, sleep

    def before_request(self) -> None:
        if self.remaining is not None and self.remaining <= 0 and self.reset_at is not None:
            self._wait_until(self.reset_at)
            self.remaining = None

    def after_response(self, response: requests.Response) -> None:
        headers = response.headers
        try:
            self.remaining = int(headers["X-RateLimit-Remaining"])
            self.reset_at = float(headers["X-RateLimit-Reset"])
        except (KeyError, ValueError):
            pass

    def wait_for_reset(self) -> None:
        self._wait_until(self.reset_at or self.clock() + 60.0 / max(self.per_minute, 1))

    def _wait_until(self, moment: float) -> None:
        delay = moment - self.clock()
        if delay > 0:
            log.info("clickup: rate limit reached, waiting %.1f s for the reset", delay)
            self.sleep(delay + 0.01)


class ClickUpHttp:
    def __init__(self, base: str, token: str, secret_hint: str, *, per_minute: int = 100,
                 attempts: int = 5, backoff: float = 1.0, timeout: int = 30):
        self.base = base.rstrip("/")
        self.secret_hint = secret_hint
        self.session = requests.Session()
        self.session.headers.update({"Authorization": token, "Content-Type": "application/json"})
        self.pacer = Pacer(per_minute)
        self.attempts, self.backoff, self.timeout = attempts, backoff, timeout

    def _send(self, method: str, path: str, params, body) -> Any:
        self.pacer.before_request()
        response = self.session.request(method, f"{self.base}{path}", params=params, json=body,
                                        timeout=self.timeout)
        self.pacer.after_response(response)
        if response.status_code == 429:
            self.pacer.wait_for_reset()
        if response.status_code >= 400:
            raise ClickUpHttpError(response)
        return response.json() if response.content else None

    def call(self, method: str, path: str, what: str, *, params=None, body=None) -> Any:
        exponential = wait_exponential(multiplier=0.5, max=30) + wait_random(0, 0.5)
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            # A 429 already waited for the reset inside _send; others back off.
            wait=lambda state: 0 if _status(state.outcome.exception()) == 429
            else exponential(state) * self.backoff,
            retry=retry_if_exception(_retryable),
            reraise=True,
        )
        try:
            return retrying(self._send, method, path, params, body)
        except ClickUpHttpError as exc:
            raise self._describe(exc, what) from None
        except requests.RequestException as exc:
            raise TrackerError(f"cannot reach ClickUp at {self.base} while {what}: "
                               f"{type(exc).__name__}") from None
        except ValueError:
            raise TrackerError(f"ClickUp at {self.base} answered something that is not JSON "
                               f"while {what}") from None

    def _describe(self, exc: ClickUpHttpError, what: str) -> TrackerError:
        status = exc.response.status_code
        try:
            body = exc.response.json()
        except ValueError:
            body = {}
        detail = (f"{body.get('err') or body.get('message') or 'no error message'}"
                  f"{' (' + body['ECODE'] + ')' if body.get('ECODE') else ''}")
        if status in (401, 403):
            return AuthError(f"ClickUp refused the token while {what} (HTTP {status}: {detail}): "
                             f"check the token in {self.secret_hint}")
        return TrackerError(f"ClickUp answered HTTP {status} while {what}: {detail}")


def _status(exc: BaseException | None) -> int | None:
    return exc.response.status_code if isinstance(exc, ClickUpHttpError) else None


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return True
    return _status(exc) in RETRY_STATUSES
