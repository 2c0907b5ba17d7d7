"""CRM exports into one tidy lead table, checked, with a data-quality report.

`read_export(path, mapping)` reads a file (`funnelkit.crm.exports`), finds each canonical field's
column through the mapping (`funnelkit.crm.mapping`), parses and checks every cell
(`funnelkit.crm.parsing`) and returns a `LeadTable`: one row per lead with the canonical
columns (`funnelkit.crm.fields`), and the `QualityReport` of what was found and done.

Fatal problems raise `CrmExportError`: no such file, an empty file, a required column
missing, values a value map does not know. The rest are findings: unparsable or negative
values (treated as missing), stage dates out of order (kept, left out of stage-to-stage
times), rows without an id and repeated ids (dropped, and counted). Row numbers in
findings count data rows from 1 (the first row after the header).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from funnelkit.core.exceptions import CrmExportError
from funnelkit.core.validation import short
from funnelkit.crm.exports import folded, read_table, repeated_column
from funnelkit.crm.fields import FIELDS, ID, OUTCOMES, field_kind, stage_field
from funnelkit.crm.mapping import DURATION_UNITS, Mapping
from funnelkit.crm.mapping_file import resolve_mapping
from funnelkit.crm.parsing import (
    EXACT_WHOLE,
    as_text,
    cells,
    decimal_text,
    is_text,
    numbers_exactly,
    parse_numbers,
    parse_times,
    plain,
)
from funnelkit.crm.quality import FIRST_IDS, Finding, QualityReport

TREATED_AS_MISSING = "treated as missing"
LISTED_VALUES = 10  # values a value map does not know, named in the error, most frequent first
TEXT_FIELDS = ("source", "owner", "account_owner", "status")  # kept as categories
CATEGORY_KINDS = ("text", "stage", "outcome")  # field kinds read as categories (`_categories`)
# findings about rows rather than cells: (check, action)
MISSING_ID = ("missing id", "row dropped: a lead needs an id")
REPEATED_ID = ("repeated id", "later rows dropped; the first row with the id kept")
EARLY_STAGE = (
    "stage date before an earlier stage's date ({stage})",
    "kept; such pairs are left out of stage-to-stage times",
)
OUTCOME_CONFLICT = ("reached the last stage but outcome not won", "outcome set to won")
Column: TypeAlias = "np.ndarray | pd.Series | pd.Categorical"  # a lead table column's values


@dataclass(frozen=True)
class LeadTable:
    """One row per lead: id, a time per stage (`<stage>_at`), the mapped fields, attributes."""

    leads: pd.DataFrame
    stages: tuple[str, ...]
    quality: QualityReport
    mapping: Mapping
    source: str  # the file read
    taken_at: pd.Timestamp | None = None  # when the export was taken; None: its latest time

    @property
    def stage_columns(self) -> list[str]:
        """The stage time columns, first stage to last."""
        return [stage_field(s) for s in self.stages]

    def reached(self) -> pd.DataFrame:
        """Per lead and stage, whether the lead reached it: a time for that stage or a later
        one, a current stage at or past it, or a won outcome. Every lead reached the first.
        Worked out once per table (a backtest asks for it twice a past week); not to be changed."""
        if "_reached" not in self.__dict__:
            object.__setattr__(self, "_reached", self._reached())
        return self.__dict__["_reached"]

    def _reached(self) -> pd.DataFrame:
        reached = self.leads[self.stage_columns].notna().to_numpy()
        if "stage" in self.leads:
            current = self.leads["stage"].cat.codes.to_numpy()
            reached = reached | (current[:, np.newaxis] >= np.arange(len(self.stages)))
        if "outcome" in self.leads:
            reached = reached | (self.leads["outcome"] == "won").to_numpy()[:, np.newaxis]
        reached = np.logical_or.accumulate(reached[:, ::-1], axis=1)[:, ::-1]
        reached[:, 0] = True
        return pd.DataFrame(reached, columns=list(self.stages), index=self.leads.index)

    @property
    def undated_stages(self) -> tuple[str, ...]:
        """Stages the export gives no time for (no lead has one), so nothing can be counted
        by when it was reached."""
        return tuple(
            s
            for s in self.stages
            if stage_field(s) not in self.leads or self.leads[stage_field(s)].isna().all()
        )

    @functools.cached_property
    def latest_event(self) -> pd.Timestamp | None:
        """The export's latest recorded time; None when it holds no dates. Close dates are left
        out: an open deal's is an expectation, possibly in the future, and a won deal's is
        already its time of reaching the last stage. Worked out once per table."""
        if self.leads.empty:
            return None
        wall_clock = [  # an attribute's times with a zone are not the export's own
            c
            for c, kind in self.leads.dtypes.items()
            if isinstance(kind, np.dtype) and kind.kind == "M" and c != "close_date"
        ]
        # fmax passes over NaT; pandas' max is slower
        times = [np.fmax.reduce(self.leads[c].to_numpy()) for c in wall_clock]
        known = [pd.Timestamp(t) for t in times if not np.isnat(t)]
        return max(known) if known else None

    @property
    def as_of(self) -> pd.Timestamp:
        """What 'now' was when the export was taken: `taken_at`, else its latest event."""
        if self.taken_at is not None:
            return self.taken_at
        latest = self.latest_event
        if latest is None:
            raise CrmExportError(
                f"{self.source}: the export holds no dates, so the day it was taken is unknown: "
                "give it as 'as_of' under 'actuals' (YYYY-MM-DD), or map a stage time or a "
                "close date in the mapping"
            )
        return latest

    def taken_on(self, day: dt.date) -> LeadTable:
        """The table as taken at the end of `day`, which must not be before its latest event."""
        latest = self.latest_event
        if latest is not None and pd.Timestamp(day) < latest.normalize():
            raise CrmExportError(
                f"'as_of' must not be before the export's latest date {latest:%Y-%m-%d} in "
                f"{self.source} (got {day:%Y-%m-%d})"
            )
        end = pd.Timestamp(day) + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
        return dataclasses.replace(self, taken_at=end)


def _find(names: list[str], candidates: tuple[str, ...]) -> str | None:
    """The first candidate present among the export's column names (exact, then ignoring case
    and surrounding spaces)."""
    for name in candidates:
        if name in names:
            return name
    by_fold = {folded(n): n for n in names}
    for name in candidates:
        if folded(name) in by_fold:
            return by_fold[folded(name)]
    return None


def _missing_column(path: str, field: str, candidates: tuple[str, ...], names: list[str]) -> str:
    """The message for a required column that is not there: what was sought, what was found."""
    close = sorted(
        {m for c in candidates for m in difflib.get_close_matches(c, names, n=2, cutoff=0.5)}
    )
    hint = f"; closest: {', '.join(repr(c) for c in close)}" if close else ""
    return (
        f"{path}: required column for '{field}' is missing: looked for "
        f"{', '.join(repr(c) for c in candidates)}; found {', '.join(repr(n) for n in names)}{hint}"
    )


def _ids_where(ids: pa.ChunkedArray | np.ndarray, mask: np.ndarray) -> list:
    """The ids of the rows where `mask` is true, in row order."""
    if not mask.any():
        return []
    if isinstance(ids, np.ndarray):
        return list(ids[mask])
    return ids.filter(pa.array(mask)).to_pylist()


def value_map_of(mapping: Mapping, field: str) -> dict[str, str | None] | None:
    """The field's value map: the mapping's own; for the outcome, else its names as they are
    or capitalised; None for a field kept as exported."""
    value_map = mapping.values.get(field)
    if value_map is None and field == "outcome":
        outcomes: dict[str, str | None] = {o: o for o in OUTCOMES}
        value_map = outcomes | {o.capitalize(): o for o in OUTCOMES}
    return value_map


def unknown_values(
    path: str,
    column_name: str,
    field: str,
    count: int,
    values: list[tuple[str, int]],
    first: list,
    value_map: dict[str, str | None],
) -> str:
    """The message for `count` rows whose values the field's value map does not know: the most
    frequent `values` with their rows, the `first` ids, the known values and where to add."""
    listed = "; ".join(f"{short(v)} ({n} row{'s' * (n != 1)})" for v, n in values)
    ids = [str(i) for i in first if i not in (None, "")]  # a row without an id has none to name
    first_ids = f" (first ids {', '.join(ids)})" if ids else ""
    return (
        f"{path}: column {short(column_name)} ({field}) has {count} rows with values the mapping "
        f"does not know: {listed}{first_ids}; known values are "
        f"{', '.join(repr(k) for k in value_map)}; add them to the mapping's values.{field}"
    )


def _categories(
    path: str,
    column_name: str,
    field: str,
    column: pa.ChunkedArray,
    mapping: Mapping,
    ids: pa.ChunkedArray,
) -> pd.Series:
    """A text field's values as a Categorical (quick to group by): empty and placeholder cells
    missing, the rest trimmed and through the field's value map (unknown values are fatal).
    The work is done once per distinct value, not per row."""
    if pa.types.is_floating(column.type):  # NaN is no value, not the text 'nan'
        column = pc.if_else(pc.is_nan(column), None, column)
    if not pa.types.is_dictionary(column.type):
        column = as_text(column).dictionary_encode()
    encoded = column.unify_dictionaries()
    dictionary = encoded.chunk(0).dictionary if encoded.num_chunks else pa.array([], pa.string())
    distinct = pc.cast(dictionary, pa.string())
    indices = pa.chunked_array([c.indices.cast(pa.int32()) for c in encoded.chunks], pa.int32())
    codes = pc.fill_null(indices, -1).to_numpy()  # -1: a null cell
    # a dictionary may hold entries no row uses (a Parquet file's, an enum's): no values
    used = np.bincount(codes[codes >= 0], minlength=len(distinct)) > 0
    values = [
        v if u else None
        for v, u in zip(cells(distinct, mapping.missing_values).to_pylist(), used, strict=True)
    ]
    value_map = value_map_of(mapping, field)
    if value_map is not None:
        unknown = [i for i, v in enumerate(values) if v is not None and v not in value_map]
        if unknown:
            rows = np.isin(codes, unknown)
            counts = pd.Series(np.asarray(values, dtype=object)[codes[rows]]).value_counts()
            raise CrmExportError(
                unknown_values(
                    path,
                    column_name,
                    field,
                    int(rows.sum()),
                    [(str(v), int(n)) for v, n in counts.head(LISTED_VALUES).items()],
                    _ids_where(ids, rows)[:FIRST_IDS],
                    value_map,
                )
            )
        values = [None if v is None else value_map[v] for v in values]
    categories = sorted({v for v in values if v is not None})
    code_of = {v: i for i, v in enumerate(categories)}
    # each distinct value's category; the last entry is a null cell's (code -1)
    recode = np.array([-1 if v is None else code_of[v] for v in values] + [-1], np.int32)
    return pd.Series(pd.Categorical.from_codes(recode[codes], pd.Index(categories, dtype="str")))


def _all_distinct(ids: pa.ChunkedArray) -> bool:
    """Whether no id repeats. Whole-number ids (most CRMs') are checked as numbers: in
    order, or sorted; distinct numbers mean distinct texts. Other ids are hashed."""
    try:
        numbers = pc.cast(ids, pa.int64()).to_numpy()
    except pa.ArrowInvalid:  # not whole numbers, or beyond int64
        return bool(ids.to_pandas().nunique() == len(ids))
    if (numbers[1:] > numbers[:-1]).all():  # compared, not subtracted: no overflow
        return True
    ordered = np.sort(numbers)
    return not (ordered[1:] == ordered[:-1]).any()


def _id_type(kind: pa.DataType) -> bool:
    """Whether ids can be read from a column of this Arrow type: text (in a dictionary too),
    UUIDs, and numbers (whole ones, written as their text); not times or true/false."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return (
        is_text(kind)
        or pa.types.is_string_view(kind)
        or pa.types.is_null(kind)
        or isinstance(kind, pa.UuidType)
        or pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_decimal(kind)
    )


def _row_ids(
    table: pa.Table, id_column: str, report: QualityReport, placeholders: tuple[str, ...] = ()
) -> tuple[pa.ChunkedArray, np.ndarray]:
    """The ids as text (null where none), and the mask of rows kept: rows with an id, the
    first of each id (NaN and infinity, in a column of floating numbers, and the mapping's
    `placeholders`, such as 'n/a', are no ids)."""
    column = table.column(id_column)
    column = decimal_text(column) if pa.types.is_decimal(column.type) else plain(column)
    if pa.types.is_floating(column.type):
        column = pc.if_else(pc.is_finite(column), column, pa.scalar(None, column.type))
    text = is_text(column.type)
    ids = pc.utf8_trim_whitespace(column) if text else pc.cast(column, pa.string())
    no_id = pc.or_(pc.is_null(ids), pc.is_in(ids, pa.array(["", *placeholders], pa.string())))
    has_id = pc.invert(no_id).to_numpy(zero_copy_only=False)
    if not has_id.all():  # a placeholder is no id to name in a finding either
        ids = pc.if_else(no_id, pa.scalar(None, pa.string()), ids)
    where = repr(id_column)
    report.add(
        MISSING_ID[0],
        where,
        [f"row {i + 1}" for i in np.flatnonzero(~has_id)],
        MISSING_ID[1],
    )
    checked = column if pa.types.is_integer(column.type) else ids  # whole numbers as they are
    if _all_distinct(checked.filter(pa.array(has_id))):
        return ids, has_id  # the usual case, found cheaply: every id once
    repeated = (
        pd.Series(ids.to_numpy(zero_copy_only=False)).duplicated(keep="first").to_numpy() & has_id
    )
    report.add(
        REPEATED_ID[0],
        where,
        ids.filter(pa.array(repeated)).to_pylist(),
        REPEATED_ID[1],
    )
    return ids, has_id & ~repeated


def read_export(path: str | Path, mapping: Mapping | str | Path = "hubspot") -> LeadTable:
    """Read a CRM export (CSV, Excel or Parquet) through a mapping into a checked LeadTable.

    `mapping` is a Mapping, a preset name ('hubspot', 'salesforce-leads',
    'salesforce-opportunities') or the path of a mapping YAML file.
    """
    mapping = resolve_mapping(mapping)
    path = str(path)
    report = QualityReport(source=path)
    table = read_table(path, report, mapping.encoding, mapping.delimiter, category_columns(mapping))
    return lead_rows(table, mapping, path, report)


def category_columns(mapping: Mapping) -> set[str]:
    """The export columns the mapping may read categories from (source, owner, status, stage,
    outcome): text with few distinct values, best read dictionary-encoded."""
    return {
        name
        for field, names in mapping.columns.items()
        if field_kind(field) in CATEGORY_KINDS
        for name in names
    }


def mapped_columns(names: list[str], mapping: Mapping) -> dict[str, str | None]:
    """Each field the mapping knows -> the export's column for it (None when absent)."""
    found = {f: _find(names, c) for f, c in mapping.columns.items()}
    found |= {stage_field(s): _find(names, c) for s, c in mapping.stage_columns.items()}
    found |= {f"attribute:{a}": _find(names, c) for a, c in mapping.attributes.items()}
    return found


def required_columns(names: list[str], mapping: Mapping, path: str) -> dict[str, str | None]:
    """`mapped_columns`, once every required field (and the id) is found among `names`; a
    missing one is named with what was found (`path` names the source in the message)."""
    found = mapped_columns(names, mapping)
    for field in mapping.required:
        candidates = mapping.columns.get(field) or mapping.stage_columns.get(
            field.removesuffix("_at"), ()
        )
        if found.get(field) is None:
            raise CrmExportError(_missing_column(path, field, candidates, names))
    if found.get(ID) is None:  # a mapping may leave the id out of `required`; a lead needs one
        raise CrmExportError(_missing_column(path, ID, mapping.columns.get(ID, ()), names))
    for field, name in found.items():
        if name is not None and names.count(name) > 1:
            column = f"{short(name)} ({field.removeprefix('attribute:')})"
            raise CrmExportError(repeated_column(path, column, names.count(name), "the header"))
    return found


def absent_notes(found: dict[str, str | None], mapping: Mapping, names: list[str]) -> list[str]:
    """The quality report's notes on what the mapping maps that the export has no column for
    (each left empty): what the mapping names itself, with what was looked for and the closest
    column name; then, by name only, the optional columns of the preset it changes."""
    sought = {
        **mapping.columns,
        **{stage_field(s): c for s, c in mapping.stage_columns.items()},
        **{f"attribute:{a}": c for a, c in mapping.attributes.items()},
    }
    own, optional = [], []
    for field, name in found.items():
        if name is not None:
            continue
        label = field.removeprefix("attribute:")
        label = f"attribute {short(label)}" if field.startswith("attribute:") else label
        if mapping.given is not None and field not in mapping.given:
            optional.append(label)
            continue
        close = {m for c in sought[field] for m in difflib.get_close_matches(c, names, 1, 0.8)}
        hint = f"; closest: {', '.join(short(c) for c in sorted(close))}" if close else ""
        own.append(f"{label} (looked for {' or '.join(short(c) for c in sought[field])}{hint})")
    notes = [f"mapped, but not in the export, so left empty: {'; '.join(own)}"] if own else []
    if optional:
        notes.append(f"the preset's optional columns not in the export: {', '.join(optional)}")
    return notes


def wrong_type_message(path: str, name: str, field: str, holds: object) -> str:
    """The error for a column whose type cannot hold its field (an id: text or whole numbers;
    a time: text or times; an amount, count or duration: text or numbers; an attribute:
    text, numbers, true/false or times; any other field: text, numbers or times)."""
    kind = field_kind(field)
    right = {
        "id": "text or whole numbers",
        "time": "text or times",
        "money": "text or numbers",
        "count": "text or numbers",
        "duration": "text or numbers",
        "attribute": "text, numbers, true/false or times",
    }.get(kind, "text, numbers or times")
    label = f"attribute {short(field.removeprefix('attribute:'))}" if kind == "attribute" else field
    return f"{path}: column {short(name)} ({label}) must hold {right} (it holds {holds})"


def no_field_type(kind: pa.DataType) -> bool:
    """Whether a column of this Arrow type can hold no field: lists, structs, maps, unions
    and intervals (a lead's field is one value a report can show and group by)."""
    return pa.types.is_nested(kind) or pa.types.is_interval(kind)


def undated_fields(mapping: Mapping, dated: dict[str, int]) -> list[str]:
    """The mapping's required time fields (e.g. the first stage's) with no time in any kept
    row, given each field's count of rows with a value."""
    return [f for f in mapping.required if f.endswith("_at") and dated.get(f) == 0]


def undated_message(path: str, name: str, field: str, rows: int) -> str:
    """The error for a required time column with no usable time in any kept row."""
    earliest, latest = plausible_window()
    return (
        f"{path}: column {short(name)} ({field}) holds no usable date in any of its {rows:,} "
        f"leads (each is empty, unreadable, or outside {str(earliest)[:10]} to "
        f"{str(latest)[:10]}): every lead needs one, as it places the lead in a period"
    )


def no_ids_message(path: str, name: str, rows: int) -> str:
    """The error for an id column with no id in any row."""
    return (
        f"{path}: column {short(name)} ({ID}) holds no id in any of its {rows:,} rows: every "
        "lead needs one"
    )


def lead_rows(table: pa.Table, mapping: Mapping, path: str, report: QualityReport) -> LeadTable:
    """An export's rows (an Arrow table, as read) through a mapping into a checked LeadTable;
    `path` names where they came from in messages."""
    report.rows_read = table.num_rows
    found = required_columns(list(table.column_names), mapping, path)
    report.notes += absent_notes(found, mapping, list(table.column_names))
    id_column = found[ID]
    assert id_column is not None  # `required_columns` found it
    id_type = table.column(id_column).type
    if not _id_type(id_type):
        holds = "boolean" if pa.types.is_boolean(id_type) else id_type  # as engines name it
        raise CrmExportError(wrong_type_message(path, id_column, ID, holds))
    ids, keep = _row_ids(table, id_column, report, mapping.missing_values)
    columns: dict[str, Column] = {ID: ids.to_pandas()}
    export_name = {f: n for f, n in found.items() if n is not None and f != ID}

    def parse(field: str) -> tuple[np.ndarray | pd.Series, list[Finding]]:
        own = QualityReport(source=path)  # per column, merged below in column order
        name = export_name[field]
        kind = field_kind(field)
        column = table.column(name)
        if no_field_type(column.type):
            raise CrmExportError(wrong_type_message(path, name, field, column.type))
        if kind in HOLDS:
            column = plain(column)
            if not any(holds(column.type) for holds in HOLDS[kind]):
                raise CrmExportError(wrong_type_message(path, name, field, column.type))
        return _parse(path, field, name, kind, column, mapping, ids, keep, own), own.findings

    # Arrow's kernels release the GIL, so columns parse in parallel on every core
    with ThreadPoolExecutor(max_workers=pa.cpu_count()) as pool:
        parsed = list(pool.map(parse, export_name))
    for field, (values, findings) in zip(export_name, parsed, strict=True):
        columns[field] = values
        report.findings.extend(findings)
    leads = arrange(columns, mapping)
    if not keep.all():
        leads = leads.loc[keep].reset_index(drop=True)
        for field in TEXT_FIELDS:  # a dropped row's value is no group of the kept leads
            if field in leads:
                leads[field] = leads[field].cat.remove_unused_categories()
    if report.rows_read and not keep.any():
        raise CrmExportError(no_ids_message(path, id_column, report.rows_read))
    undated = undated_fields(mapping, {str(f): int(leads[f].notna().sum()) for f in leads})
    if undated and len(leads):
        raise CrmExportError(undated_message(path, export_name[undated[0]], undated[0], len(leads)))
    _derive_won_time(leads, mapping, report)
    check_stage_order(leads, mapping, export_name, report)
    _check_outcomes(leads, mapping, report)
    return LeadTable(
        leads=leads, stages=mapping.stages, quality=report, mapping=mapping, source=path
    )


def _parse(
    path: str,
    field: str,
    name: str,
    kind: str,
    column: pa.ChunkedArray,
    mapping: Mapping,
    ids: pa.ChunkedArray,
    keep: np.ndarray,
    report: QualityReport,
) -> np.ndarray | pd.Series:
    """One column, parsed by its field's kind; bad cells of kept rows recorded, all treated as
    missing (rows dropped for their id are reported once, as dropped)."""
    where = repr(name)
    if kind == "time":
        values, bad = parse_times(
            cells(column, mapping.missing_values), mapping.date_formats, mapping.timezone
        )
        report.add("unparsable date", where, _ids_where(ids, bad & keep), TREATED_AS_MISSING)
        earliest, latest = plausible_window(expected=field == "close_date")
        implausible = (values < earliest) | (values > latest)  # NaT compares false
        report.add(*implausible_finding(field, where, _ids_where(ids, implausible & keep)))
        return _blanked(values, implausible, np.datetime64("NaT"))
    if kind in ("money", "count", "duration"):
        values, bad = parse_numbers(
            cells(column, mapping.missing_values), mapping.decimal, money=kind == "money"
        )
        noun = "amount" if kind == "money" else "number"
        report.add(f"unparsable {noun}", where, _ids_where(ids, bad & keep), TREATED_AS_MISSING)
        infinite = np.isinf(values)
        report.add(
            "not a finite number", where, _ids_where(ids, infinite & keep), TREATED_AS_MISSING
        )
        negative = (values < 0) & ~infinite
        report.add(f"negative {noun}", where, _ids_where(ids, negative & keep), TREATED_AS_MISSING)
        values = _blanked(values, infinite | negative, np.nan)
        if kind == "count":
            fractional = np.trunc(values) < values  # NaN compares false; negatives are gone
            report.add(
                "not a whole number", where, _ids_where(ids, fractional & keep), TREATED_AS_MISSING
            )
            values = _blanked(values, fractional, np.nan)
        if kind == "duration":
            values = values * DURATION_UNITS[mapping.response_time_unit]  # seconds
            too_long = values > longest_duration()  # NaN compares false
            report.add(TOO_LONG[0], where, _ids_where(ids, too_long & keep), TOO_LONG[1])
            values = _blanked(values, too_long, np.nan)
        return values
    if kind == "attribute":
        return _attribute(column, mapping)
    return _categories(path, name, field, column, mapping, ids)


def _attribute(column: pa.ChunkedArray, mapping: Mapping) -> np.ndarray | pd.Series:
    """An attribute as exported (text untrimmed, placeholders missing), or as numbers where
    that loses nothing: floating numbers; whole numbers below EXACT_WHOLE; text that is plain
    numbers of at most EXACT_DIGITS significant digits throughout (`numbers_exactly`), and
    decimals whose every value is such a number. Anything else is kept as its text: '2026E1'
    and 18-digit account numbers are codes."""
    if pa.types.is_decimal(column.type):  # numbers if every one keeps its digits as a float
        text = decimal_text(column)
        return parse_numbers(text)[0] if numbers_exactly(text, ".") else text.to_pandas()
    column = plain(column)
    if pa.types.is_floating(column.type):
        return column.to_numpy(zero_copy_only=False)
    if pa.types.is_integer(column.type):
        ends = pc.min_max(column).values()
        if all(end.as_py() is None or abs(end.as_py()) < EXACT_WHOLE for end in ends):
            return column.to_numpy(zero_copy_only=False).astype(float)
        return pc.cast(column, pa.string()).to_pandas()  # every digit, as the table's text
    if not is_text(column.type):
        return column.to_pandas()  # true/false, times: kept as exported
    text = cells(column, mapping.missing_values)
    if numbers_exactly(text, mapping.decimal):
        return parse_numbers(text, mapping.decimal)[0]
    return pc.if_else(pc.is_valid(text), column, None).to_pandas()


# the Arrow types a time field and a number field can be read from (text is parsed)
TIMES = (is_text, pa.types.is_timestamp, pa.types.is_date)
NUMBERS = (is_text, pa.types.is_integer, pa.types.is_floating)
HOLDS = {"time": TIMES, **dict.fromkeys(("money", "count", "duration"), NUMBERS)}


def _blanked(values: np.ndarray, mask: np.ndarray, missing: np.datetime64 | float) -> np.ndarray:
    """`values` with the `missing` value where `mask` is set (copied only when one is)."""
    return np.where(mask, missing, values) if mask.any() else values


EARLIEST_DATE = np.datetime64("1990-01-01", "s")  # no CRM recorded a lead before this
EXPECTED_YEARS = 10  # an expected close date may lie this many years ahead


def implausible_finding(field: str, where: str, ids: list) -> tuple[str, str, list, str]:
    """The finding (check, column, ids, action) for a field's dates outside its window."""
    earliest, latest = plausible_window(expected=field == "close_date")
    action = f"{TREATED_AS_MISSING}: before any CRM, or " + (
        "too far ahead for an expected close" if field == "close_date" else "in the future"
    )
    return f"date outside {str(earliest)[:4]} to {str(latest)[:10]}", where, ids, action


def plausible_window(expected: bool = False) -> tuple[np.datetime64, np.datetime64]:
    """The dates an export's events can have: from EARLIEST_DATE to the end of tomorrow (UTC,
    for time zones), or up to EXPECTED_YEARS ahead for an `expected` date (a close date)."""
    today = np.datetime64(dt.datetime.now(dt.UTC).date(), "D")
    days = 366 * EXPECTED_YEARS if expected else 2
    return EARLIEST_DATE, (today + days).astype("datetime64[s]") - np.timedelta64(1, "s")


TOO_LONG = (  # the finding (check, action) for a duration longer than any CRM's records
    f"longer than the time since {str(EARLIEST_DATE)[:4]}",
    f"{TREATED_AS_MISSING}: longer than any CRM has recorded",
)


def longest_duration() -> float:
    """The longest duration an export can hold, in seconds: from EARLIEST_DATE to the latest
    plausible time."""
    earliest, latest = plausible_window()
    return float((latest - earliest) / np.timedelta64(1, "s"))


def arrange(columns: dict[str, Column], mapping: Mapping) -> pd.DataFrame:
    """The lead table in canonical column order and types: id, stage times, fields, then
    attributes. Columns are put in order before the frame exists, so nothing is copied."""
    n = len(columns[ID])
    for stage in mapping.stages:
        columns.setdefault(
            stage_field(stage), np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
        )
    for field in TEXT_FIELDS:
        if field in columns:  # text fields are categories, listed alphabetically
            text = columns[field]
            assert isinstance(text, pd.Series)  # value-mapped: `_parse` gives a Series
            values = text.astype("category")
            columns[field] = values.cat.reorder_categories(sorted(values.cat.categories))
    if "stage" in columns:
        columns["stage"] = pd.Categorical(
            columns["stage"], categories=list(mapping.stages), ordered=True
        )
    if "outcome" in columns:
        columns["outcome"] = pd.Categorical(columns["outcome"], categories=list(OUTCOMES))
    if "response_time" in columns:
        seconds = columns["response_time"]
        assert isinstance(seconds, np.ndarray)  # a duration: `_parse` gives an array of seconds
        spans = np.full(n, np.timedelta64("NaT"), dtype="timedelta64[ms]")
        known = ~np.isnan(seconds)
        spans[known] = np.round(seconds[known] * 1000).astype(np.int64)
        columns["response_time"] = spans
    stage_cols = [stage_field(s) for s in mapping.stages]
    fields = [f for f in FIELDS if f in columns and f != ID]
    rest = [c for c in columns if c not in (ID, *stage_cols, *fields)]
    ordered = {c.removeprefix("attribute:"): columns[c] for c in (ID, *stage_cols, *fields, *rest)}
    return pd.DataFrame(ordered, copy=False)


def won_dated_note(mapping: Mapping, count: int) -> str:
    """The reading's note that the last stage's times were taken from won deals' close dates."""
    last = mapping.stages[-1]
    return (
        f"'{stage_field(last)}' taken from the close date of {count:,} won rows "
        f"(no column for stage '{last}')"
    )


def _derive_won_time(leads: pd.DataFrame, mapping: Mapping, report: QualityReport) -> None:
    """Without a column for the last stage, a won lead's close date is when it reached it."""
    last = stage_field(mapping.stages[-1])
    if (
        mapping.stages[-1] in mapping.stage_columns
        or "close_date" not in leads
        or "outcome" not in leads
    ):
        return
    won = (leads["outcome"] == "won").to_numpy() & leads["close_date"].notna().to_numpy()
    leads.loc[won, last] = leads.loc[won, "close_date"]
    report.notes.append(won_dated_note(mapping, int(won.sum())))


def check_stage_order(
    leads: pd.DataFrame, mapping: Mapping, export_name: dict[str, str], report: QualityReport
) -> None:
    """Report stage times earlier than an earlier stage's time (kept; left out of velocity)."""
    missing = np.iinfo(np.int64).min  # NaT as an integer
    latest = np.full(len(leads), missing)
    ids = None
    for j, stage in enumerate(mapping.stages):
        column = stage_field(stage)
        times = leads[column].to_numpy(dtype="datetime64[s]").view(np.int64)
        early = (times != missing) & (times < latest)
        if j and early.any():
            ids = leads[ID].to_numpy() if ids is None else ids
            report.add(
                EARLY_STAGE[0].format(stage=stage),
                repr(export_name.get(column, column)),
                _ids_where(ids, early),
                EARLY_STAGE[1],
            )
        latest = np.maximum(latest, times)


def _check_outcomes(leads: pd.DataFrame, mapping: Mapping, report: QualityReport) -> None:
    """Derive the outcome where the export has none; a lead that reached the last stage is won."""
    last = stage_field(mapping.stages[-1])
    reached_last = leads[last].notna().to_numpy()
    if "stage" in leads:
        reached_last = reached_last | (leads["stage"] == mapping.stages[-1]).to_numpy()
    won, open_ = OUTCOMES.index("won"), OUTCOMES.index("open")
    if "outcome" not in leads:
        codes = np.where(reached_last, won, open_)
    else:  # worked on the category codes (-1: none): a million leads in milliseconds
        codes = leads["outcome"].cat.codes.to_numpy().copy()
        conflict = reached_last & (codes != won) & (codes >= 0)
        if conflict.any():  # (ids as numpy text cost 0.1 s a million)
            report.add(
                OUTCOME_CONFLICT[0],
                "outcome",
                _ids_where(leads[ID].to_numpy(), conflict),
                OUTCOME_CONFLICT[1],
            )
        unset = codes < 0
        codes[conflict | (unset & reached_last)] = won
        codes[unset & ~reached_last] = open_
    outcome = pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(list(OUTCOMES)))
    if "outcome" in leads:
        leads["outcome"] = outcome
    else:  # among the fields, before the attributes, as `arrange` orders them
        times = [stage_field(s) for s in mapping.stages]
        ahead = [c for c in leads.columns if c == ID or c in times or c in FIELDS]
        leads.insert(len(ahead), "outcome", pd.Series(outcome, index=leads.index, copy=False))
