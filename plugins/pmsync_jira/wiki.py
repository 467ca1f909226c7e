"""Alert comments in Jira wiki markup (Data Center REST v2 bodies are strings).

Tracker text is escaped so that none of it becomes markup: every character
wiki markup gives a meaning to is backslash-escaped, and links are only ever
built from URLs pmsync made itself.
"""

from __future__ import annotations

import re

from pmsync.connector import AlertMessage
from pmsync.kit.marker import last_line, marker, read_footer

SPECIAL = re.compile(r"([\\{}\[\]|*_+^~?!#\-])")


def escape(text: str) -> str:
    # Line breaks would start new blocks (lists, headings); keep a fact on its line.
    return SPECIAL.sub(r"\\\1", " ".join(text.splitlines()))


def render_comment(message: AlertMessage, item_url) -> str:
    if message.resolved_on:
        lines = [f"h3. Resolved on {message.resolved_on}: -{escape(message.headline)}-"]
    else:
        lines = [f"h3. (!) {escape(message.headline)}"]
    for fact in message.facts:
        href = fact.link_url or (item_url(fact.link_key) if fact.link_key else None)
        value = f"[{escape(fact.text)}|{href}]" if href else escape(fact.text)
        lines.append(f"*{escape(fact.label)}:* {value}")
    if message.advice and not message.resolved_on:
        lines.append(f"_{escape(message.advice)}_")
    lines.append(f"{FOOTER_OPEN}{marker(message.fingerprint)}{FOOTER_CLOSE}")
    return "\n".join(lines)


FOOTER_OPEN, FOOTER_CLOSE = "{color:#97a0af}~", "~{color}"


def find_marker(text: str) -> str | None:
    """The fingerprint in the footer (the last line) of a wiki-markup comment."""
    footer = last_line(text).strip()
    if footer.startswith(FOOTER_OPEN) and footer.endswith(FOOTER_CLOSE):
        footer = footer[len(FOOTER_OPEN):-len(FOOTER_CLOSE)]
    return read_footer(footer)
