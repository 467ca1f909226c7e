"""`pmsync report` reads a tracker's token only when it publishes pages to that tracker:
a report that writes local HTML files only runs without any token in the environment,
and a publishing report without its token says which variable to set."""

from __future__ import annotations

from pmsync.cli import main

TOKEN_ENV = "PMSYNC_DEMO_TOKEN"


def report(path, capsys) -> tuple[int, str, str]:
    code = main(["--config", str(path), "report"])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_report_that_writes_files_only_needs_no_token(sandbox, tmp_path, monkeypatch,
                                                         write_config, capsys):
    path = write_config(sandbox, tmp_path, monkeypatch)
    assert main(["--config", str(path), "sync"]) == 0
    publishing = path.read_text()
    assert 'pages_space = "PM"\n' in publishing
    path.write_text(publishing.replace('pages_space = "PM"\n', ""))  # no page target
    monkeypatch.delenv(TOKEN_ENV)
    written = len(sandbox.writes)

    code, out, err = report(path, capsys)

    assert code == 0, err
    assert TOKEN_ENV not in err
    pages = sorted((tmp_path / "state" / "reports").glob("*.html"))
    assert [p.name for p in pages] == ["roadmap.html", "sprint-review-mobile.html",
                                       "sprint-review-payments.html", "sprint-review-web.html"]
    assert "Sprint review: Payments" in pages[2].read_text()
    assert out.count("page none no page") == 4  # nothing published, nothing asked of Jira
    assert sandbox.writes[written:] == []


def test_a_publishing_report_still_needs_its_token(sandbox, tmp_path, monkeypatch,
                                                    write_config, capsys):
    path = write_config(sandbox, tmp_path, monkeypatch)
    assert main(["--config", str(path), "sync"]) == 0
    monkeypatch.delenv(TOKEN_ENV)

    code, out, err = report(path, capsys)

    assert code != 0
    assert f"environment variable {TOKEN_ENV} is not set" in err
    assert "Traceback" not in err
    # the local copies are still written: a page target failing keeps no file back
    assert len(list((tmp_path / "state" / "reports").glob("*.html"))) == 4
