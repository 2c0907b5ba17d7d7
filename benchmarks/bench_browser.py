"""Benchmark the scenario explorer in the browser: slider move to updated output.

Run with `make bench` (needs Debian's chromium). Starts JupyterLab on a copy of the project,
opens notebooks/10-scenario-explorer.ipynb in headless Chromium through Playwright, runs it,
then presses PageUp / PageDown on the mql→sql rate slider (±0.5 point) MOVES times and
times each from the key press to the next painted frame after both the targets table and the
funnel chart changed; then the same in the page `funnelkit explore` serves with Voila. Goal:
median <= 100 ms in both.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "present"))

from browser_support import (  # noqa: E402  (the tests' helpers, shared with the benchmark)
    HOW_TO_ENABLE,
    browser,
    chromium_or_none,
    explore_app,
    jupyterlab,
    open_explorer,
    project_copy,
    slider_latency_ms,
)


def main() -> None:
    moves = 2 if "--quick" in sys.argv[1:] else int(os.environ.get("MOVES", "25"))
    chromium = chromium_or_none()
    if chromium is None:
        print(f"Slider latency: skipped ({HOW_TO_ENABLE})")
        return
    medians = {}
    with tempfile.TemporaryDirectory() as folder, browser(chromium) as launched:
        project = project_copy(Path(folder))
        with jupyterlab(project) as lab:
            page = launched.new_page(viewport={"width": 1400, "height": 1000})
            open_explorer(page, lab)
            medians["JupyterLab"] = moves_ms(page, moves)
        with explore_app(project) as (url, _, _):
            page = launched.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.wait_for_selector(".funnelkit-targets table", timeout=120_000)
            medians["Voila (funnelkit explore)"] = moves_ms(page, moves)
    print(f"Slider to updated targets and chart, in Chromium ({moves} moves)")
    for where, (median, low, high) in medians.items():
        print(
            f"  {where:<26} median {median:.0f} ms (min {low:.0f}, max {high:.0f})"
            f"   goal <= 100 ms   ratio {median / 100:.2f}"
        )


def moves_ms(page, moves: int) -> tuple[float, float, float]:
    """Median, least and most milliseconds of `moves` alternate PageUp / PageDown presses on
    the mql→sql rate slider, each to the targets and chart painted."""
    page.locator(".funnelkit-chart-funnel").scroll_into_view_if_needed()
    slider_latency_ms(page, "rate-1", "PageUp")  # warm up
    times = []
    for i in range(moves):
        times.append(slider_latency_ms(page, "rate-1", "PageDown" if i % 2 else "PageUp"))
        page.wait_for_timeout(150)  # a person's pace: each move stands alone
    return statistics.median(times), min(times), max(times)


if __name__ == "__main__":
    main()
