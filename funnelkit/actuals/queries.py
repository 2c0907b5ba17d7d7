"""The funnel's measures as Ibis queries over a lead table: one definition for every engine.

Each function takes a lead table expression (an `ibis.Table` with the canonical columns of
`funnelkit.crm.fields`: `<stage>_at` timestamps, `outcome` and `stage` as text, `amount`,
`response_time` in seconds, attributes) and returns an expression of counts and sums per
group. `funnelkit.actuals.engine` runs them: DuckDB in this process by default, or Spark or
a warehouse through its Ibis connection; `funnelkit.actuals.measures` shapes the results.

Periods are keyed by their first day (`truncate`: weeks start on Monday). Days between two
times are their epoch seconds apart ÷ 86,400.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
from ibis import _

from funnelkit.crm.fields import ID, ROW, stage_field, unused_prefix
from funnelkit.plan.funnel import step_name

UNITS = {"day": "D", "week": "W", "month": "M", "quarter": "Q"}
SECONDS_PER_DAY = 86_400.0
SECONDS_PER_MINUTE = 60.0


def reached_column(stage_index: int) -> str:
    """The name of the 0/1 column saying a lead reached the stage at this index."""
    return f"reached_{stage_index}"


def reached(t: ir.Table, stages: tuple[str, ...], i: int) -> ir.IntegerValue:
    """1 where a lead reached the stage at index `i` (a time for that stage or a later one, a
    current stage at or past it, or a won outcome), else 0. Every lead reached the first."""
    signs = [t[stage_field(s)].notnull() for s in stages[i:] if stage_field(s) in t.columns]
    if "stage" in t.columns:
        signs.append(t.stage.isin(stages[i:]).fill_null(False))
    if "outcome" in t.columns:
        signs.append((t.outcome == "won").fill_null(False))
    return (ibis.or_(*signs) if i and signs else ibis.literal(i == 0)).cast("int64")


def with_reached(t: ir.Table, stages: tuple[str, ...]) -> ir.Table:
    """The table with a 0/1 `reached` column per stage (`reached_column`)."""
    return t.mutate(**{reached_column(i): reached(t, stages, i) for i in range(len(stages))})


def total(values: ir.IntegerColumn) -> ir.IntegerScalar:
    """The sum of 0/1 values: 0 over no rows (SQL's SUM gives null there)."""
    return values.sum().fill_null(0)


def group_keys(columns: Sequence[str], groups: tuple[str, ...]) -> tuple[str, ...]:
    """Each group's name in a query's result: its column's name after a start that no column of
    the lead table (`columns`) has in any case ('group:source'), so that a group named as a
    column a query makes ('period', 'converted', a stage) is never taken for that column."""
    prefix = unused_prefix(columns, "group:")
    return tuple(prefix + g for g in groups)


def grouped(t: ir.Table, groups: tuple[str, ...]) -> tuple[ir.Table, tuple[str, ...]]:
    """`t` with each group column copied under its key (`group_keys`), and the keys: done
    first, before a query makes columns of its own."""
    keys = group_keys(t.columns, groups)
    return t.mutate(**{k: t[g] for k, g in zip(keys, groups, strict=True)}), keys


def per_group(
    t: ir.Table, groups: tuple[str, ...], sums: dict[str, ir.Scalar], **keys: ir.Value
) -> ir.Table:
    """`sums` per group (and per `keys`), or over the whole table when there are none."""
    if not groups and not keys:
        return t.aggregate(**sums)
    return t.group_by(*groups, **keys).agg(**sums)


def days_between(start: ir.TimestampValue, end: ir.TimestampValue) -> ir.FloatingValue:
    """Days from `start` to `end` (fractional)."""
    return (end.epoch_seconds() - start.epoch_seconds()).cast("float64") / SECONDS_PER_DAY


def entered(t: ir.Table, stages: tuple[str, ...], period: str, groups: tuple[str, ...]) -> ir.Table:
    """Per stage, period (and group): how many leads entered the stage then."""
    t, keys = grouped(t, groups)
    parts = []
    for stage in stages:
        at = t[stage_field(stage)]
        parts.append(
            t.filter(at.notnull())
            .group_by(*keys, period=at.truncate(UNITS[period]))
            .agg(count=_.count())
            .mutate(stage=ibis.literal(stage))
        )
    return ibis.union(*parts)


def cohorts(t: ir.Table, stages: tuple[str, ...], period: str, groups: tuple[str, ...]) -> ir.Table:
    """Per step, entry period (and group): leads that entered the step's first stage then, and
    how many of them ever reached the next."""
    t, keys = grouped(t, groups)
    parts = []
    for i, (a, b) in enumerate(itertools.pairwise(stages)):
        at = t[stage_field(a)]
        parts.append(
            t.mutate(converted=reached(t, stages, i + 1))
            .filter(at.notnull())
            .group_by(*keys, period=at.truncate(UNITS[period]))
            .agg(entered=_.count(), converted=total(_.converted))
            .mutate(step=ibis.literal(step_name(a, b)))
        )
    return ibis.union(*parts)


def reached_totals(
    t: ir.Table, stages: tuple[str, ...], groups: tuple[str, ...], period: str | None
) -> ir.Table:
    """How many leads reached each stage (a column per stage, `reached_column`), per group and,
    with `period`, per creation period (`period`; leads without a creation time left out)."""
    t, groups = grouped(t, groups)
    t = with_reached(t, stages)
    sums = {reached_column(i): total(_[reached_column(i)]) for i in range(len(stages))}
    keys: dict[str, ir.Value] = {}
    if period is not None:
        created = t[stage_field(stages[0])]
        t = t.filter(created.notnull())
        keys["period"] = created.truncate(UNITS[period])
    return per_group(t, groups, sums, **keys)


def outcomes(t: ir.Table, groups: tuple[str, ...]) -> ir.Table:
    """Per group: leads won, lost, and all leads."""
    t, groups = grouped(t, groups)
    sums = {
        "won": total((t.outcome == "won").fill_null(False).cast("int64")),
        "lost": total((t.outcome == "lost").fill_null(False).cast("int64")),
        "leads": _.count(),
    }
    return per_group(t, groups, sums)


def step_times(t: ir.Table, pairs: tuple[tuple[str, str], ...], quantile: float) -> ir.Table:
    """Per pair of stages (a, b): leads with both times in order, and the median, mean and
    `quantile` of the days from a to b (null when there are none)."""
    parts = []
    for a, b in pairs:
        start, end = t[stage_field(a)], t[stage_field(b)]
        days = days_between(start, end)
        parts.append(
            t.filter(start.notnull() & end.notnull() & (end >= start)).aggregate(
                step=ibis.literal(step_name(a, b)),
                count=_.count(),
                median_days=days.median(),
                mean_days=days.mean(),
                quantile_days=days.quantile(quantile),
            )
        )
    return ibis.union(*parts)


def leaks(
    t: ir.Table,
    stages: tuple[str, ...],
    groups: tuple[str, ...],
    as_of: dt.datetime,
    stall_days: tuple[tuple[str, float], ...],
) -> ir.Table:
    """Per step (and group): of the leads that reached its first stage, how many went on, were
    lost there, stalled (open, and waiting there longer than the step's stall days), or are
    still in progress. Steps without finite stall days have none stalled."""
    t, groups = grouped(t, groups)
    t, now, stall = with_reached(t, stages), ibis.literal(as_of), dict(stall_days)
    open_, lost = (t.outcome == "open").fill_null(False), (t.outcome == "lost").fill_null(False)
    parts = []
    for i, (a, b) in enumerate(itertools.pairwise(stages)):
        step = step_name(a, b)
        here = (t[reached_column(i)] == 1) & (t[reached_column(i + 1)] == 0)
        limit = stall.get(step)
        stalled = here & ibis.literal(False)
        if limit is not None:
            waited = days_between(t[stage_field(a)], now)
            stalled = here & open_ & (waited > limit).fill_null(False)
        sums = {
            "reached": total(t[reached_column(i)]),
            "advanced": total(t[reached_column(i + 1)]),
            "lost": total((here & lost).cast("int64")),
            "stalled": total(stalled.cast("int64")),
            "in_progress": total((here & open_ & ~stalled).cast("int64")),
        }
        part = per_group(t, groups, sums)
        parts.append(part.mutate(stage=ibis.literal(a), step=ibis.literal(step)))
    return ibis.union(*parts)


def handoffs(t: ir.Table, handoff_stage: str) -> ir.TimestampValue:
    """When each lead was handed to sales: owner assignment if known, else the stage time."""
    at = t[stage_field(handoff_stage)]
    return t.assigned_at.coalesce(at) if "assigned_at" in t.columns else at


def response_minutes(t: ir.Table, handoff_stage: str) -> ir.FloatingValue:
    """Minutes from hand-off to first touch (null when not handed off or not touched); the
    export's own response time where it has no touch time; a touch before hand-off is 0."""
    start = handoffs(t, handoff_stage)
    minutes = ibis.ifelse(start.isnull(), ibis.null("float64"), ibis.null("float64"))  # a column
    if "first_touch_at" in t.columns:
        minutes = (t.first_touch_at.epoch_seconds() - start.epoch_seconds()).cast(
            "float64"
        ) / SECONDS_PER_MINUTE
    if "response_time" in t.columns:
        exported = ibis.ifelse(start.notnull(), t.response_time / SECONDS_PER_MINUTE, None)
        minutes = minutes.coalesce(exported)
    return ibis.ifelse(minutes < 0, 0.0, minutes)


@dataclass(frozen=True)
class SlaSigns:
    """Per lead, the SLA's terms as expressions: when it was handed off, minutes to first
    touch, minutes waited by `as_of`, and whether it was touched, touched within the window,
    or is pending (not touched, the window not yet run out)."""

    start: ir.TimestampValue
    minutes: ir.FloatingValue
    waited: ir.FloatingValue
    touched: ir.BooleanValue
    within: ir.BooleanValue
    pending: ir.BooleanValue

    @classmethod
    def of(
        cls, t: ir.Table, window_minutes: float, handoff_stage: str, as_of: dt.datetime
    ) -> SlaSigns:
        start = handoffs(t, handoff_stage)
        minutes = response_minutes(t, handoff_stage)
        waited = (ibis.literal(as_of).epoch_seconds() - start.epoch_seconds()).cast(
            "float64"
        ) / SECONDS_PER_MINUTE
        touched = minutes.notnull()
        return cls(
            start=start,
            minutes=minutes,
            waited=waited,
            touched=touched,
            within=(minutes <= window_minutes).fill_null(False),
            pending=~touched & (waited <= window_minutes).fill_null(False),
        )


def sla_counts(
    t: ir.Table,
    window_minutes: float,
    handoff_stage: str,
    period: str,
    groups: tuple[str, ...],
    as_of: dt.datetime,
) -> ir.Table:
    """Per hand-off period (and group): leads handed off, touched, touched within the window,
    and pending (not touched, window not yet run out at `as_of`)."""
    t, keys = grouped(t, groups)
    sla = SlaSigns.of(t, window_minutes, handoff_stage, as_of)
    return (
        t.filter(sla.start.notnull())
        .group_by(*keys, period=sla.start.truncate(UNITS[period]))
        .agg(
            handed_off=_.count(),
            touched=total(sla.touched.cast("int64")),
            within_window=total(sla.within.cast("int64")),
            pending=total(sla.pending.cast("int64")),
        )
    )


def response_times(t: ir.Table, handoff_stage: str) -> ir.Table:
    """Per lead handed off and touched: its position (`ROW`) and the minutes from hand-off to
    first touch (`response_minutes`)."""
    times = t.select(t[ROW], minutes=response_minutes(t, handoff_stage))
    return times.filter(times.minutes.notnull())


def breaches(
    t: ir.Table, window_minutes: float, handoff_stage: str, as_of: dt.datetime
) -> ir.Table:
    """Every lead touched later than the window, or not touched once the window ran out: id,
    owner, hand-off, first touch, minutes to touch and minutes late; latest first (then by id)."""
    sla = SlaSigns.of(t, window_minutes, handoff_stage, as_of)
    row = {
        ID: t[ID],
        "owner": t.owner.cast("string") if "owner" in t.columns else ibis.null("string"),
        "handed_off_at": sla.start,
        "first_touch_at": t.first_touch_at
        if "first_touch_at" in t.columns
        else ibis.null("timestamp"),
        "minutes_to_touch": sla.minutes,
        "minutes_late": ibis.ifelse(sla.touched, sla.minutes, sla.waited) - window_minutes,
    }
    late = sla.start.notnull() & ~sla.within & ~sla.pending
    return t.filter(late).select(**row).order_by([ibis.desc("minutes_late"), ID])


def same_month_follow_ups(t: ir.Table, handoff_stage: str) -> ir.Table:
    """Per month of hand-off: leads passed to sales, and how many were first touched within
    that same calendar month."""
    start = handoffs(t, handoff_stage)
    same = (t.first_touch_at.truncate("M") == start.truncate("M")).fill_null(False)
    return (
        t.filter(start.notnull())
        .group_by(month=start.truncate("M"))
        .agg(passed=_.count(), followed_up=total(same.cast("int64")))
    )


def cadence_counts(
    t: ir.Table, touches_per_lead: int, handoff_stage: str, groups: tuple[str, ...]
) -> ir.Table:
    """Per group: leads handed off, their mean touches, and how many had the cadence's."""
    t, groups = grouped(t, groups)
    handed = t.filter(handoffs(t, handoff_stage).notnull())
    full = (handed.touches >= touches_per_lead).fill_null(False)
    sums = {
        "handed_off": _.count(),
        "mean_touches": handed.touches.mean(),
        "full_cadence": total(full.cast("int64")),
    }
    return per_group(handed, groups, sums)
