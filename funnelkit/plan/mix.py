"""Choosing the channel mix: how many leads to ask of each channel each month.

Three ways: in given shares (history's, or the user's), the least-cost mix that meets the
revenue the leads must bring, and the inverse, the most revenue a budget buys.

The least-cost mix is the linear programme: minimise Σ cost_per_lead[c] × leads[c] subject to
Σ revenue_per_lead[c] × leads[c] ≥ the revenue needed and minimum[c] ≤ leads[c] ≤ capacity[c].
With one covering constraint and bounds it is a fractional knapsack, solved exactly (not
approximately) without a solver: after the minimums, fill the cheapest revenue first, each
channel up to its capacity, until the need is met. The budget-first problem is the same with
the roles of cost and revenue swapped. Months are independent (each month's leads meet that
month's need), so every month is solved at once in arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from funnelkit.core.exceptions import InputError
from funnelkit.plan.channels import Channel, ChannelPlan, channel_plan


@dataclass(frozen=True)
class Frontier:
    """The most revenue each budget buys over a period (`budget_frontier`)."""

    budgets: np.ndarray  # money
    revenue: np.ndarray  # money, the most each budget buys
    leads: np.ndarray  # (budgets, channels): the leads over the period that get it


def _arrays(channels: Sequence[Channel]) -> tuple[np.ndarray, ...]:
    value = np.array([c.revenue_per_lead for c in channels])
    cost = np.array([c.cost_per_lead for c in channels])
    low = np.array([c.minimum for c in channels])
    high = np.array([c.capacity for c in channels])
    return value, cost, low, high


def shares_mix(
    channels: Sequence[Channel],
    months: Sequence[str],
    needed: np.ndarray,
    shares: Sequence[float] | np.ndarray,
) -> ChannelPlan:
    """The leads each month in fixed `shares` (fractions summing to 1, e.g. history's), as
    many as bring each month's `needed` revenue (money, one per month)."""
    share = np.asarray(shares, dtype=float)
    if share.shape != (len(channels),) or (share < 0).any() or abs(share.sum() - 1) > 1e-9:
        raise InputError(
            f"'shares' must give each of the {len(channels)} channels a share, none negative, "
            f"summing to 1 (got {', '.join(f'{s:g}' for s in share)})"
        )
    value, *_ = _arrays(channels)
    total = np.asarray(needed, dtype=float) / float(share @ value)  # leads a month, all channels
    return channel_plan(channels, months, np.outer(share, total))


def least_cost_mix(
    channels: Sequence[Channel], months: Sequence[str], needed: np.ndarray
) -> ChannelPlan:
    """The leads per channel and month that bring each month's `needed` revenue (money) at
    the least spend, within every channel's minimum and capacity. A need beyond what every
    channel at capacity brings raises InputError saying which month and which capacities bind."""
    value, cost, low, high = _arrays(channels)
    needed = np.asarray(needed, dtype=float)
    reachable = float(high @ value)
    short = np.flatnonzero(needed > reachable * (1 + 1e-12))
    if len(short):
        raise InputError(_beyond_capacity(channels, months[short[0]], needed[short[0]], reachable))
    return channel_plan(channels, months, _cheapest(value, cost, low, high, needed).T)


def _cheapest(
    value: np.ndarray, cost: np.ndarray, low: np.ndarray, high: np.ndarray, needed: np.ndarray
) -> np.ndarray:
    """(needs, channels): the leads that bring each need (in `value`'s unit) at the least cost,
    the minimums first, then the cheapest value, each channel up to its capacity."""
    order = np.argsort(cost / value, kind="stable")  # cheapest value first
    room = (high - low)[order] * value[order]  # value each channel can add above its minimum
    start = np.concatenate(([0.0], np.cumsum(room)[:-1]))  # value before each channel fills
    rest = np.maximum(needed - float(low @ value), 0.0)  # after the minimums
    added = np.clip(rest[:, np.newaxis] - start, 0.0, room)  # (needs, channels) in order
    leads = np.empty((len(needed), len(value)))
    leads[:, order] = low[order] + added / value[order]
    return leads


def cheapest_spend(
    channels: Sequence[Channel], stage: int, volume: float, months: int
) -> float | None:
    """The least spend that brings `volume` of the funnel's stage number `stage` (0: leads)
    from the channels over `months` months, within their capacities and minimums; None when
    even every channel at capacity cannot."""
    _, cost, low, high = _arrays(channels)
    value = np.array([c.cumulative[stage] for c in channels])
    low, high = low * months, high * months
    if volume > float(high @ value) * (1 + 1e-12):
        return None
    return float(_cheapest(value, cost, low, high, np.array([volume]))[0] @ cost)


def _beyond_capacity(
    channels: Sequence[Channel], month: str, needed: float, reachable: float
) -> str:
    at_capacity = ", ".join(
        f"{c.name} {c.capacity:,.0f} leads a month bringing {c.capacity * c.revenue_per_lead:,.0f}"
        for c in sorted(channels, key=lambda c: -c.capacity * c.revenue_per_lead)
    )
    return (
        f"The leads of {month} must bring {needed:,.0f} of revenue, but every channel at its "
        f"capacity brings {reachable:,.0f} ({at_capacity}): raise a channel's capacity "
        f"('capacity_multiple'), add a channel, or lower the goal"
    )


def budget_frontier(channels: Sequence[Channel], budgets: np.ndarray, months: int = 1) -> Frontier:
    """For each budget (money, over `months` months), the most revenue its leads bring and the
    leads per channel that bring it: the minimums first, then the most revenue per unit of
    spend, each channel up to its capacity. A budget below the minimums' spend raises."""
    value, cost, low, high = _arrays(channels)
    low, high = low * months, high * months
    budgets = np.asarray(budgets, dtype=float)
    floor = float(low @ cost)
    if (budgets < floor * (1 - 1e-12)).any():
        raise InputError(
            f"a budget of {budgets.min():,.0f} is below the {floor:,.0f} the channels' minimums "
            f"cost over {months} month{'s' * (months != 1)}"
        )
    free = cost == 0
    order = np.argsort(-np.where(free, np.inf, value / np.where(free, 1, cost)), kind="stable")
    room = ((high - low) * cost)[order]  # spend each channel can take above its minimum
    room = np.where(free[order], 0.0, room)  # a free channel is filled to capacity anyway
    start = np.concatenate(([0.0], np.cumsum(room)[:-1]))
    spent = np.clip((budgets - floor)[:, np.newaxis] - start, 0.0, room)  # (budgets, channels)
    extra = np.divide(spent, cost[order], out=np.zeros_like(spent), where=~free[order])
    leads = np.empty((len(budgets), len(channels)))
    leads[:, order] = low[order] + np.where(free[order], (high - low)[order], extra)
    if np.isinf(leads).any():
        raise InputError("a channel that costs nothing needs a finite 'capacity'")
    return Frontier(budgets, leads @ value, leads)


def most_revenue_for(channels: Sequence[Channel], budget: float, months: int = 1) -> Frontier:
    """`budget_frontier` for one budget."""
    return budget_frontier(channels, np.array([budget]), months)
