"""The fast part of the reliability suite: a few kill -9 trials of `pmsync run` in the
default test run. The long part (50+ trials) is `benchmarks/kill_run.py`, the same code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "kill_run.py"


# Not yet on PostgreSQL by default: `benchmarks/kill_run.py --store URL` runs it there; one
# trial in about 26 (a kill during sync) ended with one Confluence page's text differing
# from the uninterrupted run's, not reproduced since. Until that is explained, SQLite only.
@pytest.mark.sqlite_only
def test_kill_9_mid_run_then_rerun_ends_as_an_uninterrupted_run(store_kind):
    result = subprocess.run([sys.executable, str(SCRIPT), "--trials", "4", "--seed", "3",
                             "--size", "40", "--clickup-size", "20"],
                            capture_output=True, text=True, timeout=600)
    summary = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    figures = dict(re.findall(r"(kills mid-run|reruns failed|duplicates|uninterrupted run): (\d+)",
                              summary))
    assert figures == {"kills mid-run": figures["kills mid-run"], "reruns failed": "0",
                       "duplicates": "0", "uninterrupted run": "0"}, summary
    assert int(figures["kills mid-run"]) >= 3, summary  # the kills landed while it worked
