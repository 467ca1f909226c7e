"""One report that cannot be published, or one tracker that cannot be reached, does not
stop the other steps: the alerts still go out and the run ends non-zero, listing all."""

from __future__ import annotations

import json
import socket

from pmsync.cli import main
from pmsync.errors import TrackerError


def errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("pmsync: error:")]


def test_a_report_that_fails_to_publish_does_not_stop_the_alerts(pmsync, monkeypatch, sandbox):
    from pmsync_jira.connector import JiraConnector

    publish = JiraConnector.publish_page

    def flaky(self, request):
        if "Mobile" in request.title:
            raise TrackerError("Confluence answered HTTP 500 while publishing 'Sprint review: "
                               "Mobile'; it is retried on the next run")
        return publish(self, request)

    monkeypatch.setattr(JiraConnector, "publish_page", flaky)
    code, out, err = pmsync("run")
    assert code == 3
    assert errors(err) == ["pmsync: error: Confluence answered HTTP 500 while publishing "
                           "'Sprint review: Mobile'; it is retried on the next run"]
    created = int(out.split("alerts")[1].split()[0])
    assert created > 0
    titles = {p["title"] for p in sandbox.site.pages.values()}
    assert "Sprint review: Payments" in titles and "Sprint review: Mobile" not in titles
    (run,) = json.loads(pmsync("runs", "--format", "json")[1])
    assert (run["outcome"], run["exit_code"], run["counts"]["created"]) == ("failed", 3, created)
    assert "Sprint review: Mobile" in run["error"]

    monkeypatch.setattr(JiraConnector, "publish_page", publish)  # Confluence is back
    code, out, err = pmsync("run")
    assert code == 0 and errors(err) == []
    assert "Sprint review: Mobile" in {p["title"] for p in sandbox.site.pages.values()}
    assert "0 created" in out  # the alerts were all out already


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_tracker_does_not_stop_the_other(sandbox, tmp_path, monkeypatch, capsys,
                                                         write_clickup_config):
    path = write_clickup_config(sandbox, tmp_path, monkeypatch, "\nretry_attempts = 1")
    text = path.read_text()
    head, _, clickup = text.partition("[trackers.clickup]")
    clickup = clickup.replace(f'url = "{sandbox.url}"', f'url = "http://127.0.0.1:{dead_port()}"', 1)
    path.write_text(head + "[trackers.clickup]" + clickup)
    code = main(["--config", str(path), "run"])
    out, err = capsys.readouterr()
    assert code == 3
    (line,) = errors(err)
    assert "cannot reach ClickUp" in line
    assert "synced    jira:" in out and "synced    clickup" not in out
    assert sandbox.writes_to("POST", "/comment")  # the Jira alerts went out
    assert "Sprint review: Payments" in {p["title"] for p in sandbox.site.pages.values()}
