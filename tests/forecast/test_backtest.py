"""The forecast's track record: the table as known on a past day, periods, the scores worked
by hand, and seeded backtests on the sample and on a real export nobody here generated."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from conftest import REAL, ROOT, SAMPLE

import funnelkit.forecast.backtest as backtest_module
from funnelkit import InputError, read_export
from funnelkit.forecast.backtest import Backtest, backtest, known_on, period_of, period_starts

MAVEN_ENGAGING = ROOT / "params" / "mappings" / "maven-crm-engaging.yaml"


@pytest.fixture(scope="module")
def sample():
    return read_export(SAMPLE)


def test_the_table_as_known_on_a_past_day(sample):
    past = known_on(sample, "2026-03-15")
    assert past.as_of == pd.Timestamp("2026-03-15 23:59:59")
    assert past.leads["lead_at"].max() < pd.Timestamp("2026-03-16")
    for column in past.stage_columns:
        assert not (past.leads[column] >= pd.Timestamp("2026-03-16")).any()
    won = past.leads["outcome"] == "won"
    assert won.sum() == (sample.leads["won_at"] < pd.Timestamp("2026-03-16")).sum()
    assert past.leads.loc[~won, "amount"].isna().all()
    # a lead that became an SQL after the day stood at its earlier stage
    later = sample.leads[
        (sample.leads["sql_at"] >= "2026-03-16") & (sample.leads["mql_at"] < "2026-03-15")
    ]
    row = past.leads.set_index("lead_id").loc[later["lead_id"].iloc[0]]
    assert row["stage"] == "mql"
    assert row["outcome"] == "open"


@pytest.mark.parametrize(
    ("day", "months", "first", "period"),
    [
        ("2026-05-20", 3, "2000-01", ("2026-04-01", "2026-06-30")),  # calendar quarters
        ("2026-05-20", 3, "2027-02", ("2026-05-01", "2026-07-31")),  # a plan from February
        ("2026-01-31", 3, "2027-02", ("2025-11-01", "2026-01-31")),
        ("2026-05-20", 1, "2027-01", ("2026-05-01", "2026-05-31")),
        ("2026-05-20", 12, "2026-07", ("2025-07-01", "2026-06-30")),
    ],
)
def test_periods_are_laid_end_to_end_from_the_plan_s_first_month(day, months, first, period):
    start, end = period_of(day, months, pd.Period(first, "M"))
    assert (start, end) == (pd.Timestamp(period[0]), pd.Timestamp(period[1]))


def scored(chance, met, expected, actual, low=0.0, high=10.0):
    n = len(chance)
    frame = pd.DataFrame(
        {
            "measure": "revenue",
            "chance": chance,
            "met": met,
            "expected": expected,
            "actual": actual,
            "held_50": [a >= low and a <= high for a in actual],
            "held_80": [True] * n,
        }
    )
    return Backtest(frame, ("revenue",), skipped=0)


def test_the_scores_worked_by_hand():
    b = scored(
        chance=[0.9, 0.2, 0.6, 0.5, 0.05],
        met=[1.0, 0.0, 0.0, 1.0, 0.0],
        expected=[100.0, 200.0, 100.0, 50.0, 10.0],
        actual=[110.0, 150.0, 100.0, 60.0, 12.0],
        low=50.0,
        high=120.0,
    )
    # (0.1² + 0.2² + 0.6² + 0.5² + 0.05²) / 5
    assert b.brier("revenue") == pytest.approx((0.01 + 0.04 + 0.36 + 0.25 + 0.0025) / 5)
    # (+10 % − 25 % + 0 % + 20 % + 20 %) / 5
    assert b.bias("revenue") == pytest.approx((0.1 - 0.25 + 0.0 + 0.2 + 0.2) / 5)
    assert b.held("revenue", 50) == 3  # 110, 100, 60 lie in 50–120
    assert b.coverage("revenue", 50) == pytest.approx(0.6)
    table = b.calibration("revenue")
    assert list(table["chance"]) == ["0–20%", "20–40%", "40–60%", "60–80%", "80–100%"]
    assert list(table["forecasts"]) == [1, 1, 1, 1, 1]  # 0.05 | 0.2 | 0.5 | 0.6 | 0.9
    assert table["stated"].tolist() == pytest.approx([0.05, 0.2, 0.5, 0.6, 0.9])
    assert table["met"].tolist() == [0.0, 0.0, 1.0, 0.0, 1.0]


def test_always_saying_even_odds_scores_a_quarter():
    b = scored([0.5] * 4, [1.0, 0.0, 1.0, 0.0], [1.0] * 4, [1.0] * 4)
    assert b.brier("revenue") == pytest.approx(0.25)
    assert b.bias("revenue") == 0


def test_a_seeded_backtest_of_the_sample(sample):
    """Four quarters of weekly forecasts. The 80 % intervals hold about as often as they say;
    the 50 % interval of revenue held 39 of 52 (75 %): two of the four quarters came in near the
    forecasts' middle, and 52 forecasts of four quarters are nearer four outcomes than 52."""
    b = backtest(sample, weeks=52)
    assert len(b.rows("revenue")) == len(b.rows("customers")) == 52
    assert b.skipped == 0
    starts = sorted(set(b.rows("revenue")["start"].dt.strftime("%Y-%m")))
    assert starts == ["2025-10", "2026-01", "2026-04", "2026-07"]
    assert (b.held("revenue", 80), b.held("revenue", 50)) == (46, 39)
    assert (b.held("customers", 80), b.held("customers", 50)) == (44, 27)
    for measure in b.measures:
        assert 0.65 <= b.coverage(measure, 80) <= 0.95
    assert 0.35 <= b.coverage("customers", 50) <= 0.65
    # the goal is the median of what the four quarters won: two above it, two below
    r = b.rows("revenue")
    actual = r.groupby("start")["actual"].first()
    assert (r["goal"] == actual.median()).all()
    assert r.groupby("start")["met"].first().sum() == 2
    assert b.brier("revenue") == pytest.approx(((r["chance"] - r["met"]) ** 2).mean())
    assert b.brier("revenue") < 0.25  # better than saying even odds every time


def test_given_goals_score_their_periods_and_only_those(sample):
    # 16 Mondays reach back into Q2 2026; with goals given for Q3 only, Q2 is not scored
    start = pd.Timestamp("2026-07-01")
    everything = backtest(sample, weeks=16, trials=500).rows("revenue")
    assert set(everything["start"]) == {pd.Timestamp("2026-04-01"), start}
    b = backtest(sample, weeks=16, trials=500, goals={("revenue", start): 1.0})
    r = b.rows("revenue")
    assert set(r["start"]) == {start}
    assert len(r) == (everything["start"] == start).sum()
    assert (r["goal"] == 1.0).all()
    assert (r["met"] == 1.0).all()


def test_past_periods_start_after_the_first_lead_s_and_end_before_the_as_of_day(sample):
    # the sample's first lead is from May 2025 (Q2), its as-of day 31 Oct 2026 (in Q4)
    assert period_starts(sample, 3, pd.Period("2026-01", "M")) == [
        pd.Timestamp(d)
        for d in ("2025-07-01", "2025-10-01", "2026-01-01", "2026-04-01", "2026-07-01")
    ]
    # half years: H2 2025 and H1 2026 have ended; H2 2026 has not
    assert period_starts(sample, 6, pd.Period("2026-01", "M")) == [
        pd.Timestamp("2025-07-01"),
        pd.Timestamp("2026-01-01"),
    ]


def test_without_amounts_only_customers_are_backtested(sample):
    table = dataclasses.replace(sample, leads=sample.leads.drop(columns="amount"))
    b = backtest(table, weeks=8, trials=500)
    assert b.measures == ("customers",)
    assert set(b.forecasts["measure"]) == {"customers"}


def test_too_short_a_history_is_named(sample):
    short = known_on(sample, "2025-08-20")
    with pytest.raises(InputError) as err:
        backtest(short, trials=200)
    assert str(err.value) == (
        f"{sample.source} has too little history to backtest the forecast on: 0 weekly "
        "forecasts of periods that have ended could be made, and 8 or more are needed"
    )


@pytest.mark.parametrize("workers", [2, 3])
def test_forecasts_made_at_once_are_those_made_one_at_a_time(sample, monkeypatch, workers):
    """Days are forecast on several threads; the forecasts made and the days skipped are those
    of one at a time. Known on 15 Dec 2025, 14 weekly forecasts are asked for: 13 can be made,
    and the 9 earliest of the 28 Mondays tried have too little history before them."""
    short = known_on(sample, "2025-12-15")
    days = period_starts(sample, 3, pd.Period("2026-01", "M"))

    def both() -> tuple[Backtest, Backtest]:
        weekly = backtest(short, weeks=14, trials=300, least=1)
        return weekly, backtest(sample, days=days, trials=300, least=1)

    monkeypatch.setattr(backtest_module, "WORKERS", 1)
    alone = both()
    assert (alone[0].skipped, len(alone[0].rows("revenue"))) == (9, 13)
    assert len(alone[1].rows("revenue")) == len(days)
    monkeypatch.setattr(backtest_module, "WORKERS", workers)
    for at_once, one_at_a_time in zip(both(), alone, strict=True):
        pd.testing.assert_frame_equal(at_once.forecasts, one_at_a_time.forecasts)
        assert at_once.skipped == one_at_a_time.skipped


@pytest.mark.realdata
@pytest.mark.slow
def test_the_intervals_hold_as_often_as_they_say_on_maven_crm():
    """Weekly forecasts of 2017 Q2 and Q3 on the Maven CRM opportunities, each from what the
    export knew that Monday: the revenue intervals hold about as often as stated (with only
    parameter uncertainty, 6 of 26 80 % intervals held)."""
    table = read_export(REAL / "maven-crm" / "sales_pipeline.csv", str(MAVEN_ENGAGING))
    b = backtest(table)
    r = b.rows("revenue")
    assert len(r) == 26
    assert r["as_of"].min() == pd.Timestamp("2017-04-03")
    assert r["as_of"].max() == pd.Timestamp("2017-09-25")
    assert 0.65 <= b.coverage("revenue", 80) <= 0.95
    assert 0.35 <= b.coverage("revenue", 50) <= 0.65
    assert np.isfinite(b.brier("revenue"))


@pytest.mark.realdata
def test_an_export_without_dates_cannot_be_backtested_and_says_so():
    """X Education's leads carry no dates: no past day can be told apart, so no forecast of
    a past period can be made."""
    table = read_export(
        REAL / "x-education" / "Leads.csv", str(ROOT / "params" / "mappings" / "x-education.yaml")
    ).taken_on(pd.Timestamp("2020-06-30").date())
    with pytest.raises(InputError) as err:
        backtest(table, trials=200)
    assert "has too little history to backtest the forecast on: 0 weekly forecasts" in str(
        err.value
    )


def test_a_large_funnel_is_backtested_on_fewer_trials(sample):
    full = backtest(sample, weeks=8, trials=2_000)
    assert (full.forecasts["trials"] == 2_000).all()
    lean = backtest(sample, weeks=8, trials=2_000, budget=20_000)
    assert (lean.forecasts["trials"] < 2_000).all()
    assert (lean.forecasts["trials"] >= 1_000).all()


def test_forecasts_of_nothing_are_not_scored(sample):
    """An export taken long after its last lead, with no lead left open: the Mondays after its
    leads stopped foresee nothing (no pipeline, no run rate of new leads), which would hold
    whatever an empty export did. They are not scored, so there is no track record to give."""
    outcome = sample.leads["outcome"]
    closed = sample.leads.assign(outcome=outcome.where(outcome != "open", "lost"))
    on_time = dataclasses.replace(sample, leads=closed)
    assert len(backtest(on_time, months=3, weeks=8, trials=1_000).rows("revenue")) == 8
    late = dataclasses.replace(on_time, taken_at=pd.Timestamp("2027-12-20 23:59"))
    with pytest.raises(InputError) as err:
        backtest(late, months=3, weeks=8, trials=1_000)
    assert "0 weekly forecasts of periods that have ended could be made" in str(err.value)
