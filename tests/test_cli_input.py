"""The command line's own input and output: out-of-range options, a busy port, a folder
that is a file, a closed stdout. Each is one line and a documented exit code, never
"internal error" (exit 70)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from pmsync.cli import main
from pmsync.errors import EXIT_PIPE


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if "error:" in line]
    assert len(lines) == 1 and "Traceback" not in err and "internal error" not in err, err
    return lines[0]


@pytest.mark.parametrize("argv", [
    ["demo", "--port", "99999"],
    ["demo", "--size", "-5"],
    ["sandbox", "--port", "-1"],
    ["sandbox", "--latency", "-1"],
    ["sandbox", "--size", "many"],
    ["sandbox", "--clickup-size", "-40"],
    ["sandbox", "--clickup-lists", "0"],
    ["runs", "--limit", "0"],
], ids=lambda argv: " ".join(argv))
def test_out_of_range_options_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    line = one_error_line(capsys.readouterr().err)
    assert f"argument {argv[1]}: must be" in line and repr(argv[2]) in line


@pytest.mark.parametrize("command", ["demo", "sandbox"])
def test_a_busy_port_is_one_line_naming_it(command, tmp_path, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = main([command, "--port", str(port), *(["--dir", str(tmp_path / "demo")]
                                                      if command == "demo" else [])])
    assert code == 2
    line = one_error_line(capsys.readouterr().err)
    assert f"--port {port}: cannot listen there" in line and "--port 0" in line


def test_demo_dir_that_is_a_file(tmp_path, capsys):
    (tmp_path / "afile").write_text("x")
    assert main(["demo", "--dir", str(tmp_path / "afile")]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "--dir" in line and "is a file, not a folder" in line


def test_baseline_list_takes_no_name(config_path, capsys):
    assert main(["--config", str(config_path), "baseline", "list", "q3-plan"]) == 2
    assert "`pmsync baseline save q3-plan`" in one_error_line(capsys.readouterr().err)


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
    assert main([*config, "sync"]) == 0  # check refuses a store nothing was synced into
    capsys.readouterr()
    for argv in (["plugins"], [*config, "check"]):
        result = _with_stdout_closed(*argv)
        assert result.returncode == EXIT_PIPE, result.stderr
        assert b"error" not in result.stderr and b"Traceback" not in result.stderr
        assert b"Exception ignored" not in result.stderr
    assert main([*config, "runs", "--format", "json"]) == 0
    check, _sync = json.loads(capsys.readouterr().out)  # the newest first
    assert (check["command"], check["exit_code"]) == ("check", EXIT_PIPE)
    assert "broken pipe" in check["error"]


@pytest.mark.parametrize("argv", [
    ["check", "--explain", ""],
    ["check", "--baseline", " "],
    ["impact", ""],
    ["sync", "--tracker", ""],
    ["baseline", "save", ""],
], ids=lambda argv: " ".join(argv) + "''")
def test_empty_text_arguments_are_refused_not_ignored(argv, capsys):
    """An empty --explain printed every finding, an empty --baseline compared against the
    default: a script passing an unset variable must hear about it."""
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    assert "must not be empty" in one_error_line(capsys.readouterr().err)


def test_a_slip_past_the_calendar_is_one_line(config_path, capsys):
    code = main(["--config", str(config_path), "impact", "PAY-1", "--slip", "3000000"])
    assert code == 2
    assert "--slip must be at most 36500 days" in one_error_line(capsys.readouterr().err)


@pytest.mark.parametrize("url", ["postgresql://pmsync@[::1/pmsync",
                                 "postgresql://pmsync@db.example.com:99999/pmsync"])
def test_a_malformed_store_url_is_a_config_error(url, config_path, capsys, tmp_path):
    text = config_path.read_text()
    config_path.write_text(f'store = "{url}"\n' + "\n".join(
        line for line in text.splitlines() if not line.startswith(("store", "store_password"))))
    assert main(["--config", str(config_path), "check"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert f"{config_path}: store is not a valid URL" in line and "postgresql://pmsync@" in line
    assert main(["--config", str(config_path), "store", "copy", "--to", url]) == 2
    assert "--to: store is not a valid URL" in one_error_line(capsys.readouterr().err)
