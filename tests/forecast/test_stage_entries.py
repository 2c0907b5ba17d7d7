"""Each stage's entries in a forecast period: worked out by hand where every step takes a fixed
number of days, for new leads and for an open lead, and counted from the same trials as
revenue (a trial's rates move its stages together)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from funnelkit.forecast.stage_entries import advance, stage_entries

AS_OF = pd.Timestamp("2026-03-31")
TRIALS = 40_000


def _entries(rates, arrivals, start, end, open_stage=(), open_age=(), durations=None, so_far=None):
    steps = len(rates)
    durations = durations or tuple(np.full(50, 5.0) for _ in range(steps))  # 5 days a step
    return stage_entries(
        durations,
        AS_OF,
        np.asarray(open_stage, dtype=int),
        np.asarray(open_age, dtype=float),
        np.asarray(arrivals, dtype=float),
        pd.Timestamp(start),
        pd.Timestamp(end),
        np.tile(rates, (TRIALS, 1)),
        np.ones(TRIALS),
        np.zeros(steps, dtype=int) if so_far is None else np.asarray(so_far),
    )


def test_new_leads_reach_each_stage_by_hand():
    # 10 leads a day for the 30 days of April; steps of 5 days at rates 0.5, 0.4, 0.5. A lead
    # arriving in day i (0-based, some time in it) enters stage k on day i + 1 + 5k, which is
    # in April for i ≤ 29 − 5k: 30 − 5k arrival days.
    counts = _entries([0.5, 0.4, 0.5], np.full(30, 10.0), "2026-04-01", "2026-04-30")
    expected = [10 * 30, 10 * 0.5 * 25, 10 * 0.5 * 0.4 * 20]
    se = np.sqrt(expected) / np.sqrt(TRIALS)  # Poisson draws' mean
    assert counts.mean(axis=0) == pytest.approx(expected, abs=4 * se.max())
    assert counts.var(axis=0) == pytest.approx(expected, rel=0.05)


def test_a_period_that_starts_later_counts_only_its_own_days():
    # the period is 11–30 April: stage 0 gets arrival days 10 … 29 (20 days); stage 1 those
    # entering on days 11 … 30, i.e. arrival days 5 … 24 (20 days)
    counts = _entries([0.5, 0.5], np.full(30, 10.0), "2026-04-11", "2026-04-30")
    assert counts.mean(axis=0) == pytest.approx([200, 100], rel=0.01)


def test_an_open_lead_counts_by_its_chance_to_advance_and_its_remaining_days():
    # one lead waiting 2 days at stage 0 and one at stage 1 (step durations 1 … 10 days,
    # evenly); the period is the next 30 days, so every remaining time fits
    durations = tuple(np.arange(1.0, 11.0) for _ in range(3))
    counts = _entries(
        [0.5, 0.4, 0.5],
        np.zeros(30),
        "2026-04-01",
        "2026-04-30",
        open_stage=[0, 1],
        open_age=[2.0, 2.0],
        durations=durations,
    )
    survive = 8 / 10  # durations longer than 2 days
    lead0 = advance(0.5, survive)  # into stage 1; then × 0.4 into stage 2
    lead1 = advance(0.4, survive)  # into stage 2
    assert counts.mean(axis=0) == pytest.approx([0, lead0, lead0 * 0.4 + lead1], abs=0.01)


def test_a_stalled_lead_and_entries_so_far():
    # a lead that waited longer than any step ever took adds nothing; entries so far add on
    counts = _entries([0.5], np.zeros(30), "2026-04-01", "2026-04-30", [0], [60.0], so_far=[7, 3])
    assert (counts == [7, 3]).all()


def test_a_trial_s_rates_move_its_stages_together():
    # half the trials convert leads at 20 %, half at 60 %: their stage 1 (entered 5 days after
    # arrival, so from 25 of April's 30 days of 10 leads) follows each trial's own rate
    first = np.r_[np.full(TRIALS // 2, 0.2), np.full(TRIALS // 2, 0.6)]
    rates = np.c_[first, np.full(TRIALS, 0.5)]
    counts = stage_entries(
        (np.full(10, 5.0), np.full(10, 5.0)),
        AS_OF,
        np.array([], dtype=int),
        np.array([]),
        np.full(30, 10.0),
        pd.Timestamp("2026-04-01"),
        pd.Timestamp("2026-04-30"),
        rates,
        np.ones(TRIALS),
        np.zeros(2, dtype=int),
    )
    low, high = counts[: TRIALS // 2, 1].mean(), counts[TRIALS // 2 :, 1].mean()
    assert (low, high) == pytest.approx((0.2 * 250, 0.6 * 250), rel=0.02)
