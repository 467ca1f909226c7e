"""The public-client suite: real clients from PyPI, run unchanged against the sandbox.

    python benchmarks/client_suite.py [--only NAME ...] [--venvs DIR] [--keep DIR]

Each client is installed into its own virtualenv under .venv-clients/ (reused when
present, so a second run installs nothing), the sandbox starts on loopback (Cloud and
Data Center sites, over https with a self-signed certificate, since some clients only
speak https), and each client does its normal job. One line per client and job:

    PASS  jira                   common calls (Cloud)      33 calls, 260 records

Exit 0 when every job passes. What a client is given, and nothing else: the site's URL,
credentials, and the certificate to trust (REQUESTS_CA_BUNDLE, as any https user of a
self-signed server sets it). Where a client hard-codes its vendor's URL, a launcher that
only sets that base URL is used, and labelled so in its job.

To add a client, add a Client to CLIENTS: its name, its pip requirements, and a function
that runs its jobs and returns (job, passed, detail) rows.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import last_error, select_every_stream  # noqa: E402

from pmsync.sandbox import Sandbox  # noqa: E402

Row = tuple[str, bool, str]  # (job, passed, detail)


@dataclass(frozen=True)
class Sites:
    """The sandboxes every job may use, and where job files go: Cloud and Data Center over
    https, and Cloud (with ClickUp) over plain http for clients that take any URL."""

    cloud: Sandbox
    datacenter: Sandbox
    plain: Sandbox
    work: Path

    @property
    def certificates(self) -> Path:
        bundle = self.work / "sandbox-certificates.pem"
        if not bundle.exists():
            bundle.write_text(self.cloud.cert.read_text() + self.datacenter.cert.read_text())
        return bundle

    def env(self) -> dict[str, str]:
        """The environment of a client process: trust the sandboxes' certificates."""
        return {**os.environ, "REQUESTS_CA_BUNDLE": str(self.certificates)}

    def trust_in(self, python: Path) -> str:
        """For a client that sends with `Session.send` (which ignores REQUESTS_CA_BUNDLE):
        add the certificates to the trust store of its own virtualenv (certifi's bundle),
        as its user would for a server with a self-signed certificate."""
        return trust_in(python, self.certificates)


def trust_in(python: Path, certificates: Path) -> str:
    """Add ``certificates`` to the trust store (certifi's bundle) of a client's virtualenv."""
    where = subprocess.run([str(python), "-c", "import certifi; print(certifi.where())"],
                           capture_output=True, text=True, check=True).stdout.strip()
    bundle, original = Path(where), Path(where + ".orig")
    if not original.exists():
        original.write_bytes(bundle.read_bytes())
    bundle.write_text(original.read_text() + "\n" + certificates.read_text())
    return "sandbox certificate added to the venv's trust store"


@dataclass(frozen=True)
class Client:
    name: str
    requirements: tuple[str, ...]
    run: Callable[[Path, Sites], list[Row]]


def _script_job(python: Path, sites: Sites, job: str, *args: str) -> Row:
    """Run a job script of benchmarks/clients in the client's venv; it prints JSON counts."""
    done = subprocess.run([str(python), *args], capture_output=True, text=True, timeout=900,
                          env=sites.env())
    try:
        result = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return job, False, "crashed: " + last_error(done.stderr)
    ok = done.returncode == 0 and not result["failed"] and result["records"] > 0
    detail = f"{result['calls']} calls, {result['records']} records"
    if result["failed"]:
        detail += "; failed: " + " | ".join(result["failed"])
    return job, ok, detail


# --- the jira library -------------------------------------------------------------------
def run_jira(python: Path, sites: Sites) -> list[Row]:
    script = str(HERE / "clients" / "jira_common.py")
    cloud, dc = sites.cloud.site.account, sites.datacenter.site.account
    return [
        _script_job(python, sites, "common calls (Cloud)", script, sites.cloud.url, "cloud",
                    cloud.email, cloud.api_token),
        _script_job(python, sites, "common calls (Data Center)", script, sites.datacenter.url,
                    "datacenter", "-", dc.personal_access_token),
    ]


# --- tap-jira ---------------------------------------------------------------------------
def run_tap_jira(python: Path, sites: Sites) -> list[Row]:
    """tap-jira rewrites every base URL to https:// and sends with Session.send."""
    tap = str(python.parent / "tap-jira")
    sites.trust_in(python)
    rows = []
    for label, sandbox, user, password in (
            ("Cloud", sites.cloud, sites.cloud.site.account.email,
             sites.cloud.site.account.api_token),
            ("Data Center", sites.datacenter, sites.datacenter.site.account.name,
             sites.datacenter.site.account.password)):
        folder = sites.work / f"tap-jira-{label.replace(' ', '-').lower()}"
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / "config.json"
        config.write_text(json.dumps({
            "start_date": "2020-01-01T00:00:00Z", "username": user, "password": password,
            "base_url": sandbox.url, "user_agent": "pmsync client suite"}))
        found = subprocess.run([tap, "--config", str(config), "--discover"], capture_output=True,
                               text=True, timeout=300, env=sites.env())
        if found.returncode != 0:
            rows.append((f"discovery ({label})", False, last_error(found.stderr)))
            continue
        catalog = json.loads(found.stdout)
        names = select_every_stream(catalog)
        (folder / "catalog.json").write_text(json.dumps(catalog))
        rows.append((f"discovery ({label})", True, f"{len(names)} streams"))
        synced = subprocess.run([tap, "--config", str(config), "--properties",
                                 str(folder / "catalog.json")], capture_output=True, text=True,
                                timeout=900, env=sites.env())
        (folder / "sync.stderr").write_text(synced.stderr)
        records = Counter(json.loads(line)["stream"] for line in synced.stdout.splitlines()
                          if line.startswith('{"type": "RECORD"'))
        error = "" if synced.returncode == 0 else "; sync failed: " + last_error(synced.stderr)
        for name in names:
            rows.append((f"{name} ({label})", synced.returncode == 0 and records[name] > 0,
                         f"{records[name]} records{error}"))
    return rows


# --- jira-agile-metrics -----------------------------------------------------------------
METRICS_CONFIG = """\
Connection:
    Domain: {url}
    Username: {user}
    Password: {password}

Query: project = {project} AND issuetype = Story

Workflow:
    Backlog: To Do
    In Progress: In Progress
    Done: Done

Attributes:
    Story points: Story Points

Output:
    Quantiles:
        - 0.5
        - 0.85
    Cycle time data: cycletime.csv
    CFD data: cfd.csv
    Throughput data: throughput.csv
    Scatterplot data: scatterplot.csv
    Histogram data: histogram.csv
    Percentiles data: percentiles.csv
    Scatterplot chart: scatterplot.png
    CFD chart: cfd.png
    Throughput chart: throughput.png
    Burnup chart: burnup.png
    Burnup chart title: Burn-up
"""
# Each output and the least it must hold to count as "data in it".
METRICS_OUTPUTS = {"cycle time": "cycletime.csv", "CFD": "cfd.csv",
                   "throughput": "throughput.csv", "scatterplot": "scatterplot.csv",
                   "burn-up": "burnup.png"}


def run_jira_agile_metrics(python: Path, sites: Sites) -> list[Row]:
    folder = sites.work / "jira-agile-metrics"
    folder.mkdir(parents=True, exist_ok=True)
    account = sites.cloud.site.account
    config = folder / "config.yml"
    config.write_text(METRICS_CONFIG.format(url=sites.cloud.url, user=account.email,
                                            password=account.api_token, project="PAY"))
    done = subprocess.run([str(python.parent / "jira-agile-metrics"), str(config),
                           "--output-directory", str(folder)], capture_output=True, text=True,
                          timeout=900, env={**sites.env(), "MPLBACKEND": "Agg"})
    (folder / "run.stderr").write_text(done.stderr)
    if done.returncode != 0:
        return [("run", False, last_error(done.stderr))]
    rows = []
    for job, name in METRICS_OUTPUTS.items():
        path = folder / name
        if name.endswith(".csv"):
            with path.open() if path.exists() else open(os.devnull) as handle:
                data = [r for r in csv.reader(handle)][1:]
            # a row with data: a cell past the index column that is not empty or zero
            filled = [r for r in data if any(c not in ("", "0", "0.0", "NaN", "nan")
                                             for c in r[1:])]
            rows.append((job, bool(filled), f"{len(data)} rows, {len(filled)} with data"))
        else:
            size = path.stat().st_size if path.exists() else 0
            rows.append((job, size > 10_000, f"chart {size} bytes"))
    return rows


# --- atlassian-python-api ---------------------------------------------------------------
def run_atlassian(python: Path, sites: Sites) -> list[Row]:
    script = str(HERE / "clients" / "confluence_pages.py")
    account = sites.cloud.site.account
    wiki = sites.cloud.url + "/wiki"
    return [_script_job(python, sites, f"Confluence {v} pages create/read/update", script, v,
                        wiki, account.email, account.api_token, "PM") for v in ("v1", "v2")]


# --- tap-clickup (H6's job, benchmarks/tap_clickup.py) ----------------------------------
def run_tap_clickup(python: Path, sites: Sites) -> list[Row]:
    import tap_clickup

    folder = sites.work / "tap-clickup"
    folder.mkdir(parents=True, exist_ok=True)
    env = os.environ.copy()
    os.environ.update(sites.env())  # the tap's subprocesses inherit the certificate
    try:
        rows = tap_clickup.run(python, sites.plain.url, folder)
    finally:
        os.environ.clear()
        os.environ.update(env)
    return [(job + " (launcher sets the base URL)" if job == "discovery" else job, ok, detail)
            for job, ok, detail in rows]


CLIENTS = [
    Client("jira", ("jira==3.10.*",), run_jira),
    Client("tap-jira", ("tap-jira==2.6.*",), run_tap_jira),
    Client("jira-agile-metrics", ("jira-agile-metrics==0.24", "pandas<2", "numpy<2",
                                  "matplotlib<3.9"), run_jira_agile_metrics),
    Client("atlassian-python-api", ("atlassian-python-api==5.*",), run_atlassian),
    Client("tap-clickup", ("tap-clickup==0.0.23",), run_tap_clickup),
]


def install(client: Client, venvs: Path) -> Path:
    """The client's virtualenv, made and filled once; a changed requirement list remakes it."""
    venv = venvs / client.name
    python = venv / "bin" / "python"
    stamp = venv / "pmsync-requirements.txt"
    wanted = "\n".join(client.requirements)
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *client.requirements],
                   check=True, stdout=subprocess.DEVNULL)
    stamp.write_text(wanted)
    return python


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=[c.name for c in CLIENTS],
                        help="run these clients only")
    parser.add_argument("--venvs", type=Path, default=HERE.parent / ".venv-clients",
                        help="where the clients' virtualenvs live (default .venv-clients/)")
    parser.add_argument("--keep", type=Path, help="keep configs, catalogs, outputs and logs here")
    args = parser.parse_args()
    chosen = [c for c in CLIENTS if not args.only or c.name in args.only]
    started = time.perf_counter()
    pythons = {c.name: install(c, args.venvs) for c in chosen}
    installed = time.perf_counter() - started
    work = args.keep or Path(tempfile.mkdtemp(prefix="pmsync-clients-"))
    work.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, str, bool, str]] = []
    with Sandbox.start(seed=7, size=60, tls=True, clickup_size=0) as cloud, \
            Sandbox.start(seed=7, size=60, tls=True, deployment="Server", clickup_size=0) as dc, \
            Sandbox.start(seed=7, size=60) as plain:
        sites = Sites(cloud, dc, plain, work)
        for client in chosen:
            try:
                found = client.run(pythons[client.name], sites)
            except Exception as exc:  # noqa: BLE001 - one client's crash is its FAIL row
                found = [("run", False, f"{type(exc).__name__}: {exc}")]
            for job, ok, detail in found:
                rows.append((client.name, job, ok, detail))
                print(f"{'PASS' if ok else 'FAIL'}  {client.name:<21} {job:<42} {detail}",
                      flush=True)
    passed = sum(ok for *_, ok, _ in rows)
    print(f"{passed} passed, {len(rows) - passed} failed "
          f"(install {installed:.0f} s, jobs {time.perf_counter() - started - installed:.0f} s; "
          f"files in {work})")
    return 0 if passed == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
