"""Errors a person can act on, each carrying the exit code the CLI returns.

The codes are documented in the README's exit-code table; keep the two in step.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1  # --fail-on: a finding at or above the severity asked for
EXIT_USAGE = 2  # bad command line or config
EXIT_TRACKER = 3  # a tracker unreachable, refusing our credentials or answering an error
EXIT_LOCKED = 4  # another run holds the lock
EXIT_STATE = 5  # the store or a folder pmsync writes is damaged, unwritable or full
EXIT_FAILED = 70  # a bug in pmsync (EX_SOFTWARE): -v shows the traceback
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
EXIT_PIPE = 141  # stdout's reader went away (128 + SIGPIPE), as `yes | head` exits
EXIT_TERMINATED = 143  # SIGTERM (128 + SIGTERM)


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


class StateError(PmsyncError):
    """The store, the state folder or the reports folder cannot be used as it is."""

    exit_code = EXIT_STATE


class OutputClosed(PmsyncError):
    """stdout was closed under us (`pmsync check | head`): not a bug, and not worth a word."""

    exit_code = EXIT_PIPE


class Terminated(BaseException):  # noqa: N818 - named like KeyboardInterrupt, its sibling
    """SIGTERM arrived: unwinds like Ctrl-C, so transactions roll back and the run is recorded."""
