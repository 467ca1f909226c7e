"""Product lines are configuration: renaming, splitting, merging or removing a line in
[[product_lines]] shows on the next `check`, with no resync, and a removed line's comments
are resolved (issue 10). Driven through the CLI against the sandbox."""

from __future__ import annotations

import json
import marshal
import sqlite3

import pytest

from pmsync.migrations import MIGRATIONS
from pmsync.model import WorkItem, to_json
from pmsync.store import Store

RENAMED = ('name = "Payments"', 'name = "Billing"')
SPLIT = ('[[product_lines]]\nname = "Billing"',
         '[[product_lines]]\nname = "Checkout"\n'
         'select = [{ tracker = "jira", project = "PAY", label = "checkout" }]\n\n'
         '[[product_lines]]\nname = "Billing"')
MOBILE_AND_WEB = ('[[product_lines]]\nname = "Mobile"\n'
                  'select = [{ tracker = "jira", project = "MOB" }]\n\n'
                  '[[product_lines]]\nname = "Web"\n'
                  'select = [{ tracker = "jira", project = "WEB" }]\n')
MERGED = ('[[product_lines]]\nname = "Digital"\n'
          'select = [{ tracker = "jira", project = "MOB" }, { tracker = "jira", project = "WEB" }]\n')


def edit(path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def lines_by_fingerprint(pmsync) -> dict[str, str | None]:
    code, out, _ = pmsync("check", "--format", "json")
    assert code in (0, 1)
    return {f["fingerprint"]: f["product_line"] for f in json.loads(out)}


def comment_texts(site, prefix: str) -> list[str]:
    """pmsync's own comments (the seed's people comment too: those carry an author)."""
    return [json.dumps(c["body"]) for key, comments in site.comments.items()
            if key.startswith(prefix) for c in comments if c.get("author") is None]


def test_renamed_split_merged_and_removed_lines_need_no_resync(sandbox, config_path, pmsync):
    site = sandbox.site
    assert pmsync("run")[0] == 0
    before = lines_by_fingerprint(pmsync)
    assert set(before.values()) == {"Payments", "Mobile", "Web"}
    payments = {fp for fp, line in before.items() if line == "Payments"}

    # Renamed: the next check says "Billing" for the same findings; nothing was synced.
    edit(config_path, *RENAMED)
    renamed = lines_by_fingerprint(pmsync)
    assert renamed == {fp: "Billing" if fp in payments else line for fp, line in before.items()}
    assert pmsync("sync")[0] == 0  # and an incremental sync (nothing changed) keeps it so
    assert lines_by_fingerprint(pmsync) == renamed

    # Split: the overdue epic gets a label a new line selects; the rest stays Billing.
    overdue_epic = site.planted["epic-overdue"][0][0]
    site.touch(overdue_epic.split(":")[1], labels=["checkout"])
    assert pmsync("sync")[0] == 0
    edit(config_path, *SPLIT)
    split = lines_by_fingerprint(pmsync)
    moved = {fp for fp, line in split.items() if line == "Checkout"}
    assert len(moved) == 1 and split.keys() == before.keys()
    assert {line for fp, line in split.items() if fp in payments - moved} == {"Billing"}

    # Merged: Mobile and Web become one line, without a sync in between.
    edit(config_path, MOBILE_AND_WEB, MERGED)
    merged = lines_by_fingerprint(pmsync)
    assert {merged[fp] for fp, line in before.items() if line in ("Mobile", "Web")} == {"Digital"}

    # Removed: Digital's epics are outside every line; their comments are resolved, not
    # left open (the cycle through PAY, MOB and WEB is found on a MOB epic, so its
    # comment on the PAY side goes too); Billing's and Checkout's stay open.
    edit(config_path, MERGED, "")
    remaining = lines_by_fingerprint(pmsync)
    assert set(remaining.values()) == {"Billing", "Checkout"}
    assert all("Resolved on" not in t for p in ("PAY-", "MOB-", "WEB-")
               for t in comment_texts(site, p))
    code, out, _ = pmsync("alert")
    assert code == 0
    gone = comment_texts(site, "MOB-") + comment_texts(site, "WEB-")
    assert gone and all("Resolved on" in text for text in gone)
    still_open = [t for t in comment_texts(site, "PAY-") if "Resolved on" not in t]
    assert still_open and all(any(fp in t for fp in remaining) for t in still_open)
    resolved = len(gone) + len(comment_texts(site, "PAY-")) - len(still_open)
    assert f"{resolved} resolved" in out


@pytest.mark.sqlite_only  # stores from before issue 10 were SQLite files: PostgreSQL came later
def test_a_store_written_with_stored_lines_loads_without_them(tmp_path):
    """Stores from before issue 10 kept each record's line (JSON and packed): the upgrade
    drops it, so a stale name can never come back from the store."""
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    dropping = next(n for n, script in enumerate(MIGRATIONS) if "$.product_line" in script)
    for number, script in enumerate(MIGRATIONS[:dropping], start=1):
        conn.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
    conn.execute("INSERT INTO runs(command, started_at) VALUES ('sync', '2026-11-01T00:00:00')")
    epic = WorkItem("jira:PAY-1", "epic", "Checkout", "To Do", "todo",
                    facets=(("project", "PAY"),))
    old = {**to_json(epic), "product_line": "Payments"}
    layout = list(to_json(epic))
    layout.insert(layout.index("status_category") + 1, "product_line")  # the old packed form
    conn.execute("INSERT INTO records VALUES ('item', 'jira:PAY-1', 'jira', ?, 'h', 1, 0, ?)",
                 (json.dumps(old), marshal.dumps(tuple(old[name] for name in layout))))
    conn.execute("INSERT INTO revisions VALUES ('item', 'jira:PAY-1', 1, ?, 'h', 0)",
                 (json.dumps(old),))
    conn.close()
    store = Store(path)
    try:
        (loaded,) = store.current("item")
        assert loaded == epic and loaded.product_line is None
        assert "product_line" not in store.conn.execute("SELECT data FROM revisions").fetchone()[0]
    finally:
        store.close()
