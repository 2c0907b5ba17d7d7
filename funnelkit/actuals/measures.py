"""Measuring the real funnel from a lead table: volumes, conversion, velocity, leakage.

Conversion is measured two ways. *Flow*: per period, how many entered the next stage against
how many entered this one (counts in the same period). *Cohort*: of the leads that entered a
stage in a period, how many ever reached the next one. A cohort is *mature* once the period
ended at least the step's maturity (by default the 90th percentile of its observed days)
before `as_of`; an immature cohort's low rate means "not yet", not "worse".

Stage times count only where a lead has both times in order (`crm` reports the rest).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real

import numpy as np
import pandas as pd

from funnelkit.actuals import engine, queries
from funnelkit.actuals.queries import SECONDS_PER_DAY
from funnelkit.core.exceptions import InputError
from funnelkit.core.types import DateLike
from funnelkit.core.validation import check_choice, short
from funnelkit.crm.fields import stage_field
from funnelkit.crm.leads import LeadTable
from funnelkit.plan.funnel import step_name

PERIODS: dict[str, str] = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q"}
MATURITY_QUANTILE = 0.9  # a cohort is mature after this quantile of the step's observed days


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


# each measure's frame's columns of its own, besides its groups: no group may be named so
VOLUME_COLUMNS = ("period", "stage", "count")
# flow conversion counts stage volumes first: their columns are taken too
FLOW_COLUMNS = ("period", "step", "entered", "entered_next", "rate", "stage", "count")
COHORT_COLUMNS = ("period", "step", "entered", "converted", "rate", "mature")
REACHED_COLUMNS = ("period", "stage", "reached", "rate_from_first", "rate_to_next")
WIN_COLUMNS = ("won", "lost", "leads", "won_among_closed", "won_among_all")
LEAK_COLUMNS = ("stage", "step", "reached", "advanced", "lost", "stalled", "in_progress")


def group_columns(table: LeadTable, by: str | None, made: Sequence[str]) -> list[str]:
    """The columns a measure groups by: none, or `by`, a column of the lead table holding
    text, categories or whole numbers (no times or fractions), not named as one of the
    columns the measure makes (`made`)."""
    if by is None:
        return []
    if not isinstance(by, str):
        raise InputError(f"'by' must name a column of the lead table (got {short(by)})")
    if by in made:
        raise InputError(
            f"'by' cannot be {by!r}: the measure gives a column of that name of its own "
            f"({', '.join(made)})"
        )
    columns = table.leads.columns
    check_choice(
        "by", by, tuple(c for c in columns if _groupable(table.leads[c]) and c not in made)
    )
    return [by]


def _groupable(values: pd.Series) -> bool:
    """Whether a lead table's column can group leads: not times or durations, and numbers only
    when every one is whole (an attribute of whole numbers is read as floating numbers)."""
    if values.dtype.kind in "Mm":
        return False
    if values.dtype.kind == "f":
        numbers = values.to_numpy()
        return bool(np.all(np.isnan(numbers) | (np.trunc(numbers) == numbers)))
    return True


def checked_as_of(table: LeadTable, as_of: DateLike | None) -> pd.Timestamp:
    """`as_of` as a time (the table's own when None), or an error saying it is none."""
    if as_of is None:
        return table.as_of
    try:
        when = None if isinstance(as_of, Real) else pd.Timestamp(as_of)  # 2026: no date
    except (TypeError, ValueError):
        when = None
    if when is None or pd.isna(when) or when.tzinfo is not None:
        raise InputError(
            f"'as_of' must be a date or a time without a zone (got {short(as_of)})"
        ) from None
    return when


def _step_days(table: LeadTable, name: str, days: object) -> dict[str, float]:
    """`days` (a step's name → days, ≥ 0; infinity or NaN, as `maturity_days` gives a step
    without history: never), checked against the table's steps: a step the funnel does not
    have ('lead->mql' for 'lead→mql') would count for nothing."""
    if not isinstance(days, dict):
        raise InputError(f"'{name}' must map steps to days (got {short(days)})")
    steps = tuple(_steps(table))
    for step, value in days.items():
        check_choice(name, step, steps, where=" keys")
        number = float(value) if isinstance(value, Real) and not isinstance(value, bool) else -1
        if not (number >= 0 or math.isnan(number)):
            raise InputError(
                f"'{name}' for step {step!r} must be a number of days >= 0 (got {short(value)})"
            )
    return {step: float(value) for step, value in days.items()}


def step_days(table: LeadTable, a: str, b: str) -> pd.Series:
    """Days from stage `a` to stage `b` for leads with both times in order (index: lead row)."""
    leads = table.leads
    start, end = leads[stage_field(a)], leads[stage_field(b)]
    ok = start.notna() & end.notna() & (end >= start)
    return (end[ok] - start[ok]).dt.total_seconds() / SECONDS_PER_DAY


def named_groups(out: pd.DataFrame, table: LeadTable, groups: Sequence[str]) -> None:
    """A query's result with its groups under their own names again: a query gives them under
    their keys (`queries.group_keys`)."""
    keys = queries.group_keys([queries.ROW, *table.leads.columns], tuple(groups))
    names = dict(zip(keys, groups, strict=True))
    out.columns = [names.get(c, c) for c in out.columns]


def keyed(out: pd.DataFrame, table: LeadTable, columns: Sequence[str], period: str | None) -> None:
    """Engine results keyed as the lead table is: groups under their own names
    (`named_groups`), `period` as pandas Periods, the lead table's `columns` in its own types
    (categories stay categories)."""
    named_groups(out, table, columns)
    if period is not None:
        out["period"] = as_periods(out["period"].astype("datetime64[s]"), period)
    for name in columns:
        out[name] = out[name].astype(table.leads[name].dtype)


def _steps(table: LeadTable) -> list[str]:
    return [step_name(a, b) for a, b in zip(table.stages, table.stages[1:], strict=False)]


def stage_volumes(table: LeadTable, period: str = "month", by: str | None = None) -> pd.DataFrame:
    """How many leads entered each stage per period (by a column, optionally), tidy.

    Leads that reached a stage without a recorded time for it are not placed in a period.
    """
    groups = group_columns(table, by, VOLUME_COLUMNS)
    check_choice("period", period, tuple(PERIODS))
    out = engine.measure(table, queries.entered, table.stages, period, tuple(groups))
    keyed(out, table, groups, period)
    out["stage"] = pd.Categorical(out["stage"], categories=list(table.stages), ordered=True)
    out["count"] = out["count"].astype("int64")
    return (
        out[["period", *groups, "stage", "count"]]
        .sort_values(["period", *groups, "stage"])
        .reset_index(drop=True)
    )


def flow_conversion(table: LeadTable, period: str = "month", by: str | None = None) -> pd.DataFrame:
    """Per period and step: entered the stage, entered the next stage, and their ratio."""
    groups = group_columns(table, by, FLOW_COLUMNS)
    keys = ["period", *groups, "stage"]  # leads without a group value are a group, as elsewhere
    wide = (
        stage_volumes(table, period, by)
        .groupby(keys, observed=False, dropna=False)["count"]
        .sum()
        .unstack("stage", fill_value=0)
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


def _step_times(table: LeadTable, pairs: list[tuple[str, str]], quantile: float) -> pd.DataFrame:
    """Per pair of stages: count, median, mean and a quantile of the days between them."""
    out = engine.measure(table, queries.step_times, tuple(pairs), quantile)
    out = out.set_index("step").reindex([step_name(a, b) for a, b in pairs])
    out["count"] = out["count"].astype("int64")
    return out.astype({c: "float64" for c in ("median_days", "mean_days", "quantile_days")})


def _timed_pairs(table: LeadTable) -> list[tuple[str, str]]:
    """Each step's pair of stages, then the whole cycle's (first to last) when there are more
    than two stages: the pairs `velocity` and `maturity_days` time in one query."""
    pairs = list(zip(table.stages, table.stages[1:], strict=False))
    if len(table.stages) > 2:
        pairs.append((table.stages[0], table.stages[-1]))
    return pairs


def maturity_days(table: LeadTable, quantile: float = MATURITY_QUANTILE) -> dict[str, float]:
    """Per step, the days after which a cohort counts as mature (the quantile of observed days);
    NaN for a step with no dated pairs."""
    days = _step_times(table, _timed_pairs(table), quantile)["quantile_days"]
    return {str(step): float(value) for step, value in days.iloc[: len(table.stages) - 1].items()}


def cohort_conversion(
    table: LeadTable,
    period: str = "month",
    by: str | None = None,
    as_of: DateLike | None = None,
    maturity: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Per entry period and step: of the leads that entered the stage then, how many ever
    reached the next; `mature` says whether the cohort has had time to convert."""
    groups = group_columns(table, by, COHORT_COLUMNS)
    check_choice("period", period, tuple(PERIODS))
    as_of = checked_as_of(table, as_of)
    maturity = maturity_days(table) if maturity is None else _step_days(table, "maturity", maturity)
    out = engine.measure(table, queries.cohorts, table.stages, period, tuple(groups))
    keyed(out, table, groups, period)
    out["step"] = pd.Categorical(out["step"], categories=_steps(table), ordered=True)
    out = out.sort_values(["step", "period", *groups]).reset_index(drop=True)
    out["step"] = out["step"].astype(str)
    out = out.astype({"entered": "int64", "converted": "int64"})
    wait = out["step"].map(maturity).astype("float64")
    ends = out["period"].dt.end_time
    finite = np.isfinite(wait)  # infinity or NaN: never mature
    out["mature"] = finite & (ends + pd.to_timedelta(wait.where(finite, 0), unit="D") <= as_of)
    out["rate"] = out["converted"] / out["entered"]
    return out[["period", *groups, "step", "entered", "converted", "rate", "mature"]]


def reached_counts(
    table: LeadTable, by: str | None = None, period: str | None = None
) -> pd.DataFrame:
    """How many leads reached each stage, with each stage's rate from the first (cumulative
    conversion) and to the next: overall, per group, and with `period` per cohort of leads
    created in the same period (leads without a creation time are then left out)."""
    groups = group_columns(table, by, REACHED_COLUMNS)
    if period is not None:
        check_choice("period", period, tuple(PERIODS))
    result = engine.measure(table, queries.reached_totals, table.stages, tuple(groups), period)
    sums = [queries.reached_column(i) for i in range(len(table.stages))]
    counts = result[sums].astype("int64").set_axis(list(table.stages), axis="columns")
    keys = (["period"] if period is not None else []) + groups
    if keys:  # apart from the counts, so a group may be named as a stage or a sum
        index = result.drop(columns=sums)
        keyed(index, table, groups, period)
        index = index.sort_values(keys)
        counts = counts.loc[index.index].set_axis(index.set_index(keys).index)
    rows = []
    for i, stage in enumerate(table.stages):
        part = pd.DataFrame({"stage": stage, "reached": counts[stage]})
        part["rate_from_first"] = counts[stage] / counts[table.stages[0]]
        following = counts[table.stages[i + 1]] if i + 1 < len(table.stages) else np.nan
        part["rate_to_next"] = following / counts[stage]
        rows.append(part)
    out = pd.concat(rows)
    out = out.reset_index() if keys else out.reset_index(drop=True)
    if period is not None:
        out = out.sort_values(keys, kind="stable")
    return out.reset_index(drop=True)


def win_rate(table: LeadTable, by: str | None = None) -> pd.DataFrame:
    """Won among closed (won + lost) and won among all, overall or per group."""
    groups = group_columns(table, by, WIN_COLUMNS)
    agg = engine.measure(table, queries.outcomes, tuple(groups))
    keyed(agg, table, groups, None)
    if groups:
        agg = agg.sort_values(groups).reset_index(drop=True)
    agg = agg.astype({"won": "int64", "lost": "int64", "leads": "int64"})
    agg["won_among_closed"] = agg["won"] / (agg["won"] + agg["lost"])
    agg["won_among_all"] = agg["won"] / agg["leads"]
    return agg[[*groups, "won", "lost", "leads", "won_among_closed", "won_among_all"]]


def velocity(table: LeadTable) -> pd.DataFrame:
    """Per step and for the whole cycle (first to last stage): count, median and mean days."""
    times = _step_times(table, _timed_pairs(table), MATURITY_QUANTILE)
    return times.reset_index()[["step", "count", "median_days", "mean_days"]]


def leakage(
    table: LeadTable,
    by: str | None = None,
    as_of: DateLike | None = None,
    stall_days: dict[str, float] | None = None,
) -> pd.DataFrame:
    """Where leads stop, per stage (and group): of those who reached a stage, how many went on,
    were lost, stalled (open and in the stage longer than the step's maturity days), or are
    still in progress. The four add up to `reached`."""
    groups = group_columns(table, by, LEAK_COLUMNS)
    as_of = checked_as_of(table, as_of)
    stall = (
        maturity_days(table) if stall_days is None else _step_days(table, "stall_days", stall_days)
    )
    finite = {step: float(days) for step, days in stall.items() if np.isfinite(days)}
    out = engine.measure(
        table,
        queries.leaks,
        table.stages,
        tuple(groups),
        as_of.to_pydatetime(),
        tuple(sorted(finite.items())),
    )
    keyed(out, table, groups, None)
    out["step"] = pd.Categorical(out["step"], categories=_steps(table), ordered=True)
    out = out.sort_values(["step", *groups]).reset_index(drop=True)
    out["step"] = out["step"].astype(str)
    cols = ["reached", "advanced", "lost", "stalled", "in_progress"]
    out = out.astype(dict.fromkeys(cols, "int64"))
    return out[["stage", "step", *groups, *cols]]
