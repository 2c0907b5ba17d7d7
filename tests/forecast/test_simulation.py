"""The attainment forecast: worked expectations, properties, a seeded run on the sample data,
and the inputs that cannot be forecast. Its track record on history: test_backtest.py."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, SAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st

from funnelkit import InputError, read_export
from funnelkit.forecast.simulation import (
    History,
    Pipeline,
    Spreads,
    expected_wins,
    forecast_plan,
    measure_history,
    open_pipeline,
    simulate,
    trials_for,
)
from funnelkit.forecast.spreads import _between
from funnelkit.plan.build import build_plan
from funnelkit.plan.params import load_params

AS_OF = pd.Timestamp("2026-01-31")
END = pd.Timestamp("2026-03-31")  # 59 days after AS_OF


def history(converted=(40, 30), exposure=(100, 60), days=((1.0, 2.0), (1.0, 3.0)), amounts=(1000,)):
    return History(
        as_of=AS_OF,
        steps=tuple(f"s{i}" for i in range(len(converted))),
        converted=np.asarray(converted, dtype=float),
        exposure=np.asarray(exposure, dtype=float),
        durations=tuple(np.sort(np.asarray(d)) for d in days),
        amounts=np.asarray(amounts, dtype=float),
    )


def pipeline(stages=(), ages=None):
    stages = np.asarray(stages, dtype=int)
    return Pipeline(
        ids=np.array([f"L{i}" for i in range(len(stages))], dtype=object),
        stage=stages,
        age_days=np.zeros(len(stages)) if ages is None else np.asarray(ages, dtype=float),
        undated=0,
    )


def run(h=None, p=None, arrivals=0.0, goal=0.0, trials=100_000, seed=1, start=AS_OF):
    return simulate(
        h or history(),
        p or pipeline([0, 1]),
        np.full(59, arrivals),
        start,
        END,
        goal=goal,
        trials=trials,
        seed=seed,
    )


def test_expected_wins_are_the_mean_rates_multiplied():
    # Every step takes at most 3 days, so every win closes in time. Rates are Beta(41, 61)
    # and Beta(31, 31): a lead at the first stage wins with 41/102 × 31/62, one at the second
    # with 31/62. The mean of a product of independent Betas is the product of the means.
    f = run(p=pipeline([0, 0, 1]))
    first, second = 41 / 102, 31 / 62
    expected = 2 * first * second + second
    spread = np.sqrt(3 * 0.25 / 100_000)  # each lead a Bernoulli: sd ≤ 1/2
    assert f.expected_customers == pytest.approx(expected, abs=4 * spread)
    assert f.expected_revenue == pytest.approx(1000 * f.expected_customers)
    assert f.from_pipeline == pytest.approx(f.expected_revenue)
    assert f.from_new_leads == 0


def test_new_leads_win_at_the_product_of_the_rates():
    # 2 leads a day for 59 days; a new lead needs at most 5 days, so those arriving in the
    # last 5 days may miss the end: the expectation lies between 108 and 118 leads' worth.
    f = run(p=pipeline([]), arrivals=2.0)
    rate = 41 / 102 * 31 / 62
    assert 108 * rate < f.expected_customers < 118 * rate
    assert f.from_pipeline == 0
    assert f.expected_new_leads == pytest.approx(118)


def test_a_lead_that_waited_longer_than_history_is_stalled():
    stalled = run(p=pipeline([1], ages=[3.5]))
    assert stalled.expected_customers == 0
    waiting = run(p=pipeline([1], ages=[2.0]))  # 1 of 2 durations is longer than 2 days
    # p·S / (1 − p + p·S) with S = 1/2, averaged over p ~ Beta(31, 31)
    rates = np.random.default_rng(0).beta(31, 31, 1_000_000)
    assert waiting.expected_customers == pytest.approx(
        np.mean(rates * 0.5 / (1 - rates + rates * 0.5)), abs=0.006
    )


def test_wins_after_the_end_or_before_the_start_do_not_count():
    slow = history(days=((1.0, 2.0), (80.0, 90.0)))  # the last step takes longer than 59 days
    assert run(h=slow).expected_customers == 0
    late_start = run(start=END - pd.Timedelta(days=1))  # only the last two days count
    assert late_start.expected_customers == 0


def test_a_goal_of_zero_is_reached_in_every_trial():
    assert run(goal=0.0, trials=5_000).probability == 1.0


def test_the_fan_rises_to_the_final_revenue():
    f = run(p=pipeline([0] * 20), arrivals=1.0, trials=20_000, goal=5000)
    assert f.fan.index[0] == AS_OF
    assert f.fan.index[-1] == END
    assert (np.diff(f.fan.to_numpy(), axis=0) >= 0).all()
    assert f.fan[0.5].iloc[-1] == pytest.approx(np.median(f.revenue))
    low, high = f.interval
    assert (f.fan[0.1].iloc[-1], f.fan[0.9].iloc[-1]) == pytest.approx((low, high))
    assert f.probability == pytest.approx(np.mean(f.revenue >= 5000))


@settings(max_examples=25, deadline=None)
@given(
    stages=st.lists(st.integers(0, 1), min_size=1, max_size=12),
    ages=st.lists(st.floats(0, 4), min_size=12, max_size=12),
    extra=st.integers(1, 6),
    seed=st.integers(0, 1000),
    goal=st.sampled_from([0.0, 1000.0, 3000.0, 6000.0]),
)
def test_more_pipeline_never_lowers_the_chance_of_the_goal(stages, ages, extra, seed, goal):
    n = len(stages)
    bigger = pipeline(stages + [0] * extra, ages[:n] + [0.0] * extra)
    smaller = dataclasses.replace(
        bigger, ids=bigger.ids[:n], stage=bigger.stage[:n], age_days=bigger.age_days[:n]
    )
    a = run(p=smaller, arrivals=0.3, goal=goal, trials=2_000, seed=seed)
    b = run(p=bigger, arrivals=0.3, goal=goal, trials=2_000, seed=seed)
    assert (b.revenue >= a.revenue).all()  # trial by trial
    assert b.probability >= a.probability


def test_the_same_seed_gives_the_same_forecast():
    a, b = run(trials=5_000, seed=7), run(trials=5_000, seed=7)
    np.testing.assert_array_equal(a.revenue, b.revenue)
    assert not np.array_equal(a.revenue, run(trials=5_000, seed=8).revenue)


@pytest.fixture(scope="module")
def sample():
    return read_export(SAMPLE)


@pytest.fixture(scope="module")
def q4():
    return build_plan(load_params(ROOT / "params" / "2026-q4.yaml"))


def test_history_and_pipeline_measured_on_the_sample(sample):
    h = measure_history(sample)
    assert h.steps == ("lead→mql", "mql→sql", "sql→opportunity", "opportunity→won")
    assert h.converted.tolist() == [1354, 605, 344, 96]
    assert len(h.amounts) == 94  # two won deals have no amount
    p = open_pipeline(sample)
    assert np.bincount(p.stage).tolist() == [175, 749, 261, 82]  # the open leads by stage
    assert p.undated == 0
    leads = sample.leads.set_index("lead_id")
    first = p.ids[0]
    entered = leads.loc[first, sample.stage_columns[p.stage[0]]]
    assert p.age_days[0] == pytest.approx((sample.as_of - entered).total_seconds() / 86400)


def test_a_seeded_forecast_of_the_current_quarter(sample, q4):
    f = forecast_plan(q4, sample, seed=0)
    # October's wins are already in: 6 customers, 76,910
    assert (f.customers_to_date, f.revenue_to_date) == (6, 76910.0)
    assert f.customers.min() >= 6
    assert f.revenue.min() >= 76910
    assert f.expected_revenue == pytest.approx(
        f.revenue_to_date + f.from_pipeline + f.from_new_leads
    )
    assert round(f.expected_revenue) == 297549
    assert f.probability == pytest.approx(0.26399)
    assert f.interval == pytest.approx((205483.92, 401280.17))
    assert forecast_plan(q4, sample, seed=0).interval == f.interval  # same seed, same forecast
    # new leads from every source: marketing's 697.8 planned leads ÷ its 83 % share of revenue,
    # over the 61 of the quarter's 92 days after the as-of day
    assert q4.params.marketing_share == 0.83
    assert f.expected_new_leads == pytest.approx(697.84433363 / 0.83 / 92 * 61)


def test_inputs_that_cannot_be_forecast(sample, q4):
    no_sql_times = dataclasses.replace(sample, leads=sample.leads.assign(opportunity_at=pd.NaT))
    with pytest.raises(InputError) as err:
        measure_history(no_sql_times)
    assert str(err.value) == (
        f"no history for step 'sql→opportunity' in {sample.source}: no lead has both 'sql_at' "
        "and 'opportunity_at' in order, and a forecast draws the step's time from those"
    )
    with pytest.raises(InputError) as err:
        measure_history(dataclasses.replace(sample, leads=sample.leads.assign(amount=np.nan)))
    assert "no history of deal amounts" in str(err.value)
    with pytest.raises(InputError) as err:
        run(p=pipeline([]), arrivals=0.0)
    assert str(err.value) == (
        "nothing to forecast from: no open lead in the pipeline on 2026-01-31 and no new leads "
        "expected"
    )
    with pytest.raises(InputError) as err:
        forecast_plan(q4, sample, as_of="2027-01-05")
    assert str(err.value) == (
        "nothing to forecast for plan '2026-q4': its period ended on 2026-12-31, on or before "
        "the export's as-of day 2027-01-05"
    )
    # a year typed wrong: 2207 for 2027; four years ahead is still forecast
    far = build_plan(dataclasses.replace(q4.params, start=np.datetime64("2207-10-01")))
    with pytest.raises(InputError) as err:
        forecast_plan(far, sample)
    assert str(err.value) == (
        "nothing to forecast for plan '2026-q4': its period ends on 2207-12-31, more than 5 "
        "years after the export's as-of day 2026-10-31"
    )
    ahead = build_plan(dataclasses.replace(q4.params, start=np.datetime64("2030-10-01")))
    assert forecast_plan(ahead, sample, trials=4_000).end == pd.Timestamp("2030-12-31")
    with pytest.raises(InputError) as err:
        simulate(history(), pipeline([0]), np.ones(10), AS_OF, END, goal=0)
    assert "'arrivals' must give one expected volume per day" in str(err.value)
    with pytest.raises(InputError) as err:
        run(goal=-1)
    assert "'goal'" in str(err.value)


def test_no_variation_between_periods_gives_today_s_model():
    """Zero spreads: every trial draws the same shifts of nothing, so the forecast is the
    parameter-uncertainty model's, draw for draw."""
    plain = run(arrivals=2.0, trials=20_000)
    flat = run(
        dataclasses.replace(history(), spreads=Spreads(np.zeros(2), 0.0, 0.0)),
        arrivals=2.0,
        trials=20_000,
    )
    assert np.array_equal(plain.revenue, flat.revenue)


def test_a_wider_spread_never_narrows_the_interval():
    widths = []
    for scale in (0.0, 0.1, 0.3, 0.6):
        h = dataclasses.replace(history(), spreads=Spreads(np.full(2, scale), scale, scale))
        low, high = run(h, arrivals=2.0, trials=20_000).interval
        widths.append(high - low)
    assert widths == sorted(widths)
    assert widths[-1] > 1.5 * widths[0]


def test_the_spread_between_periods_is_the_variance_sampling_does_not_explain():
    # three months of log-rates 0, 0.3, -0.3: variance 0.09 (ddof 1); sampling variance 0.05
    values, noise = np.array([0.0, 0.3, -0.3]), np.full(3, 0.05)
    assert _between(values, noise) == pytest.approx(np.sqrt(0.09 - 0.05))
    assert _between(values, np.full(3, 0.2)) == 0  # all of it noise
    assert _between(values[:2], noise[:2]) == 0  # too few months


def test_trials_shrink_only_for_funnels_too_large_to_draw_in_full():
    assert trials_for(30, 100_000) == 100_000  # 3 million wins: within the budget
    assert trials_for(1_000, 100_000) == 10_000  # 10 million wins over 10,000 trials
    assert trials_for(1e6, 100_000) == 4_000  # never under the floor
    assert trials_for(0, 100_000) == 100_000
    assert trials_for(500, 5_000, budget=1_000_000, least=1_000) == 2_000


def test_the_expected_wins_of_a_trial_worked_by_hand():
    # two steps at Beta means (40+1)/(100+2) and (30+1)/(60+2); one lead at each stage, neither
    # waiting longer than history's durations (1, 2 and 1, 3 days), and 10 new leads
    h = history()
    r0, r1 = 41 / 102, 31 / 62
    p = pipeline(stages=[0, 1], ages=[0.5, 0.5])
    expected = r0 * r1 + r1 + 10 * r0 * r1
    assert expected_wins(h, p, np.full(5, 2.0)) == pytest.approx(expected)
    # a lead that waited 1.5 days at stage 0: half the durations are longer
    waited = pipeline(stages=[0], ages=[1.5])
    assert expected_wins(h, waited, np.zeros(1)) == pytest.approx(
        r0 * 0.5 / (1 - r0 + r0 * 0.5) * r1
    )
