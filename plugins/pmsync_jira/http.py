"""One retry policy and one error vocabulary for every call to a Jira site.

429 and 503 wait what the server asks (Retry-After), other 5xx and network
errors back off exponentially with jitter; 401/403 are never retried. After
the last attempt the failure becomes a one-line TrackerError / AuthError.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
from jira.exceptions import JIRAError
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from pmsync.errors import AuthError, TrackerError

T = TypeVar("T")
RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_RETRY_AFTER = 120.0


def _status(exc: BaseException) -> int | None:
    if isinstance(exc, JIRAError):
        return exc.status_code
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return exc.response.status_code
    return None


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return True
    return _status(exc) in RETRY_STATUSES


def _retry_after(exc: BaseException | None) -> float | None:
    """Seconds the server asked us to wait: Retry-After, else Atlassian's X-RateLimit-Reset."""
    response = getattr(exc, "response", None)
    if response is None:
        return None
    value = response.headers.get("Retry-After")
    if value is not None:
        try:
            return min(max(float(value), 0.0), MAX_RETRY_AFTER)
        except ValueError:
            pass
    reset = response.headers.get("X-RateLimit-Reset")
    if reset and _status(exc) == 429:
        try:
            at = datetime.fromisoformat(reset.replace("Z", "+00:00"))
        except ValueError:
            return None
        return min(max((at - datetime.now(UTC)).total_seconds(), 0.0), MAX_RETRY_AFTER)
    return None


class RetryPolicy:
    """tenacity, configured once per connector; ``backoff`` scales waits (tests use 0)."""

    def __init__(self, attempts: int = 5, backoff: float = 1.0):
        self.attempts = attempts
        self.backoff = backoff
        self._exponential = wait_exponential(multiplier=0.5, max=30) + wait_random(0, 0.5)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = _retry_after(exc)
        if asked is not None:  # the server's word; ``backoff`` only scales our own guesses
            return asked
        return self._exponential(state) * self.backoff

    def call(self, fn: Callable[[], T]) -> T:
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            retry=retry_if_exception(_retryable),
            reraise=True,
        )
        return retrying(fn)


def describe_failure(exc: BaseException, site: str, what: str, secret_hint: str) -> Exception:
    """Turn a low-level failure into the one-line error a person can act on."""
    status = _status(exc)
    if status in (401, 403):
        return AuthError(
            f"{site} refused the credentials while {what} (HTTP {status}): check the account "
            f"email and the token in {secret_hint}"
        )
    if status is not None:
        return TrackerError(f"{site} answered HTTP {status} while {what}: {_server_message(exc)}")
    if isinstance(exc, requests.RequestException):
        return TrackerError(f"cannot reach {site} while {what}: {type(exc).__name__}")
    return exc if isinstance(exc, Exception) else TrackerError(str(exc))


def _server_message(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    try:
        body: Any = response.json() if response is not None else {}
    except ValueError:
        return "the response was not JSON"
    if isinstance(body, dict):
        messages = list(body.get("errorMessages") or [])
        messages += [f"{k}: {v}" for k, v in (body.get("errors") or {}).items()] if isinstance(
            body.get("errors"), dict) else []
        if isinstance(body.get("errors"), list):  # Confluence v2
            messages += [e.get("title", "") for e in body["errors"] if isinstance(e, dict)]
        if messages:
            return "; ".join(str(m) for m in messages)
    return "no error message"
