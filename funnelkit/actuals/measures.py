"""Measuring the real funnel from a lead table: volumes, conversion, velocity, leakage.

Conversion is measured two ways. *Flow*: per period, how many entered the next stage against
how many entered this one (counts in the same period). *Cohort*: of the leads that entered a
stage in a period, how many ever reached the next one. A cohort is *mature* once the period
ended at least the step's maturity (by default the 90th percentile of its observed days)
before `as_of`; an immature cohort's low rate means "not yet", not "worse".

Stage times count only where a lead has both times in order (`crm` reports the rest).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from funnelkit.core.types import DateLike
from funnelkit.core.validation import check_choice
from funnelkit.crm.fields import stage_field
from funnelkit.crm.leads import LeadTable
from funnelkit.plan.funnel import step_name

PERIODS: dict[str, str] = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q"}
MATURITY_QUANTILE = 0.9  # a cohort is mature after this quantile of the step's observed days
SECONDS_PER_DAY = 86_400.0


def period_floor(times: pd.Series, period: str) -> np.ndarray:
    """The first day of each time's period (datetime64[D]; NaT stays NaT). Grouping by these
    numbers is much quicker than by pandas Periods; `as_periods` turns the few keys back."""
    check_choice("period", period, tuple(PERIODS))
    days = times.to_numpy(dtype="datetime64[D]")
    if period == "day":
        return days
    if period == "week":  # weeks run Monday to Sunday; 1970-01-01 was a Thursday
        number = days.view(np.int64)
        floors = (number - (number + 3) % 7).view("datetime64[D]")
    else:  # each day's month found among the months' first days (quicker than the calendar)
        dated = days[~np.isnat(days)]
        if len(dated) == 0:
            return days
        span = np.arange(
            dated.min().astype("datetime64[M]"), dated.max().astype("datetime64[M]") + 1
        )
        if period == "quarter":
            span = np.unique(span - span.view(np.int64) % 3)
        starts = span.astype("datetime64[D]")
        at = np.searchsorted(starts.view(np.int64), days.view(np.int64), side="right") - 1
        floors = starts[np.clip(at, 0, len(starts) - 1)]
    return np.where(np.isnat(days), np.datetime64("NaT", "D"), floors)


def as_periods(floors: pd.Series, period: str) -> pd.PeriodIndex:
    """Period keys (first days, from `period_floor`) as pandas Periods."""
    return pd.PeriodIndex(pd.DatetimeIndex(floors), freq=PERIODS[period])


def _groups(table: LeadTable, by: str | None) -> list[str]:
    if by is None:
        return []
    check_choice(
        "by", by, tuple(c for c in table.leads.columns if table.leads[c].dtype.kind not in "Mmf")
    )
    return [by]


def _as_of(table: LeadTable, as_of: DateLike | None) -> pd.Timestamp:
    return table.as_of if as_of is None else pd.Timestamp(as_of)


def step_days(table: LeadTable, a: str, b: str) -> pd.Series:
    """Days from stage `a` to stage `b` for leads with both times in order (index: lead row)."""
    leads = table.leads
    start, end = leads[stage_field(a)], leads[stage_field(b)]
    ok = start.notna() & end.notna() & (end >= start)
    return (end[ok] - start[ok]).dt.total_seconds() / SECONDS_PER_DAY


def stage_volumes(table: LeadTable, period: str = "month", by: str | None = None) -> pd.DataFrame:
    """How many leads entered each stage per period (by a column, optionally), tidy.

    Leads that reached a stage without a recorded time for it are not placed in a period.
    """
    groups = _groups(table, by)
    parts = []
    for stage in table.stages:
        floors = period_floor(table.leads[stage_field(stage)], period)
        dated = ~np.isnat(floors)
        frame = table.leads.loc[dated, groups].assign(period=floors[dated])
        counts = frame.groupby(["period", *groups], observed=True, dropna=False).size()
        parts.append(counts.rename("count").reset_index().assign(stage=stage))
    out = pd.concat(parts, ignore_index=True)
    out["period"] = as_periods(out["period"], period)
    out["stage"] = pd.Categorical(out["stage"], categories=list(table.stages), ordered=True)
    return (
        out[["period", *groups, "stage", "count"]]
        .sort_values(["period", *groups, "stage"])
        .reset_index(drop=True)
    )


def flow_conversion(table: LeadTable, period: str = "month", by: str | None = None) -> pd.DataFrame:
    """Per period and step: entered the stage, entered the next stage, and their ratio."""
    groups = _groups(table, by)
    wide = stage_volumes(table, period, by).pivot_table(
        index=["period", *groups], columns="stage", values="count", fill_value=0, observed=False
    )
    rows = []
    for a, b in zip(table.stages, table.stages[1:], strict=False):
        entered, nxt = wide.get(a, 0), wide.get(b, 0)
        frame = pd.DataFrame({"entered": entered, "entered_next": nxt}, index=wide.index).astype(
            "int64"
        )
        rows.append(frame.reset_index().assign(step=step_name(a, b)))
    out = pd.concat(rows, ignore_index=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["rate"] = np.where(out["entered"] > 0, out["entered_next"] / out["entered"], np.nan)
    return out[["period", *groups, "step", "entered", "entered_next", "rate"]]


def maturity_days(table: LeadTable, quantile: float = MATURITY_QUANTILE) -> dict[str, float]:
    """Per step, the days after which a cohort counts as mature (the quantile of observed days);
    NaN for a step with no dated pairs."""
    out = {}
    for a, b in zip(table.stages, table.stages[1:], strict=False):
        days = step_days(table, a, b)
        out[step_name(a, b)] = float(days.quantile(quantile)) if len(days) else float("nan")
    return out


def cohort_conversion(
    table: LeadTable,
    period: str = "month",
    by: str | None = None,
    as_of: DateLike | None = None,
    maturity: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Per entry period and step: of the leads that entered the stage then, how many ever
    reached the next; `mature` says whether the cohort has had time to convert."""
    groups = _groups(table, by)
    as_of = _as_of(table, as_of)
    maturity = maturity_days(table) if maturity is None else maturity
    reached = table.reached()
    rows = []
    for a, b in zip(table.stages, table.stages[1:], strict=False):
        step = step_name(a, b)
        floors = period_floor(table.leads[stage_field(a)], period)
        dated = ~np.isnat(floors)
        if groups:
            frame = table.leads.loc[dated, groups].assign(
                period=floors[dated], converted=reached.loc[dated, b]
            )
            agg = frame.groupby(["period", *groups], observed=True, dropna=False)["converted"].agg(
                ["size", "sum"]
            )
            agg = agg.rename(columns={"size": "entered", "sum": "converted"}).reset_index()
        else:  # one key, a day number: counted directly, much quicker than a group-by
            day = floors[dated].view(np.int64)
            first = int(day.min()) if len(day) else 0
            entered = np.bincount(day - first)
            converted = np.bincount(day - first, reached[b].to_numpy()[dated])
            seen = np.flatnonzero(entered)
            agg = pd.DataFrame(
                {
                    "period": (seen + first).astype("datetime64[D]"),
                    "entered": entered[seen],
                    "converted": converted[seen].astype(np.int64),
                }
            )
        agg["period"] = as_periods(agg["period"], period)
        ends = agg["period"].dt.end_time
        wait = maturity.get(step, float("nan"))
        agg["mature"] = (
            ends + pd.to_timedelta(wait if np.isfinite(wait) else 0, unit="D")
        ) <= as_of
        if not np.isfinite(wait):
            agg["mature"] = False
        rows.append(agg.assign(step=step))
    out = pd.concat(rows, ignore_index=True)
    out["rate"] = out["converted"] / out["entered"]
    return out[["period", *groups, "step", "entered", "converted", "rate", "mature"]]


def reached_counts(
    table: LeadTable, by: str | None = None, period: str | None = None
) -> pd.DataFrame:
    """How many leads reached each stage, with each stage's rate from the first (cumulative
    conversion) and to the next: overall, per group, and with `period` per cohort of leads
    created in the same period (leads without a creation time are then left out)."""
    groups = _groups(table, by)
    reached = table.reached()
    frame = pd.concat([table.leads[groups], reached], axis=1)
    if period is not None:
        floors = period_floor(table.leads[stage_field(table.stages[0])], period)
        frame = frame.assign(period=floors).loc[~np.isnat(floors)]
        groups = ["period", *groups]
    if groups:
        counts = frame.groupby(groups, observed=True, dropna=False)[list(table.stages)].sum()
    else:
        counts = reached.sum().to_frame().T
    rows = []
    for i, stage in enumerate(table.stages):
        part = pd.DataFrame({"stage": stage, "reached": counts[stage]})
        part["rate_from_first"] = counts[stage] / counts[table.stages[0]]
        following = counts[table.stages[i + 1]] if i + 1 < len(table.stages) else np.nan
        part["rate_to_next"] = following / counts[stage]
        rows.append(part)
    out = pd.concat(rows).reset_index(names=groups or None)
    out = out.drop(columns=["index"], errors="ignore")
    if period is not None:
        out["period"] = as_periods(out["period"], period)
        out = out.sort_values(["period", *groups[1:]], kind="stable")
    return out.reset_index(drop=True)


def win_rate(table: LeadTable, by: str | None = None) -> pd.DataFrame:
    """Won among closed (won + lost) and won among all, overall or per group."""
    groups = _groups(table, by)
    outcome = table.leads["outcome"]
    frame = table.leads[groups].assign(won=outcome == "won", lost=outcome == "lost")
    agg = (
        frame.groupby(groups, observed=True, dropna=False)[["won", "lost"]].sum()
        if groups
        else frame[["won", "lost"]].sum().to_frame().T
    )
    agg["leads"] = (
        frame.groupby(groups, observed=True, dropna=False).size() if groups else len(frame)
    )
    agg["won_among_closed"] = agg["won"] / (agg["won"] + agg["lost"])
    agg["won_among_all"] = agg["won"] / agg["leads"]
    return agg.reset_index(drop=not groups)


def velocity(table: LeadTable) -> pd.DataFrame:
    """Per step and for the whole cycle (first to last stage): count, median and mean days."""
    pairs = [
        *zip(table.stages, table.stages[1:], strict=False),
        (table.stages[0], table.stages[-1]),
    ]
    rows = []
    for a, b in pairs:
        days = step_days(table, a, b)
        rows.append((step_name(a, b), len(days), days.median(), days.mean()))
    if len(table.stages) == 2:
        rows.pop()
    return pd.DataFrame(rows, columns=["step", "count", "median_days", "mean_days"])


def leakage(
    table: LeadTable,
    by: str | None = "source",
    as_of: DateLike | None = None,
    stall_days: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Where leads stop, per stage (and group): of those who reached a stage, how many went on,
    were lost, stalled (open and in the stage longer than the step's maturity days), or are
    still in progress. The four add up to `reached`."""
    groups = _groups(table, by) if by in table.leads.columns else _groups(table, None)
    as_of = _as_of(table, as_of)
    stall = maturity_days(table) if stall_days is None else stall_days
    reached = table.reached()
    outcome = table.leads["outcome"]
    rows = []
    for a, b in zip(table.stages, table.stages[1:], strict=False):
        step = step_name(a, b)
        here = reached[a] & ~reached[b]
        waited = (as_of - table.leads[stage_field(a)]).dt.total_seconds() / SECONDS_PER_DAY
        limit = stall.get(step, float("nan"))
        stalled = (
            here & (outcome == "open") & (waited > limit) if np.isfinite(limit) else here & False
        )
        frame = table.leads[groups].assign(
            reached=reached[a],
            advanced=reached[b],
            lost=here & (outcome == "lost"),
            stalled=stalled,
            in_progress=here & (outcome == "open") & ~stalled,
        )
        cols = ["reached", "advanced", "lost", "stalled", "in_progress"]
        agg = (
            frame.groupby(groups, observed=True, dropna=False)[cols].sum()
            if groups
            else frame[cols].sum().to_frame().T
        )
        rows.append(agg.reset_index(drop=not groups).assign(stage=a, step=step))
    out = pd.concat(rows, ignore_index=True)
    return out[["stage", "step", *groups, "reached", "advanced", "lost", "stalled", "in_progress"]]
