"""The roadmap timeline on every target: the Confluence page shows it as an attached SVG
(storage format's <ac:image> of an attachment), the ClickUp Doc as a Markdown image, and
tracker text inside it stays text."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET

import requests

from pmsync.charts import timeline_svg
from pmsync.cli import main
from pmsync.review import roadmap
from pmsync.workspace import Workspace
from test_escaping import EVIL, portfolio_with_evil_text

SVG = "{http://www.w3.org/2000/svg}"


def epic_bars(svg: str) -> list[str]:
    root = ET.fromstring(svg)  # well-formed XML, or this raises
    return [g.get("data-key") for g in root.iter(f"{SVG}g") if "epic" in g.get("class", "").split()]


def dated_open_epics(config) -> set[str]:
    ws = Workspace.open(config)
    try:
        portfolio = ws.portfolio()
    finally:
        ws.close()
    return {i.key for i in portfolio.items.values()
            if i.kind == "epic" and i.is_open and i.due and i.product_line}


def test_confluence_page_shows_the_timeline_as_an_attached_svg(sandbox, pmsync, config_path):
    code, out, err = pmsync("run")
    assert code == 0, err
    site = sandbox.site
    page = next(p for p in site.pages.values() if p["title"] == "Portfolio roadmap")
    assert '<ri:attachment ri:filename="roadmap-timeline.svg" />' in page["body"]
    attached = page["attachments"]["roadmap-timeline.svg"]
    assert attached["media_type"] == "image/svg+xml"
    assert sorted(epic_bars(attached["data"].decode())) == sorted(dated_open_epics(config_path))
    review = next(p for p in site.pages.values() if p["title"] == "Sprint review: Payments")
    assert "line-timeline.svg" in review["attachments"]

    # What a person opens: the page draws the attached file.
    view = requests.get(f"{sandbox.url}/wiki/spaces/PM/pages/{page['id']}/x", timeout=10).text
    src = re.search(r'<img src="(/wiki/download/attachments/[^"]+)"', view).group(1)
    image = requests.get(sandbox.url + src, timeout=10)
    assert image.headers["Content-Type"] == "image/svg+xml" and b"<svg" in image.content

    # Nothing changed: no new page version and no new attachment version.
    uploads = len(sandbox.writes_to("PUT", "/child/attachment"))
    assert uploads == 4  # the roadmap and three sprint reviews, once each
    code, out, err = pmsync("run")
    assert code == 0, err
    assert len(sandbox.writes_to("PUT", "/child/attachment")) == uploads
    assert attached["version"] == 1 and page["version"]["number"] == 1


def test_attachment_upload_needs_the_xsrf_header(sandbox, pmsync):
    assert pmsync("run")[0] == 0
    page = next(iter(sandbox.site.pages))
    auth = (sandbox.site.account.email, sandbox.site.account.api_token)
    url = f"{sandbox.url}/wiki/rest/api/content/{page}/child/attachment"
    refused = requests.put(url, files={"file": ("a.svg", b"<svg/>", "image/svg+xml")},
                           auth=auth, timeout=10)
    assert refused.status_code == 403
    ok = requests.put(url, files={"file": ("a.svg", b"<svg/>", "image/svg+xml")}, auth=auth,
                      headers={"X-Atlassian-Token": "no-check"}, timeout=10)
    assert ok.status_code == 200 and ok.json()["results"][0]["title"] == "a.svg"
    again = requests.post(url, files={"file": ("a.svg", b"<svg/>", "image/svg+xml")}, auth=auth,
                          headers={"X-Atlassian-Token": "no-check"}, timeout=10)
    assert again.status_code == 400  # POST only creates


def test_clickup_doc_shows_the_timeline_as_a_markdown_image(sandbox, tmp_path, monkeypatch,
                                                             write_clickup_config):
    config = write_clickup_config(sandbox, tmp_path, monkeypatch)
    assert main(["--config", str(config), "run"]) == 0
    pages = [p for p in sandbox.clickup.pages.values() if p["name"] == "Portfolio roadmap"]
    (page,) = pages
    data = re.search(r"!\[Roadmap timeline\]\(data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)\)",
                     page["content"]).group(1)
    assert sorted(epic_bars(base64.b64decode(data).decode())) == sorted(dated_open_epics(config))


def test_tracker_text_in_the_timeline_stays_text():
    portfolio, findings = portfolio_with_evil_text()
    plan = roadmap(portfolio, findings)
    svg = plan.charts["roadmap"]
    assert "<script" not in svg and "<img" not in svg and "&lt;script&gt;" in svg
    root = ET.fromstring(svg)
    assert EVIL[:40] in "".join(root.itertext())  # the title, as text
    assert svg == timeline_svg(roadmap(portfolio, findings).timeline, "roadmap-timeline")
