"""Sales follow-up against the SLA, measured: speed to first touch, touches, pacing.

The response time runs from the hand-off (the lead's owner assignment when the export has
it, else the time it reached the hand-off stage) to the first sales touch; exports that
carry only a response time (HubSpot's "Lead response time") use that. A touch before the
hand-off counts as immediate. A lead not yet touched whose window has not yet run out at
`as_of` is *pending*: not a breach, and not in the share.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from funnelkit.actuals import engine, queries
from funnelkit.actuals.measures import (
    PERIODS,
    as_periods,
    checked_as_of,
    group_columns,
    keyed,
    named_groups,
    stage_volumes,
)
from funnelkit.core.exceptions import InputError
from funnelkit.core.types import DateLike
from funnelkit.core.validation import check_choice, check_number
from funnelkit.crm.fields import ID
from funnelkit.crm.leads import LeadTable
from funnelkit.plan.pacing import Pacing, pacing
from funnelkit.plan.phasing import parse_month

SLA_WINDOW_MINUTES = (
    60.0  # the first-touch window an SLA share is measured against unless a goal gives one
)


# each measure's frame's columns of its own, besides its groups (`measures.group_columns`)
SLA_COLUMNS = ("period", "handed_off", "touched", "within_window", "pending", "share_within")
CADENCE_COLUMNS = ("handed_off", "mean_touches", "full_cadence", "share_full_cadence")


def touches_recorded(table: LeadTable) -> bool:
    """Whether the export records first touches (a time or a response time), without which
    follow-up within the SLA cannot be measured."""
    leads = table.leads
    return any(c in leads and leads[c].notna().any() for c in ("first_touch_at", "response_time"))


def response_minutes(table: LeadTable, handoff_stage: str = "mql") -> pd.Series:
    """Minutes from hand-off to first touch per lead (NaN when not handed off or not touched);
    the hand-off is the owner assignment when the export has it, else the stage time."""
    check_choice("handoff_stage", handoff_stage, table.stages)
    times = engine.measure(table, queries.response_times, handoff_stage)
    minutes = np.full(len(table.leads), np.nan)
    minutes[times[queries.ROW].to_numpy()] = times["minutes"].to_numpy(float)
    return pd.Series(minutes, index=table.leads.index)


def sla_compliance(
    table: LeadTable,
    window_minutes: float,
    handoff_stage: str = "mql",
    period: str = "month",
    by: str | None = "owner",
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """Per period (and owner): leads handed off, touched, touched within the window, pending,
    and the share within the window of those not pending."""
    check_number("window_minutes", window_minutes, low=0, low_open=True)
    check_choice("handoff_stage", handoff_stage, table.stages)
    check_choice("period", period, tuple(PERIODS))
    groups = group_columns(table, by, SLA_COLUMNS)
    as_of = checked_as_of(table, as_of)
    agg = engine.measure(
        table,
        queries.sla_counts,
        window_minutes,
        handoff_stage,
        period,
        tuple(groups),
        as_of.to_pydatetime(),
    )
    named_groups(agg, table, groups)
    agg = agg.sort_values(["period", *groups]).reset_index(drop=True)
    keyed(agg, table, groups, period)
    counts = ["handed_off", "touched", "within_window", "pending"]
    agg = agg.astype(dict.fromkeys(counts, "int64"))
    agg["share_within"] = agg["within_window"] / (agg["handed_off"] - agg["pending"])
    return agg[["period", *groups, *counts, "share_within"]]


def sla_breaches(
    table: LeadTable,
    window_minutes: float,
    handoff_stage: str = "mql",
    as_of: DateLike | None = None,
) -> pd.DataFrame:
    """Every lead touched later than the window, or not touched once the window ran out:
    id, owner, hand-off, first touch, minutes to touch and minutes late, latest first. Only
    these rows and columns come back from the engine."""
    check_number("window_minutes", window_minutes, low=0, low_open=True)
    check_choice("handoff_stage", handoff_stage, table.stages)
    as_of = checked_as_of(table, as_of)
    out = engine.measure(
        table, queries.breaches, window_minutes, handoff_stage, as_of.to_pydatetime()
    )
    for column in ("handed_off_at", "first_touch_at"):
        out[column] = out[column].astype("datetime64[s]")
    keyed(out, table, [c for c in (ID, "owner") if c in table.leads], None)
    return out


def followed_up_same_month(table: LeadTable, handoff_stage: str = "mql") -> pd.DataFrame:
    """Per month (article 004): leads passed to sales, how many sales followed up within that
    same calendar month, and the share."""
    check_choice("handoff_stage", handoff_stage, table.stages)
    if "first_touch_at" not in table.leads:
        raise InputError(
            "'followed_up_same_month' needs first touch times (the export has no 'first_touch_at')"
        )
    out = engine.measure(table, queries.same_month_follow_ups, handoff_stage)
    out = out.sort_values("month").reset_index(drop=True)
    out["month"] = as_periods(out["month"].astype("datetime64[s]"), "month")
    out = out.astype({"passed": "int64", "followed_up": "int64"})
    out["share"] = out["followed_up"] / out["passed"]
    return out[["month", "passed", "followed_up", "share"]]


def cadence_adherence(
    table: LeadTable, touches_per_lead: int, handoff_stage: str = "mql", by: str | None = "owner"
) -> pd.DataFrame:
    """Per owner: leads handed off, mean touches, and the share given the cadence's touches."""
    check_number("touches_per_lead", touches_per_lead, low=1)
    check_choice("handoff_stage", handoff_stage, table.stages)
    if "touches" not in table.leads:
        raise InputError("'cadence_adherence' needs touch counts (the export has no 'touches')")
    groups = group_columns(table, by, CADENCE_COLUMNS)
    agg = engine.measure(
        table, queries.cadence_counts, touches_per_lead, handoff_stage, tuple(groups)
    )
    agg = agg[agg["handed_off"] > 0]  # no hand-offs at all: no row, as for an empty group
    named_groups(agg, table, groups)
    agg = agg.sort_values(groups) if groups else agg
    keyed(agg, table, groups, None)
    agg = agg.astype({"handed_off": "int64", "full_cadence": "int64", "mean_touches": "float64"})
    agg["share_full_cadence"] = agg["full_cadence"] / agg["handed_off"]
    columns = [*groups, "handed_off", "mean_touches", "full_cadence", "share_full_cadence"]
    return agg[columns].reset_index(drop=True)


def stage_pacing(
    table: LeadTable,
    stage: str,
    goal: float,
    month: DateLike,
    as_of: DateLike | None = None,
    basis: str = "calendar",
    holidays: Sequence[dt.date] = (),
) -> Pacing:
    """Daily cumulative entries into `stage` in `month`, paced against the month's goal."""
    check_choice("stage", stage, table.stages)
    first = parse_month(month, "month")
    as_of = checked_as_of(table, as_of)
    last_day = min(
        as_of.normalize(),
        pd.Timestamp((first.astype("datetime64[M]") + 1).astype("datetime64[D]"))
        - pd.Timedelta(days=1),
    )
    entered = stage_volumes(table, "day")
    entered = entered[entered["stage"] == stage]
    days = entered["period"].dt.start_time
    in_month = (days >= pd.Timestamp(first)) & (days <= last_day)
    counts = pd.Series(entered["count"].to_numpy()[in_month], index=days[in_month].to_numpy())
    return pacing(goal, month, counts, last_day, basis=basis, holidays=holidays)
