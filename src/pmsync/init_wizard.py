"""`pmsync init` on a terminal: a few questions, then a config that `pmsync doctor` accepts.

Asks for each tracker its kind, URL, account, the token's environment variable (never
the token), the projects or spaces to sync and where pages go; then the product lines.
The answers are validated as the config loader would before anything is written; a
bad answer is asked again. Without a terminal, `init` writes the commented sample.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pmsync.config import SAMPLE_CONFIG, SELECTOR_FACETS, parse_config
from pmsync.errors import ConfigError
from pmsync.plugins import default_registry

Ask = Callable[[str], str]
# What `init --store` names when --store-password-env is not given (the README's name).
STORE_PASSWORD_ENV = "PMSYNC_STORE_PASSWORD"
STATE_DIR_LINE = 'state_dir = "state"\n'


def _quote(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a TOML basic string


def _list(values: list[str]) -> str:
    return "[" + ", ".join(_quote(v) for v in values) + "]"


def _split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,\s]+", text) if part.strip()]


class Wizard:
    def __init__(self, ask: Ask, say: Callable[[str], None]):
        self._ask, self.say = ask, say

    def ask(self, question: str, default: str = "", check: Callable[[str], str | None] = None,
            required: bool = True) -> str:
        """One answer; ``check`` returns a complaint (asked again) or None."""
        suffix = f" [{default}]" if default else ""
        while True:
            answer = self._ask(f"{question}{suffix}: ").strip() or default
            if not answer and required:
                self.say("  an answer is needed here")
                continue
            complaint = check(answer) if check and answer else None
            if complaint is None:
                return answer
            self.say(f"  {complaint}")

    def yes(self, question: str, default: bool) -> bool:
        answer = self.ask(question, "Y/n" if default else "y/N", required=False).lower()
        return answer.startswith("y") if answer not in ("y/n", "") else default

    # one table per tracker ------------------------------------------------------------
    def tracker(self, taken: set[str]) -> tuple[str, str, dict[str, Any]]:
        kind = self.ask("Tracker kind (jira or clickup)", "jira",
                        lambda a: None if a in ("jira", "clickup") else "jira or clickup")
        name = self.ask("Name for it in the config", kind if kind not in taken else "",
                        lambda a: ("letters, digits, - and _ only" if not re.fullmatch(
                            r"[A-Za-z0-9_-]+", a) else "taken" if a in taken else None))
        return (name, kind, self.jira(name) if kind == "jira" else self.clickup(name))

    def jira(self, name: str) -> dict[str, Any]:
        url = self.ask("Jira URL (Cloud: https://your-site.atlassian.net)", check=_http)
        cloud = ".atlassian.net" in url or self.yes("Is this Jira Cloud?", False)
        table: dict[str, Any] = {"url": url.rstrip("/")}
        if cloud:
            table["email"] = self.ask("Account email (the API token's owner)",
                                      check=lambda a: None if "@" in a else "an email address")
        what = "API token" if cloud else "personal access token"
        table["token_env"] = self.ask(f"Environment variable that will hold the {what}",
                                      f"PMSYNC_{name.upper().replace('-', '_')}_TOKEN", _env)
        table["projects"] = _split(self.ask("Project keys to sync, comma-separated (e.g. PAY, MOB)",
                                            check=_keys))
        space = self.ask("Confluence space key for the report pages (blank: no pages)",
                         required=False)
        if space:
            table["pages_space"] = space
        return table

    def clickup(self, name: str) -> dict[str, Any]:
        table: dict[str, Any] = {"url": self.ask("ClickUp API URL", "https://api.clickup.com",
                                                 _http).rstrip("/")}
        table["token_env"] = self.ask("Environment variable that will hold the token (pk_...)",
                                      f"PMSYNC_{name.upper().replace('-', '_')}_TOKEN", _env)
        table["team_id"] = self.ask("Workspace (team) id, from the app URL",
                                    check=lambda a: None if a.isdigit() else "digits only")
        spaces = _split(self.ask("Spaces to sync, comma-separated (blank: all)", required=False))
        if spaces:
            table["spaces"] = spaces
        docs = self.ask("Space that holds the reports Doc (blank: the first space)",
                        required=False)
        if docs:
            table["docs_space"] = docs
        return table

    # product lines ---------------------------------------------------------------------
    def lines(self, trackers: dict[str, tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        units = [(name, "project", p) for name, (kind, t) in trackers.items() if kind == "jira"
                 for p in t["projects"]]
        units += [(name, "space", s) for name, (kind, t) in trackers.items()
                  if kind == "clickup" for s in t.get("spaces", [])]
        if units and self.yes("One product line per " + " / ".join(sorted({u[1] for u in units}))
                              + f" ({', '.join(u[2] for u in units)})?", True):
            return [{"name": self.ask(f"Name of the line for {facet} {value}", value),
                     "select": [{"tracker": tracker, facet: value}]}
                    for tracker, facet, value in units]
        lines = []
        self.say("Product lines: a name, then which tracker objects belong to it "
                 "(facet=value pairs such as project=PAY label=mobile, or space=Platform).")
        while True:
            name = self.ask("Line name (blank when done)", required=not lines)
            if not name:
                return lines
            tracker = (next(iter(trackers)) if len(trackers) == 1 else
                       self.ask("Its tracker", next(iter(trackers)),
                                lambda a: None if a in trackers else f"one of {', '.join(trackers)}"))
            facets = self.ask("Its selector", check=_facets)
            lines.append({"name": name, "select": [{"tracker": tracker, **dict(
                pair.split("=", 1) for pair in facets.split())}]})

    def run(self, path: Path, store: Store | None = None) -> str:
        self.say(f"pmsync setup: writes {path}. Tokens are never asked for, only the name of "
                 "the environment variable that holds each.")
        trackers: dict[str, tuple[str, dict[str, Any]]] = {}
        while True:
            name, kind, table = self.tracker(set(trackers))
            trackers[name] = (kind, table)
            if not self.yes("Add another tracker?", False):
                break
        if {"jira", "clickup"} <= {kind for kind, _ in trackers.values()}:
            jira = next(n for n, (k, _) in trackers.items() if k == "jira")
            for kind, table in trackers.values():
                if kind == "clickup":
                    table["link_tracker"] = jira  # Jira keys in ClickUp's link fields
        text = with_store(render(trackers, self.lines(trackers)), store)
        parse_config(_toml(text), path, default_registry())  # what doctor will load
        return text


@dataclass(frozen=True)
class Store:
    """Where `init --store` keeps the store: a PostgreSQL URL without its password, and
    the environment variable that will hold the password."""

    url: str
    password_env: str = STORE_PASSWORD_ENV


def with_store(text: str, store: Store | None) -> str:
    """``text`` with its store in PostgreSQL, as the README's store section writes it (the
    lines go under state_dir, among the top-level keys); as it is without one."""
    if store is None:
        return text
    lines = ("\n# The store: PostgreSQL instead of SQLite in state_dir (pip install "
             "'pmsync[postgres]').\n"
             f"# Its password comes from ${store.password_env}, never from this file.\n"
             f"store = {_quote(store.url)}\nstore_password_env = {_quote(store.password_env)}\n")
    return text.replace(STATE_DIR_LINE, STATE_DIR_LINE + lines, 1)


def store_config(path: Path, text: str, store: Store) -> str:
    """The commented sample (or any config text) with ``store``, checked as the loader
    checks it: a bad URL or variable name is one line naming the option (exit 2)."""
    complaint = _env(store.password_env)
    if complaint:
        raise ConfigError(f"--store-password-env {store.password_env}: {complaint}")
    text = with_store(text, store)
    try:
        parse_config(_toml(text), path, default_registry())
    except ConfigError as exc:
        raise ConfigError(f"--store: {exc}".replace(f"{path}: ", "").replace(
            "in store_password_env", "with --store-password-env")) from None
    return text


def render(trackers: dict[str, tuple[str, dict[str, Any]]], lines: list[dict[str, Any]]) -> str:
    out = ["# Written by `pmsync init`. Secrets never go in this file: export the variables",
           "# named by token_env. Check it with `pmsync doctor`; the README lists every key.",
           "", 'state_dir = "state"']
    for name, (kind, table) in trackers.items():
        out += ["", f"[trackers.{name}]", f"kind = {_quote(kind)}"]
        out += [f"{key} = {_list(v) if isinstance(v, list) else _quote(v)}"
                for key, v in table.items()]
    for line in lines:
        selectors = ", ".join("{ " + ", ".join(f"{k} = {_quote(v)}" for k, v in s.items()) + " }"
                              for s in line["select"])
        out += ["", "[[product_lines]]", f"name = {_quote(line['name'])}",
                f"select = [{selectors}]"]
    return "\n".join(out) + "\n"


def _toml(text: str) -> dict[str, Any]:
    import tomllib

    return tomllib.loads(text)


def _http(answer: str) -> str | None:
    return None if re.match(r"https?://[^\s/]+", answer) else "an http(s):// URL"


def _env(answer: str) -> str | None:
    if answer.startswith(("pk_", "ATATT")) or len(answer) > 40:
        return "that looks like a token: give the NAME of a variable, e.g. PMSYNC_JIRA_TOKEN"
    return None if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", answer) else "a variable name"


def _keys(answer: str) -> str | None:
    bad = [k for k in _split(answer) if not re.fullmatch(r"[A-Z][A-Z0-9_]+", k)]
    return f"not project keys: {', '.join(bad)} (upper case, e.g. PAY)" if bad else None


def _facets(answer: str) -> str | None:
    for pair in answer.split():
        facet, sep, value = pair.partition("=")
        if not sep or not value or facet not in SELECTOR_FACETS:
            return f"write facet=value pairs; facets: {', '.join(SELECTOR_FACETS)}"
    return None


def _unwritable(path: Path, exc: OSError) -> ConfigError:
    where = f"{exc.filename}: " if exc.filename and str(exc.filename) != str(path) else ""
    return ConfigError(f"cannot write {path}: {where}{exc.strerror or exc}; pass --config with a "
                       "file in a folder you can write to")


def make_folder(path: Path) -> None:
    """The config's folder (e.g. /etc/pmsync), made before any question is asked."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _unwritable(path, exc) from None


def write_config(path: Path, text: str) -> None:
    """The new config, in its folder; a path that cannot be written is one line, exit 2."""
    make_folder(path)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _unwritable(path, exc) from None


def interactive_init(path: Path, ask: Ask = input, say: Callable[[str], None] = print,
                     store: Store | None = None) -> None:
    make_folder(path)  # a folder that cannot be made fails now, not after every answer
    if store is not None:
        store_config(path, SAMPLE_CONFIG, store)  # a bad --store fails before any question
    text = Wizard(ask, say).run(path, store)
    write_config(path, text)
    say(f"\nwrote {path}. Next:\n" + next_steps(path, text))


def next_steps(path: Path, text: str) -> str:
    """What to do after `init`: the extra to install for a PostgreSQL store, the variables
    to export (names only), then doctor."""
    env = sorted(set(re.findall(r'(?:token_env|store_password_env) = "([^"]+)"', text)))
    steps = ["pip install 'pmsync[postgres]'"] if "\nstore = " in text else []
    steps += [f"export {name}=..." for name in env] + [f"pmsync --config {path} doctor"]
    return "".join(f"  {step}\n" for step in steps).rstrip("\n")

