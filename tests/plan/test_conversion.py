import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from funnelkit import InputError, conversion_rates, overall_conversion_rate


def test_conversion_rates_by_hand():
    table = conversion_rates({"lead": 1000, "mql": 250, "sql": 100, "opportunity": 50, "won": 20})
    np.testing.assert_allclose(table["rate_to_next"].iloc[:-1], [0.25, 0.4, 0.5, 0.4])
    np.testing.assert_allclose(table["rate_from_first"], [1, 0.25, 0.1, 0.05, 0.02])
    assert np.isnan(table["rate_to_next"].iloc[-1])
    assert overall_conversion_rate(table["rate_to_next"].iloc[:-1]) == pytest.approx(0.02)


def test_a_stage_with_nobody_has_an_undefined_rate():
    table = conversion_rates(pd.Series({"lead": 10, "mql": 0, "won": 0}))
    assert table["rate_to_next"].iloc[0] == 0
    assert np.isnan(table["rate_to_next"].iloc[1])


@given(st.lists(st.integers(0, 10**6), min_size=2, max_size=7))
def test_overall_rate_is_the_product_of_step_rates(counts):
    counts = sorted(counts, reverse=True)
    if counts[-2] == 0:
        return  # a rate out of an empty stage is undefined
    table = conversion_rates({f"s{i}": c for i, c in enumerate(counts)})
    product = overall_conversion_rate(table["rate_to_next"].iloc[:-1])
    assert product == pytest.approx(counts[-1] / counts[0], rel=1e-9)
    assert table["rate_from_first"].iloc[-1] == pytest.approx(product, rel=1e-9)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: conversion_rates({"lead": 5}), "'counts' must cover at least 2 stages (got 1)"),
        (
            lambda: conversion_rates({"lead": -5, "won": 0}),
            "'count' for stage 'lead' must be >= 0 (got -5)",
        ),
        (
            lambda: conversion_rates({"lead": 100, "mql": 120}),
            "'count' for stage 'mql' must be <= the count for 'lead', since a cohort cannot grow down the funnel (got 120 > 100)",
        ),
        (lambda: overall_conversion_rate([]), "'step_rates' must hold at least 1 rate (got 0)"),
        (
            lambda: overall_conversion_rate([0.5, 1.2]),
            "'conversion_rate' at step 1 must be in [0, 1] (got 1.2)",
        ),
    ],
)
def test_bad_counts_name_field_rule_and_value(call, message):
    with pytest.raises(InputError) as err:
        call()
    assert str(err.value) == message
