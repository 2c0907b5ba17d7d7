"""The gap bridge: a two-driver case worked on paper; for any drivers, the contributions add
up to the gap exactly, a driver at its plan contributes nothing, the drivers' order changes
nothing, and every contribution equals the average over all orders of replacement computed
the slow way."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funnelkit.core.exceptions import InputError
from funnelkit.plan.bridge import Driver, bridge, funnel_revenue, had


def test_two_drivers_by_hand():
    # revenue = leads × rate: planned 100 × 0.5 = 50, actual 80 × 0.6 = 48, a gap of -2
    leads, rate = Driver("leads", 100, 80, "marketing"), Driver("rate", 0.5, 0.6, "sales")
    result = bridge([leads, rate], funnel_revenue)
    assert (result.planned, result.actual, result.gap) == pytest.approx((50, 48, -2))
    # leads first: 80 × 0.5 - 50 = -10; leads last: 48 - 100 × 0.6 = -12; mean -11
    # rate first: 100 × 0.6 - 50 = +10; rate last: 48 - 80 × 0.5 = +8; mean +9
    assert result.contributions.tolist() == pytest.approx([-11, 9])
    assert result.by_owner() == pytest.approx({"marketing": -11, "sales": 9})
    assert had(result, funnel_revenue, "leads") == pytest.approx(100 * 0.6)  # leads as planned
    assert had(result, funnel_revenue, "rate", 1.0) == pytest.approx(80)


def slow_shapley(drivers, revenue) -> list[float]:
    """The average over every order of replacing drivers of what each replacement changed."""
    total = np.zeros(len(drivers))
    orders = list(itertools.permutations(range(len(drivers))))
    for order in orders:
        current = {d.name: np.array([d.planned]) for d in drivers}
        before = float(revenue(current)[0])
        for i in order:
            current[drivers[i].name] = np.array([drivers[i].actual])
            after = float(revenue(current)[0])
            total[i] += after - before
            before = after
    return (total / len(orders)).tolist()


value = st.floats(0.05, 50, allow_nan=False)
drivers = st.lists(st.tuples(value, value), min_size=1, max_size=5)


@settings(max_examples=60, deadline=None)
@given(drivers, st.randoms(use_true_random=False))
def test_contributions_add_up_do_not_depend_on_order_and_match_the_slow_way(pairs, rnd):
    ds = [Driver(f"d{i}", p, a, "shared") for i, (p, a) in enumerate(pairs)]
    result = bridge(ds, funnel_revenue)
    assert result.contributions.sum() == pytest.approx(result.gap, rel=1e-9, abs=1e-9)
    assert result.contributions.tolist() == pytest.approx(slow_shapley(ds, funnel_revenue))
    shuffled = ds[:]
    rnd.shuffle(shuffled)
    again = bridge(shuffled, funnel_revenue)
    by_name = dict(zip((d.name for d in shuffled), again.contributions, strict=True))
    assert [by_name[d.name] for d in ds] == pytest.approx(result.contributions.tolist())


@given(drivers, st.integers(0, 4))
def test_a_driver_at_its_plan_contributes_nothing(pairs, k):
    k = k % len(pairs)
    ds = [Driver(f"d{i}", p, p if i == k else a, "shared") for i, (p, a) in enumerate(pairs)]
    assert bridge(ds, funnel_revenue).contributions[k] == pytest.approx(0, abs=1e-9)


def test_an_additive_revenue_credits_each_driver_its_own_change():
    ds = [Driver("a", 10, 7, "marketing"), Driver("b", 5, 9, "sales"), Driver("c", 1, 1, "shared")]
    result = bridge(ds, lambda v: v["a"] + 2 * v["b"] + v["c"])
    assert result.contributions.tolist() == pytest.approx([-3, 8, 0])


def test_a_bad_set_of_drivers_is_named():
    with pytest.raises(InputError, match="each named once"):
        bridge([Driver("a", 1, 2, "x"), Driver("a", 1, 2, "x")], funnel_revenue)
    with pytest.raises(InputError, match="no driver 'z'"):
        had(bridge([Driver("a", 1, 2, "x")], funnel_revenue), funnel_revenue, "z")
    assert math.isclose(bridge([Driver("a", 1, 2, "x")], funnel_revenue).gap, 1)
