"""One format for every setting pmsync reads: the core config, connector options, rules.

An ``Option`` declares a key once: its type, default, valid range and what it
means. From that one declaration come the validation (a one-line ConfigError
naming the key and what is valid), the defaults the code reads, and the
README's option tables (``OptionSchema.markdown``), as singer-sdk's declared
schemas give a tap its validation and its docs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pmsync.errors import ConfigError

REQUIRED: Any = object()  # the default of an option that must be given

KINDS = ("int", "number", "str", "bool", "list", "url", "zone", "date")


@dataclass(frozen=True)
class Option:
    name: str
    kind: str  # one of KINDS
    default: Any = None  # None: optional without a value; REQUIRED: must be given
    doc: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    example: str = ""  # for the docs when there is no default
    nonempty: bool = False  # str / list: an empty value is refused

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"option {self.name}: unknown kind {self.kind!r}")

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def expected(self) -> str:
        """What a valid value is, in words: the tail of every error about this key."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        noun = {"int": "a whole number", "number": "a number", "str": "text",
                "bool": "true or false", "list": "a list of text values",
                "url": "an http(s) URL like https://example.com", "zone":
                "an IANA time zone like Europe/Berlin", "date": "a date like 2026-12-31"}[self.kind]
        if self.kind == "list" and self.nonempty:
            noun = "a non-empty list of text values"
        elif self.kind == "str" and self.nonempty:
            noun = "non-empty text"
        if self.min is not None and self.max is not None:
            return f"{noun} from {self.min:g} to {self.max:g}"
        if self.min is not None:
            return f"{noun} >= {self.min:g}"
        if self.max is not None:
            return f"{noun} <= {self.max:g}"
        return noun

    def check(self, value: Any, where: str) -> Any:
        """``value`` if valid for this option, else a ConfigError naming ``where``."""
        if not self._valid(value):
            shown = repr(value)
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            raise ConfigError(f"{where} must be {self.expected()}, not {shown}")
        return value

    def _valid(self, value: Any) -> bool:
        kind = self.kind
        if kind == "bool":
            return isinstance(value, bool)
        if isinstance(value, bool):  # TOML true is no number and no text
            return False
        if kind in ("int", "number"):
            if not isinstance(value, int | float) or (kind == "int" and not isinstance(value, int)):
                return False
            if isinstance(value, float) and not math.isfinite(value):
                return False
            return ((self.min is None or value >= self.min)
                    and (self.max is None or value <= self.max))
        if kind == "list":
            return (isinstance(value, list) and all(isinstance(v, str) and v for v in value)
                    and (bool(value) or not self.nonempty))
        if kind == "date":
            return isinstance(value, date)
        if not isinstance(value, str) or "\x00" in value:
            return False
        if self.choices:
            return value in self.choices
        if kind == "url":
            return _is_url(value)
        if kind == "zone":
            return _is_zone(value)
        return bool(value.strip()) or not self.nonempty


def _is_url(value: str) -> bool:
    if any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
        port = parts.port  # raises on a port that is not a number
    except ValueError:
        return False
    return (parts.scheme in ("http", "https") and bool(parts.hostname)
            and (port is None or 0 < port < 65536))


def _is_zone(value: str) -> bool:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


@dataclass(frozen=True)
class OptionSchema:
    """The options of one table; ``owner`` names it in errors ("a Jira option")."""

    options: tuple[Option, ...]
    owner: str = "an option here"
    extra_keys: tuple[str, ...] = field(default=())  # keys another layer handles

    def __getitem__(self, name: str) -> Option:
        return self.by_name()[name]

    def __contains__(self, name: object) -> bool:
        return name in self.by_name()

    def __iter__(self):
        return iter(self.options)

    def by_name(self) -> dict[str, Option]:
        return {o.name: o for o in self.options}

    def names(self) -> list[str]:
        return [o.name for o in self.options]

    def defaults(self) -> dict[str, Any]:
        return {o.name: o.default for o in self.options if not o.required}

    def parse(self, table: dict[str, Any], where: Callable[[str], str],
              fill: bool = True) -> dict[str, Any]:
        """The table checked, with defaults filled in for what it leaves out (``fill``)."""
        known = self.by_name()
        for key in table:
            if key not in known and key not in self.extra_keys:
                valid = ", ".join([*known, *self.extra_keys])
                raise ConfigError(f"{where(key)} is not {self.owner}; valid: {valid}")
        out = self.defaults() if fill else {}
        for option in self.options:
            if option.name in table:
                out[option.name] = option.check(table[option.name], where(option.name))
            elif option.required:
                raise ConfigError(f"{where(option.name)} is missing: set it to "
                                  f"{option.doc or option.expected()}")
        return out

    def markdown(self) -> str:
        """The README table for these options: one row per key, from the declaration."""
        rows = ["| key | valid values | default | meaning |", "|---|---|---|---|"]
        for option in self.options:
            rows.append(f"| `{option.name}` | {_cell(option.expected())} | "
                        f"{_cell(_default_text(option))} | {_cell(option.doc)} |")
        return "\n".join(rows)


def merge(*schemas: OptionSchema | Iterable[Option], owner: str,
          extra_keys: tuple[str, ...] = ()) -> OptionSchema:
    options: dict[str, Option] = {}
    for schema in schemas:
        for option in schema:
            options[option.name] = option  # later declarations refine earlier ones
    return OptionSchema(tuple(options.values()), owner, extra_keys)


def _default_text(option: Option) -> str:
    if option.required:
        return "required" + (f", e.g. `{option.example}`" if option.example else "")
    if option.default is None:
        return f"e.g. `{option.example}`" if option.example else "not set"
    if isinstance(option.default, bool):
        return f"`{str(option.default).lower()}`"
    if isinstance(option.default, str):
        return f'`"{option.default}"`'
    if isinstance(option.default, list):
        return "`[" + ", ".join(f'"{v}"' for v in option.default) + "]`"
    return f"`{option.default:g}`" if isinstance(option.default, float) else f"`{option.default}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
