"""Monte Carlo forecasts: will an epic's remaining scope be done by its due date?

A product line's throughput is sampled per week (points done, or items where
the line does not estimate) over a recent window. Rather than simulate each
epic, we simulate the line once: many trials of cumulative weekly throughput.
For a week w, the p-th percentile forecast can deliver R if at least p % of the
trials reached R by w; since every trial only grows, "first such week" is a
bisection over the per-week quantiles. Seeded per line, so runs repeat.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import random
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta

from pmsync.config import RuleSettings
from pmsync.hookspecs import hookimpl
from pmsync.kit.options import Option
from pmsync.model import Finding, WorkItem
from pmsync.portfolio import Portfolio
from pmsync.rules import BaseRule, thresholds

HORIZON_WEEKS = 104  # two years: a later forecast just says "beyond"


def weekly_throughput(portfolio: Portfolio, items: list[WorkItem], weeks: int,
                      by_points: bool) -> list[float]:
    """Done per week for the last ``weeks`` whole weeks before today."""
    samples = [0.0] * weeks
    now = portfolio.now
    for item in items:
        if item.status_category != "done" or item.done_at is None or item.kind == "epic":
            continue
        age = (now - item.done_at).days // 7
        if 0 <= age < weeks:
            samples[age] += (item.estimate or 0) if by_points else 1
    return samples


def percentile_curves(samples: list[float], percentiles: tuple[float, ...], trials: int,
                      seed: int) -> dict[float, list[float]]:
    """For each percentile p: per week, the amount p % of trials have delivered by then."""
    rng = random.Random(seed)
    # One future per trial: weekly draws from the samples, summed as the weeks go by.
    paths = [list(itertools.accumulate(rng.choices(samples, k=HORIZON_WEEKS)))
             for _ in range(trials)]
    curves: dict[float, list[float]] = {p: [] for p in percentiles}
    # p % of trials delivered at least the (100 - p)th percentile of a week's column.
    picks = {p: min(int((100 - p) / 100 * trials), trials - 1) for p in percentiles}
    for column in zip(*paths, strict=True):
        ordered = sorted(column)
        for p, index in picks.items():
            curves[p].append(ordered[index])
    return curves


def weeks_needed(curve: list[float], remaining: float) -> int | None:
    index = bisect.bisect_left(curve, remaining)
    return index + 1 if index < len(curve) else None


class LineForecast:
    """One product line's simulated futures; answers for any of its epics."""

    def __init__(self, portfolio: Portfolio, line: str | None, items: list[WorkItem],
                 percentile: float, weeks: int, trials: int, seed: int):
        self.portfolio, self.percentile, self.weeks = portfolio, percentile, weeks
        self.by_points = any(i.estimate for i in items if i.kind != "epic")
        self.unit = "points" if self.by_points else "items"
        samples = weekly_throughput(portfolio, items, weeks, self.by_points)
        line_seed = int(hashlib.sha256(f"{seed}:{line}".encode()).hexdigest()[:8], 16)
        # No throughput at all: nothing to forecast from.
        self.curves = (percentile_curves(samples, (50.0, percentile), trials, line_seed)
                       if any(samples) else None)

    def remaining(self, epic: WorkItem) -> float:
        return sum((c.estimate or 0) if self.by_points else 1
                   for c in self.portfolio.children.get(epic.key, ()) if c.is_open)

    def dates(self, remaining: float) -> tuple[date | None, date | None]:
        """p50 and the chosen percentile's finish date; None where it is beyond the horizon."""
        found = []
        for p in (50.0, self.percentile):
            need = weeks_needed(self.curves[p], remaining) if self.curves else None
            found.append(self.portfolio.today + timedelta(weeks=need) if need else None)
        return found[0], found[1]


def by_line(portfolio: Portfolio) -> dict[str | None, list[WorkItem]]:
    lines: dict[str | None, list[WorkItem]] = defaultdict(list)
    for item in portfolio.items.values():
        lines[item.product_line].append(item)
    return lines


class ForecastAfterDue(BaseRule):
    id = "forecast-after-due"
    summary = "The Monte Carlo forecast of an epic's remaining scope lands after its due date."
    options = thresholds(
        Option("percentile", "number", 85, "the forecast's confidence, in percent", min=1,
               max=100),
        Option("weeks", "int", 8, "weeks of throughput history to sample", min=1, max=520),
        Option("trials", "int", 500, "simulated futures", min=100, max=100000),
        Option("seed", "int", 7, "the random seed (forecasts repeat)", min=0),
    )

    def evaluate(self, portfolio: Portfolio, settings: RuleSettings) -> Iterator[Finding]:
        for line, items in sorted(by_line(portfolio).items(), key=lambda kv: str(kv[0])):
            # An epic already past due is epic-overdue's finding; forecast the rest.
            epics = [i for i in items if i.kind == "epic" and i.is_open and i.due
                     and i.due >= portfolio.today]
            if not epics:
                continue
            forecast = LineForecast(
                portfolio, line, items, float(self.opt(settings, "percentile", line)),
                int(self.opt(settings, "weeks", line)), int(self.opt(settings, "trials", line)),
                int(self.opt(settings, "seed", line)))
            if forecast.curves is None:
                continue
            for epic in epics:
                yield from self._forecast(epic, forecast)

    def _forecast(self, epic: WorkItem, forecast: LineForecast) -> Iterator[Finding]:
        remaining = forecast.remaining(epic)
        if remaining <= 0:
            return
        p50, landing = forecast.dates(remaining)
        if landing is not None and landing <= epic.due:
            return
        p, unit = forecast.percentile, forecast.unit
        p50_text = p50.isoformat() if p50 else "beyond 2 years"
        p_text = landing.isoformat() if landing else "beyond 2 years"
        yield self.finding(
            subject_key=epic.key, product_line=epic.product_line,
            message=(f"Epic {epic.key} is due {epic.due.isoformat()} but at its line's recent "
                     f"pace its remaining {remaining:g} {unit} finish by {p_text} "
                     f"({p:g} % confidence)."),
            evidence=(("remaining", f"{remaining:g} {unit}"), ("p50", p50_text),
                      (f"p{p:g}", p_text), ("throughput window", f"last {forecast.weeks} weeks"),
                      ("due", epic.due.isoformat())),
        )


@hookimpl
def register_rules(register):
    register(ForecastAfterDue())


def epic_forecasts(portfolio: Portfolio, percentile: float = 85.0, weeks: int = 8,
                   trials: int = 500, seed: int = 7) -> dict[str, tuple[date | None, date | None]]:
    """For reports: each open epic's p50 and p-th percentile finish date (None: beyond)."""
    out: dict[str, tuple[date | None, date | None]] = {}
    for line, items in by_line(portfolio).items():
        epics = [i for i in items if i.kind == "epic" and i.is_open]
        if not epics:
            continue
        forecast = LineForecast(portfolio, line, items, percentile, weeks, trials, seed)
        if forecast.curves is None:
            continue
        for epic in epics:
            remaining = forecast.remaining(epic)
            if remaining > 0:
                out[epic.key] = forecast.dates(remaining)
    return out
