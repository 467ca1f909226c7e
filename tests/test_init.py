"""`pmsync init`: on a terminal it asks (driven here through a pseudo-terminal), and the
config it writes passes `pmsync doctor`; without a terminal it writes the sample."""

from __future__ import annotations

import subprocess
import sys

from pmsync.cli import main
from pmsync.config import SAMPLE_CONFIG
from terminal import Terminal


def test_interactive_init_writes_a_config_doctor_accepts(sandbox, tmp_path, monkeypatch, capsys):
    config = tmp_path / "pmsync.toml"
    term = Terminal("--config", str(config), "init", cwd=tmp_path)
    term.answer("Tracker kind (jira or clickup) [jira]: ", "")
    term.answer("Name for it in the config [jira]: ", "")
    term.answer("Jira URL", sandbox.url)
    term.answer("Is this Jira Cloud? [y/N]: ", "y")
    term.answer("Account email", sandbox.site.account.email)
    term.answer("hold the API token [PMSYNC_JIRA_TOKEN]: ", "ATATT3xFfGF0-a-pasted-token")
    term.expect("that looks like a token")  # asked again: a name, never the token
    term.answer("hold the API token [PMSYNC_JIRA_TOKEN]: ", "")
    term.answer("Project keys to sync", "PAY mob")
    term.expect("not project keys: mob")
    term.answer("Project keys to sync", "PAY, MOB, WEB")
    term.answer("Confluence space key", "PM")
    term.answer("Add another tracker? [y/N]: ", "y")
    term.answer("Tracker kind (jira or clickup) [jira]: ", "clickup")
    term.answer("Name for it in the config [clickup]: ", "")
    term.answer("ClickUp API URL [https://api.clickup.com]: ", sandbox.url)
    term.answer("hold the token (pk_...) [PMSYNC_CLICKUP_TOKEN]: ", "")
    term.answer("Workspace (team) id", sandbox.clickup.team_id)
    term.answer("Spaces to sync", "")
    term.answer("reports Doc", "")
    term.answer("Add another tracker? [y/N]: ", "")
    term.answer("One product line per project (PAY, MOB, WEB)? [Y/n]: ", "n")
    for name, tracker, selector in [("Payments", "jira", "project=PAY"),
                                    ("Mobile & Web", "jira", "project=MOB"),
                                    ("Platform", "clickup", "space=Platform")]:
        term.answer("Line name (blank when done)", name)
        term.answer("Its tracker [jira]: ", tracker)
        term.answer("Its selector", selector)
    term.answer("Line name (blank when done)", "")
    code, out = term.finish()
    assert code == 0, out
    assert "export PMSYNC_CLICKUP_TOKEN=...\n  export PMSYNC_JIRA_TOKEN=..." in out
    text = config.read_text()
    assert "ATATT" not in text and 'token_env = "PMSYNC_JIRA_TOKEN"' in text
    assert 'name = "Mobile & Web"' in text and 'link_tracker = "jira"' in text

    monkeypatch.setenv("PMSYNC_JIRA_TOKEN", sandbox.site.account.api_token)
    monkeypatch.setenv("PMSYNC_CLICKUP_TOKEN", sandbox.clickup.token)
    assert main(["--config", str(config), "doctor"]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert "Payments: " in out and "pmsync doctor: all good" in out


def test_one_line_per_project_is_the_quick_path(sandbox, tmp_path, monkeypatch, capsys):
    config = tmp_path / "pmsync.toml"
    term = Terminal("--config", str(config), "init", cwd=tmp_path)
    for prompt, text in [("Tracker kind", ""), ("Name for it", ""), ("Jira URL", sandbox.url),
                         ("Is this Jira Cloud?", "y"), ("Account email", "demo@example.com"),
                         ("hold the API token", "PM_TOKEN"), ("Project keys", "PAY,WEB"),
                         ("Confluence space key", ""), ("Add another tracker?", "n"),
                         ("One product line per project (PAY, WEB)?", ""),
                         ("Name of the line for project PAY [PAY]: ", "Payments"),
                         ("Name of the line for project WEB [WEB]: ", "")]:
        term.answer(prompt, text)
    code, out = term.finish()
    assert code == 0, out
    monkeypatch.setenv("PM_TOKEN", sandbox.site.account.api_token)
    assert main(["--config", str(config), "doctor"]) == 0
    out = capsys.readouterr().out
    assert f"Payments: {sum(k.startswith('PAY-') for k in sandbox.site.issues)} items" in out
    assert "WEB: " in out and "no pages" in out


def test_without_a_terminal_init_writes_the_commented_sample(tmp_path):
    config = tmp_path / "pmsync.toml"
    result = subprocess.run([sys.executable, "-m", "pmsync.cli", "--config", str(config), "init"],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert config.read_text() == SAMPLE_CONFIG and "Tracker kind" not in result.stdout
    again = subprocess.run([sys.executable, "-m", "pmsync.cli", "--config", str(config), "init"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert again.returncode == 2 and "already exists; pass --force" in again.stderr


def test_sample_flag_on_a_terminal(tmp_path):
    config = tmp_path / "pmsync.toml"
    code, out = Terminal("--config", str(config), "init", "--sample", cwd=tmp_path).finish()
    assert code == 0 and config.read_text() == SAMPLE_CONFIG, out


def test_init_makes_the_config_folder_and_an_unwritable_path_is_one_line(tmp_path):
    def init(config):
        return subprocess.run([sys.executable, "-m", "pmsync.cli", "--config", str(config),
                               "init"], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=60)

    nested = tmp_path / "etc" / "pmsync" / "pmsync.toml"  # as README's /etc/pmsync/pmsync.toml
    made = init(nested)
    assert made.returncode == 0 and nested.read_text() == SAMPLE_CONFIG, made.stderr
    (tmp_path / "a-file").write_text("")
    blocked = tmp_path / "a-file" / "pmsync.toml"  # its folder is a file: cannot be made
    refused = init(blocked)
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.strip().splitlines() == [refused.stderr.strip()]
    assert f"cannot write {blocked}" in refused.stderr and "Traceback" not in refused.stderr


def test_the_samples_placeholders_are_refused_before_any_request(sandbox, tmp_path, monkeypatch,
                                                                 capsys):
    """`init --sample` names a site and an account that are not the user's: doctor and run
    must not send the exported token there (someone may own that domain)."""
    import requests

    sent: list[str] = []

    def said(capsys) -> list[str]:  # doctor reports on stdout (FAIL config ...), others stderr
        captured = capsys.readouterr()
        assert "Traceback" not in captured.out + captured.err
        return [line for line in (captured.out + captured.err).splitlines() if "pmsync" in line
                and "placeholder" in line]

    def no_network(self, request, *args, **kwargs):
        sent.append(request.url)
        raise requests.ConnectionError("no network in this test")

    config = tmp_path / "pmsync.toml"
    assert main(["--config", str(config), "init", "--sample"]) == 0
    monkeypatch.setenv("PMSYNC_JIRA_TOKEN", sandbox.site.account.api_token)
    with monkeypatch.context() as patched:
        patched.setattr(requests.adapters.HTTPAdapter, "send", no_network)
        for command in (["doctor"], ["run", "--dry-run"], ["check"]):
            capsys.readouterr()
            assert main(["--config", str(config), *command]) == 2, command
            (error,) = said(capsys)
            assert "trackers.jira.url is still the sample's placeholder" in error, error
            assert "https://your-site.atlassian.net; edit it" in error
        config.write_text(config.read_text().replace("https://your-site.atlassian.net",
                                                     sandbox.url))
        assert main(["--config", str(config), "run"]) == 2
        (error,) = said(capsys)
        assert "trackers.jira.email is still the sample's placeholder you@example.com" in error
    assert sent == []
    config.write_text(config.read_text().replace("you@example.com", sandbox.site.account.email))
    assert main(["--config", str(config), "doctor"]) == 0, capsys.readouterr()
