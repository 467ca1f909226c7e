"""The README is part of the product: its commands and its sample config must be true."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from pmsync.config import parse_config
from pmsync.plugins import default_registry

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_ci_runs_exactly_the_readme_test_command():
    blocks = re.findall(r"```sh\n(.*?)\n```", README, re.S)
    test_command = next(b for b in blocks if "pytest" in b)
    assert test_command in (ROOT / ".ci" / "run").read_text().splitlines()


def test_readme_config_examples_are_valid(tmp_path):
    blocks = [b for b in re.findall(r"```toml\n(.*?)\n```", README, re.S)
              if "pyproject" not in b]  # the plugin's packaging example is not a pmsync config
    sample = next(b for b in blocks if b.startswith("state_dir"))
    assert len(blocks) >= 5  # the sample, Data Center, ClickUp, rules, digest
    for block in blocks:
        if "[trackers." not in block:  # a fragment: it joins the sample
            merged = tomllib.loads(sample)
            for key, value in tomllib.loads(block).items():
                if isinstance(value, list) and isinstance(merged.get(key), list):
                    merged[key] = value
                elif isinstance(value, dict):
                    merged.setdefault(key, {}).update(value)
                else:
                    merged[key] = value
        else:
            merged = tomllib.loads(block)
        config = parse_config(merged, tmp_path / "pmsync.toml", default_registry())
        assert config.trackers


def test_code_is_ruff_clean():
    ruff = Path(sys.executable).with_name("ruff")
    if not ruff.exists():
        pytest.skip("ruff is not installed in this environment")
    result = subprocess.run([str(ruff), "check", "src", "plugins", "tests", "benchmarks"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_command_option_and_tracker_key_is_documented():
    from pmsync.cli import build_parser
    from pmsync_clickup.options import OPTIONS as CLICKUP
    from pmsync_jira.options import OPTIONS as JIRA

    missing = [key for key in [*JIRA.names(), *CLICKUP.names()] if key not in README]
    parser = build_parser()
    (commands,) = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    for name, sub in commands.choices.items():
        if f"pmsync {name}" not in README:
            missing.append(f"pmsync {name}")
        missing += [option for action in [*sub._actions, *parser._actions]
                    for option in action.option_strings
                    if option.startswith("--") and option != "--help" and option not in README]
    assert missing == []


def test_option_tables_are_generated_from_the_declarations():
    """Every option's table in the README is what its declaration says (regenerate with
    `python -m pmsync.option_docs README.md`), and every declared table is shown."""
    from pmsync.option_docs import BLOCK, render, tables

    assert render(README, default_registry()) == README, (
        "README's option tables differ from the declarations: run "
        "`python -m pmsync.option_docs README.md`")
    shown = {match.group(2) for match in BLOCK.finditer(README)}
    assert shown == set(tables(default_registry()))


def _commands_table() -> dict[str, str]:
    """The README's Commands table: each `pmsync NAME ...` cell, by command name."""
    section = README.split("\n## Commands\n", 1)[1].split("\n\n", 1)[0]
    rows = {}
    for line in section.splitlines():
        for usage in re.findall(r"`pmsync ([a-z]+)([^`]*)`", line.split(" | ")[0]):
            rows.setdefault(usage[0], "")
            rows[usage[0]] += usage[1]
    return rows


def test_the_commands_table_shows_every_command_with_all_its_options():
    """The one place a person scans for usage: every subcommand has a row there naming
    each of its options and choices (the whole-README check above finds an option
    documented anywhere, however far from its command)."""
    from pmsync.cli import build_parser

    rows = _commands_table()
    parser = build_parser()
    (commands,) = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    missing = []
    for name, sub in commands.choices.items():
        if name not in rows:
            missing.append(f"pmsync {name}")
            continue
        for action in sub._actions:
            shown = [o for o in action.option_strings if o.startswith("--") and o != "--help"]
            if action.option_strings and not shown:
                continue
            if shown and shown[0] not in rows[name]:
                missing.append(f"pmsync {name} {shown[0]}")
            if not action.option_strings and action.choices:
                missing += [f"pmsync {name} {choice}" for choice in action.choices
                            if choice not in rows[name]]
    assert missing == []


def test_the_exit_code_table_is_errors_py():
    from pmsync import errors

    declared = {value for name, value in vars(errors).items() if name.startswith("EXIT_")}
    table = README.split("### Exit codes\n\n", 1)[1].split("\n\n", 1)[0]
    assert table.startswith("| code | meaning |")
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", table, re.M)}
    assert documented == declared
