"""Checking the forecast on history: forecast each quarter as of past days, using only what
the lead table knew then, and count how often the stated 80 % interval held the revenue that
was actually won.

What the table knew on a day: the leads created by then, the stage times up to then, and
won deals (with their amounts) closed by then. The export does not record when a lead was
lost, so on a past day every lead not yet won is open; the forecast's waiting-time rule
(a lead that waited longer than history's stage times is stalled) carries the rest.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from funnelkit.core.exceptions import InputError
from funnelkit.core.types import DateLike
from funnelkit.crm.fields import stage_field
from funnelkit.crm.leads import LeadTable
from funnelkit.forecast.simulation import (
    measure_history,
    open_pipeline,
    run_rate_arrivals,
    simulate,
    won_in,
)

CALIBRATION_TRIALS = 20_000


def known_on(table: LeadTable, day: DateLike) -> LeadTable:
    """The lead table as it stood at the end of `day`."""
    cut = pd.Timestamp(day).normalize() + pd.Timedelta(days=1)
    leads = table.leads
    created = leads[stage_field(table.stages[0])]
    leads = leads.loc[created.notna() & (created < cut)].copy()
    for column in leads.columns:
        if leads[column].dtype.kind == "M":
            leads.loc[leads[column] >= cut, column] = pd.NaT
    times = leads[table.stage_columns].notna().to_numpy()
    furthest = np.where(times.any(axis=1), times.shape[1] - 1 - times[:, ::-1].argmax(axis=1), 0)
    leads["stage"] = pd.Categorical.from_codes(furthest, categories=pd.Index(table.stages))
    won = leads[stage_field(table.stages[-1])].notna()
    leads["outcome"] = pd.Categorical(
        np.where(won, "won", "open"), categories=leads["outcome"].cat.categories
    )
    if "amount" in leads:
        leads.loc[~won, "amount"] = np.nan
    return dataclasses.replace(table, leads=leads, taken_at=cut - pd.Timedelta(seconds=1))


def quarter_of(day: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of the calendar quarter holding `day`."""
    period = pd.Period(day, "Q")
    return period.start_time.normalize(), period.end_time.normalize()


def calibrate(
    table: LeadTable, days: Sequence[DateLike], trials: int = CALIBRATION_TRIALS, seed: int = 0
) -> pd.DataFrame:
    """Forecast the quarter of each of `days` as of that day, against what was won.

    Columns: as_of, end, low, high (the 80 % interval of the quarter's revenue, money),
    expected, actual, held, and held_50 (whether the middle 50 % of outcomes held it). Each
    quarter must have ended by the table's as-of day."""
    rows = []
    for day in days:
        as_of = pd.Timestamp(day).normalize()
        start, end = quarter_of(as_of)
        if end >= table.as_of.normalize():
            raise InputError(
                f"'days' must fall in quarters that ended by the export's as-of day "
                f"{table.as_of.date()}, to be checked against what was won (got {as_of.date()})"
            )
        past = known_on(table, as_of)
        horizon = (end - as_of).days
        forecast = simulate(
            measure_history(past, past.as_of),
            open_pipeline(past, past.as_of),
            run_rate_arrivals(past, as_of, horizon),
            start,
            end,
            goal=0.0,
            trials=trials,
            seed=seed,
            to_date=won_in(past, start, as_of),
        )
        low, high = forecast.interval
        quarter_low, quarter_high = np.quantile(forecast.revenue, [0.25, 0.75])
        actual, _ = won_in(table, start, end)
        held_50 = bool(quarter_low <= actual <= quarter_high)
        rows.append((as_of, end, low, high, forecast.expected_revenue, actual, held_50))
    out = pd.DataFrame(
        rows, columns=["as_of", "end", "low", "high", "expected", "actual", "held_50"]
    )
    out["held"] = (out["actual"] >= out["low"]) & (out["actual"] <= out["high"])
    return out
