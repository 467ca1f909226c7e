"""Issue comments: ADF documents on v3, wiki-markup strings on v2.

A comment keeps the form it was written in; read through the other API
version it is converted the way Jira does, as plain text both ways, so a
marker written in one form is found in the other.
"""

from __future__ import annotations

from typing import Any

from pmsync.sandbox.atlassian import jira_error
from pmsync.sandbox.server import HttpError, Request, Response
from pmsync.sandbox.site import Site, adf_text, text_adf


def adf_to_text(node: Any) -> str:
    return adf_text(node)


def text_to_adf(text: str) -> dict[str, Any]:
    return text_adf(text)


def body_for(version: str, comment: dict[str, Any]) -> Any:
    body = comment["body"]
    if version == "3":
        return body if isinstance(body, dict) else text_to_adf(body)
    return body if isinstance(body, str) else adf_to_text(body).rstrip("\n")


def author_ref(site: Site, author: dict[str, Any] | None = None) -> dict[str, Any]:
    """A comment's author as each deployment names users: Cloud by ``accountId``, Data
    Center by ``name`` and ``key``. ``author`` is a person's (tests add their comments);
    None is the account pmsync calls with."""
    if author is None:
        account = site.account
        author = {"accountId": account.account_id, "displayName": account.display_name,
                  "name": account.name, "key": f"JIRAUSER{10000 + len(account.name)}"}
    if site.is_cloud:
        return {"accountId": author["accountId"], "displayName": author["displayName"],
                "active": True, "accountType": "atlassian"}
    return {"name": author["name"], "key": author["key"], "displayName": author["displayName"],
            "active": True}


def comment_view(site: Site, version: str, issue: dict, comment: dict) -> dict[str, Any]:
    author = author_ref(site, comment.get("author"))
    return {
        "self": f"{site.base_url}/rest/api/{version}/issue/{issue['id']}/comment/{comment['id']}",
        "id": comment["id"],
        "author": author,
        "body": body_for(version, comment),
        "updateAuthor": author,
        "created": comment["created"],
        "updated": comment["updated"],
        "jsdPublic": True,
    }


def read_body(req: Request, version: str) -> Any:
    payload = req.json()
    body = payload.get("body") if isinstance(payload, dict) else None
    if version == "3":
        if isinstance(body, dict) and body.get("type") == "doc" and body.get("version") == 1 \
                and isinstance(body.get("content"), list):
            return body
        raise HttpError(400, jira_error(errors={
            "comment": "Operation value must be an Atlassian Document "
                       "(see the Atlassian Document Format)"}))
    if isinstance(body, str) and body.strip():
        return body
    raise HttpError(400, jira_error(errors={"comment": "Comment body can not be empty!"}))


def list_comments(req: Request, issue: dict, version: str) -> Response:
    site = req.site
    start = req.int_arg("startAt", 0)
    size = max(1, min(req.int_arg("maxResults", 100), 100))
    with site.lock:
        comments = list(site.comments.get(issue["key"], []))
    if (req.arg("orderBy") or "").startswith("-"):
        comments.reverse()
    page = comments[start: start + size]
    return Response(body={"startAt": start, "maxResults": size, "total": len(comments),
                          "comments": [comment_view(site, version, issue, c) for c in page]})


def add_comment(req: Request, issue: dict, version: str) -> Response:
    site = req.site
    body = read_body(req, version)
    comment = site.add_comment(issue["key"], body)  # commenting updates the issue, as in Jira
    return Response(201, comment_view(site, version, issue, comment))


def update_comment(req: Request, issue: dict, version: str) -> Response:
    site = req.site
    body = read_body(req, version)
    with site.lock:
        comment = next((c for c in site.comments.get(issue["key"], [])
                        if c["id"] == req.params["id"]), None)
        if comment is None:
            raise HttpError(404, jira_error("Can not find a comment for the id: " + req.params["id"]))
        comment["body"] = body
        comment["updated"] = site.stamp(site.now())
        issue["fields"]["updated"] = comment["updated"]
        site.revision += 1
    return Response(200, comment_view(site, version, issue, comment))


def delete_comment(req: Request, issue: dict, version: str) -> Response:
    """DELETE .../comment/{id} → 204, as Jira answers."""
    site = req.site
    with site.lock:
        comments = site.comments.get(issue["key"], [])
        comment = next((c for c in comments if c["id"] == req.params["id"]), None)
        if comment is None:
            raise HttpError(404, jira_error("Can not find a comment for the id: " + req.params["id"]))
        comments.remove(comment)
        issue["fields"]["updated"] = site.stamp(site.now())
        site.revision += 1
    return Response(204, None)
