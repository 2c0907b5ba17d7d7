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
from funnelkit.actuals.measures import PERIODS, as_periods
from funnelkit.core.exceptions import InputError
from funnelkit.core.types import DateLike
from funnelkit.core.validation import check_choice, check_number
from funnelkit.crm.fields import ID, stage_field
from funnelkit.crm.leads import LeadTable
from funnelkit.plan.pacing import Pacing, pacing
from funnelkit.plan.phasing import parse_month

SECONDS_PER_MINUTE = 60.0
SLA_WINDOW_MINUTES = (
    60.0  # the first-touch window an SLA share is measured against unless a goal gives one
)


def handoff_times(table: LeadTable, handoff_stage: str = "mql") -> pd.Series:
    """When each lead was handed to sales: owner assignment if known, else the stage time."""
    check_choice("handoff_stage", handoff_stage, table.stages)
    at = table.leads[stage_field(handoff_stage)]
    if "assigned_at" in table.leads:
        at = table.leads["assigned_at"].where(table.leads["assigned_at"].notna(), at)
    return at


def touches_recorded(table: LeadTable) -> bool:
    """Whether the export records first touches (a time or a response time), without which
    follow-up within the SLA cannot be measured."""
    leads = table.leads
    return any(c in leads and leads[c].notna().any() for c in ("first_touch_at", "response_time"))


def response_minutes(table: LeadTable, handoff_stage: str = "mql") -> pd.Series:
    """Minutes from hand-off to first touch per lead (NaN when not handed off or not touched)."""
    leads = table.leads
    start = handoff_times(table, handoff_stage)
    minutes = pd.Series(np.nan, index=leads.index)
    if "first_touch_at" in leads:
        minutes = (leads["first_touch_at"] - start).dt.total_seconds() / SECONDS_PER_MINUTE
    if "response_time" in leads:
        exported = leads["response_time"].dt.total_seconds() / SECONDS_PER_MINUTE
        minutes = minutes.where(minutes.notna(), exported.where(start.notna()))
    return minutes.clip(lower=0)


def _sla_frame(
    table: LeadTable, window_minutes: float, handoff_stage: str, as_of: DateLike | None
) -> pd.DataFrame:
    check_number("window_minutes", window_minutes, low=0, low_open=True)
    as_of = table.as_of if as_of is None else pd.Timestamp(as_of)
    start = handoff_times(table, handoff_stage)
    minutes = response_minutes(table, handoff_stage)
    waited = (as_of - start).dt.total_seconds() / SECONDS_PER_MINUTE
    frame = pd.DataFrame({"handed_off_at": start, "minutes": minutes}).loc[start.notna()]
    frame["touched"] = frame["minutes"].notna()
    frame["within"] = frame["minutes"] <= window_minutes
    frame["pending"] = ~frame["touched"] & (waited[frame.index] <= window_minutes)
    frame["late_by"] = (
        np.where(frame["touched"], frame["minutes"], waited[frame.index]) - window_minutes
    )
    return frame


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
    groups = []
    if by is not None:
        check_choice("by", by, tuple(table.leads.columns))
        groups.append(by)
    as_of = table.as_of if as_of is None else pd.Timestamp(as_of)
    agg = engine.measure(
        table,
        queries.sla_counts,
        window_minutes,
        handoff_stage,
        period,
        tuple(groups),
        as_of.to_pydatetime(),
    )
    agg = agg.sort_values(["period", *groups]).reset_index(drop=True)
    agg["period"] = as_periods(agg["period"].astype("datetime64[s]"), period)
    for name in groups:
        agg[name] = agg[name].astype(table.leads[name].dtype)
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
    id, owner, hand-off, first touch, minutes to touch and minutes late, latest first."""
    frame = _sla_frame(table, window_minutes, handoff_stage, as_of)
    late = frame.loc[~frame["within"] & ~frame["pending"]]
    leads = table.leads.loc[late.index]
    out = pd.DataFrame(
        {
            ID: leads[ID],
            "owner": leads.get("owner", pd.NA),
            "handed_off_at": late["handed_off_at"],
            "first_touch_at": leads.get("first_touch_at", pd.NaT),
            "minutes_to_touch": late["minutes"],
            "minutes_late": late["late_by"],
        }
    )
    return out.sort_values("minutes_late", ascending=False).reset_index(drop=True)


def followed_up_same_month(table: LeadTable, handoff_stage: str = "mql") -> pd.DataFrame:
    """Per month (article 004): leads passed to sales, how many sales followed up within that
    same calendar month, and the share."""
    start = handoff_times(table, handoff_stage)
    if "first_touch_at" not in table.leads:
        raise InputError(
            "'followed_up_same_month' needs first touch times (the export has no 'first_touch_at')"
        )
    touch = table.leads["first_touch_at"]
    passed = start.notna()
    month = start[passed].dt.to_period("M")
    same = (touch[passed].dt.to_period("M") == month) & touch[passed].notna()
    out = (
        pd.DataFrame({"month": month, "followed_up": same})
        .groupby("month")
        .agg(passed=("followed_up", "size"), followed_up=("followed_up", "sum"))
    )
    out["share"] = out["followed_up"] / out["passed"]
    return out.reset_index()


def cadence_adherence(
    table: LeadTable, touches_per_lead: int, handoff_stage: str = "mql", by: str | None = "owner"
) -> pd.DataFrame:
    """Per owner: leads handed off, mean touches, and the share given the cadence's touches."""
    check_number("touches_per_lead", touches_per_lead, low=1)
    if "touches" not in table.leads:
        raise InputError("'cadence_adherence' needs touch counts (the export has no 'touches')")
    passed = handoff_times(table, handoff_stage).notna()
    frame = table.leads.loc[passed, [c for c in (by, "touches") if c]].copy()
    frame["full"] = frame["touches"] >= touches_per_lead
    groups = [by] if by else []
    grouped = (
        frame.groupby(groups, observed=True, dropna=False)
        if groups
        else frame.groupby(lambda _: "all")
    )
    agg = grouped.agg(
        handed_off=("full", "size"), mean_touches=("touches", "mean"), full_cadence=("full", "sum")
    )
    agg["share_full_cadence"] = agg["full_cadence"] / agg["handed_off"]
    return agg.reset_index(drop=not groups)


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
    as_of = table.as_of if as_of is None else pd.Timestamp(as_of)
    last_day = min(
        as_of.normalize(),
        pd.Timestamp((first.astype("datetime64[M]") + 1).astype("datetime64[D]"))
        - pd.Timedelta(days=1),
    )
    times = table.leads[stage_field(stage)]
    days = times[
        (times >= pd.Timestamp(first)) & (times < last_day + pd.Timedelta(days=1))
    ].dt.normalize()
    return pacing(
        goal, month, days.value_counts().sort_index(), last_day, basis=basis, holidays=holidays
    )
