"""Benchmark funnelkit as exports grow: reading and measuring the actuals, and rendering a
plan's notebooks, on generated exports of 10,000, 100,000 and 1,000,000 leads (SIZES, e.g.
SIZES=10000,100000,1000000,5000000, sets others).

Run with `make bench`. Per size: the actuals (read, check and measure, as bench_actuals) on
CSV and on Parquet, each in a fresh process: wall time and peak memory; then the Q4 2026
plan (quarterly plan and monthly review) rendered without PDF, with an empty backtest cache
(the review reads the backtests the plan made): wall time for both, each notebook's time and
each kernel's peak memory. No goals are asserted here; they are ≤ 45 s
a notebook and ≤ 2 GB a process at 1,000,000 leads, and the 5,000,000-lead Parquet actuals
within 3 GB.
Exports are generated once into build/bench/scale/ (git-ignored).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from bench_plan import QUICK

from funnelkit.crm.sample import generate_leads, write_csv
from funnelkit.forecast.backtest_cache import CACHE_ENV

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "present"))

from render_support import kernel_peaks, plan_on  # noqa: E402  (shared with the memory test)

OUT = ROOT / "build" / "bench" / "scale"
SIZES = (
    (2_000,)
    if QUICK
    else tuple(int(n) for n in os.environ.get("SIZES", "10000,100000,1000000").split(","))
)
MB = 1024**2


def exports(leads: int) -> dict[str, Path]:
    """The size's CSV and Parquet exports, generated when missing."""
    paths = {"csv": OUT / f"leads-{leads}.csv", "parquet": OUT / f"leads-{leads}.parquet"}
    if not all(p.exists() for p in paths.values()):
        OUT.mkdir(parents=True, exist_ok=True)
        frame = generate_leads(leads, seed=7)
        write_csv(frame, paths["csv"])
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), paths["parquet"])
    return paths


def actuals_run(path: Path) -> tuple[float, int]:
    """Wall time (s) and peak memory (bytes) of reading and measuring `path` in a fresh
    process (the measures bench_actuals times)."""
    code = (
        f"import sys, time; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
        "import bench_actuals as b; start = time.perf_counter(); "
        f"b.funnelkit_metrics(b.Path({str(path)!r})); "
        "print(time.perf_counter() - start, b.own_peak())"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    seconds, peak = out.stdout.split()[-2:]
    return float(seconds), int(peak)


def main() -> None:
    print(
        f"{'leads':>10} {'actuals CSV':>12} {'peak':>8} {'Parquet':>9} {'peak':>8} "
        f"{'render (2 notebooks)':>21} {'each':>15} {'kernel peaks':>16}"
    )
    shutil.rmtree(OUT / "caches", ignore_errors=True)
    (OUT / "caches").mkdir(parents=True)
    for leads in SIZES:
        paths = exports(leads)
        csv_s, csv_peak = actuals_run(paths["csv"])
        pq_s, pq_peak = actuals_run(paths["parquet"])
        params = plan_on(leads, OUT / "params", plan="2026-q4", export=paths["csv"])
        # a new export: its backtests are made by the first notebook, read by the second
        os.environ[CACHE_ENV] = tempfile.mkdtemp(dir=OUT / "caches")
        peaks, seconds, notebooks = kernel_peaks(params, OUT / "reports")
        kernels = " / ".join(f"{p / MB:.0f}" for p in peaks)
        each = " / ".join(f"{t:.1f}" for t in notebooks.values())
        print(
            f"{leads:>10,} {csv_s:>11.2f}s {csv_peak / MB:>6.0f}MB {pq_s:>8.2f}s "
            f"{pq_peak / MB:>6.0f}MB {seconds:>20.1f}s {each:>13} s {kernels:>13} MB",
            flush=True,
        )


if __name__ == "__main__":
    main()
