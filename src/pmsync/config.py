"""pmsync.toml: read, validate, and turn into plain settings.

Every problem is a ConfigError whose one-line message names the file, the key
and what would be valid. Secrets are never in the file: only the *name* of
the environment variable that holds them.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pmsync.errors import ConfigError
from pmsync.logs import register_secret
from pmsync.model import SEVERITIES, ProductLine, Selector
from pmsync.plugins import Registry

SELECTOR_FACETS = (
    "project", "component", "label", "board", "space", "folder", "list", "tag",
)


@dataclass(frozen=True)
class TrackerConfig:
    name: str
    kind: str
    url: str
    options: dict[str, Any] = field(default_factory=dict)
    source: str = "pmsync.toml"

    def where(self, key: str) -> str:
        return f"{self.source}: trackers.{self.name}.{key}"

    def require(self, key: str, kind: type, what: str) -> Any:
        value = self.options.get(key)
        if value is None:
            raise ConfigError(f"{self.where(key)} is missing: set it to {what}")
        if not isinstance(value, kind):
            raise ConfigError(f"{self.where(key)} must be {what}, not {value!r}")
        return value

    def secret(self, key: str) -> str:
        """The secret held by the env var that option ``key`` names."""
        var = self.require(key, str, "the name of an environment variable, e.g. PMSYNC_TOKEN")
        value = os.environ.get(var)
        if not value:
            raise ConfigError(
                f"{self.where(key)}: environment variable {var} is not set; "
                f"export {var}=<your token> before running pmsync"
            )
        register_secret(value)
        return value


@dataclass(frozen=True)
class RuleSettings:
    """A rule's settings, with overrides per product line ([rules.ID.lines."Line"])."""

    enabled: bool = True
    severity: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, RuleSettings] = field(default_factory=dict)

    def option(self, name: str, line: str | None, default: Any) -> Any:
        override = self.lines.get(line) if line else None
        if override is not None and name in override.options:
            return override.options[name]
        return self.options.get(name, default)

    def enabled_for(self, line: str | None) -> bool:
        override = self.lines.get(line) if line else None
        return override.enabled if override is not None else self.enabled

    def severity_for(self, line: str | None) -> str | None:
        override = self.lines.get(line) if line else None
        return (override.severity if override is not None and override.severity
                else self.severity)


@dataclass(frozen=True)
class Suppression:
    fingerprint: str
    reason: str = ""
    until: date | None = None

    def active(self, today: date) -> bool:
        return self.until is None or today <= self.until


@dataclass(frozen=True)
class Config:
    path: Path
    state_dir: Path
    trackers: dict[str, TrackerConfig]
    product_lines: tuple[ProductLine, ...]
    rules: dict[str, RuleSettings]
    html_dir: Path
    templates_dir: Path | None = None
    suppressions: tuple[Suppression, ...] = ()
    baseline_days: int = 14
    baseline: str | None = None  # a named baseline to compare against instead

    @property
    def store_path(self) -> Path:
        return self.state_dir / "pmsync.sqlite3"

    @property
    def lock_path(self) -> Path:
        return self.state_dir / "pmsync.lock"


def load_config(path: Path, registry: Registry) -> Config:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file; create one with `pmsync init`") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    return parse_config(raw, path, registry)


def parse_config(raw: dict[str, Any], path: Path, registry: Registry) -> Config:
    src = str(path)
    base = path.resolve().parent
    _only(raw, {"state_dir", "trackers", "product_lines", "rules", "reports", "check",
                "suppress"}, src, "")

    state_dir = base / _get(raw, "state_dir", str, src, "", "a folder path", "state")
    trackers = _parse_trackers(raw, src, registry)
    lines = _parse_product_lines(raw, src, trackers)
    rules = _parse_rules(raw, src, registry)

    reports = _get(raw, "reports", dict, src, "", "a table", {})
    _only(reports, {"html_dir", "templates_dir"}, src, "reports.")
    html_dir = state_dir / _get(reports, "html_dir", str, src, "reports.", "a folder path", "reports")
    templates = _get(reports, "templates_dir", str, src, "reports.", "a folder path", "")
    check = _get(raw, "check", dict, src, "", "a table", {})
    _only(check, {"baseline_days", "baseline"}, src, "check.")
    baseline_days = _get(check, "baseline_days", int, src, "check.", "a number of days", 14)
    if baseline_days < 1:
        raise ConfigError(f"{src}: check.baseline_days must be at least 1, got {baseline_days}")
    return Config(
        path=path,
        state_dir=state_dir,
        trackers=trackers,
        product_lines=lines,
        rules=rules,
        html_dir=html_dir,
        templates_dir=(base / templates) if templates else None,
        suppressions=_parse_suppressions(raw, src),
        baseline_days=baseline_days,
        baseline=_get(check, "baseline", str, src, "check.", "a baseline name", None),
    )


def _parse_suppressions(raw: dict[str, Any], src: str) -> tuple[Suppression, ...]:
    out = []
    for index, entry in enumerate(_get(raw, "suppress", list, src, "", "an array of [[suppress]]",
                                       [])):
        prefix = f"suppress[{index}]."
        if not isinstance(entry, dict):
            raise ConfigError(f"{src}: suppress[{index}] must be a table")
        _only(entry, {"fingerprint", "reason", "until"}, src, prefix)
        fp = _get(entry, "fingerprint", str, src, prefix, "a finding's fingerprint", None)
        if not fp:
            raise ConfigError(f"{src}: {prefix}fingerprint is missing: copy it from "
                              "`pmsync check --format json`")
        until = entry.get("until")
        if until is not None and not isinstance(until, date):
            raise ConfigError(f"{src}: {prefix}until must be a date like 2026-12-31, not {until!r}")
        out.append(Suppression(fp, _get(entry, "reason", str, src, prefix, "text", ""), until))
    return tuple(out)


def _parse_trackers(raw: dict[str, Any], src: str, registry: Registry) -> dict[str, TrackerConfig]:
    tables = _get(raw, "trackers", dict, src, "", "a table of trackers", None)
    if not tables:
        raise ConfigError(f"{src}: trackers is missing: add a [trackers.NAME] table (see `pmsync init`)")
    trackers = {}
    for name, table in tables.items():
        prefix = f"trackers.{name}."
        if not isinstance(table, dict):
            raise ConfigError(f"{src}: trackers.{name} must be a table")
        kind = _get(table, "kind", str, src, prefix, "a connector kind", None)
        if kind is None or kind not in registry.connectors:
            valid = ", ".join(sorted(registry.connectors)) or "(no connector plugins loaded)"
            raise ConfigError(f"{src}: {prefix}kind must be one of: {valid}; got {kind!r}")
        url = _get(table, "url", str, src, prefix, "the tracker's base URL", None)
        if not url or not url.startswith(("http://", "https://")):
            raise ConfigError(f"{src}: {prefix}url must be an http(s) URL, got {url!r}")
        options = {k: v for k, v in table.items() if k not in ("kind", "url")}
        tracker = TrackerConfig(name, kind, url.rstrip("/"), options, src)
        registry.connectors[kind].validate_config(tracker)
        trackers[name] = tracker
    return trackers


def _parse_product_lines(
    raw: dict[str, Any], src: str, trackers: dict[str, TrackerConfig]
) -> tuple[ProductLine, ...]:
    entries = _get(raw, "product_lines", list, src, "", "an array of [[product_lines]]", [])
    lines = []
    for index, entry in enumerate(entries):
        prefix = f"product_lines[{index}]."
        if not isinstance(entry, dict):
            raise ConfigError(f"{src}: product_lines[{index}] must be a table")
        _only(entry, {"name", "select", "alerts"}, src, prefix)
        name = _get(entry, "name", str, src, prefix, "the line's name", None)
        if not name:
            raise ConfigError(f"{src}: {prefix}name is missing: give the product line a name")
        selectors = []
        for sel_index, sel in enumerate(_get(entry, "select", list, src, prefix, "an array", [])):
            where = f"{prefix}select[{sel_index}]"
            if not isinstance(sel, dict) or sel.get("tracker") not in trackers:
                raise ConfigError(
                    f"{src}: {where} must name a configured tracker "
                    f"({', '.join(trackers)}) as tracker = \"...\""
                )
            unknown = set(sel) - {"tracker", *SELECTOR_FACETS}
            if unknown:
                raise ConfigError(
                    f"{src}: {where} has unknown key(s) {', '.join(sorted(unknown))}; "
                    f"valid: {', '.join(SELECTOR_FACETS)}"
                )
            facets = tuple(sorted((k, str(v)) for k, v in sel.items() if k != "tracker"))
            selectors.append(Selector(sel["tracker"], facets))
        mode = _get(entry, "alerts", str, src, prefix, '"each" or "digest"', "each")
        if mode not in ("each", "digest"):
            raise ConfigError(f'{src}: {prefix}alerts must be "each" (a comment per finding) or '
                              f'"digest" (one comment per epic), not {mode!r}')
        lines.append(ProductLine(name, tuple(selectors), mode))
    return tuple(lines)


def _parse_rules(raw: dict[str, Any], src: str, registry: Registry) -> dict[str, RuleSettings]:
    tables = _get(raw, "rules", dict, src, "", "a table of rule settings", {})
    settings = {}
    for rule_id, table in tables.items():
        if rule_id not in registry.rules:
            valid = ", ".join(sorted(registry.rules))
            raise ConfigError(f"{src}: rules.{rule_id} is not a known rule; known rules: {valid}")
        if not isinstance(table, dict):
            raise ConfigError(f"{src}: rules.{rule_id} must be a table")
        lines = _get(table, "lines", dict, src, f"rules.{rule_id}.", "a table of product lines", {})
        per_line = {}
        for line, line_table in lines.items():
            if not isinstance(line_table, dict):
                raise ConfigError(f"{src}: rules.{rule_id}.lines.{line} must be a table")
            per_line[line] = _rule_table(line_table, src, f"rules.{rule_id}.lines.{line}.",
                                         registry.rules[rule_id])
        base = _rule_table({k: v for k, v in table.items() if k != "lines"}, src,
                           f"rules.{rule_id}.", registry.rules[rule_id])
        settings[rule_id] = RuleSettings(base.enabled, base.severity, base.options, per_line)
    return settings


def _rule_table(table: dict[str, Any], src: str, prefix: str, rule: Any) -> RuleSettings:
    enabled = _get(table, "enabled", bool, src, prefix, "true or false", True)
    severity = _get(table, "severity", str, src, prefix, "a severity", None)
    if severity is not None and severity not in SEVERITIES:
        raise ConfigError(
            f"{src}: {prefix}severity must be one of {', '.join(SEVERITIES)}, got {severity!r}"
        )
    options = {k: v for k, v in table.items() if k not in ("enabled", "severity")}
    rule.validate_options(options, f"{src}: {prefix}")
    return RuleSettings(enabled, severity, options)


def _get(table: dict[str, Any], key: str, kind: type, src: str, prefix: str, what: str, default):
    value = table.get(key, default)
    if value is not None and not isinstance(value, kind):
        raise ConfigError(f"{src}: {prefix}{key} must be {what}, not {value!r}")
    return value


def _only(table: dict[str, Any], allowed: set[str], src: str, prefix: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(
            f"{src}: unknown key {prefix}{unknown[0]}; valid keys here: {', '.join(sorted(allowed))}"
        )


SAMPLE_CONFIG = """\
# pmsync configuration. Secrets never go in this file: name the environment
# variable that holds them (token_env) and export it in the cron environment.

# Where the SQLite store, the lock file and local HTML reports live
# (relative to this file).
state_dir = "state"

[trackers.jira]
kind = "jira"
url = "https://your-site.atlassian.net"   # Jira Cloud, or your Data Center base URL
email = "you@example.com"                  # Cloud: the account the API token belongs to
token_env = "PMSYNC_JIRA_TOKEN"            # env var holding the API token (Cloud) or PAT (DC)
projects = ["PAY", "MOB", "WEB"]           # projects to sync
page_size = 100                            # issues per search page
pages_space = "PM"                         # Confluence space key for sprint-review pages

# One product line per [[product_lines]]; a tracker object belongs to the
# first line whose selector matches all the facets it names
# (project, component, label, board; ClickUp: space, folder, list, tag).
[[product_lines]]
name = "Payments"
select = [{ tracker = "jira", project = "PAY" }]

[[product_lines]]
name = "Mobile"
select = [{ tracker = "jira", project = "MOB" }]

[[product_lines]]
name = "Web"
select = [{ tracker = "jira", project = "WEB" }]

# Rules are on by default; switch off or re-grade here.
[rules.epic-overdue]
severity = "warning"

[rules.blocker-scheduled-late]
enabled = true

[reports]
html_dir = "reports"        # local HTML copies, relative to state_dir
# templates_dir = "my-templates"   # files here override the built-in templates
"""
