"""`pmsync init`: on a terminal it asks (driven here through a pseudo-terminal), and the
config it writes passes `pmsync doctor`; without a terminal it writes the sample."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

from pmsync.cli import main
from pmsync.config import SAMPLE_CONFIG


class Terminal:
    """A child process on a pseudo-terminal, answered prompt by prompt (pexpect-style)."""

    def __init__(self, *args: str, cwd: Path):
        self.master, slave = pty.openpty()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PMSYNC_")}
        self.proc = subprocess.Popen([sys.executable, "-m", "pmsync.cli", *args], cwd=cwd,
                                     stdin=slave, stdout=slave, stderr=slave, env=env,
                                     close_fds=True)
        os.close(slave)
        self.seen = ""

    def expect(self, pattern: str, timeout: float = 20) -> str:
        end = time.monotonic() + timeout
        while not (match := re.search(pattern, self.seen)):
            left = end - time.monotonic()
            assert left > 0, f"no {pattern!r} in:\n{self.seen}"
            if select.select([self.master], [], [], left)[0]:
                try:
                    chunk = os.read(self.master, 4096).decode(errors="replace")
                except OSError:  # the child closed the terminal
                    chunk = ""
                assert chunk or self.proc.poll() is None, f"exited; no {pattern!r}:\n{self.seen}"
                self.seen += chunk.replace("\r\n", "\n")
        consumed, self.seen = self.seen[:match.end()], self.seen[match.end():]
        return consumed

    def answer(self, prompt: str, text: str) -> None:
        self.expect(re.escape(prompt))
        os.write(self.master, text.encode() + b"\r")

    def finish(self, timeout: float = 20) -> tuple[int, str]:
        rest = ""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if select.select([self.master], [], [], 0.2)[0]:
                try:
                    data = os.read(self.master, 4096)
                except OSError:
                    break
                if not data:
                    break
                rest += data.decode(errors="replace")
            elif self.proc.poll() is not None:
                break
        code = self.proc.wait(timeout=5)
        os.close(self.master)
        return code, self.seen + rest.replace("\r\n", "\n")


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
