"""pmsync's incremental ClickUp sync reads every change whichever way ClickUp orders
`order_by=updated&reverse=true`, even when a task changes while it pages."""

from __future__ import annotations

import time

import pytest

from conftest import store_of
from pmsync.cli import main
from pmsync.sandbox import Sandbox


def names_in_store(path) -> dict[str, str]:
    store = store_of(path)
    try:
        return {i.key.split(":", 1)[1]: i.title for i in store.current("item")
                if i.key.startswith("clickup:")}
    finally:
        store.close()


@pytest.mark.parametrize("newest_first", [True, False], ids=["oldest-first", "newest-first"])
def test_every_change_is_read_while_tasks_move_under_the_pages(
        newest_first, tmp_path, monkeypatch, write_clickup_config):
    with Sandbox.start(seed=7, size=12, clickup_size=260) as sandbox:
        ws = sandbox.clickup
        ws.newest_first = newest_first  # pmsync asks reverse=true: this flips what it gets
        path = write_clickup_config(sandbox, tmp_path, monkeypatch)
        assert main(["--config", str(path), "sync"]) == 0

        # 250 tasks changed over the last 90 minutes, 20 s apart (far wider than the
        # 2-minute overlap): three pages of the search.
        now = int(time.time() * 1000)
        changed = sorted(ws.tasks)[:250]
        with ws.lock:
            for n, task_id in enumerate(changed):
                ws.tasks[task_id]["name"] += " v2"
                ws.tasks[task_id]["date_updated"] = str(now - 5_400_000 + 20_000 * n)
            ws.revision += 1
        by_age = sorted(changed, key=lambda t: int(ws.tasks[t]["date_updated"]))
        # Oldest first, page 0 holds it: once read, it moves to the end and every later
        # task shifts a place, so page numbers skip one. Newest first, it sits on the last
        # page and jumps to the first, already read: the next run must still get it.
        moving = by_age[50]

        original = sandbox.server.dispatch
        searches = []

        def dispatch(request):
            response = original(request)
            if request.path.endswith(f"/team/{ws.team_id}/task"):
                searches.append(request.query)
                if len(searches) == 1:  # a person edits a task while pmsync pages
                    ws.touch(moving, name=ws.tasks[moving]["name"] + " v3")
            return response

        sandbox.server.dispatch = dispatch
        assert main(["--config", str(path), "sync"]) == 0
        assert main(["--config", str(path), "sync"]) == 0  # the next run, as cron's
        sandbox.server.dispatch = original

        stored = names_in_store(path)
        assert {t: stored[t] for t in changed} == {t: ws.tasks[t]["name"] for t in changed}
        assert stored[moving].endswith(" v2 v3")
        assert len(searches) >= 3  # it did page
