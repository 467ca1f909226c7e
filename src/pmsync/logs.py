"""Logging to stderr: readable on a terminal, JSON lines under cron; secrets masked."""

from __future__ import annotations

import base64
import json
import logging
import re
import sys
from datetime import UTC, datetime
from urllib.parse import quote

_SECRETS: set[str] = set()
_ENCODED: set[str] = set()  # base64 cores of the secrets, whatever bytes surround them

# "Authorization: Basic dXNlcjp0b2tlbg==", "authorization": "Bearer x", 'Authorization': 'pk_1'
# — as a header dump or a server's error body echoing our request back.
_AUTH_HEADER = re.compile(
    r"""(?i)(\b(?:proxy-)?authorization\b["']?\s*[:=]\s*["']?)"""
    r"""(?:(basic|bearer|token|digest)\s+)?[^\s"',;}\]]+""")
# A scheme's credentials without the header name: "Basic dXNlcjp0b2tlbg==", "Bearer eyJ..."
_SCHEME_CREDENTIAL = re.compile(r"\b(Basic|Bearer)\s+[A-Za-z0-9._~+/-]{8,}=*")
# https://user:password@host/ → https://user:***@host/
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*):[^/\s@]+@")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{6,}=*")


def register_secret(value: str) -> None:
    """Any log line or error containing ``value`` shows *** instead: as it is,
    percent-encoded, or inside a base64 string (an HTTP Basic header is
    base64 of "email:token")."""
    if not value or len(value) < 4:
        return
    _SECRETS.add(value)
    encoded = quote(value, safe="")
    if encoded != value:
        _SECRETS.add(encoded)
    _ENCODED.update(_base64_cores(value.encode()))


def _base64_cores(secret: bytes) -> set[str]:
    """The part of base64(anything + secret + anything) that only the secret decides,
    for each of the three ways the secret can sit against base64's 3-byte groups."""
    cores = set()
    for offset in range(3):
        text = base64.b64encode(b"\0" * offset + secret).decode()
        core = text[4 if offset else 0:len(text) - 4]  # drop groups shared with neighbours
        if len(core) >= 8:  # shorter ones would match ordinary words
            cores.add(core)
            cores.add(core.replace("+", "-").replace("/", "_"))  # the URL-safe alphabet
    return cores


def secret_forms() -> frozenset[str]:
    """Every string ``mask_secrets`` looks for: the registered secrets as they are and
    percent-encoded, and their base64 cores. Text holding none of them is left as it is,
    so a caller with much text can search it for these once before masking piece by piece."""
    return frozenset(_SECRETS | _ENCODED)


def mask_secrets(text: str) -> str:
    """``text`` with every registered secret masked: as it is, percent-encoded, or inside
    a base64 string. Only what pmsync was given as secret: tracker text goes through this
    (pmsync.scrub), where mask's header and URL patterns would rewrite ordinary titles
    ("Basic authentication for admins")."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    if _ENCODED:
        text = _BASE64_RUN.sub(
            lambda m: "***" if any(core in m.group(0) for core in _ENCODED) else m.group(0), text)
    return text


def mask(text: str) -> str:
    """A log line or error with the registered secrets masked (mask_secrets) and any
    credential that looks like one: an Authorization header or scheme, a URL's password."""
    text = _AUTH_HEADER.sub(lambda m: m.group(1) + (f"{m.group(2)} " if m.group(2) else "") +
                            "***", mask_secrets(text))
    text = _SCHEME_CREDENTIAL.sub(lambda m: f"{m.group(1)} ***", text)
    return _URL_PASSWORD.sub(r"\1:***@", text)


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps({
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": mask(record.getMessage()),
        })


class _TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        prefix = "" if record.levelno <= logging.INFO else f"{record.levelname.lower()}: "
        return mask(f"pmsync: {prefix}{record.getMessage()}")


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is now (tests swap it), not what it was at setup."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def setup_logging(verbose: int = 0) -> None:
    handler = _StderrHandler()
    is_tty = sys.stderr.isatty()
    handler.setFormatter(_TextFormatter() if is_tty else _JsonFormatter())
    root = logging.getLogger("pmsync")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.propagate = False
    # Only pmsync's own logger is set up. (It once also turned the `jira` library's logger
    # down to warnings, for its request details at debug level; pmsync has spoken to Jira
    # through its own kit since then and never loads that library, which is left to the
    # public-client tests. Setting it only overrode what a host program or plugin chose.)
