"""Hostile titles and URLs through every output format pmsync sends.

A corpus of titles a tracker may hold (HTML and script, storage-format macros, CDATA
ends, wiki and Markdown link syntax, Jinja syntax, RTL and emoji, NUL and other control
characters, a 1 MB title) and a ``javascript:`` task URL go through a whole `pmsync run`
against the sandbox, Cloud and Data Center. Every body that reaches a tracker is then
checked: ADF comments validate against Atlassian's published ADF schema, Confluence
storage bodies parse as XML, wiki markup and Markdown hold no live link or macro made of
tracker text, nothing carries a control character, and every comment is within its
vendor's limit. The renderers are also checked one title at a time.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import date
from functools import cache
from pathlib import Path

import jsonschema
import pytest

from pmsync.cli import main
from pmsync.connector import AlertFact, AlertMessage
from pmsync.sandbox import Sandbox
from pmsync.untrusted import safe_url
from pmsync_clickup.connector import COMMENT_LIMIT as CLICKUP_LIMIT
from pmsync_clickup.connector import render_comment as clickup_comment
from pmsync_jira import adf, wiki

MEGABYTE_TITLE = "A" * 1_000_000
CORPUS = [
    "<script>alert(document.domain)</script>",
    '<img src=x onerror="alert(1)"> "><svg/onload=alert(1)>',
    '<ac:structured-macro ac:name="html"><ac:plain-text-body><![CDATA[<script>alert(1)'
    "</script>]]></ac:plain-text-body></ac:structured-macro>",
    "]]> <![CDATA[ x ]]> ]]&gt;",
    "[click me|javascript:alert(1)] {html}<b>x</b>{html} {color:red}red{color} h1. big",
    "*bold* _it_ -strike- ^sup^ ~sub~ ?? !image.png! | cell |",
    "[x](javascript:alert(1)) ![i](http://evil.example/x.png) <https://evil.example> `code`",
    "# heading\n* list\n> quote\n---",
    "{{ 7*7 }} {% raw %}{% endraw %} {# comment #} ${7*7}",
    "\u202eRTL override\u202c مرحبا שלום 👩‍👩‍👧‍👦 🚀 e\u0301",
    "NUL\x00 bell\x07 vt\x0b ff\x0c esc\x1b[31m del\x7f us\x1f cr\r end",
    "&amp; &lt; &#x27; &nbsp; & < > \" '",
    "lone \ud800 surrogate \ufffe nonchar",
    "pmsync:0123456789abcdef0123",
    MEGABYTE_TITLE,
]
EVIL_URL = "javascript:alert(document.domain)//"
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
ADF_SCHEMA = Path(__file__).parent / "data" / "adf-schema" / "full.json"
STORAGE_ROOT = ('<root xmlns:ac="http://atlassian.com/content" '
                'xmlns:ri="http://atlassian.com/resource/identifier">{}</root>')


@cache
def adf_validator() -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(json.loads(ADF_SCHEMA.read_text()))


def check_adf(doc) -> None:
    errors = sorted(adf_validator().iter_errors(doc), key=str)
    assert not errors, errors[0].message[:500]
    assert len(json.dumps(doc, ensure_ascii=False)) <= adf.COMMENT_LIMIT
    assert not CONTROL.search(json.dumps(doc, ensure_ascii=False).replace("\\n", ""))
    for href in re.findall(r'"href": "([^"]*)"', json.dumps(doc)):
        assert href.startswith(("http://", "https://")), href


def check_wiki(body: str) -> None:
    assert len(body) <= wiki.COMMENT_LIMIT and not CONTROL.search(body.replace("\n", ""))
    for target in re.findall(r"(?<!\\)\[[^\]]*?(?<!\\)\|([^\]]*)\]", body):
        assert target.startswith(("http://", "https://")), target  # a live link: ours only
    # Tracker text cannot open a macro: every { is escaped but pmsync's own footer colour.
    assert not re.search(r"(?<!\\)\{(?!color:#97a0af\}|color\})", body)


def check_storage(body: str) -> None:
    assert not CONTROL.search(body.replace("\n", "").replace("\t", ""))
    root = ET.fromstring(STORAGE_ROOT.format(body))  # raises if it is not XML
    for element in root.iter():
        assert element.tag.split("}")[-1] not in ("script", "iframe", "object", "embed")
        if element.tag == "{http://atlassian.com/content}structured-macro":
            # Only the macros our templates write; a title's "html" macro stays text.
            assert element.get("{http://atlassian.com/content}name") == "chart"
        for attr in ("href", "src"):
            if element.get(attr):
                assert element.get(attr).startswith(("http://", "https://", "/", "#")), \
                    element.get(attr)


def check_markdown(body: str) -> None:
    assert not CONTROL.search(body.replace("\n", "").replace("\t", ""))
    for target in re.findall(r"(?<!\\)\]\(([^)]*)\)", body):
        assert target.startswith(("http://", "https://", "data:image/svg+xml")), target[:80]
    assert not re.search(r"(?<!\\)<(script|img|svg|iframe)", body)


def check_clickup_comment(text: str) -> None:
    assert len(text) <= CLICKUP_LIMIT and not CONTROL.search(text.replace("\n", ""))
    # comment_text is plain text (ClickUp shows it as typed); a <scheme:...> link is ours.
    assert not re.search(r"<\s*(javascript|vbscript|data|file):", text, re.IGNORECASE)
    for target in re.findall(r"<(https?://[^>]*)>", text):
        assert safe_url(target) == target, target


# one title at a time, through each comment renderer ---------------------------------
def message_for(title: str) -> AlertMessage:
    return AlertMessage(
        "0123456789abcdef0123", f"Epic {title} is overdue",
        (AlertFact("Item", f"PAY-1 {title}", link_url=EVIL_URL),
         AlertFact("Related", title, link_url="https://x.example/browse/PAY-2?a=[|]{}"),
         AlertFact("Related", title, link_key="jira:PAY-3"),
         *(AlertFact("Warning", f"[rule] {title}") for _ in range(40))),
        advice=title, report_url="https://x.example/wiki/spaces/PM/pages/1")


@pytest.mark.parametrize("index", range(len(CORPUS)))
@pytest.mark.parametrize("resolved", [None, "2026-11-29"])
def test_each_title_through_every_comment_format(index, resolved):
    message = message_for(CORPUS[index])
    if resolved:
        message = AlertMessage(message.fingerprint, message.headline, message.facts[:1],
                               resolved_on=resolved)
    item_url = lambda key: f"https://x.example/browse/{key.split(':')[1]}"  # noqa: E731
    doc = adf.render_comment(message, item_url)
    check_adf(doc)
    assert adf.find_marker(doc) == "0123456789abcdef0123"
    body = wiki.render_comment(message, item_url)
    check_wiki(body)
    assert wiki.find_marker(body) == "0123456789abcdef0123"
    text = clickup_comment(message, item_url)
    check_clickup_comment(text)
    assert text.splitlines()[-1] == "pmsync:0123456789abcdef0123"
    assert EVIL_URL not in json.dumps(doc) + body + text


def test_a_comment_too_long_is_cut_with_a_link_to_the_report():
    message = message_for(MEGABYTE_TITLE)
    doc = adf.render_comment(message, lambda key: "https://x.example/" + key)
    texts = json.dumps(doc, ensure_ascii=False)
    assert len(texts) <= adf.COMMENT_LIMIT
    assert "…" in texts and "more lines in the report" in texts
    assert "https://x.example/wiki/spaces/PM/pages/1" in texts  # the whole story is there


# the whole corpus through `pmsync run` ---------------------------------------------
def plant_corpus(sandbox) -> None:
    # In the order the seed made them: cases planted later (appended) shift no title.
    for n, key in enumerate(list(sandbox.site.issues)):
        sandbox.site.touch(key, summary=CORPUS[n % len(CORPUS)])
    if sandbox.clickup is not None:
        for n, task in enumerate(sorted(sandbox.clickup.tasks.values(), key=lambda t: t["id"])):
            task.update(name=CORPUS[(n + 3) % len(CORPUS)], url=EVIL_URL)


def sent_bodies(sandbox) -> dict[str, list]:
    found: dict[str, list] = {"adf": [], "wiki": [], "storage": [], "markdown": [],
                              "clickup": []}
    for write in sandbox.writes:
        body, path = write["body"], write["path"]
        if not isinstance(body, dict) or write["method"] not in ("POST", "PUT"):
            continue
        if re.search(r"/rest/api/3/issue/[^/]+/comment", path):
            found["adf"].append(body["body"])
        elif re.search(r"/rest/api/2/issue/[^/]+/comment", path):
            found["wiki"].append(body["body"])
        elif path.startswith("/wiki/api/v2/pages"):
            found["storage"].append(body["body"]["value"])
        elif path.rstrip("/").endswith("/rest/api/content") or "/rest/api/content/" in path:
            if "storage" in (body.get("body") or {}):
                found["storage"].append(body["body"]["storage"]["value"])
        elif "/api/v2/task/" in path or "/api/v2/comment/" in path:
            found["clickup"].append(body["comment_text"])
        elif "/api/v3/workspaces/" in path and "content" in body:
            found["markdown"].append(body["content"])
    return found


@pytest.mark.parametrize("deployment", ["Cloud", "Server"])
def test_the_corpus_through_a_whole_run(deployment, tmp_path, monkeypatch, capsys,
                                        write_config, write_clickup_config):
    with Sandbox.start(seed=7, size=60, deployment=deployment,
                       clickup_size=40 if deployment == "Cloud" else 0,
                       today=date(2026, 11, 23)) as sandbox:
        plant_corpus(sandbox)
        path = (write_clickup_config(sandbox, tmp_path, monkeypatch) if sandbox.clickup
                else write_config(sandbox, tmp_path, monkeypatch))
        assert main(["--config", str(path), "run"]) == 0, capsys.readouterr()
        bodies = sent_bodies(sandbox)
        for doc in bodies["adf"]:
            check_adf(doc)
        for body in bodies["wiki"]:
            check_wiki(body)
        for body in bodies["storage"]:
            check_storage(body)
        for body in bodies["markdown"]:
            check_markdown(body)
        for text in bodies["clickup"]:
            check_clickup_comment(text)
        if deployment == "Cloud":
            assert bodies["adf"] and bodies["storage"] and bodies["markdown"] \
                and bodies["clickup"]
        else:
            assert bodies["wiki"] and bodies["storage"]
        everything = json.dumps(bodies, ensure_ascii=False)
        assert EVIL_URL not in everything and "A" * 2000 not in everything
        # The titles did arrive, as text: the corpus was really in what was sent.
        assert "alert(document.domain)" in everything and "🚀" in everything
        assert "A" * 900 + "…" in everything  # the megabyte title, cut
        assert any("&lt;script&gt;" in body for body in bodies["storage"])
        html_files = list((tmp_path / "state" / "reports").glob("*.html"))
        assert html_files
        for html_file in html_files:
            page = html_file.read_text()
            assert "<script>alert" not in page and not CONTROL.search(
                page.replace("\n", "").replace("\t", "").replace("\r", ""))
