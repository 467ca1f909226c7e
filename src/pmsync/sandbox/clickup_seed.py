"""A deterministic ClickUp workspace: one product line ("Platform") that depends on Jira.

Sprints are Lists in a sprint Folder, with their dates on the List (the
Sprints ClickApp). Epics are tasks tagged ``epic`` (one is instead of the
custom task type "Epic"); stories are their subtasks, living in sprint Lists.
Planted: a ClickUp story waiting on a Jira issue scheduled after it (cross
tracker), a ClickUp story blocked by a later ClickUp story, and controls.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pmsync.sandbox import knock_on_seed
from pmsync.sandbox.clickup_site import ClickUpWorkspace, ms
from pmsync.sandbox.site import Site

EPIC_ITEM_ID = 1001
WAITS_ON_FIELD = {"id": "5dc86497-098d-4bb0-87d6-cf28e43812e7", "name": "Waits on (Jira)",
                  "type": "url", "type_config": {}, "date_created": "1566400407303",
                  "hide_from_guests": False, "required": False}
STATUS = {
    "to do": {"status": "to do", "color": "#d3d3d3", "orderindex": 0, "type": "open"},
    "in progress": {"status": "in progress", "color": "#4194f6", "orderindex": 1, "type": "custom"},
    "complete": {"status": "complete", "color": "#6bc950", "orderindex": 2, "type": "closed"},
}


def seed_clickup(site: Site, *, seed: int = 7, size: int = 40, lists: int = 7,
                 today: date | None = None) -> ClickUpWorkspace:
    rng = random.Random(seed * 31 + 1)
    size = max(size, 40)  # enough stories for every planted case
    today = today or datetime.now(UTC).date()
    ws = ClickUpWorkspace()
    space = {"id": "90120001", "name": "Platform", "private": False, "archived": False,
             "multiple_assignees": True,
             "statuses": list(STATUS.values()),
             "features": {"due_dates": {"enabled": True, "start_date": True,
                                        "remap_due_dates": False, "remap_closed_due_date": False},
                          "time_tracking": {"enabled": True}, "tags": {"enabled": True},
                          "time_estimates": {"enabled": True}, "checklists": {"enabled": True},
                          "custom_fields": {"enabled": True},
                          "remap_dependencies": {"enabled": True},
                          "dependency_warning": {"enabled": True},
                          "portfolios": {"enabled": False},
                          "sprints": {"enabled": True}, "points": {"enabled": True}}}
    ws.spaces[space["id"]] = space
    ws.custom_items.append({"id": EPIC_ITEM_ID, "name": "Epic", "name_plural": "Epics",
                            "description": "Custom task type for epics."})
    sprint_folder = _folder(ws, "90120011", "Platform Sprints", space)
    active_start = datetime.combine(today - timedelta(days=4), time(9), UTC)
    sprints = []
    for index in range(6):  # 3 closed, 1 active, 2 future, aligned with the Jira boards
        start = active_start + timedelta(days=14 * (index - 3))
        end = start + timedelta(days=14) - timedelta(minutes=1)
        name = f"Sprint {index + 1} ({start:%m/%d} - {end:%m/%d})"
        sprints.append(_list(ws, f"9012010{index + 1}", name, space, sprint_folder, start, end))
    backlog = _list(ws, "90120099", "Platform Backlog", space, None)
    areas = []
    if lists > 7:
        area_folder = _folder(ws, "90120012", "Platform Areas", space)
        areas = [_list(ws, f"901202{n:02d}", f"Area {n}", space, area_folder)
                 for n in range(1, lists - 6)]

    latest = datetime.combine(today - timedelta(days=2), time(12), UTC)
    n_epics = max(3, size // 10)
    epics = []
    for number in range(n_epics):
        created = latest - timedelta(days=80, minutes=rng.randint(0, 5000))
        epic = _task(ws, rng, f"Platform epic {number + 1}", backlog, created, latest,
                     "in progress", recent=True)
        epic["due_date"] = ms(datetime.combine(today + timedelta(days=70 + 7 * number), time(4), UTC))
        epic["start_date"] = ms(datetime.combine(today - timedelta(days=30), time(4), UTC))
        if number == 0:
            epic["custom_item_id"] = EPIC_ITEM_ID  # the custom task type convention
        else:
            epic["tags"].append(_tag("epic"))
        epics.append(epic)
    # Healthy bulk, as on the Jira side: dealt round-robin, equal points.
    homes = sprints + areas + [backlog]
    for number in range(size - n_epics):
        home = homes[number % len(homes)]
        state = _state(home, today)
        status = {"closed": "complete", "active": list(STATUS)[number % 3]}.get(state, "to do")
        created = latest - timedelta(days=60, minutes=rng.randint(0, 5000))
        story = _task(ws, rng, f"Platform story {number + 1}", home, created, latest, status)
        story["parent"] = story["top_level_parent"] = epics[number % len(epics)]["id"]
        story["points"] = 3
        if state == "closed":  # finished inside its sprint, as the Sprint Report counts it
            done = int(home["start_date"]) + rng.randint(1, 13 * 24 * 60) * 60_000
            story["date_done"] = story["date_closed"] = story["date_updated"] = str(done)
    # One backlog story also sits in the active sprint List (TIML); it carries no points.
    stories = [t for t in ws.tasks.values() if t["parent"]]
    timl = next((t for t in stories if t["list"]["id"] == backlog["id"]), None)
    if timl is not None:
        timl["locations"].append(ws.list_ref(sprints[3]["id"]))
        timl["points"] = None
    _plant(site, ws, sprints)
    _archive(ws, space)
    _workspace_views(ws, rng, space, today)
    knock_on_seed.plant_clickup(  # after every other case: their ids and draws stay
        site, ws, lambda name, home, status: _task(ws, rng, name, home, latest - timedelta(days=60),
                                                   latest, status, recent=True),
        backlog, today)
    return ws


def _archive(ws: ClickUpWorkspace, space: dict[str, Any]) -> None:
    """Last year's sprints, archived as teams do: a folder and a list nobody reads by default."""
    old = _folder(ws, "90120019", "Platform Sprints 2025", space)
    old["archived"] = True
    _list(ws, "90120199", "Sprint 0 (2025)", space, old)["archived"] = True
    _list(ws, "90120098", "Platform Icebox", space, None)["archived"] = True


def _workspace_views(ws: ClickUpWorkspace, rng: random.Random, space: dict[str, Any],
                     today: date) -> None:
    """Space tags, Goals, task templates and a month of the user's time entries."""
    used = {tag["name"] for task in ws.tasks.values() for tag in task["tags"]}
    ws.tags[space["id"]] = [_tag(name) for name in sorted(used | {"customer", "tech-debt"})]
    noon = datetime.combine(today, time(12), UTC)
    for number, (name, percent) in enumerate([("Ship Platform v2", 40), ("Cut p95 latency", 100)]):
        goal_id = f"e53a033c-900e-462d-a849-4a216b06d93{number}"
        ws.goals.append({
            "id": goal_id, "pretty_id": str(number + 1), "name": name, "team_id": ws.team_id,
            "creator": ws.user["id"], "owner": None, "color": "#32a852",
            "date_created": ms(noon - timedelta(days=90)), "start_date": None,
            "due_date": ms(noon + timedelta(days=60)), "description": "", "private": False,
            "archived": False, "multiple_owners": True,
            "editor_token": f"goal:{goal_id}:{ws.team_id}", "date_updated": ms(noon),
            "last_update": ms(noon), "folder_id": None, "pinned": False, "owners": [],
            "key_result_count": 1, "group_members": [], "percent_completed": percent,
            "members": [{"id": ws.user["id"], "username": ws.user["username"],
                         "email": ws.user["email"], "color": ws.user["color"],
                         "permission_level": "edit", "profilePicture": ws.user["profilePicture"],
                         "initials": ws.user["initials"], "isCreator": True}]})
    ws.task_templates.extend([{"id": "t-90120501", "name": "Story"},
                              {"id": "t-90120502", "name": "Bug report"}])
    worked = [t for t in ws.tasks.values() if t["status"]["type"] != "open" and t["parent"]]
    for task in worked[:12]:
        lst = ws.lists[task["list"]["id"]]
        start = noon - timedelta(days=rng.randint(1, 25), hours=rng.randint(0, 3))
        duration = timedelta(minutes=rng.randint(30, 240))
        ws.time_entries.append({
            "id": str(1963465985517105000 + len(ws.time_entries)),
            "task": {"id": task["id"], "custom_id": task["custom_id"], "name": task["name"],
                     "status": dict(task["status"]), "custom_type": None},
            "wid": ws.team_id,
            "user": {k: ws.user[k] for k in ("id", "username", "email", "color", "initials",
                                             "profilePicture")},
            "billable": False, "start": ms(start), "end": ms(start + duration),
            "duration": str(int(duration.total_seconds() * 1000)), "description": "",
            "tags": [], "source": "clickup", "at": ms(start + duration),
            # Numbers here, as the reference has them (ids are strings elsewhere).
            "task_location": {"list_id": int(lst["id"]), "folder_id": int(lst["folder"]["id"]),
                              "space_id": int(space["id"]), "list_name": lst["name"],
                              "folder_name": lst["folder"]["name"], "space_name": space["name"]},
            "task_tags": list(task["tags"]), "task_url": task["url"]})
        task["time_spent"] = task.get("time_spent", 0) + int(duration.total_seconds() * 1000)


def _state(lst: dict[str, Any], today: date) -> str | None:
    if not lst.get("start_date"):
        return None
    now = datetime.combine(today, time(12), UTC).timestamp() * 1000
    if int(lst["due_date"]) < now:
        return "closed"
    return "active" if int(lst["start_date"]) <= now else "future"


def _folder(ws: ClickUpWorkspace, folder_id: str, name: str, space: dict) -> dict[str, Any]:
    folder = {"id": folder_id, "name": name, "orderindex": len(ws.folders),
              "override_statuses": False, "hidden": False,
              "space": {"id": space["id"], "name": space["name"], "access": True},
              "task_count": "0", "archived": False, "statuses": [], "lists": [],
              "permission_level": "create"}
    ws.folders[folder_id] = folder
    return folder


def _list(ws, list_id, name, space, folder, start=None, end=None) -> dict[str, Any]:
    lst = {"id": list_id, "name": name, "orderindex": len(ws.lists), "content": "",
           "status": None, "priority": None, "assignee": None, "task_count": "0",
           "due_date": ms(end) if end else None, "start_date": ms(start) if start else None,
           "folder": ({"id": folder["id"], "name": folder["name"], "hidden": False, "access": True}
                      if folder else {"id": "0", "name": "hidden", "hidden": True, "access": True}),
           "space": {"id": space["id"], "name": space["name"], "access": True},
           "archived": False, "override_statuses": False, "permission_level": "create"}
    ws.lists[list_id] = lst
    if folder is not None:
        folder["lists"].append(lst)
    return lst


def _tag(name: str) -> dict[str, str]:
    return {"name": name, "tag_fg": "#800000", "tag_bg": "#800000", "creator": 183}


def _task(ws, rng, name, home, created, latest, status, recent=False) -> dict[str, Any]:
    task_id = f"86{rng.getrandbits(28):07x}"
    while task_id in ws.tasks:
        task_id = f"86{rng.getrandbits(28):07x}"
    if recent:  # epics: touched within the last days, as living epics are
        updated = latest - timedelta(minutes=rng.randint(0, 3000))
    else:
        updated = created + timedelta(
            minutes=rng.randint(60, int((latest - created).total_seconds() // 60)))
    done = status == "complete"
    task = {
        "id": task_id, "custom_id": None, "custom_item_id": 0, "name": name,
        "text_content": "", "description": "",
        "status": dict(STATUS[status]), "orderindex": f"{len(ws.tasks)}.00000000000000000000000000000000",
        "date_created": ms(created), "date_updated": ms(updated),
        "date_closed": ms(updated) if done else None, "date_done": ms(updated) if done else None,
        "archived": False, "creator": dict(ws.user), "assignees": [], "group_assignees": [],
        "watchers": [], "checklists": [], "tags": [], "parent": None, "top_level_parent": None,
        "priority": {"id": "3", "priority": "normal", "color": "#6fddff", "orderindex": "3"},
        "due_date": None, "start_date": None, "points": None,
        "time_estimate": None, "custom_fields": [dict(WAITS_ON_FIELD)],
        "dependencies": [], "linked_tasks": [], "locations": [], "team_id": ws.team_id,
        "url": f"https://app.clickup.com/t/{task_id}", "sharing": {"public": False},
        "permission_level": "create", "list": ws.list_ref(home["id"]),
        "project": {"id": home["folder"]["id"], "name": home["folder"]["name"],
                    "hidden": home["folder"]["hidden"], "access": True},
        "folder": dict(home["folder"]), "space": {"id": home["space"]["id"]},
    }
    ws.tasks[task_id] = task
    home["task_count"] = str(int(home["task_count"]) + 1)
    return task


def _waits_on(task: dict[str, Any], url: str) -> None:
    field = next(f for f in task["custom_fields"] if f["id"] == WAITS_ON_FIELD["id"])
    field["value"] = url


def _plant(site: Site, ws: ClickUpWorkspace, sprints) -> None:
    active, future = sprints[3], sprints[4]
    in_active = [t for t in ws.tasks.values() if t["list"]["id"] == active["id"] and t["parent"]]
    in_future = [t for t in ws.tasks.values() if t["list"]["id"] == future["id"] and t["parent"]]
    for task in in_active[:3] + in_future[:1]:
        task["status"] = dict(STATUS["in progress" if task in in_active else "to do"])
        task["date_closed"] = task["date_done"] = None
    waiting, control, blocked = in_active[:3]
    (late_blocker,) = in_future[:1]

    # Cross-tracker: a ClickUp story in the active sprint waits on a Jira story that sits
    # in a future sprint. Control: another waits on a Jira story that is already done.
    sprint_field = site.field_ids["sprint"]
    planted = {k.split(":", 1)[1] for cases in site.planted.values() for s, rel in cases
               for k in (s, *rel)}
    unlinked = [k for k, i in site.issues.items() if k.startswith("WEB-") and k not in planted
                and not i["fields"]["issuelinks"] and i["fields"]["parent"]]
    late = next(k for k in unlinked if (site.issues[k]["fields"][sprint_field] or [{}])[0]
                .get("state") == "future")
    done = next(k for k in unlinked if site.issues[k]["fields"]["status"]["name"] == "Done")
    _waits_on(waiting, f"{site.base_url}/browse/{late}")
    _waits_on(control, done)  # a bare key works as well as a browse URL
    # Inside ClickUp: a story in the next sprint blocks one in the active sprint.
    ws.add_dependency(late_blocker["id"], blocked["id"])

    site.planted.setdefault("blocker-scheduled-late", []).extend([
        (f"clickup:{waiting['id']}", (f"jira:{late}",)),
        (f"clickup:{blocked['id']}", (f"clickup:{late_blocker['id']}",)),
    ])
