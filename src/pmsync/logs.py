"""Logging to stderr: readable on a terminal, JSON lines under cron; secrets masked."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

_SECRETS: set[str] = set()


def register_secret(value: str) -> None:
    """Any log line containing ``value`` shows *** instead."""
    if value and len(value) >= 4:
        _SECRETS.add(value)


def mask(text: str) -> str:
    for secret in _SECRETS:
        text = text.replace(secret, "***")
    return text


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
    # The jira library logs request details at debug level; keep it quiet.
    logging.getLogger("jira").setLevel(logging.WARNING)
