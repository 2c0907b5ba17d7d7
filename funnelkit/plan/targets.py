"""The reverse plan (revenue goal → volume needed at every stage) and the forward projection.

From article 003: marketing revenue goal = revenue goal × share of revenue from marketing
leads; customers needed = marketing revenue goal ÷ average deal size; leads needed =
customers ÷ lead close rate. For a staged funnel, the volume needed at a stage is the volume
needed at the next stage ÷ the step's conversion rate. Exact values are carried up the chain;
whole units are shown by `funnelkit.core.rounding.whole_units`.

The scalar formulas take floats, numpy arrays or pandas Series alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from funnelkit.core.rounding import whole_units
from funnelkit.core.types import Number
from funnelkit.core.validation import check_number
from funnelkit.plan.funnel import Funnel


def marketing_revenue_goal(revenue_goal: Number, marketing_share: Number) -> Number:
    """Revenue (money) that marketing-sourced leads must bring: goal × share (fraction 0–1)."""
    check_number("revenue_goal", revenue_goal, low=0)
    check_number("marketing_share", marketing_share, low=0, high=1)
    return revenue_goal * marketing_share


def customers_needed(revenue: Number, deal_size: Number) -> Number:
    """Customers (exact, not rounded) that bring `revenue` at an average `deal_size` (money)."""
    check_number("revenue", revenue, low=0)
    check_number("deal_size", deal_size, low=0, low_open=True)
    return revenue / deal_size


def leads_needed(customers: Number, lead_close_rate: Number) -> Number:
    """Leads (exact) that yield `customers` at a lead close rate (fraction 0–1, not %)."""
    check_number("customers", customers, low=0)
    check_number("lead_close_rate", lead_close_rate, low=0, high=1, low_open=True)
    return customers / lead_close_rate


def stage_volumes_needed(last_stage_volume: Number, conversion_rates: npt.ArrayLike) -> np.ndarray:
    """Exact volume needed at every stage to reach `last_stage_volume` at the last stage.

    `conversion_rates` has one rate per step (last axis); leading axes broadcast against
    `last_stage_volume`, so a grid of scenarios is one call. Returns shape (..., stages).
    """
    check_number("last_stage_volume", last_stage_volume, low=0)
    rates = np.asarray(conversion_rates, dtype=float)
    check_number("conversion_rate", rates, low=0, high=1, low_open=True)
    # rates_to_last[..., i] = product of rates from step i to the end; 1 for the last stage
    to_last = np.cumprod(rates[..., ::-1], axis=-1)[..., ::-1]
    ones = np.ones((*to_last.shape[:-1], 1))
    to_last = np.concatenate([to_last, ones], axis=-1)
    return np.asarray(last_stage_volume, dtype=float)[..., np.newaxis] / to_last


def expected_volumes(volume: Number, conversion_rates: npt.ArrayLike) -> np.ndarray:
    """Expected volume at each stage from `volume` entering the first of the given steps.

    `conversion_rates` lists the rates of the steps downstream of that stage (last axis).
    Returns shape (..., steps + 1): the starting volume, then each later stage.
    """
    check_number("volume", volume, low=0)
    rates = np.asarray(conversion_rates, dtype=float)
    check_number("conversion_rate", rates, low=0, high=1, low_open=True)
    ones = np.ones((*rates.shape[:-1], 1))
    reach = np.concatenate([ones, np.cumprod(rates, axis=-1)], axis=-1)
    return np.asarray(volume, dtype=float)[..., np.newaxis] * reach


@dataclass(frozen=True)
class ReversePlan:
    """What a revenue goal asks of each stage: exact volumes, and whole units by the rule."""

    revenue_goal: float  # total sales revenue goal for the period, money
    marketing_share: float  # fraction 0–1 of revenue from marketing-sourced leads
    deal_size: float  # average deal size, money
    funnel: Funnel
    volumes: np.ndarray  # exact volume needed per stage, first stage to last

    @property
    def marketing_revenue_goal(self) -> float:
        """Revenue (money) that marketing-sourced deals must bring: goal × share."""
        return self.revenue_goal * self.marketing_share

    @property
    def whole(self) -> np.ndarray:
        """Whole-unit volume per stage, each rounded up from its own exact value."""
        return whole_units(self.volumes)

    def volume(self, stage: str) -> float:
        """Exact volume needed at `stage`."""
        return float(self.volumes[self.funnel.stage_index(stage)])

    def frame(self) -> pd.DataFrame:
        """One row per stage: exact and whole volume, rate to the next stage and to the last."""
        f = self.funnel
        return pd.DataFrame(
            {
                "stage": f.stages,
                "volume_exact": self.volumes,
                "volume_whole": self.whole.astype("int64"),
                "rate_to_next": (*f.conversion_rates, np.nan),
                "rate_to_last": f.rates_to_last,
                "days_to_last": f.days_to_last,
            }
        )


def reverse_plan(
    revenue_goal: float, marketing_share: float, deal_size: float, funnel: Funnel
) -> ReversePlan:
    """Volumes needed at every stage so that marketing-sourced deals meet their share of the goal."""
    customers = customers_needed(marketing_revenue_goal(revenue_goal, marketing_share), deal_size)
    return ReversePlan(
        revenue_goal=revenue_goal,
        marketing_share=marketing_share,
        deal_size=deal_size,
        funnel=funnel,
        volumes=stage_volumes_needed(customers, funnel.conversion_rates),
    )


@dataclass(frozen=True)
class ForwardProjection:
    """Expected volumes downstream of a starting stage, and the revenue they bring."""

    stages: tuple[str, ...]  # the starting stage and every later one
    volumes: np.ndarray  # expected (exact) volume per stage
    revenue: float  # money: expected last-stage volume × average deal size

    @property
    def whole(self) -> np.ndarray:
        """Whole-unit volume per stage by the rounding rule."""
        return whole_units(self.volumes)

    def frame(self) -> pd.DataFrame:
        """One row per stage: exact and whole expected volume."""
        return pd.DataFrame(
            {
                "stage": self.stages,
                "volume_exact": self.volumes,
                "volume_whole": self.whole.astype("int64"),
            }
        )


def forward_projection(
    volume: float, stage: str, funnel: Funnel, deal_size: float
) -> ForwardProjection:
    """From `volume` at `stage`, the expected volume at each later stage and the revenue."""
    start = funnel.stage_index(stage)
    check_number("deal_size", deal_size, low=0, low_open=True)
    volumes = expected_volumes(volume, funnel.conversion_rates[start:])
    return ForwardProjection(
        stages=funnel.stages[start:],
        volumes=volumes,
        revenue=float(volumes[-1]) * deal_size,
    )
