"""A deterministic portfolio for the sandbox: same seed, size and day → same site.

Three product lines (one Jira project and one scrum board each) with closed,
active and future sprints, epics with due dates, stories with points, and
cross-line "Blocks" links. A few problems are planted on purpose (see PLANTED)
next to controls that must stay silent.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pmsync.sandbox.site import Site, jira_time

PROJECTS = [("PAY", "Payments"), ("MOB", "Mobile"), ("WEB", "Web")]
TEAM_MANAGED = {"WEB"}  # the others are company-managed
SPRINT_DAYS = 14
CLOSED_SPRINTS, FUTURE_SPRINTS = 3, 2



def seed_site(site: Site, *, seed: int = 7, size: int = 60, today: date | None = None) -> Site:
    rng = random.Random(seed)
    today = today or datetime.now(UTC).date()
    # Sprints start at 09:00 UTC; the active one started four days ago.
    active_start = datetime.combine(today - timedelta(days=4), time(9), UTC)
    per_project = max(12, size // len(PROJECTS))
    next_issue_id = 10001
    for number, (key, name) in enumerate(PROJECTS, start=1):
        project = {
            "self": f"{site.base_url}/rest/api/3/project/{10000 + number}",
            "id": str(10000 + number),
            "key": key,
            "name": name,
            "projectTypeKey": "software",
            "simplified": key in TEAM_MANAGED,
            "style": "next-gen" if key in TEAM_MANAGED else "classic",
        }
        site.projects[key] = project
        board_id = number
        site.boards[board_id] = {
            "id": board_id,
            "self": f"{site.base_url}/rest/agile/1.0/board/{board_id}",
            "name": f"{key} board",
            "type": "scrum",
            "location": {
                "projectId": int(project["id"]),
                "displayName": f"{name} ({key})",
                "projectName": name,
                "projectKey": key,
                "projectTypeKey": "software",
                "name": f"{name} ({key})",
            },
        }
        sprints = _make_sprints(site, board_id, key, active_start)
        versions = _make_versions(site, key, project["id"], today)
        next_issue_id = _make_issues(
            site, rng, project, sprints, versions, today, per_project, next_issue_id
        )
    _plant(site, today, per_project)
    space_id = "65537"
    site.spaces[space_id] = {
        "id": space_id,
        "key": "PM",
        "name": "Product Management",
        "type": "global",
        "status": "current",
        "authorId": site.account.account_id,
        "createdAt": jira_time(datetime.combine(today - timedelta(days=400), time(9), UTC)),
        "homepageId": "65538",
        "_links": {"webui": "/spaces/PM"},
    }
    return site


def _make_sprints(site: Site, board_id: int, key: str, active_start: datetime) -> list[dict]:
    sprints = []
    first_start = active_start - timedelta(days=SPRINT_DAYS * CLOSED_SPRINTS)
    for index in range(CLOSED_SPRINTS + 1 + FUTURE_SPRINTS):
        start = first_start + timedelta(days=SPRINT_DAYS * index)
        end = start + timedelta(days=SPRINT_DAYS)
        state = "closed" if index < CLOSED_SPRINTS else "active" if index == CLOSED_SPRINTS else "future"
        sprint_id = len(site.sprints) + 1
        sprint = {
            "id": sprint_id,
            "self": f"{site.base_url}/rest/agile/1.0/sprint/{sprint_id}",
            "state": state,
            "name": f"{key} Sprint {index + 1}",
            "startDate": jira_time(start),
            "endDate": jira_time(end),
            "originBoardId": board_id,
            "goal": f"Sprint {index + 1} goal for {key}",
            "createdDate": jira_time(start - timedelta(days=3)),
        }
        if state == "closed":
            sprint["completeDate"] = jira_time(end)
        site.sprints[sprint_id] = sprint
        sprints.append(sprint)
    return sprints


def _make_versions(site: Site, key: str, project_id: str, today: date) -> list[dict]:
    versions = []
    for offset, (suffix, released) in enumerate([("1.0", True), ("1.1", False)]):
        version_id = str(10100 + len(site.versions) * 10 + offset)
        versions.append(
            {
                "self": f"{site.base_url}/rest/api/3/version/{version_id}",
                "id": version_id,
                "name": f"{key} {suffix}",
                "archived": False,
                "released": released,
                "releaseDate": (today + timedelta(days=-20 if released else 45)).isoformat(),
                "projectId": int(project_id),
            }
        )
    site.versions[key] = versions
    return versions


def _sprint_ref(sprint: dict[str, Any]) -> dict[str, Any]:
    """The sprint field's value on an issue (Cloud shape since 2020)."""
    ref = {k: sprint[k] for k in ("id", "name", "state", "goal", "startDate", "endDate")}
    ref["boardId"] = sprint["originBoardId"]
    if "completeDate" in sprint:
        ref["completeDate"] = sprint["completeDate"]
    return ref


def _make_issues(site, rng, project, sprints, versions, today, count, issue_id) -> int:
    key = project["key"]
    ids = site.field_ids
    # Team-managed projects use "Story point estimate"; company-managed "Story Points".
    points_field = ids["story_point_estimate"] if project["simplified"] else ids["story_points"]
    n_epics = epic_count(count)
    epics: list[str] = []
    created_floor = datetime.combine(today - timedelta(days=90), time(8), UTC)
    latest_update = datetime.combine(today - timedelta(days=2), time(12), UTC)
    for number in range(1, count + 1):
        is_epic = number <= n_epics
        created = created_floor + timedelta(hours=rng.randint(0, 24 * 30))
        # Every seeded change is at least two days old, spread to the minute, so an
        # incremental sync right after seeding picks up only what tests change.
        latest = latest_update - timedelta(minutes=rng.randint(0, 3000))
        span = int((latest - created).total_seconds() // 60)
        updated = created + timedelta(minutes=rng.randint(60, span))
        fields: dict[str, Any] = {
            "summary": "",
            "issuetype": site.issuetype_field("Epic" if is_epic else "Story"),
            "project": project,
            "created": jira_time(created),
            "updated": jira_time(updated),
            "labels": [],
            "components": [],
            "issuelinks": [],
            "fixVersions": [],
            "assignee": site.user_ref() if rng.random() < 0.5 else None,
            "resolution": None,
            "resolutiondate": None,
            "duedate": None,
            "parent": None,
            "priority": {"self": f"{site.base_url}/rest/api/3/priority/3", "id": "3", "name": "Medium"},
            ids["sprint"]: None,
            ids["story_points"]: None,
            ids["story_point_estimate"]: None,
            ids["start_date"]: None,
        }
        history: list[tuple[datetime, str, Any, Any]] = []  # (when, field, old, new)
        if is_epic:
            fields["summary"] = f"{project['name']} epic {number}: {rng.choice(EPIC_TOPICS)}"
            fields["duedate"] = (today + timedelta(days=60 + 10 * number)).isoformat()
            fields[ids["start_date"]] = (today - timedelta(days=40)).isoformat()
            status = "In Progress"
        else:
            epic_key = epics[(number - n_epics) % len(epics)]
            fields["parent"] = site.issue_ref(site.issues[epic_key])
            fields["summary"] = f"{rng.choice(STORY_VERBS)} {rng.choice(STORY_OBJECTS)}"
            fields[points_field] = float(rng.choice([1, 2, 3, 5, 8]))
            slot = rng.random()
            if slot < 0.45:
                sprint, status = rng.choice(sprints[:CLOSED_SPRINTS]), "Done"
            elif slot < 0.75:
                sprint, status = sprints[CLOSED_SPRINTS], rng.choice(["To Do", "In Progress", "Done"])
            elif slot < 0.9:
                sprint, status = rng.choice(sprints[CLOSED_SPRINTS + 1 :]), "To Do"
            else:
                sprint, status = None, "To Do"
            done_at = None
            if sprint is not None:
                ref = [_sprint_ref(sprint)]
                fields[ids["sprint"]] = ref
                start = parse_jira_time(sprint["startDate"])
                end = parse_jira_time(sprint["endDate"])
                added = _clamp(start - timedelta(days=2), created + timedelta(hours=1), latest)
                if sprint["state"] == "active" and rng.random() < 0.15:
                    added = start + timedelta(days=1)  # scope added after the sprint started
                history.append((added, ids["sprint"], None, ref))
                if status == "Done":
                    done_at = _clamp(start + timedelta(days=rng.randint(1, 12)),
                                     added + timedelta(hours=1), min(end, latest))
                    history.append((done_at, "status", site.status_field("To Do"),
                                    site.status_field("Done")))
                updated = max(updated, added, done_at or added)
                fields["updated"] = jira_time(updated)
            fields["fixVersions"] = [versions[0] if status == "Done" else versions[1]]
        fields["status"] = site.status_field(status)
        if status == "Done":
            fields["resolution"] = {"id": "10000", "name": "Done", "description": ""}
            fields["resolutiondate"] = jira_time(done_at) if done_at else fields["updated"]
        issue_key = f"{key}-{number}"
        site.issues[issue_key] = {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
            "id": str(issue_id),
            "self": f"{site.base_url}/rest/api/3/issue/{issue_id}",
            "key": issue_key,
            "fields": fields,
        }
        for when, name, before, after in sorted(history, key=lambda h: h[0]):
            site.add_history(issue_key, jira_time(when), [site.change_item(name, before, after)])
        if is_epic:
            epics.append(issue_key)
        issue_id += 1
    return issue_id


def _clamp(value: datetime, low: datetime, high: datetime) -> datetime:
    return max(low, min(value, high))


def parse_jira_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def epic_count(per_project: int) -> int:
    return max(3, per_project // 8)


def _plant(site: Site, today: date, per_project: int) -> None:
    """Plant one problem per rule, and controls that look close but are fine.

    ``site.planted`` records, by rule id, the subject and related keys a correct
    rules engine reports; tests assert pmsync finds exactly these.
    """
    ids = site.field_ids
    first_story = epic_count(per_project) + 1

    def story(project: str, offset: int) -> str:
        return f"{project}-{first_story + offset}"

    by_board = {}
    for sprint in site.sprints.values():
        by_board.setdefault(sprint["originBoardId"], []).append(sprint)
    active = {b: next(s for s in ss if s["state"] == "active") for b, ss in by_board.items()}
    future = {b: [s for s in ss if s["state"] == "future"] for b, ss in by_board.items()}
    closed = {b: [s for s in ss if s["state"] == "closed"] for b, ss in by_board.items()}

    def place(key: str, sprint: dict | None, status: str) -> None:
        fields = site.issues[key]["fields"]
        fields[ids["sprint"]] = [_sprint_ref(sprint)] if sprint else None
        fields["status"] = site.status_field(status)
        done = status == "Done"
        fields["resolution"] = {"id": "10000", "name": "Done", "description": ""} if done else None
        fields["resolutiondate"] = fields["updated"] if done else None

    # epic-overdue: PAY-1 was due ten days ago and is still in progress.
    site.issues["PAY-1"]["fields"]["duedate"] = (today - timedelta(days=10)).isoformat()
    # Control: PAY-2 was due ten days ago too, but is done.
    site.issues["PAY-2"]["fields"]["duedate"] = (today - timedelta(days=10)).isoformat()
    place("PAY-2", None, "Done")

    # blocker-scheduled-late, across lines: a MOB story in the next-but-one MOB
    # sprint blocks a PAY story in PAY's active sprint.
    late_blocker, late_blocked = story("MOB", 0), story("PAY", 0)
    place(late_blocked, active[1], "In Progress")
    place(late_blocker, future[2][1], "To Do")
    site.add_link(late_blocker, late_blocked)
    # Control: the blocker is done already (closed WEB sprint -> future MOB sprint).
    place(story("WEB", 1), closed[3][-1], "Done")
    place(story("MOB", 1), future[2][0], "To Do")
    site.add_link(story("WEB", 1), story("MOB", 1))
    # Boundary control: the blocker's sprint ends exactly when the blocked one starts.
    place(story("PAY", 2), active[1], "In Progress")
    place(story("WEB", 2), future[3][0], "To Do")
    site.add_link(story("PAY", 2), story("WEB", 2))
    # Not a blocking link type: ignored by the dependency rules.
    place(story("MOB", 3), future[2][1], "To Do")
    place(story("WEB", 3), active[3], "To Do")
    site.add_link(story("MOB", 3), story("WEB", 3), "Relates")

    # A long history (more than search embeds) on one epic: flips between statuses.
    flips_from = datetime.combine(today - timedelta(days=30), time(10), UTC)
    for flip in range(45):
        before, after = ("To Do", "In Progress") if flip % 2 == 0 else ("In Progress", "To Do")
        site.add_history("MOB-2", jira_time(flips_from + timedelta(hours=flip)), [
            site.change_item("status", site.status_field(before), site.status_field(after))])
    site.issues["MOB-2"]["fields"]["status"] = site.status_field("In Progress")
    site.issues["MOB-2"]["fields"]["updated"] = jira_time(flips_from + timedelta(hours=45))

    site.planted = {
        "epic-overdue": [("PAY-1", ())],
        "blocker-scheduled-late": [(late_blocked, (late_blocker,))],
    }


EPIC_TOPICS = [
    "Checkout redesign", "Offline mode", "Single sign-on", "Usage analytics",
    "Faster search", "Accessibility pass", "Billing v2", "Push notifications",
    "Dark mode", "Partner API", "Onboarding flow", "Audit log",
]
STORY_VERBS = ["Build", "Polish", "Test", "Migrate", "Document", "Instrument", "Refactor", "Ship"]
STORY_OBJECTS = [
    "the payment form", "the login screen", "the settings page", "the export job",
    "the search index", "the sync worker", "the invoice PDF", "the welcome email",
    "the rate limiter", "the profile API", "the audit trail", "the release notes",
]
