"""Writes that happen exactly once: looking before resending, folding repeats.

A POST is not idempotent. When its answer is lost (a timeout, a reset
connection, a gateway error) the write may or may not have happened; the
kit's HTTP client then raises ``LostResponse`` instead of sending it again,
and ``write_once`` first looks for what the write would have made (a comment
by its marker and author, a page by its title) and sends again only when it
is not there. The marker format itself lives in ``pmsync.kit.marker``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from pmsync.connector import Comment
from pmsync.kit.errors import HttpError, LostResponse
from pmsync.kit.retry import RetryPolicy

log = logging.getLogger("pmsync.once")
T = TypeVar("T")
RESEND_ATTEMPTS = 3


def write_once(send: Callable[[], T], find: Callable[[], T | None], what: str,
               policy: RetryPolicy | None = None, sleep: Callable[[float], None] = time.sleep) -> T:
    """``send()`` a non-idempotent write; after a lost answer, ``find()`` its result first.

    Only when nothing is found is the write sent again: as many tries in all as the
    connector's retry policy allows, with its exponential waits (scaled by its backoff).
    """
    attempts = max(policy.attempts, 1) if policy else RESEND_ATTEMPTS
    backoff = policy.backoff if policy else 1.0
    for attempt in range(1, attempts + 1):
        try:
            return send()
        except (LostResponse, HttpError) as exc:
            if isinstance(exc, HttpError) and exc.status < 500:
                raise  # refused: nothing was done
            # A lost answer, or a 5xx (a gateway may have timed out after the write was done).
            found = find()
            if found is not None:
                log.warning("%s: the answer was lost (%s), but the write had happened; "
                            "not sending it again", what, exc)
                return found
            if attempt == attempts:
                raise
            log.warning("%s: the answer was lost (%s) and the write is not there; "
                        "sending it again", what, exc)
            sleep(backoff * min(0.5 * 2 ** (attempt - 1), 30.0))
    raise AssertionError("unreachable")


def plain(text: str) -> str:
    """Text as compared for "unchanged": line endings, trailing spaces and blank lines
    are the tracker's business, not ours."""
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")
                     if line.strip())


def oldest_first(ids: Iterable[str]) -> list[str]:
    """Tracker ids in creation order (numeric ids sort as numbers)."""
    return sorted(ids, key=lambda i: (0, int(i), "") if i.isdigit() else (1, 0, i))


def our_comment(comments: Iterable[Comment], fingerprint: str) -> str | None:
    """The oldest comment of our own account whose footer is ``fingerprint``, if any."""
    ours = [c.id for c in comments if c.mine and c.fingerprint == fingerprint]
    return oldest_first(ours)[0] if ours else None
