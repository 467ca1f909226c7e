"""The read model (README, "Read model"): the same views, the same rows, on both stores."""

from __future__ import annotations

from pmsync.cli import main
from pmsync.read_model import views

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


def test_the_views_are_the_same_on_sqlite_and_postgres(sandbox, tmp_path, monkeypatch,
                                                       write_config, pg_url, open_store):
    from conftest import PG_PASSWORD_ENV

    lite = write_config(sandbox, tmp_path / "lite", monkeypatch)
    pg = write_config(sandbox, tmp_path / "pg", monkeypatch)
    pg.write_text(f'store = "{pg_url}"\nstore_password_env = "{PG_PASSWORD_ENV}"\n'
                  + pg.read_text())
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
    open_findings = rows(a, "pm_open_findings")
    assert len(open_findings) == sum(1 for e in a.alerts() if e.state == "open") > 0
    assert rows(a, "pm_links") and rows(a, "pm_sprints") and rows(a, "pm_releases")

    for store in (a, b):  # the README's chart query runs on both and counts the same
        scope = [tuple(str(v) for v in row[1:]) for row in store.conn.execute(SCOPE_OVER_TIME)]
        assert len(scope) == 2 and int(scope[0][0]) > 0
    assert ([r[1:] for r in a.conn.execute(SCOPE_OVER_TIME)]
            == [r[1:] for r in b.conn.execute(SCOPE_OVER_TIME)])
