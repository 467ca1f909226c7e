"""Nothing to report yet: a store nobody synced into, a product line with no items. Neither
may overwrite published pages with empty ones or stop a run with "internal error"."""

from __future__ import annotations

from pmsync.cli import main


def run_cli(capsys, path, *args) -> tuple[int, str, str]:
    code = main(["--config", str(path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_clickup_line_with_no_items_yet_does_not_stop_the_run(
        sandbox, tmp_path, monkeypatch, capsys, write_clickup_config):
    """A line just added for a ClickUp space nobody filled yet: its Doc page has no charts
    (before: the Markdown template asked for one, exit 70, no alerts posted)."""
    path = write_clickup_config(sandbox, tmp_path, monkeypatch)
    path.write_text(path.read_text().replace('space = "Platform"', 'space = "Not there yet"'))
    code, out, err = run_cli(capsys, path, "run")
    assert code == 0, err
    assert "report    Platform: page v1 (created)" in out
    assert "alerts    " in out and "internal error" not in err


def test_nothing_is_published_from_a_store_nothing_was_synced_into(
        sandbox, tmp_path, monkeypatch, capsys, write_clickup_config):
    """A mistyped state_dir or a container without its volume is a fresh, empty store:
    publishing from it replaced every published page with "No active or closed sprint"."""
    path = write_clickup_config(sandbox, tmp_path, monkeypatch)
    for command in (["report"], ["alert"], ["run", "--no-sync"]):
        code, _, err = run_cli(capsys, path, *command)
        assert code == 0, (command, err)
        for tracker in ("jira", "clickup"):
            assert f"{tracker}: nothing was ever synced from it into" in err, (command, err)
    assert sandbox.writes == []
    assert run_cli(capsys, path, "sync", "--tracker", "jira")[0] == 0
    code, out, err = run_cli(capsys, path, "run", "--no-sync")  # jira now, clickup still not
    assert code == 0 and "report    Payments: page v1 (created)" in out
    assert "clickup: nothing was ever synced" in err and "jira: nothing" not in err
    assert {w["path"].split("/")[1] for w in sandbox.writes} == {"rest", "wiki"}  # Jira's only


def test_check_on_a_store_nothing_was_synced_into_fails(
        sandbox, tmp_path, monkeypatch, capsys, write_clickup_config):
    """`check --fail-on critical` pointed at the wrong state_dir said "No findings." and exit 0:
    a cron job guarding the plan stayed green on an empty store."""
    from pmsync.errors import EXIT_STATE

    path = write_clickup_config(sandbox, tmp_path, monkeypatch)
    code, out, err = run_cli(capsys, path, "check", "--fail-on", "critical")
    assert code == EXIT_STATE and "No findings." not in out, (code, out, err)
    (error,) = err.strip().splitlines()
    assert "nothing was ever synced into this store" in error and "run `pmsync sync`" in error
    assert "pmsync.sqlite3" in error or "postgresql://" in error  # the store it looked at
    assert run_cli(capsys, path, "sync", "--tracker", "jira")[0] == 0
    code, out, err = run_cli(capsys, path, "check")  # jira now, clickup still not: said
    assert code == 0 and "clickup: nothing was ever synced from it into" in err, err
    assert "jira: nothing was ever synced" not in err
