"""The reverse plan and the forward projection: worked examples, properties, edge cases."""

import itertools
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from funnelkit import (
    Funnel,
    InputError,
    customers_needed,
    expected_volumes,
    forward_projection,
    leads_needed,
    marketing_revenue_goal,
    reverse_plan,
    stage_volumes_needed,
)
from funnelkit.core.rounding import NOISE

rates_st = st.lists(st.floats(min_value=0.001, max_value=1.0), min_size=1, max_size=6)
# money below a cent and shares below one in a million are not plans (and underflow floats)
goal_st = st.one_of(st.just(0.0), st.floats(min_value=0.01, max_value=1e12))
share_st = st.one_of(st.just(0.0), st.floats(min_value=1e-6, max_value=1))
deal_st = st.floats(min_value=1, max_value=1e7)


def make_funnel(rates):
    stages = tuple(f"s{i}" for i in range(len(rates) + 1))
    return Funnel(stages, tuple(rates), tuple(1.0 for _ in rates))


# --- worked examples (article 003's three formulas, by hand) ---------------------------


def test_article_003_formulas_by_hand():
    # 1,000,000 × 40 % = 400,000; ÷ 15,000 = 26.67 customers; ÷ 2 % = 1,333.33 leads
    assert marketing_revenue_goal(1_000_000, 0.4) == pytest.approx(400_000)
    assert customers_needed(400_000, 15_000) == pytest.approx(26.6667, abs=1e-4)
    assert leads_needed(400_000 / 15_000, 0.02) == pytest.approx(1333.3333, abs=1e-4)


def test_reverse_plan_carries_exact_values_and_rounds_each_stage_up(funnel_002):
    plan = reverse_plan(1_000_000, 0.4, 15_000, funnel_002)
    # customers 26.67 -> 27; the opportunity stage needs 26.67 / 0.4 = 66.67 -> 67,
    # not 27 / 0.4 = 67.5 -> 68
    np.testing.assert_allclose(plan.volumes, [4000 / 3, 1000 / 3, 400 / 3, 200 / 3, 80 / 3])
    np.testing.assert_array_equal(plan.whole, [1334, 334, 134, 67, 27])
    assert plan.marketing_revenue_goal == pytest.approx(400_000)
    assert plan.volume("opportunity") == pytest.approx(66.6667, abs=1e-4)


def test_reverse_plan_frame_has_a_row_per_stage(funnel_002):
    table = reverse_plan(1_000_000, 0.4, 15_000, funnel_002).frame()
    assert list(table["stage"]) == list(funnel_002.stages)
    assert list(table["volume_whole"]) == [1334, 334, 134, 67, 27]
    assert list(table["days_to_last"]) == [60, 55, 45, 30, 0]
    assert np.isnan(table["rate_to_next"].iloc[-1])


def test_forward_projection_from_the_middle_of_the_funnel(funnel_002):
    proj = forward_projection(100, "sql", funnel_002, deal_size=15_000)
    assert proj.stages == ("sql", "opportunity", "won")
    np.testing.assert_allclose(proj.volumes, [100, 50, 20])
    assert proj.revenue == pytest.approx(300_000)
    assert list(proj.frame()["volume_whole"]) == [100, 50, 20]


def test_expected_volumes_are_a_running_product():
    np.testing.assert_allclose(expected_volumes(1000, [0.5, 0.2]), [1000, 500, 100])


# --- independent computation ------------------------------------------------------------


@given(
    goal=st.integers(0, 10**9),
    share_pct=st.integers(0, 100),
    deal=st.integers(1, 10**6),
    rates_pct=st.lists(st.integers(1, 100), min_size=1, max_size=6),
)
def test_reverse_plan_matches_exact_rational_arithmetic(goal, share_pct, deal, rates_pct):
    """Fractions give the exact answer the floats must agree with (and round like)."""
    rates = [p / 100 for p in rates_pct]
    plan = reverse_plan(goal, share_pct / 100, deal, make_funnel(rates))
    volume = Fraction(goal) * Fraction(share_pct, 100) / deal
    exact = [volume]
    for p in reversed(rates_pct):
        volume = volume / Fraction(p, 100)
        exact.append(volume)
    exact.reverse()
    np.testing.assert_allclose(plan.volumes, [float(v) for v in exact], rtol=1e-12)
    # the rounding rule applied to the exact rationals: up, unless within noise of a whole;
    # whole units are promised below 10¹⁰ (funnelkit.core.rounding): past ~10¹⁵ floats cannot
    # even represent every whole number
    for shown, v in zip(plan.whole, exact, strict=True):
        if v < 10**10:
            nearest = round(v)
            is_noise = abs(v - nearest) <= Fraction(NOISE) * max(v, 1)
            assert shown == (nearest if is_noise else -(-v.numerator // v.denominator))


# --- properties -------------------------------------------------------------------------


@given(rates=rates_st, goal=goal_st, share=share_st, deal=deal_st, data=st.data())
def test_a_higher_conversion_rate_never_needs_more_leads(rates, goal, share, deal, data):
    i = data.draw(st.integers(0, len(rates) - 1))
    higher = data.draw(st.floats(min_value=rates[i], max_value=1.0))
    better = rates.copy()
    better[i] = higher
    base = reverse_plan(goal, share, deal, make_funnel(rates)).volumes[0]
    new = reverse_plan(goal, share, deal, make_funnel(better)).volumes[0]
    assert new <= base * (1 + 1e-12)


@given(rates=rates_st, goal=goal_st, share=share_st, deal=deal_st)
def test_reverse_then_forward_returns_the_goal(rates, goal, share, deal):
    f = make_funnel(rates)
    plan = reverse_plan(goal, share, deal, f)
    proj = forward_projection(plan.volumes[0], f.stages[0], f, deal)
    assert proj.revenue == pytest.approx(goal * share, rel=1e-9, abs=1e-6)
    np.testing.assert_allclose(proj.volumes, plan.volumes, rtol=1e-9, atol=1e-9)


@given(rates=rates_st, goal=goal_st, share=share_st, deal=deal_st)
def test_doubling_the_goal_doubles_every_exact_volume(rates, goal, share, deal):
    f = make_funnel(rates)
    once = reverse_plan(goal, share, deal, f).volumes
    twice = reverse_plan(2 * goal, share, deal, f).volumes
    np.testing.assert_allclose(twice, 2 * once, rtol=1e-12)


@given(rates=rates_st, goal=goal_st, share=share_st, deal=deal_st)
def test_volumes_never_shrink_up_the_funnel(rates, goal, share, deal):
    v = reverse_plan(goal, share, deal, make_funnel(rates)).volumes
    assert all(a >= b for a, b in itertools.pairwise(v))


# --- vectorised use ---------------------------------------------------------------------


def test_formulas_take_pandas_series_of_scenarios():
    goals = pd.Series([100_000.0, 200_000.0])
    result = customers_needed(marketing_revenue_goal(goals, 0.5), 10_000)
    assert isinstance(result, pd.Series)
    assert list(result) == [5.0, 10.0]


def test_stage_volumes_needed_broadcasts_over_scenarios():
    customers = np.array([10.0, 20.0])
    rates = np.array([[0.5, 0.5], [0.25, 1.0]])
    np.testing.assert_allclose(stage_volumes_needed(customers, rates), [[40, 20, 10], [80, 20, 20]])


# --- edge cases -------------------------------------------------------------------------


def test_one_step_funnel():
    plan = reverse_plan(50_000, 1.0, 10_000, Funnel(("lead", "won"), (0.1,), (30,)))
    np.testing.assert_allclose(plan.volumes, [50, 5])


def test_rate_of_one_passes_volume_through(funnel_002):
    plan = reverse_plan(300_000, 1.0, 10_000, funnel_002.with_rate("mql→sql", 1.0))
    assert plan.volume("mql") == pytest.approx(plan.volume("sql"))


def test_zero_goal_needs_nothing(funnel_002):
    plan = reverse_plan(0, 0.5, 10_000, funnel_002)
    np.testing.assert_array_equal(plan.volumes, 0)
    np.testing.assert_array_equal(plan.whole, 0)


def test_tiny_goal_still_needs_one_whole_customer(funnel_002):
    plan = reverse_plan(1, 1.0, 10_000, funnel_002)
    np.testing.assert_array_equal(plan.whole, [1, 1, 1, 1, 1])


def test_huge_goal_keeps_precision(funnel_002):
    plan = reverse_plan(1e15, 0.4, 15_000, funnel_002)
    assert plan.volumes[0] == pytest.approx(1e15 * 0.4 / 15_000 / 0.02, rel=1e-12)


# --- messages ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: marketing_revenue_goal(-1, 0.5), "'revenue_goal' must be >= 0 (got -1)"),
        (lambda: marketing_revenue_goal(100, 1.2), "'marketing_share' must be in [0, 1] (got 1.2)"),
        (lambda: customers_needed(-5, 100), "'revenue' must be >= 0 (got -5)"),
        (lambda: customers_needed(100, 0), "'deal_size' must be > 0 (got 0)"),
        (lambda: leads_needed(-1, 0.5), "'customers' must be >= 0 (got -1)"),
        (lambda: leads_needed(10, 0), "'lead_close_rate' must be in (0, 1] (got 0)"),
        (lambda: stage_volumes_needed(-1, [0.5]), "'last_stage_volume' must be >= 0 (got -1)"),
        (lambda: expected_volumes(-1, [0.5]), "'volume' must be >= 0 (got -1)"),
        (
            lambda: stage_volumes_needed(10, [0.5, 1.5]),
            "'conversion_rate' must be in (0, 1] (got 1.5 at position 1; 1 of 2 values break the rule)",
        ),
        (
            lambda: expected_volumes(10, [0.0]),
            "'conversion_rate' must be in (0, 1] (got 0.0 at position 0; 1 of 1 values break the rule)",
        ),
    ],
)
def test_bad_inputs_name_field_rule_and_value(call, message):
    with pytest.raises(InputError) as err:
        call()
    assert str(err.value) == message


def test_forward_projection_rejects_unknown_stage_and_bad_deal_size(funnel_002):
    with pytest.raises(InputError, match=r"^'stage' must be one of"):
        forward_projection(10, "customer", funnel_002, 1000)
    with pytest.raises(InputError, match=r"^'deal_size' must be > 0 \(got -1\)$"):
        forward_projection(10, "sql", funnel_002, -1)
