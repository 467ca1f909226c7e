"""Atlassian's gate in the sandbox: auth, Jira Cloud's burst limit, the ErrorCollection.

Jira and Confluence routes (realm "atlassian") answer through it, faults on their
paths included.
"""

from __future__ import annotations

import base64
import math
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from pmsync.sandbox.faults import Fault
from pmsync.sandbox.server import HttpError, Realm, Request, Response
from pmsync.sandbox.site import Site


def jira_error(*messages: str, errors: dict[str, str] | None = None) -> dict[str, Any]:
    """Atlassian's ErrorCollection body."""
    return {"errorMessages": list(messages), "errors": errors or {}}




class AtlassianRealm(Realm):
    """Jira and Confluence, Cloud or Data Center, share one gate: the site's account."""

    def __init__(self, site: Site):
        super().__init__(site)
        self.site = site

    def authenticate(self, request: Request) -> None:
        """Cloud: Basic email:API-token. Data Center: Bearer personal access token, or Basic
        username:password as real Data Center accepts too."""
        header = request.headers.get("authorization", "")
        account = self.site.account
        refused = HttpError(
            401,
            jira_error("Client must be authenticated to access this resource."),
            {"WWW-Authenticate": 'Basic realm="protected-area"'},
        )
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, secret = base64.b64decode(credentials).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                raise refused from None
            # Cloud: email + API token. Data Center still accepts username + password.
            login = ((account.email, account.api_token) if self.site.is_cloud
                     else (account.name, account.password))
            if (user, secret) == login:
                return
        bearer = scheme.lower() == "bearer" and credentials == account.personal_access_token
        if bearer and not self.site.is_cloud:
            return
        raise refused

    def limit(self) -> tuple[Response | None, dict[str, str]]:
        """Jira Cloud's burst limit: X-RateLimit-* on every answer, 429 past the budget."""
        limit = self.site.rate_limit
        if limit is None:
            return None, {}
        with self.site.lock:
            now = time.monotonic()
            if now - limit.started >= limit.window:
                limit.started, limit.used = now, 0
            limit.used += 1
            remaining = limit.limit - limit.used
            if remaining < 0:
                self.site.throttled += 1
            reset_in = max(limit.window - (now - limit.started), 0.0)
        reset_at = datetime.now(UTC) + timedelta(seconds=reset_in)
        headers = {
            "X-RateLimit-Limit": str(limit.limit),
            "X-RateLimit-Remaining": str(max(remaining, 0)),
            "X-RateLimit-Reset": reset_at.strftime("%Y-%m-%dT%H:%MZ"),
        }
        if remaining >= 0:
            if remaining < limit.limit // 5:
                headers["X-RateLimit-NearLimit"] = "true"
            return None, headers
        # Retry-After is whole seconds (RFC 9110), rounded up so a retry lands after the
        # reset; a window shortened below a second (tests) answers in fractions instead.
        wait = str(max(math.ceil(reset_in), 1)) if limit.window >= 1 else f"{reset_in:.3f}"
        headers.update({"Retry-After": wait,
                        "RateLimit-Reason": "jira-burst-based"})
        return Response(429, jira_error("Rate limit exceeded."), headers), headers

    def error_body(self, path: str, status: int, message: str) -> Any:
        """Jira's ErrorCollection, or Confluence's own shapes on Confluence paths."""
        from pmsync.sandbox.confluence_api import confluence_error
        from pmsync.sandbox.confluence_v1 import v1_error

        if "/api/v2/" in path and path.startswith("/wiki/"):
            return confluence_error(status, message, "SERVICE_ERROR").response.body
        if "/rest/api/content" in path or path.startswith(("/wiki/rest/api/", "/rest/api/space")):
            return v1_error(status, message).response.body
        return jira_error(message)

    def throttle_headers(self, fault: Fault) -> dict[str, str]:
        if fault.reset_in is None:
            return {}
        reset_at = datetime.now(UTC) + timedelta(seconds=fault.reset_in)
        return {"X-RateLimit-Reset": reset_at.strftime("%Y-%m-%dT%H:%MZ"),
                "RateLimit-Reason": "jira-burst-based"}
