"""Backtesting the forecast: forecast each past period every Monday from what the lead table
knew that day, and score the forecasts against what was won.

What the table knew on a day (`Snapshot.on`, or `known_on` as a whole lead table): the leads
created by then, the stage times up to then, and won deals (with their amounts) closed by
then. The export does not record when a lead was lost, so on a past day every lead not yet
won is open; the forecast's waiting-time rule (a lead that waited longer than history's stage
times is stalled) carries the rest. New leads are assumed to arrive at the run rate of the 90
days before (`run_rate_arrivals`): a past period has no plan volume to assume.

Scores, for revenue and for customers (customers only when won deals carry no amounts):
how often the 50 % and 80 % intervals held the actual figure; the Brier score of the stated
chance of reaching the goal (the mean squared gap between the chance, 0–1, and what happened,
0 or 1; 0 is perfect, 0.25 is what always saying 50 % scores); the bias (the mean of
actual − expected as a share of expected); and a calibration table (forecasts grouped by the
chance they gave, against how often the goal was met). A goal applies to a past period when
one is given for it (e.g. the plan for that period); otherwise the goal is the median of what
the backtested periods won, the line hardest to call.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from funnelkit.core.exceptions import InputError
from funnelkit.core.types import DateLike
from funnelkit.crm.fields import ID, stage_field
from funnelkit.crm.leads import LeadTable
from funnelkit.forecast.simulation import (
    expected_wins,
    measure_history,
    open_pipeline,
    run_rate_arrivals,
    simulate,
    trials_for,
    won_in,
)
from funnelkit.forecast.snapshot import Snapshot, snapshot

TRIALS = 5_000  # simulated periods per backtested forecast, at most
WIN_BUDGET = 2_000_000  # wins simulated per backtested forecast, about (`trials_for`)
MIN_TRIALS = 1_000  # simulated periods per backtested forecast, at least
WEEKS = 26  # weekly forecasts in a track record
MIN_FORECASTS = 8  # forecasts a track record needs
LEVELS = {50: (0.25, 0.75), 80: (0.10, 0.90)}  # interval (%) → its quantiles
CHANCE_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # the calibration table's groups of stated chance
MEASURES = ("revenue", "customers")
WORKERS = pa.cpu_count()  # forecasts made at once, each on a thread of its own
# a forecast made: its day, its period's first and last day, revenue and customers per trial
_Made = tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp, np.ndarray, np.ndarray]


def known_on(table: LeadTable, day: DateLike) -> LeadTable:
    """The lead table as it stood at the end of `day`: the columns a forecast reads (ids,
    stage times, stage, outcome, amount, close date). A backtest cuts its days from the
    table's `snapshot` instead (`Snapshot.on`): the same leads, times, outcomes and amounts,
    as arrays."""
    cut = pd.Timestamp(day).normalize() + pd.Timedelta(days=1)
    leads = table.leads
    created = leads[stage_field(table.stages[0])]
    keep = [c for c in (ID, *table.stage_columns, "outcome", "amount", "close_date") if c in leads]
    leads = leads.loc[created.notna() & (created < cut), keep].copy()
    for column in leads.columns:
        if leads[column].dtype.kind == "M":
            leads.loc[leads[column] >= cut, column] = pd.NaT
    times = leads[table.stage_columns].notna().to_numpy()
    furthest = np.where(times.any(axis=1), times.shape[1] - 1 - times[:, ::-1].argmax(axis=1), 0)
    leads["stage"] = pd.Categorical.from_codes(furthest, categories=pd.Index(table.stages))
    won = leads[stage_field(table.stages[-1])].notna().to_numpy()
    categories = list(leads["outcome"].cat.categories)
    codes = np.where(won, categories.index("won"), categories.index("open"))
    leads["outcome"] = pd.Categorical.from_codes(codes, categories=pd.Index(categories))
    if "amount" in leads:
        leads.loc[~won, "amount"] = np.nan
    return dataclasses.replace(table, leads=leads, taken_at=cut - pd.Timedelta(seconds=1))


def period_of(day: DateLike, months: int, first: pd.Period) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of the period of `months` months holding `day`, periods being laid
    end to end from month `first` (e.g. a plan's first month)."""
    month = pd.Period(pd.Timestamp(day), "M")
    start = first + ((month - first).n // months) * months
    end = start + months - 1
    return start.start_time.normalize(), end.end_time.normalize()


def has_amounts(table: LeadTable | Snapshot) -> bool:
    """Whether won deals carry amounts, so revenue can be forecast."""
    s = snapshot(table)
    return s.amount is not None and s.outcomes and bool((s.amount[s.won] > 0).any())


@dataclass(frozen=True)
class Backtest:
    """Past forecasts against what happened."""

    forecasts: pd.DataFrame  # a row per forecast and measure (columns: see `backtest`)
    measures: tuple[str, ...]  # 'revenue' (when deals carry amounts), 'customers'
    skipped: int  # forecast days with too little history to forecast from

    def rows(self, measure: str) -> pd.DataFrame:
        """The forecasts of one measure."""
        return self.forecasts[self.forecasts["measure"] == measure]

    def held(self, measure: str, level: int) -> int:
        """How many of the measure's `level` % intervals (50 or 80) held the actual figure."""
        return int(self.rows(measure)[f"held_{level}"].sum())

    def coverage(self, measure: str, level: int) -> float:
        """The share (0–1) of the measure's `level` % intervals that held."""
        return float(self.rows(measure)[f"held_{level}"].mean())

    def brier(self, measure: str) -> float:
        """Mean of (chance − met)², chance 0–1 and met 0 or 1: 0 is perfect."""
        r = self.rows(measure)
        return float(((r["chance"] - r["met"]) ** 2).mean())

    def bias(self, measure: str) -> float:
        """Mean of (actual − expected) ÷ expected: above 0, the forecasts were low."""
        r = self.rows(measure)
        r = r[r["expected"] > 0]
        return float(((r["actual"] - r["expected"]) / r["expected"]).mean())

    def calibration(self, measure: str) -> pd.DataFrame:
        """Forecasts grouped by the chance they gave: columns chance (the group, e.g.
        '20–40%'), forecasts, stated (their mean chance, 0–1), met (the share that met the
        goal, 0–1; NaN in an empty group)."""
        r = self.rows(measure)
        edges = np.asarray(CHANCE_BINS)
        group = np.clip(np.searchsorted(edges, r["chance"], side="right") - 1, 0, len(edges) - 2)
        out = []
        for g in range(len(edges) - 1):
            inside = r[group == g]
            label = f"{edges[g]:.0%}–{edges[g + 1]:.0%}".replace("%–", "–")
            out.append((label, len(inside), inside["chance"].mean(), inside["met"].mean()))
        return pd.DataFrame(out, columns=["chance", "forecasts", "stated", "met"])


def _first_created(table: LeadTable | Snapshot) -> pd.Timestamp | None:
    """The first lead's time of creation; None when no lead has one."""
    created = snapshot(table).created
    return None if np.isnat(created).all() else pd.Timestamp(np.fmin.reduce(created))


def forecast_days(
    table: LeadTable | Snapshot, months: int, first: pd.Period, weeks: int = WEEKS
) -> list[pd.Timestamp]:
    """Mondays whose period (see `period_of`) ended before the export's as-of day, the latest
    last, at most `weeks` × 2 of them (`backtest` skips days history cannot forecast from)."""
    created = _first_created(table)
    if created is None:
        return []
    as_of = table.as_of.normalize()
    mondays = pd.date_range(created.normalize(), as_of, freq="W-MON")
    ended = [d for d in mondays if period_of(d, months, first)[1] < as_of]
    return ended[-2 * weeks :]


def period_starts(table: LeadTable | Snapshot, months: int, first: pd.Period) -> list[pd.Timestamp]:
    """The first day of each period (see `period_of`) that began after the export's first lead
    and ended before its as-of day, the latest last."""
    created = _first_created(table)
    if created is None:
        return []
    start, _ = period_of(created, months, first)
    starts: list[pd.Timestamp] = []
    while True:
        start = start + pd.DateOffset(months=months)
        if period_of(start, months, first)[1] >= table.as_of.normalize():
            return starts
        starts.append(start)


def backtest(
    table: LeadTable,
    months: int = 3,
    first: pd.Period | None = None,
    weeks: int = WEEKS,
    trials: int = TRIALS,
    seed: int = 0,
    goals: Mapping[tuple[str, pd.Timestamp], float] | None = None,
    trend: bool = True,
    budget: float | None = WIN_BUDGET,
    days: Sequence[pd.Timestamp] | None = None,
    least: int = MIN_FORECASTS,
) -> Backtest:
    """Forecast the period of `months` months (laid from month `first`; default January) of
    each of the last `weeks` Mondays whose period has ended, from what `table` knew that
    Monday, and score the forecasts (see the module's docstring).

    `goals`: the goal of a measure ('revenue' or 'customers') for the period starting on a
    day, and only periods with one are scored; None scores every period at the median of what
    the backtested periods won. `forecasts` columns: measure, as_of, start, end, expected,
    low_50, high_50, low_80, high_80 (the intervals' ends), actual, goal, chance (0–1, of
    reaching the goal), met, held_50, held_80, trials. `trend`: whether each forecast follows
    the trends history showed that day (`funnelkit.forecast.trends`). `budget`: fewer trials
    than `trials` for a funnel so large that they would draw more wins than this (None: always
    `trials`). `days`: forecast on these days instead of the Mondays (e.g. each period's first,
    `period_starts`). Raises InputError when fewer than `least` forecasts can be made and
    scored."""
    first = pd.Period("2000-01", "M") if first is None else first
    measures = MEASURES if has_amounts(table) else ("customers",)
    source = snapshot(table).with_hashes()
    source = source if "revenue" in measures else source.counted()

    def forecast_on(day: pd.Timestamp) -> _Made | None:
        """The forecast made on `day`, None when history that day cannot make one or when it
        foresees nothing at all: a range of nothing holds whatever an empty export did, and
        says nothing of the forecast."""
        start, end = period_of(day, months, first)
        past = source.on(day)
        try:
            history = measure_history(past, past.as_of, trend)
            pipeline = open_pipeline(past, past.as_of)
            arrivals = run_rate_arrivals(past, day, (end - day).days, trends=history.trends)
            wins = expected_wins(history, pipeline, arrivals)
            f = simulate(
                history,
                pipeline,
                arrivals,
                start,
                end,
                goal=0.0,
                trials=trials if budget is None else trials_for(wins, trials, budget, MIN_TRIALS),
                seed=seed,
                to_date=won_in(past, start, day),
            )
        except InputError:
            return None
        if not f.customers.any() and not f.revenue.any():
            return None  # nothing could happen (no pipeline, no new leads): nothing to score
        return day, start, end, f.revenue, f.customers.astype(float)

    # the latest days first, as many at once as forecasts are still wanted, on every core: each
    # forecast stands alone, so the days tried and the forecasts made are those of one at a time
    left = list(reversed(forecast_days(table, months, first, weeks) if days is None else days))
    made: list[_Made] = []
    skipped = 0
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        while left and (days is not None or len(made) < weeks):
            wanted = len(left) if days is not None else weeks - len(made)
            tried, left = left[:wanted], left[wanted:]
            runs = [pool.submit(forecast_on, d) for d in tried]
            for run in runs:
                result = run.result()
                if result is None:
                    skipped += 1
                else:
                    made.append(result)
    if len(made) < least:
        which = "weekly forecasts" if days is None else "forecasts at a period's start"
        raise InputError(
            f"{table.source} has too little history to backtest the forecast on: "
            f"{len(made)} {which} of periods that have ended could be made, and "
            f"{least} or more are needed"
        )
    made.reverse()
    rows = []
    for measure in measures:
        actual = {}
        for _, start, end, _, _ in made:
            won, count = won_in(source, start, end)
            actual[start] = won if measure == "revenue" else float(count)
        median = float(np.median(list(actual.values())))
        for day, start, end, revenue, customers in made:
            outcomes: np.ndarray = revenue if measure == "revenue" else customers
            if goals is not None and (measure, start) not in goals:
                continue  # a period with no goal known at its start is not scored
            goal = median if goals is None else goals[(measure, start)]
            q = np.quantile(outcomes, [*LEVELS[50], *LEVELS[80]])
            rows.append(
                {
                    "measure": measure,
                    "as_of": day,
                    "start": start,
                    "end": end,
                    "expected": float(outcomes.mean()),
                    "low_50": q[0],
                    "high_50": q[1],
                    "low_80": q[2],
                    "high_80": q[3],
                    "actual": actual[start],
                    "goal": goal,
                    "chance": float((outcomes >= goal).mean()),
                    "met": float(actual[start] >= goal),
                    "trials": len(outcomes),
                }
            )
    scored = sum(1 for r in rows if r["measure"] == measures[0])
    if scored < least:
        raise InputError(
            f"{table.source} has too little history to backtest the forecast on: "
            f"{scored} forecasts of periods with a goal to score against could be made, and "
            f"{least} or more are needed"
        )
    forecasts = pd.DataFrame(rows)
    for level in LEVELS:
        low, high = forecasts[f"low_{level}"], forecasts[f"high_{level}"]
        forecasts[f"held_{level}"] = (forecasts["actual"] >= low) & (forecasts["actual"] <= high)
    return Backtest(forecasts, measures, skipped)
