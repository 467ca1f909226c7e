"""Errors a person can act on, each carrying the exit code the CLI returns."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_TRACKER = 3
EXIT_LOCKED = 4


class PmsyncError(Exception):
    """Base: the message is one line that names the problem and what to do."""

    exit_code = EXIT_USAGE


class ConfigError(PmsyncError):
    exit_code = EXIT_USAGE


class TrackerError(PmsyncError):
    """Tracker unreachable, refused our credentials, or answered with an error."""

    exit_code = EXIT_TRACKER


class AuthError(TrackerError):
    pass


class LockHeld(PmsyncError):
    exit_code = EXIT_LOCKED
