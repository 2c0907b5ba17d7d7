"""Every measure gives the same results on DuckDB (the default) and on Spark (local mode, two
cores): over the sample export, the public CRM exports and generated lead tables. The
generated tables are also counted directly from the lead table's own rows, so the queries'
'reached' and period logic is checked against an independent computation."""

from __future__ import annotations

import itertools
import shutil

import numpy as np
import pandas as pd
import pytest
from conftest import REAL, SAMPLE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funnelkit.actuals import engine, followup, measures
from funnelkit.actuals.queries import ROW
from funnelkit.crm.fields import FIELDS, stage_field
from funnelkit.crm.leads import LeadTable, read_export
from funnelkit.crm.mapping_file import resolve_mapping
from funnelkit.crm.quality import QualityReport

STAGES = ("lead", "mql", "sql", "opportunity", "won")


def calls(table: LeadTable) -> dict[str, object]:
    """Each measure, with a grouping and a period where it takes them, as zero-argument calls."""
    text = [c for c in ("source", "owner", "product") if c in table.leads]
    by = text[0] if text else None
    out = {
        "stage_volumes by week": lambda: measures.stage_volumes(table, "week", by),
        "stage_volumes by quarter": lambda: measures.stage_volumes(table, "quarter"),
        "flow_conversion": lambda: measures.flow_conversion(table, "month", by),
        "cohort_conversion": lambda: measures.cohort_conversion(table, "month", by),
        "reached_counts": lambda: measures.reached_counts(table, by, "month"),
        "win_rate": lambda: measures.win_rate(table, by),
        "velocity": lambda: measures.velocity(table),
        "leakage": lambda: measures.leakage(table, by),
    }
    if "mql" in table.stages:  # with or without touch times
        owner = "owner" if "owner" in table.leads else None
        out |= {
            "sla_compliance": lambda: followup.sla_compliance(table, 60, by=owner),
            "sla_breaches": lambda: followup.sla_breaches(table, 60),
            "response_minutes": lambda: followup.response_minutes(table).to_frame(),
        }
        if "first_touch_at" in table.leads:
            out["followed_up_same_month"] = lambda: followup.followed_up_same_month(table)
        if "touches" in table.leads:
            out["cadence_adherence"] = lambda: followup.cadence_adherence(table, 3, by=owner)
    return out


def same_on_both(table: LeadTable, spark) -> None:
    for name, call in calls(table).items():
        on_duckdb = call()
        with engine.using(spark):
            on_spark = call()
        pd.testing.assert_frame_equal(
            on_spark, on_duckdb, check_exact=False, rtol=1e-12, obj=f"{name} on Spark"
        )


@pytest.fixture(scope="module")
def spark():
    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime and none is on PATH (.ci/run installs one)")
    return engine.spark_connection(cores=2)


@pytest.mark.spark
def test_sample_export_measures_alike_on_duckdb_and_spark(spark):
    same_on_both(read_export(SAMPLE), spark)


@pytest.mark.spark
@pytest.mark.realdata
def test_maven_crm_measures_alike_on_duckdb_and_spark(spark, root):
    table = read_export(
        REAL / "maven-crm" / "sales_pipeline.csv", root / "params" / "mappings" / "maven-crm.yaml"
    )
    same_on_both(table, spark)


@pytest.mark.spark
@pytest.mark.realdata
def test_x_education_measures_alike_on_duckdb_and_spark(spark, root):
    table = read_export(
        REAL / "x-education" / "Leads.csv", root / "params" / "mappings" / "x-education.yaml"
    )
    same_on_both(table.taken_on(pd.Timestamp("2026-11-01").date()), spark)


@st.composite
def lead_tables(draw) -> LeadTable:
    """A lead table of up to 60 leads (or none): stage times with gaps and some out of order,
    current stages, outcomes, sources (some missing), amounts and, in most, first touches."""
    n = draw(st.integers(0, 60))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    start = np.datetime64("2025-01-01T00:00:00") + rng.integers(0, 400 * 86_400, n).astype(
        "timedelta64[s]"
    )
    columns: dict[str, object] = {"lead_id": [f"L{i}" for i in range(n)]}
    at, alive = start.copy(), np.ones(n, dtype=bool)
    for stage in STAGES:
        if stage != STAGES[0]:
            alive &= rng.random(n) < draw(st.floats(0.2, 0.9))
            at = at + rng.integers(-86_400, 40 * 86_400, n).astype("timedelta64[s]")
        dated = alive & (rng.random(n) < 0.9)
        columns[stage_field(stage)] = np.where(dated, at, np.datetime64("NaT"))
    columns["source"] = pd.Categorical(
        np.where(rng.random(n) < 0.1, None, rng.choice(["Ads", "Events", "Web"], n)),
        categories=["Ads", "Events", "Web"],
    )
    columns["stage"] = pd.Categorical(
        np.where(rng.random(n) < 0.3, None, rng.choice(STAGES, n)), categories=STAGES, ordered=True
    )
    touch = columns[stage_field("mql")] + rng.integers(-600, 7200, n).astype("timedelta64[s]")
    columns["first_touch_at"] = np.where(rng.random(n) < 0.7, touch, np.datetime64("NaT"))
    columns["amount"] = np.where(rng.random(n) < 0.5, rng.integers(1, 50, n) * 1000.0, np.nan)
    columns["owner"] = pd.Categorical(rng.choice(["Ann", "Bob"], n), categories=["Ann", "Bob"])
    columns["touches"] = np.where(rng.random(n) < 0.8, rng.integers(0, 9, n).astype(float), np.nan)
    columns["outcome"] = pd.Categorical(
        rng.choice(["won", "lost", "open"], n), categories=["won", "lost", "open"]
    )
    leads = pd.DataFrame(columns)
    for stage in STAGES:
        leads[stage_field(stage)] = leads[stage_field(stage)].astype("datetime64[s]")
    leads["first_touch_at"] = leads["first_touch_at"].astype("datetime64[s]")
    if draw(st.integers(0, 4)) == 0:  # an export that records no touches
        leads = leads.drop(columns=["first_touch_at"])
    return LeadTable(
        leads=leads,
        stages=STAGES,
        quality=QualityReport(source="generated"),
        mapping=resolve_mapping("hubspot"),
        source="generated",
        taken_at=pd.Timestamp("2026-06-01"),
    )


@given(table=lead_tables())
@settings(max_examples=60, deadline=None)
def test_queries_count_what_the_rows_say(table):
    """Cohort and reached counts from DuckDB equal counts made directly from the rows."""
    reached = table.reached()
    cohorts = measures.cohort_conversion(table, "month", "source")
    for a, b in itertools.pairwise(STAGES):
        at = table.leads[stage_field(a)]
        frame = pd.DataFrame(
            {
                "period": at.dt.to_period("M"),
                "source": table.leads["source"],
                "converted": reached[b].astype(int),
            }
        )[at.notna()]
        expected = frame.groupby(["period", "source"], dropna=False, observed=True)["converted"]
        step = cohorts[cohorts["step"] == f"{a}→{b}"]
        assert step["entered"].sum() == len(frame)
        assert step["converted"].sum() == frame["converted"].sum()
        assert sorted(step["entered"]) == sorted(expected.size())
        assert (step["converted"] <= step["entered"]).all()
    totals = measures.reached_counts(table)
    assert totals["reached"].tolist() == reached.sum().tolist()
    wins = measures.win_rate(table)
    assert wins["won"].item() == (table.leads["outcome"] == "won").sum()


@pytest.mark.spark
@given(table=lead_tables())
@settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_generated_tables_measure_alike_on_duckdb_and_spark(spark, table):
    same_on_both(table, spark)


@pytest.fixture
def runs(monkeypatch) -> list[tuple]:
    """The (query, arguments) of each query the engine runs in the test."""
    ran: list[tuple] = []
    real_run = engine._run

    def counted(con, expr, query, args):
        ran.append((query, args))
        return real_run(con, expr, query, args)

    monkeypatch.setattr(engine, "_run", counted)
    return ran


def test_a_measure_asked_again_runs_once_and_gives_a_frame_of_its_own(runs):
    table = read_export(SAMPLE)
    first = measures.velocity(table)
    first.loc[0, "count"] = -1  # a caller changing its own frame
    again = measures.velocity(table)
    assert len(runs) == 1
    pd.testing.assert_frame_equal(again, measures.velocity(read_export(SAMPLE)))
    assert len(runs) == 2  # another table (even with the same rows) is measured on its own
    assert again.loc[0, "count"] > 0


def test_a_measure_asked_with_other_arguments_runs_again(runs):
    table = read_export(SAMPLE)
    by_month = measures.stage_volumes(table, "month")
    by_quarter = measures.stage_volumes(table, "quarter")
    assert [args[1] for _, args in runs] == ["month", "quarter"]
    assert by_month["count"].sum() == by_quarter["count"].sum()
    assert len(by_month) > len(by_quarter)


def test_the_row_position_column_is_no_lead_field():
    assert ROW not in FIELDS
    assert not ROW.endswith("_at")  # a stage's time is '<stage>_at'
