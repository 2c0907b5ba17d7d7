"""Reading an export file into an Arrow table: CSV in any delimiter, encoding and line
endings, Excel, or Parquet.

CSV and Excel cells are read as text (typed parsing comes later, column by column, so that
a bad cell is reported rather than failing the file). Columns named as `dictionary` (text
with few distinct values, such as a lead's source or status) are read dictionary-encoded
from CSV and Parquet: each distinct text is stored, and later mapped, once.

The encoding is the mapping's, or detected: a byte order mark, else UTF-8, else
Windows-1252 (and the quality report notes it); a UTF-8 file with some Windows-1252 lines is
read line by line, and those lines named. The delimiter is the mapping's, or whichever of
, ; tab | appears most in the header.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from collections.abc import Collection
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from funnelkit.core.exceptions import CrmExportError
from funnelkit.core.validation import short
from funnelkit.crm.parsing import is_text
from funnelkit.crm.quality import QualityReport

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
DELIMITERS = (",", ";", "\t", "|")
FALLBACK_ENCODING = "cp1252"  # what spreadsheet programs on Windows write
BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
BLOCK_SIZE = 1 << 24  # bytes per CSV block; blocks are parsed in parallel
TEXT_CODES = pa.dictionary(pa.int32(), pa.string())  # a dictionary-encoded text column


def detect_delimiter(header: str) -> str:
    """The delimiter among , ; tab | that appears most often in a header line (',' if none)."""
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def _header(path: Path | io.BytesIO, encoding: str) -> str:
    if isinstance(path, io.BytesIO):
        first = path.getvalue().split(b"\n", 1)[0]
        return first.decode(encoding, errors="replace").lstrip("\ufeff").rstrip("\r\n")
    with open(path, encoding=encoding, errors="replace", newline="") as f:
        return f.readline().lstrip("\ufeff").rstrip("\r\n")


def utf8_by_line(path: Path) -> tuple[bytes, list[int]] | None:
    """A file that is UTF-8 but for some lines, as UTF-8 throughout (those lines read as
    Windows-1252), with their numbers; None when no line is UTF-8 beyond ASCII (the whole
    file is Windows-1252)."""
    decoded, bad, utf8 = [], [], 0
    for number, line in enumerate(path.read_bytes().splitlines(keepends=True), start=1):
        try:
            decoded.append(line.decode("utf-8"))
            utf8 += not line.isascii()
        except UnicodeDecodeError:
            decoded.append(line.decode(FALLBACK_ENCODING, errors="replace"))
            bad.append(number)
    return ("".join(decoded).encode("utf-8"), bad) if utf8 else None


def folded(name: str) -> str:
    """A column name as it is matched when not exactly: without case or surrounding spaces."""
    return name.strip().casefold()


def _dictionary_columns(names: Collection[str], dictionary: Collection[str]) -> set[str]:
    """Those of `names` that `dictionary` names, exactly or `folded`."""
    asked = {folded(d) for d in dictionary}
    return {n for n in names if n in dictionary or folded(n) in asked}


def _read_csv(
    path: Path | io.BytesIO, encoding: str, delimiter: str | None, dictionary: Collection[str]
) -> tuple[pa.Table, str]:
    header = _header(path, encoding)
    delimiter = delimiter or detect_delimiter(header)
    names = next(csv.reader([header], delimiter=delimiter))
    coded = _dictionary_columns(names, dictionary)
    types = {n: TEXT_CODES if n in coded else pa.string() for n in names}
    table = pcsv.read_csv(
        path,
        read_options=pcsv.ReadOptions(encoding=encoding, block_size=BLOCK_SIZE),
        parse_options=pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
        convert_options=pcsv.ConvertOptions(column_types=types, strings_can_be_null=False),
    )
    return table, delimiter


def repeated_column(path: str | Path, column: str, count: int, where: str) -> str:
    """The error for a column (as messages name it) found `count` times in `where`."""
    return (
        f"{path}: column {column} appears {count} times in {where}, so which one to read is "
        "unclear: keep one, renaming or removing the others"
    )


def _read_parquet(path: Path, dictionary: Collection[str]) -> pa.Table:
    """A Parquet export, the text columns named in `dictionary` dictionary-encoded (columns of
    other types as they are)."""
    schema = pq.read_schema(path)
    repeated = [(n, k) for n, k in Counter(schema.names).items() if k > 1]
    if repeated:  # Arrow cannot tell them apart either
        name, count = repeated[0]
        raise CrmExportError(repeated_column(path, short(name), count, "the file"))
    coded = _dictionary_columns(schema.names, dictionary)
    text = [f.name for f in schema if f.name in coded and is_text(f.type)]
    return pq.read_table(path, read_dictionary=text)


def read_csv(
    path: Path,
    report: QualityReport,
    encoding: str | None,
    delimiter: str | None,
    dictionary: Collection[str] = (),
) -> pa.Table:
    """A CSV export as an Arrow table of text columns (`dictionary`'s dictionary-encoded)."""
    with open(path, "rb") as f:
        head = f.read(4)
    bom = next((name for mark, name in BOMS if head.startswith(mark)), None)
    chosen = encoding or bom or "utf-8"
    try:
        table, delimiter = _read_csv(path, chosen, delimiter, dictionary)
    except pa.ArrowInvalid as err:
        if encoding or bom or "utf8" not in str(err).lower().replace("-", ""):
            raise CrmExportError(f"{path}: cannot be read as CSV ({err})") from None
        mixed = utf8_by_line(path)
        if mixed is None:
            table, delimiter = _read_csv(path, FALLBACK_ENCODING, delimiter, dictionary)
            report.notes.append(
                f"not valid UTF-8, so read as {FALLBACK_ENCODING} (Windows Latin-1)"
            )
        else:
            content, lines = mixed
            table, delimiter = _read_csv(io.BytesIO(content), "utf-8", delimiter, dictionary)
            report.add(
                "line not valid UTF-8",
                "(the whole line)",
                [f"line {n}" for n in lines],
                f"read as {FALLBACK_ENCODING} (Windows Latin-1); the other lines as UTF-8",
            )
    else:
        if chosen != "utf-8":
            report.notes.append(f"read as {chosen}")
    if delimiter != ",":
        report.notes.append(f"columns separated by {short(delimiter)}")
    return table


def read_table(
    path: str | Path,
    report: QualityReport,
    encoding: str | None = None,
    delimiter: str | None = None,
    dictionary: Collection[str] = (),
) -> pa.Table:
    """An export file as an Arrow table, by its suffix: CSV (text), Excel (text) or Parquet;
    the columns named in `dictionary` dictionary-encoded where they hold text (CSV, Parquet)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise CrmExportError(f"{path}: no such export file")
    if path.stat().st_size == 0:
        raise CrmExportError(f"{path}: the file is empty")
    try:
        if suffix in CSV_SUFFIXES:
            table = read_csv(path, report, encoding, delimiter, dictionary)
        elif suffix in EXCEL_SUFFIXES:
            frame = pd.read_excel(path, dtype=str, keep_default_na=False)
            table = pa.Table.from_pandas(frame.astype(object), preserve_index=False)
        elif suffix in PARQUET_SUFFIXES:
            table = _read_parquet(path, dictionary)
        else:
            known = ", ".join(CSV_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES)
            raise CrmExportError(
                f"{path}: the file type {suffix or '(none)'!r} is not one of {known}"
            )
    except CrmExportError:
        raise
    except (pa.ArrowInvalid, ValueError, OSError) as err:
        raise CrmExportError(f"{path}: cannot be read ({err})") from None
    if table.num_rows == 0:
        raise CrmExportError(f"{path}: the file has a header but no rows")
    return table
