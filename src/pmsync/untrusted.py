"""Tracker text and URLs are untrusted: the one place that makes them safe to send.

Every renderer (ADF, Jira wiki markup, Confluence storage, Markdown, plain
comment text) still escapes text its own way; what is common lives here:
control characters are dropped (they make storage-format XML invalid and are
never meaningful in a title), long text is cut with an ellipsis, and only
http(s) URLs ever become link targets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from pmsync.connector import AlertFact, AlertMessage

Rendered = TypeVar("Rendered")

ELLIPSIS = "…"

# C0 controls except tab and newline, DEL, lone surrogates and the two non-characters
# XML 1.0 forbids: none of them can be sent in an XML body, and none carries meaning.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")

# Characters kept as they are in a link target; everything else is percent-encoded, so a
# target can never close the construct around it: " ' < > (HTML, storage), | [ ] { }
# (wiki markup), ( ) and spaces (Markdown), backslashes and control characters.
_URL_SAFE = ":/?#=&%.~_+,;@!$*-"

# The longest text pmsync puts into a comment or page cell for one tracker field (a title,
# a status name). Real titles are far shorter (Jira caps a summary at 255 characters); a
# longer one is a mistake or an attack, and is cut rather than sent.
FIELD_LIMIT = 1000


def clean(text: Any) -> str:
    """``text`` as a string without control characters (tab and newline are kept)."""
    return _CONTROL.sub("", "" if text is None else str(text))


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, the cut marked by an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def field_text(text: Any, limit: int = FIELD_LIMIT) -> str:
    """One tracker field as pmsync sends it: cleaned and of bounded length."""
    return shorten(clean(text), limit)


def safe_url(value: Any) -> str | None:
    """An http(s) URL with a host, made inert for every output format; else None.

    ``javascript:``, ``data:``, relative and scheme-less values never become links.
    """
    url = clean(value).strip()
    if not url or any(ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(url, safe=_URL_SAFE)


def fact_href(fact: AlertFact, item_url: Callable[[str], str]) -> str | None:
    """Where a fact links to: its own URL, else its item's page; checked by safe_url."""
    return safe_url(fact.link_url or (item_url(fact.link_key) if fact.link_key else None))


def tidy_message(message: AlertMessage) -> AlertMessage:
    """Every text of an alert cleaned and bounded, every link target checked."""
    def fact(f: AlertFact) -> AlertFact:
        return replace(f, label=field_text(f.label, 100), text=field_text(f.text),
                       link_url=safe_url(f.link_url) if f.link_url else None)

    return replace(message, headline=field_text(message.headline),
                   facts=tuple(fact(f) for f in message.facts),
                   advice=field_text(message.advice),
                   report_url=safe_url(message.report_url) if message.report_url else None)


def fit_message(message: AlertMessage, size: Callable[[AlertMessage], int],
                limit: int) -> AlertMessage:
    """``message`` cut until ``size`` of its rendering is within the vendor's ``limit``.

    Facts are dropped from the end and replaced by one saying how many more there are,
    linking to the report when there is one; the headline and the marker always stay.
    """
    message = tidy_message(message)
    if size(message) <= limit:
        return message
    facts = list(message.facts)
    while True:
        dropped = len(message.facts) - len(facts)
        note = AlertFact("Cut short", f"{dropped} more line{'s' if dropped != 1 else ''} "
                         "in the report" if message.report_url else
                         f"{dropped} more line{'s' if dropped != 1 else ''}; "
                         "`pmsync check` lists them", link_url=message.report_url)
        candidate = replace(message, facts=(*facts, note))
        if size(candidate) <= limit or not facts:
            break
        facts.pop()
    if size(candidate) <= limit:
        return candidate
    # Even the bare headline is too long (a tiny limit): cut the text itself.
    return replace(candidate, headline=shorten(candidate.headline, limit // 4),
                   advice=shorten(candidate.advice, limit // 8))


def render_within(message: AlertMessage, render: Callable[[AlertMessage], Rendered],
                  size: Callable[[Rendered], int], limit: int) -> Rendered:
    """``render`` of ``message`` cut as fit_message cuts it to ``size`` within ``limit``.

    The rendering measured last is the one returned when it is of the message kept, so a
    comment that fits (the usual case) is rendered once, not once to measure and again to send.
    """
    last: list[Any] = [None, None]

    def measure(candidate: AlertMessage) -> int:
        last[:] = [candidate, render(candidate)]
        return size(last[1])

    fitted = fit_message(message, measure, limit)
    return last[1] if last[0] is fitted else render(fitted)
