"""The errors every connector raises for HTTP trouble, carrying what a caller needs.

``HttpError`` keeps the status and the response, so a caller asks
``exc.status == 404`` instead of matching text. ``LostResponse`` is the one
case a caller must think about: a request that is not safe to resend (a POST)
went out and its answer never came, so it may or may not have been applied.
"""

from __future__ import annotations

from typing import Any

import requests

from pmsync.errors import AuthError, TrackerError


class HttpError(TrackerError):
    """The tracker answered with an error status (after any retries)."""

    def __init__(self, message: str, *, status: int, response: requests.Response | None = None,
                 method: str = "", url: str = ""):
        super().__init__(message)
        self.status = status
        self.response = response
        self.method = method
        self.url = url

    def body(self) -> Any:
        """The error body as JSON, or None when it was not JSON."""
        try:
            return self.response.json() if self.response is not None else None
        except ValueError:
            return None


class HttpAuthError(HttpError, AuthError):
    """401 / 403: the credentials were refused. Never retried."""


class LostResponse(TrackerError):
    """A request that is not safe to resend went out, and its answer was lost (timeout,
    reset connection, a gateway error): re-read the tracker before deciding to send it again."""

    def __init__(self, message: str, *, method: str, url: str, status: int | None = None):
        super().__init__(message)
        self.method = method
        self.url = url
        self.status = status


class Unreachable(TrackerError):
    """No answer at all (refused connection, DNS, timeouts on a safe request) after retries."""
