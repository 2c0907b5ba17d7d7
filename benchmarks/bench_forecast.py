"""Benchmark the attainment forecast: medians against the goal, printed as a table.

Run with `make bench`. The quarter is the sample export's current one (Q4 2026, as of its
last day): 1,267 open leads (333 of them can still close in time) and the plan's new leads.
Goal: 100,000 trials of the quarter ≤ 0.5 s. Measuring history and the pipeline from the
export, the whole forecast, and the warnings' rate search are timed beside it (no goal).
"""

from __future__ import annotations

from pathlib import Path

from bench_plan import QUICK, median_seconds, print_rows

from funnelkit import read_export
from funnelkit.forecast.early_warnings import actions
from funnelkit.forecast.simulation import (
    TRIALS,
    forecast_plan,
    measure_history,
    open_pipeline,
    plan_arrivals,
    plan_period,
    simulate,
)
from funnelkit.plan.build import build_plan
from funnelkit.plan.params import load_params

ROOT = Path(__file__).resolve().parent.parent
GOAL = 0.5  # seconds for TRIALS trials


def main() -> None:
    table = read_export(ROOT / "data" / "sample" / "hubspot-contacts.csv")
    plan = build_plan(load_params(ROOT / "params" / "2026-q4.yaml"))
    as_of = table.as_of.normalize()
    history, pipeline = measure_history(table, as_of), open_pipeline(table, as_of)
    arrivals = plan_arrivals(plan, as_of)
    start, end = plan_period(plan)
    goal = plan.params.revenue_goal

    trial_count = 2_000 if QUICK else TRIALS

    def trials():
        return simulate(history, pipeline, arrivals, start, end, goal, trials=trial_count)

    outcome = forecast_plan(plan, table)
    rows = [
        (f"{trial_count:,} trials of the quarter (simulate)", median_seconds(trials, 11, 1), GOAL),
        (
            "history and pipeline measured from the export",
            median_seconds(lambda: (measure_history(table), open_pipeline(table)), 11, 3),
            None,
        ),
        (
            "whole forecast of the plan (forecast_plan)",
            median_seconds(lambda: forecast_plan(plan, table), 7, 1),
            None,
        ),
        (
            "actions: MQLs to add and the rate needed (search)",
            median_seconds(lambda: actions(plan, outcome, history, pipeline, arrivals), 5, 1),
            None,
        ),
    ]
    print_rows(rows, decimals=1)


if __name__ == "__main__":
    main()
