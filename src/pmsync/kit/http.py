"""One HTTP path for a tracker: a requests session, the vendor's retry policy and pacer.

Every call names what it is doing (``what``), so every failure is one line a
person can act on: "Jira at https://x answered HTTP 404 while reading a page: …".
The session is shared by every request of a connector, threads included.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
import requests
from tenacity import Retrying, retry_if_exception, stop_after_attempt

from pmsync.errors import TrackerError
from pmsync.kit.errors import HttpAuthError, HttpError, LostResponse, Unreachable
from pmsync.kit.options import REQUIRED, Option
from pmsync.kit.retry import Pacer, RetryPolicy, Vendor, never_sent

log = logging.getLogger("pmsync.http")

HTTP_OPTIONS = (
    Option("token_env", "str", REQUIRED, "the name of the environment variable holding the token",
           example="PMSYNC_TOKEN", nonempty=True),
    Option("timeout", "number", 30, "seconds to wait for each HTTP answer", min=1, max=600),
    Option("retry_attempts", "int", 5, "tries per request on 429, 5xx and network errors",
           min=1, max=100),
    Option("retry_backoff", "number", 1, "scales the exponential waits between tries "
           "(0: none; a 429 still waits for the server)", min=0, max=60),
)


def json_body(response: requests.Response) -> Any:
    """The answer's JSON. orjson first: a full Jira sync decodes ~45 MB per 10,000 issues,
    the largest single CPU cost of the sync before issue 14 (orjson reads it 2-3x faster,
    into the same dicts and lists). What orjson refuses (a body that is not UTF-8, NaN,
    an integer beyond 64 bits) goes through requests' own decoder, as before: same
    answer, same ValueError when it really is not JSON."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return response.json()


class HttpClient:
    def __init__(self, base_url: str, vendor: Vendor, *, headers: dict[str, str] | None = None,
                 timeout: float = 30, attempts: int = 5, backoff: float = 1.0,
                 secret_hint: str = "the token's environment variable", site: str | None = None,
                 per_minute: int | None = None):
        self.base_url = base_url.rstrip("/")
        self.vendor = vendor
        self.site = site or f"{vendor.name} at {self.base_url}"
        self.secret_hint = secret_hint
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update({"Accept": "application/json", **(headers or {})})
        self.policy = RetryPolicy(vendor, attempts=attempts, backoff=backoff)
        self.pacer = Pacer(vendor, per_minute)

    @classmethod
    def for_tracker(cls, tracker: Any, base_url: str, vendor: Vendor,
                    headers: dict[str, str]) -> HttpClient:
        """A client set up from a tracker table's HTTP_OPTIONS."""
        opts = tracker.options
        return cls(base_url, vendor, headers=headers, timeout=opts["timeout"],
                   attempts=opts["retry_attempts"], backoff=opts["retry_backoff"],
                   secret_hint=f"${opts['token_env']}", site=f"{vendor.name} at {tracker.url}",
                   per_minute=opts.get("requests_per_minute"))

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"

    def request(self, method: str, path: str, what: str, *, params: Any = None,
                json: Any = None, idempotent: bool | None = None, anonymous: bool = False,
                files: Any = None, form: Any = None, headers: dict[str, Any] | None = None) -> Any:
        """The answer's JSON (None when empty). ``idempotent`` overrides the method's
        default (a search sent as POST is safe to resend; nothing else is). ``files`` and
        ``form`` send a multipart body instead of JSON."""
        method, url = method.upper(), self.url(path)
        retrying = Retrying(
            stop=stop_after_attempt(max(self.policy.attempts, 1)),
            wait=self.policy.wait,
            retry=retry_if_exception(lambda exc: self.policy.should_retry(exc, method, idempotent)),
            reraise=True,
        )
        try:
            extra = {"files": files, "data": form, "headers": dict(headers or {})}
            if json is not None:
                extra["json"] = json
            if anonymous:
                extra["headers"]["Authorization"] = None  # requests drops a header set to None
            return retrying(self._send, method, url, what, params, extra)
        except TrackerError:
            raise
        except ValueError:
            if not self.policy.is_safe(method, idempotent):
                # A write answered, but cut off or garbled: it happened, and we lack its id.
                raise LostResponse(f"the answer from {self.site} was not valid JSON while "
                                   f"{what}; it may have been applied",
                                   method=method, url=url) from None
            raise TrackerError(f"{self.site} answered with a body that is not valid JSON while "
                               f"{what}; if it persists, check that the url is the tracker's "
                               "address") from None
        except requests.RequestException as exc:
            if not self.policy.is_safe(method, idempotent) and not never_sent(exc):
                raise LostResponse(f"the answer from {self.site} was lost while {what} "
                                   f"({type(exc).__name__}); it may have been applied",
                                   method=method, url=url) from None
            raise Unreachable(f"cannot reach {self.site} while {what}: "
                              f"{type(exc).__name__}") from None

    def _send(self, method: str, url: str, what: str, params: Any, extra: dict[str, Any]) -> Any:
        self.pacer.before_request()
        response = self.session.request(method, url, params=params, timeout=self.timeout, **extra)
        self.pacer.after_response(response)
        if response.status_code >= 400:
            raise self._error(response, method, url, what)
        return json_body(response) if response.content else None

    def _error(self, response: requests.Response, method: str, url: str, what: str) -> HttpError:
        status = response.status_code
        try:
            detail = self.vendor.error_detail(response.json()) or "no error message"
        except ValueError:
            detail = "the response was not JSON"
        if status in (401, 403):
            return HttpAuthError(
                f"{self.site} refused the credentials while {what} (HTTP {status}: {detail}): "
                f"{self.vendor.auth_advice} {self.secret_hint}",
                status=status, response=response, method=method, url=url)
        return HttpError(f"{self.site} answered HTTP {status} while {what}: {detail}",
                         status=status, response=response, method=method, url=url)
