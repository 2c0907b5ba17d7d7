"""Early warnings: which stage is behind its phased target and since when, what must happen by
when to still close the gap, and whether the open pipeline covers what is left of the goal.

Because of the sales cycle, help arrives late: an MQL added today closes only after the
MQL-to-won time. The actions say how many MQLs must be added by a day (counting only the
share that closes by the period's end), which step rate would close the gap from now on,
and the last day on which new leads can still make a difference.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.typing import NaTType

from funnelkit.actuals.review import check_stages, stage_windows, team_of
from funnelkit.core.formats import money, percent
from funnelkit.core.marks import PLAIN, Marks
from funnelkit.core.rounding import whole_units
from funnelkit.core.types import DateLike
from funnelkit.crm.fields import stage_field
from funnelkit.crm.leads import LeadTable
from funnelkit.crm.sourcing import marketing_entries
from funnelkit.forecast.coverage import Coverage, coverage_sentence
from funnelkit.forecast.simulation import (
    Forecast,
    History,
    Pipeline,
    expected_wins,
    simulate,
    trials_for,
)
from funnelkit.plan.build import Plan
from funnelkit.plan.phasing import month_edges, month_weights, spread
from funnelkit.plan.stage_names import DEFAULT_NAMES, StageNames

LEAD_TIME_DAYS = 14  # MQLs asked for are to be added within this many days
SAVING_SHARE = 0.10  # new leads help while at least this share of their wins can close in time
ACTION_TRIALS = 5_000  # trials per step of the search for a needed rate, at most
ACTION_WINS = 2_000_000  # wins simulated per step of that search, about
RATE_STEPS = 12  # halvings in that search: the rate to within 0.03 points
CYCLE_DRAWS = 20_000  # draws of the time from a stage to the last


def _daily_planned(plan: Plan, stage: int, days: np.ndarray) -> np.ndarray:
    """Cumulative planned volume of a stage at the end of each day (datetime64[D])."""
    p = plan.params
    edges = month_edges(p.start, p.months).astype(np.int64).astype(float)
    weights = month_weights(p.months, p.weights)
    lag = np.asarray([p.funnel.days_to_last[stage]], dtype=float)
    volume = np.outer([plan.targets.volumes[stage]], weights)
    cuts = np.r_[edges[0] - lag[0] - 1, days.astype(np.int64) + 1.0]
    return np.cumsum(spread(volume, edges, lag, cuts)[:, 0])


def behind(plan: Plan, table: LeadTable, as_of: DateLike | None = None) -> pd.DataFrame:
    """Per stage and calendar month whose planned volume has begun to arrive by `as_of`: the
    volume planned in that month up to `as_of` (exact, and whole: rounded up as targets are),
    the actual entries, the gap to the whole volume, and for a stage behind overall, the day
    since which its cumulative entries have stayed below plan. A month is short when its
    entries fall a whole lead or more below the exact planned volume. Entries count marketing's
    leads only (`funnelkit.crm.sourcing`), as the plan's funnel is marketing's."""
    check_stages(plan, table)
    as_of = (table.as_of if as_of is None else pd.Timestamp(as_of)).normalize()
    starts, ends = stage_windows(plan)
    today = np.datetime64(as_of.date(), "D")
    marketing = marketing_entries(table).leads
    rows = []
    for k, stage in enumerate(plan.params.funnel.stages):
        first = np.datetime64(int(np.floor(starts[k])), "D")
        last = min(today, np.datetime64(int(np.ceil(ends[k])) - 1, "D"))
        if last < first:
            continue
        days = np.arange(first, last + 1)
        planned = _daily_planned(plan, k, days)
        times = marketing[stage_field(stage)].dropna().to_numpy().astype("datetime64[D]")
        times = np.sort(times[(times >= first) & (times <= last)])
        actual = np.searchsorted(times, days, side="right")
        short = actual < np.floor(planned + 1e-9)  # short by at least one whole lead
        since: pd.Timestamp | NaTType = pd.NaT
        if short[-1]:
            caught_up = np.flatnonzero(~short)
            since = pd.Timestamp(days[caught_up[-1] + 1 if len(caught_up) else 0])
        months = days.astype("datetime64[M]")
        for month in np.unique(months):
            inside = months == month
            before = planned[np.argmax(inside) - 1] if np.argmax(inside) > 0 else 0.0
            before_actual = actual[np.argmax(inside) - 1] if np.argmax(inside) > 0 else 0
            month_planned = planned[inside][-1] - before
            month_actual = int(actual[inside][-1] - before_actual)
            whole = int(whole_units(month_planned))
            rows.append(
                (
                    stage,
                    team_of(plan, stage),
                    str(month),
                    month_planned,
                    whole,
                    month_actual,
                    month_actual - whole,
                    since,
                )
            )
    return pd.DataFrame(
        rows,
        columns=[
            "stage",
            "team",
            "month",
            "planned",
            "planned_whole",
            "actual",
            "gap",
            "behind_since",
        ],
    )


def cycle_in_time(
    history: History, stage: int, days: float, seed: int = 0, after: float = 0.0
) -> float:
    """The share of leads entering `stage` (index) that, if won, are won within `days` days
    but not before `after` days (a period that begins later: wins before it count for an
    earlier one)."""
    rng = np.random.default_rng(seed)
    total = np.zeros(CYCLE_DRAWS)
    for durations in history.durations[stage:]:
        total += durations[rng.integers(0, len(durations), CYCLE_DRAWS)]
    return float(((total <= days) & (total >= after)).mean())


def last_saving_day(history: History, end: pd.Timestamp, seed: int = 0) -> pd.Timestamp:
    """The last day a new lead has at least SAVING_SHARE of its wins close by `end`."""
    rng = np.random.default_rng(seed)
    total = np.zeros(CYCLE_DRAWS)
    for durations in history.durations:
        total += durations[rng.integers(0, len(durations), CYCLE_DRAWS)]
    return (end - pd.Timedelta(days=float(np.quantile(total, SAVING_SHARE)))).normalize()


@dataclass(frozen=True)
class Action:
    """One way to close the expected gap in customers."""

    kind: str  # 'add', 'rate' or 'none'
    stage: str  # the stage to add volume to, or the step whose rate must rise
    amount: float  # volume to add (inf: none can close in time), or the rate needed (NaN: none)
    by: pd.Timestamp | None  # the day volume must be added by
    end: pd.Timestamp | None = None  # the period's last day
    to_won: float = float("nan")  # 'add': the forecast's rate from the stage to won
    in_time: float = float("nan")  # 'add': share of the added volume's wins closing in the period
    history_rate: float = float("nan")  # 'rate': the forecast's rate of the step from history
    start: pd.Timestamp | None = None  # 'add': the period's first day

    def _when(self) -> str:
        """When the added volume's wins count, in words: by the period's end, or within the
        period when it begins after the volume is added."""
        if self.start is not None and self.by is not None and self.start > self.by:
            return f"within the period, {self.start:%d %b %Y} to {self.end:%d %b %Y}"
        return f"by {self.end:%d %b %Y}"

    def sentence(self, marks: Marks = PLAIN, names: StageNames = DEFAULT_NAMES) -> str:
        """The action in words; `marks` marks its figures, stages go by `names`."""
        m = marks
        one, many = m.text(names.label(self.stage)), m.text(names.plural(self.stage))
        if self.kind == "none":
            return "The expected customers reach the goal."
        if self.kind == "add" and np.isinf(self.amount):
            return (
                f"No {one} added by {self.by:%d %b %Y} can close by {self.end:%d %b %Y}: "
                f"history's time from {one} to won is longer than what is left."
            )
        if self.kind == "add":
            need = float(np.ceil(self.amount))
            return (
                f"Add {m.figure(f'action.add.{self.stage}', need, f'{need:,.0f}')} more "
                f"{one if need == 1 else many} by {self.by:%d %b %Y}: at the forecast's rates "
                f"({m.figure(f'forecast_rate.{self.stage}_to_won', self.to_won, percent(self.to_won))} "
                f"of {many} won), "
                f"{m.figure(f'action.in_time.{self.stage}', self.in_time, percent(self.in_time))} "
                f"of the deals won from {many} added by then would close {self._when()}."
            )
        step = m.text(names.step(self.stage))
        if np.isnan(self.amount):
            return f"Even a {step} conversion of 100% from now on would not reach the goal."
        return (
            f"Or raise {step} conversion to "
            f"{m.figure(f'action.rate.{self.stage}', self.amount, percent(self.amount))} from now "
            f"on (the forecast's rate from history: "
            f"{m.figure(f'forecast_rate.{self.stage}', self.history_rate, percent(self.history_rate))})."
        )


def _rate_needed(
    forecast: Forecast,
    history: History,
    pipeline: Pipeline,
    arrivals: np.ndarray,
    step: int,
    seed: int,
) -> float:
    """The conversion rate of `step` (index), held from now on, at which the expected customers
    reach the goal; NaN when even 100 % is not enough."""

    def expected(rate: float) -> float:
        fixed = dataclasses.replace(
            history,
            converted=np.where(
                np.arange(len(history.steps)) == step, rate * 1e9, history.converted
            ),
            exposure=np.where(np.arange(len(history.steps)) == step, 1e9, history.exposure),
        )
        run = simulate(
            fixed,
            pipeline,
            arrivals,
            forecast.start,
            forecast.end,
            goal=forecast.goal,
            trials=trials_for(
                expected_wins(fixed, pipeline, arrivals), ACTION_TRIALS, ACTION_WINS, 500
            ),
            seed=seed,
            to_date=(forecast.revenue_to_date, forecast.customers_to_date),
        )
        return run.expected_customers

    low, high = float(history.rates[step]), 1.0
    if expected(high) < forecast.customers_goal:
        return float("nan")
    for _ in range(RATE_STEPS):
        middle = (low + high) / 2
        low, high = (middle, high) if expected(middle) < forecast.customers_goal else (low, middle)
    return high


def actions(
    plan: Plan,
    forecast: Forecast,
    history: History,
    pipeline: Pipeline,
    arrivals: np.ndarray,
    seed: int = 0,
) -> list[Action]:
    """What would close the gap between the expected customers and the goal: MQLs (the hand-off
    stage) to add within LEAD_TIME_DAYS, or the rate the first sales step needs from now on."""
    stages = plan.params.funnel.stages
    gap = forecast.customers_goal - forecast.expected_customers
    if gap <= 0:
        return [Action("none", "", 0.0, None)]
    handoff = stages.index(plan.sla.terms.handoff_stage)
    by = min(forecast.as_of + pd.Timedelta(days=LEAD_TIME_DAYS), forecast.end)
    in_time = cycle_in_time(
        history, handoff, (forecast.end - by).days, seed, after=(forecast.start - by).days
    )
    to_won = float(np.prod(history.rates[handoff:]))
    needed = gap / (to_won * in_time) if in_time * to_won > 0 else float("inf")
    add = Action(
        "add", stages[handoff], needed, by, forecast.end, to_won, in_time, start=forecast.start
    )
    step = handoff + 1 if handoff + 1 < len(history.steps) else handoff
    rate = _rate_needed(forecast, history, pipeline, arrivals, step, seed)
    raise_rate = Action(
        "rate", history.steps[step], rate, None, history_rate=float(history.rates[step])
    )
    return [add, raise_rate]


def warnings_text(
    forecast: Forecast,
    late: pd.DataFrame,
    todo: list[Action],
    coverage: Coverage | None,
    saving_day: pd.Timestamp,
    currency: str,
    revenue_planned: float = float("nan"),
    marks: Marks = PLAIN,
    names: StageNames = DEFAULT_NAMES,
) -> list[str]:
    """The warnings in words, most important first; `revenue_planned` is the revenue the plan
    called for by the as-of day (NaN before the period starts). `marks` marks the figures and
    the user's text (plain for the terminal, tagged HTML for reports)."""
    m = marks

    def cash(name: str, value: float) -> str:
        return m.figure(name, value, money(value, currency))

    low, high = forecast.interval
    won = cash("forecast.won_to_date", forecast.revenue_to_date)
    lines = [
        m.strong(
            f"{m.figure('forecast.chance', forecast.probability, percent(forecast.probability))} "
            f"chance of reaching the goal of {cash('plan.revenue_goal', forecast.goal)}"
        )
        + f" by {forecast.end:%d %b %Y}. Expected: "
        f"{cash('forecast.expected', forecast.expected_revenue)} (80% between "
        f"{cash('forecast.low', low)} and {cash('forecast.high', high)}); {won} won so far."
    ]
    gap = forecast.revenue_to_date - revenue_planned
    if gap <= -1:
        lines.append(
            f"Revenue is behind plan: {won} won against "
            f"{cash('pace.revenue_planned', revenue_planned)} planned by "
            f"{forecast.as_of:%d %b %Y} ({cash('pace.revenue_short', -gap)} short)."
        )
    stages = late.dropna(subset=["behind_since"]).drop_duplicates("stage")
    for stage, team, since in zip(
        stages["stage"], stages["team"], stages["behind_since"], strict=True
    ):
        short = late[(late["stage"] == stage) & (late["actual"] <= late["planned"] - 1)]
        months = ", ".join(
            f"{m.figure(f'behind.gap.{stage}.{month}', gap, f'{-gap:,.0f}')} short in "
            f"{pd.Period(month, 'M'):%B}"
            for gap, month in zip(short["gap"], short["month"], strict=True)
        )
        lines.append(
            f"{m.text(names.plural_title(stage))} ({team}) have been behind plan since "
            f"{since:%d %b %Y}" + (f": {months}." if months else ".")
        )
    lines += [a.sentence(m, names) for a in todo if a.kind != "none"]
    if saving_day <= forecast.end:
        passed = saving_day < forecast.as_of
        lines.append(
            (
                f"New leads could no longer save the period after {saving_day:%d %b %Y}"
                if passed
                else f"After {saving_day:%d %b %Y} new leads can no longer save the period"
            )
            + f": fewer than {percent(SAVING_SHARE)} of their wins would close by "
            f"{forecast.end:%d %b %Y}."
        )
    if coverage is not None:
        lines.append(coverage_sentence(coverage, currency, marks))
    return lines
