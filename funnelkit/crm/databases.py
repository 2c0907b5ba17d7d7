"""Leads kept in a database or a cluster instead of an export file, read through Ibis.

`read_database_table(engine, table, mapping, database)` connects (DuckDB on a database file;
a Spark session; or any engine by its Ibis connection URL) and has the engine apply the
mapping as a view and count the data-quality findings (`funnelkit.crm.table_view`): the same
parsing rules, checks and errors as an export's. Only the mapped, parsed columns of the kept
rows leave the engine, with the first ids of each finding.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from funnelkit.core.exceptions import CrmExportError
from funnelkit.core.validation import short
from funnelkit.crm.leads import LeadTable
from funnelkit.crm.mapping import Mapping
from funnelkit.crm.table_view import fetch, mapped_view

LISTED_TABLES = 20  # at most this many of the engine's tables are named when one is missing


def connect(engine: str, database: Path | None = None) -> Any:
    """An Ibis connection: 'duckdb' (in process, on the DuckDB file `database`, read-only),
    'spark' (the running Spark session, or a local one), or a connection URL."""
    import ibis

    if engine == "duckdb":
        if database is None:
            raise CrmExportError("engine 'duckdb' needs its 'database' (a DuckDB file)")
        return ibis.duckdb.connect(str(database), read_only=True)
    if engine == "spark":
        from pyspark.sql import SparkSession

        return ibis.pyspark.connect(SparkSession.builder.getOrCreate())
    return ibis.connect(engine)


def read_database_table(
    engine: str, table: str, mapping: Mapping, database: Path | None = None
) -> LeadTable:
    """The leads in `table` through `mapping`, as a checked LeadTable."""
    where = f"table {table!r} in {database.name if database else engine.split('://')[0]}"
    try:
        con = connect(engine, database)
    except Exception as err:  # each engine raises its own kinds; the message says what failed
        raise CrmExportError(f"{where}: could not connect to {short(engine)}: {err}") from None
    try:
        return _read(con, table, mapping, where)
    finally:
        if engine == "duckdb":  # a file opened here (a Spark session is the program's)
            con.disconnect()


def _read(con: Any, table: str, mapping: Mapping, where: str) -> LeadTable:
    try:
        rows = con.table(table)
    except Exception:
        names = sorted(con.list_tables())
        listed = ", ".join(repr(n) for n in names[:LISTED_TABLES]) or "none"
        more = f" and {len(names) - LISTED_TABLES} more" if len(names) > LISTED_TABLES else ""
        raise CrmExportError(
            f"{where}: no such table or view; the engine has {listed}{more}"
        ) from None
    mapped = mapped_view(con, rows, mapping, where)
    try:
        return fetch(con, mapped)
    finally:
        mapped.release()
