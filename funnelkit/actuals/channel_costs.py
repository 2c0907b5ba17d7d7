"""What each channel's leads cost, measured on history: a costs file's spend against the
leads the lead table says each channel brought in the same months.

Over the months the costs file covers (and the lead table has leads in), per channel: the
spend, the leads created, how many of them reached the second stage (MQLs) and the last
(customers); cost per lead, per MQL and per customer (CAC) are spend over each. Recent
months' leads have not all converted yet, so per-MQL and per-customer costs of a table taken
soon after are high; cost per lead is what the plan uses (its funnel gives the rest).

`history_channels` turns the measured funnels (`actuals.segments`) and costs into the plan's
`Channel`s, each able to bring at most `capacity_multiple` times the most leads it brought in
any month.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from funnelkit.actuals.segments import SegmentFunnels
from funnelkit.core.exceptions import InputError
from funnelkit.crm.costs import Costs
from funnelkit.crm.fields import stage_field
from funnelkit.crm.leads import LeadTable
from funnelkit.plan.channels import Channel

CAPACITY_MULTIPLE = 2.0  # a channel can bring this many times its best month's leads


@dataclass(frozen=True)
class ChannelCosts:
    """Per channel (rows): spend, leads, MQLs, customers and the costs per each; the channels
    the costs file names that brought no lead in the table, and the months measured."""

    frame: pd.DataFrame
    unmatched: tuple[str, ...]
    months: pd.PeriodIndex


def channel_costs(table: LeadTable, costs: Costs, by: str = "source") -> ChannelCosts:
    """Cost per lead, MQL and customer of each channel the costs file and the table share."""
    leads = table.leads
    if by not in leads:
        raise InputError(f"'channels.by' must be a column of {table.source} (got {by!r})")
    created = leads[stage_field(table.stages[0])]
    if created.isna().all():
        raise InputError(
            f"{table.source}: no lead has a '{table.stages[0]}' time, so leads cannot be matched "
            f"to the months of {costs.source}"
        )
    month = created.dt.to_period("M")
    months = pd.PeriodIndex(sorted(set(costs.spend["month"]) & set(month.dropna())), freq="M")
    if len(months) == 0:
        raise InputError(
            f"{costs.source}: none of its months has leads in {table.source} "
            f"(costs {costs.spend['month'].min()} to {costs.spend['month'].max()}, "
            f"leads {month.min()} to {month.max()})"
        )
    channel = leads[by].astype("string")
    inside = month.isin(months).to_numpy() & channel.notna().to_numpy()
    reached = table.reached()
    counted = (
        pd.DataFrame(
            {
                "channel": channel[inside].to_numpy(),
                "leads": 1,
                "mqls": reached[table.stages[1]].to_numpy()[inside],
                "customers": reached[table.stages[-1]].to_numpy()[inside],
            }
        )
        .groupby("channel")
        .sum()
    )
    spent = costs.spend[costs.spend["month"].isin(months)].groupby("channel")["spend"].sum()
    shared = sorted(set(spent.index) & set(counted.index))
    frame = counted.loc[shared].assign(spend=spent.loc[shared])
    with np.errstate(divide="ignore", invalid="ignore"):
        for column, per in (
            ("cost_per_lead", "leads"),
            ("cost_per_mql", "mqls"),
            ("cac", "customers"),
        ):
            frame[column] = np.where(frame[per] > 0, frame["spend"] / frame[per], np.nan)
    unmatched = tuple(sorted(set(spent.index) - set(counted.index)))
    return ChannelCosts(frame.reset_index(), unmatched, months)


def history_channels(
    table: LeadTable,
    funnels: SegmentFunnels,
    costs: ChannelCosts,
    capacity_multiple: float = CAPACITY_MULTIPLE,
) -> list[Channel]:
    """The plan's channels as history measured them: each segment with a measured cost per
    lead, its pooled rates and deal size, and a capacity of `capacity_multiple` times the most
    leads it brought in one month."""
    if capacity_multiple <= 0:
        raise InputError(f"'capacity_multiple' must be above 0 (got {capacity_multiple:g})")
    month = table.leads[stage_field(table.stages[0])].dt.to_period("M")
    per_month = (
        pd.DataFrame({"channel": table.leads[funnels.by].astype("string"), "month": month})
        .dropna()
        .value_counts()
        .groupby(level="channel")
        .max()
    )
    priced = costs.frame.set_index("channel")["cost_per_lead"]
    channels = []
    for i, name in enumerate(funnels.segments):
        if name in priced.index and np.isfinite(priced[name]):
            channels.append(
                Channel(
                    name,
                    tuple(float(r) for r in funnels.rates[i]),
                    float(funnels.deal_sizes[i]),
                    float(priced[name]),
                    capacity=capacity_multiple * float(per_month.get(name, 0)),
                )
            )
    return channels
