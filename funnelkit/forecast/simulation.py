"""Attainment forecast: the revenue and customers that will close in a period, by Monte Carlo.

Everything uncertain is drawn from history as the lead table knows it on `as_of`:

- each step's conversion rate from a Beta distribution over its observed counts. Leads that
  entered a step recently have not had the time to convert yet, so each counts as the share
  of the step's observed durations it has already waited (`History.exposure`);
- each step's time from its observed durations;
- an open lead that has waited `t` days at its stage advances with the chance
  ``p·S(t) / (1 − p + p·S(t))``, where `S(t)` is the share of observed durations longer than
  `t`, and its remaining time is drawn from those longer durations; a lead that has waited
  longer than any lead ever did is stalled;
- new leads arrive at the expected daily volumes given (e.g. the plan's) as a Poisson process;
- each won deal's amount from the won amounts.

Random numbers are drawn per open lead from its own stream (keyed by its id), so adding a
lead to the pipeline only ever adds wins to a trial: more pipeline never lowers the chance of
reaching the goal, exactly, for a given seed.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import overload

import numpy as np
import pandas as pd

from funnelkit.actuals.measures import SECONDS_PER_DAY, step_days
from funnelkit.core.exceptions import InputError
from funnelkit.core.types import DateLike
from funnelkit.core.validation import check_number
from funnelkit.crm.fields import ID, stage_field
from funnelkit.crm.leads import LeadTable
from funnelkit.forecast.spreads import measure_spreads
from funnelkit.plan.build import Plan
from funnelkit.plan.funnel import step_name

TRIALS = 100_000
INTERVAL = (0.10, 0.90)  # the stated 80 % interval
FAN = (0.10, 0.25, 0.50, 0.75, 0.90)  # quantiles of cumulative revenue in the fan chart
RESIDUAL_DRAWS = 512  # draws of each open lead's time to close, sorted into quantiles
NEW_DRAWS = 20_000  # draws of a new lead's arrival and time to close
RUN_RATE_DAYS = 90  # the days before the as-of day whose lead creation gives history's rate


@dataclass(frozen=True)
class Spreads:
    """How much a funnel moved from month to month beyond sampling noise: standard deviations
    on the log-odds of each step's rate, and on the log of new-lead volume and of the mean
    deal amount. A forecast draws one shift of each per trial, so its intervals carry the
    drift real funnels show between periods."""

    rates: np.ndarray  # per step, log-odds
    volume: float  # log of new leads per day
    amount: float  # log of the mean won amount


@dataclass(frozen=True)
class History:
    """What the forecast draws from, as known on `as_of`."""

    as_of: pd.Timestamp
    steps: tuple[str, ...]  # 'lead→mql', …
    converted: np.ndarray  # per step, leads that went on to the next stage
    exposure: np.ndarray  # per step, entered leads weighted by the share of durations waited
    durations: tuple[np.ndarray, ...]  # per step, sorted observed days
    amounts: np.ndarray  # won deal amounts (money)
    # how much past months differed beyond chance (`Spreads`); none: parameter uncertainty only
    spreads: Spreads | None = None

    @property
    def rates(self) -> np.ndarray:
        """Per step, the mean of the Beta the conversion rate is drawn from."""
        return (self.converted + 1) / (np.maximum(self.exposure, self.converted) + 2)


@dataclass(frozen=True)
class Pipeline:
    """Open leads by stage and age: ids, stage index (into the lead table's stages), days in it."""

    ids: np.ndarray
    stage: np.ndarray
    age_days: np.ndarray
    undated: int  # open leads left out because their current stage has no time


@dataclass(frozen=True)
class Forecast:
    """The simulated period: per-trial totals (to date included) and the cumulative fan."""

    start: pd.Timestamp  # first day that counts
    end: pd.Timestamp  # last day that counts
    as_of: pd.Timestamp
    goal: float  # revenue goal (money)
    customers_goal: float
    revenue: np.ndarray  # per trial, money
    customers: np.ndarray  # per trial
    revenue_to_date: float
    customers_to_date: int
    from_pipeline: float  # expected revenue from the open pipeline
    from_new_leads: float  # expected revenue from leads still to come
    expected_new_leads: float
    fan: pd.DataFrame  # index: day; columns: FAN quantiles of cumulative revenue
    pipeline: Pipeline

    @property
    def expected_revenue(self) -> float:
        """Mean revenue over the trials (money)."""
        return float(self.revenue.mean())

    @property
    def expected_customers(self) -> float:
        """Mean customers over the trials."""
        return float(self.customers.mean())

    @property
    def probability(self) -> float:
        """Share of trials reaching the revenue goal."""
        return float((self.revenue >= self.goal).mean())

    @property
    def interval(self) -> tuple[float, float]:
        """The 80 % interval of revenue (money)."""
        low, high = np.quantile(self.revenue, INTERVAL)
        return float(low), float(high)


@overload
def _days(delta: pd.Timedelta) -> float: ...
@overload
def _days(delta: pd.Series) -> pd.Series: ...
def _days(delta: pd.Series | pd.Timedelta) -> pd.Series | float:
    """Days (fractional) in a time span, or in each of a Series of them."""
    return (
        delta.total_seconds() / SECONDS_PER_DAY
        if isinstance(delta, pd.Timedelta)
        else (delta.dt.total_seconds() / SECONDS_PER_DAY)
    )


def measure_history(table: LeadTable, as_of: DateLike | None = None) -> History:
    """Conversion counts, stage times and won amounts from `table` as known on `as_of`."""
    as_of = table.as_of if as_of is None else pd.Timestamp(as_of)
    reached = table.reached()
    steps, converted, exposure, durations = [], [], [], []
    for a, b in zip(table.stages, table.stages[1:], strict=False):
        step = step_name(a, b)
        days = np.sort(step_days(table, a, b).to_numpy())
        if len(days) == 0:
            raise InputError(
                f"no history for step '{step}' in {table.source}: no lead has both "
                f"'{stage_field(a)}' and '{stage_field(b)}' in order, and a forecast draws the "
                "step's time from those"
            )
        entered_at = table.leads[stage_field(a)]
        dated = entered_at.notna() & (entered_at <= as_of)
        waited = _days(as_of - entered_at[dated]).to_numpy()
        share_waited = np.searchsorted(days, waited, side="right") / len(days)
        steps.append(step)
        converted.append(int(reached.loc[dated, b].sum()))
        exposure.append(float(share_waited.sum()))
        durations.append(days)
    leads = table.leads
    won = (leads["outcome"] == "won") if "outcome" in leads else reached[table.stages[-1]]
    amounts = leads.loc[won, "amount"].dropna().to_numpy() if "amount" in leads else np.array([])
    amounts = amounts[amounts > 0]
    if len(amounts) == 0:
        raise InputError(
            f"no history of deal amounts in {table.source}: no won lead has an 'amount', and a "
            "forecast draws each deal's amount from those"
        )
    spread_rates, spread_volume, spread_amount = measure_spreads(table, as_of, tuple(steps))
    return History(
        spreads=Spreads(spread_rates, spread_volume, spread_amount),
        as_of=as_of,
        steps=tuple(steps),
        converted=np.asarray(converted, dtype=float),
        exposure=np.asarray(exposure),
        durations=tuple(durations),
        amounts=np.asarray(amounts, dtype=float),
    )


def open_pipeline(table: LeadTable, as_of: DateLike | None = None) -> Pipeline:
    """The open leads before the last stage: their stage (the furthest reached) and its age."""
    as_of = table.as_of if as_of is None else pd.Timestamp(as_of)
    leads = table.leads
    reached = table.reached().to_numpy()
    stage = reached.sum(axis=1) - 1  # furthest stage reached (reached is monotone)
    is_open = (leads["outcome"] == "open").to_numpy() if "outcome" in leads else np.ones(len(leads))
    candidate = is_open.astype(bool) & (stage < len(table.stages) - 1)
    times = leads[table.stage_columns].to_numpy()
    entered = times[np.arange(len(leads)), stage]
    dated = ~np.isnat(entered)
    keep = candidate & dated
    age = (np.datetime64(as_of) - entered[keep]) / np.timedelta64(1, "s") / SECONDS_PER_DAY
    return Pipeline(
        ids=leads[ID].to_numpy()[keep],
        stage=stage[keep],
        age_days=np.maximum(age.astype(float), 0.0),
        undated=int((candidate & ~dated).sum()),
    )


def _lead_stream(seed: int, lead_id: object) -> np.random.Generator:
    key = zlib.crc32(str(lead_id).encode())
    return np.random.default_rng(np.random.SeedSequence([seed, key]))


def _draw_later(history: History, first: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """Days through the steps from index `first` to the last, `size` draws (sum of each step's)."""
    total = np.zeros(size)
    for days in history.durations[first:]:
        total += days[rng.integers(0, len(days), size)]
    return total


def _residuals(
    days: np.ndarray, age: float, later: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Sorted draws of an open lead's days from now to the last stage, given it advances: the
    rest of its current step (`days` longer than `age`) plus `later` (the following steps)."""
    longer = days[np.searchsorted(days, age, side="right") :]
    return np.sort(longer[rng.integers(0, len(longer), len(later))] - age + later)


def _advance(rate: np.ndarray | float, survive: float) -> np.ndarray | float:
    """The chance a lead advances given it has not yet, with `survive` the share of observed
    durations longer than its wait: p·S / (1 − p + p·S)."""
    return rate * survive / (1 - rate + rate * survive)


def simulate(
    history: History,
    pipeline: Pipeline,
    arrivals: np.ndarray,
    start: DateLike,
    end: DateLike,
    goal: float,
    customers_goal: float = 0.0,
    trials: int = TRIALS,
    seed: int = 0,
    to_date: tuple[float, int] = (0.0, 0),
) -> Forecast:
    """Simulate `trials` periods: wins closing from the day after `history.as_of` to `end`
    (and not before `start`), on top of `to_date` (revenue, customers already won).

    `arrivals`: expected new leads per day for the days after `as_of` up to `end`.
    """
    check_number("goal", goal, low=0)
    check_number("trials", trials, low=1)
    as_of = history.as_of.normalize()
    start, end = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    horizon = int(_days(end - as_of))  # days that can still close: as_of + 1 … end
    if horizon < 1:
        raise InputError(
            f"nothing to forecast: the period ended on {end.date()}, on or before the data's "
            f"as-of day {as_of.date()}"
        )
    arrivals = np.asarray(arrivals, dtype=float)
    if arrivals.shape != (horizon,):
        raise InputError(
            f"'arrivals' must give one expected volume per day from {as_of.date()} + 1 to "
            f"{end.date()} ({horizon} days) (got {arrivals.shape[0]})"
        )
    if len(pipeline.ids) == 0 and arrivals.sum() == 0:
        raise InputError(
            f"nothing to forecast from: no open lead in the pipeline on {as_of.date()} and no "
            "new leads expected"
        )
    first = max(int(_days(start - as_of)), 1)  # first day offset that counts
    streams = np.random.SeedSequence(seed).spawn(3)
    shared, new, drift = (np.random.default_rng(s) for s in streams)
    alpha = history.converted + 1
    beta = np.maximum(history.exposure - history.converted, 0) + 1
    rates = shared.beta(alpha, beta, size=(trials, len(alpha)))
    volume = amount_shift = np.ones(trials)
    if history.spreads is not None:  # each trial a period of its own: rates, volume, deal size
        sp = history.spreads
        shift = drift.normal(0.0, 1.0, (trials, len(alpha))) * sp.rates
        logit = np.log(rates) - np.log1p(-np.minimum(rates, 1 - 1e-12))
        rates = 1 / (1 + np.exp(-(logit + shift)))
        volume = np.exp(drift.normal(0.0, sp.volume, trials) - sp.volume**2 / 2)
        amount_shift = np.exp(drift.normal(0.0, sp.amount, trials) - sp.amount**2 / 2)
    through = np.cumprod(rates[:, ::-1], axis=1)[:, ::-1]  # [:, s]: stage s to the last
    beyond = np.c_[through[:, 1:], np.ones(trials)]  # [:, s]: stage s + 1 to the last
    top_rate, top_beyond = rates.max(axis=0), beyond.max(axis=0)
    later = [_draw_later(history, s + 1, RESIDUAL_DRAWS, shared) for s in range(len(alpha))]
    rate_of, beyond_of = list(np.ascontiguousarray(rates.T)), list(np.ascontiguousarray(beyond.T))
    none = np.zeros(0, dtype=np.int64)
    hits = [(none, none, np.zeros(0))]  # (trial, close day, amount) per lead, then new leads

    for lead_id, stage, age in zip(pipeline.ids, pipeline.stage, pipeline.age_days, strict=True):
        days = history.durations[stage]
        survive = (len(days) - np.searchsorted(days, age, side="right")) / len(days)
        if survive == 0:  # waited longer than any lead ever did: stalled
            continue
        rng = _lead_stream(seed, lead_id)
        residual = _residuals(days, age, later[stage], rng)
        in_time = np.searchsorted(residual, horizon, side="right") / RESIDUAL_DRAWS
        if in_time == 0:
            continue
        # A trial wins in time when u < win·in_time for u uniform; u is drawn only below the
        # bound of win·in_time over all trials, and the close time given a win is the
        # residual quantile at u / win.
        bound = _advance(top_rate[stage], survive) * top_beyond[stage] * in_time
        trial = rng.choice(trials, rng.binomial(trials, bound), replace=False)
        u = rng.random(len(trial)) * bound
        win = _advance(rate_of[stage][trial], survive) * beyond_of[stage][trial]
        won = u < win * in_time
        trial, given = trial[won], u[won] / win[won]
        close = np.ceil(residual[(given * RESIDUAL_DRAWS).astype(int)]).astype(int)
        hits.append(
            (trial, close, history.amounts[rng.integers(0, len(history.amounts), len(trial))])
        )
    pipeline_hits = len(hits)

    expected_new = float(arrivals.sum())
    if expected_new > 0:
        # Only new leads that win and close in time count: their number is Poisson with the
        # mean thinned by the chance of closing in time, estimated from NEW_DRAWS pairs of
        # arrival day and time to close; each counted win takes its close day from those pairs.
        day = new.choice(horizon, size=NEW_DRAWS, p=arrivals / expected_new) + new.random(NEW_DRAWS)
        close = np.ceil(day + _draw_later(history, 0, NEW_DRAWS, new)).astype(int)
        close = close[close <= horizon]
        mean = expected_new * volume * through[:, 0] * len(close) / NEW_DRAWS
        trial = np.repeat(np.arange(trials), new.poisson(mean))
        close = close[new.integers(0, len(close), len(trial))] if len(close) else close
        hits.append(
            (trial, close, history.amounts[new.integers(0, len(history.amounts), len(trial))])
        )

    points = np.unique(np.r_[np.arange(0, horizon, 7), horizon])  # fan: weekly and the end
    trial, close, amount = (np.concatenate(part) for part in zip(*hits, strict=True))
    counts = (close >= first) & (close <= horizon)
    source = np.repeat(np.arange(len(hits)) < pipeline_hits, [len(h[0]) for h in hits])[counts]
    trial, close, amount = (
        trial[counts],
        close[counts],
        amount[counts] * amount_shift[trial[counts]],
    )
    index = trial * len(points) + np.searchsorted(points, close)
    by_point = np.bincount(index, amount, trials * len(points)).reshape(trials, len(points))
    customers = np.bincount(trial, minlength=trials)
    cumulative = np.cumsum(by_point, axis=1) + to_date[0]
    fan = pd.DataFrame(
        np.quantile(cumulative, FAN, axis=0).T,
        index=as_of + pd.to_timedelta(points, unit="D"),
        columns=FAN,
    )
    return Forecast(
        start=start,
        end=end,
        as_of=as_of,
        goal=float(goal),
        customers_goal=float(customers_goal),
        revenue=cumulative[:, -1],
        customers=customers + int(to_date[1]),
        revenue_to_date=float(to_date[0]),
        customers_to_date=int(to_date[1]),
        from_pipeline=float(amount[source].sum() / trials),
        from_new_leads=float(amount[~source].sum() / trials),
        expected_new_leads=expected_new,
        fan=fan,
        pipeline=pipeline,
    )


def _won_between(table: LeadTable, first: pd.Timestamp, last: pd.Timestamp) -> pd.Series:
    won_at = table.leads[stage_field(table.stages[-1])]
    won = won_at.notna() & (won_at >= first) & (won_at < last + pd.Timedelta(days=1))
    return won & (table.leads["outcome"] == "won") if "outcome" in table.leads else won


def won_in(table: LeadTable, first: pd.Timestamp, last: pd.Timestamp) -> tuple[float, int]:
    """Revenue (money) and customers won from day `first` to day `last`, both included."""
    won = _won_between(table, first, last)
    amount = table.leads.loc[won, "amount"].sum() if "amount" in table.leads else np.nan
    return float(amount), int(won.sum())


def cumulative_won(table: LeadTable, first: pd.Timestamp, last: pd.Timestamp) -> pd.Series:
    """Revenue (money) won from day `first` to the end of each day up to `last`."""
    won_at = table.leads[stage_field(table.stages[-1])]
    won = _won_between(table, first, last)
    days = pd.date_range(first, last, freq="D")
    if "amount" not in table.leads:
        return pd.Series(np.nan, index=days)
    by_day = table.leads.loc[won].groupby(won_at[won].dt.normalize())["amount"].sum()
    return by_day.reindex(days, fill_value=0.0).cumsum()


def run_rate_arrivals(
    table: LeadTable, as_of: DateLike, days: int, window: int = RUN_RATE_DAYS
) -> np.ndarray:
    """Expected new leads per day for `days` days after `as_of`: the daily rate at which leads
    were created in the `window` days to `as_of`."""
    as_of = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
    created = table.leads[stage_field(table.stages[0])]
    count = int(((created >= as_of - pd.Timedelta(days=window)) & (created < as_of)).sum())
    return np.full(days, count / window)


def plan_period(plan: Plan) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of the plan's period."""
    start = pd.Timestamp(plan.params.start)
    return start, start + pd.DateOffset(months=plan.params.months) - pd.Timedelta(days=1)


def plan_arrivals(plan: Plan, as_of: pd.Timestamp) -> np.ndarray:
    """Expected new leads per day after `as_of` to the period's end: the plan's first-stage
    volume over the period's days, every day."""
    start, end = plan_period(plan)
    horizon = (end - as_of.normalize()).days
    if horizon < 1:
        raise InputError(
            f"nothing to forecast for plan '{plan.params.name}': its period ended on "
            f"{end.date()}, on or before the export's as-of day {as_of.date()}"
        )
    return np.full(horizon, plan.targets.volumes[0] / ((end - start).days + 1))


def forecast_plan(
    plan: Plan, table: LeadTable, as_of: DateLike | None = None, trials: int = TRIALS, seed: int = 0
) -> Forecast:
    """The plan's period forecast from its lead table: the open pipeline, history as known on
    `as_of` (default: the export's), and new leads at `plan_arrivals`."""
    as_of = (table.as_of if as_of is None else pd.Timestamp(as_of)).normalize()
    p = plan.params
    start, end = plan_period(plan)
    return simulate(
        measure_history(table, as_of),
        open_pipeline(table, as_of),
        plan_arrivals(plan, as_of),
        start,
        end,
        goal=p.revenue_goal,
        customers_goal=p.revenue_goal / p.deal_size,
        trials=trials,
        seed=seed,
        to_date=won_in(table, start, as_of) if as_of >= start else (0.0, 0),
    )
