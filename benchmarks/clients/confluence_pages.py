"""Client job: atlassian-python-api's Confluence pages, v1 and v2, create / read / update.

    python confluence_pages.py v1|v2 WIKI_URL USER API_TOKEN SPACE_KEY

WIKI_URL is the site's Confluence (Cloud: https://site/wiki). v1 uses the library's
`Confluence` class (REST v1, /wiki/rest/api/content on Cloud); v2 its Cloud v2 class
(/wiki/api/v2). Runs inside the client's own virtualenv; prints one JSON line:
{"calls": N, "records": N, "failed": [...]}.
"""

import sys
import uuid

from _tally import call, failed, report
from atlassian import Confluence, ConfluenceV2

version, wiki, user, token, space = sys.argv[1:6]
title = f"Client suite {version} {uuid.uuid4().hex[:8]}"
if version == "v1":
    confluence = Confluence(url=wiki, username=user, password=token)
    page = call("create_page", lambda: confluence.create_page(space, title, "<p>one</p>"))
    if page:
        read = call("get_page_by_id", lambda: confluence.get_page_by_id(
            page["id"], expand="body.storage,version,history"))
        if read and read["body"]["storage"]["value"] != "<p>one</p>":
            failed.append("get_page_by_id: wrong body")
        call("update_page", lambda: confluence.update_page(page["id"], title, "<p>two</p>"))
        again = call("get_page_by_id", lambda: confluence.get_page_by_id(
            page["id"], expand="body.storage,version"))
        if again and (again["version"]["number"], again["body"]["storage"]["value"]) != (
                2, "<p>two</p>"):
            failed.append("update_page: not version 2 with the new body")
        call("get_page_by_title", lambda: confluence.get_page_by_title(space, title))
        call("history", lambda: confluence.history(page["id"]))
        call("get_space", lambda: confluence.get_space(space))
else:
    confluence = ConfluenceV2(url=wiki, username=user, password=token)
    spaces = call("get_spaces", lambda: confluence.get_spaces(keys=[space])) or []
    space_id = spaces[0]["id"] if spaces else None
    page = call("create_page", lambda: confluence.create_page(
        space_id=space_id, title=title, body="<p>one</p>"))
    if page:
        child = call("create_page (child)", lambda: confluence.create_page(
            space_id=space_id, title=title + " child", body="<p>c</p>", parent_id=page["id"]))
        read = call("get_page_by_id", lambda: confluence.get_page_by_id(
            page["id"], body_format="storage"))
        if read and read["body"]["storage"]["value"] != "<p>one</p>":
            failed.append("get_page_by_id: wrong body")
        # The v2 update requires id, status, title, body and version (PageUpdateRequest).
        call("update_page", lambda: confluence.update_page(
            page["id"], title=title, body="<p>two</p>", status="current"))
        versions = call("get_page_versions", lambda: confluence.get_all_page_versions(page["id"]))
        if versions is not None and sorted(v["number"] for v in versions) != [1, 2]:
            failed.append(f"get_page_versions: {[v['number'] for v in versions]}")
        children = call("get_child_pages", lambda: confluence.get_child_pages(page["id"]))
        if child and children is not None and [c["id"] for c in children] != [child["id"]]:
            failed.append("get_child_pages: the child is not there")
report()
