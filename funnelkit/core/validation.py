"""Rules for numeric inputs, with messages that name the field, the rule and the value.

Every formula checks its inputs through `check_number`, so every message reads the same:
``'conversion_rate' for step 'mql→sql' must be in (0, 1] (got 1.4)``.
"""

from __future__ import annotations

import math
import re
import reprlib
from numbers import Real
from typing import Any

import numpy as np

from funnelkit.core.exceptions import InputError


class _Short(reprlib.Repr):
    """repr with bounds: text to its first MESSAGE_CHARS characters and its length, a few
    items of a list or mapping, a few levels deep (a YAML alias bomb prints in microseconds)."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel, self.maxother = 2, 80
        self.maxlist = self.maxtuple = self.maxdict = self.maxset = 4

    def repr_str(self, x: str, level: int) -> str:
        if len(x) <= MESSAGE_CHARS:
            return repr(x)
        return f"{short(x[:MESSAGE_CHARS])}… ({len(x):,} characters)"


MESSAGE_CHARS = 80  # characters of a quoted value an error message shows
_SHORT = _Short()


def short(value: Any) -> str:
    """A value as an error message quotes it: like repr, but bounded in length and depth."""
    if isinstance(value, np.generic):
        value = value.item()
    return _SHORT.repr(value)


# 'user:password@' in a connection URL: the password runs to the URL's last '@' that a host
# follows (ended by '/', '?', a quote, a space or the line's end), before any other URL on the
# line, so it may hold '@', '/', quotes or spaces, and a user may hold '@' (Azure's
# 'admin@server'). Text after the URL with an '@' in it is masked too: never too little.
_PASSWORD = re.compile(r"(://[^\s:/]*:)(?:(?!://).)*@(?=[^@\s/?'\"]*(?:[/?\s'\"]|$))", re.MULTILINE)
# a secret given as a URL's query parameter ('?password=…', '&motherduck_token=…'): its value
# runs to the next parameter, a quote or the line's end (a quoted value, to its closing quote)
_SECRET_PARAMETER = re.compile(
    r"([?&;][^=&;\s'\"]*(?:pass|pwd|token|secret|api_?key|access_?key|private_?key|credential)"
    r"[^=&;\s'\"]*=)(?:\"[^\"\n]*\"|'[^'\n]*'|[^&;\n'\"]*)",
    re.IGNORECASE,
)


def masked(text: str) -> str:
    """`text` with the secrets of any connection URL in it replaced by '***': the password
    (see `_PASSWORD`), and query parameters named as passwords, tokens, secrets, keys ('api_key',
    'access_key', 'private_key') or credentials. Mask before shortening: a shortened URL may
    have lost its '@'."""
    return _SECRET_PARAMETER.sub(r"\1***", _PASSWORD.sub(r"\1***@", text))


def describe_value(value: Any) -> str:
    """Show a value the way an error message quotes it: numbers plainly, text in quotes."""
    return short(value)


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
        raise InputError(
            f"'{name}'{where} must be one of {', '.join(choices)} (got {short(value)})"
        )
    return value


def single_number(name: str, value: Any, where: str = "") -> Any:
    """`value` as one number read from a file: text, lists, booleans and empty values are
    refused, text with advice to drop the quotes when it reads as a number."""
    label = f"'{name}'{where}"
    if isinstance(value, str):
        try:
            float(value.replace(",", ""))
        except ValueError:
            raise InputError(f"{label} must be a number (got {short(value)})") from None
        raise InputError(
            f"{label} must be a number written without quotes (got {short(value)}, which is text)"
        )
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InputError(f"{label} must be a single number (got {short(value)})")
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
    if isinstance(value, str):
        single_number(name, value, where)  # says whether dropping the quotes would do
    if isinstance(value, bytes):
        raise InputError(f"{label} must be a number (got {describe_value(value)})")
    if isinstance(value, list | tuple) and any(isinstance(v, list | tuple | dict) for v in value):
        raise InputError(f"{label} must be a number (got {describe_value(value)})")
    values = np.asarray(value)
    if values.dtype == bool:
        raise InputError(f"{label} must be a number (got booleans)")
    if values.dtype.kind in "USO" and not all(isinstance(v, Real) for v in values.ravel()):
        raise InputError(f"{label} must be a number (got {describe_value(value)})")
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
