"""Nothing to report yet: a store nobody synced into, a product line with no items. Neither
may overwrite published pages with empty ones or stop a run with "internal error"."""

from __future__ import annotations

from pmsync.cli import main


def run_cli(capsys, path, *args) -> tuple[int, str, str]:
    code = main(["--config", str(path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_clickup_line_with_no_items_yet_does_not_stop_the_run(
        sandbox, tmp_path, monkeypatch, capsys, write_clickup_config):
    """A line just added for a ClickUp space nobody filled yet: its Doc page has no charts
    (before: the Markdown template asked for one, exit 70, no alerts posted)."""
    path = write_clickup_config(sandbox, tmp_path, monkeypatch)
    path.write_text(path.read_text().replace('space = "Platform"', 'space = "Not there yet"'))
    code, out, err = run_cli(capsys, path, "run")
    assert code == 0, err
    assert "report    Platform: page v1 (created)" in out
    assert "alerts    " in out and "internal error" not in err
