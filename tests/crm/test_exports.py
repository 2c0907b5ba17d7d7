"""Reading files: delimiters, encodings, line endings, formats, and the fatal cases."""

import pandas as pd
import pyarrow as pa
import pytest
from conftest import HUBSPOT_HEADER, TINY_ROWS, write_export

from funnelkit.core.exceptions import CrmExportError
from funnelkit.crm.exports import detect_delimiter, read_table
from funnelkit.crm.quality import QualityReport


def read(path, **kwargs):
    report = QualityReport(str(path))
    return read_table(path, report, **kwargs), report


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
@pytest.mark.parametrize("eol", ["\r\n", "\n", "\r"])
def test_any_delimiter_and_line_ending(tmp_path, delimiter, eol):
    path = write_export(tmp_path / "x.csv", HUBSPOT_HEADER, TINY_ROWS, delimiter=delimiter, eol=eol)
    table, report = read(path)
    assert table.num_rows == 6
    assert table.column_names == HUBSPOT_HEADER
    assert table.column("Recent Deal Amount").to_pylist()[3] == "$20,000.00"
    assert (delimiter != ",") == any("separated by" in n for n in report.notes)


def test_detect_delimiter_takes_the_most_frequent():
    assert detect_delimiter("a;b;c,d") == ";"
    assert detect_delimiter("single") == ","


def test_utf8_with_bom_and_utf16_are_read(tmp_path):
    rows = [[*TINY_ROWS[0][:8], "Zoë", *TINY_ROWS[0][9:]]]
    bom = tmp_path / "bom.csv"
    bom.write_bytes(
        b"\xef\xbb\xbf" + write_export(tmp_path / "plain.csv", HUBSPOT_HEADER, rows).read_bytes()
    )
    table, _ = read(bom)
    assert table.column_names[0] == "Record ID"
    assert table.column("Contact owner").to_pylist() == ["Zoë"]
    utf16 = write_export(tmp_path / "u16.csv", HUBSPOT_HEADER, rows, encoding="utf-16")
    table, report = read(utf16)
    assert table.column("Contact owner").to_pylist() == ["Zoë"]
    assert report.notes == ["read as utf-16"]


def test_windows_1252_is_read_and_noted(tmp_path):
    rows = [[*TINY_ROWS[0][:8], "Zoë", *TINY_ROWS[0][9:]]]
    path = write_export(tmp_path / "w.csv", HUBSPOT_HEADER, rows, encoding="cp1252")
    table, report = read(path)
    assert table.column("Contact owner").to_pylist() == ["Zoë"]
    assert report.notes == ["not valid UTF-8, so read as cp1252 (Windows Latin-1)"]


def test_excel_and_parquet_read_the_same_cells(tmp_path, tiny_export):
    frame = pd.read_csv(tiny_export, dtype=str, keep_default_na=False)
    frame.to_excel(tmp_path / "x.xlsx", index=False)
    frame.to_parquet(tmp_path / "x.parquet")
    csv_table, _ = read(tiny_export)
    for name in ("x.xlsx", "x.parquet"):
        table, _ = read(tmp_path / name)
        assert table.column_names == csv_table.column_names
        assert (
            table.column("Create Date").to_pylist() == csv_table.column("Create Date").to_pylist()
        )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b'"Record ID","Create Date"\r\n', "the file has a header but no rows"),
    ],
)
def test_empty_files_are_fatal(tmp_path, content, message):
    path = tmp_path / "e.csv"
    path.write_bytes(content)
    with pytest.raises(CrmExportError) as err:
        read(path)
    assert str(err.value) == f"{path}: {message}"


def test_missing_file_and_unknown_type_are_fatal(tmp_path):
    with pytest.raises(CrmExportError) as err:
        read(tmp_path / "nope.csv")
    assert str(err.value) == f"{tmp_path / 'nope.csv'}: no such export file"
    other = tmp_path / "x.json"
    other.write_text("{}")
    with pytest.raises(CrmExportError) as err:
        read(other)
    assert (
        str(err.value)
        == f"{other}: the file type '.json' is not one of .csv, .tsv, .txt, .xlsx, .xlsm, .parquet, .pq"
    )


def test_a_ragged_csv_is_fatal_with_the_reason(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text('"a","b"\n"1","2","3"\n')
    with pytest.raises(
        CrmExportError, match=r"r.csv: cannot be read as CSV \(.*Expected 2 columns, got 3"
    ):
        read(path)


def test_parquet_keeps_its_types(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame(
        {"Record ID": [1, 2], "Create Date": pd.to_datetime(["2026-01-01", "2026-01-02"])}
    ).to_parquet(path)
    table, _ = read(path)
    assert pa.types.is_timestamp(table.schema.field("Create Date").type)


def test_named_text_columns_are_read_dictionary_encoded_as_headers_are_matched(tmp_path):
    """The columns a mapping reads categories from come dictionary-encoded, matched as column
    names are: exactly, or ignoring case and surrounding spaces; the others as text."""
    at = HUBSPOT_HEADER.index("Original Source")
    header = [" original SOURCE " if i == at else h for i, h in enumerate(HUBSPOT_HEADER)]
    path = write_export(tmp_path / "e.csv", header, TINY_ROWS)
    table = read_table(
        path, QualityReport(str(path)), dictionary={"Original Source", "Lead Status"}
    )
    assert pa.types.is_dictionary(table.schema.field(" original SOURCE ").type)
    assert pa.types.is_dictionary(table.schema.field("Lead Status").type)
    assert pa.types.is_string(table.schema.field("Record ID").type)
    assert table.column(" original SOURCE ").to_pylist() == [r[at] for r in TINY_ROWS]
