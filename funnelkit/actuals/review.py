"""A plan against what happened: actuals to date against the phased plan, the month's pacing
per team, where the plan's assumptions stretch beyond history, and what to discuss.

Teams own stages by the SLA's hand-off: marketing owns every stage up to and including the
hand-off stage (e.g. lead, mql), sales owns the stages after it (sql, opportunity, won).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from funnelkit.actuals.baselines import Baselines
from funnelkit.actuals.followup import SLA_WINDOW_MINUTES, sla_compliance, stage_pacing
from funnelkit.actuals.measures import leakage, stage_volumes
from funnelkit.core.exceptions import InputError
from funnelkit.core.formats import money, percent
from funnelkit.core.marks import PLAIN, Marks
from funnelkit.core.rounding import whole_units
from funnelkit.core.types import DateLike
from funnelkit.core.validation import short
from funnelkit.crm.fields import stage_field
from funnelkit.crm.leads import LeadTable
from funnelkit.crm.sourcing import marketing_entries
from funnelkit.plan.build import Plan
from funnelkit.plan.funnel import STEP_ARROW
from funnelkit.plan.pacing import Pacing
from funnelkit.plan.phasing import month_edges, month_weights, spread
from funnelkit.plan.stage_names import DEFAULT_NAMES, StageNames

STRETCH = 0.10  # an assumption better than history by more than this fraction is a stretch
BEHIND = 0.90  # a projected attainment below this fraction of the goal is behind pace
LEAKAGE_MONTHS = 3  # leakage is measured on the leads created in this many months to the review
MARKETING, SALES = "marketing", "sales"


def team_of(plan: Plan, stage: str) -> str:
    """'marketing' for stages up to and including the SLA hand-off stage, else 'sales'."""
    stages = plan.params.funnel.stages
    return MARKETING if stages.index(stage) <= stages.index(plan.sla.terms.handoff_stage) else SALES


def check_stages(plan: Plan, table: LeadTable) -> None:
    if tuple(table.stages) != tuple(plan.params.funnel.stages):
        raise InputError(
            f"'funnel' stages of plan '{plan.params.name}' must be the export's stages "
            f"{', '.join(table.stages)} (got {', '.join(plan.params.funnel.stages)})"
        )


def _day(value: DateLike) -> np.datetime64:
    return np.datetime64(pd.Timestamp(value).normalize().date(), "D")


def day_number(value: DateLike) -> float:
    """The day `value` falls on, as days since 1970-01-01 (the phasing's day numbers)."""
    return float(_day(value).astype(np.int64))


def stage_windows(plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """Per stage, the days (as day numbers, fractional) its planned volume arrives in: the plan
    period shifted earlier by the stage's lag to the last stage. Returns (starts, ends)."""
    edges = month_edges(plan.params.start, plan.params.months).astype(np.int64).astype(float)
    lags = np.asarray(plan.params.funnel.days_to_last, dtype=float)
    return edges[0] - lags, edges[-1] - lags


def planned_to_date(plan: Plan, as_of: DateLike) -> tuple[np.ndarray, float]:
    """Exact volume per stage and revenue (money) the plan calls for up to the end of the day
    `as_of`, spread exactly as the phasing spreads it (even within each month, by weight)."""
    p = plan.params
    edges = month_edges(p.start, p.months).astype(np.int64).astype(float)
    weights = month_weights(p.months, p.weights)
    lags = np.asarray(p.funnel.days_to_last, dtype=float)
    cut = np.array([edges[0] - lags.max() - 1, day_number(as_of) + 1])
    volumes = spread(np.outer(plan.targets.volumes, weights), edges, lags, cut)[0]
    revenue = spread(np.asarray([weights]) * p.revenue_goal, edges, np.zeros(1), cut)[0, 0]
    return volumes, float(revenue)


def day_timestamp(number: float) -> pd.Timestamp:
    """The moment a day number (fractional: within the day) stands for."""
    return pd.Timestamp(0) + pd.to_timedelta(number, unit="D")


def _days(first: pd.Timestamp, stop: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first and last day of a window from `first` up to (not including) `stop`."""
    return first.normalize(), (stop - pd.Timedelta(1, "ns")).normalize()


def plan_vs_actuals(plan: Plan, table: LeadTable, as_of: DateLike | None = None) -> pd.DataFrame:
    """Per stage, then revenue: what the plan called for up to `as_of` (default: the
    export's as-of) against what happened in the same window.

    Each stage's window runs from the plan start less that stage's lag (when its planned
    volume begins to arrive) to `as_of` or the window's end, whichever comes first. Stages
    count marketing's leads (`funnelkit.crm.sourcing`), as the plan's funnel is marketing's;
    revenue counts won amounts from every source by their won time within the plan period.
    Columns: line, team, counted_from, counted_to (the window's last day), planned (exact),
    planned_whole, actual, attainment (fraction of planned_whole; revenue's of planned), gap
    (actual - planned)."""
    check_stages(plan, table)
    as_of = table.as_of if as_of is None else pd.Timestamp(as_of)
    planned, revenue = planned_to_date(plan, as_of)
    starts, ends = stage_windows(plan)
    stop = pd.Timestamp(_day(as_of) + 1)
    marketing = marketing_entries(table).leads
    rows: list[tuple[str, str, pd.Timestamp, pd.Timestamp, float, float]] = []
    for k, stage in enumerate(plan.params.funnel.stages):
        first, last = day_timestamp(starts[k]), min(stop, day_timestamp(ends[k]))
        times = marketing[stage_field(stage)]
        actual = int(((times >= first) & (times < last)).sum()) if first < last else 0
        rows.append((stage, team_of(plan, stage), *_days(first, last), planned[k], actual))
    first, last = day_timestamp(starts[-1]), min(stop, day_timestamp(ends[-1]))
    leads = table.leads
    won_at = leads[stage_field(plan.params.funnel.stages[-1])]
    in_window = (won_at >= first) & (won_at < last) & (leads["outcome"] == "won")
    won_amount = float(leads.loc[in_window, "amount"].sum()) if "amount" in leads else np.nan
    rows.append(("revenue", "shared", *_days(first, last), revenue, won_amount))
    columns = ["line", "team", "counted_from", "counted_to", "planned", "actual"]
    out = pd.DataFrame(rows, columns=columns)
    whole = whole_units(out["planned"].to_numpy()).astype(np.int64)
    whole[-1] = round(revenue)
    out.insert(5, "planned_whole", whole)
    # a stage's attainment is against the whole target shown beside it (7 planned, 6 won:
    # 86 %); revenue's against the money planned
    target = np.where(out["line"] == "revenue", out["planned"], out["planned_whole"])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["attainment"] = out["actual"] / target
    out["gap"] = out["actual"] - out["planned"]
    return out


def months_with_actuals(plan: Plan, table: LeadTable) -> list[str]:
    """The plan's months ('YYYY-MM', lead-in months included) that hold the export's as-of day
    or come before it: the months a monthly review can look at."""
    as_of = _day(table.as_of)
    return [
        label
        for label, start in zip(plan.monthly.labels, plan.monthly.period_starts, strict=True)
        if start <= as_of
    ]


def review_month(plan: Plan, table: LeadTable, month: str = "") -> str:
    """The month to review ('YYYY-MM'): `month` when given, else the export's as-of month;
    either must be one of the plan's months with actuals."""
    months = months_with_actuals(plan, table)
    wanted = month or str(_day(table.as_of))[:7]
    if wanted not in months:
        shown = f"{months[0]} to {months[-1]}" if months else "none"
        raise InputError(
            f"'month' must be a month of plan '{plan.params.name}' with actuals "
            f"(months {plan.monthly.labels[0]} to {plan.monthly.labels[-1]}; with actuals to "
            f"{table.as_of:%Y-%m-%d}: {shown}) (got {short(wanted)})"
        )
    return wanted


def _month_end(month: str) -> pd.Timestamp:
    return pd.Period(month, "M").end_time.normalize()


def month_pacing(plan: Plan, table: LeadTable, month: str) -> pd.DataFrame:
    """Each stage's month goal (the plan's whole volume for the month) against its entries so
    far: stage, team, month, goal, expected_to_date (exact), expected_whole (rounded up, as
    targets are), actual_to_date, gap (to the whole expected volume), projection,
    projected_attainment. Entries count marketing's leads only, as the plan's funnel is
    marketing's. Stages the export gives no times for are left out: their entries cannot be
    counted."""
    check_stages(plan, table)
    i = plan.monthly.labels.index(month)
    as_of = min(table.as_of.normalize(), _month_end(month))
    marketing = marketing_entries(table)
    rows = []
    for stage, goal in zip(plan.monthly.stages, plan.monthly.whole[i], strict=True):
        if goal <= 0 or stage in table.undated_stages:
            continue
        p = stage_pacing(marketing, stage, float(goal), month, as_of)
        expected = int(whole_units(p.expected_to_date))
        rows.append(
            (
                stage,
                team_of(plan, stage),
                month,
                int(goal),
                p.expected_to_date,
                expected,
                p.actual_to_date,
                p.actual_to_date - expected,
                p.projection,
                p.projected_attainment,
            )
        )
    return pd.DataFrame(
        rows,
        columns=[
            "stage",
            "team",
            "month",
            "goal",
            "expected_to_date",
            "expected_whole",
            "actual_to_date",
            "gap",
            "projection",
            "projected_attainment",
        ],
    )


def team_pacing(plan: Plan, table: LeadTable, month: str) -> dict[str, tuple[str, Pacing]]:
    """Each team's headline stage paced day by day: marketing's hand-off stage, sales' last
    stage. Maps team -> (stage, Pacing); a stage the plan gives no volume that month, or the
    export no times, is left out. Entries count marketing's leads only, as in `month_pacing`."""
    i = plan.monthly.labels.index(month)
    as_of = min(table.as_of.normalize(), _month_end(month))
    stages = plan.monthly.stages
    marketing = marketing_entries(table)
    out = {}
    for team, stage in ((MARKETING, plan.sla.terms.handoff_stage), (SALES, stages[-1])):
        goal = float(plan.monthly.whole[i, stages.index(stage)])
        if goal > 0 and stage not in table.undated_stages:
            out[team] = (stage, stage_pacing(marketing, stage, goal, month, as_of))
    return out


def month_sla(plan: Plan, table: LeadTable, month: str) -> pd.DataFrame:
    """The SLA in the month by owner: handed off, touched, within the window, pending, share.
    An export that gives no owners has one row, its owner missing."""
    terms = plan.sla.terms
    by = "owner" if "owner" in table.leads else None
    frame = sla_compliance(
        table, terms.first_touch_minutes, terms.handoff_stage, "month", by, table.as_of
    )
    if by is None:
        frame.insert(1, "owner", pd.Series(pd.NA, index=frame.index, dtype="string"))
    return frame.loc[frame["period"].astype(str) == month].drop(columns="period")


def created_in_months(table: LeadTable, month: str, months: int = LEAKAGE_MONTHS) -> LeadTable:
    """The leads created in the `months` months ending with `month`; 'now' stays the export's."""
    end = pd.Period(month, "M")
    created = table.leads[stage_field(table.stages[0])]
    start = (end - (months - 1)).start_time
    keep = (created >= start) & (created <= end.end_time)
    return dataclasses.replace(
        table, leads=table.leads.loc[keep].reset_index(drop=True), taken_at=table.as_of
    )


def month_leakage(table: LeadTable, month: str) -> pd.DataFrame:
    """Where the leads created in the months to `month` stopped, per stage and source (where
    the export gives sources)."""
    by = "source" if "source" in table.leads else None
    return leakage(created_in_months(table, month), by=by)


def sla_share(table: LeadTable, handoff_stage: str, month: str, window_minutes: float) -> float:
    """Share (0–1) of the month's hand-offs touched within `window_minutes`, pending ones
    left out; NaN when the month has none."""
    frame = sla_compliance(table, window_minutes, handoff_stage, "month", None, table.as_of)
    row = frame.loc[frame["period"].astype(str) == month]
    return float(row["share_within"].iloc[0]) if len(row) else float("nan")


def risks(plan: Plan, baselines: Baselines) -> pd.DataFrame:
    """Where the plan asks for more than history shows: each step's rate and days, the deal
    size, the marketing share and sales capacity (pipeline coverage is `forecast.coverage`).

    Columns: driver, figure (what the row measures: 'rate.<step>', 'days.<step>', 'deal_size',
    'marketing_share' or 'reps'), plan, history (for 'reps': the busiest month's need), basis,
    verdict ('stretch', 'in line', 'easier', 'not measured'), and a sentence. A rate, deal size or share above history by more than STRETCH (relative), or
    days shorter by more than STRETCH, is a stretch; days of a step the export cannot time
    are 'not measured'."""
    p = plan.params
    names = p.names
    rows = []

    def judge(driver, figure, planned, measured, higher_is_harder, fmt, basis):
        change = planned / measured - 1 if measured else np.nan
        harder = change if higher_is_harder else -change
        verdict = "stretch" if harder > STRETCH else "easier" if harder < -STRETCH else "in line"
        sentence = (
            f"{driver}: the plan assumes {fmt(planned)}, history shows {fmt(measured)} "
            f"({change:+.0%}; {basis})"
        )
        rows.append((driver, figure, planned, measured, basis, verdict, sentence))

    history = baselines.funnel
    for step, rate, measured in zip(
        p.funnel.steps, p.funnel.conversion_rates, history.conversion_rates, strict=True
    ):
        n = baselines.leads_measured.get(step, 0)
        judge(
            f"{names.step(step)} rate",
            f"rate.{step}",
            rate,
            measured,
            True,
            lambda v: percent(v, 1),
            f"{n:,} mature {names.plural(step.split(STEP_ARROW)[0])}",
        )
    for step, days, measured in zip(p.funnel.steps, p.funnel.days, history.days, strict=True):
        if step in baselines.untimed:
            rows.append(
                (
                    f"{names.step(step)} days",
                    f"days.{step}",
                    days,
                    np.nan,
                    "the export cannot time it",
                    "not measured",
                    f"{names.step(step)} days: the plan assumes {days:.0f} days; the export "
                    "cannot time this step, so history cannot check it",
                )
            )
            continue
        judge(
            f"{names.step(step)} days",
            f"days.{step}",
            days,
            measured,
            False,
            "{:.0f} days".format,
            "median",
        )
    if baselines.deal_size is not None:
        judge(
            "deal size",
            "deal_size",
            p.deal_size,
            baselines.deal_size,
            True,
            lambda v: money(v, p.currency),
            "mean won amount",
        )
    if baselines.marketing_share is not None:
        judge(
            "marketing share",
            "marketing_share",
            p.marketing_share,
            baselines.marketing_share,
            True,
            lambda v: percent(v, 1),
            "share of won revenue",
        )
    peak = plan.sla.reps_needed_peak
    rows.append(
        (
            "sales capacity",
            "reps",
            p.sla.reps,
            peak,
            "reps the busiest month needs",
            "stretch" if peak > p.sla.reps else "in line",
            f"sales capacity: {p.sla.reps:g} reps; the busiest month needs "
            f"{peak:g} to follow every {names.label(p.sla.handoff_stage)} up on the cadence",
        )
    )
    return pd.DataFrame(
        rows, columns=["driver", "figure", "plan", "history", "basis", "verdict", "sentence"]
    )


def beyond_history(plan: Plan, table: LeadTable) -> pd.DataFrame:
    """Each stage whose busiest planned month asks for more than the plan's
    `history_multiple` times the busiest month the export has seen: stage, month, target,
    busiest (history's busiest month of marketing's leads, as the plan's funnel is
    marketing's), multiple. Stages the export cannot date are left out."""
    limit = plan.params.history_multiple
    seen = (
        stage_volumes(marketing_entries(table), "month")
        .groupby("stage", observed=True)["count"]
        .max()
    )
    rows = []
    for k, stage in enumerate(plan.monthly.stages):
        busiest = float(seen.get(stage, 0))
        if stage in table.undated_stages or busiest <= 0:
            continue
        month = int(np.argmax(plan.monthly.whole[:, k]))
        target = float(plan.monthly.whole[month, k])
        if target > limit * busiest:
            rows.append((stage, plan.monthly.labels[month], target, busiest, target / busiest))
    return pd.DataFrame(rows, columns=["stage", "month", "target", "busiest", "multiple"])


def discussion_points(
    pacing: pd.DataFrame,
    sla: pd.DataFrame,
    leaks: pd.DataFrame,
    window_minutes: float,
    sla_goal: tuple[str, float, float] | None = None,
    marks: Marks = PLAIN,
    names: StageNames = DEFAULT_NAMES,
    ended: bool = False,
) -> list[str]:
    """What the monthly meeting should talk about, in plain sentences, most pressing first:
    stages projected below BEHIND of their month goal, the share touched within the SLA
    window (and, given `sla_goal` as (goal id, target, this month's share), the goal), the
    owner with the most late follow-ups, and the stage and source that lose the most leads.
    `marks` marks the figures (named as in the review's tables) and the user's text; stages go
    by `names`; a month that has `ended` is told in the past tense."""
    m = marks
    points = []
    behind = pacing.loc[pacing["projected_attainment"] < BEHIND].sort_values("projected_attainment")
    numbers = behind[
        ["projection", "goal", "projected_attainment", "actual_to_date", "expected_whole"]
    ].to_numpy(dtype=float)
    for team, stage, month, (projection, goal, share, actual, expected) in zip(
        behind["team"].astype(str),
        behind["stage"].astype(str),
        behind["month"],
        numbers,
        strict=True,
    ):
        key = f"{stage}.{month}"
        goal_text = m.figure(f"month.{key}", goal, f"{goal:,.0f}")
        share_text = m.figure(f"pacing.projected_attainment.{key}", share, percent(share))
        actual_text = m.figure(f"actual.{key}", actual, f"{actual:,.0f}")
        who = f"{team.capitalize()}: {m.text(names.plural(stage))}"
        if ended:
            points.append(f"{who} ended the month at {actual_text} of {goal_text} ({share_text}).")
            continue
        points.append(
            f"{who} are on course for "
            f"{m.figure(f'pacing.projection.{key}', projection, f'{projection:,.0f}')} of "
            f"{goal_text} ({share_text}); {actual_text} so far against "
            f"{m.figure(f'pacing.expected.{key}', expected, f'{expected:,.0f}')} expected."
        )
    if len(sla):
        handed = sla["handed_off"].sum() - sla["pending"].sum()
        share = sla["within_window"].sum() / handed if handed else np.nan
        if np.isfinite(share):
            points.append(
                f"Sales: {m.figure('review_sla.share_within', share, percent(share))} of "
                "hand-offs were touched within the SLA's "
                f"{m.figure('sla.first_touch_minutes', window_minutes, f'{window_minutes:g}')} "
                "minutes."
            )
        late = (
            (sla["handed_off"] - sla["pending"] - sla["within_window"])
            .groupby(sla["owner"].astype("string").fillna("(no owner)"))
            .sum()
        )
        if len(late) and late.max() > 0 and sla["owner"].notna().any():
            owner, most = str(late.idxmax()), float(late.max())
            points.append(
                f"Sales: {m.text(owner)} has the most hand-offs touched late or not at all "
                f"({m.figure(f'owner_sla.late.{owner}', most, f'{most:,.0f}')})."
            )
    if sla_goal is not None:
        goal_id, target, measured = sla_goal
        points.append(
            f"Sales: goal {m.text(goal_id)} asks for "
            f"{m.figure(f'goal_target.{goal_id}', target, percent(target))} of hand-offs "
            f"touched within {SLA_WINDOW_MINUTES:g} minutes; this month "
            f"{m.figure('review_sla.share_within_goal_window', measured, percent(measured))}."
        )
    if len(leaks):
        lost = leaks.assign(gone=leaks["lost"] + leaks["stalled"])
        worst = lost.sort_values("gone", ascending=False).iloc[0]
        if worst["gone"] > 0:
            has_source = "source" in lost
            where = f" from {m.text(str(worst['source']))}" if has_source else ""
            key = f"{worst['step']}.{worst['source']}" if has_source else str(worst["step"])
            gone, reached = float(worst["gone"]), float(worst["reached"])
            points.append(
                f"Both teams: most leads stop at {m.text(names.step(str(worst['step'])))}"
                f"{where}: "
                f"{m.figure(f'leakage.stopped.{key}', gone, f'{gone:,.0f}')} lost or stalled of "
                f"{m.figure(f'leakage.reached.{key}', reached, f'{reached:,.0f}')}."
            )
    if not points:
        points.append("Every stage is on pace and the SLA holds: no issue to raise.")
    return points
