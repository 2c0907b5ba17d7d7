"""One style per kind of figure: worked examples of each formatter."""

import math

import pytest

from funnelkit.core.formats import (
    compact_money,
    count,
    duration,
    money,
    multiple,
    percent,
    signed_percent,
)


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [
        (341_500, "USD", "$341,500"),
        (341_500.4, "EUR", "€341,500"),
        (-1_250, "USD", "-$1,250"),
        (341_500, "CHF", "341,500 CHF"),
        (0, "GBP", "£0"),
    ],
)
def test_money_carries_its_currency(value, currency, text):
    assert money(value, currency) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (341_500, "$341.5K"),
        (1_234_567, "$1.2M"),
        (2_500_000_000, "$2.5B"),
        (999, "$999"),
        (-45_000, "-$45.0K"),
    ],
)
def test_compact_money_in_thousands_millions_billions(value, text):
    assert compact_money(value, "USD") == text
    assert compact_money(341_500, "CHF") == "341.5K CHF"


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (0.34, None, "34%"),
        (0.083, None, "8.3%"),
        (0.08, None, "8%"),
        (1.0, None, "100%"),
        (0.345, 1, "34.5%"),
        (0.0275, 2, "2.75%"),
        (math.nan, None, "–"),
    ],
)
def test_percent_has_one_style(value, decimals, text):
    assert percent(value, decimals) == text


def test_changes_multiples_and_counts():
    assert signed_percent(0.05) == "+5%"
    assert signed_percent(-0.123) == "-12%"
    assert multiple(3.618) == "3.6×"
    assert multiple(math.inf) == "–"
    assert count(1234.0) == "1,234"


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (1, "1 minute"),
        (45, "45 minutes"),
        (60, "1 hour"),
        (47 * 60, "47 hours"),
        (56_684, "39 days"),
        (math.nan, "–"),
    ],
)
def test_durations_read_in_the_unit_that_fits(minutes, text):
    assert duration(minutes) == text
