"""A secret pasted into tracker text never reaches the store, nor anything made from it.

Anyone who can file an issue can paste pmsync's own token into a title (by mistake, or
to get it published): as it is, percent-encoded, or inside the base64 of a Basic header.
After a whole `pmsync run` over such a site, Jira and ClickUp, no form of either token is
in the store (either database), `check --format json`, the report files, or the pages
and comments pmsync wrote; the titles themselves did arrive, masked.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

from conftest import store_values
from pmsync.cli import main


def planted(secret: str, email: str) -> list[str]:
    """The ways a token gets pasted: as it is, URL-encoded, a Basic header's value (at
    each of base64's three alignments), base64 of the token alone, URL-safe base64."""
    b64 = base64.b64encode
    return [secret, quote(secret, safe=""), f"Basic {b64(f'{email}:{secret}'.encode()).decode()}",
            b64(f"a{email}:{secret}".encode()).decode(), b64(f"ab{email}:{secret}".encode()).decode(),
            b64(secret.encode()).decode(), base64.urlsafe_b64encode(f"x:{secret}".encode()).decode()]


def traces(secret: str) -> list[str]:
    """What must never show: the token, URL-encoded, and the part of base64(anything +
    token + anything) that the token alone decides, at each alignment, in both alphabets."""
    out = [secret, quote(secret, safe="")]
    for offset in range(3):
        text = base64.b64encode(b"\0" * offset + secret.encode()).decode()
        core = text[4 if offset else 0:len(text) - 4]
        out += [core, core.replace("+", "-").replace("/", "_")]
    return out


def plant(sandbox) -> None:
    site, clickup = sandbox.site, sandbox.clickup
    token, email = site.account.api_token, site.account.email
    jira_forms, clickup_forms = planted(token, email), planted(clickup.token, "casey@example.com")
    for n, key in enumerate(list(site.issues)):
        form = jira_forms[n % len(jira_forms)]
        site.touch(key, summary=f"Rotate {form} today",
                   description={"type": "doc", "version": 1, "content": [
                       {"type": "paragraph", "content": [{"type": "text", "text": form}]}]})
        if n == 0:
            site.touch(key, labels=[token])
            site.add_comment(key, {"type": "doc", "version": 1, "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": f"mine: {token}"}]}]},
                author=site.people()[0])
    for n, sprint in enumerate(site.sprints.values()):
        sprint["name"] = f"{sprint['name']} {jira_forms[n % len(jira_forms)]}"
        sprint["goal"] = f"ship {token}"
    for n, task in enumerate(sorted(clickup.tasks.values(), key=lambda t: t["id"])):
        clickup.touch(task["id"], name=f"Rotate {clickup_forms[n % len(clickup_forms)]} today",
                      description=clickup.token, text_content=clickup.token)
    for n, lst in enumerate(clickup.lists.values()):
        lst["name"] = f"{lst['name']} {clickup_forms[n % len(clickup_forms)]}"


def test_secrets_in_tracker_text_are_masked_before_they_are_stored(
        sandbox, tmp_path, monkeypatch, capsys, write_clickup_config, store_kind):
    plant(sandbox)
    path = write_clickup_config(sandbox, tmp_path, monkeypatch)
    assert main(["--config", str(path), "run"]) == 0, capsys.readouterr()
    run_out, run_err = capsys.readouterr()
    assert main(["--config", str(path), "check", "--format", "json"]) in (0, 1)
    check_out, _ = capsys.readouterr()
    files = [p for p in (path.parent / "state").rglob("*") if p.is_file()]
    reports = [p.read_text() for p in files if p.suffix == ".html"]
    stored = (store_values(path) if store_kind == "postgresql"
              else [p.read_bytes() for p in files if "sqlite3" in p.name])
    written = json.dumps(sandbox.writes) + json.dumps(list(sandbox.clickup.comments.values()))
    outputs = {"run": run_out + run_err, "check": check_out, "reports": "\n".join(reports),
               "writes": written}
    for secret in (sandbox.site.account.api_token, sandbox.clickup.token):
        for trace in traces(secret):
            for name, text in outputs.items():
                assert trace not in text, (name, trace)
            assert not [v for v in stored if trace.encode() in v], trace
    # The text did arrive, masked: this is not a run that simply lost the titles.
    assert "Rotate *** today" in check_out and "Rotate *** today" in outputs["reports"]
    assert any(b"Rotate *** today" in value for value in stored)
    assert reports and "Rotate ***" in written
