"""Rules for numeric inputs, with messages that name the field, the rule and the value.

Every formula checks its inputs through `check_number`, so every message reads the same:
``'conversion_rate' for step 'mql→sql' must be in (0, 1] (got 1.4)``.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np

from funnelkit.core.exceptions import InputError


def describe_value(value: Any) -> str:
    """Show a value the way an error message quotes it: numbers plainly, text in quotes."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def rule_text(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    """Say a range in words: '> 0', '>= 0', 'in (0, 1]'."""
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low:g}, {high:g}{']' if not high_open else ')'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high:g}"
    return "a finite number"


def _in_range(
    v: float, low: float | None, high: float | None, low_open: bool, high_open: bool
) -> bool:
    if not math.isfinite(v):
        return False
    if low is not None and (v <= low if low_open else v < low):
        return False
    return not (high is not None and (v >= high if high_open else v > high))


def check_choice(name: str, value: Any, choices: tuple[str, ...], where: str = "") -> str:
    """Return `value` if it is one of `choices`; the message lists them."""
    if value not in choices:
        raise InputError(f"'{name}'{where} must be one of {', '.join(choices)} (got {value!r})")
    return value


def check_number(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    where: str = "",
) -> Any:
    """Return `value` unchanged if it is a finite number (or array of them) within the range.

    `where` qualifies the name in the message, e.g. " for step 'mql→sql'". Arrays and pandas
    Series are checked element by element; the message quotes the first value that fails.
    """
    kind = type(value)
    if (kind is float or kind is int) and _in_range(value, low, high, low_open, high_open):
        return value  # the common case, kept fast: plain numbers within the range
    label = f"'{name}'{where}"
    rule = rule_text(low, high, low_open, high_open)
    if isinstance(value, bool | np.bool_):
        raise InputError(f"{label} must be a number (got {describe_value(value)})")
    if isinstance(value, Real):
        if not _in_range(float(value), low, high, low_open, high_open):
            if not math.isfinite(float(value)):
                rule = "a finite number"
            raise InputError(f"{label} must be {rule} (got {describe_value(value)})")
        return value
    values = np.asarray(value)
    if values.dtype == bool:
        raise InputError(f"{label} must be a number (got booleans)")
    try:
        values = values.astype(float, copy=False)
    except (TypeError, ValueError):
        raise InputError(f"{label} must be a number (got {describe_value(value)})") from None
    if (
        values.size
        and _in_range(values.min(), low, high, low_open, high_open)
        and _in_range(values.max(), low, high, low_open, high_open)
    ):
        return value  # NaN makes min and max NaN, which fails the range and lands below
    ok = np.isfinite(values)
    if low is not None:
        ok &= values > low if low_open else values >= low
    if high is not None:
        ok &= values < high if high_open else values <= high
    if not ok.all():
        bad = np.flatnonzero(~ok.ravel())
        first = values.ravel()[bad[0]]
        if not math.isfinite(first):
            rule = "a finite number"
        raise InputError(
            f"{label} must be {rule} (got {describe_value(first)} at position {bad[0]}; "
            f"{bad.size} of {values.size} values break the rule)"
        )
    return value
