"""Benchmark the plan arithmetic: medians against the goals, printed as a table.

Run with `make bench`. Each figure is the median of many samples; each sample times a loop of
calls and divides. Goals: one full plan (5 stages, 12-month phasing, SLA, sensitivity)
≤ 1 ms; 10,000 scenarios evaluated at once ≤ 50 ms.

Every benchmark takes `--quick`: tiny sizes and single runs, so `make test` checks that each
still runs (`tests/test_benchmarks.py`); its figures mean nothing.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import yaml

from funnelkit import build_plan, evaluate_scenarios, params_from_dict, scenario_grid

ROOT = Path(__file__).resolve().parent.parent
QUICK = "--quick" in sys.argv[1:]  # tiny sizes, single runs: the benchmark runs, nothing more


def median_seconds(call: Callable[[], object], samples: int, loops: int) -> float:
    """Median time of one call, in seconds, over `samples` timed loops of `loops` calls (one
    of one with `--quick`)."""
    if QUICK:
        samples, loops = 1, 1
    call()  # warm up
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        for _ in range(loops):
            call()
        times.append((time.perf_counter() - start) / loops)
    return statistics.median(times)


def print_rows(rows: list[tuple[str, float, float | None]], decimals: int = 3) -> None:
    """Print (name, median seconds, goal seconds or None) rows as a table in milliseconds."""
    width = max(len(name) for name, _, _ in rows)
    print(f"{'benchmark':<{width}} {'median':>10} {'goal':>8} {'median/goal':>12}")
    for name, seconds, goal in rows:
        ratio = f"{seconds / goal:.2f}" if goal else "-"
        goal_text = f"{goal * 1e3:g} ms" if goal else "-"
        print(f"{name:<{width}} {seconds * 1e3:>7.{decimals}f} ms {goal_text:>8} {ratio:>12}")


def twelve_month_params():
    """The example plan stretched to 12 months, with monthly weights."""
    raw = yaml.safe_load((ROOT / "params" / "example.yaml").read_text())
    raw["period"]["months"] = 12
    raw["period"]["weights"] = [1 / 12] * 12
    return params_from_dict(raw, source="example.yaml (12 months)", folder=ROOT / "params")


def main() -> None:
    params = twelve_month_params()
    assert len(params.funnel.stages) == 5

    def plan_with_tables():
        plan = build_plan(params)
        plan.targets.frame(), plan.phasing.frame(), plan.sla.frame(), plan.sensitivity.frame()

    rng = np.random.default_rng(7)
    funnel = params.funnel
    base = {
        "revenue_goal": params.revenue_goal,
        "marketing_share": params.marketing_share,
        "deal_size": params.deal_size,
    }
    grid = scenario_grid(
        funnel,
        base,
        deal_size=np.linspace(8_000, 16_000, 10),
        marketing_share=np.linspace(0.4, 0.7, 10),
        **{"mql→sql": np.linspace(0.3, 0.5, 10), "opportunity→won": np.linspace(0.2, 0.35, 10)},
    )
    grid["revenue_goal"] = rng.uniform(400_000, 700_000, len(grid))
    assert len(grid) == 10_000

    rows = [
        (
            "full plan: 5 stages, 12-month phasing, SLA, sensitivity",
            median_seconds(lambda: build_plan(params), 41, 200),
            1e-3,
        ),
        (
            "10,000 scenarios evaluated at once",
            median_seconds(lambda: evaluate_scenarios(grid, funnel), 41, 5),
            50e-3,
        ),
        (
            "full plan, plus its four tables as DataFrames (no goal)",
            median_seconds(plan_with_tables, 21, 50),
            None,
        ),
        (
            "10,000-scenario grid built and evaluated (no goal)",
            median_seconds(
                lambda: evaluate_scenarios(
                    scenario_grid(funnel, base, deal_size=np.linspace(8e3, 16e3, 10_000)), funnel
                ),
                21,
                3,
            ),
            None,
        ),
    ]
    print_rows(rows)


if __name__ == "__main__":
    main()
