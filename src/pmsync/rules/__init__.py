"""The rules engine: run every enabled rule over the portfolio, apply settings.

A rule is any object with ``id``, ``severity`` (its default), ``summary``,
``evaluate(portfolio, settings)`` yielding Findings, and
``validate_options(options, where)``. Built-in rules register through the
``register_rules`` hook like any plugin's; ``BaseRule`` spares them the option
plumbing. Settings can differ per product line; the engine applies a line's
on/off and severity, rules read its thresholds through ``self.opt``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, ClassVar, Protocol

from pmsync.config import RuleSettings
from pmsync.errors import ConfigError
from pmsync.model import SEVERITIES, Finding
from pmsync.portfolio import Portfolio


class Rule(Protocol):
    id: str
    severity: str
    summary: str

    def evaluate(self, portfolio: Portfolio, settings: RuleSettings) -> Iterable[Finding]: ...

    def validate_options(self, options: dict[str, Any], where: str) -> None: ...


class BaseRule:
    """Options are declared as {name: (default, minimum, meaning)}; all are numbers."""

    id: ClassVar[str]
    severity: ClassVar[str] = "warning"
    summary: ClassVar[str] = ""
    options: ClassVar[dict[str, tuple[float, float, str]]] = {}

    def validate_options(self, options: dict[str, Any], where: str) -> None:
        for name, value in options.items():
            if name not in self.options:
                valid = ", ".join(sorted([*self.options, "enabled", "severity", "lines"]))
                raise ConfigError(f"{where}{name} is not an option of {self.id}; valid: {valid}")
            _, minimum, meaning = self.options[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
                raise ConfigError(f"{where}{name} must be {meaning} (a number >= {minimum:g}), "
                                  f"not {value!r}")

    def opt(self, settings: RuleSettings, name: str, line: str | None) -> float:
        return settings.option(name, line, self.options[name][0])

    def finding(self, severity: str | None = None, **fields: Any) -> Finding:
        return Finding(rule=self.id, severity=severity or self.severity, **fields)


def run_rules(
    portfolio: Portfolio, rules: dict[str, Rule], settings: dict[str, RuleSettings]
) -> list[Finding]:
    findings: dict[str, Finding] = {}
    # With product lines configured, they are the portfolio: a finding about something in
    # no line (say its line was removed from the config) is not raised, so its comment
    # is resolved rather than left open with no line to answer for it.
    scoped = bool(portfolio.product_lines)
    for rule_id, rule in sorted(rules.items()):
        rule_settings = settings.get(rule_id, RuleSettings())
        if not rule_settings.enabled and not rule_settings.lines:
            continue
        for finding in rule.evaluate(portfolio, rule_settings):
            line = finding.product_line
            if (scoped and line is None) or not rule_settings.enabled_for(line):
                continue
            severity = rule_settings.severity_for(line)
            if severity:
                finding = dataclasses.replace(finding, severity=severity)
            findings[finding.fingerprint] = finding
    return sorted(
        findings.values(),
        key=lambda f: (-SEVERITIES.index(f.severity), f.rule, f.subject_key, f.related_keys),
    )
