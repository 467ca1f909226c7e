"""`pmsync doctor` for ClickUp: the token, the workspace, its spaces, the Epic task type,
the custom fields that carry cross-tracker links, and the reports Doc.

ClickUp has no call that lists what a token may do; what is checkable is what it can
see: the workspace among the token's teams (and the member's role, where ClickUp
sends it: a guest cannot create Docs in a space), the spaces, and the Doc (found and
readable, or created on the first report). Product lines are counted with the workspace
task search over the Lists they select.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pmsync.doctor import Check
from pmsync.errors import PmsyncError
from pmsync.kit.paginate import PageNumberPaginator, paginate, records_at
from pmsync.model import Selector
from pmsync_clickup import mapping
from pmsync_clickup.docs import SPACE

GUEST = 4  # ClickUp's member roles: 1 owner, 2 admin, 3 member, 4 guest


class ClickUpDoctor:
    def __init__(self, connector: Any):
        self.connector = connector
        self.http = connector.http
        self.name = connector.name
        self.options = connector.tracker.options
        self._state: dict[str, Any] | None = None

    def checks(self) -> Iterator[Check]:
        try:
            teams = self.http.request("GET", "/v2/team", "checking the token").get("teams") or []
        except PmsyncError as exc:
            yield Check(self.name, "fail", str(exc), exc.exit_code)
            return
        team = next((t for t in teams if str(t["id"]) == self.connector.team_id), None)
        if team is None:
            known = ", ".join(f"{t['id']} ({t['name']})" for t in teams) or "none"
            yield Check(self.name, "fail", f"{self.connector.tracker.where('team_id')}: workspace "
                        f"{self.connector.team_id} is not visible to this token; visible: {known}")
            return
        yield Check(self.name, "ok", f"credentials: the token sees workspace {team['name']} "
                    f"({team['id']})")
        roles = {m.get("user", {}).get("role") for m in team.get("members") or ()} - {None}
        try:
            yield from self._spaces(roles)
            yield from self._fields()
        except PmsyncError as exc:
            yield Check(self.name, "fail", str(exc), exc.exit_code)

    def _spaces(self, roles: set[int]) -> Iterator[Check]:
        spaces = self.http.request("GET", f"/v2/team/{self.connector.team_id}/space",
                                "listing spaces", params={"archived": "false"}).get("spaces") or []
        names = {s["name"] for s in spaces} | {str(s["id"]) for s in spaces}
        wanted = list(self.options.get("spaces") or ())
        missing = [s for s in wanted if s not in names]
        if missing:
            yield Check(self.name, "fail", f"{self.connector.tracker.where('spaces')}: no space "
                        f"{', '.join(map(repr, missing))}; spaces: "
                        f"{', '.join(sorted(s['name'] for s in spaces))}")
        else:
            yield Check(self.name, "ok", f"spaces: {len(spaces)} visible"
                        + (f", syncing {', '.join(wanted)}" if wanted else ", syncing all"))
        doc_space = self.options.get("docs_space")
        space = next((s for s in spaces if doc_space in (None, s["name"], str(s["id"]))), None)
        doc_name = self.options.get("doc_name", "pmsync reports")
        if space is None:
            yield Check(self.name, "fail", f"{self.connector.tracker.where('docs_space')}: no "
                        f"space {doc_space!r} for the reports Doc")
            return
        if roles and roles <= {GUEST}:
            yield Check(self.name, "fail", "the token's user is a guest of the workspace: "
                        "guests cannot create Docs; use a member's token")
            return
        base = f"/v3/workspaces/{self.connector.team_id}/docs"
        docs = self.http.request("GET", base, "finding the reports Doc", params={
            "parent_id": str(space["id"]), "parent_type": SPACE, "deleted": "false",
            "archived": "false"}).get("docs") or []
        doc = next((d for d in docs if d.get("name") == doc_name), None)
        if doc is None:
            yield Check(self.name, "ok", f"Doc {doc_name!r}: not there yet; the first report "
                        f"creates it in space {space['name']}")
            return
        pages = self.http.request("GET", f"{base}/{doc['id']}/pages", "reading the reports Doc",
                               params={"max_page_depth": -1}) or []
        yield Check(self.name, "ok", f"Doc {doc_name!r} in space {space['name']}: readable, "
                    f"{len(pages)} top-level pages")

    def _fields(self) -> Iterator[Check]:
        """The Epic task type and the link fields, on the first lists that have them."""
        state = self._hierarchy()
        type_name = self.options.get("epic_task_type", "Epic")
        tag = self.options.get("epic_tag", "epic")
        if state.get("epic_item_id") is not None:
            yield Check(self.name, "ok", f"epics: task type {type_name!r} "
                        f"(id {state['epic_item_id']}) or tag {tag!r}")
        else:
            yield Check(self.name, "warn", f"no custom task type {type_name!r}: only tasks "
                        f"tagged {tag!r} are epics")
        wanted = [f for f in (self.options.get("waits_on_field", "Waits on (Jira)"),
                              self.options.get("blocks_field")) if f]
        found: dict[str, str] = {}
        for list_id in list(state["lists"])[:10]:  # custom fields are usually space-wide
            fields = self.http.request("GET", f"/v2/list/{list_id}/field", "listing custom fields")
            for field in fields.get("fields") or ():
                if field.get("name") in wanted:
                    found.setdefault(field["name"], str(field.get("id")))
            if len(found) == len(wanted):
                break
        for name in wanted:
            if name in found:
                yield Check(self.name, "ok", f"custom field {name!r} found ({found[name]})")
            else:
                yield Check(self.name, "warn", f"custom field {name!r} not found on the first "
                            "lists: links to the other tracker written there are missed")
        yield Check(self.name, "ok", f"{len(state['lists'])} lists, "
                    f"{len(state['sprint_lists'])} of them sprints")

    def _hierarchy(self) -> dict[str, Any]:
        if self._state is None:
            self._state = self.connector._hierarchy()
        return self._state

    def count(self, selector: Selector) -> int | None:
        """Tasks in the Lists the selector matches, closed ones and subtasks included (as a
        sync reads them), from the workspace task search. A tag needs each task: None."""
        if any(facet == "tag" for facet, _ in selector.facets):
            return None
        lists = [lid for lid, lst in self._hierarchy()["lists"].items()
                 if all(pair in mapping.list_facets(lst) for pair in selector.facets)]
        if not lists:
            return 0
        pages = paginate(lambda page: self.http.request(
            "GET", f"/v2/team/{self.connector.team_id}/task", "counting tasks", params={
                "page": page, "include_closed": "true", "subtasks": "true",
                "list_ids[]": lists}), PageNumberPaginator(records_at("tasks"), 100))
        return sum(len(page) for page in pages)

    def page_target(self) -> str:
        return f"Doc {self.options.get('doc_name', 'pmsync reports')!r}"
