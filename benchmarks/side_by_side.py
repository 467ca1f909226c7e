"""Issue 14's harness: pmsync and its peers doing a full sync, side by side.

    python benchmarks/side_by_side.py [--issues 10000] [--latency 0.02] [--rounds 3]
        [--only NAME ...] [--clickup TASKS] [--clickup-lists 10] [--clickup-rate 70/5]
        [--venvs .venv-clients] [--json side_by_side.json] [--keep DIR] [--timeout 900]

The peers are installed unchanged in their own virtualenvs (client_suite.py's, reused
when present): the `jira` library as a plain export script, tap-jira, jira-agile-metrics
(and with --clickup, tap-clickup). The sandbox serves plain http in a process of its own;
in front of it one https proxy (counting_proxy.py, another process) that every contender
talks to (tap-jira only speaks https), and that counts each contender's requests and
request / response bytes. Contenders run one at a time, in interleaved rounds (floor,
pmsync, script, tap-jira, jira-agile-metrics, floor, pmsync, ...). After each run its
output is read (completeness.py, in a process of its own) and compared with what the
sandbox seeded: issues, and changelog entries (tap-jira and the script keep only the 40
a search page embeds). Printed: a table, and a JSON file with every figure.

The raw floor is the same search pages pmsync asks for, fetched one after the other and
discarded. A peer that fails is listed as failed with its last error, never patched.
Not part of the test run: at 10k issues, 3 rounds take a few minutes on two cores.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import free_port, last_error, select_every_stream  # noqa: E402
from client_suite import CLIENTS, METRICS_CONFIG, install, trust_in  # noqa: E402
from completeness import METRICS_STEPS  # noqa: E402
from jira_sync import FLOOR  # noqa: E402
from tap_clickup import LAUNCHER as TAP_CLICKUP_LAUNCHER  # noqa: E402

from pmsync.sandbox import parse_rate  # noqa: E402
from pmsync.sandbox.site import DEFAULT_FIELD_IDS  # noqa: E402
from pmsync.sandbox.tls import make_certificate  # noqa: E402
from pmsync_jira.mapping import SYSTEM_FIELDS  # noqa: E402

PROJECTS = ["PAY", "MOB", "WEB"]
JQL = "project in (PAY, MOB, WEB) ORDER BY updated ASC, key ASC"
JIRA_SIDE = ["raw floor", "pmsync", "jira script", "tap-jira", "jira-agile-metrics"]
CLICKUP_SIDE = ["pmsync ClickUp", "tap-clickup"]
PEERS = {"jira script": "jira", "tap-jira": "tap-jira",
         "jira-agile-metrics": "jira-agile-metrics", "tap-clickup": "tap-clickup"}


@dataclass
class Tally:
    name: str
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    peaks: list[float] = field(default_factory=list)
    requests: list[dict[str, int]] = field(default_factory=list)  # by kind, per round
    sent: list[int] = field(default_factory=list)  # request bytes, per round
    received: list[int] = field(default_factory=list)  # response bytes, per round
    throttled: list[int] = field(default_factory=list)  # ClickUp 429 answers, per round
    checks: list[dict] = field(default_factory=list)  # completeness.py's answer, per round
    failed: str | None = None


@dataclass(frozen=True)
class Site:
    """Where the contenders go, and how they log in."""

    url: str  # the proxy's https URL
    direct: str  # the sandbox's own plain-http URL (the harness's control calls)
    cert: Path
    email: str
    token: str
    clickup_token: str | None
    truth: Path


def measured(argv: list[str], env: dict[str, str], cwd: Path,
             timeout: float) -> tuple[float, float, float, int, str]:
    """(wall s, CPU s, peak MiB, exit code, stderr's end) of one child, killed after
    ``timeout`` s. Its stdout stays in cwd/stdout: read whole into this process (tap-jira
    writes hundreds of MB), it would grow us, and Linux would report that as the next
    child's peak."""
    out, err = cwd / "stdout", cwd / "stderr"
    with out.open("w") as o, err.open("w") as e:
        start = time.perf_counter()
        child = subprocess.Popen(argv, stdout=o, stderr=e, env=env, cwd=cwd)
        timer = threading.Timer(timeout, child.kill)
        timer.start()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        timer.cancel()
    with err.open("rb") as e:
        e.seek(max(err.stat().st_size - 20_000, 0))
        tail = e.read().decode(errors="replace")
    if wall >= timeout:
        tail += f"\nTimeoutError: killed after {timeout:g} s"
    return (wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
            os.waitstatus_to_exitcode(status), tail)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--issues", type=int, default=10_000, help="Jira issues seeded")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per answer")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", nargs="+", choices=JIRA_SIDE + CLICKUP_SIDE,
                        help="these contenders only (the raw floor always runs)")
    parser.add_argument("--clickup", type=int, default=0, metavar="TASKS",
                        help="also the ClickUp side: pmsync vs tap-clickup on TASKS tasks")
    parser.add_argument("--clickup-lists", type=int, default=10)
    parser.add_argument("--clickup-rate", default="70/5", metavar="N/SECONDS",
                        help="ClickUp's per-token limit, scaled down (default 70/5)")
    parser.add_argument("--venvs", type=Path, default=HERE.parent / ".venv-clients")
    parser.add_argument("--json", type=Path, default=Path("side_by_side.json"))
    parser.add_argument("--keep", type=Path, help="keep every run's output here")
    parser.add_argument("--timeout", type=float, default=900,
                        help="seconds a run may take before it is killed and failed (900)")
    args = parser.parse_args()
    try:
        parse_rate(args.clickup_rate)
    except ValueError as exc:
        parser.error(f"--clickup-rate: {exc}")
    if args.keep and args.keep.exists() and any(args.keep.iterdir()):
        parser.error(f"--keep {args.keep}: not empty (a kept pmsync store would make the next "
                     f"sync incremental); give a new or empty folder")
    names = [n for n in JIRA_SIDE + (CLICKUP_SIDE if args.clickup else [])
             if n == "raw floor" or not args.only or n in args.only]
    clients = {c.name: c for c in CLIENTS}
    peers = {name: install(clients[PEERS[name]], args.venvs) for name in names if name in PEERS}
    work = args.keep or Path(tempfile.mkdtemp(prefix="pmsync-side-by-side-"))
    work.mkdir(parents=True, exist_ok=True)
    with _served(args, work) as (site, counts):
        for name in ("tap-jira", "tap-clickup"):
            if name in peers:
                trust_in(peers[name], site.cert)  # the taps send with Session.send
        env = {**os.environ, "REQUESTS_CA_BUNDLE": str(site.cert), "MPLBACKEND": "Agg",
               "PMSYNC_BENCH_TOKEN": site.token,
               "PMSYNC_BENCH_CLICKUP_TOKEN": site.clickup_token or ""}
        commands = _commands(site, peers, args, work, env)
        tallies = {name: Tally(name) for name in names}
        for round_number in range(args.rounds):
            for name in names:
                _run_once(tallies[name], commands[name], round_number, site, counts, env,
                          work, args)
    return _report(tallies, args)


def _run_once(tally: Tally, command: Callable[[Path], list[str] | str], round_number: int,
              site: Site, counts: Callable[[], dict], env: dict[str, str], work: Path,
              args: argparse.Namespace) -> None:
    """One run of one contender: measured, counted at the proxy, its output checked."""
    if tally.failed:
        return
    folder = work / f"{tally.name.replace(' ', '-')}-{round_number + 1}"
    folder.mkdir()
    argv = command(folder)
    if isinstance(argv, str):  # a step before the run failed (tap-jira's discovery)
        tally.failed = argv
        return
    clickup = tally.name in CLICKUP_SIDE
    if clickup:  # each starts on a fresh rate-limit window
        time.sleep(float(args.clickup_rate.split("/")[1]))
    before, throttled = counts(), _throttled(site) if clickup else 0
    wall, cpu, peak, code, err = measured(argv, env, folder, args.timeout)
    after = counts()
    if code != 0:
        tally.failed = f"exit {code}: {last_error(err)}"
        print(f"round {round_number + 1}: {tally.name:18} FAILED ({tally.failed})", flush=True)
        return
    tally.walls.append(wall)
    tally.cpus.append(cpu)
    tally.peaks.append(peak)
    tally.requests.append({kind: n - before["requests"].get(kind, 0)
                           for kind, n in after["requests"].items()
                           if n - before["requests"].get(kind, 0)})
    tally.sent.append(after["request_bytes"] - before["request_bytes"])
    tally.received.append(after["response_bytes"] - before["response_bytes"])
    if clickup:
        tally.throttled.append(_throttled(site) - throttled)
    if tally.name != "raw floor":
        check = subprocess.run([sys.executable, str(HERE / "completeness.py"), tally.name,
                                str(folder), str(site.truth)],
                               capture_output=True, text=True)
        tally.checks.append(json.loads(check.stdout) if check.returncode == 0 else
                            {"complete": False, "note": last_error(check.stderr)})
    if not args.keep:  # tap-jira's stdout is hundreds of MB a round
        (folder / "stdout").unlink(missing_ok=True)
    print(f"round {round_number + 1}: {tally.name:18} {wall:6.2f} s "
          f"{sum(tally.requests[-1].values()):5} requests "
          f"{tally.received[-1] / 2**20:7.1f} MiB", flush=True)


@contextlib.contextmanager
def _served(args: argparse.Namespace, work: Path) -> Iterator[tuple[Site, Callable[[], dict]]]:
    """The sandbox (plain http) and the https proxy in front of it, each a process of its
    own: (site, a function answering the proxy's counts so far)."""
    cert, key = make_certificate(work)
    sandbox_port, proxy_port = free_port(), free_port()
    url, truth = f"https://127.0.0.1:{proxy_port}", work / "truth.json"
    sandbox = subprocess.Popen(
        [sys.executable, str(HERE / "proxied_sandbox.py"), "--port", str(sandbox_port),
         "--public-url", url, "--truth", str(truth), "--size", str(args.issues),
         "--latency", str(args.latency), "--clickup-size", str(args.clickup),
         "--clickup-lists", str(args.clickup_lists), "--clickup-rate", args.clickup_rate],
        stdout=subprocess.PIPE, text=True)
    proxy = subprocess.Popen(
        [sys.executable, str(HERE / "counting_proxy.py"), "--port", str(proxy_port),
         "--upstream-port", str(sandbox_port), "--cert", str(cert), "--key", str(key)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        logins = json.loads(sandbox.stdout.readline() or "null")
        if not logins or proxy.stdout.readline().strip() != "listening":
            sys.exit("the sandbox or the proxy did not start (see above)")

        def counts() -> dict:
            proxy.stdin.write("\n")
            proxy.stdin.flush()
            return json.loads(proxy.stdout.readline())

        yield Site(url, f"http://127.0.0.1:{sandbox_port}", cert, logins["email"],
                   logins["token"], logins["clickup_token"], truth), counts
    finally:
        for child in (proxy, sandbox):
            child.terminate()
            child.wait()


def _throttled(site: Site) -> int:
    import requests

    return requests.get(f"{site.direct}/_sandbox/clickup/stats").json()["throttled"]


def _commands(site: Site, peers: dict[str, Path], args: argparse.Namespace, work: Path,
              env: dict[str, str]) -> dict[str, Callable[[Path], list[str] | str]]:
    """Per contender: folder -> its command line (or why it cannot run)."""
    fields = ",".join([*SYSTEM_FIELDS, *DEFAULT_FIELD_IDS.values()])
    tap_config = work / "tap-jira-config.json"
    tap_config.write_text(json.dumps({
        "start_date": "2000-01-01T00:00:00Z", "username": site.email, "password": site.token,
        "base_url": site.url, "user_agent": "pmsync side by side"}))
    commands: dict[str, Callable[[Path], list[str] | str]] = {
        "raw floor": lambda folder: [sys.executable, "-c", FLOOR, site.url, JQL, fields, "100"],
        "pmsync": lambda folder: _pmsync(folder, _jira_tracker(site)),
        "pmsync ClickUp": lambda folder: _pmsync(folder, _clickup_tracker(site, args)),
    }
    if "jira script" in peers:
        commands["jira script"] = lambda folder: [
            str(peers["jira script"]), str(HERE / "clients" / "jira_full_sync.py"), site.url,
            site.email, site.token, JQL, str(folder / "export.jsonl")]
    if "tap-jira" in peers:
        commands["tap-jira"] = lambda folder: _tap_jira(peers["tap-jira"], tap_config, folder,
                                                        env)
    if "jira-agile-metrics" in peers:
        commands["jira-agile-metrics"] = lambda folder: _jira_agile_metrics(
            peers["jira-agile-metrics"], site, folder)
    if "tap-clickup" in peers:
        commands["tap-clickup"] = lambda folder: _tap_clickup(peers["tap-clickup"], site,
                                                              folder, env)
    return commands


def _jira_tracker(site: Site) -> str:
    return (f'[trackers.jira]\nkind = "jira"\nurl = "{site.url}"\nemail = "{site.email}"\n'
            f'token_env = "PMSYNC_BENCH_TOKEN"\nprojects = {json.dumps(PROJECTS)}\n'
            f'page_size = 100\n')


def _clickup_tracker(site: Site, args: argparse.Namespace) -> str:
    limit = args.clickup_rate.split("/")[0]
    return (f'[trackers.clickup]\nkind = "clickup"\nurl = "{site.url}"\n'
            f'token_env = "PMSYNC_BENCH_CLICKUP_TOKEN"\nteam_id = "9012345"\n'
            f'requests_per_minute = {limit}\n')


def _pmsync(folder: Path, tracker: str) -> list[str]:
    (folder / "pmsync.toml").write_text(tracker)
    return [sys.executable, "-m", "pmsync.cli", "--config", str(folder / "pmsync.toml"), "sync"]


def _tap_jira(python: Path, config: Path, folder: Path, env: dict[str, str]) -> list[str] | str:
    """tap-jira's issues stream with its changelogs, selected in its own catalog."""
    tap = str(python.parent / "tap-jira")
    found = subprocess.run([tap, "--config", str(config), "--discover"], capture_output=True,
                           text=True, timeout=300, env=env)
    if found.returncode != 0:
        return "discovery failed: " + last_error(found.stderr)
    catalog = json.loads(found.stdout)
    for stream in catalog["streams"]:
        wanted = stream["tap_stream_id"] in ("issues", "changelogs")
        for entry in stream.get("metadata", []):
            if entry.get("breadcrumb") == []:
                entry["metadata"]["selected"] = wanted
    (folder / "catalog.json").write_text(json.dumps(catalog))
    return [tap, "--config", str(config), "--properties", str(folder / "catalog.json")]


def _jira_agile_metrics(python: Path, site: Site, folder: Path) -> list[str]:
    """Its full run over the same issues: every issue with its changelog (one search,
    expand=changelog, through the jira library), then its cycle-time data, one row per
    issue. Charts are left out: drawing them is not fetching."""
    config = METRICS_CONFIG.format(url=site.url, user=site.email, password=site.token,
                                   project="PAY")
    config = config.replace("Query: project = PAY AND issuetype = Story", f"Query: {JQL}")
    head, _, _ = config.partition("Workflow:")
    workflow = "".join(f"    {step}: {status}\n" for step, status in METRICS_STEPS.items())
    (folder / "config.yml").write_text(
        f"{head}Workflow:\n{workflow}\nOutput:\n    Cycle time data: cycletime.csv\n")
    return [str(python.parent / "jira-agile-metrics"), str(folder / "config.yml"),
            "--output-directory", str(folder)]


def _tap_clickup(python: Path, site: Site, folder: Path, env: dict[str, str]) -> list[str] | str:
    """tap-clickup's full sync, every stream selected (a launcher sets its base URL only)."""
    launcher = folder / "launch_tap_clickup.py"
    launcher.write_text(TAP_CLICKUP_LAUNCHER)
    config = folder / "config.json"
    config.write_text(json.dumps({"api_token": site.clickup_token}))
    tap = [str(python), str(launcher), site.url, "--config", str(config)]
    found = subprocess.run([*tap, "--discover"], capture_output=True, text=True, timeout=300,
                           env=env)
    if found.returncode != 0:
        return "discovery failed: " + last_error(found.stderr)
    catalog = json.loads(found.stdout)
    select_every_stream(catalog)
    (folder / "catalog.json").write_text(json.dumps(catalog))
    return [*tap, "--catalog", str(folder / "catalog.json")]


def _completeness(t: Tally) -> tuple[str, str, str]:
    """(records, changelog, complete) cells: the last round's counts; complete only when
    every round was, else the first gap seen."""
    if not t.checks:
        return "-", "-", "-"
    last = t.checks[-1]
    records = "/".join(map(str, last.get("issues") or ["?"]))
    entries = "/".join(map(str, last["entries"])) if last.get("entries") else "-"
    if last.get("scope") == "cycle dates":
        entries += " dates"
    elif last.get("scope") == "tracked":
        entries += " kept"
    gaps = [c for c in t.checks if not c.get("complete")]
    if not gaps:
        return records, entries, "yes"
    first = gaps[0]
    return records, entries, "no: " + "; ".join(first.get("missing", [])[:2]
                                                or [first.get("note", "")])


def _row(t: Tally, floor: float, fewest: float, fewest_bytes: float) -> dict:
    wall = statistics.median(t.walls)
    requests = [sum(r.values()) for r in t.requests]
    kinds = {kind: statistics.median([r.get(kind, 0) for r in t.requests])
             for kind in sorted({k for r in t.requests for k in r})}
    received = statistics.median(t.received)
    return {
        "name": t.name, "rounds": len(t.walls), "wall_median": wall, "wall_min": min(t.walls),
        "wall_max": max(t.walls), "wall_over_floor": wall / floor if floor else None,
        "requests": statistics.median(requests), "requests_by_kind": kinds,
        "requests_over_fewest": statistics.median(requests) / fewest,
        "response_bytes": received, "request_bytes": statistics.median(t.sent),
        "bytes_over_fewest": received / fewest_bytes,
        "cpu": statistics.median(t.cpus), "peak_rss_mib": max(t.peaks),
        "throttled_429": statistics.median(t.throttled) if t.throttled else None,
        "completeness": t.checks[-1] if t.checks else None,
        "complete_every_round": all(c.get("complete") for c in t.checks) if t.checks else None,
        "failed": t.failed}


def _versus_pmsync(rows: list[dict]) -> None:
    """Each contender's median wall ÷ pmsync's (the closing note's ratios), into its row."""
    ours = next((r for r in rows if r["name"].startswith("pmsync")), None)
    if ours is None:
        return
    ratios = []
    for row in rows:
        row["wall_over_pmsync"] = row["wall_median"] / ours["wall_median"]
        if row is not ours and row["name"] != "raw floor":
            partial = "" if row.get("complete_every_round") in (True, None) else ", incomplete"
            ratios.append(f"{row['name']} {row['wall_over_pmsync']:.2f}{partial}")
    floor = (f"{ours['wall_over_floor']:.2f} x the floor; " if ours.get("wall_over_floor")
             else "")
    print(f"{ours['name']}: {floor}each contender's wall ÷ pmsync's: {'; '.join(ratios)}")


def _report(tallies: dict[str, Tally], args: argparse.Namespace) -> int:
    rows: list[dict] = []
    for side, names in (("Jira", JIRA_SIDE), ("ClickUp", CLICKUP_SIDE)):
        group = [tallies[n] for n in names if n in tallies]
        if not group:
            continue
        # The fewest requests and bytes that obtain everything: a contender that left
        # issues behind (jira-agile-metrics reads one page) sets no minimum.
        ran = [t for t in group if t.walls and all(
            c.get("issues") and c["issues"][0] == c["issues"][1] for c in t.checks)] or [
            t for t in group if t.walls]
        fewest = min((statistics.median(sum(r.values()) for r in t.requests) for t in ran),
                     default=1)
        fewest_bytes = min((statistics.median(t.received) for t in ran), default=1) or 1
        if side == "Jira":
            floor_walls = tallies["raw floor"].walls
            floor = statistics.median(floor_walls) if floor_walls else 0.0
            what = (f"{args.issues} issues, {args.latency * 1000:g} ms per answer; "
                    f"floor: the raw floor's median wall")
        else:  # the start of the last rate-limit window the fewest requests need
            limit, window = args.clickup_rate.split("/")
            floor = (math.ceil(fewest / int(limit)) - 1) * float(window)
            what = (f"{args.clickup} tasks in {args.clickup_lists} lists at {limit} requests "
                    f"/ {window} s; floor: {floor:g} s, the start of the last window "
                    f"{fewest:g} requests need")
        print(f"\n{side}: {what}; https proxy; {args.rounds} interleaved rounds")
        header = (f"{'contender':18} {'wall med':>8} {'min':>6} {'max':>6} {'/floor':>6} "
                  f"{'requests':>8} {'req/min':>7} {'resp MiB':>8} {'/min':>5} {'req MiB':>7} "
                  f"{'CPU s':>6} {'RSS MiB':>7} {'records':>11} {'changelog':>17} "
                  f"complete")
        print(header)
        for t in group:
            if not t.walls:
                print(f"{t.name:18} FAILED: {t.failed}")
                rows.append({"name": t.name, "side": side, "failed": t.failed})
                continue
            row = {"side": side, **_row(t, floor, fewest, fewest_bytes)}
            rows.append(row)
            records, entries, complete = _completeness(t)
            over_floor = f"{row['wall_over_floor']:6.2f}" if row["wall_over_floor"] else "     -"
            extra = (f"  {row['throttled_429']:g} x 429" if row["throttled_429"] is not None
                     else "")
            later = f"  (round {len(t.walls) + 1} failed: {t.failed})" if t.failed else ""
            print(f"{t.name:18} {row['wall_median']:8.2f} {row['wall_min']:6.2f} "
                  f"{row['wall_max']:6.2f} {over_floor} {row['requests']:8.0f} "
                  f"{row['requests_over_fewest']:7.2f} {row['response_bytes'] / 2**20:8.1f} "
                  f"{row['bytes_over_fewest']:5.2f} {row['request_bytes'] / 2**20:7.2f} "
                  f"{row['cpu']:6.2f} {row['peak_rss_mib']:7.1f} {records:>11} {entries:>17} "
                  f"{complete}{extra}{later}")
        _versus_pmsync([r for r in rows if r.get("side") == side and r.get("wall_median")])
        for row in rows:
            if row.get("side") == side and row.get("requests_by_kind"):
                kinds = ", ".join(f"{n:g} {k}" for k, n in row["requests_by_kind"].items())
                print(f"  {row['name']}: {kinds}")
    args.json.write_text(json.dumps({
        "issues": args.issues, "latency": args.latency, "rounds": args.rounds,
        "clickup_tasks": args.clickup, "clickup_rate": args.clickup_rate,
        "contenders": rows}, indent=2))
    print(f"JSON: {args.json.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
