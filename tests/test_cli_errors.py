"""Bad input gets one line naming the problem and exit 2; refused credentials exit 3."""

from __future__ import annotations

import pytest

from conftest import store_of
from pmsync.cli import main
from pmsync.lock import run_lock


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err: str, *fragments: str) -> None:
    lines = [line for line in err.splitlines() if line.startswith("pmsync: error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize(
    ("edit", "fragments"),
    [
        (lambda t: t.replace('projects = ["PAY", "MOB", "WEB"]\n', ""),
         ["trackers.jira.projects is missing"]),
        (lambda t: t.replace('pages_space = "PM"', "pages_space = 7"),
         ["trackers.jira.pages_space must be non-empty text, not 7"]),
        (lambda t: t + '\n[rules.no-such-rule]\nenabled = true\n',
         ["rules.no-such-rule is not a known rule", "epic-overdue"]),
        (lambda t: t + '\n[rules.epic-overdue]\nseverity = "loud"\n',
         ["rules.epic-overdue.severity must be one of info, warning, critical"]),
        (lambda t: t.replace('kind = "jira"', 'kind = "trello"'),
         ["trackers.jira.kind must be one of: clickup, jira"]),
        (lambda t: t.replace("state_dir", "stat_dir"), ["stat_dir is not a known key here"]),
        (lambda t: t + "\n[broken", ["not valid TOML"]),
        (lambda t: t.replace('token_env = "PMSYNC_DEMO_TOKEN"', 'token_env = "PMSYNC_UNSET_VAR"'),
         ["environment variable PMSYNC_UNSET_VAR is not set"]),
    ],
    ids=["missing-key", "wrong-type", "unknown-rule", "bad-severity", "unknown-kind",
         "unknown-key", "bad-toml", "missing-env-var"],
)
def test_bad_config_exits_2_with_one_line(config_path, capsys, edit, fragments):
    config_path.write_text(edit(config_path.read_text()))
    code, _, err = run_cli(capsys, "--config", str(config_path), "run")
    assert code == 2
    assert_one_line_error(err, str(config_path), *fragments)


def test_missing_config_file_points_to_init(tmp_path, capsys):
    code, _, err = run_cli(capsys, "--config", str(tmp_path / "nope.toml"), "check")
    assert code == 2
    assert_one_line_error(err, "pmsync init")


def test_wrong_token_exits_3_and_writes_nothing(config_path, capsys, monkeypatch):
    monkeypatch.setenv("PMSYNC_DEMO_TOKEN", "not-the-token")
    code, _, err = run_cli(capsys, "--config", str(config_path), "run")
    assert code == 3
    assert_one_line_error(err, "refused the credentials", "HTTP 401", "$PMSYNC_DEMO_TOKEN")
    assert "not-the-token" not in err
    store = store_of(config_path)
    try:
        assert store.count("item") == 0 and store.cursor("jira") is None
        (run,) = store.runs()  # recorded as failed, with the one line the user saw
        assert (run.command, run.outcome, run.exit_code) == ("run", "failed", 3)
        assert "refused the credentials" in run.error and "not-the-token" not in run.error
    finally:
        store.close()


def test_unreachable_tracker_exits_3(config_path, capsys, sandbox):
    sandbox.stop()
    text = config_path.read_text().replace('projects = ', 'retry_attempts = 1\nprojects = ')
    config_path.write_text(text)
    code, _, err = run_cli(capsys, "--config", str(config_path), "sync")
    assert code == 3
    assert_one_line_error(err, "cannot reach Jira at http://127.0.0.1:")


@pytest.mark.sqlite_only  # the state_dir file lock; PostgreSQL's advisory locks: test_pg_concurrency
def test_second_run_while_locked_exits_4(config_path, capsys):
    with run_lock(config_path.parent / "state" / "pmsync.lock"):
        code, _, err = run_cli(capsys, "--config", str(config_path), "run")
    assert code == 4
    assert_one_line_error(err, "another pmsync run")


def test_fail_on_maps_findings_to_exit_1(pmsync):
    assert pmsync("sync")[0] == 0
    code, out, _ = pmsync("check", "--fail-on", "critical")
    assert code == 1 and "blocker-scheduled-late" in out
    assert pmsync("check")[0] == 0


def test_init_writes_a_sample_that_loads(tmp_path, capsys, monkeypatch):
    path = tmp_path / "pmsync.toml"
    code, out, _ = run_cli(capsys, "--config", str(path), "init")
    assert code == 0 and path.exists()
    code, _, err = run_cli(capsys, "--config", str(path), "init")
    assert code == 2 and "--force" in err
    code, _, err = run_cli(capsys, "--config", str(path), "sync")
    assert code == 2 and "trackers.jira.url is still the sample's placeholder" in err
    # Once its site and account are the user's, the sample is valid: it only lacks the secret.
    path.write_text(path.read_text().replace("your-site", "acme").replace("you@", "pm@"))
    code, _, err = run_cli(capsys, "--config", str(path), "sync")
    assert code == 2 and "PMSYNC_JIRA_TOKEN is not set" in err


def test_dry_run_alert_touches_nothing(pmsync, sandbox):
    assert pmsync("sync")[0] == 0
    writes = len(sandbox.writes)
    code, out, _ = pmsync("alert", "--dry-run")
    created = [line for line in out.splitlines() if line.startswith("would create ")]
    assert code == 0 and created
    assert f"{len(created)} comments would be created" in out
    assert not [line for line in out.splitlines() if line.startswith(("created", "edited"))]
    assert len(sandbox.writes) == writes
    code, out, _ = pmsync("run", "--dry-run")
    assert code == 0 and len(sandbox.writes) == writes
    assert f"alerts    {len(created)} would be created, 0 would be edited" in out
    assert "created" not in out.replace("would be created", "")
    assert "page would publish" in out


def test_token_with_a_stray_newline(config_path, capsys, monkeypatch, sandbox):
    """A token variable filled from a file (a Kubernetes secret, a CRLF env file) ends in a
    line break: it works. Whitespace inside the token is said plainly, naming the variable
    (not the value), instead of a refused header or "not valid JSON" from the tracker."""
    token = sandbox.site.account.api_token
    monkeypatch.setenv("PMSYNC_DEMO_TOKEN", token + "\r\n")
    code, out, err = run_cli(capsys, "--config", str(config_path), "sync")
    assert code == 0, err
    monkeypatch.setenv("PMSYNC_DEMO_TOKEN", f"{token}\nX-Extra: 1")
    code, _, err = run_cli(capsys, "--config", str(config_path), "sync")
    assert code == 2
    assert_one_line_error(err, "trackers.jira.token_env", "PMSYNC_DEMO_TOKEN",
                          "line break or control character inside the token")
    assert "X-Extra" not in err
