"""Leads read from a table in a database give the same lead table, the same quality report
and the same plan as the export file they were loaded from, on DuckDB and on Spark; the
engine maps and counts, and only the mapped rows and the first ids leave it; a wrong table,
column or engine is named in one clear message."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import HUBSPOT_HEADER, SAMPLE, TINY_ROWS, write_export
from hypothesis import given, settings
from hypothesis import strategies as st

from funnelkit.core.exceptions import CrmExportError, ParamsError
from funnelkit.crm.databases import read_database_table
from funnelkit.crm.fields import ID
from funnelkit.crm.leads import LeadTable, plausible_window, read_export
from funnelkit.crm.mapping_file import resolve_mapping
from funnelkit.crm.quality import FIRST_IDS
from funnelkit.crm.sample import generate_leads, write_csv
from funnelkit.crm.table_view import java_pattern
from funnelkit.model.loader import load_plan_data

HUBSPOT = resolve_mapping("hubspot")


def same_refusal(*reads) -> str:
    """The message every read refuses with: the same after the source it names."""
    said = set()
    for read in reads:
        with pytest.raises(CrmExportError) as err:
            read()
        said.add(str(err.value).split(": ", 1)[1])
    assert len(said) == 1, said
    return said.pop()


def in_id_order(leads: pd.DataFrame) -> pd.DataFrame:
    """A table has no row order: its leads come in id order (whole-number ids as numbers)."""
    order = sorted(range(len(leads)), key=lambda i: (len(leads[ID][i]), leads[ID][i]))
    return leads.take(order).reset_index(drop=True)


def same_leads(ours: LeadTable, expected: LeadTable) -> None:
    """The same leads and the same findings, but that a table, having no row numbers, quotes
    none for rows without an id, and quotes ids in id order."""
    pd.testing.assert_frame_equal(ours.leads, in_id_order(expected.leads))
    assert ours.stages == expected.stages
    found = [(f.check, f.column, f.count, f.first_ids) for f in ours.quality.findings]
    assert found == [
        (f.check, f.column, f.count, () if f.check == "missing id" else f.first_ids)
        for f in expected.quality.findings
    ]
    assert ours.quality.rows_read == expected.quality.rows_read
    assert ours.quality.notes == expected.quality.notes


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """A DuckDB file holding the sample export as text ('contacts', with a column no mapping
    names) and a typed table of generated leads ('typed')."""
    path = tmp_path_factory.mktemp("db") / "crm.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        f"CREATE TABLE contacts AS SELECT *, 'private' AS \"Notes\" "
        f"FROM read_csv('{SAMPLE}', all_varchar = true, header = true)"
    )
    typed = generate_leads(500, 3)  # noqa: F841 (DuckDB reads the frame by its name)
    con.execute("CREATE TABLE typed AS SELECT * FROM typed")
    con.close()
    return path


def test_a_text_table_reads_as_its_export_file(database):
    same_leads(read_database_table("duckdb", "contacts", HUBSPOT, database), read_export(SAMPLE))


def test_only_the_mapped_rows_and_first_ids_leave_the_engine(database, monkeypatch):
    import ibis.backends.duckdb as backend

    fetched: list[tuple[list[str], int]] = []
    original = backend.Backend.to_pyarrow

    def spy(self, expr, *args, **kwargs):
        out = original(self, expr, *args, **kwargs)
        fetched.append((out.column_names, out.num_rows))
        return out

    monkeypatch.setattr(backend.Backend, "to_pyarrow", spy)
    table = read_database_table("duckdb", "contacts", HUBSPOT, database)
    *checks, (columns, rows) = fetched
    assert columns == list(table.leads.columns)  # the lead table's own columns, parsed
    assert rows == len(table.leads)
    # before it: the columns' names and types, each text time column's first cells to rank
    # the date formats on, the counts (one row) and the first ids of each finding
    assert all(n <= 1000 for _, n in checks)
    assert sum(n for c, n in checks if c == [ID]) <= FIRST_IDS * len(table.quality.findings)
    assert not any("Notes" in c for c, n in checks if n)  # no unmapped column's values leave
    assert all(len(c) == 1 for c, n in checks if n > 1)  # a column of cells, or of ids


def test_no_duckdb_connection_draws_a_progress_bar_into_a_report(database):
    # DuckDB draws one for a query over 2 s (in a notebook: into the report's output); it
    # draws none under pytest, so the connections are looked at in a process of their own
    code = (
        "from funnelkit.actuals import engine; from funnelkit.crm.databases import connect; "
        f"cons = [connect('duckdb', __import__('pathlib').Path({str(database)!r})), "
        f"connect('duckdb://{database}?read_only=true'), engine.connection()]; "
        "print([c.raw_sql(\"SELECT current_setting('enable_progress_bar')\").fetchone()[0] "
        "for c in cons])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[False,", "False,", "False]"]


def test_duckdb_connections_take_the_process_s_share_of_the_cores(database):
    """A render worker's kernel sets OMP_NUM_THREADS to its share; every DuckDB connection
    (a table's database file, a URL, the engine in process) takes that many threads."""
    code = (
        "from funnelkit.actuals import engine; from funnelkit.crm.databases import connect; "
        f"cons = [connect('duckdb', __import__('pathlib').Path({str(database)!r})), "
        f"connect('duckdb://{database}?read_only=true'), engine.connection()]; "
        "print([c.raw_sql(\"SELECT current_setting('threads')\").fetchone()[0] for c in cons])"
    )
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.split() == ["[1,", "1,", "1]"]


def test_a_missing_table_is_named_with_the_tables_there(database):
    with pytest.raises(CrmExportError) as err:
        read_database_table("duckdb", "leads", HUBSPOT, database)
    assert str(err.value) == (
        "table 'leads' in crm.duckdb: no such table or view; the engine has 'contacts', 'typed' "
        "(name a table of another schema with it: 'schema.table')"
    )


def test_a_table_name_is_never_read_as_a_file(database, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(SAMPLE, tmp_path / "contacts.csv")  # DuckDB would scan it for that name
    with pytest.raises(CrmExportError) as err:
        read_database_table("duckdb", "contacts.csv", HUBSPOT, database)
    assert str(err.value) == (
        "table 'contacts.csv' in crm.duckdb: no such table or view (did you mean 'contacts'?); "
        "the engine also has 'typed' (name a table of another schema with it: 'schema.table')"
    )


def test_a_schema_named_as_its_file_reads_and_a_missing_table_names_every_schema_s(tmp_path):
    """In crm.duckdb (catalog 'crm') schema crm's leads is 'crm.leads', as the README shows;
    a name not there lists the tables of every schema, the likest first."""
    path = tmp_path / "crm.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA crm")
        con.execute(f"CREATE TABLE crm.crm.leads AS SELECT * FROM read_csv('{SAMPLE}')")
        for i in range(25):
            con.execute(f"CREATE TABLE a{i:02d} (x INTEGER)")
    same_leads(
        read_database_table("duckdb", "crm.leads", HUBSPOT, path),
        read_database_table("duckdb", "crm.crm.leads", HUBSPOT, path),
    )
    assert len(read_database_table("duckdb", "CRM.Leads", HUBSPOT, path).leads) == 3999
    with duckdb.connect(str(path)) as con:  # now 'crm.leads' is also catalog crm's leads
        con.execute("CREATE TABLE main.leads AS SELECT * FROM crm.crm.leads")
    with pytest.raises(CrmExportError) as err:
        read_database_table("duckdb", "crm.leads", HUBSPOT, path)
    assert str(err.value) == (
        "table 'crm.leads' in crm.duckdb: the name fits 2 tables ('crm.crm.leads', "
        "'crm.main.leads'); name the one meant in full: 'crm.crm.leads' or 'crm.main.leads' "
        "(funnelkit does not pick one)"
    )
    with duckdb.connect(str(path)) as con:
        con.execute("DROP TABLE main.leads")
    with pytest.raises(CrmExportError) as err:
        read_database_table("duckdb", "lead", HUBSPOT, path)
    assert str(err.value) == (
        "table 'lead' in crm.duckdb: no such table or view (did you mean 'crm.leads'?); the "
        "engine also has 'a00', 'a01', 'a02', 'a03', 'a04', 'a05', 'a06', 'a07', 'a08', 'a09', "
        "'a10', 'a11', 'a12', 'a13', 'a14', 'a15', 'a16', 'a17', 'a18', 'a19' and 5 more (name a "
        "table of another schema with it: 'schema.table')"
    )


def test_a_name_two_tables_answer_to_is_refused_and_a_view_of_a_file_reads(tmp_path):
    path = tmp_path / "sales.duckdb"
    shutil.copy(SAMPLE, tmp_path / "contacts.csv")
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA crm")
        con.execute(f"CREATE TABLE crm.leads AS SELECT * FROM read_csv('{SAMPLE}')")
        con.execute(f"CREATE TABLE \"crm.leads\" AS SELECT * FROM read_csv('{SAMPLE}') LIMIT 9")
        con.execute(f"CREATE VIEW on_file AS SELECT * FROM '{tmp_path / 'contacts.csv'}'")
    with pytest.raises(CrmExportError) as err:
        read_database_table("duckdb", "crm.leads", HUBSPOT, path)
    assert str(err.value) == (
        "table 'crm.leads' in sales.duckdb: the name fits 2 tables ('sales.crm.leads', "
        "'sales.main.crm.leads'); name the one meant in full: 'sales.main.crm.leads' (funnelkit "
        "does not pick one)"
    )
    assert len(read_database_table("duckdb", "sales.main.crm.leads", HUBSPOT, path).leads) == 9
    same_leads(read_database_table("duckdb", "on_file", HUBSPOT, path), read_export(SAMPLE))


def test_a_missing_column_is_named_among_the_tables_columns(database):
    mapping = resolve_mapping("salesforce-leads")
    with pytest.raises(CrmExportError) as err:
        read_database_table("duckdb", "contacts", mapping, database)
    message = str(err.value)
    assert message.startswith("table 'contacts' in crm.duckdb: required column for ")
    assert "'Notes'" in message  # every column of the table is listed, not only mapped ones


def test_an_engine_that_cannot_connect_says_so():
    with pytest.raises(CrmExportError) as err:
        read_database_table("nosuchengine://host/db", "leads", HUBSPOT)
    assert str(err.value).startswith(
        "table 'leads' in nosuchengine: could not connect to 'nosuchengine://host/db': "
    )


def plan_on(folder, actuals: dict) -> dict:
    raw = yaml.safe_load((SAMPLE.parent.parent.parent / "params" / "2026-q4.yaml").read_text())
    for key in ("previous_plan", "next_plan"):
        raw.pop(key)
    raw["actuals"] = actuals
    path = folder / "plan.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_a_plan_on_a_table_has_the_figures_of_the_plan_on_its_export(database, tmp_path):
    shutil.copy(SAMPLE, tmp_path / "contacts.csv")
    on_file = load_plan_data(plan_on(tmp_path, {"export": "contacts.csv"}))
    db = tmp_path / "crm.duckdb"
    shutil.copy(database, db)
    on_table = load_plan_data(
        plan_on(tmp_path, {"engine": "duckdb", "database": "crm.duckdb", "table": "contacts"})
    )
    assert on_table.baselines == on_file.baselines
    assert on_table.params.actuals_name == "table 'contacts' in crm.duckdb"


@pytest.mark.parametrize(
    ("actuals", "message"),
    [
        ({"table": "contacts"}, "'table' needs its 'engine'"),
        ({"engine": "duckdb"}, "actuals: 'engine' needs its 'table': the table or view that"),
        ({"engine": "duckdb", "database": "crm.duckdb"}, "actuals: 'engine' needs its 'table'"),
        ({"mapping": "hubspot"}, "give either 'export' (a CRM export file) or 'table'"),
        (
            {"engine": "duckdb://none.duckdb", "table": "t"},
            "actuals: 'engine' names a file that does not exist: {folder}/none.duckdb",
        ),
        (
            {"engine": "duckdb://erin:S3cret@/tmp/crm.duckdb", "table": "t"},
            "actuals: 'engine' duckdb:// names a database file, which has no user or password "
            "(got 'duckdb://erin:***@/tmp/crm.duckdb')",
        ),
        (
            {"engine": "duckdb://:memory:", "table": "t"},  # no file: nothing to look for
            "actuals: table 't' in duckdb: no such table or view; the engine has none",
        ),
        (
            {"engine": "sqlite:///no/such/crm.sqlite", "table": "t"},
            "actuals: 'engine' names a file that does not exist: /no/such/crm.sqlite",
        ),
        (
            {"engine": "duckdb", "table": "t", "database": "sub"},
            "actuals: 'database' names a folder, not a file: {folder}/sub",
        ),
        ({"engine": "oracle", "table": "t"}, "'engine' must be 'duckdb' or 'spark', or an Ibis"),
        ({"engine": "duckdb", "table": "t"}, "engine 'duckdb' needs its 'database'"),
        (
            {"engine": "spark", "table": "t", "database": "crm.duckdb"},
            "'database' names a DuckDB file, so it goes with engine 'duckdb'",
        ),
        (
            {"engine": "duckdb", "table": "t", "database": "none.duckdb"},
            "'database' names a file that does not exist",
        ),
        (
            {"engine": "duckdb", "database": "crm.duckdb", "table": "nope"},
            "actuals: table 'nope' in crm.duckdb: no such table or view; the engine has",
        ),
    ],
)
def test_bad_table_parameters_are_named(database, tmp_path, actuals, message):
    shutil.copy(database, tmp_path / "crm.duckdb")
    (tmp_path / "sub").mkdir()
    with pytest.raises(ParamsError) as err:
        load_plan_data(plan_on(tmp_path, actuals))
    assert message.format(folder=tmp_path) in str(err.value)
    assert str(err.value).startswith(f"{tmp_path / 'plan.yaml'}: ")
    assert not (tmp_path / "none.duckdb").exists()  # no empty database made on the way


def test_an_engine_url_names_its_file_from_the_plans_folder(database, tmp_path, monkeypatch):
    shutil.copy(database, tmp_path / "crm.duckdb")
    shutil.copy(database, tmp_path / "crm@2024.duckdb")  # an '@' in a name is no user
    data = load_plan_data(
        plan_on(tmp_path, {"engine": "duckdb://crm@2024.duckdb", "table": "typed"})
    )
    assert data.table.source == "table 'typed' in crm@2024.duckdb"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    data = load_plan_data(plan_on(tmp_path, {"engine": "duckdb://crm.duckdb", "table": "typed"}))
    assert data.params.export_table.engine == f"duckdb://{(tmp_path / 'crm.duckdb').resolve()}"
    assert len(data.table.leads) == 500
    assert data.table.source == "table 'typed' in crm.duckdb"  # as the report names it
    assert list(elsewhere.iterdir()) == []  # nothing made where the program runs


@pytest.mark.spark
def test_a_spark_table_reads_as_its_export_file():
    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime and none is on PATH (.ci/run installs one)")
    from funnelkit.actuals.engine import spark_connection

    con = spark_connection()
    session = con._session
    frame = session.read.csv(str(SAMPLE), header=True, inferSchema=False)
    frame.createOrReplaceTempView("contacts")
    same_leads(read_database_table("spark", "contacts", HUBSPOT), read_export(SAMPLE))


@pytest.mark.spark
def test_a_spark_table_of_case_insensitive_text_compares_bytes_as_an_export(tmp_path):
    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime and none is on PATH (.ci/run installs one)")
    from funnelkit.actuals.engine import spark_connection

    session = spark_connection()._session
    ids = ["b", "B", "a", "A", "c", "C"]  # one lead each, whatever the table's collation
    rows = [[lead, *row[1:]] for lead, row in zip(ids, TINY_ROWS, strict=True)]

    def lowercase_collated(csv):
        frame = session.read.csv(str(csv), header=True, inferSchema=False)
        frame.createOrReplaceTempView("texts")
        collated = ", ".join(f"`{c}` COLLATE UTF8_LCASE AS `{c}`" for c in frame.columns)
        session.sql(f"CREATE OR REPLACE TEMP VIEW leads AS SELECT {collated} FROM texts")
        return read_database_table("spark", "leads", HUBSPOT)

    csv = write_export(tmp_path / "cased.csv", HUBSPOT_HEADER, rows)
    same_leads(lowercase_collated(csv), read_export(csv))
    # a value the map knows only in another case is unknown, as in the export
    status = next(row for row in rows if row[6])  # its 'Lead Status', as 'uNQUALIFIED'
    status[6] = status[6].swapcase()
    csv = write_export(tmp_path / "upper.csv", HUBSPOT_HEADER, rows)
    same_refusal(lambda: read_export(csv), lambda: lowercase_collated(csv))


def as_table(con, source, name: str) -> None:
    """An export loaded into `con` (DuckDB or Spark) as a table: a CSV file's as text, as
    CRMs land in one, or a frame's in its types."""
    if isinstance(con, duckdb.DuckDBPyConnection):
        if isinstance(source, pd.DataFrame):
            con.register("frame", source)
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM frame")
            return
        con.execute(
            f"CREATE OR REPLACE TABLE {name} AS "
            f"SELECT * FROM read_csv('{source}', all_varchar = true, header = true)"
        )
    elif isinstance(source, pd.DataFrame):
        con.createDataFrame(source).createOrReplaceTempView(name)
    else:
        con.read.csv(str(source), header=True, inferSchema=False).createOrReplaceTempView(name)


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def engine(request, tmp_path):
    """A way to put an export in a table and read it back: on a DuckDB file, or in Spark."""
    if request.param == "duckdb":
        path = tmp_path / "crm.duckdb"

        def read(source, mapping="hubspot"):
            con = duckdb.connect(str(path))
            as_table(con, source, "leads")
            con.close()
            return read_database_table("duckdb", "leads", resolve_mapping(mapping), path)

        return read
    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime and none is on PATH (.ci/run installs one)")
    from funnelkit.actuals.engine import spark_connection

    session = spark_connection()._session

    def read_spark(source, mapping="hubspot"):
        as_table(session, source, "leads")
        return read_database_table("spark", "leads", resolve_mapping(mapping), None)

    return read_spark


def test_the_sample_as_a_table_reads_as_its_export(engine):
    same_leads(engine(SAMPLE), read_export(SAMPLE))


MESSY = [
    [*TINY_ROWS[0][:6], "Unqualified", *TINY_ROWS[0][7:]],  # won, yet 'Unqualified'
    [*TINY_ROWS[1][:10], "2.5", "1.5k"],  # part of a touch, an amount in words
    [TINY_ROWS[2][0], "1970-01-01 00:00", *TINY_ROWS[2][2:]],  # before any CRM
    [TINY_ROWS[3][0], "2026-02-02T08:00:00Z", *TINY_ROWS[3][2:11], "(1,250.50)"],
    [TINY_ROWS[4][0], "2026-02-14 15:00:00", *TINY_ROWS[4][2:9], "2026-02-31 10:00", "x", ""],
    [TINY_ROWS[5][0], " 2026-03-01 ", *TINY_ROWS[5][2:11], "EUR 3,000"],
    [" ", *TINY_ROWS[5][1:]],  # no id
    [TINY_ROWS[5][0], *TINY_ROWS[4][1:]],  # a second row for lead 6
]


def test_every_kind_of_finding_is_counted_by_the_engine_as_by_the_reader(engine, tmp_path):
    csv = write_export(tmp_path / "messy.csv", HUBSPOT_HEADER, MESSY)
    ours, expected = engine(csv), read_export(csv)
    same_leads(ours, expected)
    checks = {f.check.split(" 1990 ")[0] for f in ours.quality.findings}
    assert checks == {
        "missing id",
        "repeated id",
        "not a whole number",
        "unparsable amount",
        "unparsable number",
        "unparsable date",
        "negative amount",
        "date outside",
        "reached the last stage but outcome not won",
    }


def test_a_salesforce_report_as_a_table_reads_as_its_export(engine, tmp_path):
    header = ["Opportunity ID", "Stage", "Amount", "Close Date", "Created Date", "Lead Source"]
    rows = [
        ["1", "Closed Won", "$1,234.50", "3/15/2026", "1/5/2026 3:04 PM", "Web"],
        ["2", "Negotiation/Review", "$10,000.00", "6/30/2026", "2/1/2026 9:00 AM", "Partner"],
        ["3", "Closed Lost", "(500.00)", "4/1/2026", "2/2/2026 9:00 AM", "Web"],
        ["4", "Closed Won", "USD 2,000", "2/30/2026", "12/31/2025 11:59 PM", "Web"],
    ]
    csv = write_export(tmp_path / "o.csv", header, rows)
    mapping = "salesforce-opportunities"
    same_leads(engine(csv, mapping), read_export(csv, mapping))


def test_typed_attributes_read_as_from_the_same_table_written_to_parquet(tmp_path):
    path, parquet = tmp_path / "crm.duckdb", tmp_path / "leads.parquet"
    with duckdb.connect(str(path)) as con:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(
            "CREATE TABLE leads AS SELECT * FROM (VALUES "
            "('1', TIMESTAMP '2026-01-05 09:00', 1.50::DECIMAL(10, 2), "
            "TIMESTAMP '2026-01-05 10:00:00.123456', TIMESTAMPTZ '2026-01-05 10:00:00+00', "
            "chr(160) || '007'), "
            "('2', TIMESTAMP '2026-01-06 09:00', 2.25, NULL, NULL, chr(8195) || ' 012')"
            ') t("Record ID", "Create Date", price, seen, seen_utc, code)'
        )
        con.execute(f"COPY leads TO '{parquet}' (FORMAT parquet)")
    mapping = tmp_path / "m.yaml"
    columns = ["price", "seen", "seen_utc", "code"]
    mapping.write_text(
        yaml.safe_dump({"name": "m", "preset": "hubspot", "attributes": {c: c for c in columns}})
    )
    ours = read_database_table("duckdb", "leads", resolve_mapping(str(mapping)), path)
    same_leads(ours, read_export(parquet, resolve_mapping(str(mapping))))
    assert ours.leads["price"].tolist() == [1.5, 2.25]  # numbers, not decimal objects
    assert ours.leads.loc[0, "seen"] == pd.Timestamp("2026-01-05 10:00:00.123456")
    assert ours.leads["code"].tolist() == ["\xa0007", "\u2003 012"]  # codes: kept as text


def region_table(tmp_path, value: str, ids: str = "'1', '2'") -> tuple:
    """A DuckDB table of two leads whose 'extra' column holds `value` for the first, its
    Parquet copy, and a mapping that reads 'extra' as the attribute 'region'."""
    path, parquet = tmp_path / "crm.duckdb", tmp_path / "leads.parquet"
    first, second = ids.split(", ")
    with duckdb.connect(str(path)) as con:
        con.execute(
            f"CREATE TABLE leads AS SELECT * FROM (VALUES ({first}, TIMESTAMP '2026-01-05 09:00', "
            f"{value}), ({second}, TIMESTAMP '2026-01-06 09:00', NULL)) "
            't("Record ID", "Create Date", extra)'
        )
        con.execute(f"COPY leads TO '{parquet}' (FORMAT parquet)")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        yaml.safe_dump({"name": "m", "preset": "hubspot", "attributes": {"region": "extra"}})
    )
    return path, parquet, resolve_mapping(str(mapping))


@pytest.mark.parametrize(
    ("value", "in_table", "in_parquet"),
    [
        ("[1, 2]", "array<int32>", "list<element: int32>"),
        ("{'a': 1}", "struct<a: int32>", "struct<a: int32>"),
        ("MAP {'a': 1}", "map<string, int32>", "map<string, int32 ('extra')>"),
        ("INTERVAL 3 DAY", "interval('us')", None),  # in Parquet: twelve bytes, no interval
        ("'101'::BIT", "bit", None),  # in Parquet: text
    ],
)
def test_an_attribute_no_report_can_show_is_refused_by_name(tmp_path, value, in_table, in_parquet):
    path, parquet, mapping = region_table(tmp_path, value)
    said = "column 'extra' (attribute 'region') must hold text, numbers, true/false or times"
    with pytest.raises(CrmExportError) as err:
        read_database_table("duckdb", "leads", mapping, path)
    assert str(err.value) == f"table 'leads' in crm.duckdb: {said} (it holds {in_table})"
    if in_parquet is not None:
        with pytest.raises(CrmExportError) as err:
            read_export(parquet, mapping)
        assert str(err.value) == f"{parquet}: {said} (it holds {in_parquet})"


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["'12'", "' 7 '", "NULL"], [12.0, 7.0, None]),  # plain numbers throughout: numbers
        (["'1.5'", "'-2'", "'123456789012345'"], [1.5, -2.0, 123456789012345.0]),  # 15 digits
        (["'2026E1'", "'15E3'", "NULL"], ["2026E1", "15E3", None]),  # codes, not 20,260
        (["'123456789012345678'", "'1'", "'2'"], ["123456789012345678", "1", "2"]),
        (["'007'", "'12'", "'3'"], ["007", "12", "3"]),  # a leading zero: a code
        (["9007199254741995::BIGINT", "1", "NULL"], ["9007199254741995", "1", None]),
        (["5::BIGINT", "1", "NULL"], [5.0, 1.0, None]),
        (["12345678901234567890::DECIMAL(20, 0)", "1", "2"], ["12345678901234567890", "1", "2"]),
        (["1.50::DECIMAL(10, 2)", "2", "NULL"], [1.5, 2.0, None]),
        (["12.50::DECIMAL(18, 3)", "9", "NULL"], [12.5, 9.0, None]),  # by the values, not type
        (["7::HUGEINT", "8", "NULL"], [7.0, 8.0, None]),  # DuckDB's SUM() gives these
    ],
)
def test_an_attribute_is_read_as_numbers_only_where_that_loses_nothing(tmp_path, cells, expected):
    path, parquet, csv = tmp_path / "crm.duckdb", tmp_path / "leads.parquet", tmp_path / "l.csv"
    rows = ", ".join(
        f"('{i}', TIMESTAMP '2026-01-0{i} 09:00', {cell})" for i, cell in enumerate(cells, 1)
    )
    with duckdb.connect(str(path)) as con:
        con.execute(
            f'CREATE TABLE leads AS SELECT * FROM (VALUES {rows}) t("Record ID", "Create Date", extra)'
        )
        con.execute(f"COPY leads TO '{parquet}' (FORMAT parquet)")
        con.execute(f"COPY leads TO '{csv}' (FORMAT csv, HEADER)")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        yaml.safe_dump({"name": "m", "preset": "hubspot", "attributes": {"region": "extra"}})
    )
    mapping = resolve_mapping(str(mapping))
    ours = read_database_table("duckdb", "leads", mapping, path)
    same_leads(ours, read_export(parquet, mapping))
    assert [None if pd.isna(v) else v for v in ours.leads["region"]] == expected
    if "::" not in cells[0]:  # text: the same from the CSV file
        same_leads(read_export(csv, mapping), ours)


@pytest.mark.parametrize(
    ("dates", "ambiguous"),
    [  # the ambiguous '02/03' is read by the format that reads the most cells
        (["01/13/2026", "13/01/2026", "14/01/2026", "15/01/2026", "02/03/2026"], "2026-03-02"),
        (["13/01/2026", "01/13/2026", "01/14/2026", "01/15/2026", "02/03/2026"], "2026-02-03"),
        (["13/01/2026", "01/13/2026", "02/03/2026"], "2026-03-02"),  # a tie: the mapping's order
    ],
)
def test_a_cell_two_date_formats_read_is_read_alike_in_any_row_order(
    tmp_path, monkeypatch, dates, ambiguous
):
    for module in ("parsing", "table_view"):  # no sample of the first cells decides
        monkeypatch.setattr(f"funnelkit.crm.{module}.RANK_SAMPLE", 2)
    path = tmp_path / "crm.duckdb"
    with duckdb.connect(str(path)) as con:
        rows = ", ".join(f"('{i}', '{d} 09:00')" for i, d in enumerate(dates, 1))
        con.execute(
            f'CREATE TABLE t AS SELECT * FROM (VALUES {rows}) v("Record ID", "Create Date")'
        )
        con.execute('CREATE TABLE by_id AS SELECT * FROM t ORDER BY "Record ID"')
        con.execute('CREATE TABLE reversed AS SELECT * FROM t ORDER BY "Record ID" DESC')
        con.execute(f"COPY reversed TO '{tmp_path / 'reversed.csv'}' (HEADER)")
        con.execute(f"COPY by_id TO '{tmp_path / 'by_id.csv'}' (HEADER)")
    mapping = tmp_path / "m.yaml"
    formats = ["%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M"]
    mapping.write_text(yaml.safe_dump({"name": "m", "preset": "hubspot", "date_formats": formats}))
    mapping = resolve_mapping(str(mapping))
    by_id = read_database_table("duckdb", "by_id", mapping, path)
    same_leads(read_database_table("duckdb", "reversed", mapping, path), by_id)
    for name in ("by_id.csv", "reversed.csv"):
        same_leads(by_id, read_export(tmp_path / name, mapping))
    last = str(len(dates))
    assert by_id.leads.set_index(ID).loc[last, "lead_at"] == pd.Timestamp(f"{ambiguous} 09:00")


@pytest.mark.parametrize(
    ("ids", "in_table", "in_parquet"),
    [
        (
            "TIMESTAMP '2026-01-05 10:50', TIMESTAMP '2026-01-06 10:50'",
            "timestamp(6)",
            "timestamp[us]",
        ),
        ("DATE '2026-01-05', DATE '2026-01-06'", "date", "date32[day]"),
        ("'a'::BLOB, 'b'::BLOB", "binary", "binary"),
    ],
)
def test_ids_of_times_or_bytes_are_refused_by_name(tmp_path, ids, in_table, in_parquet):
    path, parquet, mapping = region_table(tmp_path, "'EMEA'", ids)
    said = "column 'Record ID' (lead_id) must hold text or whole numbers"
    with pytest.raises(CrmExportError) as err:
        read_database_table("duckdb", "leads", mapping, path)
    assert str(err.value) == f"table 'leads' in crm.duckdb: {said} (it holds {in_table})"
    with pytest.raises(CrmExportError) as err:
        read_export(parquet, mapping)
    assert str(err.value) == f"{parquet}: {said} (it holds {in_parquet})"


@pytest.mark.parametrize(
    "codes",
    [
        ["12", " 7 ", "", "3", "+4", "0"],  # numbers
        ["1.5", "-2", "123456789012345", "0", "4", "1"],  # numbers, 15 digits at most
        ["2026E1", "15E3", "1", "2", "3", "4"],  # codes
        ["123456789012345678", "1", "2", "3", "4", "5"],  # 18 digits: a code
        ["007", "12", "3", "4", "5", "6"],  # a leading zero: a code
        ["", "", "n/a", "", "", ""],  # no value at all: numbers, none
        [".5", "5.", "0.123456789012345", "1", "2", "3"],  # numbers: 15 significant digits
        ["0.30000000000000004", "0.1", "1", "2", "3", "4"],  # 17 significant digits: text
    ],
)
def test_attribute_text_is_numbers_on_every_engine_as_in_the_export(engine, tmp_path, codes):
    rows = [[*row, code] for row, code in zip(TINY_ROWS, codes, strict=True)]
    csv = write_export(tmp_path / "codes.csv", [*HUBSPOT_HEADER, "Code"], rows)
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        yaml.safe_dump({"name": "m", "preset": "hubspot", "attributes": {"code": "Code"}})
    )
    same_leads(engine(csv, str(mapping)), read_export(csv, resolve_mapping(str(mapping))))


def test_uuids_are_read_as_their_text_from_a_table_and_from_parquet(tmp_path):
    value = "'6f1d0b1e-8a59-4c61-9d6e-2c2f1e8e1b11'::UUID"
    ids = (
        "'00000000-0000-0000-0000-00000000000a'::UUID, 'c0ffee00-0000-4000-8000-000000000001'::UUID"
    )
    path, parquet, mapping = region_table(tmp_path, value, ids)
    ours = read_database_table("duckdb", "leads", mapping, path)
    same_leads(ours, read_export(parquet, mapping))
    assert ours.leads[ID].tolist() == [
        "00000000-0000-0000-0000-00000000000a",
        "c0ffee00-0000-4000-8000-000000000001",
    ]
    assert ours.leads["region"].tolist()[0] == "6f1d0b1e-8a59-4c61-9d6e-2c2f1e8e1b11"


@pytest.mark.parametrize(
    ("kind", "ids"),
    [
        ("DECIMAL(20, 0)", ["12345678901234567890", "12345678901234567891", "7"]),
        ("DECIMAL(12, 3)", ["1.25", "2", "9.5"]),
    ],
)
@pytest.mark.parametrize("on", ["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def test_decimal_ids_are_read_exactly_from_a_table_and_from_parquet(tmp_path, kind, ids, on):
    rows = [[lead, *row[1:]] for lead, row in zip(ids, TINY_ROWS, strict=False)]
    csv = write_export(tmp_path / "d.csv", HUBSPOT_HEADER, rows)
    path, parquet = tmp_path / "crm.duckdb", tmp_path / "leads.parquet"
    with duckdb.connect(str(path)) as con:
        as_table(con, csv, "leads")
        con.execute(f'ALTER TABLE leads ALTER "Record ID" TYPE {kind}')
        con.execute(f"COPY leads TO '{parquet}' (FORMAT parquet)")
    expected = read_export(parquet)
    assert sorted(expected.leads[ID]) == sorted(ids)  # as floats the first two were one id
    assert not expected.quality.findings
    if on == "duckdb":
        same_leads(read_database_table("duckdb", "leads", HUBSPOT, path), expected)
        return
    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime and none is on PATH (.ci/run installs one)")
    from funnelkit.actuals.engine import spark_connection

    spark_connection()._session.read.parquet(str(parquet)).createOrReplaceTempView("leads")
    same_leads(read_database_table("spark", "leads", HUBSPOT, None), expected)


STRAY = ["_V", "_TEXT0", "_FK_VALUE", "_FK_TEXT0", "_FK_COPY"]  # named as the engine's own


@pytest.mark.parametrize("unknown", [False, True])
def test_columns_no_mapping_names_are_never_taken_for_the_engine_s_own(engine, tmp_path, unknown):
    rows = [[*r, *(["Maybe"] * len(STRAY))] for r in TINY_ROWS]
    if unknown:
        rows[1][6] = "Maybe"
    csv = write_export(tmp_path / "s.csv", [*HUBSPOT_HEADER, *STRAY], rows)
    if not unknown:
        same_leads(engine(csv), read_export(csv))
        return
    same_refusal(lambda: read_export(csv), lambda: engine(csv))


def test_values_a_mapping_does_not_know_stop_the_table_as_the_export(engine, tmp_path):
    rows = [[*r[:6], "Maybe" if r[0] in "24" else r[6], *r[7:]] for r in TINY_ROWS]
    csv = write_export(tmp_path / "u.csv", HUBSPOT_HEADER, rows)
    said = same_refusal(lambda: read_export(csv), lambda: engine(csv))
    assert (
        "has 2 rows with values the mapping does not know: 'Maybe' (2 rows) (first ids 2, 4)"
        in said
    )


def test_zoned_text_times_in_a_table_are_refused_outside_utc(tmp_path):
    rows = [[TINY_ROWS[0][0], "2026-01-05T09:00:00Z", *TINY_ROWS[0][2:]]]
    csv = write_export(tmp_path / "z.csv", HUBSPOT_HEADER, rows)
    path = tmp_path / "crm.duckdb"
    con = duckdb.connect(str(path))
    as_table(con, csv, "leads")
    con.close()
    berlin = dataclasses.replace(HUBSPOT, timezone="Europe/Berlin")
    with pytest.raises(CrmExportError) as err:
        read_database_table("duckdb", "leads", berlin, path)
    assert str(err.value) == (
        "table 'leads' in crm.duckdb: column 'Create Date' holds times with a zone "
        "(%Y-%m-%dT%H:%M:%SZ); a table's text times are read with one only as UTC times in a "
        "mapping in UTC (its time zone is Europe/Berlin): store them as timestamps"
    )


@pytest.mark.parametrize(
    ("strftime", "java"),
    [
        ("%Y-%m-%d %H:%M:%S", "yyyy-M-d H:m:s"),
        ("%Y-%m-%dT%H:%M", "yyyy-M-d'T'H:m"),
        ("%m/%d/%Y %I:%M %p", "M/d/yyyy h:m a"),
        ("%d.%m.%y", "d.M.yy"),
    ],
)
def test_strftime_formats_as_spark_patterns(strftime, java):
    assert java_pattern(strftime) == java


@settings(max_examples=8, deadline=None)
@given(leads=st.integers(30, 400), seed=st.integers(0, 10_000))
def test_any_generated_export_with_faults_reads_the_same_from_a_table(
    tmp_path_factory, leads, seed
):
    folder = tmp_path_factory.mktemp("generated")
    csv = folder / "leads.csv"
    write_csv(generate_leads(leads, seed, faults=True), csv)
    con = duckdb.connect(str(folder / "crm.duckdb"))
    as_table(con, csv, "leads")
    con.close()
    ours = read_database_table("duckdb", "leads", HUBSPOT, folder / "crm.duckdb")
    same_leads(ours, read_export(csv))


def test_a_typed_table_reads_as_the_same_rows_in_parquet(engine, tmp_path):
    frame = generate_leads(500, 3)
    frame.to_parquet(tmp_path / "typed.parquet", index=False)
    same_leads(engine(frame), read_export(tmp_path / "typed.parquet"))


def test_times_with_a_zone_become_the_mapping_s_wall_clock_times(tmp_path):
    frame = generate_leads(200, 5)
    zoned = frame.assign(**{"Create Date": frame["Create Date"].dt.tz_localize("UTC")})
    zoned.to_parquet(tmp_path / "zoned.parquet", index=False)
    con = duckdb.connect(str(tmp_path / "crm.duckdb"))
    as_table(con, zoned, "leads")
    con.close()
    berlin = dataclasses.replace(HUBSPOT, timezone="Europe/Berlin")
    ours = read_database_table("duckdb", "leads", berlin, tmp_path / "crm.duckdb")
    expected = read_export(tmp_path / "zoned.parquet", berlin)
    same_leads(ours, expected)
    first = frame["Create Date"].iloc[0]
    assert expected.leads["lead_at"].iloc[0] == first.tz_localize("UTC").tz_convert(
        "Europe/Berlin"
    ).tz_localize(None)


NBSP = "\u00a0"
EDGES = [
    [f"{NBSP}1", f"{NBSP}2026-01-05 09:00", *TINY_ROWS[0][2:11], f"{NBSP}10000"],
    [*TINY_ROWS[1][:6], NBSP, *TINY_ROWS[1][7:]],  # a status of no-break space only
    [TINY_ROWS[2][0], "2026-01-20T12:00:00+01:00", *TINY_ROWS[2][2:10], "1e400", ""],
    [TINY_ROWS[3][0], "2026-02-02T08:00:00-0130", *TINY_ROWS[3][2:10], "99999999999999999999", ""],
]


def test_unicode_spaces_zones_and_huge_numbers_read_as_the_export_does(engine, tmp_path):
    csv = write_export(tmp_path / "edges.csv", HUBSPOT_HEADER, EDGES)
    ours, expected = engine(csv), read_export(csv)
    same_leads(ours, expected)
    assert ours.leads.loc[2, "lead_at"] == pd.Timestamp("2026-01-20 11:00")  # 12:00 at +01:00
    assert ours.leads.loc[3, "lead_at"] == pd.Timestamp("2026-02-02 09:30")  # 08:00 at -01:30
    assert [f.check for f in ours.quality.findings] == ["not a finite number"]


def test_response_times_longer_than_since_1990_are_found_as_from_the_export(engine, tmp_path):
    header = [*HUBSPOT_HEADER, "Lead response time"]
    times = ["1e308", "946728000000", "1893456000000", "60000", "", "60000"]  # 30, 60 years
    rows = [[*r, t] for r, t in zip(TINY_ROWS, times, strict=True)]
    csv = write_export(tmp_path / "long.csv", header, rows)
    ours = engine(csv)
    same_leads(ours, read_export(csv))
    assert [(f.check, f.count) for f in ours.quality.findings] == [
        ("longer than the time since 1990", 2)
    ]


def test_whole_floating_ids_read_as_whole_numbers_and_times_to_the_second(tmp_path):
    frame = generate_leads(50, 2)
    frame["Record ID"] = frame["Record ID"].astype(float)
    for column in ("Create Date", "Became a Marketing Qualified Lead Date"):
        frame[column] = frame[column].astype("datetime64[ms]")
    frame.loc[0, "Became a Marketing Qualified Lead Date"] = frame.loc[
        0, "Create Date"
    ] - pd.Timedelta(milliseconds=400)
    frame.loc[0, "Create Date"] += pd.Timedelta(milliseconds=300)
    frame.to_parquet(tmp_path / "floats.parquet", index=False)
    con = duckdb.connect(str(tmp_path / "crm.duckdb"))
    as_table(con, frame, "leads")
    con.close()
    ours = read_database_table("duckdb", "leads", HUBSPOT, tmp_path / "crm.duckdb")
    same_leads(ours, read_export(tmp_path / "floats.parquet"))
    assert not ours.leads[ID].str.contains(r"\.").any()


def test_repeated_ids_keep_the_dated_row_and_say_which(tmp_path):
    first, second = [*TINY_ROWS[0][:2], *[""] * 4, *TINY_ROWS[0][6:]], TINY_ROWS[0]
    csv = write_export(tmp_path / "r.csv", HUBSPOT_HEADER, [first, second, *TINY_ROWS[1:]])
    path = tmp_path / "crm.duckdb"
    con = duckdb.connect(str(path))
    as_table(con, csv, "leads")
    con.close()
    ours = read_database_table("duckdb", "leads", HUBSPOT, path)
    assert ours.leads.loc[0, "won_at"] == pd.Timestamp(TINY_ROWS[0][5])  # the dated copy
    (repeated,) = ours.quality.findings
    assert repeated.sentence() == (
        "repeated id in 'Record ID': 1 row (first: 1): rows dropped; of each id's rows the one "
        "with the most stage times kept, then the earliest (a table has no row order)"
    )


def test_of_an_id_s_rows_the_one_with_the_most_stage_times_is_kept_then_the_earliest(tmp_path):
    """A copy created later but further along wins over an earlier one that stopped sooner,
    and one with more times wins over one with an earlier stage's time (MQL) it lacks."""
    full = TINY_ROWS[0]
    later_further = [full[0], "2026-01-05 12:30", *full[2:]]  # every stage, created later
    open_copy = [*full[:3], *[""] * 3, *full[6:]]  # created and MQL only
    no_mql = [full[0], full[1], "", *full[3:]]  # no MQL time, but SQL to customer
    cases = [
        ([open_copy, later_further], pd.Timestamp("2026-01-05 12:30"), full[5]),
        ([open_copy, no_mql], pd.Timestamp(full[1]), full[5]),
        ([later_further, full], pd.Timestamp(full[1]), full[5]),  # alike but for the earliest
    ]
    for i, (copies, created, won) in enumerate(cases):
        csv = write_export(tmp_path / f"r{i}.csv", HUBSPOT_HEADER, [*copies, *TINY_ROWS[1:]])
        path = tmp_path / f"crm{i}.duckdb"
        with duckdb.connect(str(path)) as con:
            as_table(con, csv, "leads")
        ours = read_database_table("duckdb", "leads", HUBSPOT, path)
        lead = ours.leads.set_index(ID).loc["1"]
        assert (lead["lead_at"], lead["won_at"]) == (created, pd.Timestamp(won)), i


def test_copies_of_an_id_alike_but_for_a_bad_cell_keep_the_clean_one_in_every_query(tmp_path):
    """Copies of an id whose values tie (an unparsable amount reads as no amount) are ordered
    by the checks' flags too: the clean copy is kept, and the counts, the first ids and the
    fetch all see the same rows (ties were broken anew by each query)."""
    path = tmp_path / "crm.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            'CREATE TABLE leads AS SELECT CAST(i AS VARCHAR) AS "Record ID", '
            "'2026-01-05 09:00' AS \"Create Date\", "
            "CASE WHEN i <= 5 THEN 'abc' ELSE '1' END AS \"Recent Deal Amount\" "
            "FROM range(1, 3001) t(i) UNION ALL "
            "SELECT CAST(i AS VARCHAR), '2026-01-05 09:00', '' FROM range(1, 6) t(i)"
        )
    for _ in range(3):
        ours = read_database_table("duckdb", "leads", HUBSPOT, path)
        (repeated,) = ours.quality.findings
        assert (repeated.check, repeated.count, repeated.first_ids) == (
            "repeated id",
            5,
            ("1", "2", "3", "4", "5"),
        )
        assert ours.leads["amount"].isna().sum() == 5  # the empty copies


@pytest.mark.parametrize(
    "name",
    ["_copy", "_flag0", "_fk_flag0", "_won_dated", "_text0", "_x", "_FK_FLAG0", "_FK_COPY"],
)
def test_an_attribute_named_as_the_engine_s_own_columns_is_read_as_from_its_export(tmp_path, name):
    path = tmp_path / "crm.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            'CREATE TABLE leads ("Record ID" VARCHAR, "Create Date" VARCHAR, '
            '"Close Date" VARCHAR, "Lifecycle Stage" VARCHAR, extra VARCHAR)'
        )
        con.execute(
            "INSERT INTO leads VALUES ('1', '2026-01-05', '2026-02-01', 'customer', 'a'), "
            "('1', '2026-01-06', NULL, 'lead', 'b'), ('2', 'x', NULL, 'customer', 'c')"
        )
        con.execute(f"COPY leads TO '{tmp_path / 'leads.csv'}'")
    mapping = tmp_path / "m.yaml"
    mapping.write_text(f"name: m\npreset: hubspot\nattributes: {{{name}: extra}}\n")
    ours = read_database_table("duckdb", "leads", resolve_mapping(str(mapping)), path)
    same_leads(ours, read_export(tmp_path / "leads.csv", resolve_mapping(str(mapping))))
    assert ours.leads[name].tolist() == ["a", "c"]  # the attribute kept, not taken for ours
    assert [f.check for f in ours.quality.findings] == ["repeated id", "unparsable date"]


@pytest.mark.parametrize(
    ("create", "message"),
    [
        ("SELECT * FROM leads WHERE false", "table 'leads' in crm.duckdb: the table holds no rows"),
        (
            'SELECT * REPLACE (epoch("Create Date"::TIMESTAMP)::BIGINT AS "Create Date") FROM leads',
            "table 'leads' in crm.duckdb: column 'Create Date' (lead_at) must hold times or text "
            "(it holds int64)",
        ),
    ],
)
def test_a_table_without_rows_or_with_numbers_for_times_is_named(tmp_path, create, message):
    csv = write_export(tmp_path / "t.csv", HUBSPOT_HEADER, TINY_ROWS)
    path = tmp_path / "crm.duckdb"
    con = duckdb.connect(str(path))
    as_table(con, csv, "leads")
    con.execute(f"CREATE TABLE odd AS {create}")
    con.execute("DROP TABLE leads")
    con.execute("ALTER TABLE odd RENAME TO leads")
    con.close()
    with pytest.raises(CrmExportError) as err:
        read_database_table("duckdb", "leads", HUBSPOT, path)
    assert str(err.value) == message


@pytest.fixture(scope="module")
def odd_database(tmp_path_factory):
    """A DuckDB file of tables a reading must refuse or repair, each made from the sample."""
    path = tmp_path_factory.mktemp("odd") / "odd.duckdb"
    con = duckdb.connect(str(path))
    con.execute(f"CREATE TABLE contacts AS SELECT * FROM read_csv('{SAMPLE}', all_varchar = true)")
    con.execute(
        'CREATE TABLE undated AS SELECT * REPLACE (NULL::VARCHAR AS "Create Date") FROM contacts'
    )
    con.execute("CREATE SCHEMA crm")
    con.execute("CREATE TABLE crm.leads AS SELECT * FROM contacts")
    con.execute(
        "CREATE TABLE clock AS SELECT * REPLACE (TIME '10:00' AS \"Create Date\") FROM contacts"
    )
    con.execute("CREATE VIEW failing AS SELECT * FROM contacts WHERE CAST('x' AS INTEGER) = 1")
    con.execute("CREATE TABLE gone AS SELECT * FROM contacts")
    con.execute("CREATE VIEW orphan AS SELECT * FROM gone")
    con.execute("DROP TABLE gone")
    con.execute(
        'CREATE TABLE listed AS SELECT * REPLACE (["Original Source"] AS "Original Source") '
        "FROM contacts"
    )
    con.execute(
        'CREATE TABLE yes_no AS SELECT * REPLACE ("Record ID"::INT % 2 = 0 AS "Record ID") '
        "FROM contacts"
    )
    con.execute(
        'CREATE TABLE floating AS SELECT * REPLACE (CASE WHEN "Record ID"::INT % 100 = 0 '
        "THEN 'nan'::DOUBLE WHEN \"Record ID\"::INT % 100 = 1 THEN 'inf'::DOUBLE "
        'ELSE "Record ID"::DOUBLE END AS "Record ID") FROM contacts'
    )
    con.close()
    return path


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("clock", "column 'Create Date' (lead_at) must hold times or text (it holds time)"),
        (
            "failing",
            "the engine failed reading it: ConversionException: Conversion Error: Could not "
            "convert string 'x' to INT32",
        ),
        (
            "orphan",
            "the table is there but the engine cannot read it: CatalogException: Catalog "
            "Error: Table with name gone does not exist!",
        ),
        (
            "listed",
            "column 'Original Source' (source) must hold text, numbers or times "
            "(it holds array<string>)",
        ),
        (
            "yes_no",
            "column 'Record ID' (lead_id) must hold text or whole numbers (it holds boolean)",
        ),
    ],
)
def test_a_table_the_engine_cannot_map_is_refused_by_name(odd_database, table, message):
    with pytest.raises(CrmExportError) as err:
        read_database_table("duckdb", table, HUBSPOT, odd_database)
    assert str(err.value) == f"table {table!r} in odd.duckdb: {message}"


def test_nan_and_infinite_ids_are_missing_ids_in_a_table_and_in_an_export(odd_database, tmp_path):
    on_table = read_database_table("duckdb", "floating", HUBSPOT, odd_database)
    con = duckdb.connect(str(odd_database), read_only=True)
    parquet = tmp_path / "floating.parquet"
    con.execute(f"COPY floating TO '{parquet}' (FORMAT parquet)")
    con.close()
    on_file = read_export(parquet)
    given = pd.read_csv(SAMPLE, dtype=str)["Record ID"]
    ids = given.dropna().astype(int)
    lost = int((ids % 100 <= 1).sum())  # the rows whose id became NaN or infinity
    kept = read_export(SAMPLE).leads[ID].astype(int)
    for table in (on_table, on_file):
        missing = [f for f in table.quality.findings if f.check == "missing id"]
        assert [f.count for f in missing] == [lost + int(given.isna().sum())]
        assert not table.leads[ID].isin(["nan", "inf"]).any()
        assert sorted(table.leads[ID].astype(int)) == sorted(kept[kept % 100 > 1])


def test_nan_and_infinite_floating_ids_are_no_ids_on_every_engine(engine, tmp_path):
    frame = pd.read_csv(SAMPLE, dtype=str).dropna(subset=["Record ID"]).head(40)
    ids = frame["Record ID"].astype(float).to_numpy(copy=True)
    ids[[3, 7, 9]] = [float("inf"), float("-inf"), float("nan")]
    frame["Record ID"] = ids
    parquet = tmp_path / "floating.parquet"
    frame.to_parquet(parquet)
    ours = engine(frame)
    same_leads(ours, read_export(parquet))
    assert [f.count for f in ours.quality.findings if f.check == "missing id"] == [3]
    assert len(ours.leads) == 37


def test_a_placeholder_id_is_no_id_in_an_export_and_in_a_table(engine, tmp_path):
    rows = [["n/a", *TINY_ROWS[0][1:]], [" n/a ", *TINY_ROWS[1][1:]], *TINY_ROWS[2:]]
    csv = write_export(tmp_path / "ids.csv", HUBSPOT_HEADER, rows)
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        yaml.safe_dump({"name": "m", "preset": "hubspot", "missing_values": ["n/a"]})
    )
    ours, expected = engine(csv, str(mapping)), read_export(csv, resolve_mapping(str(mapping)))
    same_leads(ours, expected)
    for table in (ours, expected):
        assert [(f.check, f.count) for f in table.quality.findings if "id" in f.check] == [
            ("missing id", 2)
        ]
        assert "n/a" not in set(table.leads[ID])


def test_offsets_no_zone_has_are_unparsable_in_a_table_as_in_an_export(engine, tmp_path):
    offsets = {  # the creation time each offset gives 2026-01-05 03:04:05 (None: unparsable)
        "+02": "2026-01-05 01:04:05",
        "-0230": "2026-01-05 05:34:05",
        "+18:00": "2026-01-04 09:04:05",
        "+18:01": None,  # past the furthest zone from UTC
        "+99": None,  # Arrow's strptime took it as 99 hours
        "+01:75": None,
        "+99:99": None,  # a table shifted it by 100 hours and 39 minutes
    }
    rows = [
        [str(i), f"2026-01-05T03:04:05{offset}", *TINY_ROWS[0][2:]]
        for i, offset in enumerate(offsets, 1)
    ]
    csv = write_export(tmp_path / "zones.csv", HUBSPOT_HEADER, rows)
    ours = engine(csv)
    same_leads(ours, read_export(csv))
    expected = pd.Series([pd.Timestamp(t) for t in offsets.values()], dtype="datetime64[s]")
    got = ours.leads.set_index(ID).loc[[str(i) for i in range(1, 8)], "lead_at"]
    pd.testing.assert_series_equal(got.reset_index(drop=True), expected, check_names=False)
    unparsable = [f.count for f in ours.quality.findings if f.check == "unparsable date"]
    assert unparsable == [4]


def test_a_true_or_false_id_column_in_an_export_is_refused(tmp_path):
    frame = generate_leads(20, 1)
    frame["Record ID"] = frame.index % 2 == 0
    path = tmp_path / "leads.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    with pytest.raises(CrmExportError) as err:
        read_export(path)
    assert str(err.value) == (
        f"{path}: column 'Record ID' (lead_id) must hold text or whole numbers (it holds boolean)"
    )


@pytest.mark.parametrize("password", ["S3cretPw", "p@ss@w0rd", "pa/ssw0rd", "Kx9v" * 30])
def test_a_password_in_an_engine_url_is_never_shown(password):
    with pytest.raises(CrmExportError) as err:
        read_database_table(f"postgres://alice:{password}@127.0.0.1:1/crm", "contacts", HUBSPOT)
    assert password[:4] not in str(err.value)
    assert "w0rd" not in str(err.value)
    assert "'postgres://alice:***@127.0.0.1:1/crm'" in str(err.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgres://alice@127.0.0.1:1/crm?password=S3cretPw&sslmode=disable",
            "'postgres://alice@127.0.0.1:1/crm?password=***&sslmode=disable'",
        ),
        ("postgres://alice:S3cret Pw@127.0.0.1:1/crm", "'postgres://alice:***@127.0.0.1:1/crm'"),
        (
            "postgres://alice@127.0.0.1:1/crm?sslmode=disable&access_token=S3cretPw",
            "'postgres://alice@127.0.0.1:1/crm?sslmode=disable&access_token=***'",
        ),
    ],
)
def test_a_secret_in_an_engine_url_s_query_or_with_spaces_is_never_shown(url, shown):
    with pytest.raises(CrmExportError) as err:
        read_database_table(url, "contacts", HUBSPOT)
    assert "S3cret" not in str(err.value)
    assert shown in str(err.value)


@pytest.mark.parametrize(
    "actuals",
    [
        {"engine": "Postgres://alice:S3cretPw@host/crm", "table": "t"},  # no engine's URL
        {"engine": "postgres://alice:S3cretPw@host/crm", "table": "t", "database": "x.duckdb"},
        {"engine": "postgres://alice:S3cretPw@host /crm", "table": "t"},
        {"engine": "postgres://alice:S3cret Pw@host/crm", "table": "t"},  # a space in it
    ],
)
def test_a_password_in_a_plan_s_engine_is_never_shown(tmp_path, actuals):
    with pytest.raises(ParamsError) as err:
        load_plan_data(plan_on(tmp_path, actuals))
    assert "S3cretPw" not in str(err.value)
    assert "alice:***@host" in str(err.value)


def test_an_engine_reading_is_not_made_for_says_so_and_what_reads_instead(tmp_path):
    import sqlite3

    path = tmp_path / "crm.sqlite"
    with sqlite3.connect(path) as con:
        con.execute('CREATE TABLE leads ("Record ID" TEXT, "Create Date" TEXT)')
        con.execute("INSERT INTO leads VALUES ('1', '2026-01-05 09:00')")
    con.close()
    with pytest.raises(CrmExportError) as err:
        read_database_table(f"sqlite:///{path}", "leads", HUBSPOT)
    assert str(err.value).startswith("table 'leads' in crm.sqlite: the engine failed reading it: ")
    assert str(err.value).endswith(
        "(reading a table is made for duckdb and spark; from this engine, a Parquet export of "
        "the table reads instead)"
    )


@pytest.mark.parametrize("name", ["crm.leads", "CRM.Leads", "odd.crm.leads", "odd.contacts"])
def test_a_table_of_another_schema_is_named_with_it(odd_database, name):
    in_schema = read_database_table("duckdb", name, HUBSPOT, odd_database)
    same_leads(in_schema, read_export(SAMPLE))
    with pytest.raises(CrmExportError) as err:
        read_database_table("duckdb", "crm.nope", HUBSPOT, odd_database)
    assert "table 'crm.nope' in odd.duckdb: no such table or view" in str(err.value)


def test_a_creation_date_column_with_no_date_is_refused_in_a_table_and_in_an_export(
    odd_database, tmp_path
):
    csv = tmp_path / "undated.csv"
    con = duckdb.connect(str(odd_database), read_only=True)
    con.execute(f"COPY undated TO '{csv}' (HEADER)")
    con.close()
    latest = str(plausible_window()[1])[:10]
    said = (
        "column 'Create Date' (lead_at) holds no usable date in any of its 3,999 leads (each is "
        f"empty, unreadable, or outside 1990-01-01 to {latest}): every lead needs one, as it "
        "places the lead in a period"
    )
    with pytest.raises(CrmExportError) as on_table:
        read_database_table("duckdb", "undated", HUBSPOT, odd_database)
    assert str(on_table.value) == f"table 'undated' in odd.duckdb: {said}"
    with pytest.raises(CrmExportError) as on_file:
        read_export(csv)
    assert str(on_file.value) == f"{csv}: {said}"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda row: ["n/a", *row[1:]],  # every id a placeholder
            "column 'Record ID' (lead_id) holds no id in any of its 6 rows: every lead needs one",
        ),
        (
            lambda row: [row[0], "1985-03-01 09:00", *row[2:]],  # readable, before any CRM
            "column 'Create Date' (lead_at) holds no usable date in any of its 6 leads (each is "
            "empty, unreadable, or outside 1990-01-01 to {latest}): every lead needs one, as it "
            "places the lead in a period",
        ),
    ],
)
def test_a_table_and_an_export_say_what_no_row_has(engine, tmp_path, change, message):
    rows = [change(row) for row in TINY_ROWS]
    csv = write_export(tmp_path / "rows.csv", HUBSPOT_HEADER, rows)
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        yaml.safe_dump({"name": "m", "preset": "hubspot", "missing_values": ["n/a"]})
    )
    said = message.format(latest=str(plausible_window()[1])[:10])
    with pytest.raises(CrmExportError) as in_export:
        read_export(csv, resolve_mapping(str(mapping)))
    assert str(in_export.value) == f"{csv}: {said}"
    with pytest.raises(CrmExportError) as in_table:
        engine(csv, str(mapping))
    assert str(in_table.value).endswith(f": {said}")


@pytest.mark.parametrize("no_id", ["", "n/a"])
def test_unknown_values_only_in_rows_without_an_id_name_no_first_ids(engine, tmp_path, no_id):
    rows = [*TINY_ROWS, [no_id, *TINY_ROWS[0][1:6], "Zombie", *TINY_ROWS[0][7:]]]
    csv = write_export(tmp_path / "zombie.csv", HUBSPOT_HEADER, rows)
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        yaml.safe_dump({"name": "m", "preset": "hubspot", "missing_values": ["n/a"]})
    )
    said = same_refusal(
        lambda: read_export(csv, resolve_mapping(str(mapping))), lambda: engine(csv, str(mapping))
    )
    assert "does not know: 'Zombie' (1 row); known values are" in said


def test_what_a_mapping_maps_but_a_table_lacks_is_noted_as_for_its_export(tmp_path):
    csv = write_export(tmp_path / "e.csv", HUBSPOT_HEADER, TINY_ROWS)
    path = tmp_path / "crm.duckdb"
    with duckdb.connect(str(path)) as con:
        as_table(con, csv, "leads")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("name: m\npreset: hubspot\ncolumns: {owner: SDR}\nattributes: {r: Region}\n")
    ours = read_database_table("duckdb", "leads", resolve_mapping(str(mapping)), path)
    same_leads(ours, read_export(csv, resolve_mapping(str(mapping))))
    assert "owner (looked for 'SDR')" in ours.quality.notes[0]
    assert "attribute 'r' (looked for 'Region')" in ours.quality.notes[0]


@pytest.mark.parametrize(
    ("engine", "hint"),
    [
        ("duckbd", " (did you mean 'duckdb'?)"),
        ("DuckDB", " (did you mean 'duckdb'?)"),
        ("sprak", " (did you mean 'spark'?)"),
        ("oracle", ""),
    ],
)
def test_a_misspelled_engine_is_named_with_the_engine_it_is_closest_to(tmp_path, engine, hint):
    with pytest.raises(ParamsError) as err:
        load_plan_data(plan_on(tmp_path, {"engine": engine, "table": "t"}))
    assert str(err.value).endswith(
        "'engine' must be 'duckdb' or 'spark', or an Ibis connection URL such as "
        f"'postgres://user@host/db'{hint} (got {engine!r})"
    )


def test_a_database_that_is_not_duckdb_s_and_an_export_that_is_a_database_say_so(tmp_path):
    shutil.copy(SAMPLE, tmp_path / "contacts.csv")
    with pytest.raises(ParamsError) as err:
        load_plan_data(
            plan_on(tmp_path, {"engine": "duckdb", "database": "contacts.csv", "table": "t"})
        )
    assert str(err.value).endswith(
        f"table 't' in contacts.csv: {tmp_path / 'contacts.csv'} is not a DuckDB database file, "
        "which 'database' names (an export file is named by 'export', without 'engine' and "
        "'table')"
    )
    with duckdb.connect(str(tmp_path / "crm.duckdb")) as con:
        con.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(ParamsError) as err:
        load_plan_data(plan_on(tmp_path, {"export": "crm.duckdb"}))
    assert str(err.value).endswith(
        "actuals: 'export' names a database file (crm.duckdb): a table in it is read with "
        "'engine: duckdb, database: path' and 'table' instead"
    )
    import sqlite3

    with sqlite3.connect(tmp_path / "crm.sqlite") as con:
        con.execute("CREATE TABLE t (x INTEGER)")
    con.close()
    with pytest.raises(ParamsError) as err:
        load_plan_data(plan_on(tmp_path, {"export": "crm.sqlite"}))
    assert str(err.value).endswith("'engine: sqlite:///path' and 'table' instead")
    with pytest.raises(ParamsError) as err:
        load_plan_data(
            plan_on(tmp_path, {"engine": "duckdb", "database": "crm.sqlite", "table": "t"})
        )
    assert str(err.value).endswith(
        f"{tmp_path / 'crm.sqlite'} is not a DuckDB database file, which 'database' names (a "
        "SQLite file is named by its URL, 'engine: sqlite:///path')"
    )
    with pytest.raises(CrmExportError) as err:
        read_database_table("duckdb", "t", HUBSPOT, tmp_path / "none.duckdb")
    assert str(err.value).startswith(f"{tmp_path / 'none.duckdb'}: cannot be read (No such file")


@pytest.mark.spark
def test_from_the_command_line_spark_reads_the_catalog_spark_conf_dir_names(tmp_path):
    """As the README says: a plan naming a Spark table reads it from the catalog named in
    $SPARK_CONF_DIR/spark-defaults.conf (here a Hive metastore in a folder), with the figures
    of the same leads' export; without that catalog, the message says where tables come from."""
    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime and none is on PATH (.ci/run installs one)")
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "spark-defaults.conf").write_text(
        "spark.sql.catalogImplementation hive\n"
        f"spark.sql.warehouse.dir {tmp_path / 'warehouse'}\n"
        "spark.hadoop.javax.jdo.option.ConnectionURL "
        f"jdbc:derby:;databaseName={tmp_path / 'metastore'};create=true\n"
    )
    env = {**os.environ, "SPARK_CONF_DIR": str(conf)}
    make = (
        "from pyspark.sql import SparkSession\n"
        "s = SparkSession.builder.master('local[1]').getOrCreate()\n"
        f"s.read.csv({str(SAMPLE)!r}, header=True).write.saveAsTable('contacts')\n"
    )
    made = subprocess.run(
        [sys.executable, "-c", make], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr[-2000:]
    shutil.copy(SAMPLE, tmp_path / "contacts.csv")
    on_file = plan_on(tmp_path, {"export": "contacts.csv"})
    on_file = on_file.rename(tmp_path / "on_file.yaml")
    on_spark = plan_on(tmp_path, {"engine": "spark", "table": "contacts"})

    def plan(path, env):
        return subprocess.run(
            [sys.executable, "-m", "funnelkit", "plan", str(path)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
        )

    from_spark, from_file = plan(on_spark, env), plan(on_file, os.environ)
    assert from_spark.returncode == 0, from_spark.stderr[-2000:]
    assert from_spark.stdout == from_file.stdout
    assert "FutureWarning" not in from_spark.stderr
    without = plan(on_spark, {k: v for k, v in os.environ.items() if k != "SPARK_CONF_DIR"})
    assert without.returncode == 2
    assert without.stderr.strip().endswith(
        "actuals: table 'contacts' in spark: no such table or view; the engine has none (a "
        "Spark session started here sees only the tables of the catalog named in "
        "spark-defaults.conf, in the folder $SPARK_CONF_DIR (else $SPARK_HOME/conf))"
    )
