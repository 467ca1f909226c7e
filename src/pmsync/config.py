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
from pmsync.kit.options import REQUIRED, Option, OptionSchema, merge
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

    def secret(self, key: str) -> str:
        """The secret held by the env var that option ``key`` names."""
        var = self.options.get(key)
        if not isinstance(var, str) or not var:
            raise ConfigError(f"{self.where(key)} is missing: set it to the name of an "
                              "environment variable, e.g. PMSYNC_TOKEN")
        value = os.environ.get(var)
        if not value or not value.strip():
            raise ConfigError(
                f"{self.where(key)}: environment variable {var} is not set; "
                f"export {var}=<your token> before running pmsync"
            )
        register_secret(value)
        # A token has no whitespace; what surrounds it is an artefact (a Kubernetes secret
        # made from a file ends in a newline, a CRLF env file adds \r). Inside, it would
        # go out as a broken header and come back as a misleading error: say so here.
        token = value.strip()
        register_secret(token)
        if any(char.isspace() or not char.isprintable() for char in token):
            raise ConfigError(
                f"{self.where(key)}: environment variable {var} holds a space, line break or "
                f"control character inside the token; export {var} with the token alone, "
                "exactly as the tracker showed it"
            )
        return token


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
    store_url: str | None = None  # a postgresql:// URL; None: SQLite in state_dir
    store_password_env: str | None = None  # the env var holding the store's password

    @property
    def store_path(self) -> Path:
        return self.state_dir / "pmsync.sqlite3"

    @property
    def store_location(self) -> Path | str:
        return self.store_url or self.store_path

    def store_exists(self) -> bool:
        """Whether there may be anything stored yet (a server store always may)."""
        return self.store_url is not None or self.store_path.exists()

    def store_password(self) -> str | None:
        """The store's password from its environment variable (masked in every log)."""
        var = self.store_password_env
        if not var:
            return None
        value = os.environ.get(var)
        if not value:
            raise ConfigError(f"{self.path}: store_password_env: environment variable {var} is "
                              f"not set; export {var}=<the database password> before running "
                              "pmsync")
        register_secret(value)
        return value

    @property
    def lock_path(self) -> Path:
        return self.state_dir / "pmsync.lock"


# The core's own keys, declared once like every connector's and rule's options.
TOP = OptionSchema((
    Option("state_dir", "str", "state", "the folder of the store, the lock and the local "
           "reports (relative to the config file)", nonempty=True),
    Option("store", "str", None, "a PostgreSQL URL to keep the store in instead of SQLite in "
           "state_dir (needs pip install 'pmsync[postgres]')",
           example="postgresql://pmsync@db.example.com/pmsync", nonempty=True),
    Option("store_password_env", "str", None, "the environment variable holding the "
           "PostgreSQL store's password", example="PMSYNC_STORE_PASSWORD", nonempty=True),
), owner="a known key here",
    extra_keys=("trackers", "product_lines", "rules", "reports", "check", "suppress"))
REPORTS = OptionSchema((
    Option("html_dir", "str", "reports", "local HTML copies of the reports (relative to "
           "state_dir)", nonempty=True),
    Option("templates_dir", "str", None, "a folder of templates that override the built-in "
           "ones by file name (relative to the config file)", example="my-templates",
           nonempty=True),
), owner="a reports key")
CHECK = OptionSchema((
    Option("baseline_days", "int", 14, "drift is measured against the state this many days ago",
           min=1, max=3650),
    Option("baseline", "str", None, "a named baseline to measure drift against instead",
           example="q3-plan", nonempty=True),
), owner="a check key")
TRACKER = (
    Option("kind", "str", REQUIRED, "the connector kind", example="jira"),
    Option("url", "url", REQUIRED, "the tracker's base URL", example="https://x.atlassian.net"),
)
LINE = OptionSchema((
    Option("name", "str", REQUIRED, "the product line's name", nonempty=True),
    Option("alerts", "str", "each", "a comment per finding, or one digest per epic",
           choices=("each", "digest")),
), owner="a product line key", extra_keys=("select",))
RULE = (
    Option("enabled", "bool", True, "run the rule"),
    Option("severity", "str", None, "override the rule's severity", choices=SEVERITIES),
)


def load_config(path: Path, registry: Registry) -> Config:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file; create one with `pmsync init`") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a config file; pass the file with "
                          "--config PATH") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: is not UTF-8 text; save the config as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror}); check its permissions") \
            from None
    config = parse_config(raw, path, registry)
    _refuse_placeholders(config)
    return config


def _refuse_placeholders(config: Config) -> None:
    """A tracker still naming the sample's site or account (`pmsync init --sample`) would send
    the exported token to a host someone else may own: refused before any request is made."""
    sample = tomllib.loads(SAMPLE_CONFIG)["trackers"]["jira"]
    for tracker in config.trackers.values():
        written = {"url": tracker.url, "email": tracker.options.get("email")}
        for key in ("url", "email"):
            if written[key] == sample[key].rstrip("/"):
                raise ConfigError(f"{tracker.where(key)} is still the sample's placeholder "
                                  f"{sample[key]}; edit it to your own tracker's {key} before "
                                  "running pmsync")


def parse_config(raw: dict[str, Any], path: Path, registry: Registry) -> Config:
    src = str(path)
    base = path.resolve().parent

    def at(prefix: str):
        return lambda key: f"{src}: {prefix}{key}"

    top = TOP.parse(raw, at(""))
    state_dir = base / top["state_dir"]
    trackers = _parse_trackers(raw, src, registry)
    lines = _parse_product_lines(raw, src, trackers)
    rules = _parse_rules(raw, src, registry, lines)

    reports = REPORTS.parse(_table(raw, "reports", src), at("reports."))
    templates = reports["templates_dir"]
    templates_dir = (base / templates) if templates else None
    if templates_dir is not None and not templates_dir.is_dir():
        raise ConfigError(f"{src}: reports.templates_dir: {templates_dir} is not a folder; "
                          "create it or remove the key to use the built-in templates")
    check = CHECK.parse(_table(raw, "check", src), at("check."))
    store_url = _store_url(top["store"], src)
    return Config(
        path=path,
        state_dir=state_dir,
        trackers=trackers,
        product_lines=lines,
        rules=rules,
        html_dir=state_dir / reports["html_dir"],
        templates_dir=templates_dir,
        suppressions=_parse_suppressions(raw, src),
        baseline_days=check["baseline_days"],
        baseline=check["baseline"],
        store_url=store_url,
        store_password_env=top["store_password_env"],
    )


def _store_url(value: str | None, src: str) -> str | None:
    from urllib.parse import urlsplit

    from pmsync.pgstore import SCHEMES

    if value is None:
        return None
    if not value.startswith(SCHEMES):
        raise ConfigError(f"{src}: store must be a postgresql:// URL like "
                          "postgresql://pmsync@db.example.com/pmsync; leave it out to keep the "
                          "SQLite store in state_dir")
    try:
        parts = urlsplit(value)
        password, _ = parts.password, parts.port  # each raises on a malformed URL
    except ValueError as exc:
        raise ConfigError(f"{src}: store is not a valid URL ({exc}); write it like "
                          "postgresql://pmsync@db.example.com:5432/pmsync") from None
    if password:
        raise ConfigError(f"{src}: store holds a password; secrets never go in the config: "
                          "remove it from the URL and name its environment variable in "
                          "store_password_env")
    return value


def _table(raw: dict[str, Any], key: str, src: str) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{src}: {key} must be a table ([{key}]), not {value!r}")
    return value


def _array(raw: dict[str, Any], key: str, src: str, prefix: str = "") -> list[Any]:
    value = raw.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f"{src}: {prefix}{key} must be an array of tables, not {value!r}")
    return value


def _entries(raw: dict[str, Any], key: str, schema: OptionSchema, src: str):
    """Each table of an array of tables ([[key]]): its prefix, the table, its checked values."""
    for index, entry in enumerate(_array(raw, key, src)):
        if not isinstance(entry, dict):
            raise ConfigError(f"{src}: {key}[{index}] must be a table")
        prefix = f"{key}[{index}]."
        yield prefix, entry, schema.parse(entry, lambda name, p=prefix: f"{src}: {p}{name}")


def _parse_suppressions(raw: dict[str, Any], src: str) -> tuple[Suppression, ...]:
    return tuple(Suppression(values["fingerprint"], values["reason"], values["until"])
                 for _, _, values in _entries(raw, "suppress", SUPPRESS, src))


SUPPRESS = OptionSchema((
    Option("fingerprint", "str", REQUIRED, "the finding's fingerprint, from `pmsync check "
           "--format json`", nonempty=True),
    Option("reason", "str", "", "why it is suppressed"),
    Option("until", "date", None, "the last day it stays hidden", example="2026-12-31"),
), owner="a suppress key")


def _parse_trackers(raw: dict[str, Any], src: str, registry: Registry) -> dict[str, TrackerConfig]:
    tables = _table(raw, "trackers", src)
    if not tables:
        raise ConfigError(f"{src}: trackers is missing: add a [trackers.NAME] table (see `pmsync init`)")
    return {name: make_tracker(name, table, registry, src) for name, table in tables.items()}


def make_tracker(name: str, table: Any, registry: Registry, src: str = "pmsync.toml"
                 ) -> TrackerConfig:
    """One [trackers.NAME] table checked against its connector's options, defaults filled."""
    prefix = f"trackers.{name}."
    if not isinstance(table, dict):
        raise ConfigError(f"{src}: trackers.{name} must be a table")
    kind = table.get("kind")
    if not isinstance(kind, str) or kind not in registry.connectors:
        valid = ", ".join(sorted(registry.connectors)) or "(no connector plugins loaded)"
        raise ConfigError(f"{src}: {prefix}kind must be one of: {valid}; got {kind!r}")
    factory = registry.connectors[kind]
    schema = merge(TRACKER, factory.options, owner=factory.options.owner)
    options = schema.parse(table, lambda key: f"{src}: {prefix}{key}")
    url = options.pop("url")
    del options["kind"]
    tracker = TrackerConfig(name, kind, url.rstrip("/"), options, src)
    factory.validate_config(tracker)
    return tracker


def _parse_product_lines(
    raw: dict[str, Any], src: str, trackers: dict[str, TrackerConfig]
) -> tuple[ProductLine, ...]:
    lines = []
    for prefix, entry, values in _entries(raw, "product_lines", LINE, src):
        select = _array(entry, "select", src, prefix)
        if "select" in entry and not select:
            raise ConfigError(f"{src}: {prefix}select is empty, so the line would match nothing; "
                              'add a selector like { tracker = "jira", project = "PAY" }')
        lines.append(ProductLine(values["name"], tuple(
            _selector(sel, f"{src}: {prefix}select[{i}]", trackers)
            for i, sel in enumerate(select)), values["alerts"]))
    names = [line.name for line in lines]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"{src}: product_lines: the name {twice[0]!r} is used twice; "
                          "give every line its own name")
    return tuple(lines)


def _selector(sel: Any, where: str, trackers: dict[str, TrackerConfig]) -> Selector:
    if not isinstance(sel, dict) or not isinstance(sel.get("tracker"), str) \
            or sel["tracker"] not in trackers:
        raise ConfigError(f"{where} must name a configured tracker "
                          f"({', '.join(trackers)}) as tracker = \"...\"")
    unknown = set(sel) - {"tracker", *SELECTOR_FACETS}
    if unknown:
        raise ConfigError(f"{where} has unknown key(s) {', '.join(sorted(unknown))}; "
                          f"valid: {', '.join(SELECTOR_FACETS)}")
    for key, value in sel.items():
        if key != "tracker" and (isinstance(value, bool) or not isinstance(value, str | int)
                                 or not str(value).strip()):
            raise ConfigError(f"{where}.{key} must be one {key} (text), not {value!r}; "
                              "to match several, add one selector each")
    return Selector(sel["tracker"], tuple(sorted((k, str(v)) for k, v in sel.items()
                                                 if k != "tracker")))


def _parse_rules(raw: dict[str, Any], src: str, registry: Registry,
                 lines: tuple[ProductLine, ...]) -> dict[str, RuleSettings]:
    line_names = [line.name for line in lines]
    settings = {}
    for rule_id, table in _table(raw, "rules", src).items():
        if rule_id not in registry.rules:
            valid = ", ".join(sorted(registry.rules))
            raise ConfigError(f"{src}: rules.{rule_id} is not a known rule; known rules: {valid}")
        if not isinstance(table, dict):
            raise ConfigError(f"{src}: rules.{rule_id} must be a table")
        rule = registry.rules[rule_id]
        per_line = {}
        for line, line_table in _table(table, "lines", f"{src}: rules.{rule_id}").items():
            if line not in line_names:
                raise ConfigError(f"{src}: rules.{rule_id}.lines.{line}: there is no product line "
                                  f"{line!r}; the lines are: {', '.join(line_names) or 'none'}")
            if not isinstance(line_table, dict):
                raise ConfigError(f"{src}: rules.{rule_id}.lines.{line} must be a table")
            per_line[line] = _rule_table(line_table, src, f"rules.{rule_id}.lines.{line}.", rule)
        base = _rule_table({k: v for k, v in table.items() if k != "lines"}, src,
                           f"rules.{rule_id}.", rule)
        settings[rule_id] = RuleSettings(base.enabled, base.severity, base.options, per_line)
    return settings


def _rule_table(table: dict[str, Any], src: str, prefix: str, rule: Any) -> RuleSettings:
    """A rule's table: on/off and severity (the core's), thresholds (the rule's schema).
    Only what is written is kept, so a line's override falls back to the rule's table."""
    schema = merge(RULE, rule.options, owner=f"an option of {rule.id}", extra_keys=("lines",))
    values = schema.parse(table, lambda key: f"{src}: {prefix}{key}", fill=False)
    return RuleSettings(values.pop("enabled", True), values.pop("severity", None), values)


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
