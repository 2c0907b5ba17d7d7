"""A forecast's backtest as plain text for the terminal (`funnelkit backtest`): the scores per
measure, each past period, and the calibration table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from funnelkit.core.formats import count, money, percent
from funnelkit.forecast.backtest import Backtest
from funnelkit.forecast.simulation import RUN_RATE_DAYS
from funnelkit.plan.params import PlanParams


def _table(frame: pd.DataFrame) -> str:
    return frame.to_string(index=False)


def _figure(measure: str, value: float, currency: str) -> str:
    """Revenue as money; customers whole, or to one decimal when a goal is fractional."""
    if measure == "revenue":
        return money(value, currency)
    return count(value) if float(value).is_integer() else f"{value:,.1f}"


def _signed(value: float) -> str:
    """A share with its sign: '+3.4%', '−12%'; '–' when there is none (NaN)."""
    if np.isnan(value):
        return "–"
    return f"{'+' if value >= 0 else '−'}{percent(abs(value))}"


def _trials(record: Backtest) -> str:
    """How many simulated periods each forecast drew, in words."""
    low, high = record.forecasts["trials"].min(), record.forecasts["trials"].max()
    if low == high:
        return f"{count(high)} simulated periods each"
    return f"{count(low)} to {count(high)} simulated periods each (fewer for larger funnels)"


def backtest_text(record: Backtest, params: PlanParams, source: str, trend: bool) -> str:
    """The backtest of the plan `params` on the export named `source` (its file name)."""
    first = record.forecasts["as_of"].min()
    last = record.forecasts["as_of"].max()
    periods = record.forecasts["start"].nunique()
    measures = record.measures
    n = len(record.rows(measures[0]))
    lines = [
        f"Backtest of {params.title} on {source}",
        f"{n} weekly forecasts made on Mondays {first:%d %b %Y} to {last:%d %b %Y}, of "
        f"{periods} past periods of {params.months} months, each from what the export knew "
        f"that day; {_trials(record)}. New leads at the rate of the "
        f"{RUN_RATE_DAYS} days before each Monday; trends "
        f"{'followed where history shows one' if trend else 'left out'}."
        + (f" {record.skipped} earlier Mondays had too little history." if record.skipped else ""),
        "",
        _table(
            pd.DataFrame(
                {
                    "measure": list(measures),
                    "forecasts": [count(len(record.rows(m))) for m in measures],
                    "80% range held": [
                        f"{record.held(m, 80)} ({percent(record.coverage(m, 80))})"
                        for m in measures
                    ],
                    "50% range held": [
                        f"{record.held(m, 50)} ({percent(record.coverage(m, 50))})"
                        for m in measures
                    ],
                    "Brier score": [f"{record.brier(m):.3f}" for m in measures],
                    "bias": [_signed(record.bias(m)) for m in measures],
                }
            )
        ),
        "",
        "Brier score: the mean of (chance − met)², 0 is perfect, 0.25 is saying even odds every "
        "time. Bias: the mean of (actual − expected) ÷ expected; above 0, forecasts were low.",
    ]
    cur = params.currency
    for m in measures:
        r = record.rows(m)
        by_period = r.groupby("start").agg(
            end=("end", "first"),
            forecasts=("as_of", "size"),
            actual=("actual", "first"),
            goal=("goal", "first"),
            expected=("expected", "mean"),
            held_80=("held_80", "sum"),
            held_50=("held_50", "sum"),
            met=("met", "first"),
        )
        lines += [
            "",
            f"{m.capitalize()}, each period",
            _table(
                pd.DataFrame(
                    {
                        "period": [
                            f"{s:%d %b %Y} – {e:%d %b %Y}"
                            for s, e in zip(by_period.index, by_period["end"], strict=True)
                        ],
                        "forecasts": by_period["forecasts"].map(count),
                        "won": [_figure(m, v, cur) for v in by_period["actual"]],
                        "goal": [_figure(m, v, cur) for v in by_period["goal"]],
                        "met": by_period["met"].map(lambda v: "yes" if v else "no"),
                        "mean expected": [
                            money(v, cur) if m == "revenue" else f"{v:,.1f}"
                            for v in by_period["expected"]
                        ],
                        "80% held": by_period["held_80"].map(count),
                        "50% held": by_period["held_50"].map(count),
                    }
                )
            ),
            "",
            f"{m.capitalize()}, calibration: forecasts grouped by the chance they gave of the goal",
            _table(
                record.calibration(m).assign(
                    stated=lambda t: t["stated"].map(percent),
                    met=lambda t: t["met"].map(percent),
                )
            ),
        ]
    lines += [
        "",
        "Goals: a plan's goal where the parameters' previous plan names the period, else the "
        "median of what the periods won. Weekly forecasts of one period rise and fall together: "
        "few periods make a rough guide, however many forecasts.",
    ]
    return "\n".join(lines)
