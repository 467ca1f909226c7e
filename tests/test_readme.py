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


def test_readme_sample_config_is_valid(tmp_path):
    sample = re.search(r"```toml\n(state_dir.*?)\n```", README, re.S).group(1)
    config = parse_config(tomllib.loads(sample), tmp_path / "pmsync.toml", default_registry())
    assert [line.name for line in config.product_lines] == ["Payments", "Mobile"]


def test_code_is_ruff_clean():
    ruff = Path(sys.executable).with_name("ruff")
    if not ruff.exists():
        pytest.skip("ruff is not installed in this environment")
    result = subprocess.run([str(ruff), "check", "src", "plugins", "tests", "benchmarks"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
