"""A table in a database, through a mapping, as a view in its own engine.

`mapped_view(con, rows, mapping, where)` turns an Ibis table (a table in DuckDB, Spark or
any engine Ibis reaches) into the lead table's canonical columns, in that engine: ids
trimmed, placeholders blanked, text times parsed with the mapping's formats, amounts and
numbers parsed, values mapped, one row kept per id, the last stage's time taken from a won
lead's close date where the export has no column for it, and outcomes derived. The
data-quality report is counted by the engine in one aggregate query over the kept rows; only
the first ids of each finding are fetched. `fetch(con, mapped)` brings the view's rows over
as a LeadTable.

A table has no row order of its own, so where an export's findings quote its first rows, a
table's quote its smallest ids (whole-number ids in numeric order), and a row without an id
can only be counted. Of rows repeating an id the one with the most stage times is kept, then
the one with the earliest.

Text times are parsed by the engine (DuckDB's `try_strptime`, Spark's `try_to_timestamp`);
a format with a zone is accepted only as UTC ('…Z') in a mapping in UTC (converting zones is
each engine's own business): store such times as timestamps instead. Timestamps with a zone
become wall-clock times in the mapping's zone on DuckDB (Spark's have none).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from funnelkit.core.exceptions import CrmExportError
from funnelkit.core.validation import short
from funnelkit.crm.fields import ID, field_kind, stage_field, unused_prefix
from funnelkit.crm.leads import (
    CATEGORY_KINDS,
    EARLY_STAGE,
    LISTED_VALUES,
    MISSING_ID,
    OUTCOME_CONFLICT,
    REPEATED_ID,
    TOO_LONG,
    TREATED_AS_MISSING,
    Column,
    LeadTable,
    absent_notes,
    arrange,
    implausible_finding,
    longest_duration,
    no_ids_message,
    plausible_window,
    required_columns,
    undated_fields,
    undated_message,
    unknown_values,
    value_map_of,
    won_dated_note,
    wrong_type_message,
)
from funnelkit.crm.mapping import DURATION_UNITS, Mapping
from funnelkit.crm.parsing import (
    EXACT_DIGITS,
    EXACT_WHOLE,
    FRACTION_ZEROS,
    IN_PARENTHESES,
    LARGEST_OFFSET,
    MONEY_NOISE,
    OFFSET_PARTS,
    RANK_SAMPLE,
    SIGNIFICANT,
    ZONE_SUFFIX,
    by_hits,
    format_hits,
    number_pattern,
    plain_number_pattern,
    thousands_mark,
    zoned,
)
from funnelkit.crm.quality import FIRST_IDS, Finding, QualityReport

# a table has no first row: of rows repeating an id, the one furthest along is kept
REPEATED_ROWS = (
    "rows dropped; of each id's rows the one with the most stage times kept, then the earliest "
    "(a table has no row order)"
)


@dataclass(frozen=True)
class MappedView:
    """The lead table as a view in the engine, and its data-quality report."""

    view: ir.Table  # one row per kept lead, canonical columns, in the mapping's types
    quality: QualityReport
    mapping: Mapping
    source: str  # the table, as messages name it
    cached: tuple[ir.Table, ...]  # the engine's temporary tables behind the view

    def release(self) -> None:
        """Drop the engine's temporary tables (the view reads them: done with it too)."""
        for table in self.cached:
            table.release()


@ibis.udf.scalar.builtin(name="try_strptime")
def _duckdb_time(text: str, fmt: str) -> dt.Timestamp(scale=6):  # type: ignore[valid-type]
    """DuckDB: the text as a time in `fmt` (strftime directives), null when it does not fit."""


@ibis.udf.scalar.builtin(name="try_to_timestamp")
def _spark_time(text: str, fmt: str) -> dt.Timestamp():  # type: ignore[valid-type]
    """Spark: the text as a time in `fmt` (a Java pattern), null when it does not fit."""


@ibis.udf.scalar.builtin(name="timezone")
def _duckdb_wall_clock(zone: str, time: dt.Timestamp(timezone="UTC")) -> dt.Timestamp(scale=6):  # type: ignore[valid-type]
    """DuckDB: a time with a zone as the wall-clock time in `zone`."""


JAVA_DIRECTIVES = {
    "%Y": "yyyy",
    "%y": "yy",
    "%m": "M",  # one letter: one or two digits, as strptime reads them
    "%d": "d",
    "%H": "H",
    "%I": "h",
    "%M": "m",
    "%S": "s",
    "%p": "a",
    "%b": "MMM",
    "%B": "MMMM",
    "%f": "SSSSSS",
    "%%": "%",
}


def java_pattern(fmt: str) -> str:
    """A strftime format as a Java date pattern, letters outside directives quoted:
    '%Y-%m-%dT%H:%M' -> "yyyy-M-d'T'H:m"."""
    out, i = [], 0
    while i < len(fmt):
        if fmt[i] == "%":
            directive = fmt[i : i + 2]
            if directive not in JAVA_DIRECTIVES:
                raise CrmExportError(f"date format {short(fmt)}: {directive} has no Spark pattern")
            out.append(JAVA_DIRECTIVES[directive])
            i += 2
        else:
            char = fmt[i]
            out.append(f"'{char}'" if char.isalpha() else "''" if char == "'" else char)
            i += 1
    return "".join(out)


def _time_parser(con: Any) -> Callable[[ir.StringValue, str], ir.TimestampValue]:
    """How this engine parses text into a time with a strftime format."""
    if con.name == "duckdb":
        return lambda text, fmt: _duckdb_time(text, fmt)
    if con.name == "pyspark":
        return lambda text, fmt: _spark_time(text, java_pattern(fmt)).cast(dt.Timestamp())
    raise CrmExportError(
        f"text times in a table are parsed on DuckDB and Spark; engine {con.name!r} needs them "
        "stored as timestamps"
    )


WHITE_SPACE = r"^[\s\p{Z}]+|[\s\p{Z}]+$"  # Unicode's spaces too (no-break), as Arrow trims
LARGEST = sys.float_info.max  # the largest finite floating number


def _trimmed(text: ir.StringValue) -> ir.StringValue:
    """Text without white space at either end (`utf8_trim_whitespace`, as the file reader)."""
    return text.re_replace(WHITE_SPACE, "")


def _as_text(value: ir.Value) -> ir.StringValue:
    """A column as text, as Arrow writes it: whole floating numbers without '.0', decimals
    exactly and without zeros ending the fraction (`funnelkit.crm.parsing.decimal_text`)."""
    kind = value.type()
    if kind.is_decimal() and (kind.scale or 0) > 0:
        text = value.cast(dt.string)
        for dropped in FRACTION_ZEROS:
            text = text.re_replace(dropped, "")
        return text
    if not kind.is_floating():
        return value.cast(dt.string)
    whole = ((value % 1) == 0) & (value.abs() < EXACT_WHOLE)
    return ibis.ifelse(whole, value.cast(dt.int64).cast(dt.string), value.cast(dt.string))


def _in_order(ids: ir.StringValue) -> list[ir.Value]:
    """Sort keys that put whole-number ids in numeric order (and any ids in a fixed one)."""
    return [ids.length(), ids]


@dataclass
class _Check:
    """A finding the engine counts: a flag column on the kept rows and what it means."""

    flag: str
    check: str
    column: str
    action: str


class _Builder:
    """Builds the view's columns and the checks' flags, field by field."""

    def __init__(
        self,
        con: Any,
        rows: ir.Table,
        ids: ir.StringValue,
        texts: dict[str, str],
        mapping: Mapping,
        where: str,
        own: str,
    ) -> None:
        self.con, self.rows, self.mapping, self.where = con, rows, mapping, where
        self.ids = ids  # each row's id as text, trimmed (null: none)
        self.texts = texts  # text column → its cells' column (`_cells`)
        self.own = own  # the start of the names of the engine's own columns
        self.columns: dict[str, ir.Value] = {}
        self.flags: dict[str, ir.BooleanValue] = {}
        self.checks: list[_Check] = []

    def flag(self, value: ir.BooleanValue, check: str, column: str, action: str) -> None:
        name = f"{self.own}flag{len(self.flags)}"
        self.flags[name] = value.fill_null(False)
        self.checks.append(_Check(name, check, column, action))

    def blanked(self, name: str) -> ir.Value:
        """The column with empty and placeholder text cells as null (not trimmed)."""
        raw = self.rows[name]
        if not raw.type().is_string():
            return raw
        blank = _blank(_trimmed(raw), self.mapping)
        return ibis.ifelse(blank, ibis.null(raw.type()), raw)

    def text(self, name: str) -> ir.StringValue:
        """A text column's cells trimmed, empty and placeholder cells null; any other column
        as text, trimmed."""
        if name in self.texts:
            return self.rows[self.texts[name]]
        return _trimmed(_as_text(self.rows[name]))

    def time(self, field: str, name: str) -> None:
        value = self.rows[name]
        where = repr(name)
        if value.type().is_string():
            text = self.text(name)
            parsed = ibis.coalesce(*[self._parse(text, f) for f in self._formats(text, name)])
            self.flag(
                text.notnull() & parsed.isnull(), "unparsable date", where, TREATED_AS_MISSING
            )
        elif value.type().is_timestamp() or value.type().is_date():
            if value.type().is_timestamp() and value.type().timezone is not None:
                parsed = self._wall_clock(value, name)
            else:
                parsed = value.cast(dt.Timestamp())
        else:
            raise CrmExportError(
                f"{self.where}: column {short(name)} ({field}) must hold times or text "
                f"(it holds {value.type()})"
            )
        parsed = parsed.truncate("s")  # the lead table's times are to the second
        earliest, latest = plausible_window(expected=field == "close_date")
        outside = (parsed < earliest.astype(object)) | (parsed > latest.astype(object))
        check, _, _, action = implausible_finding(field, where, [])
        self.flag(outside, check, where, action)
        self.columns[field] = ibis.ifelse(
            outside.fill_null(False), ibis.null(dt.Timestamp()), parsed
        )

    def _wall_clock(self, value: ir.TimestampValue, name: str) -> ir.TimestampValue:
        """Times with a zone as wall-clock times in the mapping's time zone, as an export's."""
        if self.con.name != "duckdb":
            raise CrmExportError(
                f"{self.where}: column {short(name)} holds times with a zone "
                f"({value.type().timezone}); on engine {self.con.name!r} store them as "
                f"wall-clock times in the mapping's time zone ({self.mapping.timezone})"
            )
        return _duckdb_wall_clock(self.mapping.timezone, value)

    def _formats(self, text: ir.StringValue, name: str) -> list[str]:
        """The mapping's formats, the one that reads the most cells of the column first (the
        mapping's order breaking ties), as an export's reader orders them: a cell two formats
        read is read by the first. A zoned format that fits some of the cells of the smallest
        ids (`_in_order`) is refused unless it is a UTC time ('Z') in a mapping in UTC, where
        it reads as a wall-clock one; one that fits none of them is left out."""
        cells = self.rows.select(v=text, k=self.ids).filter(ibis._.v.notnull())
        head = self.con.to_pyarrow(
            cells.order_by([*_in_order(cells.k), cells.v]).limit(RANK_SAMPLE).select("v")
        ).column("v")
        formats = self.mapping.date_formats
        hits = format_hits(head, formats)
        for fmt, hit in zip(formats, hits, strict=True):
            if hit and zoned(fmt) and ("%z" in fmt or self.mapping.timezone != "UTC"):
                raise CrmExportError(
                    f"{self.where}: column {short(name)} holds times with a zone ({fmt}); a "
                    f"table's text times are read with one only as UTC times in a mapping in "
                    f"UTC (its time zone is {self.mapping.timezone}): store them as timestamps"
                )
        usable = [
            f
            for f, hit in zip(formats, hits, strict=True)
            if (hit or not zoned(f)) and "%z" not in f
        ]
        if len(usable) < 2:
            return usable
        read = {f"{self.own}hits{i}": self._parse(text, f).notnull() for i, f in enumerate(usable)}
        counts = self.con.to_pyarrow(
            self.rows.aggregate(**{k: v.cast(dt.int64).sum().fill_null(0) for k, v in read.items()})
        ).to_pylist()[0]
        return by_hits(usable, list(counts.values()))

    def _parse(self, text: ir.StringValue, fmt: str) -> ir.TimestampValue:
        parse = _time_parser(self.con)
        if not fmt.endswith("Z"):
            return parse(text, fmt)
        # a time in UTC ('Z') or at an offset ('+01:00', '+0100'): its UTC time, which is the
        # wall-clock time of a mapping in UTC (`_formats` refuses it in any other)
        local = parse(text.re_replace(ZONE_SUFFIX, ""), fmt[:-1])
        sign = ibis.ifelse(text.re_extract(OFFSET_PARTS, 1) == "-", -1, 1)
        hours = text.re_extract(OFFSET_PARTS, 2).try_cast(dt.int64)
        minutes = text.re_extract(OFFSET_PARTS, 3).try_cast(dt.int64).fill_null(0)  # '+02'
        offset = ibis.ifelse(text.re_search(OFFSET_PARTS), hours * 60 + minutes, 0)
        utc = local - (sign * offset).as_interval("m")
        real = text.re_search(ZONE_SUFFIX) & (minutes < 60) & (offset <= LARGEST_OFFSET)
        return ibis.ifelse(real, utc, ibis.null(dt.Timestamp()))  # as `impossible_offsets`

    def number(self, field: str, name: str, kind: str) -> None:
        value, where = self.rows[name], repr(name)
        noun = "amount" if kind == "money" else "number"
        if value.type().is_numeric():
            number = value.cast(dt.float64)
            if value.type().is_floating():  # NaN is a missing cell, as in pandas
                number = ibis.ifelse(number.isnan(), ibis.null(dt.float64), number)
        elif value.type().is_string():
            text = self.text(name)
            number = self._parsed_number(text, kind == "money")
            self.flag(
                text.notnull() & number.isnull(), f"unparsable {noun}", where, TREATED_AS_MISSING
            )
        else:
            raise CrmExportError(
                f"{self.where}: column {short(name)} ({field}) must hold numbers or text "
                f"(it holds {value.type()})"
            )
        infinite = number.abs() > LARGEST  # (Spark's `isinf` misses an infinity cast from text)
        self.flag(infinite, "not a finite number", where, TREATED_AS_MISSING)
        number = ibis.ifelse(infinite.fill_null(False), ibis.null(dt.float64), number)
        negative = number < 0
        self.flag(negative, f"negative {noun}", where, TREATED_AS_MISSING)
        number = ibis.ifelse(negative.fill_null(False), ibis.null(dt.float64), number)
        if kind == "count":
            fractional = (number % 1) != 0
            self.flag(fractional, "not a whole number", where, TREATED_AS_MISSING)
            number = ibis.ifelse(fractional.fill_null(False), ibis.null(dt.float64), number)
        if kind == "duration":
            number = number * DURATION_UNITS[self.mapping.response_time_unit]  # seconds
            too_long = number > longest_duration()
            self.flag(too_long, TOO_LONG[0], where, TOO_LONG[1])
            number = ibis.ifelse(too_long.fill_null(False), ibis.null(dt.float64), number)
        self.columns[field] = number

    def _parsed_number(self, text: ir.StringValue, money: bool) -> ir.FloatingValue:
        """Text as a number, as `funnelkit.crm.parsing.parse_numbers` reads it; null if not."""
        decimal = self.mapping.decimal
        thousands = thousands_mark(decimal)
        negative: ir.BooleanValue = ibis.literal(False)
        if money:
            text = text.re_replace(MONEY_NOISE, "")
            negative = text.re_search(IN_PARENTHESES)
            text = text.re_replace(IN_PARENTHESES, r"\1")
        pattern = number_pattern(decimal, money)
        clean = text.replace(thousands, "") if money else text
        if decimal == ",":
            clean = clean.replace(",", ".")
        number = ibis.ifelse(text.re_search(pattern), clean, ibis.null(dt.string)).try_cast(
            dt.float64
        )
        return ibis.ifelse(negative, -number, number)

    def attribute(self, field: str, name: str) -> None:
        """Kept as it is, or as numbers where that loses nothing, as an export's reader keeps
        it (`funnelkit.crm.leads._attribute`): text, or decimals, that are plain numbers of at
        most EXACT_DIGITS significant digits throughout become numbers, else text; so do
        whole numbers past EXACT_WHOLE."""
        value = self.blanked(name)
        kind = value.type()
        if kind.is_string():
            trimmed = _trimmed(value)  # of every white space, as an export's cells are
            if not self.con.execute(_inexact(trimmed, self.mapping.decimal).any()):
                value = self._parsed_number(trimmed, money=False)
        elif kind.is_decimal():
            text = _as_text(value)  # every digit, as the export's `decimal_text`
            exact = not self.con.execute(_inexact(text, ".").any())
            value = value.cast(dt.float64) if exact else text
        elif kind.is_integer() and self.con.execute(
            (value.cast(dt.float64).abs() >= EXACT_WHOLE).any()
        ):
            value = value.cast(dt.string)
        self.columns[field] = value

    def mapped(self, field: str, name: str) -> None:
        """Values, trimmed, through the mapping's value map; values it does not know stop the
        reading."""
        value_map = value_map_of(self.mapping, field)
        text = self.text(name)
        if value_map is None:
            self.columns[field] = text
            return
        known = list(value_map)
        # counted as a sum, not a filter: DuckDB would put the expression in the filter
        # as often as it appears there, each trimming all cells again
        value = f"{self.own}value"
        cells = self.rows.select(**{value: text})
        unknown_cells = (cells[value].notnull() & ~cells[value].isin(known)).cast(dt.int64)
        count = int(
            self.con.execute(cells.aggregate(n=unknown_cells.sum().fill_null(0)))["n"].iloc[0]
        )
        if count:
            unknown = text.notnull() & ~text.isin(known)
            found = self.rows.mutate(**{value: text, ID: self.ids}).filter(unknown)
            values = self.con.to_pyarrow(
                found.group_by(value)
                .agg(n=ibis._.count())
                .order_by([ibis.desc("n"), value])
                .limit(LISTED_VALUES)
            ).to_pylist()
            raise CrmExportError(
                unknown_values(
                    self.where,
                    name,
                    field,
                    count,
                    [(v[value], v["n"]) for v in values],
                    list(_first_ids(self.con, found.filter(found[ID].notnull()))),
                    value_map,
                )
            )
        self.columns[field] = text.substitute(value_map, else_=ibis.null(dt.string))


def _compared_by_bytes(con: Any, rows: ir.Table, names: list[str]) -> ir.Table:
    """`rows` with the text columns `names` compared byte by byte, as an export's are, whatever
    collation a Spark table gives them: under UTF8_LCASE the ids 'b' and 'B' were one lead.
    Text cast to bytes and back has Spark's default collation (DuckDB compares bytes)."""
    if con.name != "pyspark":
        return rows
    return rows.mutate(**{n: rows[n].cast(dt.binary).cast(dt.string) for n in dict.fromkeys(names)})


def _inexact(text: ir.StringValue, decimal: str) -> ir.BooleanValue:
    """Cells that are no plain number of at most EXACT_DIGITS significant digits (as
    `funnelkit.crm.parsing.numbers_exactly` finds them)."""
    plain = text.re_search(plain_number_pattern(decimal))
    digits = text
    for dropped in SIGNIFICANT:
        digits = digits.re_replace(dropped, "")
    return text.notnull() & ~(plain & (digits.length() <= EXACT_DIGITS)).fill_null(False)


def _fetchable(kind: dt.DataType) -> bool:
    """Whether a column of this engine type can hold a field: text, numbers, true/false,
    times, bytes or UUIDs; not lists, structs, maps, intervals or types Ibis does not know
    (DuckDB's BIT), as an export's reader refuses them (`leads.no_field_type`)."""
    return any(
        is_kind()
        for is_kind in (
            kind.is_string,
            kind.is_numeric,
            kind.is_boolean,
            kind.is_temporal,
            kind.is_binary,
            kind.is_uuid,
            kind.is_json,
            kind.is_null,
        )
    )


def _blank(trimmed: ir.StringValue, mapping: Mapping) -> ir.BooleanValue:
    """Whether a trimmed cell holds nothing: null, empty or one of the mapping's placeholders."""
    return ((trimmed == "") | trimmed.isin(list(mapping.missing_values) or [""])).fill_null(True)


def _cells(
    rows: ir.Table, names: list[str], mapping: Mapping, own: str
) -> tuple[ir.Table, dict[str, str]]:
    """`rows` with, for each text column named, its cells trimmed and empty or placeholder
    cells null, as a column of its own (named in the dict returned). Each cell is trimmed
    once: an expression that uses a column's cells reads that column (Ibis inlines an
    expression each time it is used, and trimming is most of an engine's mapping time)."""
    named = {n: f"{own}text{i}" for i, n in enumerate(names)}
    trimmed = rows.mutate(**{named[n]: _trimmed(rows[n]) for n in names})
    return trimmed.mutate(
        **{
            c: ibis.ifelse(_blank(trimmed[c], mapping), ibis.null(dt.string), trimmed[c])
            for c in named.values()
        }
    ), named


def mapped_view(con: Any, rows: ir.Table, mapping: Mapping, where: str) -> MappedView:
    """`rows` (an Ibis table on `con`) through `mapping`, as a view and its quality report."""
    report = QualityReport(source=where)
    columns = required_columns(list(rows.columns), mapping, where)
    report.notes += absent_notes(columns, mapping, list(rows.columns))
    found = {f: n for f, n in columns.items() if n}
    for field, name in found.items():
        kind = rows[name].type()
        id_unfit = kind.is_boolean() or kind.is_temporal() or kind.is_binary()
        if not _fetchable(kind) or (field == ID and id_unfit):
            holds = kind.raw_type.sql().lower() if kind.is_unknown() else kind  # 'bit'
            raise CrmExportError(wrong_type_message(where, name, field, holds))
    rows = _compared_by_bytes(con, rows, [n for n in found.values() if rows[n].type().is_string()])
    texts = [
        n
        for f, n in found.items()
        if f != ID and field_kind(f) != "attribute" and rows[n].type().is_string()
    ]
    own = unused_prefix([*rows.columns, *mapping.attributes], "_fk_")  # cells, flags, ranks
    rows, named = _cells(rows, texts, mapping, own)
    raw_ids = rows[found[ID]]
    if raw_ids.type().is_floating():  # NaN and infinity are no ids (Spark's isinf misses some)
        no_id = raw_ids.isnan() | (raw_ids.abs() > LARGEST)
        raw_ids = ibis.ifelse(no_id, ibis.null(raw_ids.type()), raw_ids)
    ids = _trimmed(_as_text(raw_ids))
    ids = ibis.ifelse(ids.isin(["", *mapping.missing_values]), ibis.null(dt.string), ids)
    build = _Builder(con, rows, ids, named, mapping, where, own)
    for field, name in found.items():
        if field == ID:
            continue
        kind = field_kind(field)
        if kind == "time":
            build.time(field, name)
        elif kind in ("money", "count", "duration"):
            build.number(field, name, kind)
        elif kind == "attribute":
            build.attribute(field.removeprefix("attribute:"), name)
        else:
            build.mapped(field, name)
    mapped = rows.select(**{ID: ids}, **build.columns, **build.flags)
    times = [stage_field(s) for s in mapping.stages]
    for column in times:
        if column not in mapped.columns:
            mapped = mapped.mutate(**{column: ibis.null(dt.Timestamp())})
    # the rows are mapped once, in the engine (a temporary table, or Spark's cache): the
    # counts, the first ids and the fetch then read them without parsing again
    every = mapped.cache()
    cached = [every]
    try:
        repeated = every.filter(every[ID].notnull()).group_by(ID).aggregate(_n=ibis._.count())
        repeated = repeated.filter(repeated._n > 1).select(ID).cache()  # the ids that repeat
        cached.append(repeated)
        rest = [c for c in build.columns if c not in times]
        kept, dropped = _first_of_each_id(every, repeated, times, [*rest, *build.flags], own)
        kept = _won_time(kept, mapping, found, own)
        kept = _stage_order(kept, mapping, found, build)
        kept = _outcomes(kept, mapping, build)
        _count(con, every, kept, dropped, build, found, mapping, report)
    except Exception:
        for table in cached:
            table.release()
        raise
    view = kept.select(
        ID,
        *times,
        *[c for c in kept.columns if c not in (ID, *times) and not c.startswith(build.own)],
    )
    return MappedView(view, report, mapping, where, cached=tuple(cached))


def _first_of_each_id(
    rows: ir.Table, repeated: ir.Table, times: list[str], rest: list[str], own: str
) -> tuple[ir.Table, ir.Table]:
    """The rows with an id, one per id, and the rows that repeat a kept one's id (`repeated`:
    the ids that do). Of rows repeating an id the one with the most stage times is kept, then
    the one with the earlier stages' times, then the earliest times, then by its `rest` of
    columns (values, then checks' flags: rows that tie are alike in every column, so each
    query on the view keeps the same); only those rows are put in that order (most ids do not
    repeat, and ordering every row cost some 0.6 s a million rows)."""
    with_id = rows.filter(rows[ID].notnull())
    copies = with_id.semi_join(repeated, ID)
    dated = sum((copies[c].notnull().cast(dt.int16) for c in times), ibis.literal(0, dt.int16))
    kept_first = [-dated] + [copies[c].isnull() for c in times] + [copies[c] for c in times]
    kept_first += [copies[c].cast(dt.string) for c in rest]
    rank = f"{own}copy"
    copies = copies.mutate(
        **{rank: ibis.row_number().over(group_by=copies[ID], order_by=kept_first)}
    )
    first = copies.filter(copies[rank] == 0).drop(rank)
    kept = with_id.anti_join(repeated, ID).union(first, distinct=False)
    return kept, copies.filter(copies[rank] > 0)


def _count(
    con: Any,
    every: ir.Table,
    kept: ir.Table,
    dropped: ir.Table,
    build: _Builder,
    found: dict[str, str],
    mapping: Mapping,
    report: QualityReport,
) -> None:
    """The quality report, counted by the engine: the rows read, ids missing and repeated,
    each check's count and first ids, and the won-time note."""
    won_dated = f"{build.own}won_dated"
    flags = [c.flag for c in build.checks] + ([won_dated] if won_dated in kept.columns else [])
    sums = {flag: kept[flag].cast(dt.int64).sum() for flag in flags}
    required = [f for f in mapping.required if f.endswith("_at") and f in kept.columns]
    sums |= {f"_dated_{f}": kept[f].count() for f in required}
    counts = con.to_pyarrow(kept.aggregate(_kept=kept.count(), **sums)).to_pylist()[0]
    totals = con.to_pyarrow(
        every.aggregate(_rows=every.count(), _no_id=every[ID].isnull().cast(dt.int64).sum())
    ).to_pylist()[0]
    if not totals["_rows"]:
        raise CrmExportError(f"{report.source}: the table holds no rows")
    report.rows_read = totals["_rows"]
    if not counts["_kept"]:
        raise CrmExportError(no_ids_message(report.source, found[ID], totals["_rows"]))
    undated = undated_fields(mapping, {f: counts[f"_dated_{f}"] for f in required})
    if undated and counts["_kept"]:
        field = undated[0]
        raise CrmExportError(undated_message(report.source, found[field], field, counts["_kept"]))
    id_where = repr(found[ID])
    if totals["_no_id"]:
        report.findings.append(
            Finding(MISSING_ID[0], id_where, totals["_no_id"], (), MISSING_ID[1])
        )
    repeated = totals["_rows"] - totals["_no_id"] - counts["_kept"]
    if repeated:
        report.findings.append(
            Finding(REPEATED_ID[0], id_where, repeated, _first_ids(con, dropped), REPEATED_ROWS)
        )
    for check in build.checks:
        if counts[check.flag]:
            first = _first_ids(con, kept.filter(kept[check.flag]))
            report.findings.append(
                Finding(check.check, check.column, counts[check.flag], first, check.action)
            )
    if won_dated in counts:
        report.notes.append(won_dated_note(mapping, counts[won_dated] or 0))


def _first_ids(con: Any, rows: ir.Table) -> tuple[str, ...]:
    first = rows.select(ID).order_by(_in_order(rows[ID])).limit(FIRST_IDS)
    return tuple(con.to_pyarrow(first).column(ID).to_pylist())


def _won_time(kept: ir.Table, mapping: Mapping, found: dict[str, str], own: str) -> ir.Table:
    """Without a column for the last stage, a won lead's close date is when it reached it;
    the column `<own>won_dated` marks the leads so dated."""
    last = stage_field(mapping.stages[-1])
    if (
        mapping.stages[-1] in mapping.stage_columns
        or "close_date" not in found
        or "outcome" not in found
    ):
        return kept
    won = (kept.outcome == "won") & kept.close_date.notnull()
    return kept.mutate(
        **{last: ibis.ifelse(won, kept.close_date, kept[last]), f"{own}won_dated": won}
    )


def _stage_order(
    kept: ir.Table, mapping: Mapping, found: dict[str, str], build: _Builder
) -> ir.Table:
    """Flag stage times earlier than an earlier stage's time (kept; left out of velocity)."""
    flags = {}
    for j, stage in enumerate(mapping.stages[1:], start=1):
        column = stage_field(stage)
        earlier = [kept[stage_field(s)] for s in mapping.stages[:j]]
        latest = earlier[0] if len(earlier) == 1 else ibis.greatest(*earlier)
        name = f"{build.own}order{j}"
        flags[name] = (kept[column] < latest).fill_null(False)
        build.checks.append(
            _Check(
                name,
                EARLY_STAGE[0].format(stage=stage),
                repr(found.get(column, column)),
                EARLY_STAGE[1],
            )
        )
    return kept.mutate(**flags)


def _outcomes(kept: ir.Table, mapping: Mapping, build: _Builder) -> ir.Table:
    """The outcome, derived where the export has none; a lead that reached the last stage is
    won (a conflicting outcome is flagged and set to won)."""
    reached_last = kept[stage_field(mapping.stages[-1])].notnull()
    if "stage" in kept.columns:
        reached_last = reached_last | (kept.stage == mapping.stages[-1]).fill_null(False)
    if "outcome" not in kept.columns:
        return kept.mutate(outcome=ibis.ifelse(reached_last, "won", "open"))
    conflict = reached_last & (kept.outcome != "won") & kept.outcome.notnull()
    flag = f"{build.own}conflict"
    build.checks.append(_Check(flag, OUTCOME_CONFLICT[0], "outcome", OUTCOME_CONFLICT[1]))
    outcome = ibis.cases(
        (conflict | (kept.outcome.isnull() & reached_last), "won"),
        (kept.outcome.isnull(), "open"),
        else_=kept.outcome,
    )
    return kept.mutate(**{flag: conflict.fill_null(False), "outcome": outcome})


def fetch(con: Any, mapped: MappedView) -> LeadTable:
    """The view's rows, in id order, as a LeadTable (the engine's work done; nothing parsed).

    The rows are put in id order here, not by the engine: its sort held a second copy of
    every row (1.7 GB more at 5,000,000 leads); here each column is ordered as it is made."""
    try:
        fetched = con.to_pyarrow(mapped.view)
    finally:  # the engine's copies of the rows are let go before the frame is made
        mapped.release()
    ids = fetched.column(ID)
    order = pc.sort_indices(  # as `_in_order` sorts: by length, then by the text
        pa.table({"length": pc.utf8_length(ids), ID: ids}),
        sort_keys=[("length", "ascending"), (ID, "ascending")],
    )
    del ids
    columns: dict[str, Column] = {}
    for name in fetched.column_names:
        values = fetched.column(name)
        fetched = fetched.drop_columns([name])  # each column let go once it is made
        if pa.types.is_decimal(values.type):  # as an export's reader gives them
            values = values.cast(pa.float64())
        if field_kind(name) in CATEGORY_KINDS:  # each distinct value made once, not per row
            values = values.dictionary_encode()
        values = values.take(order)
        if pa.types.is_timestamp(values.type) and field_kind(name) == "time":
            columns[name] = values.to_numpy().astype("datetime64[s]")
        elif pa.types.is_floating(values.type) or pa.types.is_integer(values.type):
            columns[name] = values.to_numpy(zero_copy_only=False).astype(float)
        else:
            columns[name] = values.to_pandas()
    leads = arrange(columns, mapped.mapping)
    return LeadTable(
        leads=leads,
        stages=mapped.mapping.stages,
        quality=mapped.quality,
        mapping=mapped.mapping,
        source=mapped.source,
    )
