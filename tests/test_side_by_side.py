"""The side-by-side harness's own parts, fast: the counting proxy, the completeness rule for
jira-agile-metrics' cycle dates, and one tiny run with pmsync alone (the peers' runs, which
need their virtualenvs, are benchmarks/side_by_side.py's, outside the default run)."""

from __future__ import annotations

import argparse
import json
import socket
import ssl
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import side_by_side  # noqa: E402
from completeness import cycle_dates  # noqa: E402
from counting_proxy import Counts, RequestReader  # noqa: E402


def _served(tmp_path: Path):
    args = argparse.Namespace(issues=20, latency=0.0, clickup=0, clickup_lists=1,
                              clickup_rate="70/5")
    return side_by_side._served(args, tmp_path)


def test_proxy_counts_each_request_once_and_every_byte_both_ways(tmp_path):
    with _served(tmp_path) as (site, counts):
        before = counts()
        body = b'{"jql": "GET /rest/api/3/search/jql HTTP/1.1\\r\\n\\r\\n"}'  # a head in a body
        sent = (b"GET /rest/api/3/serverInfo HTTP/1.1\r\nHost: x\r\n\r\n"
                b"POST /rest/api/3/search/jql HTTP/1.1\r\nHost: x\r\nContent-Type: "
                b"application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
                + body
                + b"GET /rest/api/3/myself HTTP/1.1\r\nHost: x\r\n\r\n"
                + b"GET /rest/api/3/issue/PAY-1/changelog HTTP/1.1\r\nHost: x\r\n"
                b"Connection: close\r\n\r\n")
        context = ssl.create_default_context(cafile=str(site.cert))
        port = int(site.url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as raw, \
                context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            tls.sendall(sent)
            received = b""
            while chunk := tls.recv(65536):
                received += chunk
        after = counts()
    assert received.count(b"HTTP/1.1 ") == 4  # four answers, to four requests
    kinds = {k: n - before["requests"].get(k, 0) for k, n in after["requests"].items()}
    assert {k: n for k, n in kinds.items() if n} == {"other": 2, "search": 1, "changelog": 1}
    assert after["request_bytes"] - before["request_bytes"] == len(sent)
    assert after["response_bytes"] - before["response_bytes"] == len(received)


def test_request_reader_skips_bodies_sent_in_chunks_and_split_across_reads():
    counts = Counts()
    reader = RequestReader(counts)
    stream = (b"POST /api/v2/list/1/task HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
              b"1b\r\nGET /search HTTP/1.1\r\n\r\nabc\r\n0\r\n\r\n"
              b"GET /rest/api/3/search/jql?jql=x HTTP/1.1\r\nContent-Length: 4\r\n\r\nGET "
              b"GET /rest/api/3/issue/A-1/changelog HTTP/1.1\r\n\r\n")
    for start in range(0, len(stream), 7):  # bytes arrive in any pieces
        reader.feed(stream[start:start + 7])
    assert dict(counts.requests) == {"task pages": 1, "search": 1, "changelog": 1}


def test_cycle_dates_keep_the_first_entry_and_a_move_back_wipes_later_steps():
    data = {"created": "2026-01-01T09:00:00.000+0000", "status": "In Progress",
            "status_changes": [["2026-01-02T10:00:00.000+0000", "To Do", "In Progress"],
                               ["2026-01-03T10:00:00.000+0000", "In Progress", "Done"],
                               ["2026-01-04T10:00:00.000+0000", "Done", "In Progress"]]}
    assert cycle_dates(data) == {"Backlog": "2026-01-01", "In Progress": "2026-01-02",
                                 "Done": ""}
    back_to_do = {**data, "status_changes": [*data["status_changes"],
                                             ["2026-01-05T10:00:00.000+0000", "In Progress",
                                              "To Do"],
                                             ["2026-01-06T10:00:00.000+0000", "To Do",
                                              "In Progress"]]}
    assert cycle_dates(back_to_do)["In Progress"] == "2026-01-06"
    never_changed = {"created": "2026-01-01T09:00:00.000-0500", "status": "To Do",
                     "status_changes": []}
    assert cycle_dates(never_changed) == {"Backlog": "2026-01-01", "In Progress": "",
                                          "Done": ""}


def test_a_tiny_run_with_pmsync_alone_prints_its_row_and_writes_the_json(tmp_path):
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "side_by_side.py"), "--issues", "30", "--latency",
         "0", "--rounds", "1", "--only", "pmsync", "--json", str(tmp_path / "out.json"),
         "--keep", str(tmp_path / "runs")],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    rows = {row["name"]: row for row in json.loads((tmp_path / "out.json").read_text())[
        "contenders"]}
    assert set(rows) == {"raw floor", "pmsync"}
    pmsync = rows["pmsync"]
    assert pmsync["completeness"]["complete"] is True, pmsync["completeness"]
    got, truth = pmsync["completeness"]["issues"]
    assert got == truth > 30  # the planted cases come on top of --issues
    assert pmsync["requests_by_kind"]["search"] >= 1
    assert pmsync["response_bytes"] > 0 and pmsync["request_bytes"] > 0
    assert pmsync["requests_over_fewest"] >= 1.0
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("pmsync "))
    assert line.rstrip().endswith("yes"), line
