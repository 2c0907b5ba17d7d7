"""The backtest in words: its signed shares."""

import pytest

from funnelkit.present.backtest_text import _signed


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0.034, "+3.4%"), (-0.12, "−12%"), (0.0, "+0%"), (float("nan"), "–")],
)
def test_a_share_is_shown_with_its_sign_and_none_as_a_dash(value, shown):
    assert _signed(value) == shown
