"""Benchmark rendering: the default plan against a trivial notebook, and a batch in parallel.

Run with `make bench`. Both sides are rendered the same way in the same run (papermill in a
fresh kernel, then the HTML report; no PDF), interleaved, and the medians compared:

- the default quarterly plan (params/example.yaml) against a one-cell notebook (`1 + 1`):
  the ratio shows what the plan costs beyond the kernel and the export. Goal: <= 2.5x.
  Cold: each run with an empty backtest cache (`funnelkit.forecast.backtest_cache`), as
  the first notebook rendered from a new export; warm: the export's backtests already made,
  as every later notebook rendered from it.
- the floor: a notebook that only makes what the plan's outlook cannot do without (the plan
  data, the forecast at 100,000 trials and the two backtests of 26 weekly forecasts at 5,000
  trials behind its track record), cold, and shows nothing. No report of the plan's contents
  renders faster than this on this stack, so its ratio says how much of the 2.5x the
  forecast alone leaves.
- 12 plans rendered one after another against the same 12 on 2 worker processes, each
  batch with an empty backtest cache: throughput ratio. Goal: >= 1.7x.

RENDER_RUNS (default 5) and BATCH_RUNS (default 3) set the number of runs.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
import yaml
from bench_plan import QUICK
from nbformat.v4 import new_code_cell, new_notebook

from funnelkit.forecast.backtest_cache import CACHE_ENV
from funnelkit.present.render import Batch, Job, prepare, render, render_job

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "bench" / "render"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


EXAMPLE = ROOT / "params" / "example.yaml"
# the floor: the example plan's data, its forecast and both its backtests, nothing shown
FLOOR = (
    "from funnelkit.model.loader import load_plan_data\n"
    f"data = load_plan_data({str(EXAMPLE)!r})\n"
    "made = data.forecast, data.track_record, data.start_record"
)


def one_cell_job(name: str, source: str) -> Job:
    """A notebook of the one code cell `source`, rendered as the example plan's are."""
    folder = WORK / name
    folder.mkdir(parents=True, exist_ok=True)
    nb = new_notebook(metadata={"kernelspec": KERNELSPEC})
    nb.cells.append(new_code_cell(source))
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return Job(EXAMPLE, name, path, {}, WORK / "reports" / name)


def plan_copies(count: int) -> list[Path]:
    """`count` copies of the example plan with their own names (and so their own reports)."""
    folder = WORK / "params"
    folder.mkdir(parents=True, exist_ok=True)
    raw = yaml.safe_load((ROOT / "params" / "example.yaml").read_text())
    raw["goals"] = str(ROOT / "params" / raw["goals"])
    raw["actuals"]["export"] = str((ROOT / "params" / raw["actuals"]["export"]).resolve())
    raw["previous_plan"] = str(ROOT / "params" / raw["previous_plan"])
    raw["definitions"] = str(ROOT / "params" / raw["definitions"])
    raw["program"]["costs"] = str((ROOT / "params" / raw["program"]["costs"]).resolve())
    paths = []
    for i in range(1, count + 1):
        raw["name"] = f"bench-{i:02d}"
        path = folder / f"bench-{i:02d}.yaml"
        path.write_text(yaml.safe_dump(raw, sort_keys=False))
        paths.append(path)
    return paths


def empty_cache() -> str:
    """A new, empty backtest cache for the renders that follow (their kernels inherit it),
    under build/bench/render/caches/ (emptied at each start)."""
    (WORK / "caches").mkdir(parents=True, exist_ok=True)
    os.environ[CACHE_ENV] = tempfile.mkdtemp(dir=WORK / "caches")
    return os.environ[CACHE_ENV]


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def main() -> None:
    render_runs = 1 if QUICK else int(os.environ.get("RENDER_RUNS", "5"))
    batch_runs = 1 if QUICK else int(os.environ.get("BATCH_RUNS", "3"))
    batch_size = 2 if QUICK else 12
    plan_job = prepare([ROOT / "params" / "example.yaml"], WORK / "reports").jobs[0]
    trivial, floor = one_cell_job("trivial", "1 + 1"), one_cell_job("floor", FLOOR)

    def run(job: Job) -> None:
        outcome = render_job(job, chromium=None)
        if not outcome.ok:
            raise SystemExit(outcome.message)

    shutil.rmtree(WORK / "caches", ignore_errors=True)
    run(trivial)  # warm the disk cache and the kernel spec lookup
    warm_cache = empty_cache()
    run(plan_job)  # makes the example's backtests in the warm cache
    plan_times, warm_times, trivial_times, floor_times = [], [], [], []
    for _ in range(render_runs):
        trivial_times.append(timed(lambda: run(trivial)))
        empty_cache()
        floor_times.append(timed(lambda: run(floor)))
        empty_cache()
        plan_times.append(timed(lambda: run(plan_job)))
        os.environ[CACHE_ENV] = warm_cache
        warm_times.append(timed(lambda: run(plan_job)))
    plan_s, trivial_s = statistics.median(plan_times), statistics.median(trivial_times)
    warm_s, floor_s = statistics.median(warm_times), statistics.median(floor_times)

    batch = prepare(plan_copies(batch_size), WORK / "reports")
    assert len(batch.jobs) == batch_size
    quiet = Batch(batch.jobs)
    serial_times, parallel_times = [], []
    for _ in range(batch_runs):
        empty_cache()
        serial_times.append(timed(lambda: render(quiet, workers=1)))
        empty_cache()
        parallel_times.append(timed(lambda: render(quiet, workers=2)))
    serial_s, parallel_s = statistics.median(serial_times), statistics.median(parallel_times)

    print(f"Rendering (ipynb + HTML), medians; {os.cpu_count()} cores")
    print(f"  trivial one-cell notebook   {trivial_s:6.2f} s   ({render_runs} runs)")
    print(
        f"  default quarterly plan      {plan_s:6.2f} s   ratio {plan_s / trivial_s:.2f}x (goal <= 2.5x)"
    )
    print(f"  ... its backtests made       {warm_s:6.2f} s   ratio {warm_s / trivial_s:.2f}x")
    print(
        f"  floor: forecast + backtests {floor_s:6.2f} s   ratio {floor_s / trivial_s:.2f}x "
        "(nothing shown)"
    )
    print(f"  {batch_size} plans, one at a time     {serial_s:6.1f} s   ({batch_runs} runs)")
    print(
        f"  {batch_size} plans, 2 workers         {parallel_s:6.1f} s   throughput "
        f"{serial_s / parallel_s:.2f}x (goal >= 1.7x)"
    )


if __name__ == "__main__":
    main()
