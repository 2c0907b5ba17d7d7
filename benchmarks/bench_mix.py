"""Benchmark the channel mix: medians against the goals, with scipy's LP solver on the same
problems as the reference, timed in the same run.

Goals: the least-cost mix over 20 channels × 12 months ≤ 50 ms; the most revenue for each of
10,000 budgets over 5 channels ≤ 200 ms. Run with `make bench` (`--quick`: tiny runs).
"""

from __future__ import annotations

import numpy as np
from bench_plan import QUICK, median_seconds, print_rows
from scipy.optimize import linprog

from funnelkit.plan.channels import Channel
from funnelkit.plan.mix import budget_frontier, least_cost_mix


def channels(n: int, rng: np.random.Generator) -> list[Channel]:
    """`n` channels, cheap ones converting poorly and dear ones well, as in the sample."""
    cost = rng.uniform(10, 400, n)
    quality = 0.02 + 0.2 * cost / 400 * rng.uniform(0.5, 1.5, n)
    return [
        Channel(f"c{i}", (min(q * 4, 1.0), 0.25), rng.uniform(5_000, 30_000), c, 2_000, 10)
        for i, (c, q) in enumerate(zip(cost, quality, strict=True))
    ]


def lp_per_month(chs: list[Channel], needed: np.ndarray) -> None:
    """The same least-cost mix through scipy's linprog (HiGHS), one LP for all months."""
    months, n = len(needed), len(chs)
    value = np.array([c.revenue_per_lead for c in chs])
    cost = np.tile([c.cost_per_lead for c in chs], months)
    rows = np.zeros((months, months * n))
    for t in range(months):
        rows[t, t * n : (t + 1) * n] = -value
    bounds = [(c.minimum, c.capacity) for c in chs] * months
    assert linprog(cost, A_ub=rows, b_ub=-needed, bounds=bounds).status == 0


def main() -> None:
    rng = np.random.default_rng(7)
    twenty = channels(20, rng)
    months = tuple(f"2027-{m:02d}" for m in range(1, 13))
    reach = sum(c.capacity * c.revenue_per_lead for c in twenty)
    needed = reach * rng.uniform(0.2, 0.8, 12)
    five = channels(5, rng)
    budgets = np.linspace(0, 2e6, 100 if QUICK else 10_000) + sum(
        c.minimum * c.cost_per_lead for c in five
    )
    samples = 25
    rows = [
        (
            "least-cost mix, 20 channels x 12 months",
            median_seconds(lambda: least_cost_mix(twenty, months, needed), samples, 20),
            0.050,
        ),
        (
            "  reference: scipy linprog, same problem",
            median_seconds(lambda: lp_per_month(twenty, needed), samples, 1),
            None,
        ),
        (
            "most revenue for 10,000 budgets, 5 channels",
            median_seconds(lambda: budget_frontier(five, budgets), samples, 5),
            0.200,
        ),
    ]
    print_rows(rows)


if __name__ == "__main__":
    main()
