"""A dial's kernel side: whatever sends a value (the page, a reset, a test), the dial keeps it
within its bounds and on its precision; the page's part is told the slider's span and steps.
Typing and sliding in the page are checked in a real browser (test_browser, test_app)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funnelkit.core.exceptions import InputError
from funnelkit.present.dials import LOG_STEP, Dial, snap


def reps() -> Dial:
    return Dial(
        3.0, 0.1, 100.0, label="reps", unit="people", precision=0.1, slider_step=1.0,
        slider_range=(1.0, 10.0),
    )  # fmt: skip


def test_a_value_between_slider_steps_is_kept_to_the_dial_s_precision():
    d = reps()
    d.value = 2.34  # part-time, typed: the slider moves in whole people
    assert d.value == 2.3
    assert d.position == pytest.approx((2.3 - 1) / 9)


def test_values_beyond_the_bounds_are_held_at_them():
    d = reps()
    d.value = 1000.0
    assert (d.value, d.position) == (100.0, 1.0)  # typed beyond the slider: it sits at its end
    d.value = -3.0
    assert (d.value, d.position) == (0.1, 0.0)


def test_a_rate_is_shown_in_percent_to_a_tenth_of_a_point():
    d = Dial(0.345, 0.001, 1.0, label="rate", unit="%", precision=0.001, scale=100)
    assert (d.scale, d.decimals) == (100, 1)  # 34.5 %
    d.value = 0.33999999999999997  # a browser's float noise
    assert d.value == 0.34


def test_a_money_dial_is_log_scaled_one_percent_a_step_around_its_value():
    d = Dial(
        400_000.0, 1.0, 1e8, label="goal", unit="USD", precision=1.0, log=True,
        slider_range=(100_000.0, 1_600_000.0),
    )  # fmt: skip
    assert d.log_step == LOG_STEP == 0.01
    assert d.position == pytest.approx(0.5)  # a quarter to four times: the value in the middle
    d.value = 412_345.4  # an exact amount typed stays exact, to the unit
    assert d.value == 412_345.0
    with pytest.raises(InputError, match="a log slider must start above zero"):
        Dial(1.0, 0.0, 2.0, label="x", unit="u", precision=1.0, log=True)


@given(
    sent=st.floats(-1e3, 1e3, allow_nan=False),
    precision=st.sampled_from([0.001, 0.1, 0.5, 1.0]),
)
def test_any_value_sent_is_kept_within_bounds_on_the_precision(sent, precision):
    d = Dial(5.0, 0.0, 200.0, label="x", unit="u", precision=precision, slider_range=(0.0, 20.0))
    d.value = sent
    assert 0.0 <= d.value <= 200.0
    assert d.value == snap(min(max(sent, 0.0), 200.0), precision)
    assert math.isclose(d.value / precision, round(d.value / precision), abs_tol=1e-6)
    assert 0.0 <= d.position <= 1.0
