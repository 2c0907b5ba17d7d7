"""Benchmark reading and measuring 1,000,000 leads against DuckDB on the same file or table.

Metrics, both sides: each stage's volume by month × source; each step's cohort conversion by
month × source (entered, and reached the next stage: a later stage's time, a lifecycle stage
at or past it, or won); each step's and the whole cycle's count, median, mean and 90th
percentile days; the average deal size of won leads; and per month of hand-off (MQL) the
leads handed off, touched, touched within an hour, and pending (the export's response time
where there is no touch time). Before timing, the two sides' results are checked equal group
by group (month, source). Each side's median wall time over seven runs, the two taking turns
(funnelkit, then DuckDB), and funnelkit's peak memory (a child process's maximum resident
set). Files are generated once into build/bench/ (git-ignored) from the sample
generator: CSV text, Parquet with typed columns, and a DuckDB database whose table `leads`
holds the Parquet file's rows (a plan naming a table: `actuals: {engine: duckdb, table}`).
"""

from __future__ import annotations

import itertools
import json
import math
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from bench_plan import QUICK

from funnelkit.actuals import followup
from funnelkit.actuals import measures as actuals
from funnelkit.crm.databases import read_database_table
from funnelkit.crm.leads import LeadTable, read_export
from funnelkit.crm.mapping_file import resolve_mapping
from funnelkit.crm.sample import generate_leads, write_csv

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "bench"
LEADS = 2_000 if QUICK else 1_000_000
SEED = 11
RUNS = 1 if QUICK else 7
GOALS = {"parquet": 1.2, "csv": 1.2}  # funnelkit ÷ DuckDB (a table has none)
TABLE = "leads"  # the table in the benchmark's DuckDB database
MEMORY_GOAL_BYTES = 2 * 1024**3
STAGES = ("lead", "mql", "sql", "opportunity", "won")
STEPS = ("lead→mql", "mql→sql", "sql→opportunity", "opportunity→won")
TIMED = (*itertools.pairwise(STAGES), ("lead", "won"))  # the steps, then the cycle
WINDOW_MINUTES = 60

# written for the generated export: its lifecycle labels (the stage's rank) and its times
# (the latest of which is the day the export was taken)
DUCKDB_SQL = """
CREATE OR REPLACE TEMP TABLE t AS SELECT
    "Original Source" AS source, {lead} AS lead_at, {mql} AS mql_at, {sql} AS sql_at,
    {opportunity} AS opportunity_at, {won} AS won_at, {touch} AS touch_at, {amount} AS amount,
    {response_ms} / 1000 AS response_s,
    CASE "Lifecycle Stage" WHEN 'Marketing Qualified Lead' THEN 1 WHEN 'Sales Qualified Lead' THEN 2
        WHEN 'Opportunity' THEN 3 WHEN 'Customer' THEN 4 ELSE 0 END AS stage_rank
FROM {scan};
{volumes};
{cohorts};
{step_times};
SELECT avg(amount) FROM t WHERE won_at IS NOT NULL OR stage_rank = 4;
SELECT date_trunc('month', mql_at) AS month, count(*), count(minutes),
    count(*) FILTER (WHERE minutes <= {window}),
    count(*) FILTER (WHERE minutes IS NULL AND (epoch(as_of) - epoch(mql_at)) / 60 <= {window})
FROM (SELECT mql_at, CASE WHEN minutes < 0 THEN 0 ELSE minutes END AS minutes
      FROM (SELECT mql_at, coalesce((epoch(touch_at) - epoch(mql_at)) / 60, response_s / 60) AS minutes
            FROM t WHERE mql_at IS NOT NULL)),
     (SELECT max(greatest(lead_at, mql_at, sql_at, opportunity_at, won_at, touch_at)) AS as_of FROM t)
GROUP BY ALL
"""
VOLUME = """SELECT '{stage}' AS stage, date_trunc('month', {stage}_at) AS month, source, count(*)
FROM t WHERE {stage}_at IS NOT NULL GROUP BY ALL"""
COHORT = """SELECT '{a}→{b}' AS step, date_trunc('month', {a}_at) AS month, source, count(*),
    count(*) FILTER (WHERE coalesce({later}) IS NOT NULL OR stage_rank >= {rank})
FROM t WHERE {a}_at IS NOT NULL GROUP BY ALL"""
STEP_TIME = """SELECT '{a}→{b}' AS step, count(*), median(days), avg(days), quantile_cont(days, 0.9)
FROM (SELECT (epoch({b}_at) - epoch({a}_at)) / 86400 AS days FROM t WHERE {b}_at >= {a}_at)"""
CSV_COLUMNS = {
    "lead": "Create Date",
    "mql": "Became a Marketing Qualified Lead Date",
    "sql": "Became a Sales Qualified Lead Date",
    "opportunity": "Became an Opportunity Date",
    "won": "Became a Customer Date",
    "touch": "Date of first engagement",
}


def files() -> dict[str, Path]:
    """The benchmark's CSV, Parquet and DuckDB files, generated when missing."""
    OUT.mkdir(parents=True, exist_ok=True)
    paths = {
        "csv": OUT / f"leads-{LEADS}.csv",
        "parquet": OUT / f"leads-{LEADS}.parquet",
        "table": OUT / f"leads-{LEADS}.duckdb",
    }
    if not (paths["csv"].exists() and paths["parquet"].exists()):
        leads = generate_leads(LEADS, SEED)
        write_csv(leads, paths["csv"])
        pq.write_table(pa.Table.from_pandas(leads, preserve_index=False), paths["parquet"])
        paths["table"].unlink(missing_ok=True)
    if not paths["table"].exists():
        with duckdb.connect(str(paths["table"])) as con:
            con.execute(f"CREATE TABLE {TABLE} AS FROM read_parquet('{paths['parquet']}')")
    return paths


def read(path: Path) -> LeadTable:
    """The benchmark's leads from a file, or from the table in a DuckDB database."""
    if path.suffix == ".duckdb":
        return read_database_table("duckdb", TABLE, resolve_mapping("hubspot"), path)
    return read_export(path)


def duckdb_sql(path: Path, kind: str) -> list[str]:
    """The metrics as DuckDB SQL statements, straight from the file."""
    if kind == "csv":
        parts = {k: f"""try_strptime("{c}", '%Y-%m-%d %H:%M')""" for k, c in CSV_COLUMNS.items()}
        parts["amount"] = """try_cast(nullif("Recent Deal Amount", '') AS DOUBLE)"""
        parts["response_ms"] = """try_cast(nullif("Lead response time", '') AS DOUBLE)"""
        scan = f"read_csv('{path}', all_varchar = true)"
    else:
        parts = {k: f'"{c}"' for k, c in CSV_COLUMNS.items()}
        parts["amount"] = '"Recent Deal Amount"'
        parts["response_ms"] = '"Lead response time"'
        scan = TABLE if kind == "table" else f"read_parquet('{path}')"
    later = [", ".join(f"{s}_at" for s in STAGES[i + 1 :]) for i in range(len(STAGES) - 1)]
    sql = DUCKDB_SQL.format(
        scan=scan,
        window=WINDOW_MINUTES,
        volumes=" UNION ALL ".join(VOLUME.format(stage=s) for s in STAGES),
        cohorts=" UNION ALL ".join(
            COHORT.format(a=a, b=b, later=later[i], rank=i + 1)
            for i, (a, b) in enumerate(itertools.pairwise(STAGES))
        ),
        step_times=" UNION ALL ".join(STEP_TIME.format(a=a, b=b) for a, b in TIMED),
        **parts,
    )
    return [statement for statement in sql.split(";") if statement.strip()]


def duckdb_metrics(path: Path, kind: str) -> dict[str, object]:
    """The metrics in DuckDB SQL, straight from the file or table, made comparable
    (`comparable`)."""
    con = duckdb.connect(str(path), read_only=True) if kind == "table" else duckdb.connect()
    _, volumes, cohorts, times, deal, sla = (
        con.execute(s).fetchall() for s in duckdb_sql(path, kind)
    )
    con.close()
    return comparable(
        volumes={(r[0], f"{r[1]:%Y-%m}", r[2]): r[3] for r in volumes},
        cohorts={(r[0], f"{r[1]:%Y-%m}", r[2]): list(r[3:]) for r in cohorts},
        times={r[0]: list(r[1:4]) for r in times},
        maturity={r[0]: r[4] for r in times if r[0] in STEPS},
        deal=deal[0][0],
        sla={f"{r[0]:%Y-%m}": list(r[1:]) for r in sla},
    )


def funnelkit_metrics(path: Path) -> dict[str, object]:
    """The same metrics through funnelkit: read, check, measure; made comparable."""
    table = read(path)
    volumes = actuals.stage_volumes(table, by="source")
    cohorts = actuals.cohort_conversion(table, by="source")
    velocity = actuals.velocity(table).set_index("step")
    won = table.leads["outcome"] == "won"
    deal = table.leads.loc[won, "amount"].mean()
    sla = followup.sla_compliance(table, WINDOW_MINUTES, by=None)
    sla_counts = ["handed_off", "touched", "within_window", "pending"]
    return comparable(
        volumes={
            (r.stage, str(r.period), r.source): r.count
            for r in volumes.itertuples()
            if r.count  # DuckDB's side has no row for a group without leads
        },
        cohorts={
            (r.step, str(r.period), r.source): [r.entered, r.converted]
            for r in cohorts.itertuples()
        },
        times={
            step: velocity.loc[step, ["count", "median_days", "mean_days"]].tolist()
            for step in velocity.index
        },
        maturity=actuals.maturity_days(table),
        deal=deal,
        sla={str(r.period): [getattr(r, c) for c in sla_counts] for r in sla.itertuples()},
    )


def comparable(**metrics: object) -> dict[str, object]:
    """Metrics as plain numbers rounded to 6 significant digits (the two sides' floating-point
    sums differ in their last bits), keyed by group, to compare."""

    def plain(value: object) -> object:
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in sorted(value.items())}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        number = float(value)  # type: ignore[arg-type]
        return float(f"{number:.6g}")

    return plain(metrics)  # type: ignore[return-value]


def agree(kind: str, ours: dict[str, object], theirs: dict[str, object]) -> None:
    """Stop when the two sides' metrics differ, group by group: then they did not measure the
    same thing."""
    if ours != theirs:
        differ = [k for k in ours if ours[k] != theirs.get(k)]
        raise SystemExit(f"{kind}: funnelkit and DuckDB disagree on {', '.join(differ)}")


def paired_medians(ours, theirs, runs: int = RUNS) -> tuple[float, float]:
    """Each side's median wall time, the two timed in turn run after run, so that both meet
    the host's load alike (one side's runs all after the other's would not)."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for call, kept in ((ours, times[0]), (theirs, times[1])):
            start = time.perf_counter()
            call()
            kept.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def own_peak() -> int:
    """This process's peak resident memory, in bytes: its VmHWM, the high-water mark of its
    own memory since it started. (getrusage's ru_maxrss would also count the parent's
    memory at the fork, which Linux carries across the exec.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024  # reported in kilobytes
    raise RuntimeError("no VmHWM in /proc/self/status")


def peak_memory(path: Path) -> int:
    """funnelkit's peak resident memory, in bytes, reading and measuring in a fresh process."""
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
        f"import bench_actuals as b; b.funnelkit_metrics(b.Path({str(path)!r})); "
        "print(b.own_peak())"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return int(out.stdout.split()[-1])


def main() -> None:
    paths = files()
    results = {}
    print(
        f"{f'read and measure {LEADS:,} leads':<36} {'funnelkit':>10} {'DuckDB':>9} {'ratio':>7} {'goal':>6} {'peak memory':>12}"
    )
    for kind in ("parquet", "csv", "table"):
        path = paths[kind]
        agree(kind, funnelkit_metrics(path), duckdb_metrics(path, kind))
        ours, theirs = paired_medians(
            lambda p=path: funnelkit_metrics(p), lambda p=path, k=kind: duckdb_metrics(p, k)
        )
        memory = peak_memory(path)
        results[kind] = {
            "funnelkit_s": ours,
            "duckdb_s": theirs,
            "ratio": ours / theirs,
            "peak_bytes": memory,
        }
        goal = f"{GOALS[kind]:.1f}" if kind in GOALS else "-"
        print(
            f"{kind:<36} {ours:>9.3f}s {theirs:>8.3f}s {ours / theirs:>7.2f} {goal:>6} {memory / 1024**2:>9.0f} MB"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
