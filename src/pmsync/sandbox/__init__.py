"""A loopback simulation of the trackers pmsync talks to, for the demo and tests.

    with Sandbox.start(seed=7, size=60, faults=["POST:/rest/api/3/issue/*/comment:lost=4"]) as sb:
        sb.url, sb.writes, sb.inject("GET:/api/v2/list/*/task:status=429"), sb.fault_counts()

``sb.site`` is the Atlassian site (Jira + Confluence), ``sb.clickup`` the ClickUp
workspace (None when started with ``clickup_size=0``); the server under them knows
neither and keeps the request log, the writes and the faults for both.
"""

from __future__ import annotations

import gc
import html
import random
from datetime import date
from pathlib import Path
from typing import Any

from pmsync.sandbox import (
    clickup_api,
    clickup_team,
    confluence_api,
    confluence_attachments,
    confluence_v1,
    jira_api,
    permissions_api,
)
from pmsync.sandbox.atlassian import AtlassianRealm
from pmsync.sandbox.clickup_seed import seed_clickup
from pmsync.sandbox.clickup_site import ClickUpWorkspace
from pmsync.sandbox.faults import Fault, FaultSpecError, parse_fault
from pmsync.sandbox.seed import seed_site
from pmsync.sandbox.server import HttpError, RateLimit, Realm, Request, Response, SandboxServer, route
from pmsync.sandbox.site import Site
from pmsync.sandbox.tls import make_certificate, serve_tls

__all__ = ["Fault", "FaultSpecError", "Sandbox", "parse_fault", "parse_rate"]


# Control routes answer for the whole sandbox: ``req.site`` is the Sandbox itself.
def _writes(req: Request) -> Response:
    with req.server.lock:
        return Response(body=list(req.server.writes))


def _index(req: Request) -> Response:
    site = req.site.site
    rows = "".join(
        f"<li><a href='/wiki/spaces/{site.spaces[p['spaceId']]['key']}/pages/{p['id']}/x'>"
        f"{html.escape(p['title'])}</a> (version {p['version']['number']})</li>"
        for p in site.pages.values()
    )
    body = (
        "<!doctype html><meta charset='utf-8'><title>pmsync sandbox</title>"
        f"<h1>pmsync sandbox</h1><p>{len(site.issues)} Jira issues, "
        f"{sum(len(c) for c in site.comments.values())} comments.</p>"
        f"<h2>Confluence pages</h2><ul>{rows or '<li>none yet</li>'}</ul>"
    )
    return Response(body=body, content_type="text/html; charset=utf-8")


def _requests(req: Request) -> Response:
    with req.server.lock:
        return Response(body=[[m, p] for m, p, _ in req.server.requests])


def _stats(req: Request) -> Response:
    site = req.site.site
    return Response(body={"issues": len(site.issues), "throttled": site.throttled})


def _clickup_stats(req: Request) -> Response:
    ws = req.site.clickup
    if ws is None:
        return Response(404, {"error": "this sandbox plays no ClickUp"})
    per_list: dict[str, int] = {}
    for task in ws.tasks.values():
        per_list[task["list"]["id"]] = per_list.get(task["list"]["id"], 0) + 1
    return Response(body={"throttled": ws.throttled, "tasks_per_list": per_list})


def _touch(req: Request) -> Response:
    """Change issues as users would: {"keys": [...]} or {"count": N, "seed": S};
    ClickUp tasks with {"clickup_count": N, "seed": S}."""
    site = req.site.site
    body = req.json() or {}
    if "clickup_count" in body:
        ws = req.site.clickup
        ids = random.Random(body.get("seed", 1)).sample(sorted(ws.tasks), int(body["clickup_count"]))
        with ws.lock:
            for task_id in ids:
                ws.touch(task_id, name=ws.tasks[task_id]["name"] + " (edited)")
        return Response(body={"touched": ids})
    keys = body.get("keys")
    if keys is None:
        keys = random.Random(body.get("seed", 1)).sample(sorted(site.issues), int(body["count"]))
    for key in keys:
        site.touch(key, summary=site.issues[key]["fields"]["summary"] + " (edited)")
    return Response(body={"touched": keys})


def _move(req: Request) -> Response:
    """Move an issue to another project, as Jira's move does: {"key": "PAY-4", "project": "MOB"}
    answers {"key": "MOB-31"}; the old key keeps answering with the moved issue."""
    body = req.json() or {}
    site = req.site.site
    with site.lock:
        key = site.current_key(str(body.get("key", "")).upper())
        if key not in site.issues or body.get("project") not in site.projects:
            return Response(400, {"error": "need an existing issue key and project key"})
        return Response(body={"key": site.move_issue(key, body["project"])})


def _faults(req: Request) -> Response:
    """GET: the armed faults and how often each fired; POST {"fault": SPEC}: arm one."""
    server = req.server
    if req.method == "POST":
        spec = (req.json() or {}).get("fault")
        try:
            fault = server.inject(spec if isinstance(spec, str) else "")[0]
        except FaultSpecError as exc:
            raise HttpError(400, {"error": str(exc)}) from None
        return Response(201, {"fault": fault.describe()})
    if req.method == "DELETE":
        with server.lock:
            server.faults.clear()
        return Response(204)
    with server.lock:
        rows = [{"fault": f.describe(), "kind": f.label, "fired": f.fired} for f in server.faults]
    return Response(body={"faults": rows, "fired": server.fault_counts()})


CONTROL_ROUTES = [
    route("POST", "/_sandbox/move", _move, auth=False, realm="control"),
    route("GET", "/_sandbox/faults", _faults, auth=False, realm="control"),
    route("POST", "/_sandbox/faults", _faults, auth=False, realm="control"),
    route("DELETE", "/_sandbox/faults", _faults, auth=False, realm="control"),
    route("GET", "/_sandbox/writes", _writes, auth=False, realm="control"),
    route("POST", "/_sandbox/touch", _touch, auth=False, realm="control"),
    route("GET", "/_sandbox/requests", _requests, auth=False, realm="control"),
    route("GET", "/_sandbox/stats", _stats, auth=False, realm="control"),
    route("GET", "/_sandbox/clickup/stats", _clickup_stats, auth=False, realm="control"),
    route("GET", "/", _index, auth=False, realm="control"),
]


def parse_rate(text: str) -> RateLimit:
    """``100/60``: 100 requests per 60-second window."""
    try:
        limit, window = text.split("/")
        rate = RateLimit(int(limit), float(window))
    except ValueError:
        raise ValueError(f"a rate limit looks like 100/60 (requests/seconds), not {text!r}") from None
    if rate.limit < 1 or rate.window <= 0:
        raise ValueError(f"a rate limit needs at least 1 request per positive window, not {text!r}")
    return rate


class Sandbox:
    """The public face of the sandbox: start it, point clients at ``url``, arm faults."""

    def __init__(self, site: Site, clickup: ClickUpWorkspace | None, server: SandboxServer,
                 cert: Path | None = None):
        self.site = site
        self.clickup = clickup
        self.server = server
        self.cert = cert  # the self-signed certificate when served over https

    @property
    def requests(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """Every request to the vendors' APIs: (method, path, query parameter names)."""
        return self.server.requests

    @property
    def writes(self) -> list[dict[str, Any]]:
        """Every POST, PUT and DELETE: method, path, status, body."""
        return self.server.writes

    def writes_to(self, method: str, fragment: str) -> list[dict[str, Any]]:
        """Successful writes of ``method`` whose path contains ``fragment``."""
        return self.server.writes_to(method, fragment)

    @property
    def url(self) -> str:
        return self.server.url

    @classmethod
    def start(
        cls,
        *,
        seed: int = 7,
        size: int = 60,
        port: int = 0,
        latency: float = 0.0,
        today: date | None = None,
        site: Site | None = None,
        clickup_size: int = 40,
        clickup_lists: int = 7,
        clickup_rate: str | None = None,
        faults: list[Fault | str] | tuple[Fault | str, ...] = (),
        tls: bool = False,
        **site_options: Any,
    ) -> Sandbox:
        """A seeded Jira + Confluence site and ClickUp workspace (``clickup_size=0``: none).

        ``clickup_rate``: ClickUp's per-token limit as ``N/SECONDS``; ``faults``: fault
        specs (see pmsync.sandbox.faults) armed before the first request. Bad values raise
        ValueError (FaultSpecError for faults) before anything is served. ``tls``: https
        with a self-signed certificate made now (``sandbox.cert``).
        """
        armed = [f if isinstance(f, Fault) else parse_fault(f) for f in faults]
        rate = parse_rate(clickup_rate) if clickup_rate else None
        site = site or Site(**site_options)
        routes = (jira_api.ROUTES + confluence_api.ROUTES + confluence_v1.ROUTES
                  + confluence_attachments.ROUTES + permissions_api.ROUTES
                  + clickup_api.ROUTES + clickup_team.ROUTES + CONTROL_ROUTES)
        control = Realm()
        server = SandboxServer(routes, {"atlassian": AtlassianRealm(site), "control": control},
                               default_realm="atlassian", port=port, latency=latency)
        cert = None
        if tls:
            cert, key = make_certificate()
            serve_tls(server.httpd, cert, key)
            server.url = server.url.replace("http://", "https://", 1)
        site.base_url = server.url
        seed_site(site, seed=seed, size=size, today=today)
        clickup = None
        if clickup_size:
            clickup = seed_clickup(site, seed=seed, size=clickup_size, lists=clickup_lists,
                                   today=today)
            clickup.rate_limit = rate
        server.realms["clickup"] = clickup_api.ClickUpRealm(clickup)
        server.inject(*armed)
        sandbox = cls(site, clickup, server, cert)
        control.service = sandbox
        server.start()
        return sandbox

    def inject(self, *faults: Fault | str) -> list[Fault]:
        """Arm more faults while serving; returns them (their ``fired`` counts go up)."""
        return self.server.inject(*faults)

    @property
    def faults(self) -> list[Fault]:
        return self.server.faults

    def fault_counts(self) -> dict[str, int]:
        """Requests hit by a fault so far, by kind: {"lost": 1, "status-429": 3, ...}."""
        return self.server.fault_counts()

    def describe(self) -> str:
        """Where the sandbox is and how to log in, for a person starting it."""
        account = self.site.account
        login = (f"user {account.email}, API token {account.api_token}" if self.site.is_cloud
                 else f"personal access token {account.personal_access_token}, or user "
                      f"{account.name}, password {account.password}")
        lines = [f"sandbox Jira + Confluence at {self.url} ({login})"]
        if self.cert:
            lines.append(f"self-signed certificate: {self.cert} "
                         f"(e.g. REQUESTS_CA_BUNDLE={self.cert})")
        if self.clickup:
            lines.append(f"sandbox ClickUp at {self.url}/api/v2 (workspace "
                         f"{self.clickup.team_id}, token {self.clickup.token})")
        lines += [f"fault armed: {fault.describe()}" for fault in self.faults]
        return "\n".join(lines)

    def serve_until_interrupted(self) -> None:
        """Block until Ctrl-C, then stop. The process does nothing else from here on, so the
        seeded site (375,000 objects at 10,000 issues) is moved out of the cyclic collector's
        sight: the full collections that the answers' garbage sets off scanned all of it,
        stalling every answer for up to 0.4 s (6 of them, 1.1 s, in one full sync). What a
        simulated vendor answers is the same; only how soon."""
        gc.freeze()
        try:
            self.server.wait()
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
