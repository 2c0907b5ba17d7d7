import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from funnelkit.core.rounding import NOISE, whole_units


def test_a_fraction_of_a_unit_rounds_up():
    assert whole_units(26.67) == 27
    assert whole_units(26.01) == 27


def test_whole_numbers_stay_whole_despite_float_noise():
    assert whole_units(2000.0000000000002) == 2000
    assert whole_units(0.1 * 3 / 0.3) == 1  # 1.0000000000000002
    assert whole_units(2000.01) == 2001


def test_zero_stays_zero_and_scalars_are_ints():
    assert whole_units(0.0) == 0
    assert isinstance(whole_units(1.5), int)


def test_arrays_round_element_by_element():
    np.testing.assert_array_equal(whole_units(np.array([0.0, 0.2, 1.0, 26.67])), [0, 1, 1, 27])


def test_large_figures_keep_their_last_unit():
    assert whole_units(1_079_430_000.0000002) == 1_079_430_000
    assert whole_units(9_999_999_999.5) == 10_000_000_000
    assert whole_units(5_102_832_070.003663) == 5_102_832_071


def test_noise_sized_values_near_zero_count_as_zero():
    assert whole_units(3e-29) == 0


@given(st.floats(min_value=0, max_value=1e10, allow_nan=False))
def test_whole_is_never_below_exact_by_more_than_noise_nor_a_unit_above(x):
    w = whole_units(x)
    assert w >= x - NOISE * max(x, 1.0)
    assert w - x < 1
