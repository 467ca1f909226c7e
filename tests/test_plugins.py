"""The plugin doors: built-ins come through entry points; a third party uses the same hooks."""

from __future__ import annotations

from pmsync.cli import main
from pmsync.hookspecs import hookimpl
from pmsync.kit.options import OptionSchema
from pmsync.model import Finding
from pmsync.plugins import build_registry, describe_plugins, make_plugin_manager
from pmsync.portfolio import Portfolio
from pmsync.rules import run_rules
from pmsync.workspace import Workspace


def test_builtins_are_loaded_through_the_entry_point_group():
    rows = {row["name"]: row for row in describe_plugins(make_plugin_manager())}
    assert {"jira", "clickup", "rules_drift", "rules_dependencies", "html_files"} <= set(rows)
    assert rows["jira"]["hooks"] == ["register_connectors"]
    assert rows["jira"]["version"] == "0.1.0"
    registry = build_registry(make_plugin_manager())
    assert set(registry.connectors) == {"jira", "clickup"}
    assert {"epic-overdue", "blocker-scheduled-late"} <= set(registry.rules)
    assert set(registry.publishers) == {"html-files"}


def test_plugins_command_lists_name_version_and_hooks(capsys):
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "jira" in out and "register_connectors" in out and "0.1.0" in out


class EverythingIsLate:
    """A third-party rule, registered exactly as the built-ins are."""

    id = "everything-is-late"
    severity = "info"
    summary = "Test rule: flags every epic."
    category = "schedule"
    advice = "Test advice."

    options = OptionSchema(())

    def evaluate(self, portfolio: Portfolio, settings):
        for item in portfolio.items.values():
            if item.kind == "epic":
                yield Finding(self.id, self.severity, item.key, item.product_line, "late!")


class ThirdPartyPlugin:
    @hookimpl
    def register_rules(self, register):
        register(EverythingIsLate())


def test_a_third_party_rule_runs_beside_the_builtins(config_path, pmsync):
    assert pmsync("sync")[0] == 0
    registry = build_registry(make_plugin_manager(extra_plugins=(ThirdPartyPlugin(),)))
    ws = Workspace.open(config_path, registry)
    try:
        portfolio = ws.portfolio()
        findings = run_rules(portfolio, registry.rules, ws.config.rules)
    finally:
        ws.close()
    epics = [i for i in portfolio.items.values() if i.kind == "epic"]
    assert sum(f.rule == "everything-is-late" for f in findings) == len(epics) > 0
    assert {"epic-overdue", "blocker-scheduled-late"} <= {f.rule for f in findings}
