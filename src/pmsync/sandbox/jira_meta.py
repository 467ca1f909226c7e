"""Jira platform metadata: projects, their versions and components, statuses, priorities,
resolutions, roles, groups, users, issue types and links, as Atlassian documents them.

Paged resources (project/search, project/{id}/version and /component, group/member)
answer with a PageBean: {self, nextPage?, maxResults, startAt, total, isLast, values}.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from pmsync.sandbox.atlassian import jira_error
from pmsync.sandbox.server import HttpError, Request, Response, route
from pmsync.sandbox.site import ISSUE_TYPES, LINK_TYPES, STATUS_CATEGORIES, STATUSES, Site

PRIORITIES = [("1", "Highest", "#d04437"), ("2", "High", "#f15C75"), ("3", "Medium", "#f79232"),
              ("4", "Low", "#707070"), ("5", "Lowest", "#999999")]
RESOLUTIONS = [("10000", "Done", "Work has been completed on this issue."),
               ("10001", "Won't Do", "This issue won't be actioned."),
               ("10002", "Duplicate", "The problem is a duplicate of an existing issue."),
               ("10003", "Cannot Reproduce", "All attempts at reproducing this issue failed.")]
ROLES = [("10002", "Administrators", "A project role that represents administrators in a project"),
         ("10100", "Developers", "A project role that represents developers in a project")]
GROUPS = {"jira-administrators": "admins", "jira-software-users": "everyone",
          "jira-users": "everyone", "site-admins": "admins"}
CATEGORY = {"id": "10000", "name": "Products", "description": "The product lines"}


def api_version(req: Request) -> str:
    version = req.params.get("version", "3")
    if version not in ("2", "3", "latest") or (version == "3" and not req.site.is_cloud):
        raise HttpError(404, jira_error("null for uri: " + req.path))
    return "3" if version == "latest" and req.site.is_cloud else version


def page_bean(req: Request, values: list[Any], default_size: int = 50,
              max_size: int = 100) -> dict[str, Any]:
    start = max(0, req.int_arg("startAt", 0))
    size = max(1, min(req.int_arg("maxResults", default_size), max_size))
    page = values[start: start + size]
    last = start + len(page) >= len(values)
    query = {k: v[0] for k, v in req.query.items() if k not in ("startAt", "maxResults")}
    here = f"{req.site.base_url}{req.path}"
    body: dict[str, Any] = {
        "self": f"{here}?{urlencode({**query, 'startAt': start, 'maxResults': size})}",
        "maxResults": size, "startAt": start, "total": len(values), "isLast": last,
        "values": page}
    if not last:
        body["nextPage"] = f"{here}?{urlencode({**query, 'startAt': start + size, 'maxResults': size})}"
    return body


def project_or_404(site: Site, key_or_id: str) -> dict[str, Any]:
    wanted = key_or_id.upper()
    project = next((p for p in site.projects.values() if wanted in (p["key"], p["id"])), None)
    if project is None:
        raise HttpError(404, jira_error(f"No project could be found with key '{key_or_id}'."))
    return project


def project_view(site: Site, project: dict[str, Any], full: bool = False) -> dict[str, Any]:
    base = site.base_url
    view = {
        "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
        **project,
        "avatarUrls": {size: f"{base}/rest/api/3/universal_avatar/view/type/project/avatar/"
                             f"10400?size={name}"
                       for size, name in (("48x48", "large"), ("24x24", "small"),
                                          ("16x16", "xsmall"), ("32x32", "medium"))},
        "projectCategory": {"self": f"{base}/rest/api/3/projectCategory/{CATEGORY['id']}",
                            **CATEGORY},
        "isPrivate": False, "properties": {},
    }
    if full:
        view.update(
            description=f"The {project['name']} product line.", lead=site.user_ref(),
            components=components(site, project), assigneeType="UNASSIGNED", url="",
            issueTypes=[site.issuetype_field(name) for name in ISSUE_TYPES],
            versions=site.versions.get(project["key"], []),
            roles={name: f"{base}/rest/api/3/project/{project['id']}/role/{role_id}"
                   for role_id, name, _ in ROLES})
    return view


def components(site: Site, project: dict[str, Any]) -> list[dict[str, Any]]:
    """The project's components: those it defines, and any an issue of it carries."""
    names = sorted({*site.components.get(project["key"], ()),
                    *(c["name"] for i in site.issues.values()
                      if i["fields"]["project"]["key"] == project["key"]
                      for c in i["fields"]["components"])})
    return [site.component(project, name) for name in names]


def list_projects(req: Request) -> Response:
    api_version(req)
    site = req.site
    return Response(body=[project_view(site, p) for p in site.projects.values()])


def search_projects(req: Request) -> Response:
    """GET /project/search: Cloud only (Data Center lists projects at /project)."""
    api_version(req)
    site = req.site
    if not site.is_cloud:
        raise HttpError(404, jira_error("null for uri: " + req.path))
    query = (req.arg("query") or "").lower()
    keys = set(req.args("keys"))
    chosen = [project_view(site, p) for p in site.projects.values()
              if (not query or query in p["key"].lower() or query in p["name"].lower())
              and (not keys or p["key"] in keys)]
    return Response(body=page_bean(req, chosen))


def get_project(req: Request) -> Response:
    api_version(req)
    site = req.site
    return Response(body=project_view(site, project_or_404(site, req.params["projectIdOrKey"]),
                                      full=True))


def project_versions_paged(req: Request) -> Response:
    api_version(req)
    site = req.site
    project = project_or_404(site, req.params["projectIdOrKey"])
    versions = list(site.versions.get(project["key"], []))
    order = req.arg("orderBy") or ""
    if order.lstrip("+-") in ("name", "releaseDate", "sequence", "startDate"):
        field = {"sequence": "id"}.get(order.lstrip("+-"), order.lstrip("+-"))
        versions.sort(key=lambda v: str(v.get(field) or ""), reverse=order.startswith("-"))
    return Response(body=page_bean(req, versions))


def project_components_paged(req: Request) -> Response:
    api_version(req)
    site = req.site
    project = project_or_404(site, req.params["projectIdOrKey"])
    found = [{**c, "issueCount": sum(1 for i in site.issues.values()
                                     if c["name"] in {x["name"] for x in i["fields"]["components"]}),
              "realAssigneeType": "PROJECT_DEFAULT", "isAssigneeTypeValid": True}
             for c in components(site, project)]
    return Response(body=page_bean(req, found))


def project_components(req: Request) -> Response:
    api_version(req)
    site = req.site
    return Response(body=components(site, project_or_404(site, req.params["projectIdOrKey"])))


def project_types(req: Request) -> Response:
    api_version(req)
    return Response(body=[
        {"key": key, "formattedKey": key.replace("_", " ").title(),
         "descriptionI18nKey": f"jira.project.type.{key}.description", "icon": "PHN2Zz48L3N2Zz4=",
         "color": color}
        for key, color in (("software", "#FF5630"), ("business", "#FFAB00"))])


def project_categories(req: Request) -> Response:
    api_version(req)
    base = req.site.base_url
    return Response(body=[{"self": f"{base}/rest/api/3/projectCategory/{CATEGORY['id']}",
                           **CATEGORY}])


def resolutions(req: Request) -> Response:
    api_version(req)
    base = req.site.base_url
    return Response(body=[{"self": f"{base}/rest/api/3/resolution/{rid}", "id": rid, "name": name,
                           "description": text} for rid, name, text in RESOLUTIONS])


def roles(req: Request) -> Response:
    api_version(req)
    site = req.site
    actor = {"id": 10240, "displayName": site.account.display_name, "type": "atlassian-user-role-actor",
             "actorUser": {"accountId": site.account.account_id}}
    return Response(body=[{"self": f"{site.base_url}/rest/api/3/role/{rid}", "name": name, "id": int(rid),
                           "description": text, "actors": [actor]} for rid, name, text in ROLES])


def priorities(req: Request) -> Response:
    api_version(req)
    return Response(body=[priority(req.site, pid) for pid, _, _ in PRIORITIES])


def priority(site: Site, priority_id: str) -> dict[str, Any]:
    pid, name, color = next(p for p in PRIORITIES if p[0] == priority_id)
    return {"self": f"{site.base_url}/rest/api/3/priority/{pid}", "statusColor": color,
            "description": f"{name} priority", "iconUrl": f"{site.base_url}/images/icons/priorities/"
                                                           f"{name.lower()}.svg",
            "name": name, "id": pid}


def statuses(req: Request) -> Response:
    api_version(req)
    site = req.site
    return Response(body=[{**site.status_field(name), "untranslatedName": name}
                          for name in STATUSES])


def status_categories(req: Request) -> Response:
    api_version(req)
    base = req.site.base_url
    return Response(body=[{"self": f"{base}/rest/api/3/statuscategory/{c['id']}", **c}
                          for c in STATUS_CATEGORIES.values()])


def issue_types(req: Request) -> Response:
    api_version(req)
    return Response(body=[req.site.issuetype_field(name) for name in ISSUE_TYPES])


def group_members(req: Request) -> Response:
    """GET /group/member?groupname=…: a page of users; an unknown group is a 404."""
    api_version(req)
    site = req.site
    name = req.arg("groupname") or ""
    if name not in GROUPS:
        raise HttpError(404, jira_error(f"Group with name '{name}' does not exist."))
    people = site.people() if GROUPS[name] == "everyone" else site.people()[:1]
    return Response(body=page_bean(req, [site.person_ref(p) for p in people]))


def search_users(req: Request) -> Response:
    """GET /user/search: Cloud matches `query`; Data Center `username` (name, display name,
    email); a list, not a page."""
    api_version(req)
    site = req.site
    text = (req.arg("query") if site.is_cloud else req.arg("username") or req.arg("query")) or ""
    if not text:
        raise HttpError(400, jira_error("The query parameter 'query' is required."
                                        if site.is_cloud else
                                        "The username query parameter was not provided"))
    needle = text.lower()
    found = [site.person_ref(p) for p in site.people()
             if needle in p["displayName"].lower() or needle in p["emailAddress"].lower()
             or needle in p["name"].lower() or needle == p["accountId"].lower()]
    start = max(0, req.int_arg("startAt", 0))
    return Response(body=found[start: start + max(1, req.int_arg("maxResults", 50))])


def get_user(req: Request) -> Response:
    api_version(req)
    site = req.site
    wanted = req.arg("accountId") or req.arg("username") or req.arg("key")
    person = next((p for p in site.people() if wanted in (p["accountId"], p["name"], p["key"])),
                  None)
    if person is None:
        raise HttpError(404, jira_error("Specified user does not exist or you do not have "
                                        "required permissions"))
    return Response(body=site.person_ref(person))


def issue_link(req: Request) -> Response:
    api_version(req)
    site = req.site
    link_id = req.params["linkId"]
    with site.lock:
        for issue in site.issues.values():
            for link in issue["fields"]["issuelinks"]:
                if link["id"] == link_id and "outwardIssue" in link:
                    return Response(body={"id": link_id, "self": link["self"],
                                          "type": link["type"],
                                          "inwardIssue": site.issue_ref(issue),
                                          "outwardIssue": link["outwardIssue"]})
    raise HttpError(404, jira_error(f"No issue link with id '{link_id}' exists."))


def link_types(req: Request) -> Response:
    api_version(req)
    base = req.site.base_url
    return Response(body={"issueLinkTypes": [
        dict(t, self=f"{base}/rest/api/3/issueLinkType/{t['id']}") for t in LINK_TYPES]})


def project_versions(req: Request) -> Response:
    api_version(req)
    site = req.site
    return Response(body=site.versions.get(
        project_or_404(site, req.params["projectIdOrKey"])["key"], []))


_P = "/rest/api/{version}"
ROUTES = [
    route("GET", f"{_P}/project", list_projects),
    route("GET", f"{_P}/project/search", search_projects),
    route("GET", f"{_P}/project/type", project_types),
    route("GET", f"{_P}/project/{{projectIdOrKey}}", get_project),
    route("GET", f"{_P}/project/{{projectIdOrKey}}/versions", project_versions),
    route("GET", f"{_P}/project/{{projectIdOrKey}}/version", project_versions_paged),
    route("GET", f"{_P}/project/{{projectIdOrKey}}/components", project_components),
    route("GET", f"{_P}/project/{{projectIdOrKey}}/component", project_components_paged),
    route("GET", f"{_P}/projectCategory", project_categories),
    route("GET", f"{_P}/resolution", resolutions),
    route("GET", f"{_P}/role", roles),
    route("GET", f"{_P}/priority", priorities),
    route("GET", f"{_P}/status", statuses),
    route("GET", f"{_P}/statuscategory", status_categories),
    route("GET", f"{_P}/issuetype", issue_types),
    route("GET", f"{_P}/group/member", group_members),
    route("GET", f"{_P}/user/search", search_users),
    route("GET", f"{_P}/user", get_user),
    route("GET", f"{_P}/issueLink/{{linkId}}", issue_link),
    route("GET", f"{_P}/issueLinkType", link_types),
]
