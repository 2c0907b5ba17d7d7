"""Leads kept in a database or a cluster instead of an export file, read through Ibis.

`read_database_table(engine, table, mapping, database)` connects (DuckDB on a database file;
a Spark session; or any engine by its Ibis connection URL) and has the engine apply the
mapping as a view and count the data-quality findings (`funnelkit.crm.table_view`): the same
parsing rules, checks and errors as an export's. Only the mapped, parsed columns of the kept
rows leave the engine, with the first ids of each finding.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from funnelkit.core.exceptions import CrmExportError, FunnelkitError
from funnelkit.core.validation import masked, short
from funnelkit.crm.leads import LeadTable
from funnelkit.crm.mapping import Mapping
from funnelkit.crm.table_view import fetch, mapped_view

LISTED_TABLES = 20  # at most this many of the engine's tables are named when one is missing
MAPPED_ON = ("duckdb", "spark")  # engines the mapping's text functions are tested on


def _engine_said(err: BaseException) -> str:
    """An engine's error in one line: the kind and the first line of the error it arose from
    (Ibis's 'table not found' over DuckDB's 'the view's source table does not exist')."""
    while (err.__cause__ or err.__context__) is not None:
        err = err.__cause__ or err.__context__  # type: ignore[assignment]
    lines = str(err).strip().splitlines()
    return f"{type(err).__name__}: {lines[0] if lines else 'no message'}"


def duckdb_connection(database: Path | None = None, **config: Any) -> Any:
    """An Ibis connection to DuckDB (in memory, or the file `database` read-only) that draws
    no progress bar (DuckDB draws one for a query over 2 s, in a terminal or a notebook)."""
    import ibis

    if database is None:
        return _quiet(ibis.duckdb.connect(**config))
    return _quiet(ibis.duckdb.connect(str(database), read_only=True, **config))


def _quiet(con: Any) -> Any:
    """`con`, drawing no progress bar if it is DuckDB's."""
    if con.name == "duckdb":
        con.raw_sql("SET enable_progress_bar = false")
    return con


def connect(engine: str, database: Path | None = None) -> Any:
    """An Ibis connection: 'duckdb' (in process, on the DuckDB file `database`, read-only),
    'spark' (the running Spark session, or a local one), or a connection URL."""
    import ibis

    if engine == "duckdb":
        if database is None:
            raise CrmExportError("engine 'duckdb' needs its 'database' (a DuckDB file)")
        return duckdb_connection(database)
    if engine == "spark":
        from pyspark.sql import SparkSession

        return ibis.pyspark.connect(SparkSession.builder.getOrCreate())
    return _quiet(ibis.connect(engine))  # 'duckdb://…' too


def read_database_table(
    engine: str, table: str, mapping: Mapping, database: Path | None = None
) -> LeadTable:
    """The leads in `table` through `mapping`, as a checked LeadTable."""
    where = f"table {table!r} in {database.name if database else engine.split('://')[0]}"
    try:
        con = connect(engine, database)
    except Exception as err:  # each engine raises its own kinds; the message says what failed
        raise CrmExportError(
            f"{where}: could not connect to {short(masked(engine))}: {masked(str(err))}"
        ) from None
    try:
        return _read(con, table, mapping, where)
    except FunnelkitError:
        raise
    except Exception as err:  # the engine failed running what the mapping asks of it
        hint = (
            ""
            if engine.split("://")[0] in MAPPED_ON
            else f" (reading a table is made for {' and '.join(MAPPED_ON)}; from this engine, "
            "a Parquet export of the table reads instead)"
        )
        raise CrmExportError(
            masked(f"{where}: the engine failed reading it: {_engine_said(err)}{hint}")
        ) from None
    finally:
        if engine == "duckdb":  # a file opened here (a Spark session is the program's)
            con.disconnect()


def _listed(con: Any, table: str, schema: str | None = None) -> bool:
    """Whether a table or view of that name is in the engine's catalog (in any case, as
    'table', 'schema.table', 'catalog.table' or 'catalog.schema.table'). DuckDB would also
    read a file of that name: 'contacts.csv' from the current folder."""
    if con.name != "duckdb":
        return True  # other engines read only tables
    rows = con.raw_sql(
        "SELECT table_catalog, table_schema, table_name FROM information_schema.tables"
    ).fetchall()
    names = set()
    for catalog, in_schema, name in rows:
        names |= {name, f"{in_schema}.{name}", f"{catalog}.{in_schema}.{name}"}
        if in_schema == "main":
            names.add(f"{catalog}.{name}")
    wanted = table if schema is None else f"{schema}.{table}"
    return wanted.lower() in {n.lower() for n in names}


def _in_catalog(con: Any, table: str) -> Any:
    """The Ibis table `table` names on `con`, one of its catalog's tables or views."""
    if not _listed(con, table):
        raise CrmExportError(f"no table or view {table!r} in the catalog")
    return con.table(table)


def _in_schema(con: Any, table: str) -> Any:
    """The Ibis table a name with its schema ('crm.leads', 'catalog.schema.table') names on
    `con`; None when there is none."""
    schema, dot, name = table.rpartition(".")
    if dot and schema and name:
        with contextlib.suppress(Exception):
            if _listed(con, name, schema):
                return con.table(name, database=schema)
    return None


def _read(con: Any, table: str, mapping: Mapping, where: str) -> LeadTable:
    failure: Exception | None = None
    try:
        rows = _in_catalog(con, table)
    except Exception as err:
        failure = err
        rows = _in_schema(con, table)
    else:  # on DuckDB, 'crm.leads' may name a table so named and schema crm's leads
        if con.name == "duckdb" and "." in table and _in_schema(con, table) is not None:
            raise CrmExportError(
                f"{where}: the name is both a table's and, as 'schema.table', another's; rename "
                "one of them (funnelkit does not pick one)"
            )
    if rows is None:
        names = sorted(con.list_tables())
        if table in names and failure is not None:  # there, but unreadable (a broken view)
            said = _engine_said(failure)
            raise CrmExportError(
                masked(f"{where}: the table is there but the engine cannot read it: {said}")
            ) from None
        listed = ", ".join(repr(n) for n in names[:LISTED_TABLES]) or "none"
        more = f" and {len(names) - LISTED_TABLES} more" if len(names) > LISTED_TABLES else ""
        raise CrmExportError(
            f"{where}: no such table or view; the engine has {listed}{more} (name a table of "
            "another schema with it: 'schema.table')"
        ) from None
    return fetch(con, mapped_view(con, rows, mapping, where))
