"""Every benchmark still runs: each in its `--quick` mode (tiny sizes, single runs), in a
process of its own, as `make bench` runs it. Their figures are not checked: speed is measured
by `make bench`, never asserted in a test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MARKS = {
    "bench_browser.py": [pytest.mark.browser, pytest.mark.slow],
    "bench_render.py": [pytest.mark.render, pytest.mark.slow],
    "bench_scale.py": [pytest.mark.render, pytest.mark.slow],
}


@pytest.mark.parametrize(
    "script",
    [
        pytest.param(p.name, marks=MARKS.get(p.name, [pytest.mark.slow]))
        for p in sorted((ROOT / "benchmarks").glob("bench_*.py"))
    ],
)
def test_each_benchmark_runs_in_quick_mode(script):
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--quick"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip(), f"{script} printed nothing"
