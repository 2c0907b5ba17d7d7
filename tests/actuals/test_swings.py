"""History's swings: each driver's lowest and highest recent quarter, checked with plain
pandas on the sample export."""

import dataclasses

import pandas as pd
import pytest
from conftest import SAMPLE

from funnelkit import read_export
from funnelkit.actuals.measures import cohort_conversion
from funnelkit.actuals.swings import MIN_COHORT, MIN_WON, QUARTERS, quarterly_swings


@pytest.fixture(scope="module")
def sample():
    return read_export(SAMPLE)


def test_the_deal_size_swing_is_the_mean_won_amount_of_the_last_quarters(sample):
    raw = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    raw = raw.drop_duplicates("Record ID")
    amount = pd.to_numeric(raw["Recent Deal Amount"], errors="coerce")
    won_at = pd.to_datetime(raw["Became a Customer Date"], errors="coerce")
    won = raw[(raw["Lead Status"] != "Unqualified") & won_at.notna() & (amount > 0)]
    quarters = (
        pd.DataFrame({"q": won_at[won.index].dt.to_period("Q"), "a": amount[won.index]})
        .groupby("q")["a"]
        .agg(["size", "mean"])
    )
    # the export runs to 31 Oct 2026: its fourth quarter has a month of deals, and is left out
    assert sample.as_of.strftime("%Y-%m-%d") == "2026-10-31"
    ended = quarters[quarters.index < pd.Period("2026Q4")]
    recent = ended[ended["size"] >= MIN_WON]["mean"].tail(QUARTERS)
    assert quarters.loc[pd.Period("2026Q4"), "size"] >= MIN_WON  # it would count by its size
    assert quarterly_swings(sample)["deal_size"] == pytest.approx((recent.min(), recent.max()))
    # taken on the quarter's last day, the quarter has ended and counts
    on_the_last_day = dataclasses.replace(sample, taken_at=pd.Timestamp("2026-12-31 18:00"))
    recent = quarters[quarters["size"] >= MIN_WON]["mean"].tail(QUARTERS)
    assert quarterly_swings(on_the_last_day)["deal_size"] == pytest.approx(
        (recent.min(), recent.max())
    )


def test_each_rate_swing_spans_its_recent_mature_quarters(sample):
    swings = quarterly_swings(sample)
    cohorts = cohort_conversion(sample, "quarter")
    for step in ("lead→mql", "mql→sql", "sql→opportunity", "opportunity→won"):
        rows = cohorts[(cohorts["step"] == step) & cohorts["mature"]]
        rows = rows[rows["entered"] >= MIN_COHORT].sort_values("period").tail(QUARTERS)
        low, high = swings[step]
        assert (low, high) == (rows["rate"].min(), rows["rate"].max())
        assert 0 <= low < high <= 1
    assert set(swings) >= {"deal_size", "marketing_share"}
    low, high = swings["marketing_share"]
    assert 0 < low <= high <= 1


def test_a_driver_without_two_quarters_has_no_swing(sample):
    one_quarter = sample.leads[sample.leads["lead_at"].dt.to_period("Q") == "2026Q2"]
    table = dataclasses.replace(sample, leads=one_quarter.reset_index(drop=True))
    swings = quarterly_swings(table)
    assert not any(step in swings for step in ("lead→mql", "mql→sql"))
