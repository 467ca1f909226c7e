"""Benchmark: what masking secrets in tracker text (pmsync.scrub) costs a sync.

    python benchmarks/scrub.py [--issues 10000] [--rounds 5]

Fetches a seeded sandbox's Jira issues once through pmsync's own connector (the pages a
full sync writes), then times, over those same pages (median of --rounds, CPU seconds):
- ``scrubbed`` with the tokens registered and nowhere in the text (every real sync);
- ``scrubbed`` with one title per page holding the token (each page is walked and masked);
- the store's write of the pages (upsert), for scale: issue 14's CPU budget for decode +
  map + write is 0.8 s per 10,000 issues.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pmsync.demo import demo_config  # noqa: E402
from pmsync.plugins import default_registry  # noqa: E402
from pmsync.sandbox import Sandbox  # noqa: E402
from pmsync.scrub import scrubbed  # noqa: E402
from pmsync.store import Store  # noqa: E402
from pmsync.workspace import Workspace  # noqa: E402


def cpu(work) -> float:
    start = time.process_time()
    work()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with Sandbox.start(seed=7, size=args.issues, clickup_size=0) as sandbox, \
            tempfile.TemporaryDirectory() as folder:
        token = sandbox.site.account.api_token
        os.environ["PMSYNC_DEMO_TOKEN"] = token
        path = Path(folder) / "pmsync.toml"
        path.write_text(demo_config(sandbox.url, sandbox.site.account.email))
        workspace = Workspace.open(path, default_registry())
        batches = list(workspace.connector("jira").fetch(None))  # registers the token
        workspace.close()
    issues = sum(len(b.items) for b in batches)
    leaky = [dataclasses.replace(b, items=(dataclasses.replace(
        b.items[0], title=f"{b.items[0].title} {token}"), *b.items[1:])) if b.items else b
        for b in batches]
    assert all(scrubbed(b) is b for b in batches)  # nothing to mask: the pages as they are
    assert all(token not in scrubbed(b).items[0].title for b in leaky if b.items)

    def write() -> None:
        with tempfile.TemporaryDirectory() as target:
            store = Store(Path(target) / "s.sqlite3")
            run = store.begin_run("sync")
            with store.transaction():
                for b in batches:
                    store.upsert("jira", [*b.items, *b.sprints, *b.releases], run)
            store.close()

    timings: dict[str, list[float]] = {"scrub, no secret": [], "scrub, a secret a page": [],
                                       "store write": []}
    for _ in range(args.rounds):
        timings["scrub, no secret"].append(cpu(lambda: [scrubbed(b) for b in batches]))
        timings["scrub, a secret a page"].append(cpu(lambda: [scrubbed(b) for b in leaky]))
        timings["store write"].append(cpu(write))
    print(f"{issues} issues in {len(batches)} pages, {args.rounds} rounds (CPU s, median, min-max)")
    for name, values in timings.items():
        print(f"  {name:24} {statistics.median(values):.4f} "
              f"({min(values):.4f}-{max(values):.4f})  per 10k issues: "
              f"{statistics.median(values) * 10000 / issues:.4f}")


if __name__ == "__main__":
    main()
