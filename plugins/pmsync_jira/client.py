"""One HTTP path to a Jira site (and its Confluence): the kit's client, set up for
Cloud or Data Center.

Cloud: REST v3, Basic email + API token. Data Center / Server: REST v2, Bearer
personal access token. Which one is read from serverInfo (anonymous on both)
unless the config says.

Why our own session and not the ``jira`` library: every call here is a plain
JSON request we already shaped ourselves (the library was reduced to a session
holder, boards, sprints and ``myself``), and what matters now is control: the
library's session retries any method on 429/5xx, a POST included, while
alerts must never be sent twice; and the page fetches that issue 14 overlaps
need one thread-safe session, paced once, under one retry policy. The kit's
client gives that for Jira and ClickUp alike.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

from pmsync.config import TrackerConfig
from pmsync.kit.http import HttpClient
from pmsync.kit.retry import Vendor
from pmsync.logs import register_secret

log = logging.getLogger("pmsync.jira")
CLOUD, DATA_CENTER = "cloud", "datacenter"


def atlassian_detail(body: Any) -> str:
    """Jira's errorMessages / errors, and Confluence v2's errors list, as one line."""
    if not isinstance(body, dict):
        return ""
    messages = [str(m) for m in body.get("errorMessages") or ()]
    errors = body.get("errors")
    if isinstance(errors, dict):
        messages += [f"{k}: {v}" for k, v in errors.items()]
    elif isinstance(errors, list):  # Confluence v2
        messages += [str(e.get("title", "")) for e in errors if isinstance(e, dict)]
    if not messages and body.get("message"):  # Confluence v1
        messages.append(str(body["message"]))
    return "; ".join(m for m in messages if m)


# Atlassian sends Retry-After with every 429; X-RateLimit-Reset is an ISO time.
JIRA = Vendor("Jira", reset_is_epoch=False, error_detail=atlassian_detail,
              auth_advice="check the account email and the token in")


class JiraSite:
    def __init__(self, tracker: TrackerConfig):
        opts = tracker.options
        self.url = tracker.url
        token = tracker.secret("token_env")
        if opts.get("email"):
            basic = base64.b64encode(f"{opts['email']}:{token}".encode()).decode()
            register_secret(basic)  # the header value is as secret as the token
            authorization = f"Basic {basic}"
        else:
            authorization = f"Bearer {token}"
        self.http = HttpClient.for_tracker(tracker, tracker.url, JIRA,
                                           {"Authorization": authorization})
        self.deployment = None if opts["deployment"] == "auto" else opts["deployment"]

    def detect_deployment(self) -> str:
        """serverInfo's deploymentType: "Cloud" on Cloud, anything else is Data Center."""
        if self.deployment is None:
            info = self.http.request("GET", "/rest/api/2/serverInfo", "reading serverInfo",
                                     anonymous=True)
            if not isinstance(info, dict):
                info = {}
            self.deployment = CLOUD if info.get("deploymentType") == "Cloud" else DATA_CENTER
            log.info("jira at %s is %s (%s)", self.url, self.deployment, info.get("version"))
        return self.deployment

    @property
    def is_cloud(self) -> bool:
        return self.detect_deployment() == CLOUD

    @property
    def api(self) -> str:
        return "3" if self.is_cloud else "2"

    def call(self, method: str, path: str, what: str, *, params: Any = None, body: Any = None,
             idempotent: bool | None = None) -> Any:
        return self.http.request(method, path, what, params=params, json=body,
                                 idempotent=idempotent)

    def myself(self) -> dict[str, Any]:
        return self.call("GET", f"/rest/api/{self.api}/myself", "checking the credentials") or {}

    def fields(self) -> list[dict[str, Any]]:
        return self.call("GET", f"/rest/api/{self.api}/field", "reading the field list") or []

    def upload(self, path: str, what: str, name: str, data: bytes, media_type: str,
               comment: str = "Drawn by pmsync") -> Any:
        """A multipart file upload (Confluence attachments), with the XSRF header Confluence
        asks for; a PUT that replaces the file of that name, so safe to resend."""
        return self.http.request(
            "PUT", path, what, files={"file": (name, data, media_type)},
            form={"minorEdit": "true", "comment": comment},
            headers={"X-Atlassian-Token": "no-check"})
