"""Benchmark reading and measuring 1,000,000 leads against DuckDB on the same file.

Metrics, both sides: lead and MQL volumes by month × source, lead→MQL cohort conversion by
month × source, median days of each step, average deal size of won leads, and the share of
MQLs touched within an hour by month. Each side's median wall time over several runs, and
funnelkit's peak memory (a child process's maximum resident set). Files are generated once
into build/bench/ (git-ignored) from the sample generator: CSV text, and Parquet with typed
columns.
"""

from __future__ import annotations

import json
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
from funnelkit.crm.leads import read_export
from funnelkit.crm.sample import generate_leads, write_csv

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "build" / "bench"
LEADS = 2_000 if QUICK else 1_000_000
SEED = 11
RUNS = 1 if QUICK else 5
GOALS = {"parquet": 1.2, "csv": 1.2}  # funnelkit ÷ DuckDB
MEMORY_GOAL_BYTES = 2 * 1024**3

DUCKDB_SQL = """
CREATE OR REPLACE TEMP TABLE t AS SELECT
    "Original Source" AS source, {lead} AS lead_at, {mql} AS mql_at, {sql} AS sql_at,
    {opp} AS opp_at, {won} AS won_at, {touch} AS touch_at, {amount} AS amount
FROM {scan};
SELECT strftime(lead_at, '%Y-%m') AS m, source, count(*) FROM t GROUP BY ALL;
SELECT strftime(mql_at, '%Y-%m') AS m, source, count(*) FROM t WHERE mql_at IS NOT NULL GROUP BY ALL;
SELECT strftime(lead_at, '%Y-%m') AS m, source, count(*), count(*) FILTER (WHERE coalesce(mql_at, sql_at, opp_at, won_at) IS NOT NULL) FROM t GROUP BY ALL;
SELECT median(epoch(mql_at) - epoch(lead_at)) FILTER (WHERE mql_at >= lead_at),
       median(epoch(sql_at) - epoch(mql_at)) FILTER (WHERE sql_at >= mql_at),
       median(epoch(opp_at) - epoch(sql_at)) FILTER (WHERE opp_at >= sql_at),
       median(epoch(won_at) - epoch(opp_at)) FILTER (WHERE won_at >= opp_at) FROM t;
SELECT avg(amount) FROM t WHERE won_at IS NOT NULL;
SELECT strftime(mql_at, '%Y-%m') AS m, avg((epoch(touch_at) - epoch(mql_at) <= 3600)::INT) FROM t WHERE mql_at IS NOT NULL GROUP BY ALL;
"""
CSV_COLUMNS = {
    "lead": "Create Date",
    "mql": "Became a Marketing Qualified Lead Date",
    "sql": "Became a Sales Qualified Lead Date",
    "opp": "Became an Opportunity Date",
    "won": "Became a Customer Date",
    "touch": "Date of first engagement",
}


def files() -> dict[str, Path]:
    """The benchmark's CSV and Parquet files, generated when missing."""
    OUT.mkdir(parents=True, exist_ok=True)
    paths = {"csv": OUT / f"leads-{LEADS}.csv", "parquet": OUT / f"leads-{LEADS}.parquet"}
    if not all(p.exists() for p in paths.values()):
        leads = generate_leads(LEADS, SEED)
        write_csv(leads, paths["csv"])
        pq.write_table(pa.Table.from_pandas(leads, preserve_index=False), paths["parquet"])
    return paths


def duckdb_metrics(path: Path, kind: str) -> None:
    """The metrics in DuckDB SQL, straight from the file."""
    if kind == "csv":
        parts = {k: f"""try_strptime("{c}", '%Y-%m-%d %H:%M')""" for k, c in CSV_COLUMNS.items()}
        parts["amount"] = """try_cast(nullif("Recent Deal Amount", '') AS DOUBLE)"""
        scan = f"read_csv('{path}', all_varchar = true)"
    else:
        parts = {k: f'"{c}"' for k, c in CSV_COLUMNS.items()}
        parts["amount"] = '"Recent Deal Amount"'
        scan = f"read_parquet('{path}')"
    con = duckdb.connect()
    for statement in DUCKDB_SQL.format(scan=scan, **parts).strip().split(";"):
        if statement.strip():
            con.execute(statement).fetchall()
    con.close()


def funnelkit_metrics(path: Path) -> None:
    """The same metrics through funnelkit: read, check, measure."""
    table = read_export(path)
    actuals.stage_volumes(table, by="source")
    actuals.cohort_conversion(table, by="source")
    actuals.velocity(table)
    won = table.leads["outcome"] == "won"
    table.leads.loc[won, "amount"].mean()
    followup.sla_compliance(table, 60, by=None)


def median_seconds(call, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


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
    for kind in ("parquet", "csv"):
        path = paths[kind]
        ours = median_seconds(lambda p=path: funnelkit_metrics(p))
        theirs = median_seconds(lambda p=path, k=kind: duckdb_metrics(p, k))
        memory = peak_memory(path)
        results[kind] = {
            "funnelkit_s": ours,
            "duckdb_s": theirs,
            "ratio": ours / theirs,
            "peak_bytes": memory,
        }
        print(
            f"{kind:<36} {ours:>9.3f}s {theirs:>8.3f}s {ours / theirs:>7.2f} {GOALS[kind]:>6.1f} {memory / 1024**2:>9.0f} MB"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
