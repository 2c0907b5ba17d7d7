"""Sensitivity: each driver moved down and up by a fraction, as data for a tornado chart.

Drivers: the revenue goal, the marketing share, the deal size and each step's conversion
rate. For each move the table gives the leads needed for the goal, and the revenue that the
baseline plan's leads would bring. Fractions are capped at 1 (a 95 % rate moved up 10 % is
100 %, and the table shows the 100 % it used). Stage days move timing, not volumes, so they
are not drivers here.
"""

from __future__ import annotations

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
    change: float  # fraction moved, e.g. 0.10
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
    base = reverse_plan(revenue_goal, marketing_share, deal_size, funnel)
    base_leads = float(base.volumes[0])
    drivers = (*SCALAR_DRIVERS, *funnel.steps)
    n = len(drivers)
    factors = np.array([1 - change, 1 + change])
    # one scenario per (driver, direction): every input at baseline but the one moved.
    # Rows follow `drivers`: 0 revenue_goal, 1 marketing_share, 2 deal_size, 3… the steps.
    goal = np.full((n, 2), float(revenue_goal))
    share = np.full((n, 2), float(marketing_share))
    size = np.full((n, 2), float(deal_size))
    rates = np.broadcast_to(
        np.asarray(funnel.conversion_rates, dtype=float), (n, 2, len(funnel.steps))
    ).copy()
    goal[0] *= factors
    share[1] = np.minimum(share[1] * factors, 1.0)
    size[2] *= factors
    for i in range(len(funnel.steps)):
        rates[3 + i, :, i] = np.minimum(rates[3 + i, :, i] * factors, 1.0)
    values = np.concatenate(
        [goal[:1], share[1:2], size[2:3], rates[np.arange(3, n), :, np.arange(n - 3)]]
    )
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
