"""Every bad config value is refused with exit 2 and one line naming the key and what is
valid; no value of any key, however odd, gives a traceback."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmsync.cli import main
from pmsync.config import parse_config
from pmsync.demo import CLICKUP_TOKEN_ENV, TOKEN_ENV, demo_config
from pmsync.errors import ConfigError
from pmsync.plugins import default_registry

URL = "http://127.0.0.1:9"


def sample() -> str:
    return demo_config(URL, "me@example.com", "9012345")


def run_check(tmp_path: Path, text: str, capsys) -> tuple[int, str]:
    path = tmp_path / "pmsync.toml"
    path.write_text(text)
    code = main(["--config", str(path), "check"])
    return code, capsys.readouterr().err


JIRA, CLICKUP = 'pages_space = "PM"', 'link_tracker = "jira"'
BAD = {
    "overlap-negative": (JIRA, "overlap_minutes = -10",
                         "trackers.jira.overlap_minutes must be a whole number from 0 to 1440, not -10"),
    "retries-negative": (JIRA, "retry_attempts = -3",
                         "trackers.jira.retry_attempts must be a whole number from 1 to 100"),
    "reconcile-negative": (CLICKUP, "reconcile_hours = -1",
                           "trackers.clickup.reconcile_hours must be a number from 0 to 8760"),
    "rate-negative": (CLICKUP, "requests_per_minute = -1",
                      "trackers.clickup.requests_per_minute must be a whole number from 1 to"),
    "timeout-negative": (JIRA, "timeout = -1", "trackers.jira.timeout must be a number from 1 to"),
    "bool-for-number": (JIRA, "page_size = true",
                        "trackers.jira.page_size must be a whole number from 1 to 100, not True"),
    "url-no-host": ('url = "http://127.0.0.1:9"\nemail', None,
                    "trackers.jira.url must be an http(s) URL"),
    "url-with-space": ('url = "http://127.0.0.1:9"\nemail', None,
                       "trackers.jira.url must be an http(s) URL"),
    "zone-unknown": (CLICKUP, 'time_zone = "Mars/Olympus"',
                     "trackers.clickup.time_zone must be an IANA time zone"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_tracker_values_exit_2_naming_key_and_range(case, tmp_path, capsys):
    anchor, line, message = BAD[case]
    text = sample()
    if case == "url-no-host":
        text = text.replace(f'url = "{URL}"\nemail', 'url = "http://"\nemail')
    elif case == "url-with-space":
        text = text.replace(f'url = "{URL}"\nemail', 'url = "http://jira example.com"\nemail')
    else:
        text = text.replace(anchor, f"{anchor}\n{line}", 1)
    code, err = run_check(tmp_path, text, capsys)
    assert code == 2, err
    (error,) = err.strip().splitlines()
    assert error.startswith("pmsync: error: ") and message in error and "Traceback" not in err


FRAGMENTS = {
    "percentile": ("[rules.forecast-after-due]\npercentile = 150",
                   "rules.forecast-after-due.percentile must be a number from 1 to 100, not 150"),
    "trials": ("[rules.forecast-after-due]\ntrials = 0",
               "rules.forecast-after-due.trials must be a whole number from 100 to 100000"),
    "line-override": ('[rules.stale-epic.lines."Billing"]\ndays = 3',
                      "there is no product line 'Billing'; the lines are: Payments, Mobile, Web"),
    "rule-bool": ("[rules.stale-epic]\ndays = false", "rules.stale-epic.days must be a whole number"),
    "templates": ('[reports]\ntemplates_dir = "nowhere"', "reports.templates_dir"),
    "baseline-days": ("[check]\nbaseline_days = 0", "check.baseline_days must be a whole number"),
    "select-empty": ('[[product_lines]]\nname = "Empty"\nselect = []', "select is empty"),
    "select-list": ('[[product_lines]]\nname = "Two"\n'
                    'select = [{ tracker = "jira", project = ["PAY", "MOB"] }]',
                    "select[0].project must be one project (text)"),
    "line-twice": ('[[product_lines]]\nname = "Web"\nselect = [{ tracker = "jira", label = "x" }]',
                   "the name 'Web' is used twice"),
}


@pytest.mark.parametrize("case", sorted(FRAGMENTS))
def test_bad_core_and_rule_values_exit_2(case, tmp_path, capsys):
    fragment, message = FRAGMENTS[case]
    code, err = run_check(tmp_path, sample() + "\n" + fragment + "\n", capsys)
    assert code == 2, err
    (error,) = err.strip().splitlines()
    assert message in error, error
    if case == "templates":
        assert "nowhere is not a folder" in error


def test_every_token_is_checked_before_any_tracker_is_synced(sandbox, tmp_path, monkeypatch,
                                                             capsys):
    monkeypatch.setenv(TOKEN_ENV, sandbox.site.account.api_token)
    monkeypatch.delenv(CLICKUP_TOKEN_ENV, raising=False)
    path = tmp_path / "pmsync.toml"
    path.write_text(demo_config(sandbox.url, sandbox.site.account.email, "9012345"))
    mark = len(sandbox.requests)
    code = main(["--config", str(path), "sync"])
    err = capsys.readouterr().err
    assert code == 2 and f"environment variable {CLICKUP_TOKEN_ENV} is not set" in err
    assert sandbox.requests[mark:] == []  # Jira, whose token is there, was not asked either


# Every key a config can hold, and where it sits: (table path, key).
def every_key() -> list[tuple[tuple[str, ...], str]]:
    from pmsync.config import CHECK, LINE, REPORTS, SUPPRESS, TOP, TRACKER

    registry = default_registry()
    keys: list[tuple[tuple[str, ...], str]] = [((), o.name) for o in TOP]
    keys += [(("check",), o.name) for o in CHECK] + [(("reports",), o.name) for o in REPORTS]
    keys += [(("product_lines", "0"), o.name) for o in LINE] + [(("product_lines", "0"), "select")]
    keys += [(("suppress", "0"), o.name) for o in SUPPRESS]
    keys += [(("product_lines", "0", "select", "0"), facet) for facet in
             ("tracker", "project", "component", "label", "board")]
    for name, kind in (("jira", "jira"), ("clickup", "clickup")):
        options = [*TRACKER, *registry.connectors[kind].options]
        keys += [(("trackers", name), o.name) for o in options]
    for rule_id, rule in registry.rules.items():
        keys += [(("rules", rule_id), o.name) for o in rule.options]
        keys += [(("rules", rule_id), "enabled"), (("rules", rule_id), "severity")]
        keys += [(("rules", rule_id, "lines", "Web"), o.name) for o in rule.options]
    return keys


SCALARS = (st.integers(min_value=-2**63, max_value=2**63 - 1) | st.booleans()
           | st.floats(allow_nan=True) | st.text(max_size=30)
           | st.dates(min_value=dt.date(1, 1, 1)).map(lambda d: d)
           | st.sampled_from(["", " ", "http://", "https://x.example", "UTC", "auto", "\x00",
                              "jira", "clickup", "each", "digest", "critical", "PAY"]))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=6)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=st.sampled_from(every_key()), value=VALUES)
def test_no_value_of_any_key_gives_a_traceback(where, value):
    table_path, key = where
    raw = tomllib.loads(sample() + '\n[[suppress]]\nfingerprint = "0123456789abcdef0123"\n')
    node = raw
    for part in table_path:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    node[key] = value
    try:
        parse_config(raw, Path("/tmp/pmsync-hypothesis/pmsync.toml"), default_registry())
    except ConfigError as exc:
        message = str(exc)
        assert message and "\n" not in message and "Traceback" not in message
