"""Alert comments in Atlassian Document Format (Jira Cloud REST v3).

ADF is structured JSON, so tracker text goes into text nodes and can never
become markup. The sticky marker is a small subscript footer
``pmsync:<fingerprint>``: ADF has no hidden text, and a plain text node is the
one thing every Jira client and the v2 wiki rendering keep as it is.
"""

from __future__ import annotations

import json
from typing import Any

from pmsync.connector import AlertMessage
from pmsync.kit.marker import marker, read_footer
from pmsync.untrusted import fact_href, render_within

# Jira rejects a comment longer than 32,767 characters ("The entered text is too long. It
# exceeds the allowed limit of 32767 characters", JRACLOUD-68949). We measure the ADF JSON
# itself, always longer than the text Jira counts, so a comment that fits here fits there.
COMMENT_LIMIT = 32_767


def _text(text: str, *marks: dict[str, Any]) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": text}
    if marks:
        node["marks"] = list(marks)
    return node


def _paragraph(*nodes: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": [n for n in nodes if n.get("text")]}


def render_comment(message: AlertMessage, item_url) -> dict[str, Any]:
    """``item_url(key)`` gives the browse URL of a related item for its link. Text is
    cleaned and the comment cut to Jira's limit; only http(s) URLs become links."""
    return render_within(message, lambda m: _render(m, item_url), _size, COMMENT_LIMIT)


def _size(doc: dict[str, Any]) -> int:
    return len(json.dumps(doc, ensure_ascii=False))


def _render(message: AlertMessage, item_url) -> dict[str, Any]:
    if message.resolved_on:
        heading = [
            _text(f"Resolved on {message.resolved_on}: "),
            _text(message.headline, {"type": "strike"}),
        ]
    else:
        heading = [_text(f"⚠ {message.headline}")]
    content: list[dict[str, Any]] = [
        {"type": "heading", "attrs": {"level": 3}, "content": [n for n in heading if n["text"]]}
    ]
    for fact in message.facts:
        value = _text(fact.text)
        href = fact_href(fact, item_url)
        if href and fact.text:
            value = _text(fact.text, {"type": "link", "attrs": {"href": href}})
        content.append(_paragraph(_text(f"{fact.label}: ", {"type": "strong"}), value))
    if message.advice and not message.resolved_on:
        content.append(_paragraph(_text(message.advice, {"type": "em"})))
    content.append(
        _paragraph(
            _text(
                marker(message.fingerprint),
                {"type": "subsup", "attrs": {"type": "sub"}},
                {"type": "textColor", "attrs": {"color": "#97a0af"}},
            )
        )
    )
    return {"type": "doc", "version": 1, "content": content}


def find_marker(body: Any) -> str | None:
    """The fingerprint in the footer (the document's last block) of an ADF comment."""
    blocks = body.get("content") if isinstance(body, dict) else None
    if not isinstance(blocks, list) or not blocks:
        return None
    return read_footer("".join(_texts(blocks[-1])))


def plain_text(body: Any) -> str:
    """A comment body as text, one line per block: what "unchanged" is judged on."""
    blocks = body.get("content") if isinstance(body, dict) else None
    return "\n".join("".join(_texts(block)) for block in blocks or ())


def _texts(node: Any):
    if isinstance(node, dict):
        if node.get("type") == "text" and isinstance(node.get("text"), str):
            yield node["text"]
        for child in node.get("content") or ():
            yield from _texts(child)
    elif isinstance(node, list):
        for child in node:
            yield from _texts(child)
