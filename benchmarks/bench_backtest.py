"""Benchmark the forecast's backtest: medians against the goal, printed as a table.

Run with `make bench`. The reference is the issue's: 26 weekly forecasts at 5,000 trials each
of 2017 Q2–Q3 on the public Maven CRM opportunities (`../shared/data/real/maven-crm`, mapped by
`params/mappings/maven-crm-engaging.yaml`; about
2,000–4,000 open opportunities a forecast, every lost one open as far as a past day knew), goal
≤ 10 s. Beside it: the default backtest, whose trials shrink for funnels that would draw more
than `backtest.WIN_BUDGET` wins a forecast (what each report computes), on Maven and on the
bundled sample.
Skipped with a note when the Maven file is not beside the project.
"""

from __future__ import annotations

from pathlib import Path

from bench_plan import QUICK, median_seconds, print_rows

from funnelkit import read_export
from funnelkit.forecast.backtest import backtest

ROOT = Path(__file__).resolve().parent.parent
MAVEN = ROOT.parent / "shared" / "data" / "real" / "maven-crm" / "sales_pipeline.csv"
MAVEN_MAPPING = ROOT / "params" / "mappings" / "maven-crm-engaging.yaml"
GOAL = 10.0  # seconds for 26 weekly forecasts at 5,000 trials


def main() -> None:
    sample = read_export(ROOT / "data" / "sample" / "hubspot-contacts.csv")
    if QUICK:
        quick = median_seconds(lambda: backtest(sample, weeks=8, trials=200), 1, 1)
        print_rows([("sample: 8 weekly forecasts × 200 trials (--quick)", quick, None)])
        return
    rows = [
        (
            "sample: 26 weekly forecasts (default)",
            median_seconds(lambda: backtest(sample), 3, 1),
            None,
        )
    ]
    if MAVEN.exists():
        maven = read_export(MAVEN, str(MAVEN_MAPPING))
        rows[:0] = [
            (
                "Maven CRM: 26 weekly forecasts × 5,000 trials",
                median_seconds(lambda: backtest(maven, budget=None), 3, 1),
                GOAL,
            ),
            (
                "Maven CRM: the same, trials fitted to the funnel (default)",
                median_seconds(lambda: backtest(maven), 3, 1),
                None,
            ),
        ]
    else:
        print(f"(Maven CRM export not found at {MAVEN}: its row is skipped)")
    print_rows(rows, decimals=2)


if __name__ == "__main__":
    main()
