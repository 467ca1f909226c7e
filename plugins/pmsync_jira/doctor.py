"""`pmsync doctor` for Jira: credentials, project permissions, fields, the pages space.

Project permissions come from ``mypermissions`` (the account's own, per project);
Confluence Cloud lists the operations the account may perform in a space
(``/wiki/api/v2/spaces/{id}/operations``). Data Center has no such call, so there
the space is only looked up. Product lines are counted with Cloud's
``search/approximate-count`` or, on Data Center, a ``search`` of zero results.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pmsync.doctor import Check
from pmsync.errors import PmsyncError
from pmsync.kit.errors import HttpError
from pmsync.model import Selector
from pmsync_jira import mapping

# What pmsync does in a project: read its issues, post its alert comments, edit them.
NEEDED = {"BROWSE_PROJECTS": "Browse Projects", "ADD_COMMENTS": "Add Comments",
          "EDIT_OWN_COMMENTS": "Edit Own Comments"}
# Confluence: publishing creates and updates pages (the "Add" page permission covers both)
# and attaches the timeline charts.
SPACE_OPERATIONS = {("create", "page"): "add pages", ("create", "attachment"): "add attachments"}
JQL_FIELDS = {"project": "project", "component": "component", "label": "labels"}


class JiraDoctor:
    def __init__(self, connector: Any):
        self.connector = connector
        self.site = connector.site
        self.name = connector.name

    def _check(self, status: str, text: str) -> Check:
        return Check(self.name, status, text)  # type: ignore[arg-type]

    def checks(self) -> Iterator[Check]:
        try:
            who = self.connector.check_auth()
        except PmsyncError as exc:
            yield Check(self.name, "fail", str(exc), exc.exit_code)
            return
        kind = "Jira Cloud" if self.site.is_cloud else "Jira Data Center"
        yield self._check("ok", f"credentials: signed in to {kind} at {self.site.url} as {who}")
        try:
            yield from self._projects()
            yield from self._fields()
            if self.connector.publishes_pages:
                yield from self._space()
        except PmsyncError as exc:
            yield Check(self.name, "fail", str(exc), exc.exit_code)

    def _projects(self) -> Iterator[Check]:
        where = self.connector.tracker.where("projects")
        for project in self.connector.projects:
            try:
                body = self.site.call(
                    "GET", f"/rest/api/{self.site.api}/mypermissions", "reading your permissions",
                    params={"projectKey": project, "permissions": ",".join(NEEDED)})
            except HttpError as exc:
                if exc.status != 404:
                    raise
                yield self._check("fail", f"project {project}: not found or not visible to this "
                                  f"account; fix {where} or ask for Browse Projects on it")
                continue
            granted = body.get("permissions") or {}
            missing = [label for key, label in NEEDED.items()
                       if not (granted.get(key) or {}).get("havePermission")]
            if missing:
                yield self._check("fail", f"project {project}: this account lacks "
                                  f"{', '.join(missing)}; ask a Jira admin to grant it in "
                                  f"{project}'s permission scheme")
            else:
                yield self._check("ok", f"project {project}: may browse, add comments and edit "
                                  "its own comments")

    def _fields(self) -> Iterator[Check]:
        ids = mapping.discover_fields(self.site.fields(), self.connector.tracker.options)
        found = {"Sprint": ids.sprint, "Story points": ", ".join(ids.story_points) or None,
                 "Start date": ids.start_date, "Epic Link": ids.epic_link}
        named = ", ".join(f"{label} = {fid}" for label, fid in found.items() if fid)
        yield self._check("ok", f"custom fields found: {named or 'none'}")
        advice = {"Sprint": "sprint reviews stay empty; set sprint_field",
                  "Story points": "velocity counts items, not points; set story_points_field",
                  "Start date": "timeline bars start at the first sprint; set start_date_field"}
        for label, why in advice.items():
            if not found[label]:
                yield self._check("warn", f"no {label} field found: {why} if the site has one")

    def _space(self) -> Iterator[Check]:
        pages = self.connector.pages()
        key = pages.space_key
        if not self.site.is_cloud:
            self.site.call("GET", f"{pages.base}/rest/api/space/{key}", "looking up the space")
            yield self._check("warn", f"Confluence space {key}: found; Data Center cannot list "
                              "your space permissions, so the first `pmsync report` proves them")
            return
        body = self.site.call("GET", f"{pages.base}/api/v2/spaces/{pages.space_id()}/operations",
                              "reading your space permissions")
        allowed = {(o.get("operation"), o.get("targetType")) for o in body.get("operations") or ()}
        missing = [label for op, label in SPACE_OPERATIONS.items() if op not in allowed]
        if missing:
            yield self._check("fail", f"Confluence space {key}: this account may not "
                              f"{' or '.join(missing)}; ask a space admin to grant it")
        else:
            yield self._check("ok", f"Confluence space {key}: may create and edit pages and "
                              "attach files")

    def count(self, selector: Selector) -> int | None:
        clauses = []
        for facet, value in selector.facets:
            if facet not in JQL_FIELDS:
                return None  # a board's filter: only a sync knows
            quoted = value.replace("\\", "\\\\").replace('"', '\\"')
            clauses.append(f'{JQL_FIELDS[facet]} = "{quoted}"')
        if not clauses:
            clauses = [f"project in ({', '.join(self.connector.projects)})"]
        jql = " AND ".join(clauses)
        if self.site.is_cloud:
            body = self.site.call("POST", "/rest/api/3/search/approximate-count",
                                  "counting issues", body={"jql": jql})
            return int(body.get("count") or 0)
        body = self.site.call("GET", "/rest/api/2/search", "counting issues",
                              params={"jql": jql, "maxResults": 0})
        return int(body.get("total") or 0)

    def page_target(self) -> str:
        space = self.connector.tracker.options.get("pages_space")
        return f"Confluence space {space}" if space else "no pages (pages_space is not set)"
