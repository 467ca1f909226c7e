"""The command line's own input and output: a closed stdout is a documented exit code,
never "internal error" (exit 70)."""

from __future__ import annotations

import json
import subprocess
import sys

from pmsync.cli import main
from pmsync.errors import EXIT_PIPE


def _with_stdout_closed(*argv: str) -> subprocess.CompletedProcess:
    """pmsync with its stdout's reader gone before it prints, as `pmsync check | head -0`."""
    child = subprocess.Popen([sys.executable, "-m", "pmsync.cli", *argv],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.close()  # the child is still importing: its first print meets a closed pipe
    err = child.stderr.read()
    child.wait(timeout=120)
    return subprocess.CompletedProcess(argv, child.returncode, b"", err)


def test_a_closed_stdout_is_not_a_bug(config_path, capsys):
    """`pmsync check | head` must not say "internal error", exit 70 nor record a bug."""
    config = ["--config", str(config_path)]
    for argv in (["plugins"], [*config, "check"]):
        result = _with_stdout_closed(*argv)
        assert result.returncode == EXIT_PIPE, result.stderr
        assert b"error" not in result.stderr and b"Traceback" not in result.stderr
        assert b"Exception ignored" not in result.stderr
    assert main([*config, "runs", "--format", "json"]) == 0
    (check,) = json.loads(capsys.readouterr().out)
    assert (check["command"], check["exit_code"]) == ("check", EXIT_PIPE)
    assert "broken pipe" in check["error"]
