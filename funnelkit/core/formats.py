"""How reports write numbers: one style each for money, percentages, multiples, counts and
durations, so the same kind of figure reads the same everywhere.

Money always carries its currency ('$341,500', or compact '$341.5K'; a currency without a
symbol is written after: '341,500 CHF'). Percentages have no space and one decimal below
10 % ('8.3%', '34%') unless a table asks for a fixed number of decimals. Multiples use '×'.
Durations are in hours below two days, else in days.
"""

from __future__ import annotations

import math

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
COMPACT_STEPS = ((1e9, "B"), (1e6, "M"), (1e3, "K"))


def _with_currency(number: str, currency: str) -> str:
    symbol = SYMBOLS.get(currency.upper())
    if symbol is None:
        return f"{number} {currency}"
    return f"-{symbol}{number[1:]}" if number.startswith("-") else f"{symbol}{number}"


def money(value: float, currency: str) -> str:
    """Money to the whole unit with its currency: '$341,500', '341,500 CHF'."""
    return _with_currency(f"{value:,.0f}", currency)


def compact_money(value: float, currency: str) -> str:
    """Money in thousands, millions or billions to one decimal: '$341.5K', '$1.2M'; below a
    thousand, whole units."""
    for step, suffix in COMPACT_STEPS:
        if abs(value) >= step:
            return _with_currency(f"{value / step:,.1f}{suffix}", currency)
    return money(value, currency)


def percent(value: float, decimals: int | None = None) -> str:
    """A fraction (0.083) as a percentage: '8.3%' below 10 %, else '34%'; `decimals` fixes
    the decimals (for tables whose rates are compared); '–' for a missing value."""
    if value is None or not math.isfinite(value):
        return "–"
    if decimals is None:
        decimals = 1 if abs(value) < 0.1 and round(value * 100, 1) != round(value * 100) else 0
    return f"{value * 100:.{decimals}f}%"


def signed_percent(value: float) -> str:
    """A change as a signed percentage: '+5%', '-12%'."""
    if not math.isfinite(value):
        return "–"
    return f"{value * 100:+.0f}%"


def multiple(value: float) -> str:
    """A ratio as a multiple to one decimal: '3.6×'."""
    return "–" if not math.isfinite(value) else f"{value:.1f}×"


def count(value: float) -> str:
    """A whole count with thousands separators: '1,234'."""
    return f"{value:,.0f}"


def duration(minutes: float) -> str:
    """A duration in words: minutes below an hour, hours below two days, else days."""
    if not math.isfinite(minutes):
        return "–"
    if minutes < 60:
        return f"{minutes:,.0f} minute{'' if round(minutes) == 1 else 's'}"
    hours = minutes / 60
    if hours < 48:
        return f"{hours:,.0f} hour{'' if round(hours) == 1 else 's'}"
    days = hours / 24
    return f"{days:,.0f} days"
