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
- each won deal's amount from the won amounts (grown along history's trend in deal size to
  the deal's close day, where the last year shows one: `funnelkit.forecast.trends`);
- each trial is a period of its own: it shifts every step's rate, the new-lead volume and the
  deal size by the spread history shows between months (`funnelkit.forecast.spreads`).

Random numbers are drawn per open lead from its own stream (keyed by its id), so adding a
lead to the pipeline only ever adds wins to a trial: more pipeline never lowers the chance of
reaching the goal, exactly, for a given seed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

from funnelkit.actuals.measures import MATURITY_QUANTILE, SECONDS_PER_DAY
from funnelkit.core.exceptions import InputError
from funnelkit.core.types import DateLike
from funnelkit.core.validation import check_number
from funnelkit.crm.fields import stage_field
from funnelkit.crm.leads import LeadTable
from funnelkit.forecast.lead_streams import lead_keys, uniform_pairs, uniforms
from funnelkit.forecast.snapshot import Snapshot, instant, snapshot
from funnelkit.forecast.spreads import measure_spreads
from funnelkit.forecast.stage_entries import advance, stage_entries
from funnelkit.forecast.trends import MONTHS as TREND_MONTHS
from funnelkit.forecast.trends import NO_TRENDS, Trends, measure_trends
from funnelkit.plan.build import Plan
from funnelkit.plan.funnel import step_name

TRIALS = 100_000  # simulated periods of a forecast, at most
MIN_TRIALS = 4_000  # … and at least, however large the funnel
WIN_BUDGET = 10_000_000  # wins simulated in all a forecast's trials, about (bounds its time)
INTERVAL = (0.10, 0.90)  # the stated 80 % interval
FAN = (0.10, 0.25, 0.50, 0.75, 0.90)  # quantiles of cumulative revenue in the fan chart
RESIDUAL_DRAWS = 512  # draws of the days through the steps after a stage
RESIDUAL_SIZES = (32, 128, RESIDUAL_DRAWS)  # draws of an open lead's close day, by its wins
CHUNK_DRAWS = 100_000  # about the most candidate wins held in memory at once
LEADS_AT_ONCE = 1024  # open leads whose close days are drawn at once (× RESIDUAL_DRAWS)
BLOCKS = 16  # blocks of trials, in order of their rates, each with its own bound on a win
DENSE = 0.5  # a lead this likely to win in a block is tried in every trial of it
_RESIDUAL, _GAP, _ACCEPT = range(3)  # the uses of an open lead's own numbers
NEW_DRAWS = 20_000  # draws of a new lead's arrival and time to close
RUN_RATE_DAYS = 90  # the days before the as-of day whose lead creation gives history's rate
MAX_AHEAD_DAYS = 5 * 366  # a period ending further after the as-of day is not forecast


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
    trends: Trends = NO_TRENDS  # growth of new leads and deal size
    amount_ages: np.ndarray | None = None  # days before as_of each amount was won

    @property
    def rates(self) -> np.ndarray:
        """Per step, the mean of the Beta the conversion rate is drawn from."""
        return (self.converted + 1) / (np.maximum(self.exposure, self.converted) + 2)


@dataclass(frozen=True)
class Pipeline:
    """Open leads by stage and age: ids, stage index (into the lead table's stages), days in it."""

    ids: np.ndarray | ExtensionArray  # as the lead table holds them (`Snapshot.ids`)
    stage: np.ndarray
    age_days: np.ndarray
    undated: int  # open leads left out because their current stage has no time
    hashes: np.ndarray | None = None  # the ids' `lead_streams.id_hashes`, when known


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
    trial_rates: np.ndarray  # (trials, steps): each trial's step rates
    trial_volume: np.ndarray  # (trials,): each trial's factor on new leads
    entries: np.ndarray | None = None  # (trials, stages − 1): entries into each stage but the
    # last in the period (`stage_entries`), when the forecast counted them

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


def _days(delta: np.ndarray) -> np.ndarray:
    """Days (fractional) in each of an array of time spans (NaN where NaT)."""
    return delta / np.timedelta64(1, "s") / SECONDS_PER_DAY


def _whole_days(delta: pd.Timedelta) -> int:
    """Whole days in a time span, rounded towards zero."""
    return int(delta / pd.Timedelta(days=1))


def measure_history(
    table: LeadTable | Snapshot, as_of: DateLike | None = None, trend: bool = True
) -> History:
    """Conversion counts, stage times and won amounts from `table` as known on `as_of`, and,
    with `trend`, the trends in new-lead volume and deal size history shows (`trends`).

    With a trend in deal size, amounts are those won in the trend's months, each grown along
    the trend to its deal's close day."""
    as_of = table.as_of if as_of is None else pd.Timestamp(as_of)
    s = snapshot(table)
    now = instant(as_of)
    steps, converted, exposure, durations = [], [], [], []
    for k, (a, b) in enumerate(zip(s.stages, s.stages[1:], strict=False)):
        step = step_name(a, b)
        start, end = s.times[:, k], s.times[:, k + 1]
        timed = ~np.isnat(start) & ~np.isnat(end) & (end >= start)
        days = np.sort(_days(end[timed] - start[timed]))
        if len(days) == 0:
            raise InputError(
                f"no history for step '{step}' in {s.source}: no lead has both "
                f"'{stage_field(a)}' and '{stage_field(b)}' in order, and a forecast draws the "
                "step's time from those"
            )
        dated = start <= now  # NaT compares False
        share_waited = np.searchsorted(days, _days(now - start[dated]), side="right") / len(days)
        steps.append(step)
        converted.append(int(s.reached[dated, k + 1].sum()))
        exposure.append(float(share_waited.sum()))
        durations.append(days)
    trends = measure_trends(s, as_of) if trend else NO_TRENDS
    won = s.won.copy()
    if trends.amount:
        won &= s.won_at >= instant(as_of - pd.DateOffset(months=TREND_MONTHS))
    if s.amount is not None:
        won &= s.amount > 0
    amounts = s.amount[won] if s.amount is not None else np.array([])
    ages = _days(now - s.won_at[won])
    if len(amounts) == 0:
        raise InputError(
            f"no history of deal amounts in {s.source}: no won lead has an 'amount', and a "
            "forecast draws each deal's amount from those"
        )
    maturity = {
        step: float(np.quantile(days, MATURITY_QUANTILE))
        for step, days in zip(steps, durations, strict=True)
    }
    spread_rates, spread_volume, spread_amount = measure_spreads(
        s, as_of, tuple(steps), trends.volume, maturity
    )
    return History(
        spreads=Spreads(spread_rates, spread_volume, spread_amount),
        trends=trends,
        amount_ages=ages if trends.amount else None,
        as_of=as_of,
        steps=tuple(steps),
        converted=np.asarray(converted, dtype=float),
        exposure=np.asarray(exposure),
        durations=tuple(durations),
        amounts=amounts,
    )


def open_pipeline(table: LeadTable | Snapshot, as_of: DateLike | None = None) -> Pipeline:
    """The open leads before the last stage: their stage (the furthest reached) and its age."""
    as_of = table.as_of if as_of is None else pd.Timestamp(as_of)
    s = snapshot(table)
    stage = s.reached.sum(axis=1) - 1  # furthest stage reached (reached is monotone)
    candidate = s.open & (stage < len(s.stages) - 1)
    entered = s.times[np.arange(len(s)), stage]
    dated = ~np.isnat(entered)
    keep = candidate & dated
    return Pipeline(
        ids=s.ids[keep],
        stage=stage[keep],
        age_days=np.maximum(_days(instant(as_of) - entered[keep]), 0.0),
        undated=int((candidate & ~dated).sum()),
        hashes=None if s.hashes is None else s.hashes[keep],
    )


def _draw_later(history: History, first: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """Days through the steps from index `first` to the last, `size` draws (sum of each step's)."""
    total = np.zeros(size)
    for days in history.durations[first:]:
        total += days[rng.integers(0, len(days), size)]
    return total


def _ranges(sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups of `sizes` items laid end to end: each item's group and place in it."""
    group = np.repeat(np.arange(len(sizes)), sizes)
    first = np.cumsum(sizes) - sizes
    return group, np.arange(len(group)) - first[group]


def _candidates(
    keys: np.ndarray, lo: np.ndarray, n: np.ndarray, bound: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate positions in segments of positions `lo` … `lo + n − 1`, each position a
    candidate with its segment's chance `bound`, drawn as geometric gaps between one
    candidate and the next from the numbers of the segment's lead (`keys`). Returns each
    candidate's segment, position and a uniform number (0–1) of its own."""
    every = np.flatnonzero(bound >= 1)  # a candidate at every position: no gaps to draw
    segment, place = _ranges(n[every])
    segment = every[segment]
    position = lo[segment] + place
    found = [(segment, position, uniform_pairs(keys[segment], _ACCEPT, position)[0])]
    start, used = lo.copy(), np.zeros(len(lo), dtype=np.int64)  # next position, gaps drawn
    active = np.flatnonzero((bound > 0) & (bound < 1))
    while len(active):
        left = lo[active] + n[active] - start[active]
        mean = left * bound[active]
        size = np.minimum(np.ceil(mean + 3 * np.sqrt(mean) + 3).astype(np.int64), left)
        group, place = _ranges(size)
        segment = active[group]
        u_gap, u = uniform_pairs(keys[segment], _GAP, lo[segment] + used[segment] + place)
        gap = 1 + np.floor(np.log(u_gap) / np.log1p(-bound[segment]))
        gap = np.minimum(gap, n[segment] + 1).astype(np.int64)
        total = np.cumsum(gap)
        first = np.cumsum(size) - size
        position = start[segment] + total - (total - gap)[first][group] - 1
        keep = position < lo[segment] + n[segment]
        found.append((segment[keep], position[keep], u[keep]))
        last = position[first + size - 1]
        start[active], used[active] = last + 1, used[active] + size
        active = active[last + 1 < lo[active] + n[active]]
    segment, position, u = (np.concatenate(part) for part in zip(*found, strict=True))
    return segment, position, u


def _pipeline_hits(
    history: History,
    pipeline: Pipeline,
    rates: np.ndarray,
    beyond: np.ndarray,
    later: np.ndarray,
    horizon: int,
    seed: int,
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The open leads' wins closing by day `horizon`: (trial, close day, amount) arrays, one
    tuple per group of leads (of about CHUNK_DRAWS candidate wins each).

    `rates` and `beyond` per trial and stage: the step's rate and the rate from the next
    stage to the last; `later` per stage: RESIDUAL_DRAWS draws of the days through the steps
    after it. A lead that waited `t` days advances with the chance `_advance`, and its
    remaining time is drawn from history's durations longer than `t` plus `later`; a lead that
    waited longer than any lead ever did is stalled. Each lead draws from its own numbers
    (`lead_streams`), so adding a lead only ever adds wins to a trial.

    A trial wins in time when u < win·in_time for u uniform. Per stage the trials are put in
    order of their rate to the end and cut into BLOCKS blocks; in each block u is drawn only
    below the block's bound of win·in_time (few draws are wasted), and the close time given a
    win is the residual quantile at u / win.
    """
    trials = len(rates)
    stage, age = pipeline.stage, pipeline.age_days
    sizes = np.array([len(d) for d in history.durations])
    waited = np.zeros(len(stage), dtype=np.int64)  # observed durations no longer than the age
    for k, days in enumerate(history.durations):
        at = stage == k
        waited[at] = np.searchsorted(days, age[at], side="right")
    longer = sizes[stage] - waited
    # the first longer duration of each lead's stage, in all stages' durations laid end to end
    first_longer = np.r_[0, np.cumsum(sizes)[:-1]][stage] + waited
    durations = np.concatenate(history.durations)
    alive = np.flatnonzero(longer > 0)
    known = None if pipeline.hashes is None else pipeline.hashes[alive]
    all_keys = lead_keys(pipeline.ids[alive], seed, known)
    order = np.argsort(rates * beyond, axis=0, kind="stable")  # [position, stage] → trial
    in_order = np.take_along_axis(rates, order, 0), np.take_along_axis(beyond, order, 0)
    edges = np.unique(np.linspace(0, trials, min(BLOCKS, trials) + 1).astype(np.int64))
    blocked = (edges, *(np.maximum.reduceat(x, edges[:-1], axis=0) for x in in_order))
    # one block for the leads that win in few trials: their few candidates waste little
    whole = (np.array([0, trials]), *(x.max(axis=0, keepdims=True) for x in in_order))
    # a lead's close days are drawn as many times as its wins might need: few for the many
    # leads that win in few trials
    mean = history.rates
    mean_beyond = np.r_[np.cumprod(mean[::-1])[::-1][1:], 1.0]
    survive = longer / sizes[stage]  # the share of observed durations longer than the wait
    likely = trials * advance(mean[stage[alive]], survive[alive]) * mean_beyond[stage[alive]]
    size_of = np.asarray(RESIDUAL_SIZES)[
        np.minimum(np.searchsorted(RESIDUAL_SIZES, likely), len(RESIDUAL_SIZES) - 1)
    ]
    for draws in RESIDUAL_SIZES:
        group = np.flatnonzero(size_of == draws)
        for lo in range(0, len(group), LEADS_AT_ONCE):
            at = group[lo : lo + LEADS_AT_ONCE]
            yield from _lead_group(
                alive[at],
                all_keys[at],
                draws,
                (stage, age, longer, first_longer, survive),
                durations,
                history,
                later,
                horizon,
                (order, in_order, *(whole if draws == RESIDUAL_SIZES[0] else blocked)),
            )


def _lead_group(
    idx: np.ndarray,
    keys: np.ndarray,
    draws: int,
    leads: tuple[np.ndarray, ...],
    durations: np.ndarray,
    history: History,
    later: np.ndarray,
    horizon: int,
    trials: tuple[np.ndarray, tuple[np.ndarray, np.ndarray], np.ndarray, np.ndarray, np.ndarray],
) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The wins of the open leads `idx` (with their `keys`), each drawing `draws` close days:
    (trial, close day, amount) arrays, one tuple per group of about CHUNK_DRAWS candidates.
    `leads`: every open lead's stage, age, count of observed durations longer than its age,
    where the first of those lies in `durations` (every stage's, end to end) and the share
    they are of their stage's; `trials`: the trials in rate order, the rates in that order,
    the blocks' edges and the blocks' highest rates."""
    stage, age, longer, first_longer, survive_all = leads
    order, in_order, edges, top_rate, top_beyond = trials
    blocks, sizes_of_block = len(edges) - 1, np.diff(edges)
    st, survive = stage[idx], survive_all[idx]
    pick = (1 - uniforms(keys[:, None], _RESIDUAL, np.arange(draws))) * longer[idx][:, None]
    chosen = durations[first_longer[idx][:, None] + pick.astype(np.int64)]
    # close days (whole days after the as-of day; rounding up keeps the order)
    residual = np.sort(np.ceil(chosen - age[idx][:, None] + later[st, :draws]), axis=1)
    residual = residual.astype(np.int32)
    in_time = (residual <= horizon).sum(axis=1) / draws
    seg_lead, block = _ranges(np.full(len(idx), blocks))
    seg_stage = st[seg_lead]
    bound = (
        advance(top_rate[block, seg_stage], survive[seg_lead])
        * top_beyond[block, seg_stage]
        * in_time[seg_lead]
    )
    bound[bound >= DENSE] = 1.0  # gaps would cost more than trying every position
    # leads in groups of about CHUNK_DRAWS expected candidates, so arrays stay small
    expected = np.cumsum((bound * sizes_of_block[block]).reshape(len(idx), blocks).sum(1))
    cuts = np.searchsorted(expected, np.arange(CHUNK_DRAWS, expected[-1], CHUNK_DRAWS))
    segments = (seg_lead, seg_stage, edges[block], sizes_of_block[block], bound)
    for first, last in zip(np.r_[0, cuts], np.r_[cuts, len(idx)], strict=True):
        if last > first:
            part = slice(first * blocks, last * blocks)
            yield _wins(
                tuple(x[part] for x in segments),
                keys,
                (survive, in_time, residual),
                (order, *in_order),
                history,
            )


def _wins(
    segments: tuple[np.ndarray, ...],
    keys: np.ndarray,
    leads: tuple[np.ndarray, np.ndarray, np.ndarray],
    trials: tuple[np.ndarray, np.ndarray, np.ndarray],
    history: History,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The wins of a group of leads: (trial, close day, amount) arrays. `segments`: each
    segment's lead, stage, first position, positions and bound; `leads`: each lead's share of
    durations longer than its wait, chance of closing in time and sorted close days;
    `trials`: per position and stage, the trial, its step rate and its rate from the next
    stage to the last."""
    seg_lead, seg_stage, seg_lo, seg_n, bound = segments
    survive, in_time, residual = leads
    order, rate, beyond = trials
    segment, position, u = _candidates(keys[seg_lead], seg_lo, seg_n, bound)
    lead, s = seg_lead[segment], seg_stage[segment]
    u *= bound[segment]
    win = advance(rate[position, s], survive[lead]) * beyond[position, s]
    won = u < win * in_time[lead]
    lead, trial = lead[won], order[position[won], s[won]]
    # given a win, u / win is uniform below in_time, so u / win × the lead's draws is uniform
    # below a whole number: its whole part picks the close day, its fraction (uniform and
    # independent of the whole part) the deal's amount
    quantile = u[won] / win[won] * residual.shape[1]
    pick = quantile.astype(np.int64)
    close = residual[lead, pick]
    which = ((quantile - pick) * len(history.amounts)).astype(np.int64)
    return trial, close, _amounts(history, which, close)


def _amounts(history: History, which: np.ndarray, close: np.ndarray) -> np.ndarray:
    """Won amounts `which` (indexes into history's) for deals closing `close` days after the
    as-of day, grown along history's trend in deal size when it shows one (money)."""
    amounts = history.amounts[which]
    if history.amount_ages is None:
        return amounts
    return amounts * history.trends.amount_factor(close + history.amount_ages[which])


PIPELINE, NEW_LEADS = 0, 1  # where a win came from


class _Tally:
    """Wins summed by trial, source (PIPELINE or NEW_LEADS) and fan point, a batch at a time.

    Batches are kept until they hold about as many wins as the sums have cells, then summed,
    so memory stays bounded and each summing pass is worth its cost."""

    def __init__(self, trials: int, points: np.ndarray, first: int) -> None:
        self.trials, self.points, self.first = trials, len(points), first
        days = np.arange(int(points[-1]) + 1)
        self.point_of = np.minimum(-(-days // 7), len(points) - 1)  # close day → its fan point
        self.sums = np.zeros(trials * 2 * self.points)
        self.customers = np.zeros(trials, dtype=np.int64)
        self.batch: list[tuple[np.ndarray, np.ndarray]] = []
        self.held = 0

    def add(self, source: int, trial: np.ndarray, close: np.ndarray, amount: np.ndarray) -> None:
        """Wins of one source: trial, close day (offset from the as-of day) and amount each;
        those closing before the period's first day do not count."""
        if self.first > 1:
            counts = close >= self.first
            trial, close, amount = trial[counts], close[counts], amount[counts]
        self.batch.append(((trial * 2 + source) * self.points + self.point_of[close], amount))
        self.customers += np.bincount(trial, minlength=self.trials)
        self.held += len(trial)
        if self.held >= max(len(self.sums), CHUNK_DRAWS):
            self._sum()

    def _sum(self) -> None:
        if self.batch:
            cell, amount = (np.concatenate(part) for part in zip(*self.batch, strict=True))
            self.sums += np.bincount(cell, amount, len(self.sums))
        self.batch, self.held = [], 0

    def totals(self) -> tuple[np.ndarray, np.ndarray]:
        """Amounts by [trial, source, point], and customers by trial."""
        self._sum()
        return self.sums.reshape(self.trials, 2, self.points), self.customers


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
    horizon = _whole_days(end - as_of)  # days that can still close: as_of + 1 … end
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
    first = max(_whole_days(start - as_of), 1)  # first day offset that counts
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
    later = np.stack(
        [_draw_later(history, s + 1, RESIDUAL_DRAWS, shared) for s in range(len(alpha))]
    )
    points = np.unique(np.r_[np.arange(0, horizon, 7), horizon])  # fan: weekly and the end
    tally = _Tally(trials, points, first)
    for hits in _pipeline_hits(history, pipeline, rates, beyond, later, horizon, seed):
        tally.add(PIPELINE, *hits)

    expected_new = float(arrivals.sum())
    if expected_new > 0:
        # Only new leads that win and close in time count: their number is Poisson with the
        # mean thinned by the chance of closing in time, estimated from NEW_DRAWS pairs of
        # arrival day and time to close; each counted win takes its close day from those pairs.
        day = new.choice(horizon, size=NEW_DRAWS, p=arrivals / expected_new) + new.random(NEW_DRAWS)
        close = np.ceil(day + _draw_later(history, 0, NEW_DRAWS, new)).astype(int)
        close = close[close <= horizon]
        mean = expected_new * volume * through[:, 0] * len(close) / NEW_DRAWS
        wins = new.poisson(mean)
        cuts = np.searchsorted(
            np.cumsum(wins), np.arange(1, wins.sum() // CHUNK_DRAWS + 1) * CHUNK_DRAWS
        )
        for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, trials], strict=True):
            trial = np.repeat(np.arange(lo, hi), wins[lo:hi])
            pick = new.integers(0, len(close), len(trial)) if len(close) else trial[:0]
            which = new.integers(0, len(history.amounts), len(trial))
            tally.add(NEW_LEADS, trial, close[pick], _amounts(history, which, close[pick]))

    by_point, customers = tally.totals()
    by_point *= amount_shift[:, None, None]  # [trial, source, point]
    cumulative = np.cumsum(by_point.sum(axis=1), axis=1) + to_date[0]
    from_pipeline, from_new = by_point.sum(axis=(0, 2)) / trials
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
        from_pipeline=float(from_pipeline),
        from_new_leads=float(from_new),
        expected_new_leads=expected_new,
        fan=fan,
        pipeline=pipeline,
        trial_rates=rates,
        trial_volume=np.broadcast_to(volume, (trials,)),
    )


def _won_between(s: Snapshot, first: pd.Timestamp, last: pd.Timestamp) -> np.ndarray:
    """Per lead, whether it was won from day `first` to day `last`, both included."""
    stop = instant(last + pd.Timedelta(days=1))
    return s.won & (s.won_at >= instant(first)) & (s.won_at < stop)


def won_in(
    table: LeadTable | Snapshot, first: pd.Timestamp, last: pd.Timestamp
) -> tuple[float, int]:
    """Revenue (money) and customers won from day `first` to day `last`, both included."""
    s = snapshot(table)
    won = _won_between(s, first, last)
    amount = np.nansum(s.amount[won]) if s.amount is not None else np.nan
    return float(amount), int(won.sum())


def cumulative_won(
    table: LeadTable | Snapshot, first: pd.Timestamp, last: pd.Timestamp
) -> pd.Series:
    """Revenue (money) won from day `first` to the end of each day up to `last`."""
    s = snapshot(table)
    days = pd.date_range(first, last, freq="D")
    if s.amount is None:
        return pd.Series(np.nan, index=days)
    won = _won_between(s, first, last)
    by_day = (
        pd.Series(s.amount[won], name="amount").groupby(s.won_at[won].astype("datetime64[D]")).sum()
    )
    return by_day.reindex(days, fill_value=0.0).cumsum()


def run_rate_arrivals(
    table: LeadTable | Snapshot,
    as_of: DateLike,
    days: int,
    window: int = RUN_RATE_DAYS,
    trends: Trends | None = None,
) -> np.ndarray:
    """Expected new leads per day for `days` days after `as_of`: the daily rate at which leads
    were created in the `window` days to `as_of`, grown along `trends` (a volume trend) from
    the window's middle day."""
    stop = pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)
    created = snapshot(table).created
    recent = (created >= instant(stop - pd.Timedelta(days=window))) & (created < instant(stop))
    rate = np.full(days, int(recent.sum()) / window)
    if trends is None or not trends.volume:
        return rate
    return rate * trends.volume_factor(np.arange(days) + 0.5 + window / 2)


def plan_period(plan: Plan) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of the plan's period."""
    start = pd.Timestamp(plan.params.start)
    return start, start + pd.DateOffset(months=plan.params.months) - pd.Timedelta(days=1)


def plan_arrivals(plan: Plan, as_of: pd.Timestamp) -> np.ndarray:
    """Expected new leads per day after `as_of` to the period's end: the plan's first-stage
    volume from every source over the period's days, every day. The plan's volume is
    marketing's, for its share of the revenue goal; sales' own sources bring the rest of the
    revenue, so every source brings that volume ÷ the marketing share (the forecast, like the
    goal, counts revenue from every source)."""
    start, end = plan_period(plan)
    horizon = (end - as_of.normalize()).days
    if horizon < 1:
        raise InputError(
            f"nothing to forecast for plan '{plan.params.name}': its period ended on "
            f"{end.date()}, on or before the export's as-of day {as_of.date()}"
        )
    if horizon > MAX_AHEAD_DAYS:  # a year typed wrong; history says little that far ahead
        raise InputError(
            f"nothing to forecast for plan '{plan.params.name}': its period ends on "
            f"{end.date()}, more than {MAX_AHEAD_DAYS // 366} years after the export's as-of "
            f"day {as_of.date()}"
        )
    share = plan.params.marketing_share
    every_source = plan.targets.volumes[0] / share if share > 0 else 0.0  # no share: no leads
    return np.full(horizon, every_source / ((end - start).days + 1))


def expected_wins(history: History, pipeline: Pipeline, arrivals: np.ndarray) -> float:
    """About how many wins a trial holds, closing in time or not: each open lead's chance at
    history's mean rates, plus the new leads times the rate through the funnel."""
    rates = history.rates
    through = np.cumprod(rates[::-1])[::-1]
    beyond = np.r_[through[1:], 1.0]
    total = float(np.sum(arrivals) * through[0])
    for k, days in enumerate(history.durations):
        age = pipeline.age_days[pipeline.stage == k]
        survive = (len(days) - np.searchsorted(days, age, side="right")) / len(days)
        total += float(np.sum(advance(rates[k], survive)) * beyond[k])
    return total


def trials_for(wins: float, most: int, budget: float = WIN_BUDGET, least: int = MIN_TRIALS) -> int:
    """Trials for a forecast whose trials hold about `wins` wins each: `most`, or fewer so
    that all trials hold about `budget` wins, never fewer than `least` (nor more than `most`).
    The simulation's time grows with the wins it draws; the chance's sampling error at
    `least` trials is under 1 point."""
    return int(min(most, max(least, budget // max(wins, 1.0))))


def forecast_plan(
    plan: Plan,
    table: LeadTable,
    as_of: DateLike | None = None,
    trials: int | None = None,
    seed: int = 0,
) -> Forecast:
    """The plan's period forecast from its lead table: the open pipeline, history as known on
    `as_of` (default: the export's; its trends unless the plan switches them off), and new
    leads at `plan_arrivals`. `trials`: None for TRIALS, or fewer for a funnel so large that
    they would draw more than WIN_BUDGET wins (`trials_for`)."""
    as_of = (table.as_of if as_of is None else pd.Timestamp(as_of)).normalize()
    p = plan.params
    start, end = plan_period(plan)
    history = measure_history(table, as_of, trend=p.forecast_trend)
    pipeline = open_pipeline(table, as_of)
    arrivals = plan_arrivals(plan, as_of)
    if trials is None:
        trials = trials_for(expected_wins(history, pipeline, arrivals), TRIALS)
    f = simulate(
        history,
        pipeline,
        arrivals,
        start,
        end,
        goal=p.revenue_goal,
        customers_goal=p.revenue_goal / p.deal_size,
        trials=trials,
        seed=seed,
        to_date=won_in(table, start, as_of) if as_of >= start else (0.0, 0),
    )
    entries = stage_entries(
        history.durations,
        as_of,
        pipeline.stage,
        pipeline.age_days,
        arrivals,
        start,
        end,
        f.trial_rates,
        f.trial_volume,
        entries_between(table, start, as_of)[:-1],
        seed,
    )
    return dataclasses.replace(f, entries=entries)


def entries_between(
    table: LeadTable | Snapshot, first: pd.Timestamp, last: pd.Timestamp
) -> np.ndarray:
    """Entries into each stage from day `first` to day `last`, both included."""
    times = snapshot(table).times
    stop = instant(last.normalize() + pd.Timedelta(days=1))
    return ((times >= instant(first)) & (times < stop)).sum(axis=0)
