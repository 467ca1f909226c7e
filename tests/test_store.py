"""The store: migrations, revisions only on change, cursor moves with the data.

The tests taking ``new_store`` (conftest) run against SQLite and PostgreSQL both."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest

from pmsync.errors import StateError
from pmsync.migrations import MIGRATIONS
from pmsync.model import Link, WorkItem
from pmsync.store import AlertEntry, PageEntry, Store


def story(title="t", updated=1) -> WorkItem:
    return WorkItem("jira:PAY-1", "story", title, "To Do", "todo",
                    updated=datetime(2026, 11, updated, tzinfo=UTC))


@pytest.mark.sqlite_only  # SQLite's user_version and WAL; test_a_postgres_store_reopens_at_its_version
def test_schema_is_versioned_and_reopens(tmp_path):
    path = tmp_path / "s.sqlite3"
    store = Store(path)
    assert store.schema_version == len(MIGRATIONS)
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    conn.close()
    Store(path).close()  # idempotent


@pytest.mark.sqlite_only  # the SQLite file's user_version; PostgreSQL's in test_a_postgres_store_reopens
def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "s.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(StateError, match="upgrade pmsync"):
        Store(path)


def test_revision_only_when_a_record_changes(new_store):
    store = new_store
    runs = [store.begin_run("sync") for _ in range(3)]
    with store.transaction():
        assert store.upsert("jira", [story()], runs[0]) == 1
    with store.transaction():
        assert store.upsert("jira", [story()], runs[1]) == 0
    with store.transaction():
        assert store.upsert("jira", [story("renamed", 2)], runs[2]) == 1
    assert store.revision_runs() == [runs[0], runs[2]]
    (current,) = store.current("item")
    assert current == story("renamed", 2)  # round-trips exactly, dates aware


def test_a_failed_transaction_leaves_data_and_cursor_untouched(new_store):
    store = new_store
    run = store.begin_run("sync")
    with pytest.raises(KeyboardInterrupt), store.transaction():
        store.upsert("jira", [story()], run)
        store.set_cursor("jira", "2026-11-01T00:00:00+00:00", run)
        raise KeyboardInterrupt
    assert store.count("item") == 0 and store.cursor("jira") is None


def test_links_touching_resynced_items_are_replaced(new_store):
    store = new_store
    run = store.begin_run("sync")
    with store.transaction():
        store.replace_links("jira", {"jira:A", "jira:B"}, [Link("jira:A", "jira:B"),
                                                          Link("jira:C", "jira:D")], run)
    with store.transaction():
        store.replace_links("jira", {"jira:A"}, [], run)  # A lost its link
    assert [link.key for link in store.current("link")] == ["jira:C->jira:D"]


def test_the_stored_json_is_to_jsons_text_whatever_path_makes_it():
    import json

    from pmsync.model import json_text, to_json

    item = WorkItem(key="j:A-1", kind="story", title="Pay \u00e9", status="Open",
                    status_category="todo", sprint_keys=("j:sprint:1",),
                    created=datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
                    facets=(("project", "A"), ("label", "x")))
    assert json_text(item) == json.dumps(to_json(item), sort_keys=True)


def test_the_ledgers_never_hold_a_duplicate(new_store):
    """The alert and page ledgers are keyed: a second row for one comment or page is refused
    by the database itself, and saving again updates the one row."""
    store = new_store
    entry = AlertEntry("fp1", "jira:PAY-1", "drift", "jira:PAY-1", "c1", "open", "h1")
    store.save_alert(entry)
    store.save_alert(AlertEntry("fp1", "jira:PAY-1", "drift", "jira:PAY-1", "c1", "open", "h2"))
    assert [a.body_hash for a in store.alerts()] == ["h2"]
    with pytest.raises(store.errors):
        store.conn.execute("INSERT INTO alerts(fingerprint, target_key, rule, subject_key, "
                           "comment_id, state, body_hash, updated_at) VALUES ('fp1', "
                           "'jira:PAY-1', 'drift', 'jira:PAY-1', 'c9', 'open', 'h3', 'now')")
    store.save_page(PageEntry("review:Payments", "jira", "p1", 1, None, "b1"))
    store.save_page(PageEntry("review:Payments", "jira", "p1", 2, None, "b2"))
    assert store.page("review:Payments").version == 2
    with pytest.raises(store.errors):
        store.conn.execute("INSERT INTO pages VALUES ('review:Payments', 'jira', 'p2', 1, "
                           "NULL, 'b', 'now')")
    assert len(store.alerts()) == 1


def test_the_alert_ledger_masks_secrets_in_what_a_comment_says(new_store):
    """A comment's headline is built from tracker text: a token pasted there is masked in
    the ledger and the read model, as in the logs."""
    import base64
    import uuid

    from pmsync.logs import register_secret

    store, secret = new_store, f"tok-{uuid.uuid4().hex}"
    register_secret(secret)
    encoded = base64.b64encode(f"me@example.com:{secret}".encode()).decode()
    store.save_alert(AlertEntry("fp1", "jira:PAY-1", "drift", "jira:PAY-1", "c1", "open", "h1",
                                "critical", f"Epic PAY-1 is still {secret}"))
    store.save_alert(AlertEntry("fp2", "jira:PAY-2", "drift", "jira:PAY-2", "c2", "open", "h2"))
    store.describe_alert("fp2", "jira:PAY-2", "warning", f"PAY-2 waits on Basic {encoded}")
    rows = store.conn.execute("SELECT fingerprint, severity, message FROM pm_open_findings "
                              "ORDER BY fingerprint").fetchall()
    assert [tuple(row) for row in rows] == [("fp1", "critical", "Epic PAY-1 is still ***"),
                                            ("fp2", "warning", "PAY-2 waits on Basic ***")]
    assert [a.message for a in store.alerts()] == [row[2] for row in rows]


def test_a_postgres_store_reopens_at_its_version(pg_url):
    import os

    password = os.environ.get("PMSYNC_TEST_PG_PASSWORD")
    store = Store(pg_url, password)
    assert store.schema_version == len(MIGRATIONS)
    run = store.begin_run("sync")
    with store.transaction():
        store.upsert("jira", [story()], run)
        store.set_cursor("jira", {"updated": "2026-11-01"}, run)
    store.close()
    again = Store(pg_url, password)
    assert again.current("item") == [story()] and again.cursor("jira") == {"updated": "2026-11-01"}
    again.conn.execute("UPDATE pmsync_schema SET version = ?", (len(MIGRATIONS) + 1,))
    again.close()
    with pytest.raises(StateError, match="upgrade pmsync"):
        Store(pg_url, password)


def test_a_wrong_password_is_one_line_without_it(pg_url):
    with pytest.raises(StateError) as caught:
        Store(pg_url, "not-the-password-x")
    message = str(caught.value)
    assert "cannot connect to the PostgreSQL store" in message and "store_password_env" in message
    assert "not-the-password-x" not in message and "\n" not in message


def test_runners_starting_at_once_on_a_new_postgres_store_all_open_it(pg_url):
    """The first migration runs under an advisory lock: without it, two CREATE TABLE IF NOT
    EXISTS at once collide (a duplicate-key error from the catalogue) and a runner fails."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    password = os.environ.get("PMSYNC_TEST_PG_PASSWORD")

    def open_close(_):
        Store(pg_url, password).close()
        return True

    with ThreadPoolExecutor(6) as pool:
        assert all(pool.map(open_close, range(6)))


def test_large_batches_store_what_row_by_row_writes_store(new_store):
    """Past pgstore.BULK_ROWS PostgreSQL takes rows by COPY and one INSERT ... SELECT:
    the same rows, revisions and counts as one statement per row, duplicates included."""
    from pmsync.model import Change
    from pmsync.pgstore import BULK_ROWS

    store, size = new_store, BULK_ROWS + 500
    first = store.begin_run("sync")
    items = [WorkItem(f"jira:PAY-{n}", "story", f"t{n}", "To Do", "todo", estimate=float(n % 5))
             for n in range(size)]
    with store.transaction():
        assert store.upsert("jira", items, first) == size
    second = store.begin_run("sync")
    renamed = [WorkItem(f"jira:PAY-{n}", "story", f"renamed {n}", "To Do", "todo")
               for n in range(0, size, 2)]
    # A key twice in one batch (the last one stands), and new keys beside changed ones.
    twice = [WorkItem("jira:PAY-1", "story", "first", "To Do", "todo"),
             WorkItem("jira:PAY-1", "story", "last", "Done", "done")]
    new = [WorkItem(f"jira:WEB-{n}", "story", f"w{n}", "To Do", "todo") for n in range(BULK_ROWS)]
    with store.transaction():
        assert store.upsert("jira", [*renamed, *twice, *new], second) == len(renamed) + 2 + len(new)
    stored = {item.key: item for item in store.current("item")}
    assert len(stored) == size + len(new)
    assert stored["jira:PAY-0"].title == "renamed 0" and stored["jira:PAY-3"].title == "t3"
    assert (stored["jira:PAY-1"].title, stored["jira:PAY-1"].status) == ("last", "Done")
    assert stored["jira:PAY-4"].estimate is None and stored["jira:PAY-3"].estimate == 3.0
    revisions = store.conn.execute("SELECT run_id, COUNT(*) FROM revisions GROUP BY run_id "
                                   "ORDER BY run_id").fetchall()
    assert [tuple(r) for r in revisions] == [(first, size), (second, len(renamed) + 1 + len(new))]
    at = datetime(2026, 11, 1, tzinfo=UTC)
    changes = [Change(f"jira:PAY-{n}", "status", at, None, "Done", str(n)) for n in range(size)]
    with store.transaction():
        assert store.add_changes(changes) == size
        assert store.add_changes(changes[:BULK_ROWS] + [
            Change("jira:PAY-0", "status", at, "Done", None, "new")]) == 1  # the rest known
    assert len(store.changes()) == size + 1


def test_loading_everything_at_once_gives_each_kind_as_loaded_alone(new_store):
    # all_current looks up each kind's unpacker once per load (issue 14): every kind,
    # interleaved rows, values shared between records and an unhashable one a plugin
    # might store (a list) must come back as current(kind) gives them.
    from datetime import date

    from pmsync.model import Release, Sprint

    store = new_store
    run = store.begin_run("sync")
    records = [
        WorkItem("j:A-1", "epic", "Epic", "To Do", "todo", facets=(("project", "A"),),
                 due=date(2026, 12, 1), created=datetime(2026, 11, 1, 9, tzinfo=UTC)),
        Link("j:A-2", "j:A-1"),
        Sprint("j:sprint:1", "S1", "active", start=datetime(2026, 11, 2, tzinfo=UTC)),
        WorkItem("j:A-2", "story", "Story", "To Do", "todo", parent_key="j:A-1",
                 sprint_keys=("j:sprint:1",), facets=(("project", "A"),)),
        Release("j:version:1", "1.0", date(2026, 12, 24)),
        WorkItem("j:A-3", "story", "Odd", "To Do", "todo", labels=["a", "b"]),  # a list
        Link("j:A-3", "j:A-2"),
    ]
    with store.transaction():
        store.upsert("j", records, run)
    loaded = store.all_current()
    for kind in ("item", "sprint", "link", "release"):
        assert sorted(loaded[kind], key=repr) == sorted(store.current(kind), key=repr)
    items = {i.key: i for i in loaded["item"]}
    assert items["j:A-2"].parent_key is items["j:A-1"].key  # shared, not equal copies
    assert list(items["j:A-3"].labels) == ["a", "b"]
    assert len(loaded["link"]) == 2 and len(loaded["sprint"]) == 1
