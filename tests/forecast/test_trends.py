"""Trends in new-lead volume and deal size: the line worked by hand, when a trend is shown,
and what the forecast does with one."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE

from funnelkit import read_export
from funnelkit.forecast.simulation import (
    History,
    Pipeline,
    measure_history,
    run_rate_arrivals,
    simulate,
)
from funnelkit.forecast.trends import DAYS_PER_MONTH, NO_TRENDS, Trends, _slope, measure_trends


def test_a_straight_line_is_its_slope_and_a_flat_noisy_one_is_none():
    month = np.arange(12, dtype=float)
    assert _slope(month, 0.05 * month + 3) == pytest.approx(0.05)
    wobble = np.array([0.1, -0.1] * 6)
    assert _slope(month, 5 + wobble) == 0  # no slope at all
    # slope 0.01 against a ±0.1 wobble: about 0.6 standard errors, not shown
    assert _slope(month, 5 + 0.01 * month + wobble) == 0
    assert _slope(month[:11], 0.05 * month[:11]) == 0  # under a year


def growing(table, rate):
    """The sample's leads thinned so each month has about exp(rate × months) as many as its
    first: a steady growth of `rate` (log) a month."""
    created = table.leads["lead_at"]
    month = (created.dt.year - 2025) * 12 + created.dt.month - 5
    keep_share = np.exp(rate * (month - month.max()))
    rng = np.random.default_rng(0)
    keep = rng.random(len(created)) < keep_share.to_numpy()
    return dataclasses.replace(table, leads=table.leads.loc[keep].reset_index(drop=True))


def test_a_steady_growth_is_measured():
    sample = read_export(SAMPLE)
    assert measure_trends(sample, sample.as_of) == Trends(0.0, 0.0, 12)  # the sample's: none
    grown = growing(sample, 0.15)
    trends = measure_trends(grown, grown.as_of)
    # the sample's own 2 % a month or so plus the 15 % thinned in
    assert trends.volume == pytest.approx(0.15 + 0.02, abs=0.04)
    assert measure_history(grown, grown.as_of).trends.volume == trends.volume
    assert measure_history(grown, grown.as_of, trend=False).trends == NO_TRENDS


def test_the_run_rate_grows_along_the_trend_from_the_window_s_middle():
    sample = read_export(SAMPLE)
    flat = run_rate_arrivals(sample, "2026-09-30", 10)
    trends = Trends(volume=0.1)
    grown = run_rate_arrivals(sample, "2026-09-30", 10, trends=trends)
    days = np.arange(10) + 0.5 + 45  # from the 90-day window's middle to each day's middle
    np.testing.assert_allclose(grown, flat * np.exp(0.1 * days / DAYS_PER_MONTH))


def test_deal_amounts_grow_along_their_trend_to_the_close_day():
    # one step that always takes 3 days and converts every lead; one amount, won 30 days ago
    growth = np.log(1.1)  # 10 % a month
    history = History(
        as_of=pd.Timestamp("2026-01-31"),
        steps=("s0",),
        converted=np.array([1000.0]),
        exposure=np.array([1000.0]),
        durations=(np.array([3.0]),),
        amounts=np.array([1000.0]),
        trends=Trends(amount=growth),
        amount_ages=np.array([30.0]),
    )
    pipeline = Pipeline(
        ids=np.array(["a", "b"]), stage=np.array([0, 0]), age_days=np.array([1.0, 1.0]), undated=0
    )
    f = simulate(history, pipeline, np.zeros(59), "2026-01-01", "2026-03-31", 0.0, trials=500)
    # each lead closes 2 days on (ceil(3 − 1)), its amount grown over 30 + 2 days
    each = 1000 * np.exp(growth * 32 / DAYS_PER_MONTH)
    wins = f.customers
    np.testing.assert_allclose(f.revenue[wins == 2], 2 * each)
    assert (wins == 2).mean() > 0.9
