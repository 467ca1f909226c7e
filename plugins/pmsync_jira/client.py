"""Access to one Jira site: the `jira` library, set up for Cloud or Data Center.

Cloud: REST v3, Basic email + API token. Data Center / Server: REST v2,
Bearer personal access token. Which one is read from serverInfo (anonymous on
both) unless the config says; every call goes through one RetryPolicy and
every failure becomes a one-line TrackerError / AuthError.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from jira import JIRA
from jira.exceptions import JIRAError
from jira.resources import Board, Resource, Sprint

from pmsync.errors import TrackerError
from pmsync_jira.http import RetryPolicy, describe_failure
from pmsync_jira.options import CLOUD, DATA_CENTER

log = logging.getLogger("pmsync.jira")
T = TypeVar("T")


class JiraSite:
    def __init__(self, url: str, *, email: str | None, token: str, secret_hint: str,
                 retry: RetryPolicy, timeout: int, deployment: str | None = None):
        self.url = url
        self.email = email
        self._token = token
        self.secret_hint = secret_hint
        self.retry = retry
        self.timeout = timeout
        self.deployment = deployment  # None until known
        self._jira: JIRA | None = None

    # setup ------------------------------------------------------------------------
    def detect_deployment(self) -> str:
        """serverInfo's deploymentType: "Cloud" on Cloud, anything else is Data Center."""
        if self.deployment is None:
            def ask() -> requests.Response:
                response = requests.get(f"{self.url}/rest/api/2/serverInfo", timeout=self.timeout)
                response.raise_for_status()
                return response

            info = self.guard("reading serverInfo", lambda: ask().json())
            self.deployment = CLOUD if info.get("deploymentType") == "Cloud" else DATA_CENTER
            log.info("jira at %s is %s (%s)", self.url, self.deployment, info.get("version"))
        return self.deployment

    @property
    def is_cloud(self) -> bool:
        return self.detect_deployment() == CLOUD

    @property
    def api(self) -> str:
        return "3" if self.is_cloud else "2"

    @property
    def jira(self) -> JIRA:
        if self._jira is None:
            cloud = self.is_cloud
            auth: dict[str, Any] = (
                {"basic_auth": (self.email or "", self._token)} if cloud or self.email
                else {"token_auth": self._token}
            )
            self._jira = self.guard("connecting", lambda: JIRA(
                self.url,
                options={
                    "rest_api_version": self.api,
                    # Agile lists page by 50; say so, or the library warns on every page.
                    "default_batch_size": {Resource: 100, Board: 50, Sprint: 50},
                },
                get_server_info=False,  # we asked already (detect_deployment)
                max_retries=0,  # retries are ours (RetryPolicy), not the library's
                timeout=self.timeout,
                **auth,
            ))
            self._jira.deploymentType = "Cloud" if cloud else "Server"  # as serverInfo said
        return self._jira

    # calls ------------------------------------------------------------------------
    def guard(self, what: str, fn: Callable[[], T], allow_conflict: bool = False) -> T:
        """``fn`` under the retry policy, failures as one-line errors. With
        ``allow_conflict`` a 409 comes back as the JIRAError, for the caller to handle."""
        try:
            return self.retry.call(fn)
        except (KeyError, ValueError, TypeError) as exc:  # first: a bad JSON body is an OSError too
            raise TrackerError(
                f"Jira at {self.url} answered in an unexpected shape while {what} "
                f"({type(exc).__name__}: {exc}); is the url a Jira site?"
            ) from None
        except (JIRAError, OSError) as exc:
            if allow_conflict and isinstance(exc, JIRAError) and exc.status_code == 409:
                raise
            raise describe_failure(exc, f"Jira at {self.url}", what, self.secret_hint) from None

    def call(self, method: str, path: str, what: str, *, params=None, body=None,
             allow_conflict: bool = False) -> Any:
        """A raw call through the library's session (same auth, headers, timeouts)."""
        session = self.jira._session
        url = path if path.startswith("http") else f"{self.url}{path}"

        def send() -> Any:
            kwargs: dict[str, Any] = {"params": params}
            if body is not None:
                kwargs["data"] = json.dumps(body)
            response = session.request(method, url, **kwargs)
            return response.json() if response.content else None

        return self.guard(what, send, allow_conflict)

    def upload(self, path: str, what: str, name: str, data: bytes, media_type: str) -> Any:
        """A multipart file upload (Confluence attachments): the XSRF header Confluence
        asks for, and no JSON content type from the session."""
        session = self.jira._session
        url = path if path.startswith("http") else f"{self.url}{path}"

        def send() -> Any:
            # The library's session turns form data into JSON: the plain requests method,
            # with the session's auth and headers, sends the multipart body as it is.
            response = requests.Session.request(
                session, "PUT", url, files={"file": (name, data, media_type)},
                data={"minorEdit": "true", "comment": "Drawn by pmsync"},
                headers={"X-Atlassian-Token": "no-check", "Content-Type": None},
                timeout=self.timeout)
            response.raise_for_status()
            return response.json() if response.content else None

        return self.guard(what, send)
