"""A deterministic portfolio for the sandbox: same seed, size and day → same site.

Three product lines (one Jira project and one scrum board each) with closed,
active and future sprints, epics with due dates, stories with points, and
cross-line "Blocks" links.

The bulk is built to be healthy, so that a correct rules engine finds nothing
in it: stories are dealt round-robin over the sprints with equal points (every
sprint holds what the team has been delivering), epics are due well after
their work and were touched recently. Then one case of every rule is planted,
each on issues of its own next to a control that must stay silent;
``site.planted`` records what a correct engine reports.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from pmsync.sandbox import knock_on_seed
from pmsync.sandbox.jira_writes import sprint_ref
from pmsync.sandbox.site import FLAGGED_ID, Site, jira_time, text_adf

PROJECTS = [("PAY", "Payments"), ("MOB", "Mobile"), ("WEB", "Web")]
# Components each project defines. No seeded issue carries one: product lines may select
# by component, and the planted set must not depend on these.
COMPONENTS = {"PAY": ["Billing API", "Checkout"], "MOB": ["Android", "iOS"], "WEB": ["Frontend"]}
TEAM_MANAGED = {"WEB"}  # the others are company-managed
SPRINT_DAYS = 14
CLOSED_SPRINTS, FUTURE_SPRINTS = 3, 2
POINTS = 3.0  # every bulk story: equal points keep every sprint's load equal


TEAM = [("Priya Patel", "priya"), ("Marco Rossi", "marco"), ("Lena Vogel", "lena"),
        ("Tom Okafor", "tom")]


def seed_site(site: Site, *, seed: int = 7, size: int = 60, today: date | None = None) -> Site:
    if not site.team:
        site.team = [{"accountId": f"5b10ac8d82e05b22cc7d4f{n:02d}", "name": name,
                      "key": f"JIRAUSER{10100 + n}", "displayName": display,
                      "emailAddress": f"{name}@example.com"}
                     for n, (display, name) in enumerate(TEAM)]
    # "Today" and the working day are the site's: a site in Auckland starts its sprints at
    # 09:00 Auckland time, on Auckland's date.
    builder = _Builder(site, random.Random(seed), today or datetime.now(site.zone()).date())
    per_project = max(12, size // len(PROJECTS))
    for number, (key, name) in enumerate(PROJECTS, start=1):
        builder.project(number, key, name, per_project)
    _plant(builder)
    knock_on_seed.plant_jira(builder)  # after every other case: their keys and draws stay
    builder.space()
    return site


def epic_count(per_project: int) -> int:
    return max(3, per_project // 8)


class _Builder:
    def __init__(self, site: Site, rng: random.Random, today: date):
        self.site, self.rng, self.today = site, rng, today
        zone = site.zone()
        # Sprints start at 09:00 site time; the active one started four days ago.
        self.active_start = datetime.combine(today - timedelta(days=4), time(9), zone)
        self.latest = datetime.combine(today - timedelta(days=2), time(12), zone)
        self.sprints: dict[str, list[dict[str, Any]]] = {}
        self.versions: dict[str, list[dict[str, Any]]] = {}
        self.numbers: dict[str, int] = {}
        self.next_id = 10001

    def day(self, offset: int, hour: int = 9) -> datetime:
        return datetime.combine(self.today + timedelta(days=offset), time(hour), self.site.zone())

    # structure ------------------------------------------------------------------------
    def project(self, number: int, key: str, name: str, per_project: int) -> None:
        site = self.site
        project = {
            "self": f"{site.base_url}/rest/api/3/project/{10000 + number}",
            "id": str(10000 + number), "key": key, "name": name, "projectTypeKey": "software",
            "simplified": key in TEAM_MANAGED,
            "style": "next-gen" if key in TEAM_MANAGED else "classic",
        }
        site.projects[key] = project
        site.components.setdefault(key, list(COMPONENTS.get(key, [])))
        site.boards[number] = {
            "id": number, "self": f"{site.base_url}/rest/agile/1.0/board/{number}",
            "name": f"{key} board", "type": "scrum",
            "location": {"projectId": int(project["id"]), "displayName": f"{name} ({key})",
                         "projectName": name, "projectKey": key, "projectTypeKey": "software",
                         "name": f"{name} ({key})"},
        }
        self.sprints[key] = [self.sprint(number, key, index)
                             for index in range(CLOSED_SPRINTS + 1 + FUTURE_SPRINTS)]
        self.versions[key] = self.make_versions(key, project["id"])
        self.bulk(key, per_project)

    def sprint(self, board_id: int, key: str, index: int) -> dict[str, Any]:
        start = self.active_start + timedelta(days=SPRINT_DAYS * (index - CLOSED_SPRINTS))
        end = start + timedelta(days=SPRINT_DAYS)
        state = ("closed" if index < CLOSED_SPRINTS else
                 "active" if index == CLOSED_SPRINTS else "future")
        sprint_id = len(self.site.sprints) + 1
        sprint = {
            "id": sprint_id, "self": f"{self.site.base_url}/rest/agile/1.0/sprint/{sprint_id}",
            "state": state, "name": f"{key} Sprint {index + 1}", "startDate": jira_time(start),
            "endDate": jira_time(end), "originBoardId": board_id,
            "goal": f"Sprint {index + 1} goal for {key}",
            "createdDate": jira_time(start - timedelta(days=3)),
        }
        if state == "closed":
            sprint["completeDate"] = jira_time(end)
        self.site.sprints[sprint_id] = sprint
        return sprint

    def make_versions(self, key: str, project_id: str) -> list[dict[str, Any]]:
        versions = []
        for offset, (suffix, released, days) in enumerate([("1.0", True, -20), ("1.1", False, 45)]):
            version_id = str(10100 + len(self.versions) * 10 + offset)
            versions.append(self.version(key, version_id, f"{key} {suffix}", released, days,
                                         project_id))
        self.site.versions[key] = versions
        return versions

    def version(self, key, version_id, name, released, days, project_id) -> dict[str, Any]:
        return {"self": f"{self.site.base_url}/rest/api/3/version/{version_id}", "id": version_id,
                "name": name, "archived": False, "released": released,
                "releaseDate": (self.today + timedelta(days=days)).isoformat(),
                "projectId": int(project_id)}

    def space(self) -> None:
        self.site.spaces["65537"] = {
            "id": "65537", "key": "PM", "name": "Product Management", "type": "global",
            "status": "current", "authorId": self.site.account.account_id,
            "createdAt": jira_time(self.day(-400)), "homepageId": "65538",
            "_links": {"webui": "/spaces/PM"},
        }

    def sprint_points(self, sprint: dict[str, Any]) -> float:
        ids = self.site.field_ids
        total = 0.0
        for issue in self.site.issues.values():
            fields = issue["fields"]
            if (fields[ids["sprint"]] or [{}])[-1].get("id") == sprint["id"]:
                total += fields[ids["story_points"]] or fields[ids["story_point_estimate"]] or 0
        return total

    # issues ---------------------------------------------------------------------------
    def bulk(self, key: str, count: int) -> None:
        """Healthy work: stories dealt round-robin over closed, active, future sprints and
        the backlog, equal points, epics due long after and touched recently."""
        sprints = self.sprints[key]
        slots: list[dict | None] = [*sprints, None]
        n_epics = epic_count(count)
        epics = [self.issue(key, "Epic", f"{self.site.projects[key]['name']} epic {n + 1}: "
                                         f"{self.rng.choice(EPIC_TOPICS)}",
                            due=60 + 10 * n, start=-40, status="In Progress")
                 for n in range(n_epics)]
        for number in range(count - n_epics):
            sprint = slots[number % len(slots)]
            state = sprint["state"] if sprint else "backlog"
            status = {"closed": "Done", "active": ("Done", "In Progress", "To Do")[number % 3]
                      }.get(state, "To Do")
            self.issue(key, "Story",
                       f"{self.rng.choice(STORY_VERBS)} {self.rng.choice(STORY_OBJECTS)}",
                       parent=epics[number % n_epics], sprint=sprint, points=POINTS,
                       status=status)

    def issue(self, project: str, kind: str, summary: str, *, parent: dict | None = None,
              sprint: dict | None = None, points: float | None = None, status: str = "To Do",
              due: int | None = None, start: int | None = None, created: datetime | None = None,
              updated: datetime | None = None, added: datetime | None = None,
              resolution: str | None = None, version: dict | None = None) -> dict[str, Any]:
        """One issue in the Cloud shape, with the changelog its history implies: it joins its
        sprint, goes To Do -> In Progress -> Done over a few days (picked up by someone, work
        logged, sometimes flagged on the way), and its last update is the latest of those."""
        site, ids = self.site, self.site.field_ids
        self.numbers[project] = self.numbers.get(project, 0) + 1
        key = f"{project}-{self.numbers[project]}"
        issue_id = self.next_id
        self.next_id += 1
        created = created or self.latest - timedelta(days=60, minutes=self.rng.randint(0, 9000))
        updated = updated or self.latest - timedelta(minutes=self.rng.randint(0, 6000))
        team_managed = site.projects[project]["simplified"]
        people = site.people()
        assigned = self.rng.random() < 0.5
        worker = people[0] if assigned else people[1 + issue_id % (len(people) - 1)]
        fields = site.blank_fields(project, kind, site.stamp(created))
        fields.update({
            "summary": summary, "updated": site.stamp(updated),
            "description": text_adf(f"{summary}.\nDone when it is reviewed, tested and released "
                                    f"behind its flag."),
            "reporter": site.person_ref(people[issue_id % len(people)]),
            "creator": site.person_ref(people[issue_id % len(people)]),
            "assignee": site.person_ref(worker) if assigned or status != "To Do" else None,
            "duedate": (self.today + timedelta(days=due)).isoformat() if due is not None else None,
            "parent": site.issue_ref(parent) if parent else None,
            ids["start_date"]: ((self.today + timedelta(days=start)).isoformat()
                                if start is not None else None),
            "status": site.status_field(status),
        })
        fields[ids["story_point_estimate"] if team_managed else ids["story_points"]] = points
        for decoy in site.decoy_fields:  # a number that is not the estimate
            fields[decoy] = None if kind == "Epic" else float(10 + issue_id * 7 % 41)
        history: list[tuple[datetime, list[tuple[str, Any, Any]]]] = []
        done_at = None
        joined = created
        if sprint is not None:
            ref = [sprint_ref(sprint)]
            fields[ids["sprint"]] = ref
            sprint_start = _parse(sprint["startDate"])
            # Joined two days before the start, or (for a sprint not begun) at the issue's
            # last update: seeded times stay spread, so increments pick up only real changes.
            joined = added or max(min(sprint_start - timedelta(days=2), updated),
                                  created + timedelta(hours=1))
            history.append((joined, [(ids["sprint"], None, ref)]))
            if status == "Done":
                # Done within the sprint, by the issue's own last update, spread to the
                # minute: no two thousand issues finished at the same instant.
                end = min(_parse(sprint["endDate"]), updated)
                done_at = max(joined + timedelta(hours=1), min(
                    sprint_start + timedelta(days=2 + issue_id % 10, minutes=issue_id % 997),
                    end))
        if status == "Done" or resolution:
            done_at = done_at or min(updated, self.latest)
            fields["resolution"] = {"id": "10000", "name": resolution or "Done", "description": ""}
            fields["resolutiondate"] = site.stamp(done_at)
        started = None
        if status != "To Do":
            # Picked up one to four days (and some hours) before it was done; an open one
            # within the first days of its sprint, never after its last update.
            begin = joined + timedelta(minutes=30)
            if done_at is not None:
                started = max(begin, done_at - timedelta(days=1 + issue_id % 4, hours=issue_id % 7))
                started = min(started, done_at - (done_at - joined) / 3)
            elif kind == "Epic":
                started = min(created + timedelta(days=2), updated)
            else:
                sprint_begin = _parse(sprint["startDate"]) if sprint else created
                started = max(begin, min(sprint_begin + timedelta(days=issue_id % 3,
                                                                  hours=1 + issue_id % 5),
                                         updated))
            items = [("status", site.status_field("To Do"), site.status_field("In Progress"))]
            if fields["assignee"] is not None and not assigned:
                items.append(("assignee", None, fields["assignee"]))
            history.append((started, items))
        if done_at is not None:
            history.append((done_at, [("status", site.status_field(
                "In Progress" if started else "To Do"), site.status_field("Done"))]))
        stamps = [updated] + [when for when, _ in history]
        fields["updated"] = site.stamp(max(stamps))
        fields["statuscategorychangedate"] = site.stamp(done_at or started or created)
        if version is not None:
            fields["fixVersions"] = [version]
        elif kind != "Epic":
            versions = self.versions.get(project) or []
            if versions:
                fields["fixVersions"] = [versions[0] if status == "Done" else versions[1]]
        site.issues[key] = {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog,"
                      "versionedRepresentations",
            "id": str(issue_id), "self": f"{site.base_url}/rest/api/3/issue/{issue_id}",
            "key": key, "fields": fields,
        }
        for when, items in sorted(history, key=lambda h: h[0]):
            # Whoever works on the issue moves it; sprint planning is the account's.
            moved_by = worker if items[0][0] == "status" else None
            site.add_history(key, site.stamp(when), [site.change_item(*item) for item in items],
                             author=moved_by)
        if started is not None and kind != "Epic":
            self.work(key, worker, started, done_at or _parse(fields["updated"]), issue_id)
        return site.issues[key]

    def work(self, key: str, worker: dict[str, Any], started: datetime, until: datetime,
             issue_id: int) -> None:
        """Worklogs between pick-up and done (or the last update), and now and then a flag
        raised and cleared on the way, each in the changelog as Jira records them."""
        site = self.site
        span = until - started
        sessions = 1 + issue_id % 3
        for n in range(sessions):
            begin = started + span * n / sessions
            seconds = 3600 * (1 + (issue_id + n) % 4)
            logged = min(begin + timedelta(seconds=seconds), until)
            site.add_worklog(key, site.person_ref(worker), site.stamp(begin), seconds,
                             text_adf(f"Session {n + 1}"), logged=site.stamp(logged))
        if worker is not site.people()[0] and worker["accountId"] != site.account.account_id:
            # People talk on their issues; pmsync must leave these comments alone.
            site.add_comment(key, text_adf(f"Picked up by {worker['displayName']}; "
                                           "estimate holds."),
                             created=site.stamp(started + span / 8), author=worker)
        if issue_id % 5 == 0 and span > timedelta(hours=4):
            raised, cleared = started + span / 4, started + span / 2
            for when, before, after in ((raised, None, True), (cleared, True, None)):
                site.add_history(key, site.stamp(when), [site.change_item(
                    FLAGGED_ID, _flag(before), _flag(after))], author=worker)
        site.histories[key].sort(key=lambda h: _parse(h["created"]))


def _flag(on: bool | None) -> list[dict[str, Any]] | None:
    return [{"value": "Impediment", "id": "10019"}] if on else None


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _plant(b: _Builder) -> None:
    """One case of every rule, each next to a control that must stay silent."""
    site = b.site
    sprints = b.sprints
    active = {k: s[CLOSED_SPRINTS] for k, s in sprints.items()}
    future = {k: s[CLOSED_SPRINTS + 1:] for k, s in sprints.items()}
    closed = {k: s[:CLOSED_SPRINTS] for k, s in sprints.items()}
    epic = {k: site.issues[f"{k}-1"] for k in sprints}  # a healthy epic per line to hang on
    planted: dict[str, list[tuple[str, tuple[str, ...]]]] = {}

    def plant(rule: str, subject: dict, *related: dict) -> None:
        planted.setdefault(rule, []).append((subject["key"], tuple(r["key"] for r in related)))

    def story(project: str, summary: str, **kw) -> dict:
        kw.setdefault("parent", epic[project])
        return b.issue(project, "Story", summary, **kw)

    # epic-overdue: an epic due ten days ago, still in progress; control: one that is done.
    late_epic = b.issue("PAY", "Epic", "Legacy card vault shutdown", due=-10, status="In Progress")
    story("PAY", "Export the last vault records", parent=late_epic, sprint=closed["PAY"][-1],
          status="Done")
    b.issue("PAY", "Epic", "Retired payment provider", due=-10, status="Done")
    plant("epic-overdue", late_epic)

    # due-date-slipped: moved 30 days later five days ago; control: moved by three days.
    slipped = b.issue("MOB", "Epic", "Offline mode v2", due=90, status="In Progress")
    moved = b.issue("MOB", "Epic", "Tablet layout", due=93, status="In Progress")
    for issue, old in ((slipped, 60), (moved, 90)):
        site.add_history(issue["key"], site.stamp(b.day(-5)), [site.change_item(
            "duedate", (b.today + timedelta(days=old)).isoformat(), issue["fields"]["duedate"])])
    plant("due-date-slipped", slipped)

    # child-after-epic-due: a child in the next-but-one sprint, after its epic's due date;
    # control: a sibling in the active sprint.
    near = b.issue("WEB", "Epic", "Holiday landing pages", due=30, status="In Progress")
    late_child = story("WEB", "Holiday banner A/B test", parent=near, sprint=future["WEB"][1])
    story("WEB", "Holiday landing page copy", parent=near, sprint=active["WEB"])
    plant("child-after-epic-due", late_child, near)

    # scope-growth: three stories at the baseline, five now; control: an epic that did not grow.
    grown = b.issue("PAY", "Epic", "Refunds self-service", due=120, status="In Progress")
    steady = b.issue("PAY", "Epic", "Invoice templates", due=120, status="In Progress")
    for n in range(5):
        created = b.day(-40) if n < 3 else b.day(-3)
        story("PAY", f"Refund flow step {n + 1}", parent=grown, points=2.0, created=created,
              updated=created + timedelta(hours=2))
        story("PAY", f"Invoice template {n + 1}", parent=steady, points=2.0, created=b.day(-40),
              updated=b.day(-40) + timedelta(hours=2))
    plant("scope-growth", grown)

    # forecast-after-due: about five weeks of MOB's pace left, due in two weeks;
    # control: half a week's work, due in six weeks.
    weekly = max(1.0, b.sprint_points(closed["MOB"][-1]) / 2)
    rushed = b.issue("MOB", "Epic", "App store relaunch", due=14, status="In Progress")
    relaxed = b.issue("MOB", "Epic", "Settings cleanup", due=42, status="In Progress")
    for n in range(10):
        story("MOB", f"Relaunch task {n + 1}", parent=rushed, points=round(weekly / 2),
              created=b.day(-40))
    story("MOB", "Tidy the settings screen", parent=relaxed, points=round(weekly / 2),
          created=b.day(-40))
    plant("forecast-after-due", rushed)

    # release-slipped: a release past its date, unreleased, with an open item;
    # control: the released PAY 1.0 (all done) and the future X 1.1 releases.
    overdue_release = b.version("MOB", "10190", "MOB 0.9 hotfix", False, -7,
                                site.projects["MOB"]["id"])
    site.versions["MOB"].append(overdue_release)
    story("MOB", "Hotfix crash on login", version=overdue_release)
    planted.setdefault("release-slipped", []).append(("version:10190", ()))

    # stale-epic: in progress, nothing touched for a month; control: the bulk epics.
    stale = b.issue("WEB", "Epic", "Legacy CMS migration", due=100, status="In Progress",
                    updated=b.day(-30))
    story("WEB", "Inventory the CMS pages", parent=stale, status="Done", created=b.day(-50),
          updated=b.day(-40))
    plant("stale-epic", stale)

    # blocker-scheduled-late, across lines: a MOB story in the next-but-one sprint blocks
    # a PAY story in PAY's active sprint. Controls: a done blocker; a blocker whose sprint
    # ends exactly when the blocked one starts; a "Relates" link.
    blocked = story("PAY", "Charge saved cards in the app", sprint=active["PAY"],
                    status="In Progress")
    blocker = story("MOB", "Saved-cards screen", sprint=future["MOB"][1])
    site.add_link(blocker["key"], blocked["key"])
    plant("blocker-scheduled-late", blocked, blocker)
    done_blocker = story("WEB", "Publish the card API docs", sprint=closed["WEB"][-1],
                         status="Done")
    site.add_link(done_blocker["key"], story("MOB", "Link card docs in the app",
                                             sprint=future["MOB"][0])["key"])
    on_time = story("PAY", "Card tokens endpoint", sprint=active["PAY"], status="In Progress")
    site.add_link(on_time["key"], story("WEB", "Tokens in the web checkout",
                                        sprint=future["WEB"][0])["key"])
    site.add_link(story("MOB", "Card art", sprint=future["MOB"][1])["key"],
                  story("WEB", "Card art on the web", sprint=active["WEB"])["key"], "Relates")

    # blocker-unscheduled: the blocker has no sprint and no date; control: both unscheduled.
    waiting = story("WEB", "Push consent banner", sprint=active["WEB"])
    unplanned = story("MOB", "Consent SDK upgrade")
    site.add_link(unplanned["key"], waiting["key"])
    plant("blocker-unscheduled", waiting, unplanned)
    site.add_link(story("MOB", "Consent analytics")["key"], story("WEB", "Consent report")["key"])

    # blocker-cancelled: the blocker is Won't Do; control: the blocked item is done already.
    hoping = story("PAY", "Apple Pay in checkout", sprint=future["PAY"][0])
    cancelled = story("MOB", "Apple Pay SDK spike", status="Done", resolution="Won't Do")
    site.add_link(cancelled["key"], hoping["key"])
    plant("blocker-cancelled", hoping, cancelled)
    site.add_link(story("MOB", "Google Pay spike", status="Done", resolution="Won't Do")["key"],
                  story("PAY", "Google Pay research", status="Done")["key"])

    # dependency-cycle across the three lines (unscheduled, so no other rule speaks);
    # control: a chain that does not close.
    ring = [story("PAY", "Shared auth token format"), story("MOB", "Token refresh in app"),
            story("WEB", "Token refresh on web")]
    for first, second in zip(ring, ring[1:] + ring[:1], strict=True):
        site.add_link(first["key"], second["key"])
    ring_keys = sorted(f"jira:{r['key']}" for r in ring)
    planted.setdefault("dependency-cycle", []).append(
        (ring_keys[0].split(":", 1)[1], tuple(k.split(":", 1)[1] for k in ring_keys[1:])))
    chain = [story("PAY", "Chain A"), story("MOB", "Chain B"), story("WEB", "Chain C")]
    site.add_link(chain[0]["key"], chain[1]["key"])
    site.add_link(chain[1]["key"], chain[2]["key"])

    # sprint-overcommitted: WEB's last future sprint holds twice what the team delivers.
    extra = max(4.0, b.sprint_points(closed["WEB"][-1]))  # a whole sprint's worth more
    for n in range(4):
        b.issue("WEB", "Task", f"Extra WEB chore {n + 1}", sprint=future["WEB"][1],
                points=extra / 4)
    planted.setdefault("sprint-overcommitted", []).append(
        (f"sprint:{future['WEB'][1]['id']}", ()))

    # sprint-scope-added: a story worth 15 % of the sprint joined a day after it started
    # (above the 10 % threshold, below the 20 % that would make the sprint overcommitted).
    at_start = b.sprint_points(active["PAY"])
    added = story("PAY", "Urgent fraud rule tweak", sprint=active["PAY"], parent=None,
                  points=max(1.0, round(at_start * 0.15)),
                  added=b.active_start + timedelta(days=1), created=b.active_start)
    planted.setdefault("sprint-scope-added", []).append(
        (f"sprint:{active['PAY']['id']}", (added["key"],)))

    # A long history (more than search embeds) on a healthy epic: status flips.
    flips_from = b.day(-30, 10)
    for flip in range(46):  # from In Progress (where the epic went) back and forth, and back
        before, after = ("In Progress", "To Do") if flip % 2 == 0 else ("To Do", "In Progress")
        site.add_history("MOB-2", site.stamp(flips_from + timedelta(hours=flip)), [
            site.change_item("status", site.status_field(before), site.status_field(after))])
    site.issues["MOB-2"]["fields"]["status"] = site.status_field("In Progress")

    site.planted = {rule: [(f"jira:{s}", tuple(f"jira:{r}" for r in rel)) for s, rel in cases]
                    for rule, cases in planted.items()}


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
