"""Client job: tap-clickup 0.0.23, discovery and every stream, against `pmsync sandbox`.

    python benchmarks/tap_clickup.py [--venv DIR] [--url URL] [--keep DIR]

Installs tap-clickup from PyPI into its own virtualenv (default
~/.cache/pmsync-clients/tap-clickup-0.0.23, reused when present), starts a sandbox
on a free loopback port (or uses --url), runs `--discover` and then a full sync with
every stream selected, and prints PASS / FAIL per job with record counts. Exit 0
when every job passes.

The tap is run unchanged. ClickUp's base URL is a constant in the tap
(`ClickUpStream.url_base`), so a launcher sets it to the sandbox and then calls the
tap's own CLI: that is the only thing it changes (nothing in requests or answers).

A stream passes when the sync exits 0, the stream emitted records, and no record
came twice (tap-clickup reads spaces, folders, lists and tasks once with
archived=true and once with archived=false). The task stream also fails the whole
sync if tasks arrive out of order ("Unsorted data detected").
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import free_port, last_error, select_every_stream  # noqa: E402

PACKAGE = "tap-clickup==0.0.23"
TOKEN = "pk_81234567_SANDBOXTOKEN0123456789ABCDEFGHIJ"  # the sandbox's ClickUp token
LAUNCHER = '''"""LAUNCHER (sets ClickUp's base URL to the sandbox, nothing else), then the tap's CLI."""
import sys

from tap_clickup.client import ClickUpStream
from tap_clickup.tap import TapClickUp

ClickUpStream.url_base = sys.argv.pop(1).rstrip("/") + "/api/v2"
TapClickUp.cli()
'''
# How the tap names a record's identity, per stream (its primary keys). The shared
# hierarchy has none and comes once; a custom field is read once per List that can
# use it, so the same field id repeating there is ClickUp's answer, not a double read.
KEYS: dict[str, tuple[str, ...] | None] = {
    "tag": ("name",), "shared_hierarchy": (),
    "folder_customfield": None, "folderless_customfield": None}


def install(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", PACKAGE], check=True,
                       stdout=subprocess.DEVNULL)
    return python


def run(python: Path, url: str, folder: Path) -> list[tuple[str, bool, str]]:
    """(job, passed, detail) for discovery and each stream."""
    launcher = folder / "launch_tap_clickup.py"
    launcher.write_text(LAUNCHER)
    config = folder / "config.json"
    config.write_text(json.dumps({"api_token": TOKEN}))  # the tap's one required setting
    tap = [str(python), str(launcher), url, "--config", str(config)]
    found = subprocess.run([*tap, "--discover"], capture_output=True, text=True, timeout=300)
    if found.returncode != 0:
        return [("discovery", False, last_error(found.stderr))]
    catalog = json.loads(found.stdout)
    names = select_every_stream(catalog)
    (folder / "catalog.json").write_text(json.dumps(catalog))
    jobs = [("discovery", True, f"{len(names)} streams")]
    synced = subprocess.run([*tap, "--catalog", str(folder / "catalog.json")],
                            capture_output=True, text=True, timeout=900)
    (folder / "sync.stderr").write_text(synced.stderr)
    records: Counter[str] = Counter()
    seen: dict[str, Counter] = {name: Counter() for name in names}
    for line in synced.stdout.splitlines():
        message = json.loads(line)
        if message.get("type") == "RECORD":
            name, record = message["stream"], message["record"]
            records[name] += 1
            keys = KEYS.get(name, ("id",))
            if keys is not None:
                seen.setdefault(name, Counter())[tuple(record.get(k) for k in keys)] += 1
    error = "" if synced.returncode == 0 else last_error(synced.stderr)
    for name in names:
        twice = sum(1 for n in seen[name].values() if n > 1)
        ok = synced.returncode == 0 and records[name] > 0 and not twice
        detail = f"{records[name]} records" + (f", {twice} came twice" if twice else "")
        jobs.append((name, ok, detail + (f"; sync failed: {error}" if error else "")))
    return jobs


def start_sandbox() -> tuple[subprocess.Popen, str]:
    port = free_port()
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "pmsync.cli", "sandbox", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    sandbox.stdout.readline()  # the banner: it is listening
    return sandbox, f"http://127.0.0.1:{port}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=Path(os.path.expanduser(
        "~/.cache/pmsync-clients/tap-clickup-0.0.23")))
    parser.add_argument("--url", help="a sandbox already running (default: start one)")
    parser.add_argument("--keep", type=Path, help="keep the catalog, launcher and logs here")
    args = parser.parse_args()
    python = install(args.venv)
    sandbox, url = (None, args.url) if args.url else start_sandbox()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="pmsync-tap-clickup-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        jobs = run(python, url, folder)
    finally:
        if sandbox is not None:
            sandbox.terminate()
            sandbox.wait(timeout=10)
    for job, ok, detail in jobs:
        print(f"{'PASS' if ok else 'FAIL'}  tap-clickup  {job:<24} {detail}")
    return 0 if all(ok for _, ok, _ in jobs) else 1


if __name__ == "__main__":
    sys.exit(main())
