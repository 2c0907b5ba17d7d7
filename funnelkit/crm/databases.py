"""Leads kept in a database or a cluster instead of an export file, read through Ibis.

`read_database_table(engine, table, mapping, database)` connects (DuckDB on a database file;
a Spark session; or any engine by its Ibis connection URL) and has the engine apply the
mapping as a view and count the data-quality findings (`funnelkit.crm.table_view`): the same
parsing rules, checks and errors as an export's. Only the mapped, parsed columns of the kept
rows leave the engine, with the first ids of each finding.
"""

from __future__ import annotations

import contextlib
import difflib
import warnings
from pathlib import Path
from typing import Any

from funnelkit.core.exceptions import CrmExportError, FunnelkitError
from funnelkit.core.validation import masked, short
from funnelkit.core.vocabulary import FILE_ENGINES
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


def duckdb_connection(database: Path | None = None) -> Any:
    """An Ibis connection to DuckDB (in memory, or the file `database` read-only), set up by
    `_set_up`."""
    import ibis

    if database is None:
        return _set_up(ibis.duckdb.connect())
    return _set_up(ibis.duckdb.connect(str(database), read_only=True))


def _set_up(con: Any) -> Any:
    """`con`; if it is DuckDB's, drawing no progress bar (DuckDB draws one for a query over
    2 s, in a terminal or a notebook) and taking the process's share of the cores
    (`pyarrow.cpu_count`, which follows OMP_NUM_THREADS: render workers side by side set it)
    instead of every core."""
    if con.name == "duckdb":
        import pyarrow as pa

        con.raw_sql("SET enable_progress_bar = false")
        con.raw_sql(f"SET threads = {pa.cpu_count()}")
    return con


DUCKDB_MAGIC = (8, b"DUCK")  # where a DuckDB database file says what it is, and what it says
SQLITE_MAGIC = b"SQLite format 3\x00"  # how a SQLite database file starts


def file_header(path: Path, size: int = 16) -> bytes:
    """The first `size` bytes of the file at `path` (fewer for a shorter file); raises
    CrmExportError naming the file when it cannot be read."""
    try:
        with open(path, "rb") as file:
            return file.read(size)
    except OSError as err:
        raise CrmExportError(f"{path}: cannot be read ({err.strerror or err})") from None


def is_duckdb_file(path: Path) -> bool:
    """Whether the file at `path` is a DuckDB database (by its header, whatever its name)."""
    at, magic = DUCKDB_MAGIC
    return file_header(path)[at : at + len(magic)] == magic


def quiet_pyspark() -> None:
    """Keep pyspark from warning, on import and on every transfer, that pandas 3 is newer than
    it was tested with: the measures' results are tested identical to DuckDB's."""
    warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)


def spark_running() -> bool:
    """Whether this process runs a Spark context already (on any thread), pyspark quietened."""
    quiet_pyspark()
    from pyspark import SparkContext

    return SparkContext._active_spark_context is not None


def connect(engine: str, database: Path | None = None) -> Any:
    """An Ibis connection: 'duckdb' (in process, on the DuckDB file `database`, read-only),
    'spark' (the running Spark session, or a local one), or a connection URL."""
    import ibis

    if engine == "duckdb":
        if database is None:
            raise CrmExportError("engine 'duckdb' needs its 'database' (a DuckDB file)")
        return duckdb_connection(database)
    if engine == "spark":
        started = not spark_running()
        from pyspark.sql import SparkSession

        session = SparkSession.builder.getOrCreate()
        if started:  # a session of our own says only what goes wrong; a running one is left be
            session.sparkContext.setLogLevel("ERROR")
        return ibis.pyspark.connect(session)
    return _set_up(ibis.connect(engine))  # 'duckdb://…' too


def _held_in(engine: str, database: Path | None) -> str:
    """What holds the table, for messages and the report: a database file's name, else the
    engine's ('spark', 'postgres')."""
    scheme, _, rest = engine.partition("://")
    path = rest.partition("?")[0]
    if database is None and scheme in FILE_ENGINES and path and ":" not in path:
        database = Path(path)  # 'duckdb:///data/crm.duckdb'
    return database.name if database is not None else scheme


def read_database_table(
    engine: str, table: str, mapping: Mapping, database: Path | None = None
) -> LeadTable:
    """The leads in `table` through `mapping`, as a checked LeadTable."""
    where = f"table {table!r} in {_held_in(engine, database)}"
    if database is not None and not is_duckdb_file(database):
        other = (
            "a SQLite file is named by its URL, 'engine: sqlite:///path'"
            if file_header(database).startswith(SQLITE_MAGIC)
            else "an export file is named by 'export', without 'engine' and 'table'"
        )
        raise CrmExportError(
            f"{where}: {database} is not a DuckDB database file, which 'database' names ({other})"
        )
    try:
        started = engine == "spark" and not spark_running()  # a session with only its catalog
        con = connect(engine, database)
    except Exception as err:  # each engine raises its own kinds; the message says what failed
        raise CrmExportError(
            f"{where}: could not connect to {short(masked(engine))}: {masked(str(err))}"
        ) from None
    try:
        return _read(con, table, mapping, where, started)
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


def _duckdb_tables(con: Any) -> list[tuple[str, str, str]]:
    """Every table and view in a DuckDB connection's catalogs: (catalog, schema, name)."""
    return con.raw_sql(
        "SELECT table_catalog, table_schema, table_name FROM information_schema.tables ORDER BY ALL"
    ).fetchall()


def _named(table: str, entry: tuple[str, str, str]) -> bool:
    """Whether `table` names the catalog entry as DuckDB resolves names ('table' and
    'catalog.table' in the main schema, 'schema.table', 'catalog.schema.table'), in any
    case. Only catalog entries are named: DuckDB would also read a file of that name."""
    catalog, schema, name = entry
    forms = {f"{schema}.{name}", f"{catalog}.{schema}.{name}"}
    if schema == "main":
        forms |= {name, f"{catalog}.{name}"}
    return table.lower() in {f.lower() for f in forms}


def _shown(entry: tuple[str, str, str]) -> str:
    """A catalog entry as a plan names it: 'table', or 'schema.table' outside 'main'."""
    _, schema, name = entry
    return name if schema == "main" else f"{schema}.{name}"


def _in_duckdb(con: Any, table: str, where: str) -> tuple[Any, list[str]]:
    """The Ibis table `table` names in a DuckDB catalog, or None with the name of every table
    there (`_shown`); refused when it names two."""
    entries = _duckdb_tables(con)
    named = [e for e in entries if _named(table, e)]
    if len(named) > 1:
        full = [".".join(e) for e in named]
        unique = [n for n in full if sum(_named(n, e) for e in entries) == 1]
        advice = (
            f"name the one meant in full: {' or '.join(repr(n) for n in unique)}"
            if unique
            else "rename one of them"
        )
        raise CrmExportError(
            f"{where}: the name fits {len(named)} tables ({', '.join(repr(n) for n in full)}); "
            f"{advice} (funnelkit does not pick one)"
        )
    if named:
        catalog, schema, name = named[0]
        return con.table(name, database=(catalog, schema)), []
    in_main_first = sorted(entries, key=lambda e: (e[1] != "main", _shown(e)))
    return None, [_shown(e) for e in in_main_first]


def _in_engine(con: Any, table: str) -> Any:
    """The Ibis table `table` names on an engine other than DuckDB ('table' or
    'schema.table'), or None."""
    try:
        return con.table(table)
    except Exception:
        schema, dot, name = table.rpartition(".")
        if not (dot and schema and name):
            raise
    with contextlib.suppress(Exception):
        return con.table(name, database=schema)
    return None


SPARK_CATALOG = (
    "a Spark session started here sees only the tables of the catalog named in "
    "spark-defaults.conf, in the folder $SPARK_CONF_DIR (else $SPARK_HOME/conf)"
)


def _missing_table(table: str, names: list[str], where: str, spark_started: bool) -> str:
    """The message for a table the engine does not have: the names most like it first, then
    the others (at most LISTED_TABLES); from a Spark session started here with none, where
    its tables come from."""
    lowered = {n.lower(): n for n in names}
    close = [lowered[m] for m in difflib.get_close_matches(table.lower(), list(lowered), 3, 0.6)]
    rest = [n for n in names if n not in close]
    said = f"{where}: no such table or view"
    if close:
        said += f" (did you mean {' or '.join(repr(n) for n in close)}?)"
    if rest or not close:
        listed = ", ".join(repr(n) for n in rest[:LISTED_TABLES]) or "none"
        more = f" and {len(rest) - LISTED_TABLES} more" if len(rest) > LISTED_TABLES else ""
        said += f"; the engine {'also ' if close else ''}has {listed}{more}"
    if spark_started and not names:
        return f"{said} ({SPARK_CATALOG})"
    return f"{said} (name a table of another schema with it: 'schema.table')"


def _read(con: Any, table: str, mapping: Mapping, where: str, started: bool = False) -> LeadTable:
    names: list[str] = []
    try:
        if con.name == "duckdb":
            rows, names = _in_duckdb(con, table, where)
        else:
            rows = _in_engine(con, table)
            if rows is None:
                names = sorted(con.list_tables())
    except FunnelkitError:
        raise
    except Exception as err:  # the engine lists it, but cannot read it (a broken view)
        if con.name == "duckdb" or table in con.list_tables():
            said = _engine_said(err)
            raise CrmExportError(
                masked(f"{where}: the table is there but the engine cannot read it: {said}")
            ) from None
        rows, names = None, sorted(con.list_tables())
    if rows is None:
        raise CrmExportError(_missing_table(table, names, where, started)) from None
    return fetch(con, mapped_view(con, rows, mapping, where))
