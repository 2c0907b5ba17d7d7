"""What each channel's leads cost, measured on history: a costs file's spend against the
leads the lead table says each channel brought in the same months.

Per channel, over the months the costs file prices it and the lead table has its leads: the
spend, the leads created, how many of them reached the second stage (MQLs) and the last
(customers); cost per lead, per MQL and per customer (CAC) are spend over each. A month
priced without the channel's leads, or a channel that brought none, is left out and said. Recent
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

from funnelkit.actuals.segments import SegmentFunnels, check_segment_column
from funnelkit.core.exceptions import InputError
from funnelkit.crm.costs import Costs
from funnelkit.crm.fields import stage_field
from funnelkit.crm.leads import LeadTable
from funnelkit.plan.channels import Channel

CAPACITY_MULTIPLE = 2.0  # a channel can bring this many times its best month's leads


@dataclass(frozen=True)
class ChannelCosts:
    """Per channel (rows): spend, leads, MQLs, customers and the costs per each, over the
    months the costs file prices the channel and the table has its leads; what was left out."""

    frame: pd.DataFrame
    unmatched: tuple[str, ...]  # channels the costs file prices that brought no lead at all
    unused: tuple[str, ...]  # 'channel month' spends with no lead of the channel that month
    months: pd.PeriodIndex  # the months measured, first to last

    def notes(self) -> list[str]:
        """What was left out of the measure, in words ([] when nothing was)."""
        out = []
        if self.unmatched:
            out.append(
                f"spend on channels that brought no lead, left out: {', '.join(self.unmatched)}"
            )
        if self.unused:
            listed = ", ".join(self.unused[:5]) + (", …" if len(self.unused) > 5 else "")
            out.append(
                f"spend in {len(self.unused)} month{'s' * (len(self.unused) != 1)} without the "
                f"channel's leads, left out: {listed}"
            )
        return out


def channel_costs(table: LeadTable, costs: Costs, by: str = "source") -> ChannelCosts:
    """Cost per lead, MQL and customer of each channel, over the months both files have it:
    a channel's spend in a month counts against its leads created that month."""
    leads = table.leads
    check_segment_column(table, by)
    created = leads[stage_field(table.stages[0])]
    if created.isna().all():
        raise InputError(
            f"{table.source}: no lead has a '{table.stages[0]}' time, so leads cannot be matched "
            f"to the months of {costs.source}"
        )
    reached = table.reached()
    counted = (
        pd.DataFrame(
            {
                "channel": leads[by].astype("string"),
                "month": created.dt.to_period("M"),
                "leads": 1,
                "mqls": reached[table.stages[1]].to_numpy(),
                "customers": reached[table.stages[-1]].to_numpy(),
            }
        )
        .dropna(subset=["channel", "month"])
        .groupby(["channel", "month"])
        .sum()
    )
    channels = set(counted.index.get_level_values("channel"))
    priced = costs.spend.set_index(["channel", "month"])["spend"]
    if not set(priced.index.get_level_values("channel")) & channels:
        values = sorted(channels)
        listed = ", ".join(repr(v) for v in values[:10]) + (", …" if len(values) > 10 else "")
        raise InputError(
            f"{costs.source}: none of its channels ({', '.join(map(repr, costs.channels))}) is a "
            f"value of the leads' {by!r} ({listed}); names must match exactly, case included"
        )
    joined = counted.join(priced, how="inner")
    if joined.empty:
        raise InputError(
            f"{costs.source}: no channel has spend in a month it brought leads "
            f"(costs {costs.spend['month'].min()} to {costs.spend['month'].max()}, leads "
            f"{counted.index.get_level_values('month').min()} to "
            f"{counted.index.get_level_values('month').max()})"
        )
    frame = joined.groupby(level="channel").sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        for column, per in (
            ("cost_per_lead", "leads"),
            ("cost_per_mql", "mqls"),
            ("cac", "customers"),
        ):
            frame[column] = np.where(frame[per] > 0, frame["spend"] / frame[per], np.nan)
    unused = priced.index.difference(counted.index)
    months = joined.index.get_level_values("month")
    return ChannelCosts(
        frame.reset_index(),
        tuple(sorted(set(priced.index.get_level_values("channel")) - channels)),
        tuple(f"{c} {m}" for c, m in unused if c in channels),
        pd.period_range(months.min(), months.max(), freq="M"),
    )


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
