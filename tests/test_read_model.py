"""The read model (README, "Read model"): the same views, the same rows, on both stores."""

from __future__ import annotations

import json
import os

from conftest import PG_PASSWORD_ENV, _write_config, pg_store_lines
from pmsync import migrations
from pmsync.cli import main
from pmsync.model import SEVERITIES
from pmsync.read_model import views
from pmsync.store import Store

# Columns that differ between two stores filled from one site: when each run happened.
WHEN = {"run_started_at", "last_written_at", "started_at", "finished_at", "host"}

# The README's example: a product line's scope (open items, estimate) after each run.
SCOPE_OVER_TIME = """
SELECT r.run_started_at, COUNT(*) AS open_items, SUM(h.estimate) AS points
FROM (SELECT DISTINCT run_id, run_started_at FROM pm_item_history) r
JOIN pm_item_history h ON h.run_id = (
    SELECT MAX(h2.run_id) FROM pm_item_history h2
    WHERE h2.item_key = h.item_key AND h2.run_id <= r.run_id)
WHERE h.removed = 0 AND h.status_category NOT IN ('done', 'cancelled')
  AND h.item_key IN (SELECT item_key FROM pm_item_facets
                     WHERE tracker = 'jira' AND facet = 'project' AND value = 'PAY')
GROUP BY r.run_id, r.run_started_at ORDER BY r.run_id
"""


def rows(store, view: str) -> list[tuple[str, ...]]:
    cur = store.conn.execute(f"SELECT * FROM {view}")
    names = [d[0] for d in cur.description]
    keep = [i for i, name in enumerate(names) if name not in WHEN]
    return sorted(tuple(str(row[i]) for i in keep) for row in cur.fetchall())


def open_findings(store) -> dict[tuple[str, str], tuple[str | None, str | None, str]]:
    """(fingerprint, target) → (severity, message, last_written_at), from the view."""
    return {(fp, target): (severity, message, at) for fp, target, severity, message, at in
            store.conn.execute("SELECT fingerprint, target_key, severity, message, "
                               "last_written_at FROM pm_open_findings")}


def test_the_views_are_the_same_on_sqlite_and_postgres(sandbox, tmp_path, monkeypatch,
                                                       pg_url, open_store, capsys):
    # Both stores side by side in one test: the plain writer, not the per-store fixture.
    lite = _write_config(sandbox, tmp_path / "lite", monkeypatch)
    pg = _write_config(sandbox, tmp_path / "pg", monkeypatch, store_lines=pg_store_lines(pg_url))
    for path in (lite, pg):
        assert main(["--config", str(path), "sync"]) == 0
    site = sandbox.site
    epic = next(k for k, i in site.issues.items() if i["fields"]["issuetype"]["name"] == "Epic")
    site.touch(epic, summary="Renamed epic")
    for path in (lite, pg):
        assert main(["--config", str(path), "sync"]) == 0
    for path in (lite, pg):  # one store posts the comments, the other adopts them
        assert main(["--config", str(path), "alert"]) == 0
    a, b = open_store(lite), open_store(pg)
    for view in views("sqlite"):
        mine, theirs = rows(a, view), rows(b, view)
        assert mine == theirs, (view, [r for r in mine if r not in theirs][:2],
                                [r for r in theirs if r not in mine][:2])

    items = rows(a, "pm_items")
    assert len(items) == a.count("item") == len(site.issues)
    history = {r[0]: r for r in rows(a, "pm_item_history") if r[0] == f"jira:{epic}"}
    assert history and any("Renamed epic" in r for r in rows(a, "pm_item_history"))
    facets = rows(a, "pm_item_facets")
    assert any(r[2:] == ("project", "PAY") for r in facets)
    standing = rows(a, "pm_open_findings")
    assert len(standing) == sum(1 for e in a.alerts() if e.state == "open") > 0
    # Each open finding says what its comment says: the finding's severity and message.
    capsys.readouterr()
    assert main(["--config", str(lite), "check", "--format", "json"]) == 0
    said = {f["fingerprint"]: (f["severity"], f["message"])
            for f in json.loads(capsys.readouterr().out)}
    for store in (a, b):
        shown = {fp: (severity, message) for (fp, _), (severity, message, _) in
                 open_findings(store).items()}
        assert shown and shown == {fp: said[fp] for fp in shown}
    assert rows(a, "pm_links") and rows(a, "pm_sprints") and rows(a, "pm_releases")

    for store in (a, b):  # the README's chart query runs on both and counts the same
        scope = [tuple(str(v) for v in row[1:]) for row in store.conn.execute(SCOPE_OVER_TIME)]
        assert len(scope) == 2 and int(scope[0][0]) > 0
    assert ([r[1:] for r in a.conn.execute(SCOPE_OVER_TIME)]
            == [r[1:] for r in b.conn.execute(SCOPE_OVER_TIME)])


def test_ledger_rows_from_before_migration_7_are_described_on_the_next_alert_step(
        pmsync, config_path, sandbox, open_store):
    assert pmsync("sync")[0] == 0
    assert pmsync("alert")[0] == 0
    store = open_store(config_path)
    before = open_findings(store)
    assert before and all(severity in SEVERITIES and message
                          for severity, message, _ in before.values())
    # As migration 7 leaves the rows written before it: no severity, no message.
    store.conn.execute("UPDATE alerts SET severity = NULL, message = NULL")
    assert {text[:2] for text in open_findings(store).values()} == {(None, None)}
    writes = len(sandbox.writes)
    code, out, _ = pmsync("alert")
    assert code == 0 and "0 comments were created" in out, out
    assert len(sandbox.writes) == writes  # filled from the findings: no tracker call
    assert open_findings(store) == before  # when each comment was written: unchanged


def test_migration_7_keeps_the_ledger_and_shows_older_rows_without_text(
        store_kind, request, tmp_path, monkeypatch):
    def open_() -> Store:
        if store_kind == "sqlite":
            return Store(tmp_path / "s.sqlite3")
        return Store(request.getfixturevalue("pg_url"), os.environ.get(PG_PASSWORD_ENV))

    with monkeypatch.context() as before_7:  # a store as the pmsync before migration 7 left it
        before_7.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:6])
        before_7.setattr(migrations, "_EXPECTED", {})
        before_7.setitem(migrations.POSTGRES_ONLY, 7, "")
        old = open_()
        assert old.schema_version == 6
        old.conn.execute("INSERT INTO alerts VALUES ('fp1', 'jira:PAY-1', 'drift', 'jira:PAY-2', "
                         "'c1', 'open', 'h1', '2026-11-01T00:00:00+00:00')")
        assert [c[0] for c in old.conn.execute("SELECT * FROM pm_open_findings").description] \
            == ["fingerprint", "rule", "subject_key", "target_key", "comment_id",
                "last_written_at"]
        old.close()
    store = open_()
    try:
        assert store.schema_version == len(migrations.MIGRATIONS) >= 7
        cur = store.conn.execute("SELECT * FROM pm_open_findings")
        assert [c[0] for c in cur.description] == [
            "fingerprint", "rule", "severity", "subject_key", "target_key", "message",
            "comment_id", "last_written_at"]
        assert [tuple(row) for row in cur] == [("fp1", "drift", None, "jira:PAY-2", "jira:PAY-1",
                                                None, "c1", "2026-11-01T00:00:00+00:00")]
        assert [(a.severity, a.message) for a in store.alerts()] == [(None, None)]
    finally:
        store.close()
