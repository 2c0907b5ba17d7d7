"""Each stage's entries in a forecast period, per trial: what a team's volume goal (MQLs
delivered, SQLs accepted) is read from, from the same trials as revenue.

Each trial already has its own step rates and new-lead volume (`simulation.simulate`). In a
trial, a stage's entries still to come in the period are counted as Poisson with the mean of
what the trial's rates and volume give:

- new leads arriving on the plan's days, times the rates to the stage, times the share of
  them whose days to the stage (drawn from history's step durations) end within the period;
- each open lead before the stage: its chance to take its current step given how long it has
  waited (`advance`), times the rates of the steps after it to the stage, times
  the share of its remaining days (its step's durations longer than its wait, then the next
  steps') that end within the period.

The entries so far in the period are added. Stages share a trial's rates and volume, so the
trials carry how team goals rise and fall together; within a trial the stages' counts are
drawn apart (a lead counted at one stage is not tracked to the next), so the spread between
stages is a little wider than the funnel's own. The last stage's count is the simulation's
customers, tracked deal by deal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

Durations = tuple[np.ndarray, ...]  # per step, history's sorted observed days

TIMING_DRAWS = 4_000  # draws of the days to a stage, per group of open leads and for new ones
SURVIVAL_LEVELS = 64  # an open lead's chance to advance is computed at this many levels


def advance(rate: np.ndarray | float, survive: np.ndarray | float) -> np.ndarray | float:
    """The chance a lead advances given it has not yet, with `survive` the share of observed
    durations longer than its wait: p·S / (1 − p + p·S)."""
    return rate * survive / (1 - rate + rate * survive)


def _days_through(
    durations: Durations, first: int, last: int, size: int, rng: np.random.Generator
) -> np.ndarray:
    """`size` draws of the days through steps `first` … `last` − 1 (0 when none)."""
    total = np.zeros(size)
    for days in durations[first:last]:
        total += days[rng.integers(0, len(days), size)]
    return total


def _within(days: np.ndarray, first: int, horizon: int) -> float:
    """The share of arrival offsets `days` (after the as-of day) on days first … horizon."""
    landed = np.ceil(days)
    return float(np.mean((landed >= first) & (landed <= horizon)))


def _new_within(arrivals: np.ndarray, later: np.ndarray, first: int, horizon: int) -> float:
    """The share of new leads that, arriving some time in day i after the as-of day (evenly
    within it, `arrivals[i]` of them) and taking `later` days (draws) to a stage, enter it on
    days first … horizon: exact in the arrival time, averaged over the draws."""
    start = np.arange(len(arrivals))[:, np.newaxis] + later[np.newaxis, :]  # (days, draws)
    inside = np.clip(np.minimum(start + 1, horizon) - np.maximum(start, first - 1), 0.0, 1.0)
    return float(arrivals @ inside.mean(axis=1) / arrivals.sum())


def stage_entries(
    durations: Durations,
    as_of: pd.Timestamp,
    open_stage: np.ndarray,
    open_age: np.ndarray,
    arrivals: np.ndarray,
    start: pd.Timestamp,
    end: pd.Timestamp,
    rates: np.ndarray,
    volume: np.ndarray,
    so_far: np.ndarray,
    seed: int = 0,
) -> np.ndarray:
    """(trials, stages − 1): entries into each stage but the last from `start` to `end`, per
    trial. `durations`: history's per step; `open_stage`, `open_age`: the open leads' stage
    index and days in it on `as_of`; `rates` (trials, steps) and `volume` (trials,): the
    trials' draws; `arrivals`: expected new leads per day after `as_of`; `so_far`: each
    stage's entries in the period up to `as_of`."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    as_of = pd.Timestamp(as_of).normalize()
    horizon = int((pd.Timestamp(end).normalize() - as_of).days)
    first = max(int((pd.Timestamp(start).normalize() - as_of).days), 1)
    trials, steps = rates.shape
    reach = np.c_[np.ones(trials), np.cumprod(rates, axis=1)]  # [:, k]: stage 0 to stage k
    means = np.zeros((trials, steps))
    expected_new = float(np.sum(arrivals))
    if expected_new > 0:
        for k in range(steps):
            later = _days_through(durations, 0, k, TIMING_DRAWS, rng)
            share = _new_within(arrivals, later, first, horizon)
            means[:, k] += expected_new * volume * reach[:, k] * share
    levels = np.linspace(0.0, 1.0, SURVIVAL_LEVELS + 1)
    for s, taken in enumerate(durations[: steps - 1]):
        ages = np.floor(open_age[open_stage == s])
        if not len(ages):
            continue
        group_ages, count = np.unique(ages, return_counts=True)
        longer = len(taken) - np.searchsorted(taken, group_ages, side="right")
        level = np.rint(longer / len(taken) * SURVIVAL_LEVELS).astype(int)
        ahead = list(range(s + 1, steps))  # the stages these leads can still enter in the period
        weight = np.zeros((SURVIVAL_LEVELS + 1, len(ahead)))  # leads × in time, per level
        for age, n, left, lv in zip(group_ages, count, longer, level, strict=True):
            if left == 0:
                continue  # waited longer than any lead ever did: stalled
            rest = taken[rng.integers(len(taken) - left, len(taken), TIMING_DRAWS)] - age
            for j, k in enumerate(ahead):
                days = rest + _days_through(durations, s + 1, k, TIMING_DRAWS, rng)
                weight[lv, j] += n * _within(days, first, horizon)
        used = weight.any(axis=1)
        chance = advance(rates[:, s : s + 1], levels[np.newaxis, used])  # (trials, used)
        after = reach[:, ahead] / reach[:, s + 1 : s + 2]  # steps after the current one
        means[:, ahead] += (chance @ weight[used]) * after
    return rng.poisson(means) + np.asarray(so_far, dtype=np.int64)[np.newaxis, :]
