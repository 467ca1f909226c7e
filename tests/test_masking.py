"""Secrets are masked in every encoding they leave in: as they are, percent-encoded,
inside base64 (the Basic-auth header is base64 of email:token, at any alignment), as a
URL's password, and as an Authorization header a server echoes back in its error body."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest

from pmsync.cli import main
from pmsync.logs import mask, register_secret

TOKEN = "ATATT3xFfGF0-s3cr3t+T0ken/xyz=42"


@pytest.fixture(autouse=True)
def token():
    register_secret(TOKEN)


@pytest.mark.parametrize("email", ["a@b.c", "ab@b.c", "abc@b.c"])  # each base64 alignment
def test_basic_auth_values_are_masked_at_any_alignment(email):
    basic = base64.b64encode(f"{email}:{TOKEN}".encode()).decode()
    for text in (f"Authorization: Basic {basic}", f"sent {basic} to the server",
                 base64.urlsafe_b64encode(f"{email}:{TOKEN}".encode()).decode()):
        masked = mask(text)
        assert basic not in masked and "***" in masked
        assert TOKEN not in base64.b64decode(masked.split()[-1] + "===", validate=False) \
            .decode(errors="replace")


@pytest.mark.parametrize(("text", "expected"), [
    (f"token {TOKEN} refused", "token *** refused"),
    (f"GET /x?token={quote(TOKEN, safe='')}", "GET /x?token=***"),
    ("proxy https://bob:hunter2@proxy.example.com:3128/", "proxy https://bob:***@proxy.example.com:3128/"),
    ('{"headers": {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig"}}',
     '{"headers": {"Authorization": "Bearer ***"}}'),
    ("authorization: pk_4242_UNREGISTERED", "authorization: ***"),
    ("'Authorization': 'Basic Zm9vOmJhcg=='", "'Authorization': 'Basic ***'"),
    ("HTTP 404 at https://acme.atlassian.net/rest/api/3/issue/PAY-1",
     "HTTP 404 at https://acme.atlassian.net/rest/api/3/issue/PAY-1"),  # nothing secret: as is
])
def test_masked_forms(text, expected):
    assert mask(text) == expected


class EchoingServer(BaseHTTPRequestHandler):
    """A tracker whose error body repeats the request's headers (some proxies do)."""

    def do_GET(self):  # noqa: N802 - http.server's naming
        body = json.dumps({"errorMessages": [
            f"bad request; you sent Authorization: {self.headers.get('Authorization')} "
            f"and {base64.b64encode(self.headers.get('Authorization', '').encode()).decode()}"]})
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


def test_an_authorization_header_echoed_in_an_error_body_is_masked(tmp_path, capsys,
                                                                   monkeypatch, store_for):
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoingServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("ECHO_TOKEN", TOKEN)
        config = tmp_path / "pmsync.toml"
        config.write_text(store_for(tmp_path) + f"""
[trackers.jira]
kind = "jira"
url = "http://127.0.0.1:{server.server_port}"
email = "pm@example.com"
token_env = "ECHO_TOKEN"
projects = ["PAY"]
pages_space = "PM"
retry_attempts = 1
""")
        code = main(["--config", str(config), "sync"])
        _, err = capsys.readouterr()
        code_runs = main(["--config", str(config), "runs", "--format", "json"])
        runs_out, _ = capsys.readouterr()
    finally:
        server.shutdown()
    assert code == 3 and code_runs == 0
    basic = base64.b64encode(f"pm@example.com:{TOKEN}".encode()).decode()
    (line,) = [line for line in err.splitlines() if line.startswith("pmsync: error:")]
    assert "you sent Authorization: ***" in line, line
    for leaked in (TOKEN, basic, basic[8:30], base64.b64encode(f"Basic {basic}".encode()).decode()[8:40]):
        assert leaked not in err and leaked not in runs_out
    (run,) = json.loads(runs_out)
    assert "***" in run["error"]
