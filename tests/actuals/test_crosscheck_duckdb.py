"""The core metrics on the sample agree with an independent SQL computation in DuckDB,
written from the raw CSV (its own parsing, de-duplication and 'reached' logic)."""

import duckdb
import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE

from funnelkit.actuals import followup
from funnelkit.actuals import measures as actuals
from funnelkit.actuals.baselines import measure_baselines
from funnelkit.crm.leads import read_export

CLEAN = """
WITH raw AS (
    SELECT *, row_number() OVER () AS line FROM read_csv('{path}', all_varchar = true, header = true)
), kept AS (
    SELECT * FROM raw WHERE coalesce(trim("Record ID"), '') <> ''
    QUALIFY row_number() OVER (PARTITION BY "Record ID" ORDER BY line) = 1
)
SELECT
    "Record ID" AS id,
    "Original Source" AS source,
    nullif("Contact owner", '') AS owner,
    try_strptime("Create Date", '%Y-%m-%d %H:%M') AS lead_at,
    try_strptime("Became a Marketing Qualified Lead Date", '%Y-%m-%d %H:%M') AS mql_at,
    try_strptime("Became a Sales Qualified Lead Date", '%Y-%m-%d %H:%M') AS sql_at,
    try_strptime("Became an Opportunity Date", '%Y-%m-%d %H:%M') AS opp_at,
    try_strptime("Became a Customer Date", '%Y-%m-%d %H:%M') AS won_at,
    try_strptime("Date of first engagement", '%Y-%m-%d %H:%M') AS touch_at,
    try_cast(nullif("Recent Deal Amount", '') AS DOUBLE) AS amount,
    "Lifecycle Stage" AS lifecycle
FROM kept
"""


@pytest.fixture(scope="module")
def db():
    con = duckdb.connect()
    con.execute(f"CREATE TABLE leads AS {CLEAN.format(path=SAMPLE)}")
    con.execute("""
        CREATE TABLE reached AS SELECT *,
            mql_at IS NOT NULL OR sql_at IS NOT NULL OR opp_at IS NOT NULL OR won_at IS NOT NULL
                OR lifecycle IN ('Marketing Qualified Lead', 'Sales Qualified Lead', 'Opportunity', 'Customer') AS r_mql,
            sql_at IS NOT NULL OR opp_at IS NOT NULL OR won_at IS NOT NULL
                OR lifecycle IN ('Sales Qualified Lead', 'Opportunity', 'Customer') AS r_sql,
            won_at IS NOT NULL OR lifecycle = 'Customer' AS r_won
        FROM leads
    """)
    return con


@pytest.fixture(scope="module")
def table():
    return read_export(SAMPLE)


def test_row_count(db, table):
    assert db.execute("SELECT count(*) FROM leads").fetchone()[0] == len(table.leads)


def test_volumes_by_month_and_source(db, table):
    sql = db.execute("""
        SELECT strftime(lead_at, '%Y-%m') AS period, source, count(*) AS n
        FROM leads WHERE lead_at IS NOT NULL GROUP BY ALL ORDER BY ALL
    """).df()
    ours = actuals.stage_volumes(table, by="source")
    ours = ours[ours["stage"] == "lead"].assign(period=lambda f: f["period"].astype(str))
    ours = (
        ours[["period", "source", "count"]].sort_values(["period", "source"]).reset_index(drop=True)
    )
    assert ours["count"].tolist() == sql["n"].tolist()
    assert ours["period"].tolist() == sql["period"].tolist()


def test_cohort_conversion_lead_to_mql_by_month(db, table):
    sql = db.execute("""
        SELECT strftime(lead_at, '%Y-%m') AS period, count(*) AS entered, sum(r_mql::INT) AS converted
        FROM reached WHERE lead_at IS NOT NULL GROUP BY ALL ORDER BY ALL
    """).df()
    ours = actuals.cohort_conversion(table).query("step == 'lead→mql'")
    assert ours["entered"].tolist() == sql["entered"].tolist()
    assert ours["converted"].tolist() == sql["converted"].astype(int).tolist()


def test_median_stage_times(db, table):
    for a, b in (("lead", "mql"), ("mql", "sql"), ("lead", "won")):
        expected = db.execute(f"""
            SELECT median(epoch({b}_at) - epoch({a}_at)) / 86400.0, count(*)
            FROM leads WHERE {a}_at IS NOT NULL AND {b}_at IS NOT NULL AND {b}_at >= {a}_at
        """).fetchone()
        days = actuals.step_days(table, a, b)
        assert (days.median(), len(days)) == (pytest.approx(expected[0], rel=1e-12), expected[1])


def test_average_deal_size_and_marketing_share(db, table):
    size, share = db.execute("""
        SELECT avg(amount) FILTER (WHERE amount >= 0),
               sum(amount) FILTER (WHERE amount >= 0 AND source <> 'Offline Sources') / sum(amount) FILTER (WHERE amount >= 0)
        FROM reached WHERE r_won
    """).fetchone()
    b = measure_baselines(table)
    assert b.deal_size == pytest.approx(size, rel=1e-12)
    assert b.marketing_share == pytest.approx(share, rel=1e-12)


def test_sla_share_within_an_hour_by_month(db, table):
    as_of = table.as_of
    sql = db.execute(f"""
        SELECT strftime(mql_at, '%Y-%m') AS period,
            count(*) AS handed_off,
            count(*) FILTER (WHERE touch_at IS NOT NULL AND epoch(touch_at) - epoch(mql_at) <= 3600) AS within,
            count(*) FILTER (WHERE touch_at IS NULL AND epoch(TIMESTAMP '{as_of}') - epoch(mql_at) <= 3600) AS pending
        FROM leads WHERE mql_at IS NOT NULL GROUP BY ALL ORDER BY ALL
    """).df()
    ours = followup.sla_compliance(table, 60, by=None)
    assert ours["handed_off"].tolist() == sql["handed_off"].tolist()
    assert ours["within_window"].tolist() == sql["within"].tolist()
    expected = sql["within"] / (sql["handed_off"] - sql["pending"])
    np.testing.assert_allclose(ours["share_within"].to_numpy(), expected.to_numpy())
    assert isinstance(ours["period"].iloc[0], pd.Period)
