"""Will an epic's remaining scope be done by its due date? The Monte Carlo forecast
itself lives in metrics (the reports show the same one); this rule reads its
settings per product line and flags the epics it lands after their due date."""

from __future__ import annotations

from collections.abc import Iterator

from pmsync.config import RuleSettings
from pmsync.hookspecs import hookimpl
from pmsync.kit.options import Option
from pmsync.metrics import ForecastSettings, line_forecast
from pmsync.model import Finding
from pmsync.portfolio import Portfolio
from pmsync.rules import BaseRule, thresholds


class ForecastAfterDue(BaseRule):
    id = "forecast-after-due"
    category = "drift"
    advice = (
        "Cut scope or move the due date: at the current throughput the epic lands late.")
    summary = "The Monte Carlo forecast of an epic's remaining scope lands after its due date."
    options = thresholds(
        Option("percentile", "number", 85, "the forecast's confidence, in percent", min=1,
               max=100),
        Option("weeks", "int", 8, "weeks of throughput history to sample", min=1, max=520),
        Option("trials", "int", 500, "simulated futures", min=100, max=100000),
        Option("seed", "int", 7, "the random seed (forecasts repeat)", min=0),
    )

    def forecast_settings(self, settings: RuleSettings, line: str | None) -> ForecastSettings:
        """The line's forecast settings (the reports forecast with these too)."""
        return ForecastSettings(
            percentile=float(self.opt(settings, "percentile", line)),
            weeks=int(self.opt(settings, "weeks", line)),
            trials=int(self.opt(settings, "trials", line)),
            seed=int(self.opt(settings, "seed", line)))

    def evaluate(self, portfolio: Portfolio, settings: RuleSettings) -> Iterator[Finding]:
        # An epic already past due is epic-overdue's finding; forecast the rest.
        epics = sorted((i for i in portfolio.items.values() if i.kind == "epic" and i.is_open
                        and i.due and i.due >= portfolio.today_for(i.key)),
                       key=lambda i: (str(i.product_line), i.key))
        for epic in epics:
            line = epic.product_line
            forecast = line_forecast(portfolio, line, self.forecast_settings(settings, line))
            outlook = forecast.epic(epic)
            if outlook is None or (outlook.landing is not None and outlook.landing <= epic.due):
                continue
            p, unit = forecast.settings.percentile, forecast.unit
            p50_text = outlook.p50.isoformat() if outlook.p50 else "beyond 2 years"
            p_text = outlook.landing.isoformat() if outlook.landing else "beyond 2 years"
            yield self.finding(
                subject_key=epic.key, product_line=line,
                message=(f"Epic {epic.name} is due {epic.due.isoformat()} but at its line's "
                         f"recent pace its remaining {outlook.remaining:g} {unit} finish by "
                         f"{p_text} ({p:g} % confidence)."),
                evidence=(("remaining", f"{outlook.remaining:g} {unit}"), ("p50", p50_text),
                          (forecast.settings.label, p_text),
                          ("throughput window", f"last {forecast.settings.weeks} weeks"),
                          ("due", epic.due.isoformat())),
            )


@hookimpl
def register_rules(register):
    register(ForecastAfterDue())
