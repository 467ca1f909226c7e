"""What the account may do, as the vendors answer it (for `pmsync doctor`).

- Jira (Cloud v2/v3, Data Center v2): ``GET /rest/api/{v}/mypermissions?projectKey=&permissions=``
  → ``{"permissions": {KEY: {id, key, name, type, description, havePermission}}}``; the
  ``permissions`` parameter is required (400 without it), an unknown project is a 404.
- Jira Cloud's ``POST /rest/api/{2,3}/search/approximate-count`` lives with the search (jira_api).
- Confluence Cloud v2: ``GET /wiki/api/v2/spaces/{id}/operations`` → the operations the
  caller may perform in the space, ``{"operations": [{"operation", "targetType"}]}``.
- Confluence v1 (Data Center at the root, Cloud under /wiki): ``GET /rest/api/space/{key}``.

``site.denied`` takes permissions away: Jira keys ("ADD_COMMENTS") or Confluence
operations ("create:page").
"""

from __future__ import annotations

from typing import Any

from pmsync.sandbox.atlassian import jira_error
from pmsync.sandbox.confluence_v1 import v1_error
from pmsync.sandbox.jira_api import api_version
from pmsync.sandbox.server import HttpError, Request, Response, route

JIRA_PERMISSIONS = {  # key: (id, name, description), as Jira names its project permissions
    "BROWSE_PROJECTS": ("10", "Browse Projects",
                        "Ability to browse projects and the issues within them."),
    "CREATE_ISSUES": ("11", "Create Issues", "Ability to create issues."),
    "EDIT_ISSUES": ("12", "Edit Issues", "Ability to edit issues."),
    "ADD_COMMENTS": ("15", "Add Comments", "Ability to comment on issues."),
    "EDIT_ALL_COMMENTS": ("34", "Edit All Comments", "Ability to edit all comments made on issues."),
    "EDIT_OWN_COMMENTS": ("35", "Edit Own Comments",
                          "Ability to edit own comments made on issues."),
}
SPACE_OPERATIONS = [("read", "space"), ("create", "page"), ("create", "blogpost"),
                    ("create", "comment"), ("create", "attachment"), ("delete", "page"),
                    ("export", "space")]


def my_permissions(req: Request) -> Response:
    api_version(req)
    site = req.site
    wanted = req.args("permissions")
    if not wanted:
        raise HttpError(400, jira_error("The 'permissions' query parameter is required."))
    unknown = [key for key in wanted if key not in JIRA_PERMISSIONS]
    if unknown:
        raise HttpError(400, jira_error(f"Invalid permission key: {unknown[0]}"))
    project = req.arg("projectKey")
    if project is not None and project not in site.projects:
        raise HttpError(404, jira_error(f"No project could be found with key '{project}'."))
    permissions: dict[str, Any] = {}
    for key in wanted:
        pid, name, description = JIRA_PERMISSIONS[key]
        permissions[key] = {"id": pid, "key": key, "name": name, "type": "PROJECT",
                            "description": description, "havePermission": key not in site.denied}
    return Response(body={"permissions": permissions})


def space_operations(req: Request) -> Response:
    space = req.site.spaces.get(req.params["id"])
    if space is None:
        raise HttpError(404, {"errors": [{"status": 404, "code": "NOT_FOUND",
                                          "title": "Space not found", "detail": None}]})
    allowed = [{"operation": op, "targetType": target} for op, target in SPACE_OPERATIONS
               if f"{op}:{target}" not in req.site.denied]
    return Response(body={"operations": allowed})


def v1_space(req: Request) -> Response:
    site = req.site
    space = next((s for s in site.spaces.values() if s["key"] == req.params["spaceKey"]), None)
    if space is None:
        raise v1_error(404, f"No space with key : {req.params['spaceKey']}")
    return Response(body={"id": int(space["id"]), "key": space["key"], "name": space["name"],
                          "type": "global", "status": "current",
                          "_links": {"webui": f"/spaces/{space['key']}",
                                     "base": site.base_url + "/wiki", "context": "/wiki"}})


ROUTES = [
    route("GET", "/rest/api/{version}/mypermissions", my_permissions),
    route("GET", "/wiki/api/v2/spaces/{id}/operations", space_operations),
    *(route("GET", f"{prefix}/rest/api/space/{{spaceKey}}", v1_space) for prefix in ("", "/wiki")),
]
