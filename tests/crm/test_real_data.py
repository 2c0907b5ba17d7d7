"""The public CRM data in ../shared/data/real/, read through mapping files, gives the reference
figures in that folder's README (computed there independently with pandas)."""

import pandas as pd
import pytest
from conftest import REAL

from funnelkit.actuals.measures import reached_counts, velocity, win_rate
from funnelkit.crm.leads import read_export

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def maven(request):
    return read_export(
        REAL / "maven-crm" / "sales_pipeline.csv",
        request.config.rootpath / "params" / "mappings" / "maven-crm.yaml",
    )


@pytest.fixture(scope="module")
def xed(request):
    return read_export(
        REAL / "x-education" / "Leads.csv",
        request.config.rootpath / "params" / "mappings" / "x-education.yaml",
    )


def test_maven_stages(maven):
    assert maven.leads["outcome"].value_counts().to_dict() == {
        "won": 4238,
        "lost": 2473,
        "open": 2089,
    }
    open_stage = maven.leads.loc[maven.leads["outcome"] == "open", "stage"].value_counts().to_dict()
    assert open_stage["engaging"] == 1589
    assert open_stage["prospecting"] == 500
    assert maven.quality.ok


def test_maven_win_rates(maven):
    rates = win_rate(maven).iloc[0]
    assert round(rates["won_among_closed"] * 100, 2) == 63.15
    assert round(rates["won_among_all"] * 100, 2) == 48.16


def test_maven_days_engage_to_close(maven):
    steps = velocity(maven).set_index("step")
    assert steps.loc["engaging→won", "median_days"] == 57
    assert round(steps.loc["engaging→won", "mean_days"], 1) == 51.8
    lost = maven.leads[maven.leads["outcome"] == "lost"]
    days = (lost["close_date"] - lost["engaging_at"]).dt.days
    assert days.median() == 14
    assert round(days.mean(), 1) == 41.5


def test_maven_won_deal_values(maven):
    won = maven.leads.loc[maven.leads["outcome"] == "won", "amount"]
    assert round(won.mean(), 2) == 2360.91
    assert won.median() == 1117
    assert won.sum() == 10_005_534


def test_maven_won_by_close_quarter(maven):
    won = maven.leads[maven.leads["outcome"] == "won"]
    by_quarter = won["won_at"].dt.to_period("Q").value_counts().sort_index()
    assert by_quarter.loc[pd.Period("2017Q1") : pd.Period("2017Q4")].tolist() == [
        531,
        1254,
        1257,
        1196,
    ]


def test_maven_by_regional_office(maven):
    teams = pd.read_csv(REAL / "maven-crm" / "sales_teams.csv")
    region = maven.leads["owner"].map(teams.set_index("sales_agent")["regional_office"])
    table = (
        maven.leads.assign(region=region, won=maven.leads["outcome"] == "won")
        .groupby("region")["won"]
        .agg(["size", "sum"])
    )
    assert table.loc["Central"].tolist() == [3512, 1629]
    assert table.loc["East"].tolist() == [2291, 1171]
    assert table.loc["West"].tolist() == [2997, 1438]


def test_x_education_conversion(xed):
    rates = win_rate(xed).iloc[0]
    assert (rates["won"], rates["leads"]) == (3561, 9240)
    assert round(rates["won_among_all"] * 100, 2) == 38.54


def test_x_education_by_source(xed):
    table = reached_counts(xed, by="source").query("stage == 'won'").set_index("source")["reached"]
    leads = xed.leads["source"].value_counts(dropna=False)
    expected = {
        "Google": (2868, 1147),
        "Direct Traffic": (2543, 818),
        "Olark Chat": (1755, 448),
        "Organic Search": (1154, 436),
        "Reference": (534, 490),
        "Welingak Website": (142, 140),
        "Referral Sites": (125, 31),
        "Facebook": (55, 13),
    }
    for source, (n, converted) in expected.items():
        assert (leads[source], table[source]) == (n, converted), source
    missing = xed.leads["source"].isna()
    assert (missing.sum(), (xed.leads.loc[missing, "outcome"] == "won").sum()) == (36, 29)
    assert leads["google"] == 5  # 'Google' and 'google' stay different values


def test_x_education_by_origin(xed):
    table = win_rate(xed, by="origin").set_index("origin")
    expected = {
        "Landing Page Submission": (4886, 1768),
        "API": (3580, 1115),
        "Lead Add Form": (718, 664),
        "Lead Import": (55, 13),
        "Quick Add Form": (1, 1),
    }
    for origin, (n, won) in expected.items():
        assert (table.loc[origin, "leads"], table.loc[origin, "won"]) == (n, won)


def test_x_education_select_means_missing_and_numbers_are_numbers(xed):
    assert not (xed.leads.select_dtypes(["object", "str"]) == "Select").any().any()
    assert xed.leads["visits"].dtype == float
    assert xed.leads["time_on_site"].max() > 0
