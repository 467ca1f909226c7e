"""The rules engine: run every enabled rule over the portfolio, apply settings.

A rule is any object with ``id``, ``severity`` (its default), ``summary``,
``category`` and ``advice``,
``evaluate(portfolio, settings)`` yielding Findings, and ``options`` (an
OptionSchema of its thresholds). Built-in rules register through the
``register_rules`` hook like any plugin's; ``BaseRule`` spares them the option
plumbing. Settings can differ per product line; the engine applies a line's
on/off and severity, rules read its thresholds through ``self.opt``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any, ClassVar, Protocol

from pmsync.config import RuleSettings
from pmsync.kit.options import Option, OptionSchema
from pmsync.model import SEVERITIES, Finding
from pmsync.portfolio import Portfolio

# drift: moved against the baseline or the forecast; schedule: wrong today; dependency:
# blockers across items and lines; sprint: the sprint's health.
CATEGORIES = ("drift", "schedule", "dependency", "sprint")
DEFAULT_ADVICE = "Review the plan and update dates or scope."


class Rule(Protocol):
    id: str
    severity: str
    summary: str
    category: str  # one of CATEGORIES: how reports group its findings
    advice: str  # what to do about a finding, shown under the alert comment
    options: OptionSchema  # its thresholds; enabled / severity / lines are the core's

    def evaluate(self, portfolio: Portfolio, settings: RuleSettings) -> Iterable[Finding]: ...


class BaseRule:
    """Thresholds are declared as an OptionSchema: the config validates them from it, the
    README's table shows them, and ``opt`` reads a line's value or the default."""

    id: ClassVar[str]
    severity: ClassVar[str] = "warning"
    summary: ClassVar[str] = ""
    category: ClassVar[str] = "schedule"
    advice: ClassVar[str] = DEFAULT_ADVICE
    options: ClassVar[OptionSchema] = OptionSchema(())

    def opt(self, settings: RuleSettings, name: str, line: str | None) -> float:
        return settings.option(name, line, self._option_defaults[name])

    @cached_property
    def _option_defaults(self) -> dict[str, Any]:
        # Rules ask per finding (100,000s at scale); the schema's lookup builds a dict.
        return {option.name: option.default for option in self.options}

    def finding(self, severity: str | None = None, **fields: Any) -> Finding:
        return Finding(rule=self.id, severity=severity or self.severity, **fields)


RULE_SETTINGS = ("rule-settings",)  # the portfolio memo key of every rule's settings


def run_rules(
    portfolio: Portfolio, rules: dict[str, Rule], settings: dict[str, RuleSettings]
) -> list[Finding]:
    findings: dict[str, Finding] = {}
    # A rule that builds on another's judgement reads that rule's settings from here (the
    # knock-on rule dates epics by the forecast rule's forecast, as the reports do).
    portfolio.memo(RULE_SETTINGS, lambda: dict(settings))
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


def thresholds(*options: Option) -> OptionSchema:
    return OptionSchema(options, owner="an option of this rule")


def rule_ids(category: str, rules: Mapping[str, Rule] | None = None) -> frozenset[str]:
    """The ids of the loaded rules (third parties' included) in ``category``."""
    return frozenset(rule_id for rule_id, rule in _rules(rules).items()
                     if getattr(rule, "category", None) == category)


def advice_for(rule_id: str, rules: Mapping[str, Rule] | None = None) -> str:
    rule = _rules(rules).get(rule_id)
    return getattr(rule, "advice", None) or DEFAULT_ADVICE


def _rules(rules: Mapping[str, Rule] | None) -> Mapping[str, Rule]:
    from pmsync.plugins import default_registry  # the registry loads these very modules

    return default_registry().rules if rules is None else rules
