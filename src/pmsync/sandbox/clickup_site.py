"""The simulated ClickUp workspace: hierarchy, tasks, comments, Docs, in ClickUp's shapes.

Timestamps are Unix milliseconds as strings (numbers in v3 Docs), ids are
strings, tasks carry their dependencies and the lists they also live in.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pmsync.sandbox.site import RateLimit


def ms(moment: datetime) -> str:
    return str(int(moment.astimezone(UTC).timestamp() * 1000))


@dataclass
class ClickUpWorkspace:
    team_id: str = "9012345"
    name: str = "Acme"
    token: str = "pk_81234567_SANDBOXTOKEN0123456789ABCDEFGHIJ"
    oauth_token: str = "sandbox-oauth-token"
    user: dict[str, Any] = field(default_factory=lambda: {
        "id": 183, "username": "Casey ClickUp", "email": "casey@example.com",
        "color": "#7b68ee", "initials": "CC",
        "profilePicture": "https://attachments.clickup.com/profilePictures/183.jpg"})
    spaces: dict[str, dict[str, Any]] = field(default_factory=dict)
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)
    lists: dict[str, dict[str, Any]] = field(default_factory=dict)
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    comments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    custom_items: list[dict[str, Any]] = field(default_factory=list)
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)
    tags: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by space id
    goals: list[dict[str, Any]] = field(default_factory=list)
    time_entries: list[dict[str, Any]] = field(default_factory=list)
    task_templates: list[dict[str, Any]] = field(default_factory=list)
    pages: dict[str, dict[str, Any]] = field(default_factory=dict)  # by page id
    rate_limit: RateLimit | None = None
    # X-RateLimit-Reset as ClickUp sends it: whole Unix seconds (so up to a second
    # early). Tests with sub-second windows may ask for milliseconds instead.
    whole_second_reset: bool = True
    # Task order without reverse=true: newest (highest) first, as ClickUp answers. A test
    # flips it to prove a client pages correctly either way.
    newest_first: bool = True
    throttled: int = 0
    revision: int = 0  # bumped on every task change; keys the per-list cache
    by_list: dict[tuple[str, int, int], list[dict[str, Any]]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _next: int = 1000

    def next_id(self, prefix: str = "") -> str:
        self._next += 1
        return f"{prefix}{self._next}"

    def reset_header(self, reset_in: float) -> str:
        reset = time.time() + reset_in
        return str(int(reset)) if self.whole_second_reset else f"{reset:.3f}"

    def now_ms(self) -> str:
        return ms(datetime.now(UTC))

    def touch(self, task_id: str, **fields: Any) -> None:
        task = self.tasks[task_id]
        task.update(fields)
        task["date_updated"] = self.now_ms()
        self.revision += 1

    def in_list(self, list_id: str, timl: bool) -> list[dict[str, Any]]:
        """Tasks whose home is the list (and, with TIML, those also added to it)."""
        key = (list_id, self.revision, len(self.tasks) * 2 + timl)
        if key not in self.by_list:
            if len(self.by_list) > 64:
                self.by_list.clear()
            self.by_list[key] = [
                t for t in self.tasks.values() if t["list"]["id"] == list_id
                or (timl and any(loc["id"] == list_id for loc in t["locations"]))]
        return self.by_list[key]

    def list_ref(self, list_id: str) -> dict[str, Any]:
        lst = self.lists[list_id]
        return {"id": lst["id"], "name": lst["name"], "access": True}

    def add_dependency(self, blocker_id: str, blocked_id: str) -> None:
        """``blocked`` waits on ``blocker``: one record, shown on both tasks."""
        record = {"task_id": blocked_id, "depends_on": blocker_id, "type": 1,
                  "date_created": self.now_ms(), "userid": str(self.user["id"]),
                  "workspace_id": self.team_id, "chain_id": None}
        for task_id in (blocked_id, blocker_id):
            self.tasks[task_id]["dependencies"].append(dict(record))
