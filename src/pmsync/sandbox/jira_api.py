"""Jira platform REST: Cloud v3 and v2, Data Center v2, as documented.

Shapes follow Atlassian's OpenAPI documents (../shared/specs) field for field:
Cloud's enhanced search pages with nextPageToken/isLast and no total (the old
offset search is gone there: 410); Data Center's search pages with
startAt/maxResults/total. Errors are ErrorCollections.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from typing import Any

from pmsync.sandbox import jira_agile, jira_comments, jira_meta, jira_writes, jql
from pmsync.sandbox.atlassian import jira_error
from pmsync.sandbox.jira_fields import field_list
from pmsync.sandbox.jira_views import history_view, issue_view, versioned
from pmsync.sandbox.server import HttpError, Request, Response, route
from pmsync.sandbox.site import Site, jira_time

SEARCH_MAX = 100  # the most issues one search page returns when fields are asked for
SEARCH_MAX_ID_ONLY = 5000


def api_version(req: Request, allowed: tuple[str, ...] = ("2", "3")) -> str:
    """The {version} of the path; Data Center has no v3."""
    version = req.params.get("version", "3")
    if version not in allowed or (version == "3" and not req.site.is_cloud):
        raise HttpError(404, jira_error("null for uri: " + req.path))
    return version


def server_info(req: Request) -> Response:
    api_version(req)
    site = req.site
    info = {
        "baseUrl": site.base_url,
        "displayUrl": site.base_url,
        "version": "1001.0.0-SNAPSHOT" if site.is_cloud else "9.12.4",
        "versionNumbers": [1001, 0, 0] if site.is_cloud else [9, 12, 4],
        "deploymentType": site.deployment,
        "buildNumber": 100284 if site.is_cloud else 9120004,
        "buildDate": "2026-11-01T00:00:00.000+0000",
        "serverTime": jira_time(site.now()),
        "scmInfo": "0d6b9f1a1f4e3d4a1d1b2b6c2e5f9e8a7b6c5d4e",
        "serverTitle": "Jira",
    }
    return Response(body=info)


def myself(req: Request) -> Response:
    api_version(req)
    site, account = req.site, req.site.account
    user = {
        **site.user_ref(),
        "emailAddress": account.email,
        "avatarUrls": {"48x48": f"{site.base_url}/avatar/48.png"},
        "locale": "en_US",
        "groups": {"size": 1, "items": []},
        "applicationRoles": {"size": 1, "items": []},
        "expand": "groups,applicationRoles",
    }
    return Response(body=user)


def fields(req: Request) -> Response:
    api_version(req)
    return Response(body=field_list(req.site))


def _encode_token(offset: int, jql_text: str) -> str:
    raw = json.dumps({"o": offset, "q": jql_text}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str, jql_text: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if data["q"] == jql_text:
            return int(data["o"])
    except (ValueError, KeyError, TypeError):
        pass
    raise HttpError(400, jira_error("The provided next page token is invalid or expired."))


def _search_params(req: Request) -> dict[str, Any]:
    if req.method == "POST":
        body = req.json() or {}
        if not isinstance(body, dict):
            raise HttpError(400, jira_error("Request body must be a JSON object."))
        wanted = body.get("fields") or []
        return {
            "jql": body.get("jql") or "",
            "nextPageToken": body.get("nextPageToken"),
            "maxResults": body.get("maxResults", 50),
            "fields": wanted if isinstance(wanted, list) else str(wanted).split(","),
            "expand": body.get("expand") or "",
        }
    return {
        "jql": req.arg("jql", "") or "",
        "nextPageToken": req.arg("nextPageToken"),
        "maxResults": req.int_arg("maxResults", 50),
        "fields": req.args("fields"),
        "expand": req.arg("expand", "") or "",
    }


def parse_jql(site: Site, text: str) -> jql.Query:
    def current_key(key: str) -> str | None:
        current = site.current_key(key)
        return current if current in site.issues else None

    with site.lock:
        return jql.parse(text, site.account.time_zone, keys=current_key, site=site)


def _matching(site: Site, jql_text: str, query: jql.Query) -> list[dict[str, Any]]:
    """The sorted matches, cached while no issue changes (paging re-asks the same query)."""
    with site.lock:
        key = (jql_text, site.revision, len(site.issues))
        if key not in site.search_cache:
            try:
                matched = query.sort(query.select(site))
            except jql.JqlError as exc:
                raise HttpError(400, jira_error(str(exc))) from None
            if len(site.search_cache) > 32:
                site.search_cache.clear()
            site.search_cache[key] = matched
        return site.search_cache[key]


def _cloud_search(req: Request) -> tuple[str, Site, dict[str, Any], jql.Query]:
    """Cloud's enhanced search (v2 and v3 alike); Data Center has none (404)."""
    version = api_version(req)
    site = req.site
    if not site.is_cloud:
        raise HttpError(404, jira_error("null for uri: " + req.path))
    params = _search_params(req)
    try:
        query = parse_jql(site, params["jql"])
    except jql.JqlError as exc:
        raise HttpError(400, jira_error(str(exc))) from None
    if query.predicate is None:
        raise HttpError(
            400,
            jira_error(
                "Unbounded JQL queries are not allowed here. Please add a search restriction "
                "to your query."
            ),
        )
    return version, site, params, query


def _hoist_names(page: list[dict[str, Any]]) -> dict[str, Any]:
    """A search answers `names` and `schema` once, beside the issues, not in each issue."""
    hoisted: dict[str, Any] = {}
    for issue in page:
        for key in ("names", "schema"):
            if key in issue:
                hoisted.setdefault(key, {}).update(issue.pop(key))
    return hoisted


def approximate_count(req: Request) -> Response:
    """POST /search/approximate-count: {"count": N} for a bounded query."""
    _, site, params, query = _cloud_search(req)
    return Response(body={"count": len(_matching(site, params["jql"], query))})


def search_jql(req: Request) -> Response:
    version, site, params, query = _cloud_search(req)
    wanted = [w.strip() for w in params["fields"] if w.strip()]
    only_ids = not wanted or set(wanted) <= {"id", "key"}
    cap = SEARCH_MAX_ID_ONLY if only_ids else SEARCH_MAX
    max_results = max(1, min(int(params["maxResults"] or 50), cap))
    offset = _decode_token(params["nextPageToken"], params["jql"]) if params["nextPageToken"] else 0
    matched = _matching(site, params["jql"], query)
    with site.lock:
        page = [issue_view(site, i, wanted, params["expand"], version)
                for i in matched[offset : offset + max_results]]
    body: dict[str, Any] = {"issues": page, **_hoist_names(page)}
    if offset + max_results < len(matched):
        body["nextPageToken"] = _encode_token(offset + max_results, params["jql"])
        body["isLast"] = False
    else:
        body["isLast"] = True
    return Response(body=body)


def _issue_or_404(site: Site, id_or_key: str) -> dict[str, Any]:
    issue = site.issue_by_id_or_key(id_or_key)
    if issue is None:
        raise HttpError(
            404,
            jira_error("Issue does not exist or you do not have permission to see it."),
        )
    return issue


def get_issue(req: Request) -> Response:
    version = api_version(req)
    with req.site.lock:
        issue = _issue_or_404(req.site, req.params["issueIdOrKey"])
        return Response(body=issue_view(req.site, issue, req.args("fields") or ["*all"],
                                        req.arg("expand") or "", version))


def offset_search(req: Request) -> Response:
    """The old /search: removed on Cloud (410), the only search on Data Center."""
    api_version(req)
    site = req.site
    if site.is_cloud:
        raise HttpError(410, jira_error(
            "The requested API has been removed. Please migrate to the /rest/api/3/search/jql "
            "API. A full migration guideline is available at "
            "https://developer.atlassian.com/changelog/#CHANGE-2046"))
    if req.method == "POST":
        body = req.json() or {}
        jql_text, start = body.get("jql") or "", int(body.get("startAt") or 0)
        size, wanted = int(body.get("maxResults") or 50), body.get("fields") or ["*navigable"]
        expand = body.get("expand") or ""
        expand = ",".join(expand) if isinstance(expand, list) else expand
    else:
        jql_text, start = req.arg("jql", "") or "", req.int_arg("startAt", 0)
        size, wanted = req.int_arg("maxResults", 50), req.args("fields") or ["*navigable"]
        expand = req.arg("expand") or ""
    try:
        query = parse_jql(site, jql_text)
    except jql.JqlError as exc:
        raise HttpError(400, jira_error(str(exc))) from None
    matched = _matching(site, jql_text, query)
    size = max(0, min(size, SEARCH_MAX))
    with site.lock:
        page = [issue_view(site, i, wanted, expand, "2") for i in matched[start: start + size]]
    return Response(body={**_hoist_names(page), "expand": "schema,names", "startAt": start,
                          "maxResults": size,
                          "total": len(matched), "issues": page})


def changelog(req: Request) -> Response:
    """Cloud only (v2 and v3 alike); Data Center has no changelog resource: expand=changelog."""
    api_version(req)
    site = req.site
    if not site.is_cloud:
        raise HttpError(404, jira_error("null for uri: " + req.path))
    issue = _issue_or_404(site, req.params["issueIdOrKey"])
    start = req.int_arg("startAt", 0)
    size = max(1, min(req.int_arg("maxResults", 100), 100))
    with site.lock:
        histories = list(site.histories.get(issue["key"], []))
    page = histories[start: start + size]
    last = start + len(page) >= len(histories)
    body = {"self": f"{site.base_url}/rest/api/3/issue/{issue['key']}/changelog"
                    f"?startAt={start}&maxResults={size}",
            "maxResults": size, "startAt": start, "total": len(histories), "isLast": last,
            "values": [history_view(site, h) for h in page]}
    if not last:
        body["nextPage"] = (f"{site.base_url}/rest/api/3/issue/{issue['key']}/changelog"
                            f"?startAt={start + size}&maxResults={size}")
    return Response(body=body)


def delete_issue(req: Request) -> Response:
    """DELETE /issue/{key}: 204; an issue with subtasks needs deleteSubtasks=true."""
    api_version(req)
    site = req.site
    with site.lock:
        issue = _issue_or_404(site, req.params["issueIdOrKey"])
        subtasks = [i["key"] for i in site.issues.values()
                    if (i["fields"].get("parent") or {}).get("id") == issue["id"]
                    and i["fields"]["issuetype"].get("subtask")]
        if subtasks and (req.arg("deleteSubtasks") or "false").lower() != "true":
            raise HttpError(400, jira_error(
                f"The issue '{issue['key']}' has subtasks.  You must specify the "
                "'deleteSubtasks' parameter to delete this issue and all its subtasks."))
        for key in subtasks:
            site.delete_issue(key)
        site.delete_issue(issue["key"])
    return Response(204)


def _comments(handler):
    def route_handler(req: Request) -> Response:
        version = api_version(req)
        issue = _issue_or_404(req.site, req.params["issueIdOrKey"])
        return handler(req, issue, version)

    return route_handler


def _versioned_links(handler):
    def route_handler(req: Request) -> Response:
        response = handler(req)
        version = req.params.get("version") or ("3" if req.site.is_cloud else "2")
        if response.status < 300:
            with req.site.lock:
                response.body = versioned(response.body, req.site, version)
        return response

    return route_handler


_ROUTES = [
    route("GET", "/rest/api/{version}/serverInfo", server_info, auth=False),
    route("GET", "/rest/api/{version}/myself", myself),
    route("GET", "/rest/api/{version}/field", fields),
    route("GET", "/rest/api/{version}/search/jql", search_jql),
    route("POST", "/rest/api/{version}/search/jql", search_jql),
    route("POST", "/rest/api/{version}/search/approximate-count", approximate_count),
    route("GET", "/rest/api/{version}/search", offset_search),
    route("POST", "/rest/api/{version}/search", offset_search),
    route("GET", "/rest/api/{version}/issue/{issueIdOrKey}", get_issue),
    route("DELETE", "/rest/api/{version}/issue/{issueIdOrKey}", delete_issue),
    route("GET", "/rest/api/{version}/issue/{issueIdOrKey}/changelog", changelog),
    route("GET", "/rest/api/{version}/issue/{issueIdOrKey}/comment",
          _comments(jira_comments.list_comments)),
    route("POST", "/rest/api/{version}/issue/{issueIdOrKey}/comment",
          _comments(jira_comments.add_comment)),
    route("PUT", "/rest/api/{version}/issue/{issueIdOrKey}/comment/{id}",
          _comments(jira_comments.update_comment)),
    route("DELETE", "/rest/api/{version}/issue/{issueIdOrKey}/comment/{id}",
          _comments(jira_comments.delete_comment)),
    *jira_meta.ROUTES,
    *jira_writes.ROUTES,
    *jira_agile.ROUTES,
]
ROUTES = [replace(r, handler=_versioned_links(r.handler)) for r in _ROUTES]
