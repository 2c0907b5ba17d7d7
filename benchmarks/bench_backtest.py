"""Benchmark the forecast's backtest: medians against the goal, printed as a table.

Run with `make bench`. The reference is the issue's: 26 weekly forecasts at 5,000 trials each
of 2017 Q2–Q3 on the public Maven CRM opportunities (`../shared/data/real/maven-crm`, mapped by
`params/mappings/maven-crm-engaging.yaml`; about
2,000–4,000 open opportunities a forecast, every lost one open as far as a past day knew), goal
≤ 10 s. The bundled sample's default backtest (what each report computes) is timed beside it.
Skipped with a note when the Maven file is not beside the project.
"""

from __future__ import annotations

from pathlib import Path

from bench_plan import median_seconds, print_rows

from funnelkit import read_export
from funnelkit.forecast.backtest import backtest

ROOT = Path(__file__).resolve().parent.parent
MAVEN = ROOT.parent / "shared" / "data" / "real" / "maven-crm" / "sales_pipeline.csv"
MAVEN_MAPPING = ROOT / "params" / "mappings" / "maven-crm-engaging.yaml"
GOAL = 10.0  # seconds for 26 weekly forecasts at 5,000 trials


def main() -> None:
    sample = read_export(ROOT / "data" / "sample" / "hubspot-contacts.csv")
    rows = [
        (
            "sample: 26 weekly forecasts × 5,000 trials",
            median_seconds(lambda: backtest(sample), 3, 1),
            None,
        )
    ]
    if MAVEN.exists():
        maven = read_export(MAVEN, str(MAVEN_MAPPING))
        rows.insert(
            0,
            (
                "Maven CRM: 26 weekly forecasts × 5,000 trials",
                median_seconds(lambda: backtest(maven), 3, 1),
                GOAL,
            ),
        )
    else:
        print(f"(Maven CRM export not found at {MAVEN}: its row is skipped)")
    print_rows(rows, decimals=2)


if __name__ == "__main__":
    main()
