"""The fast part of the reliability suite: a few kill -9 trials of `pmsync run` in the
default test run. The long part (50+ trials) is `benchmarks/kill_run.py`, the same code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import PG_PASSWORD_ENV

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "kill_run.py"


def test_kill_9_mid_run_then_rerun_ends_as_an_uninterrupted_run(store_kind, request):
    # PostgreSQL: each run of the script gets a fresh database on the test server.
    store = ["--store", request.getfixturevalue("pg_server"), "--password-env",
             PG_PASSWORD_ENV] if store_kind == "postgresql" else []
    result = subprocess.run([sys.executable, str(SCRIPT), "--trials", "4", "--seed", "3",
                             "--size", "40", "--clickup-size", "20", *store],
                            capture_output=True, text=True, timeout=600)
    summary = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    figures = dict(re.findall(r"(kills mid-run|reruns failed|duplicates|uninterrupted run): (\d+)",
                              summary))
    assert figures == {"kills mid-run": figures["kills mid-run"], "reruns failed": "0",
                       "duplicates": "0", "uninterrupted run": "0"}, summary
    assert int(figures["kills mid-run"]) >= 3, summary  # the kills landed while it worked
