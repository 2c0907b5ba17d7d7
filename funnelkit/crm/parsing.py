"""Parsing text cells into typed values, column at a time, keeping track of the bad cells.

Each parser takes an Arrow column and returns the typed numpy values (NaT / NaN where a
cell is missing or bad) and a boolean mask of the bad cells: text that is present but does
not parse. The parsers take `cells`: text trimmed, with missing cells (empty, or a
placeholder such as 'Select') null, and so never bad.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

ROLLOVER_DAYS = 3  # Arrow's strptime rolls Feb 30 into Mar 1–3: such days are re-checked
ROLLOVER_MONTHS = (5, 7, 10, 12)  # months after the 30-day months April, June, September, November
# the days of the year a rolled-over date lands on, in a common and in a leap year: one
# kernel finds them all (a day flagged for the other kind of year prints back as typed)
LANDING_DAYS = pa.array(
    sorted(
        {
            dt.date(year, month, day).timetuple().tm_yday
            for year in (2025, 2028)
            for month, day in [(3, d) for d in range(1, ROLLOVER_DAYS + 1)]
            + [(m, 1) for m in ROLLOVER_MONTHS]
        }
    ),
    pa.int64(),
)
ZONE_SUFFIX = r"(Z|[+-]\d{2}(:?\d{2})?)$"  # a time's zone, written last ('+05:00', '+05', 'Z')
OFFSET_PARTS = r"([+-])(\d{2}):?(\d{2})?$"  # an offset's sign, hours and minutes
LARGEST_OFFSET = 18 * 60  # minutes: no zone is further from UTC (ISO 8601's and Java's limit)
RANK_SAMPLE = 1000  # first cells on which date formats are tried (a table's: smallest ids)
# formats Arrow's ISO 8601 reader reads as strptime does, for cells written in exactly their
# shape: the text's length in bytes, and the character between date and time (at byte 10)
ISO_SHAPES: dict[str, tuple[int, str | None]] = {
    "%Y-%m-%d": (10, None),
    "%Y-%m-%d %H:%M": (16, " "),
    "%Y-%m-%d %H:%M:%S": (19, " "),
    "%Y-%m-%dT%H:%M:%S": (19, "T"),
}


def cells(column: pa.ChunkedArray, placeholders: Sequence[str] = ()) -> pa.ChunkedArray:
    """A text column's cells trimmed of surrounding space, those left empty or equal to a
    placeholder ('Select') null; a column of another type as it is."""
    if not is_text(column.type):
        return column
    trimmed = pc.utf8_trim_whitespace(column)
    blank = pc.equal(trimmed, "")  # a comparison per value: a tenth of is_in's hashing
    for placeholder in placeholders:
        blank = pc.or_(blank, pc.equal(trimmed, placeholder))
    if not pc.any(blank).as_py():
        return trimmed
    return pc.if_else(blank, pa.scalar(None, trimmed.type), trimmed)


def plain(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A column in a type the parsers know: a dictionary's values decoded, text views and
    all-null columns as text, UUIDs as their text ('6f1d0b1e-8a59-…', as an engine gives
    them), decimals as floats."""
    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if isinstance(column.type, pa.UuidType):
        return uuid_text(column)
    if pa.types.is_string_view(column.type) or pa.types.is_null(column.type):
        return column.cast(pa.string())
    if pa.types.is_decimal(column.type):
        return column.cast(pa.float64())
    return column


HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
UUID_DIGITS = [*range(0, 8), *range(9, 13), *range(14, 18), *range(19, 23), *range(24, 36)]


def uuid_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """UUIDs written out in their usual form ('6f1d0b1e-8a59-4c61-…'), each byte as two hex
    digits with the dashes between, for all the cells at once."""
    storage = column.combine_chunks().storage  # 16 bytes a cell
    start = storage.offset * 16
    raw = np.frombuffer(storage.buffers()[1], dtype=np.uint8)[start : start + 16 * len(storage)]
    raw = raw.reshape(-1, 16)
    digits = np.empty((len(raw), 32), dtype=np.uint8)
    digits[:, 0::2], digits[:, 1::2] = HEX[raw >> 4], HEX[raw & 15]
    written = np.full((len(raw), 36), ord("-"), dtype=np.uint8)
    written[:, UUID_DIGITS] = digits
    offsets = np.arange(0, 36 * (len(raw) + 1), 36, dtype=np.int32)
    text = pa.StringArray.from_buffers(
        len(raw), pa.py_buffer(offsets), pa.py_buffer(written), mask_of(storage)
    )
    return pa.chunked_array([text])


def mask_of(array: pa.Array) -> pa.Buffer | None:
    """An array's validity as a bitmap of its own, starting at its first cell (None: no nulls)."""
    if array.null_count == 0:
        return None
    return pa.array(array.is_valid().to_numpy(zero_copy_only=False)).buffers()[1]


FRACTION_ZEROS = (r"0+$", r"\.$")  # what a decimal's text loses: zeros ending it, then a bare mark


def decimal_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Decimals written out exactly, without zeros ending the fraction ('1.250' → '1.25',
    '2.000' → '2'): as floats, ids of more than 15 digits would lose their last ones."""
    text = pc.cast(column, pa.string())
    if column.type.scale <= 0:
        return text
    for dropped in FRACTION_ZEROS:
        text = pc.replace_substring_regex(text, dropped, "")
    return text


def is_text(kind: pa.DataType) -> bool:
    """Whether an Arrow type holds text."""
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def as_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A column as text: itself when it holds text, else each value written out."""
    return column if is_text(column.type) else pc.cast(column, pa.string())


def present(column: pa.ChunkedArray) -> np.ndarray:
    """Mask of the cells that hold a value (not null)."""
    return column.is_valid().to_numpy(zero_copy_only=False)


def parse_times(
    text: pa.ChunkedArray, formats: Sequence[str], timezone: str
) -> tuple[np.ndarray, np.ndarray]:
    """Times as datetime64[s] wall-clock times in `timezone`, and the mask of bad cells, from
    `cells` (or a column of timestamps or dates).

    A cell two formats read (3/2 as 3 February or 2 March) is read by the format that reads
    the most cells of the column, the mapping's order breaking ties: the rows' order never
    decides, so a table of the same rows reads the same (`funnelkit.crm.table_view`). A
    format with %z (or a trailing 'Z') gives UTC or offset times, converted to `timezone`;
    others are taken as wall-clock times there already. Impossible dates (Feb 30) are bad,
    not rolled over.
    """
    if pa.types.is_timestamp(text.type) or pa.types.is_date(text.type):
        values = _typed_times(text, timezone)
        return values, np.zeros(len(values), dtype=bool)
    held = present(text)
    total = int(held.sum())
    read: dict[str, np.ndarray] = {}

    def hits(fmt: str) -> int:  # the cells `fmt` reads, read once
        if fmt not in read:
            read[fmt] = _read_as(text, fmt, timezone)
        return int((held & ~np.isnat(read[fmt])).sum())

    sample = _first_present(text, RANK_SAMPLE)  # only for which format to try first
    sample_hits = format_hits(sample, formats)
    in_sample = dict(zip(formats, sample_hits, strict=True))
    for fmt in by_hits(formats, sample_hits):
        if hits(fmt) == total:  # it reads every cell; so might an earlier one, which wins
            earlier = formats[: formats.index(fmt)]
            whole = [f for f in earlier if in_sample[f] == len(sample) and hits(f) == total]
            return read[(whole or [fmt])[0]], np.zeros(len(text), dtype=bool)
    result = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[s]")
    todo = held.copy()
    for fmt in sorted(formats, key=lambda f: -hits(f)):  # stable: the mapping's order
        hit = todo & ~np.isnat(read[fmt])
        result[hit] = read[fmt][hit]
        todo &= ~hit
    return result, held & np.isnat(result)


def _read_as(text: pa.ChunkedArray, fmt: str, timezone: str) -> np.ndarray:
    """The cells read in one format (NaT where they are not in it), the quick way when every
    cell is written in one of ISO_SHAPES."""
    whole = _iso_read(text, fmt)
    if whole is not None:
        return whole
    parsed = pc.strptime(text, format=_arrow_format(fmt), unit="s", error_is_null=True)
    values = _typed_times(parsed, timezone) if zoned(fmt) else _naive(parsed)
    _reject_rollover(text, parsed, values, fmt, timezone)
    if zoned(fmt):
        values[impossible_offsets(text)] = np.datetime64("NaT")
    return values


def impossible_offsets(text: pa.ChunkedArray) -> np.ndarray:
    """The cells whose offset is no zone's: minutes past 59, or more than LARGEST_OFFSET from
    UTC ('+99:00' parses as 99 hours, '+01:75' not at all)."""
    parts = pc.extract_regex(text, r"[+-](?P<hours>\d{2}):?(?P<minutes>\d{2})?$")
    hours = pc.cast(pc.struct_field(parts, "hours"), pa.int64())
    minutes = pc.cast(
        pc.if_else(
            pc.equal(pc.struct_field(parts, "minutes"), ""), "0", pc.struct_field(parts, "minutes")
        ),
        pa.int64(),
    )
    wrong = pc.or_(
        pc.greater(minutes, 59), pc.greater(pc.add(pc.multiply(hours, 60), minutes), LARGEST_OFFSET)
    )
    return pc.fill_null(wrong, False).to_numpy(zero_copy_only=False)


def _iso_read(text: pa.ChunkedArray, fmt: str) -> np.ndarray | None:
    """The cells as times, when `fmt` is one of ISO_SHAPES and every cell holding a value is
    written in exactly that shape and is a real time: then Arrow's ISO 8601 reader gives what
    strptime would, several times faster, and it refuses an impossible date (Feb 30) rather
    than rolling it over. None otherwise (strptime's path then sorts the cells out)."""
    shape = ISO_SHAPES.get(fmt)
    if shape is None:
        return None
    length, gap = shape
    lengths = pc.min_max(pc.binary_length(text))
    if {lengths["min"].as_py(), lengths["max"].as_py()} - {None, length}:
        return None
    if gap is not None and not all((_byte_at(c, 10) == ord(gap)).all() for c in text.chunks):
        return None  # the reader takes 'T' or ' ' between date and time; strptime the one
    try:
        return _naive(pc.cast(text, pa.timestamp("s")))
    except pa.ArrowInvalid:  # some cell is no time in this shape (Feb 30, hour 25)
        return None


def _byte_at(chunk: pa.Array, position: int) -> np.ndarray:
    """Each text cell's byte at `position`, of the cells that hold a value (all at least
    `position` + 1 bytes long)."""
    if chunk.null_count == len(chunk):
        return np.zeros(0, dtype=np.uint8)
    offset_type = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    offsets = np.frombuffer(chunk.buffers()[1], dtype=offset_type)
    starts = offsets[chunk.offset : chunk.offset + len(chunk)]
    data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)
    valid = chunk.is_valid().to_numpy(zero_copy_only=False)
    return data[starts[valid] + position]


def zoned(fmt: str) -> bool:
    """Whether a format reads a zone: an offset (%z) or a trailing 'Z' (UTC)."""
    return "%z" in fmt or fmt.endswith("Z")


def _arrow_format(fmt: str) -> str:
    return fmt[:-1] + "%z" if fmt.endswith("Z") else fmt


def _naive(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return column.to_numpy(zero_copy_only=False).astype("datetime64[s]")


def _first_present(text: pa.ChunkedArray, count: int) -> pa.ChunkedArray:
    """The first `count` cells that hold a value (fewer when the column has fewer), looking
    no further into the column than it must."""
    head = count
    while True:
        found = pc.drop_null(text.slice(0, head))
        if len(found) >= count or head >= len(text):
            return found.slice(0, count)
        head *= 8


def by_hits(formats: Sequence[str], hits: Sequence[int]) -> list[str]:
    """The formats, those with the most hits first (stable)."""
    return [f for _, f in sorted(zip(hits, formats, strict=True), key=lambda pair: -pair[0])]


def format_hits(cells: pa.ChunkedArray | pa.Array, formats: Sequence[str]) -> list[int]:
    """For each format, how many of the (trimmed, present) cells it parses."""
    return [
        len(cells)
        - pc.strptime(cells, format=_arrow_format(f), unit="s", error_is_null=True).null_count
        for f in formats
    ]


def _typed_times(column: pa.ChunkedArray | pa.Array, timezone: str) -> np.ndarray:
    """Typed times (a Parquet timestamp, or a zoned parse) as wall-clock times in `timezone`."""
    kind = column.type
    if pa.types.is_date(kind) or (pa.types.is_timestamp(kind) and kind.tz is None):
        return _naive(column)
    series = pd.Series(column.to_pandas())
    return series.dt.tz_convert(timezone).dt.tz_localize(None).to_numpy().astype("datetime64[s]")


def _reject_rollover(
    text: pa.ChunkedArray, parsed: pa.ChunkedArray, values: np.ndarray, fmt: str, timezone: str
) -> None:
    """Arrow's strptime rolls an impossible date (Feb 30) over into days 1–3 of the next
    month. Cells written on those days (a zoned time's day before its offset) must print back
    as their text; the few that do not (unpadded '1/5/2026', offsets) are re-parsed strictly
    by pandas; what fails becomes NaT."""
    if zoned(fmt):  # the day as written, before its offset moved it
        written = pc.replace_substring_regex(text, ZONE_SUFFIX, "")
        local = fmt[:-1] if fmt.endswith("Z") else fmt.replace("%z", "")
        parsed = pc.strptime(written, format=local, unit="s", error_is_null=True)
    landed = pc.is_in(pc.day_of_year(parsed), value_set=LANDING_DAYS)
    suspect = np.flatnonzero(pc.fill_null(landed, False).to_numpy(zero_copy_only=False))
    if suspect.size == 0:
        return
    texts = text.take(pa.array(suspect))
    if not zoned(fmt):
        printed = pc.strftime(pa.array(values[suspect]), format=fmt)
        same = pc.fill_null(pc.equal(printed, texts), False).to_numpy(zero_copy_only=False)
        suspect, texts = suspect[~same], texts.filter(pa.array(~same))
    if suspect.size == 0:
        return
    strict = pd.to_datetime(
        pd.Series(texts.to_pylist()), format=_arrow_format(fmt), errors="coerce", utc=zoned(fmt)
    )
    if zoned(fmt):
        strict = strict.dt.tz_convert(timezone).dt.tz_localize(None)
    values[suspect] = strict.to_numpy().astype("datetime64[s]")


def parse_numbers(
    text: pa.ChunkedArray, decimal: str = ".", money: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Numbers as float64, and the mask of bad cells, from `cells` (or a column of numbers).

    With `money`, a currency symbol or three-letter code, spaces and thousands separators
    are allowed, and '(1,234.50)' is negative: '$1,234.50' and '1.234,50 €' (decimal ',')
    both read as 1234.5.
    """
    if pa.types.is_integer(text.type) or pa.types.is_floating(text.type):
        values = text.to_numpy(zero_copy_only=False).astype(float)
        return values, np.zeros(len(values), dtype=bool)
    text = as_text(text)  # true/false, times: as their text, which is no number
    held = present(text)
    if held.sum() < len(text) // 2:  # sparse (a deal's amount): only the cells with a value
        values, bad = np.full(len(text), np.nan), np.zeros(len(text), dtype=bool)
        values[held], bad[held] = _numbers(text.filter(pa.array(held)), decimal, money)
        return values, bad
    return _numbers(text, decimal, money)


def _numbers(text: pa.ChunkedArray, decimal: str, money: bool) -> tuple[np.ndarray, np.ndarray]:
    """`parse_numbers` for a text column."""
    if decimal == "." and not money:
        try:  # the usual case, fast: every cell a plain number
            values = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
        except pa.ArrowInvalid:
            pass  # some cell is not: the pattern below finds which
        else:
            finite = np.isfinite(values) | np.isnan(values) & ~present(text)
            if finite.all():
                return values, np.zeros(len(values), dtype=bool)
    thousands = thousands_mark(decimal)
    if money:
        text = pc.replace_substring_regex(text, MONEY_NOISE, "")
        negative = _mask(pc.match_substring_regex(text, IN_PARENTHESES))
        text = pc.replace_substring_regex(text, IN_PARENTHESES, r"\1")
    else:
        negative = np.zeros(len(text), dtype=bool)
    pattern = number_pattern(decimal, money)
    valid = pc.fill_null(pc.match_substring_regex(text, pattern), False)
    clean = pc.replace_substring(text, thousands, "") if money else text
    if decimal == ",":
        clean = pc.replace_substring(clean, ",", ".")
    clean = pc.if_else(valid, clean, pa.scalar(None, pa.string()))
    values = pc.cast(clean, pa.float64()).to_numpy(zero_copy_only=False)
    values = np.where(negative, -values, values)
    return values, present(text) & ~_mask(valid)


MONEY_NOISE = r"[$€£¥]|\b[A-Z]{3}\b|\s|'"  # currency signs and codes, spaces, apostrophes
IN_PARENTHESES = r"^\((.*)\)$"  # an accountant's negative amount, '(1,234.50)'


def thousands_mark(decimal: str) -> str:
    """The thousands separator that goes with a decimal mark."""
    return "," if decimal == "." else "."


def number_pattern(decimal: str, money: bool) -> str:
    """The regular expression a number's text must match: an amount (signs and currency
    removed) with optional thousands groups, or a number as a float cast reads it."""
    if money:
        group = re_escape(thousands_mark(decimal))
        return rf"^-?(\d{{1,3}}({group}\d{{3}})+|\d+)({re_escape(decimal)}\d+)?$"
    return rf"^[-+]?(\d+{re_escape(decimal)}?\d*|{re_escape(decimal)}\d+)([eE][-+]?\d+)?$"


EXACT_DIGITS = 15  # a floating number holds any number of this many digits exactly
EXACT_WHOLE = 2**53  # … and every whole number below this


def plain_number_pattern(decimal: str) -> str:
    """A number written plainly: digits, a sign and a fraction at most ('5.', '.5' too), no
    leading zero before another digit, no exponent or thousands marks. Only attribute text
    written so throughout is read as numbers ('2026E1' is a code, not 20,260; '007' a code)."""
    mark = re_escape(decimal)
    return rf"^[-+]?((0|[1-9]\d*)({mark}\d*)?|{mark}\d+)$"


SIGNIFICANT = (r"\D", r"^0+")  # what a number's text loses to leave its significant digits


def numbers_exactly(text: pa.ChunkedArray, decimal: str) -> bool:
    """Whether every cell of `cells` text is a plain number (`plain_number_pattern`) of at most
    EXACT_DIGITS significant digits, so that as a floating number it keeps every digit."""
    pattern = plain_number_pattern(decimal)
    if pc.all(pc.match_substring_regex(text, pattern), min_count=0).as_py() is False:
        return False
    for dropped in SIGNIFICANT:
        text = pc.replace_substring_regex(text, dropped, "")
    longest = pc.max(pc.utf8_length(text)).as_py()
    return longest is None or longest <= EXACT_DIGITS


def _mask(flags: pa.ChunkedArray) -> np.ndarray:
    return pc.fill_null(flags, False).to_numpy(zero_copy_only=False).astype(bool)


def re_escape(char: str) -> str:
    """A single character as a regular-expression literal."""
    return "\\" + char if char in ".^$*+?()[]{}|\\" else char
