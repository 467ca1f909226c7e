"""The site's field catalogue, as GET /rest/api/{2,3}/field lists it.

One list serves /field, the `names` and `schema` expansions, and JQL's field lookup
(clause names, cf[NNNNN], display names), so a field exists in all three or in none.
"""

from __future__ import annotations

from typing import Any

from pmsync.sandbox.site import FLAGGED_ID, FLOAT_TYPE, Site

# System fields: (id, display name, schema type, items, JQL clause names)
SYSTEM_FIELDS = [
    ("summary", "Summary", "string", None, ("summary",)),
    ("description", "Description", "string", None, ("description",)),
    ("environment", "Environment", "string", None, ("environment",)),
    ("status", "Status", "status", None, ("status",)),
    ("statusCategory", "Status Category", "statusCategory", None, ("statusCategory",)),
    ("issuetype", "Issue Type", "issuetype", None, ("issuetype", "type")),
    ("parent", "Parent", "issuelink", None, ("parent",)),
    ("project", "Project", "project", None, ("project",)),
    ("issuekey", "Key", "string", None, ("id", "issue", "issuekey", "key")),
    ("duedate", "Due date", "date", None, ("due", "duedate")),
    ("labels", "Labels", "array", "string", ("labels",)),
    ("components", "Components", "array", "component", ("component",)),
    ("assignee", "Assignee", "user", None, ("assignee",)),
    ("reporter", "Reporter", "user", None, ("reporter",)),
    ("creator", "Creator", "user", None, ("creator",)),
    ("fixVersions", "Fix versions", "array", "version", ("fixVersion",)),
    ("versions", "Affects versions", "array", "version", ("affectedVersion",)),
    ("issuelinks", "Linked Issues", "array", "issuelinks", ("issueLink",)),
    ("subtasks", "Sub-tasks", "array", "issuelinks", ("subtasks",)),
    ("resolution", "Resolution", "resolution", None, ("resolution",)),
    ("resolutiondate", "Resolved", "datetime", None, ("resolutiondate", "resolved")),
    ("created", "Created", "datetime", None, ("created", "createdDate")),
    ("updated", "Updated", "datetime", None, ("updated", "updatedDate")),
    ("statuscategorychangedate", "Status Category Changed", "datetime", None,
     ("statusCategoryChangedDate",)),
    ("lastViewed", "Last Viewed", "datetime", None, ("lastViewed",)),
    ("priority", "Priority", "priority", None, ("priority",)),
    ("comment", "Comment", "comments-page", None, ("comment",)),
    ("worklog", "Log Work", "array", "worklog", ()),
    ("timetracking", "Time tracking", "timetracking", None, ()),
    ("timespent", "Time Spent", "number", None, ("timespent",)),
    ("timeestimate", "Remaining Estimate", "number", None, ("remainingEstimate",)),
    ("timeoriginalestimate", "Original estimate", "number", None, ("originalEstimate",)),
    ("aggregatetimespent", "Σ Time Spent", "number", None, ()),
    ("progress", "Progress", "progress", None, ("progress",)),
    ("aggregateprogress", "Σ Progress", "progress", None, ()),
    ("workratio", "Work Ratio", "number", None, ("workratio",)),
    ("votes", "Votes", "votes", None, ("votes",)),
    ("watches", "Watchers", "watches", None, ("watchers",)),
    ("attachment", "Attachment", "array", "attachment", ("attachments",)),
    ("security", "Security Level", "securitylevel", None, ("level",)),
]
NOT_NAVIGABLE = {"issuekey", "statusCategory"}  # searchable, never returned as a field


def _system_field(fid: str, name: str, schema_type: str, items: str | None,
                  clauses: tuple[str, ...]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": schema_type, "system": fid}
    if items:
        schema["items"] = items
    return {
        "id": fid, "key": fid, "name": name, "custom": False, "orderable": True,
        "navigable": fid not in NOT_NAVIGABLE, "searchable": bool(clauses),
        "clauseNames": list(clauses), "schema": schema,
    }


def _custom_field(fid: str, name: str, schema: dict[str, Any]) -> dict[str, Any]:
    number = int(fid.split("_")[1])
    return {
        "id": fid, "key": fid, "name": name, "custom": True,
        "orderable": True, "navigable": True, "searchable": True,
        "clauseNames": [f"cf[{number}]", name], "schema": {**schema, "customId": number},
    }


def field_list(site: Site) -> list[dict[str, Any]]:
    ids, names = site.field_ids, site.field_names
    custom = [
        _custom_field(ids["sprint"], names["sprint"], {
            "type": "array", "items": "json" if site.is_cloud else "string",
            "custom": "com.pyxis.greenhopper.jira:gh-sprint"}),
        _custom_field(ids["story_points"], names["story_points"], {
            "type": "number", "custom": FLOAT_TYPE}),
        _custom_field(ids["start_date"], names["start_date"], {
            "type": "date",
            "custom": "com.atlassian.jira.plugin.system.customfieldtypes:datepicker"}),
        _custom_field("customfield_10019", "Rank", {
            "type": "any", "custom": "com.pyxis.greenhopper.jira:gh-lexo-rank"}),
        _custom_field(FLAGGED_ID, "Flagged", {
            "type": "array", "items": "option",
            "custom": "com.atlassian.jira.plugin.system.customfieldtypes:multicheckboxes"}),
        *(_custom_field(fid, name, {"type": "number", "custom": FLOAT_TYPE})
          for fid, name in site.decoy_fields.items()),
    ]
    if site.is_cloud:
        custom.append(_custom_field(ids["story_point_estimate"], names["story_point_estimate"], {
            "type": "number", "custom": "com.pyxis.greenhopper.jira:jsw-story-points"}))
    else:
        custom.append(_custom_field(ids["epic_link"], names["epic_link"], {
            "type": "any", "custom": "com.pyxis.greenhopper.jira:gh-epic-link"}))
    return [_system_field(*spec) for spec in SYSTEM_FIELDS] + custom


def field_by_clause(site: Site, clause: str) -> dict[str, Any] | None:
    """The field a JQL clause names: a clause name, cf[NNNNN], an id, or a display name."""
    wanted = clause.lower()
    for candidate in field_list(site):
        names = [c.lower() for c in candidate["clauseNames"]]
        if wanted in names or wanted == candidate["id"].lower() or (
                candidate["custom"] and wanted == candidate["name"].lower()):
            return candidate
    return None
