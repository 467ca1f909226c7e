"""The sticky marker pmsync leaves on its comments: ``pmsync:<fingerprint>``.

One format, owned here; each renderer only decides how the footer line looks
in its markup. The marker is read from the footer alone (the last line or
paragraph of a comment), never from anywhere in the text, so a title or a
person quoting a fingerprint cannot pass for pmsync's footer.
"""

from __future__ import annotations

import re

PREFIX = "pmsync:"
FOOTER = re.compile(r"pmsync:([0-9a-f]{20})")


def marker(fingerprint: str) -> str:
    """The footer text of the comment about ``fingerprint``."""
    return f"{PREFIX}{fingerprint}"


def read_footer(text: str | None) -> str | None:
    """The fingerprint when ``text`` (a footer, markup already removed) is exactly a marker."""
    match = FOOTER.fullmatch((text or "").strip())
    return match.group(1) if match else None


def last_line(text: str | None) -> str:
    lines = [line for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""
