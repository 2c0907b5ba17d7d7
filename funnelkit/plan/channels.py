"""A plan by channel: how many leads each channel brings in each month, and what follows from
them (MQLs, customers, revenue, spend, cost per lead, CAC, payback).

A `Channel` is one source of leads with its own funnel (step rates), deal size and cost per
lead, and the most (`capacity`) and least (`minimum`) leads a month it can bring. The leads of
month t become revenue later, after the funnel's lags; `channel_plan` takes the leads per
channel and lead month as given (see `funnelkit.plan.mix` for choosing them) and spends in
the lead month: January's customers need November's spend when the funnel takes two months.
A plan may ask a channel for more than its capacity or less than its minimum (a mix in fixed
shares does not look); `ChannelPlan.breaches` says where.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from funnelkit.core.exceptions import InputError
from funnelkit.core.validation import check_number


@dataclass(frozen=True)
class Channel:
    """One source of leads: its step rates (fractions, first stage to last), revenue per
    customer (money), cost per lead (money), and leads a month at most and at least."""

    name: str
    rates: tuple[float, ...]
    deal_size: float
    cost_per_lead: float
    capacity: float = math.inf  # leads a month
    minimum: float = 0.0  # leads a month

    def __post_init__(self) -> None:
        where = f" for channel {self.name!r}"
        for rate in self.rates:
            check_number("rates", rate, low=0, high=1, low_open=True, where=where)
        check_number("deal_size", self.deal_size, low=0, low_open=True, where=where)
        check_number("cost_per_lead", self.cost_per_lead, low=0, where=where)
        check_number("minimum", self.minimum, low=0, where=where)
        if not self.capacity >= self.minimum:
            raise InputError(
                f"'capacity'{where} must be at least its 'minimum' of {self.minimum:,.0f} "
                f"leads a month (got {self.capacity:,.0f})"
            )

    @property
    def cumulative(self) -> np.ndarray:
        """Share of leads reaching each stage, first stage (1) to last."""
        return np.cumprod((1.0, *self.rates))

    @property
    def revenue_per_lead(self) -> float:
        """Revenue a lead brings on average, money: lead→customer rate × deal size."""
        return float(self.cumulative[-1] * self.deal_size)


@dataclass(frozen=True)
class ChannelPlan:
    """Leads per channel and lead month, and what they bring and cost."""

    channels: tuple[Channel, ...]
    months: tuple[str, ...]  # lead months, 'YYYY-MM'
    leads: np.ndarray  # (channels, months), exact

    @property
    def revenue_by_month(self) -> np.ndarray:
        """(months,): the revenue each lead month's leads bring, all channels, money."""
        return np.array([c.revenue_per_lead for c in self.channels]) @ self.leads

    def breaches(self) -> list[str]:
        """Each channel asked for more leads in a month than its capacity, or fewer than its
        minimum, in words (a mix in given shares can ask for either)."""
        found = []
        for c, row in zip(self.channels, self.leads, strict=True):
            for month, n in zip(self.months, row, strict=True):
                if n > c.capacity * (1 + 1e-9):
                    found.append(
                        f"{c.name}: {n:,.0f} leads in {month}, beyond its capacity of "
                        f"{c.capacity:,.0f} a month"
                    )
                elif n < c.minimum * (1 - 1e-9):
                    found.append(
                        f"{c.name}: {n:,.0f} leads in {month}, below its minimum of "
                        f"{c.minimum:,.0f} a month"
                    )
        return found

    @property
    def stage_volumes(self) -> np.ndarray:
        """(channels, stages): the volume reaching each stage from the period's leads."""
        return np.array(
            [
                lead * c.cumulative
                for c, lead in zip(self.channels, self.leads.sum(axis=1), strict=True)
            ]
        )

    @property
    def customers(self) -> np.ndarray:
        """Customers per channel from the period's leads."""
        return self.stage_volumes[:, -1]

    @property
    def revenue(self) -> np.ndarray:
        """Revenue per channel from the period's leads, money."""
        return self.customers * np.array([c.deal_size for c in self.channels])

    @property
    def spend(self) -> np.ndarray:
        """(channels, months): spend per channel in each lead month, money."""
        return self.leads * np.array([[c.cost_per_lead] for c in self.channels])

    @property
    def cac(self) -> np.ndarray:
        """Cost per customer acquired per channel (spend / customers), money; NaN without any."""
        customers = self.customers
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(customers > 0, self.spend.sum(axis=1) / customers, np.nan)

    @property
    def revenue_per_spend(self) -> np.ndarray:
        """Revenue per unit of spend, per channel; NaN for a channel that costs nothing."""
        spend = self.spend.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(spend > 0, self.revenue / spend, np.nan)


def blended(
    channels: Sequence[Channel], shares: Sequence[float]
) -> tuple[tuple[float, ...], float]:
    """The one funnel the channels make in `shares` of the leads: each step's rate (the
    stage volumes' ratio, Σ share × reached) and the deal size (revenue per customer)."""
    share = np.asarray(shares, dtype=float)
    reached = share @ np.array([c.cumulative for c in channels])  # per stage, per lead
    revenue = sum(s * c.revenue_per_lead for s, c in zip(share, channels, strict=True))
    return tuple(float(r) for r in reached[1:] / reached[:-1]), float(revenue / reached[-1])


def payback_months(cac: float, monthly_revenue: float, gross_margin: float) -> float:
    """Months of a customer's gross profit that repay what acquiring them cost: CAC /
    (monthly revenue per customer × gross margin)."""
    check_number("gross_margin", gross_margin, low=0, high=1, low_open=True)
    check_number("monthly_revenue", monthly_revenue, low=0, low_open=True)
    return cac / (monthly_revenue * gross_margin)


def channel_plan(
    channels: Sequence[Channel], months: Sequence[str], leads: np.ndarray
) -> ChannelPlan:
    """The plan for `leads` (channels × lead months)."""
    leads = np.asarray(leads, dtype=float)
    if leads.shape != (len(channels), len(months)):
        raise InputError(
            f"'leads' must have one row per channel and one column per month "
            f"({len(channels)} × {len(months)}; got {' × '.join(map(str, leads.shape))})"
        )
    return ChannelPlan(tuple(channels), tuple(months), leads)
