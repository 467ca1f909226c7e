"""The rules engine: run every enabled rule over the portfolio, apply settings.

A rule is any object with ``id``, ``severity`` (its default), ``summary``,
``evaluate(portfolio, settings)`` yielding Findings, and
``validate_options(options, where)``. Built-in rules register through the
``register_rules`` hook like any plugin's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, Protocol

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


def run_rules(
    portfolio: Portfolio, rules: dict[str, Rule], settings: dict[str, RuleSettings]
) -> list[Finding]:
    findings: dict[str, Finding] = {}
    for rule_id, rule in sorted(rules.items()):
        rule_settings = settings.get(rule_id, RuleSettings())
        if not rule_settings.enabled:
            continue
        for finding in rule.evaluate(portfolio, rule_settings):
            if rule_settings.severity:
                finding = dataclasses.replace(finding, severity=rule_settings.severity)
            findings[finding.fingerprint] = finding
    return sorted(
        findings.values(),
        key=lambda f: (-SEVERITIES.index(f.severity), f.rule, f.subject_key, f.related_keys),
    )


def int_option(options: dict[str, Any], name: str, where: str, minimum: int = 0) -> None:
    value = options.get(name)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                              or value < minimum):
        raise ConfigError(f"{where}{name} must be a whole number >= {minimum}, not {value!r}")


def no_unknown_options(options: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(options) - allowed)
    if unknown:
        valid = ", ".join(sorted(allowed | {"enabled", "severity"}))
        raise ConfigError(f"{where}{unknown[0]} is not an option of this rule; valid: {valid}")
