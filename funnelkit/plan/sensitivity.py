"""Sensitivity: each driver moved down and up, as data for a tornado chart.

Drivers: the revenue goal, the marketing share, the deal size and each step's conversion
rate. `sensitivity` moves each by the same fraction; since the first stage's volume is
proportional to the goal and inverse to every rate and the deal size, that shows them all
alike. `swing_sensitivity` moves each to the low and high values history has seen (its
quarters), which tells the drivers apart by how much they actually vary. For each move the
table gives the leads needed for the goal, and the revenue that the baseline plan's leads
would bring. Fractions are capped at 1. Stage days move timing, not volumes, so they are not
drivers here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from funnelkit.core.validation import check_number
from funnelkit.plan.funnel import Funnel
from funnelkit.plan.scenarios import SCALAR_DRIVERS
from funnelkit.plan.targets import reverse_plan, stage_volumes_needed

DEFAULT_CHANGE = 0.10  # fraction by which each driver moves down and up


@dataclass(frozen=True)
class Sensitivity:
    """Leads needed and revenue at the baseline and for each driver moved down and up."""

    drivers: tuple[str, ...]  # revenue_goal, marketing_share, deal_size, then step names
    change: float  # fraction moved, e.g. 0.10; NaN for history's swings
    base_leads: float  # exact first-stage volume needed at the baseline
    base_revenue: float  # marketing-sourced revenue at the baseline, money
    values: np.ndarray  # (drivers, 2): the driver's value moved down, up
    leads: np.ndarray  # (drivers, 2): first-stage volume needed
    revenue: np.ndarray  # (drivers, 2): revenue from the baseline lead volume, money

    def frame(self) -> pd.DataFrame:
        """Tidy rows (driver, direction) with the changes, widest leads swing first."""
        n = len(self.drivers)
        table = pd.DataFrame(
            {
                "driver": np.repeat(self.drivers, 2),
                "direction": np.tile(["down", "up"], n),
                "value": self.values.ravel(),
                "leads_needed": self.leads.ravel(),
                "leads_change": (self.leads - self.base_leads).ravel(),
                "revenue": self.revenue.ravel(),
                "revenue_change": (self.revenue - self.base_revenue).ravel(),
            }
        )
        swing = np.abs(self.leads[:, 1] - self.leads[:, 0])
        # equal swings (every rate moves leads alike) keep the drivers' order, not float noise
        swing = np.repeat(np.round(swing / max(swing.max(), 1e-300), 9), 2)
        order = np.argsort(-swing, kind="stable")
        return table.iloc[order].reset_index(drop=True)


def sensitivity(
    revenue_goal: float,
    marketing_share: float,
    deal_size: float,
    funnel: Funnel,
    change: float = DEFAULT_CHANGE,
) -> Sensitivity:
    """Move each driver by ±`change` (fraction) and recompute leads needed and revenue."""
    check_number("change", change, low=0, high=1, low_open=True, high_open=True)
    base = {
        "revenue_goal": float(revenue_goal),
        "marketing_share": float(marketing_share),
        "deal_size": float(deal_size),
        **dict(zip(funnel.steps, map(float, funnel.conversion_rates), strict=True)),
    }
    ranges = {d: (v * (1 - change), v * (1 + change)) for d, v in base.items()}
    return swing_sensitivity(revenue_goal, marketing_share, deal_size, funnel, ranges, change)


def swing_sensitivity(
    revenue_goal: float,
    marketing_share: float,
    deal_size: float,
    funnel: Funnel,
    ranges: Mapping[str, tuple[float, float]],
    change: float = float("nan"),
) -> Sensitivity:
    """Move each driver in `ranges` (revenue_goal, marketing_share, deal_size or a step) to its
    (low, high) value, one at a time, and recompute leads needed and revenue; `change` is the
    fraction moved when the ranges are ± a fraction (NaN when they are history's swings)."""
    known = (*SCALAR_DRIVERS, *funnel.steps)
    drivers = tuple(d for d in known if d in ranges)
    n = len(drivers)
    base = reverse_plan(revenue_goal, marketing_share, deal_size, funnel)
    base_leads = float(base.volumes[0])
    goal = np.full((n, 2), float(revenue_goal))
    share = np.full((n, 2), float(marketing_share))
    size = np.full((n, 2), float(deal_size))
    rates = np.broadcast_to(
        np.asarray(funnel.conversion_rates, dtype=float), (n, 2, len(funnel.steps))
    ).copy()
    values = np.empty((n, 2))
    for i, driver in enumerate(drivers):
        low, high = ranges[driver]
        moved = np.array([low, high], dtype=float)
        if driver == "revenue_goal":
            goal[i] = moved
        elif driver == "marketing_share":
            share[i] = moved = np.minimum(moved, 1.0)
        elif driver == "deal_size":
            size[i] = moved
        else:
            rates[i, :, funnel.steps.index(driver)] = moved = np.minimum(moved, 1.0)
        values[i] = moved
    leads = stage_volumes_needed(goal * share / size, rates)[..., 0]
    revenue = base_leads * rates.prod(axis=-1) * size
    return Sensitivity(
        drivers=drivers,
        change=change,
        base_leads=base_leads,
        base_revenue=base_leads * funnel.overall_rate * deal_size,
        values=values,
        leads=leads,
        revenue=revenue,
    )
