"""Alert comments in Jira wiki markup (Data Center REST v2 bodies are strings).

Tracker text is escaped so that none of it becomes markup: every character
wiki markup gives a meaning to is backslash-escaped. A link target is only
ever an http(s) URL with ``[ ] | { }`` and quotes percent-encoded, so it
cannot close ``[text|href]`` and open a macro.
"""

from __future__ import annotations

import re

from pmsync.connector import AlertMessage
from pmsync.kit.marker import last_line, marker, read_footer
from pmsync.untrusted import fact_href, render_within

SPECIAL = re.compile(r"([\\{}\[\]|*_+^~?!#\-])")
# Data Center's default comment limit (jira.text.field.character.limit), as on Cloud.
COMMENT_LIMIT = 32_767


def escape(text: str) -> str:
    # Line breaks would start new blocks (lists, headings); keep a fact on its line.
    return SPECIAL.sub(r"\\\1", " ".join(text.splitlines()))


def render_comment(message: AlertMessage, item_url) -> str:
    return render_within(message, lambda m: _render(m, item_url), len, COMMENT_LIMIT)


def _render(message: AlertMessage, item_url) -> str:
    if message.resolved_on:
        lines = [f"h3. Resolved on {message.resolved_on}: -{escape(message.headline)}-"]
    else:
        lines = [f"h3. (!) {escape(message.headline)}"]
    for fact in message.facts:
        href = fact_href(fact, item_url)
        value = f"[{escape(fact.text)}|{href}]" if href and fact.text else escape(fact.text)
        lines.append(f"*{escape(fact.label)}:* {value}")
    if message.advice and not message.resolved_on:
        lines.append(f"_{escape(message.advice)}_")
    lines.append(f"{FOOTER_OPEN}{marker(message.fingerprint)}{FOOTER_CLOSE}")
    return "\n".join(lines)


FOOTER_OPEN, FOOTER_CLOSE = "{color:#97a0af}~", "~{color}"


def plain_text(body: str) -> str:
    """The body with the footer's colour and subscript taken off."""
    lines = body.splitlines()
    footer = last_line(body).strip()
    if lines and footer.startswith(FOOTER_OPEN) and footer.endswith(FOOTER_CLOSE):
        lines = [line for line in lines if line.strip()]
        lines[-1] = footer[len(FOOTER_OPEN):-len(FOOTER_CLOSE)]
    return "\n".join(lines)


def find_marker(text: str) -> str | None:
    """The fingerprint in the footer (the last line) of a wiki-markup comment."""
    footer = last_line(text).strip()
    if footer.startswith(FOOTER_OPEN) and footer.endswith(FOOTER_CLOSE):
        footer = footer[len(FOOTER_OPEN):-len(FOOTER_CLOSE)]
    return read_footer(footer)
