"""`pmsync doctor` through the CLI against the sandbox: what it checks, and its exit codes."""

from __future__ import annotations

import re

import pytest

from pmsync.cli import main
from pmsync.demo import TOKEN_ENV
from pmsync.sandbox import Sandbox


def doctor(config, capsys) -> tuple[int, str]:
    """Exit code and stdout (the checks); stderr holds only log lines."""
    code = main(["--config", str(config), "doctor"])
    out, err = capsys.readouterr()
    assert "FAIL" not in err and "Traceback" not in err
    return code, out


def project_size(site, project: str) -> int:
    return sum(1 for key in site.issues if key.startswith(f"{project}-"))


def test_a_good_setup_passes_and_says_what_a_run_does(sandbox, tmp_path, monkeypatch, capsys,
                                                      write_clickup_config):
    config = write_clickup_config(sandbox, tmp_path, monkeypatch)
    code, out = doctor(config, capsys)
    assert code == 0, out
    assert "FAIL" not in out and out.rstrip().endswith("pmsync doctor: all good")
    assert "credentials: signed in to Jira Cloud" in out and "as Dana Demo" in out
    for project in ("PAY", "MOB", "WEB"):
        assert f"project {project}: may browse, add comments and edit its own comments" in out
    assert "Confluence space PM: may create and edit pages and attach files" in out
    assert re.search(r"custom fields found: Sprint = customfield_\d+", out)
    assert "credentials: the token sees workspace Acme" in out
    assert "custom field 'Waits on (Jira)' found" in out
    # Before a sync, Jira lines are counted on the tracker (approximate-count).
    pay = project_size(sandbox.site, "PAY")
    assert f"Payments: {pay} items on the tracker now" in out
    space = next(sid for sid, s in sandbox.clickup.spaces.items() if s["name"] == "Platform")
    platform = sum(1 for t in sandbox.clickup.tasks.values() if t["space"]["id"] == space
                   and not t["archived"])
    assert f"Platform: {platform} items on the tracker now" in out
    assert "run   sync jira: first sync: everything" in out
    assert "report sprint review of Platform → clickup: Doc 'pmsync reports'" in out
    # Doctor writes nothing (a POST that only counts is a read).
    assert {w["path"] for w in sandbox.writes} == {"/rest/api/3/search/approximate-count"}
    assert not sandbox.clickup.docs

    assert main(["--config", str(config), "sync"]) == 0
    capsys.readouterr()
    code, out = doctor(config, capsys)
    assert code == 0, out
    assert f"Platform: {len(sandbox.clickup.tasks)} items in the store (last sync)" in out
    assert "sync clickup: incremental" in out


@pytest.mark.parametrize("denied, message", [
    ("ADD_COMMENTS", "project PAY: this account lacks Add Comments"),
    ("EDIT_OWN_COMMENTS", "project MOB: this account lacks Edit Own Comments"),
    ("create:page", "Confluence space PM: this account may not add pages"),
    ("create:attachment", "Confluence space PM: this account may not add attachments"),
])
def test_a_missing_permission_fails_with_exit_3(sandbox, tmp_path, monkeypatch, capsys,
                                                write_config, denied, message):
    sandbox.site.denied.add(denied)
    code, out = doctor(write_config(sandbox, tmp_path, monkeypatch), capsys)
    assert code == 3
    assert any(line.startswith("FAIL") and message in line for line in out.splitlines()), out
    assert "fix the FAIL lines above (exit 3)" in out


def test_refused_credentials_exit_3_and_a_missing_token_exit_2(sandbox, tmp_path, monkeypatch,
                                                               capsys, write_config):
    config = write_config(sandbox, tmp_path, monkeypatch)
    monkeypatch.setenv(TOKEN_ENV, "wrong-token")
    code, out = doctor(config, capsys)
    assert code == 3 and "refused the credentials" in out
    assert "wrong-token" not in out + capsys.readouterr().err
    monkeypatch.delenv(TOKEN_ENV)
    code, out = doctor(config, capsys)
    assert code == 2 and f"environment variable {TOKEN_ENV} is not set" in out


def test_an_unknown_project_and_an_empty_line_are_named(sandbox, tmp_path, monkeypatch, capsys,
                                                        write_config):
    config = write_config(sandbox, tmp_path, monkeypatch)
    text = config.read_text().replace('projects = ["PAY", "MOB", "WEB"]',
                                      'projects = ["PAY", "MOB", "WEB", "NOPE"]')
    text = text.replace('{ tracker = "jira", project = "WEB" }',
                        '{ tracker = "jira", project = "WEB", label = "no-such-label" }')
    config.write_text(text)
    code, out = doctor(config, capsys)
    assert code == 3  # the first failure: the project
    assert "FAIL  jira       project NOPE: not found or not visible to this account" in out
    assert "FAIL  lines      Web: selects no items on the tracker now" in out


def test_no_config_is_exit_2(tmp_path, capsys):
    code, out = doctor(tmp_path / "missing.toml", capsys)
    assert code == 2 and "no such config file; create one with `pmsync init`" in out


def test_data_center_checks_what_it_can(tmp_path, monkeypatch, capsys, write_config):
    with Sandbox.start(seed=7, size=60, deployment="Server", clickup_size=0) as dc:
        code, out = doctor(write_config(dc, tmp_path, monkeypatch), capsys)
        assert code == 0, out
        assert "signed in to Jira Data Center" in out
        assert "Confluence space PM: found; Data Center cannot list your space permissions" in out
        assert f"Payments: {project_size(dc.site, 'PAY')} items on the tracker now" in out


def test_a_state_dir_that_is_a_file_fails_before_the_run_does(config_path, capsys):
    """`run` would stop with exit 5 on it, so the doctor must not say "all good"."""
    state = config_path.parent / "state"
    state.write_text("not a folder")
    code, out = doctor(config_path, capsys)
    assert code == 5, out
    (fail,) = [line for line in out.splitlines() if line.startswith("FAIL  state")]
    assert fail.startswith(f"FAIL  state      {state}") and "is a file where pmsync needs a " \
        "folder; point" in fail
    assert "credentials: signed in to Jira Cloud" in out  # the other checks still run
    assert out.rstrip().endswith("pmsync doctor: fix the FAIL lines above (exit 5)")
    assert main(["--config", str(config_path), "run"]) == 5  # as the doctor said


@pytest.mark.sqlite_only  # the damage is to the SQLite file's bytes
def test_a_damaged_store_is_a_fail_line_not_the_end(config_path, capsys):
    state = config_path.parent / "state"
    state.mkdir()
    (state / "pmsync.sqlite3").write_bytes(b"this is not a database" * 100)
    code, out = doctor(config_path, capsys)
    assert code == 5, out
    assert "FAIL  state" in out and "move it aside" in out
    assert "ok    lines      Payments:" in out  # counted on the tracker instead
    assert out.rstrip().endswith("pmsync doctor: fix the FAIL lines above (exit 5)")
