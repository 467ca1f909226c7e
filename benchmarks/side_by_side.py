"""Issue 14's harness: pmsync and its peers doing a Jira full sync, side by side.

    python benchmarks/side_by_side.py [--issues 10000] [--latency 0.02] [--rounds 3]
                                      [--venvs .venv-clients] [--json side_by_side.json]

The peers are installed unchanged in their own virtualenvs (client_suite.py's, reused
when present): the `jira` library as a plain export script, and tap-jira. One sandbox
serves everyone over https with a self-signed certificate (tap-jira only speaks https);
each contender runs in its own process, in interleaved rounds (floor, pmsync, script,
tap, floor, pmsync, ...), and the sandbox's request log counts its requests. Printed: a
table and a JSON file with wall (median, min, max), requests, requests / the fewest,
wall / the raw floor, CPU and peak RSS (the child's own rusage), and records obtained.
The raw floor is the same search pages fetched one after the other and discarded.
A peer that fails is listed as failed with its last error, never patched.
Not part of the test run: it takes a few minutes (3 rounds on two cores).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import free_port, last_error  # noqa: E402
from client_suite import CLIENTS, install, trust_in  # noqa: E402
from jira_sync import FLOOR  # noqa: E402

from pmsync.sandbox.site import DEFAULT_FIELD_IDS  # noqa: E402
from pmsync_jira.mapping import SYSTEM_FIELDS  # noqa: E402

PROJECTS = ["PAY", "MOB", "WEB"]
JQL = "project in (PAY, MOB, WEB) ORDER BY updated ASC, key ASC"


@dataclass
class Tally:
    name: str
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    peaks: list[float] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    records: list[int] = field(default_factory=list)
    notes: set[str] = field(default_factory=set)
    failed: str | None = None


def measured(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, float,
                                                                       int, Path, str]:
    """(wall s, CPU s, peak MiB, exit code, stdout file, stderr's end) of one child. Its
    stdout stays in the file: read whole into this process (tap-jira writes hundreds of
    MB), it would grow us, and Linux would report that as the next child's peak."""
    out, err = cwd / "stdout", cwd / "stderr"
    with out.open("w") as o, err.open("w") as e:
        start = time.perf_counter()
        child = subprocess.Popen(argv, stdout=o, stderr=e, env=env, cwd=cwd)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    with err.open("rb") as e:
        e.seek(max(err.stat().st_size - 20_000, 0))
        tail = e.read().decode(errors="replace")
    return (wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, child.returncode,
            out, tail)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--venvs", type=Path, default=HERE.parent / ".venv-clients")
    parser.add_argument("--json", type=Path, default=Path("side_by_side.json"))
    args = parser.parse_args()
    peers = {c.name: install(c, args.venvs) for c in CLIENTS if c.name in ("jira", "tap-jira")}
    work = Path(tempfile.mkdtemp(prefix="pmsync-side-by-side-"))
    # The sandbox runs as its own process: a child forked from a process holding 10k issues
    # would report that process's memory as its own peak (Linux keeps it across exec).
    with _sandbox(args) as (url, cert, email, token):
        requests_seen = _request_counter(url, cert)
        trust_in(peers["tap-jira"], cert)  # tap-jira sends with Session.send
        env = {**os.environ, "REQUESTS_CA_BUNDLE": str(cert), "PMSYNC_BENCH_TOKEN": token}
        fields = ",".join([*SYSTEM_FIELDS, *DEFAULT_FIELD_IDS.values()])
        tap_config = work / "tap-config.json"
        tap_config.write_text(json.dumps({
            "start_date": "2000-01-01T00:00:00Z", "username": email,
            "password": token, "base_url": url,
            "user_agent": "pmsync side by side"}))
        contenders = {
            "raw floor": lambda folder: [sys.executable, "-c", FLOOR, url, JQL, fields,
                                         "100"],
            "pmsync": lambda folder: _pmsync(folder, url, email),
            "jira script": lambda folder: [str(peers["jira"]),
                                           str(HERE / "clients" / "jira_full_sync.py"),
                                           url, email, token, JQL],
            "tap-jira": lambda folder: _tap_jira(peers["tap-jira"], tap_config, folder, env),
        }
        tallies = {name: Tally(name) for name in contenders}
        for round_number in range(args.rounds):
            for name, command in contenders.items():
                tally = tallies[name]
                if tally.failed:
                    continue
                folder = work / f"{name.replace(' ', '-')}-{round_number}"
                folder.mkdir()
                argv = command(folder)
                if argv is None:
                    tally.failed = "discovery failed: " + (folder / "discover.err").read_text(
                        )[-300:]
                    continue
                mark = requests_seen()
                wall, cpu, peak, code, out, err = measured(argv, env, folder)
                if code != 0:
                    tally.failed = f"exit {code}: {last_error(err)}"
                    continue
                tally.walls.append(wall)
                tally.cpus.append(cpu)
                tally.peaks.append(peak)
                tally.requests.append(requests_seen() - mark)
                tally.records.append(_records(name, out, folder, tally))
                print(f"round {round_number + 1}: {name:12} {wall:6.2f} s", flush=True)
    return _report(tallies, args)


@contextlib.contextmanager
def _sandbox(args: argparse.Namespace) -> Iterator[tuple[str, Path, str, str]]:
    """`pmsync sandbox --tls` in a process of its own: (url, certificate, email, token)."""
    port = free_port()
    child = subprocess.Popen(
        [sys.executable, "-m", "pmsync.cli", "sandbox", "--port", str(port), "--tls",
         "--size", str(args.issues), "--latency", str(args.latency), "--clickup-size", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        banner = [child.stdout.readline() for _ in range(2)]
        login = re.search(r"at (\S+) \(user (\S+), API token (\S+)\)", banner[0])
        cert = re.search(r"certificate: (\S+)", banner[1])
        if not login or not cert:
            sys.exit(f"the sandbox did not start: {banner}")
        yield login.group(1), Path(cert.group(1)), login.group(2), login.group(3)
    finally:
        child.terminate()
        child.wait()


def _request_counter(url: str, cert: Path):
    import requests

    def count() -> int:
        log = requests.get(f"{url}/_sandbox/requests", verify=str(cert)).json()
        return sum(1 for _, path in log if not path.startswith("/_sandbox"))
    return count


def _pmsync(folder: Path, url: str, email: str) -> list[str]:
    (folder / "pmsync.toml").write_text(
        f'[trackers.jira]\nkind = "jira"\nurl = "{url}"\nemail = "{email}"\n'
        f'token_env = "PMSYNC_BENCH_TOKEN"\nprojects = {json.dumps(PROJECTS)}\n'
        f'page_size = 100\n')
    return [sys.executable, "-m", "pmsync.cli", "--config", str(folder / "pmsync.toml"), "sync"]


def _tap_jira(python: Path, config: Path, folder: Path, env: dict[str, str]) -> list[str] | None:
    """tap-jira's issues stream (with its changelogs), selected in its own catalog."""
    tap = str(python.parent / "tap-jira")
    found = subprocess.run([tap, "--config", str(config), "--discover"], capture_output=True,
                           text=True, timeout=300, env=env)
    if found.returncode != 0:
        (folder / "discover.err").write_text(last_error(found.stderr))
        return None
    catalog = json.loads(found.stdout)
    for stream in catalog["streams"]:
        wanted = stream["tap_stream_id"] in ("issues", "changelogs")
        for entry in stream.get("metadata", []):
            if entry.get("breadcrumb") == []:
                entry["metadata"]["selected"] = wanted
    (folder / "catalog.json").write_text(json.dumps(catalog))
    return [tap, "--config", str(config), "--properties", str(folder / "catalog.json")]


def _records(name: str, out: Path, folder: Path, tally: Tally) -> int:
    if name == "raw floor":
        return 0
    if name == "pmsync":
        import sqlite3

        conn = sqlite3.connect(folder / "state" / "pmsync.sqlite3")
        try:
            return conn.execute("SELECT COUNT(*) FROM records WHERE kind = 'item'").fetchone()[0]
        finally:
            conn.close()
    if name == "jira script":
        result = json.loads(out.read_text().strip().splitlines()[-1])
        if result["changelogs_cut"]:
            tally.notes.add(f"{result['changelogs_cut']} changelog(s) cut at the page's 40")
        return int(result["records"])
    with out.open() as lines:  # tap-jira's Singer messages, one a line
        return sum(1 for line in lines if line.startswith('{"type": "RECORD"')
                   and '"stream": "issues"' in line)


def _report(tallies: dict[str, Tally], args: argparse.Namespace) -> int:
    floor = statistics.median(tallies["raw floor"].walls or [float("nan")])
    fewest = min((statistics.median(t.requests) for t in tallies.values() if t.requests),
                 default=1)
    rows = []
    header = (f"{'contender':12} {'wall med':>8} {'min':>6} {'max':>6} {'requests':>8} "
              f"{'req/min':>7} {'/floor':>6} {'CPU s':>6} {'RSS MiB':>7} {'records':>8}")
    print(f"\n{args.issues} issues, {args.latency * 1000:g} ms per answer, https, "
          f"{args.rounds} interleaved rounds\n{header}")
    for t in tallies.values():
        if not t.walls:
            print(f"{t.name:12} FAILED: {t.failed}")
            rows.append({"name": t.name, "failed": t.failed})
            continue
        wall = statistics.median(t.walls)
        requests = statistics.median(t.requests)
        row = {"name": t.name, "wall_median": wall, "wall_min": min(t.walls),
               "wall_max": max(t.walls), "requests": requests,
               "requests_over_fewest": requests / fewest, "wall_over_floor": wall / floor,
               "cpu": statistics.median(t.cpus), "peak_rss_mib": max(t.peaks),
               "records": statistics.median(t.records), "notes": sorted(t.notes),
               "failed": t.failed}
        rows.append(row)
        print(f"{t.name:12} {wall:8.2f} {min(t.walls):6.2f} {max(t.walls):6.2f} "
              f"{requests:8.0f} {requests / fewest:7.2f} {wall / floor:6.2f} "
              f"{row['cpu']:6.2f} {row['peak_rss_mib']:7.1f} {row['records']:8.0f}"
              f"{'  ' + '; '.join(sorted(t.notes)) if t.notes else ''}"
              f"{'  (later round failed: ' + t.failed + ')' if t.failed else ''}")
    args.json.write_text(json.dumps({"issues": args.issues, "latency": args.latency,
                                     "rounds": args.rounds, "contenders": rows}, indent=2))
    print(f"JSON: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
