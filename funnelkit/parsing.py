"""Parsing text cells into typed values, column at a time, keeping track of the bad cells.

Each parser takes an Arrow column and returns the typed numpy values (NaT / NaN where a
cell is missing or bad) and a boolean mask of the bad cells: text that is present but does
not parse. Missing cells (empty, or a placeholder such as 'Select') are not bad.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

ROLLOVER_DAYS = 3  # Arrow's strptime rolls Feb 30 into Mar 1–3: such days are re-checked


def present(column: pa.ChunkedArray) -> np.ndarray:
    """Mask of the cells that hold a value (not null)."""
    return column.is_valid().to_numpy(zero_copy_only=False)


def parse_times(
    column: pa.ChunkedArray, formats: Sequence[str], timezone: str
) -> tuple[np.ndarray, np.ndarray]:
    """Times as datetime64[s] wall-clock times in `timezone`, and the mask of bad cells.

    Formats are tried in order. A format with %z (or a trailing 'Z') gives UTC or offset
    times, converted to `timezone`; others are taken as wall-clock times there already.
    """
    if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
        values = _typed_times(column, timezone)
        return values, np.zeros(len(values), dtype=bool)
    text = pc.utf8_trim_whitespace(column)
    result = np.full(len(column), np.datetime64("NaT"), dtype="datetime64[s]")
    todo = present(text)
    for fmt in formats:
        if not todo.any():
            break
        zoned = "%z" in fmt or fmt.endswith("Z")
        parsed = pc.strptime(
            text,
            format=fmt.replace("Z", "%z") if fmt.endswith("Z") else fmt,
            unit="s",
            error_is_null=True,
        )
        values = (
            _typed_times(parsed, timezone)
            if zoned
            else parsed.to_numpy(zero_copy_only=False).astype("datetime64[s]")
        )
        hit = todo & ~np.isnat(values)
        result[hit] = values[hit]
        todo &= ~hit
    _recheck_rollover(text, result, formats, timezone)
    return result, present(text) & np.isnat(result)


def _typed_times(column: pa.ChunkedArray | pa.Array, timezone: str) -> np.ndarray:
    series = pd.Series(
        column.to_pandas() if isinstance(column, pa.ChunkedArray | pa.Array) else column
    )
    series = pd.to_datetime(series)
    if series.dt.tz is not None:
        series = series.dt.tz_convert(timezone).dt.tz_localize(None)
    return series.to_numpy().astype("datetime64[s]")


def _recheck_rollover(
    text: pa.ChunkedArray, result: np.ndarray, formats: Sequence[str], timezone: str
) -> None:
    """Re-parse strictly (pandas) the cells that landed on days 1–3, where Arrow rolls
    impossible dates (Feb 30) over; a cell no format parses strictly becomes NaT."""
    days = result.astype("datetime64[D]") - result.astype("datetime64[M]").astype("datetime64[D]")
    suspect = np.flatnonzero(~np.isnat(result) & (days.astype(np.int64) < ROLLOVER_DAYS))
    if suspect.size == 0:
        return
    cells = pd.Series(text.take(pa.array(suspect)).to_pylist())
    strict = pd.Series(pd.NaT, index=cells.index, dtype="datetime64[s]")
    for fmt in formats:
        zoned = "%z" in fmt or fmt.endswith("Z")
        parsed = pd.to_datetime(
            cells,
            format=fmt.replace("Z", "%z") if fmt.endswith("Z") else fmt,
            errors="coerce",
            utc=zoned,
        )
        if zoned:
            parsed = parsed.dt.tz_convert(timezone).dt.tz_localize(None)
        strict = strict.fillna(parsed.astype("datetime64[s]"))
    result[suspect] = strict.to_numpy()


def parse_numbers(
    column: pa.ChunkedArray, decimal: str = ".", money: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Numbers as float64, and the mask of bad cells.

    With `money`, a currency symbol or three-letter code, spaces and thousands separators
    are allowed, and '(1,234.50)' is negative: '$1,234.50' and '1.234,50 €' (decimal ',')
    both read as 1234.5.
    """
    if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
        values = column.to_numpy(zero_copy_only=False).astype(float)
        return values, np.zeros(len(values), dtype=bool)
    text = pc.utf8_trim_whitespace(column)
    thousands = "," if decimal == "." else "."
    if money:
        text = pc.replace_substring_regex(text, r"[$€£¥]|\b[A-Z]{3}\b|\s|'", "")
        negative = _mask(pc.match_substring_regex(text, r"^\(.*\)$"))
        text = pc.replace_substring_regex(text, r"^\((.*)\)$", r"\1")
        group = re_escape(thousands)
        pattern = rf"^-?(\d{{1,3}}({group}\d{{3}})+|\d+)({re_escape(decimal)}\d+)?$"
    else:
        negative = np.zeros(len(column), dtype=bool)
        pattern = rf"^-?\d+({re_escape(decimal)}\d+)?$"
    valid = pc.fill_null(pc.match_substring_regex(text, pattern), False)
    clean = pc.replace_substring(text, thousands, "") if money else text
    if decimal == ",":
        clean = pc.replace_substring(clean, ",", ".")
    clean = pc.if_else(valid, clean, pa.scalar(None, pa.string()))
    values = pc.cast(clean, pa.float64()).to_numpy(zero_copy_only=False)
    values = np.where(negative, -values, values)
    return values, present(text) & ~_mask(valid)


def _mask(flags: pa.ChunkedArray) -> np.ndarray:
    return pc.fill_null(flags, False).to_numpy(zero_copy_only=False).astype(bool)


def re_escape(char: str) -> str:
    """A single character as a regular-expression literal."""
    return "\\" + char if char in ".^$*+?()[]{}|\\" else char
