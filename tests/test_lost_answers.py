"""A POST whose answer is lost is looked for before it is sent again: no duplicates.

The sandbox commits the write and then holds its answer past the client's timeout
(``lost``), drops the connection after committing (``reset=after``), answers half a
body (``truncated``, ``malformed``), or refuses before doing anything (``status``,
``reset=before``). Whatever happened, every comment, page and Doc exists once.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from pmsync.cli import main
from pmsync.sandbox import Sandbox
from pmsync_jira.connector import read_marker

LOST = "lost=4"  # the answer comes 4 s after the write, the client gives up after 2 s


def run(path, capsys) -> tuple[int, str]:
    code = main(["--config", str(path), "run"])
    out, err = capsys.readouterr()
    return code, out + err


def created_comments(output: str) -> int:
    return int(re.search(r"alerts\s+(\d+) created", output).group(1))


def jira_comment_counts(sandbox) -> Counter:
    return Counter((key, read_marker(c["body"])) for key, comments in sandbox.site.comments.items()
                   for c in comments if c.get("author") is None)


def clickup_comment_counts(sandbox) -> Counter:
    if sandbox.clickup is None:
        return Counter()
    return Counter((task, c["comment_text"].splitlines()[-1])
                   for task, comments in sandbox.clickup.comments.items()
                   for c in comments if c.get("user") is None)


def assert_no_duplicates(sandbox, output: str, first_run: bool = True) -> None:
    jira, clickup = jira_comment_counts(sandbox), clickup_comment_counts(sandbox)
    assert set(jira.values()) <= {1} and set(clickup.values()) <= {1}, "a comment twice"
    if first_run:  # what the run says it created is what the trackers hold
        assert sum(jira.values()) + sum(clickup.values()) == created_comments(output)
    titles = Counter((p["spaceId"], p["title"]) for p in sandbox.site.pages.values())
    assert set(titles.values()) <= {1}, "a Confluence page twice"
    if sandbox.clickup:
        docs = Counter(d["name"] for d in sandbox.clickup.docs.values())
        pages = Counter((p["doc_id"], p["name"]) for p in sandbox.clickup.pages.values())
        assert set(docs.values()) <= {1} and set(pages.values()) <= {1}, "a Doc or page twice"


WRITES = {
    # name: (deployment, with ClickUp, fault path)
    "jira-cloud-comment": ("Cloud", False, "POST:/rest/api/3/issue/*/comment"),
    "jira-dc-comment": ("Server", False, "POST:/rest/api/2/issue/*/comment"),
    "confluence-cloud-page": ("Cloud", False, "POST:/wiki/api/v2/pages"),
    "confluence-dc-page": ("Server", False, "POST:/rest/api/content"),
    "clickup-comment": ("Cloud", True, "POST:/api/v2/task/*/comment"),
    "clickup-doc": ("Cloud", True, "POST:/api/v3/workspaces/*/docs"),
    "clickup-doc-page": ("Cloud", True, "POST:/api/v3/workspaces/*/docs/*/pages"),
}


def start(deployment: str, clickup: bool) -> Sandbox:
    return Sandbox.start(seed=7, size=40, deployment=deployment,
                         clickup_size=30 if clickup else 0)


def config(sandbox, tmp_path, monkeypatch, write_config, write_clickup_config, clickup: bool):
    if clickup:
        path = write_clickup_config(sandbox, tmp_path, monkeypatch, "\ntimeout = 2")
        return path
    return write_config(sandbox, tmp_path, monkeypatch, "\ntimeout = 2")


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_lost_answer_makes_no_duplicate(write, tmp_path, monkeypatch, capsys, write_config,
                                          write_clickup_config):
    deployment, clickup, path = WRITES[write]
    with start(deployment, clickup) as sandbox:
        (fault,) = sandbox.inject(f"{path}:{LOST}")
        cfg = config(sandbox, tmp_path, monkeypatch, write_config, write_clickup_config, clickup)
        code, output = run(cfg, capsys)
        assert code == 0, output
        assert fault.fired == 1  # the write was committed and its answer lost
        assert "the answer was lost" in output and "not sending it again" in output
        assert_no_duplicates(sandbox, output)
        # The next run finds everything in place: nothing is created again.
        code, output = run(cfg, capsys)
        assert code == 0 and created_comments(output) == 0, output
        assert_no_duplicates(sandbox, output, first_run=False)


KINDS = ["reset=after", "truncated", "malformed", "reset=before", "status=503", "status=502",
         "status=429,retry-after=0"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("write", ["jira-cloud-comment", "clickup-comment",
                                   "confluence-cloud-page", "clickup-doc-page"])
def test_every_fault_on_a_write_leaves_it_done_once(write, kind, tmp_path, monkeypatch, capsys,
                                                   write_config, write_clickup_config):
    deployment, clickup, path = WRITES[write]
    with start(deployment, clickup) as sandbox:
        (fault,) = sandbox.inject(f"{path}:{kind}")
        cfg = config(sandbox, tmp_path, monkeypatch, write_config, write_clickup_config, clickup)
        code, output = run(cfg, capsys)
        assert code == 0, output
        assert fault.fired == 1
        assert_no_duplicates(sandbox, output)


def test_one_comment_refused_does_not_stop_the_others(tmp_path, monkeypatch, capsys,
                                                     write_config):
    with start("Cloud", False) as sandbox:
        sandbox.inject("POST:/rest/api/3/issue/*/comment:status=400")
        cfg = write_config(sandbox, tmp_path, monkeypatch)
        code, output = run(cfg, capsys)
        assert code != 0
        assert "1 alert comment could not be written (the next run tries again)" in output
        posted = sum(jira_comment_counts(sandbox).values())
        assert posted > 1 and f"alerts    {posted} created" in output
        code, output = run(cfg, capsys)  # the next run posts the one that was refused
        assert code == 0 and "alerts    1 created" in output
        assert_no_duplicates(sandbox, output, first_run=False)
