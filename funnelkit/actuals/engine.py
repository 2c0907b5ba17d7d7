"""Where the measures run: an Ibis connection, and the lead table as a table in it.

By default the measures (`funnelkit.actuals.queries`) run on DuckDB inside this process,
over the lead table's own Arrow buffers (registered, not copied). `using(connection)` runs
them elsewhere, for example on Spark (`spark_connection()`), with the same definitions.

A lead table is registered once per connection, under a name of its own, and dropped when
the table is no longer used, so the engine never holds the rows of tables the program let go.
A lead table's rows never change once it is made, so each query's result is kept with it (per
connection and arguments) and a report's sections asking for the same measure run it once.

One query runs on a connection at a time (a DuckDB connection is not safe to share between
threads), so measures may be taken from several threads, as a backtest's weeks are.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import weakref
from collections.abc import Callable, Hashable, Iterator
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa

from funnelkit.actuals import queries
from funnelkit.crm.databases import duckdb_connection, quiet_pyspark
from funnelkit.crm.leads import LeadTable

_CONNECTION: contextvars.ContextVar[Any] = contextvars.ContextVar("connection", default=None)
_IN_PROCESS: list[Any] = []  # the default DuckDB connection, made on first use
# id of a lead frame -> id of a connection -> the frame as a table there
_REGISTERED: dict[int, dict[int, ir.Table]] = {}
PLACEHOLDER = "funnelkit_lead_table"  # the lead table's name in compiled SQL
MAX_COMPILED = 256
_COMPILED: dict[tuple[Any, ...], tuple[str, pa.Schema]] = {}  # query shape -> SQL, result schema
# id of a lead frame -> (id of a connection, query, its arguments) -> the query's result
_RESULTS: dict[int, dict[tuple[Any, ...], pa.Table]] = {}
_ONE_AT_A_TIME = threading.RLock()  # held while a connection registers, runs or drops


def connection() -> Any:
    """The Ibis connection measures run on: the one given to `using`, else DuckDB in process."""
    given = _CONNECTION.get()
    if given is not None:
        return given
    if not _IN_PROCESS:
        _IN_PROCESS.append(duckdb_connection())
    return _IN_PROCESS[0]


@contextlib.contextmanager
def using(con: Any) -> Iterator[Any]:
    """Run the measures on `con` (an Ibis connection) within the block."""
    token = _CONNECTION.set(con)
    try:
        yield con
    finally:
        _CONNECTION.reset(token)


def spark_connection(cores: int = 2) -> Any:
    """An Ibis connection to Spark in local mode on `cores` cores, its clock in UTC (lead
    times carry no zone). Needs the `spark` extra and a Java runtime."""
    quiet_pyspark()
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("funnelkit")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(cores))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return ibis.pyspark.connect(session)


def engine_columns(leads: pd.DataFrame) -> pa.Table:
    """The lead table in types every engine reads: the response time in seconds; times,
    numbers, text and categories (as dictionary-encoded text) as they are, with no copy where
    Arrow can share the buffers; and each row's position (`queries.ROW`), so a per-lead result
    lands on its row without matching ids."""
    columns = {queries.ROW: pa.array(np.arange(len(leads), dtype=np.int64))}
    for name in leads.columns:
        values: pd.Series | np.ndarray = leads[name]
        if values.dtype.kind == "m":  # seconds, NaN where missing (numpy: 10x pandas' speed)
            values = leads[name].to_numpy() / np.timedelta64(1, "s")
        column = pa.array(values, from_pandas=True)
        if pa.types.is_dictionary(column.type) and pa.types.is_null(column.type.value_type):
            column = column.cast(pa.dictionary(column.type.index_type, pa.string()))
        elif pa.types.is_null(column.type) or pa.types.is_large_string(column.type):
            column = column.cast(pa.string())  # a text column with no value: text all the same
        columns[name] = column
    return pa.table(columns)


def lead_table(table: LeadTable) -> ir.Table:
    """The lead table as a table on the current connection (registered on first use)."""
    con, frame = connection(), id(table.leads)
    if frame not in _REGISTERED:
        _REGISTERED[frame] = {}
        weakref.finalize(table.leads, _forget, frame)
    known = _REGISTERED[frame]
    if id(con) not in known:
        known[id(con)] = ibis.memtable(engine_columns(table.leads))
        weakref.finalize(table.leads, _drop, con, known[id(con)].get_name())
    return known[id(con)]


def _forget(frame: int) -> None:
    _REGISTERED.pop(frame, None)
    _RESULTS.pop(frame, None)


def _drop(con: Any, name: str) -> None:
    with _ONE_AT_A_TIME, contextlib.suppress(Exception):  # gone already, or connection closed
        con.drop_view(name, force=True)


def measure(table: LeadTable, query: Callable[..., ir.Table], *args: Hashable) -> pd.DataFrame:
    """`query(lead table, *args)` run on the current connection, as a pandas frame of its own.
    Run once per lead table, connection and arguments; asked again, the kept result is given.

    On DuckDB each query's SQL is compiled once per shape (the query, its arguments and the
    lead table's schema) and run on every lead table of that shape: Ibis takes 50-100 ms to
    compile one, DuckDB a few to run it, and a backtest measures a table per past week.
    """
    with _ONE_AT_A_TIME:
        con = connection()
        expr = lead_table(table)
        kept = _RESULTS.setdefault(id(table.leads), {})
        key = (id(con), query, args)
        if key not in kept:
            kept[key] = _run(con, expr, query, args)
        result = kept[key]
    return result.to_pandas()


def _run(con: Any, expr: ir.Table, query: Callable[..., ir.Table], args: tuple) -> pa.Table:
    """`query(expr, *args)` run on `con`, as Arrow."""
    if getattr(con, "name", None) != "duckdb":
        return con.to_pyarrow(query(expr, *args))
    name = expr.get_name()
    key = (query, args, expr.schema())
    if key not in _COMPILED:
        if len(_COMPILED) >= MAX_COMPILED:
            _COMPILED.clear()
        shaped = query(ibis.table(expr.schema(), name=PLACEHOLDER), *args)
        _COMPILED[key] = (str(con.compile(shaped)), shaped.schema().to_pyarrow())
    sql, schema = _COMPILED[key]
    con._run_pre_execute_hooks(expr)  # registers the lead table's rows once
    result = con.con.execute(sql.replace(f'"{PLACEHOLDER}"', f'"{name}"')).to_arrow_table()
    return result.cast(schema)
