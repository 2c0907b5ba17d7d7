"""Benchmark the gap bridge: Shapley contributions of 7 drivers for one period, against the
goal of 50 ms, with the slow way (every order of replacement, 5,040 of them) as the
reference, timed in the same run; and, for scale, a month's whole bridge on the sample export
(its 10 drivers measured, then both bridges). Run with `make bench` (`--quick`: single runs)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
from bench_plan import median_seconds, print_rows

from funnelkit.actuals.gap import gap_drivers
from funnelkit.model.loader import load_plan_data
from funnelkit.plan.bridge import Driver, bridge, funnel_revenue

Q4 = Path(__file__).resolve().parent.parent / "params" / "2026-q4.yaml"

DRIVERS = [
    Driver("leads", 700, 640, "marketing"),
    Driver("mix", 1.0, 0.94, "marketing"),
    Driver("lead→mql", 0.34, 0.31, "marketing"),
    Driver("follow-up", 1.0, 0.9, "sales"),
    Driver("mql→sql", 0.45, 0.47, "sales"),
    Driver("deal size", 14_900, 13_800, "shared"),
    Driver("timing", 1.0, 0.93, "shared"),
]


def every_order() -> np.ndarray:
    """The same contributions the slow way: each order's marginal changes, averaged."""
    total = np.zeros(len(DRIVERS))
    orders = list(itertools.permutations(range(len(DRIVERS))))
    for order in orders:
        current = {d.name: np.array([d.planned]) for d in DRIVERS}
        before = float(funnel_revenue(current)[0])
        for i in order:
            current[DRIVERS[i].name] = np.array([DRIVERS[i].actual])
            after = float(funnel_revenue(current)[0])
            total[i] += after - before
            before = after
    return total / len(orders)


def measured_month() -> None:
    """October 2026 of the Q4 plan: the drivers measured on the sample, both bridges made."""
    g = gap_drivers(DATA.plan, DATA.table, (0, 1))
    g.revenue(), g.customers()


DATA = load_plan_data(Q4)


def main() -> None:
    assert np.allclose(bridge(DRIVERS, funnel_revenue).contributions, every_order())
    print_rows(
        [
            (
                "bridge, 7 drivers, one period",
                median_seconds(lambda: bridge(DRIVERS, funnel_revenue), 25, 20),
                0.050,
            ),
            ("  reference: every order, the slow way", median_seconds(every_order, 5, 1), None),
            (
                "a month measured on the sample, 10 drivers",
                median_seconds(measured_month, 9, 1),
                None,
            ),
        ]
    )


if __name__ == "__main__":
    main()
