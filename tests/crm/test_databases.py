"""Leads read from a table in a database give the same lead table, the same quality report
and the same plan as the export file they were loaded from; a wrong table, column or engine
is named in one clear message."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest
import yaml
from conftest import SAMPLE

from funnelkit.core.exceptions import CrmExportError, ParamsError
from funnelkit.crm.databases import read_database_table
from funnelkit.crm.leads import LeadTable, read_export
from funnelkit.crm.mapping_file import resolve_mapping
from funnelkit.crm.sample import generate_leads
from funnelkit.model.loader import load_plan_data

HUBSPOT = resolve_mapping("hubspot")


def same_leads(ours: LeadTable, expected: LeadTable) -> None:
    pd.testing.assert_frame_equal(ours.leads, expected.leads)
    assert ours.stages == expected.stages
    found = [(f.check, f.column, f.count, f.first_ids) for f in ours.quality.findings]
    assert found == [(f.check, f.column, f.count, f.first_ids) for f in expected.quality.findings]
    assert ours.quality.rows_read == expected.quality.rows_read


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


def test_a_typed_table_reads_as_the_same_rows_in_parquet(database, tmp_path):
    frame = generate_leads(500, 3)
    frame.to_parquet(tmp_path / "typed.parquet", index=False)
    ours = read_database_table("duckdb", "typed", HUBSPOT, database)
    expected = read_export(tmp_path / "typed.parquet")
    pd.testing.assert_frame_equal(ours.leads, expected.leads)


def test_only_the_mapped_columns_leave_the_engine(database, monkeypatch):
    import ibis.backends.duckdb as backend

    fetched: list[list[str]] = []
    original = backend.Backend.to_pyarrow

    def spy(self, expr, *args, **kwargs):
        out = original(self, expr, *args, **kwargs)
        fetched.append(out.column_names)
        return out

    monkeypatch.setattr(backend.Backend, "to_pyarrow", spy)
    read_database_table("duckdb", "contacts", HUBSPOT, database)
    columns, rows = fetched  # the columns' names and types (no rows), then the rows
    assert "Notes" in columns
    assert "Notes" not in rows
    assert "Create Date" in rows


def test_a_missing_table_is_named_with_the_tables_there(database):
    with pytest.raises(CrmExportError) as err:
        read_database_table("duckdb", "leads", HUBSPOT, database)
    assert str(err.value) == (
        "table 'leads' in crm.duckdb: no such table or view; the engine has 'contacts', 'typed'"
    )


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
        ({"engine": "duckdb"}, "give either 'export' (a CRM export file) or 'table'"),
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
    with pytest.raises(ParamsError) as err:
        load_plan_data(plan_on(tmp_path, actuals))
    assert message in str(err.value)
    assert str(err.value).startswith(f"{tmp_path / 'plan.yaml'}: ")


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
