"""The loopback HTTP server: routing, auth, error bodies, injected faults, the write record.

Handlers live per vendor API (jira_api, confluence_api, clickup_api); each takes a
Request and returns a Response. A Realm is one vendor's gate: its auth, its rate
limit and the shape of its errors, so a fault on a ClickUp path answers as ClickUp
does and one on a Jira path as Jira does. Only 127.0.0.1 is ever bound.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from pmsync.sandbox.faults import Fault, as_fault

log = logging.getLogger(__name__)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    raw_body: bytes
    site: Any = None  # the simulated service the route belongs to (its realm's service)
    params: dict[str, str] = field(default_factory=dict)
    server: Any = None  # the SandboxServer answering
    realm: Realm | None = None

    def error(self, status: int, message: str) -> HttpError:
        """An error in the shape of the vendor whose route this is."""
        realm = self.realm or Realm()
        return HttpError(status, realm.error_body(self.path, status, message))

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        """All values, whether repeated (a=1&a=2) or comma-separated (a=1,2)."""
        return [part for value in self.query.get(name, []) for part in value.split(",") if part]

    def int_arg(self, name: str, default: int) -> int:
        value = self.arg(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError:
            raise self.error(400, f"The '{name}' parameter must be a number.") from None

    def json(self) -> Any:
        try:
            return json.loads(self.raw_body or b"null")
        except ValueError:
            raise self.error(400, "Unexpected character: the body is not valid JSON.") from None


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json;charset=UTF-8"


@dataclass
class RateLimit:
    """A fixed-window request budget, as Jira Cloud's burst limit behaves from outside."""

    limit: int
    window: float  # seconds
    started: float = 0.0
    used: int = 0

    def take(self) -> tuple[int, float]:
        """Count one request: (requests left in this window, negative past it; seconds to
        the reset). The caller holds the site's lock."""
        now = time.monotonic()
        if now - self.started >= self.window:
            self.started, self.used = now, 0
        self.used += 1
        return self.limit - self.used, max(self.window - (now - self.started), 0.0)


# What orjson must hand back to json (see encode): types json itself refuses.
_ORJSON_OPTIONS = (orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
                   | orjson.OPT_PASSTHROUGH_DATACLASS)


def _refuse(value: Any) -> Any:
    raise TypeError(type(value).__name__)


def encode(body: Any) -> bytes:
    """A JSON body's bytes. orjson writes it (a search page of 100 issues in ~1.5 ms, against
    ~7 ms for json.dumps: most of the sandbox's CPU per page in a full sync, issue 14) with
    the same fields, values and key order, compact and UTF-8 as the vendors send it.
    Anything orjson would write where json would not (dates, dataclasses, integers past 64
    bits, text that is not valid UTF-8) goes through json.dumps, which answers as before
    (only a NaN, which JSON has no word for and no simulated vendor sends, becomes null)."""
    try:
        return orjson.dumps(body, default=_refuse, option=_ORJSON_OPTIONS)
    except TypeError:
        return json.dumps(body).encode()


class HttpError(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None):
        super().__init__(status)
        self.response = Response(status, body, headers or {})


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    auth: bool = True
    realm: str = "atlassian"  # whose auth, rate limit and error shapes apply


def route(method: str, path: str, handler: Handler, auth: bool = True,
          realm: str = "atlassian") -> Route:
    """``path`` uses {name} placeholders for one path segment each."""
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path)
    return Route(method, re.compile(f"^{regex}$"), handler, auth, realm)


class Realm:
    """A vendor's gate: who may call, how fast, and how refusals look.

    ``service`` is the vendor's simulated state (handlers see it as ``request.site``).
    """

    prefixes: tuple[str, ...] = ()  # paths it answers for even where no route matches

    def __init__(self, service: Any = None):
        self.service = service

    def authenticate(self, request: Request) -> None:
        return None

    def limit(self) -> tuple[Response | None, dict[str, str]]:
        return None, {}

    def error_body(self, path: str, status: int, message: str) -> Any:
        """The vendor's error document for ``status``."""
        return {"message": message}

    def throttle_headers(self, fault: Fault) -> dict[str, str]:
        """Headers of an injected 429 beyond Retry-After (the vendor's rate-limit headers)."""
        return {}


FAULT_MESSAGES = {429: "Rate limit exceeded.", 500: "Internal server error.",
                  502: "Bad gateway.", 503: "Service unavailable.", 504: "Gateway timeout."}


class SandboxServer:
    """Serves routes of any number of realms; knows no vendor.

    It owns what is the same for every vendor: the request log, the record of writes
    and the armed faults, under its own lock. A path no route matches is answered
    by the realm whose ``prefixes`` it starts with, else by ``default_realm``.
    """

    def __init__(self, routes: list[Route], realms: dict[str, Realm], *,
                 default_realm: str, port: int = 0, latency: float = 0.0):
        self.routes = routes
        self.realms = realms
        self.default_realm = default_realm
        self.latency = latency
        self.lock = threading.RLock()
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str, tuple[str, ...]]] = []  # method, path, query names
        self.writes: list[dict[str, Any]] = []  # method, path, status, body of every write
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def wait(self) -> None:
        """Block while serving (until stop() or Ctrl-C)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def inject(self, *faults: Fault | str) -> list[Fault]:
        """Arm faults (objects or ``[METHOD:]PATH:KIND...`` strings); they fire in order."""
        armed = [as_fault(f) for f in faults]
        with self.lock:
            self.faults.extend(armed)
        return armed

    def realm_for(self, path: str) -> Realm:
        """The realm of the first route on ``path``, else of the API the path is under."""
        for candidate in self.routes:
            if candidate.pattern.match(path):
                return self.realms.get(candidate.realm, Realm())
        for realm in self.realms.values():
            if realm.prefixes and path.startswith(realm.prefixes):
                return realm
        return self.realms[self.default_realm]

    def dispatch(self, request: Request) -> Response:
        allowed = False
        for candidate in self.routes:
            match = candidate.pattern.match(request.path)
            if not match:
                continue
            allowed = True
            if candidate.method != request.method:
                continue
            request.params = match.groupdict()
            realm = self.realms.get(candidate.realm) or Realm()
            request.realm, request.site = realm, realm.service
            headers: dict[str, str] = {}
            try:
                # Anonymous routes still refuse credentials that are given but wrong.
                if candidate.auth or "authorization" in request.headers:
                    realm.authenticate(request)
                limited, headers = realm.limit()
                response = limited or candidate.handler(request)
            except HttpError as exc:
                response = exc.response
            response.headers = {**headers, **response.headers}
            return response
        realm = self.realm_for(request.path)
        if allowed:
            return Response(405, realm.error_body(
                request.path, 405, f"HTTP {request.method} is not supported here."))
        return Response(404, realm.error_body(request.path, 404, "Not found."))

    def take_fault(self, request: Request) -> Fault | None:
        """The first armed fault this request hits, counted."""
        if request.path.startswith("/_sandbox"):
            return None
        with self.lock:
            fault = next((f for f in self.faults if f.take(request.method, request.path)), None)
        if fault is not None:
            log.info("fault %s on %s %s", fault.label, request.method, request.path)
        return fault

    def fault_response(self, request: Request, fault: Fault) -> Response:
        """An error answer in the shape of the vendor that owns the path."""
        realm = self.realm_for(request.path)
        message = FAULT_MESSAGES.get(fault.status, "Injected fault.")
        headers = realm.throttle_headers(fault) if fault.status == 429 else {}
        if fault.retry_after is not None:
            headers["Retry-After"] = f"{fault.retry_after:g}"
        return Response(fault.status, realm.error_body(request.path, fault.status, message),
                        headers)

    def fault_counts(self) -> dict[str, int]:
        """Requests hit so far, by kind (lost, reset-after, status-429, ...)."""
        counts: dict[str, int] = {}
        with self.lock:
            for fault in self.faults:
                counts[fault.label] = counts.get(fault.label, 0) + fault.fired
        return counts

    def record_write(self, method: str, path: str, status: int, body: Any) -> None:
        with self.lock:
            self.writes.append({"method": method, "path": path, "status": status, "body": body})

    def writes_to(self, method: str, fragment: str) -> list[dict[str, Any]]:
        """Successful writes of ``method`` whose path contains ``fragment``."""
        with self.lock:
            return [w for w in self.writes
                    if w["method"] == method and fragment in w["path"] and w["status"] < 300]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart

            def log_message(self, format: str, *args: Any) -> None:  # quiet by default
                return

            def _serve(self) -> None:
                if server.latency:
                    time.sleep(server.latency)
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    raw_body=self.rfile.read(length) if length else b"",
                    server=server,
                )
                if not request.path.startswith("/_sandbox"):
                    with server.lock:
                        server.requests.append(
                            (request.method, request.path, tuple(sorted(request.query))))
                fault = server.take_fault(request)
                if fault is not None and fault.kind == "slow":
                    time.sleep(fault.seconds)
                    fault = None
                if fault is not None and fault.label == "reset-before":
                    self._drop()
                    return
                if fault is not None and not fault.handled_first:
                    response = server.fault_response(request, fault)
                else:
                    response = server.dispatch(request)
                self._record(request, response)
                if fault is None or fault.kind == "status":
                    self._send(response)
                elif fault.kind == "lost":  # committed; the client gives up before the answer
                    time.sleep(fault.seconds)
                    try:
                        self._send(response)
                    except OSError:  # the client has gone, as it should have
                        self.close_connection = True
                elif fault.kind == "reset":
                    self._drop()
                else:
                    self._send(response, cut=fault.kind)

            def _record(self, request: Request, response: Response) -> None:
                if request.method not in ("POST", "PUT", "DELETE") or request.path.startswith(
                        "/_sandbox"):
                    return
                try:
                    body = json.loads(request.raw_body) if request.raw_body else None
                except ValueError:
                    body = request.raw_body.decode(errors="replace")
                server.record_write(request.method, request.path, response.status, body)

            def _drop(self) -> None:
                """Close with a TCP reset (SO_LINGER 0), as a dropped connection looks."""
                self.close_connection = True
                try:
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                               struct.pack("ii", 1, 0))
                    self.connection.close()
                except OSError:
                    pass

            def _send(self, response: Response, cut: str = "") -> None:
                """Send ``response``; ``cut``: "malformed" sends the first half of the body as
                if whole, "truncated" announces the whole body, sends half, drops the line."""
                if isinstance(response.body, bytes | str):
                    payload = response.body.encode() if isinstance(response.body, str) else response.body
                elif response.body is None:
                    payload = b""
                else:
                    payload = encode(response.body)
                length = len(payload)
                if cut:
                    payload = payload[: length // 2] if length > 1 else b"{"
                    # truncated: announce more than is sent, whatever the body was
                    length = len(payload) if cut == "malformed" else max(length, len(payload) + 1)
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(length))
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
                if cut == "truncated":
                    self.wfile.flush()
                    self._drop()

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        return _Handler
