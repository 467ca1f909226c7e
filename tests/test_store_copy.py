"""`pmsync store copy --to postgresql://...`: switch stores without a resync or a duplicate."""

from __future__ import annotations

import re

import pytest

from conftest import PG_PASSWORD_ENV, pg_store_lines


@pytest.mark.sqlite_only  # copies a SQLite store to PostgreSQL: the source is SQLite
def test_copy_then_run_on_postgres_is_incremental_and_posts_nothing_twice(
        sandbox, pmsync, config_path, pg_url, open_store):
    code, out, err = pmsync("run")
    assert code == 0, err
    assert int(re.search(r"alerts +(\d+) created", out).group(1)) > 0
    posts = len(sandbox.writes_to("POST", "/comment"))
    pages = len(sandbox.writes_to("POST", "/content"))

    code, out, err = pmsync("store", "copy", "--to", pg_url, "--password-env", PG_PASSWORD_ENV)
    assert code == 0, err
    assert re.search(r"alerts [1-9]", out) and re.search(r"cursors [1-9]", out)
    code, _, err = pmsync("store", "copy", "--to", pg_url, "--password-env", PG_PASSWORD_ENV)
    assert code == 5 and "already holds a store" in err  # never over a store

    config_path.write_text(pg_store_lines(pg_url) + config_path.read_text())
    code, out, err = pmsync("run")
    assert code == 0, err
    assert "(full)" not in out and "(incremental)" in out
    assert re.search(r"alerts +0 created, 0 edited", out), out
    assert len(sandbox.writes_to("POST", "/comment")) == posts  # no duplicate comment
    assert len(sandbox.writes_to("POST", "/content")) == pages  # no second page
    runs = open_store(config_path).runs()
    assert [r.command for r in runs[:2]] == ["run", "run"] and runs[0].id > runs[1].id


def test_copy_refuses_a_url_with_a_password(pmsync):
    code, _, err = pmsync("store", "copy", "--to", "postgresql://u:sekrit99@h/db")
    assert code == 2 and "sekrit99" not in err
