"""The forecast's snapshot of a lead table: a past day cut from it holds what the whole lead
table as known that day holds, and the cohorts the forecast's spreads count are the cohort
conversion measure's (computed by the engine, independently)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from conftest import REAL, ROOT, SAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st

from funnelkit import read_export
from funnelkit.actuals.measures import cohort_conversion
from funnelkit.crm.sample import generate_leads, write_csv
from funnelkit.forecast.backtest import has_amounts, known_on
from funnelkit.forecast.simulation import measure_history, open_pipeline
from funnelkit.forecast.snapshot import Snapshot, snapshot
from funnelkit.forecast.spreads import _cohorts

MAVEN = REAL / "maven-crm" / "sales_pipeline.csv"
MAVEN_ENGAGING = ROOT / "params" / "mappings" / "maven-crm-engaging.yaml"


@pytest.fixture(scope="module")
def sample():
    return read_export(SAMPLE)


def same_snapshot(ours: Snapshot, theirs: Snapshot) -> None:
    for field in dataclasses.fields(Snapshot):
        if field.name != "hashes":
            mine, other = getattr(ours, field.name), getattr(theirs, field.name)
            if isinstance(mine, np.ndarray):
                np.testing.assert_array_equal(mine, other, err_msg=field.name)
            else:
                assert mine == other, field.name


def days_of(table, count: int = 6) -> list[pd.Timestamp]:
    """`count` days from a little after the table's first lead to its as-of day."""
    created = table.leads[table.stage_columns[0]].dropna()
    return list(pd.date_range(created.min() + pd.Timedelta(days=20), table.as_of, periods=count))


def mature_cohorts(table, step: str, as_of: pd.Timestamp, wait: float) -> pd.DataFrame:
    """The cohort conversion measure's mature cohorts of `step`, on the engine."""
    out = cohort_conversion(table, "month", as_of=as_of, maturity={step: wait})
    out = out[(out["step"] == step) & out["mature"]]
    return out.assign(month=out["period"].dt.start_time.dt.to_period("M"))


def same_cohorts(table) -> None:
    s = snapshot(table)
    steps = [f"{a}→{b}" for a, b in zip(table.stages, table.stages[1:], strict=False)]
    for k, step in enumerate(steps):
        for wait in (0.0, 12.5, 45.0):
            month, entered, converted = _cohorts(s, k, table.as_of, wait)
            theirs = mature_cohorts(table, step, table.as_of, wait)
            assert [str(m) for m in month.astype("datetime64[M]")] == [
                str(p.start_time.date())[:7] for p in theirs["month"]
            ]
            np.testing.assert_array_equal(entered, theirs["entered"].to_numpy())
            np.testing.assert_array_equal(converted, theirs["converted"].to_numpy())


def test_a_past_day_cut_from_the_snapshot_is_the_table_as_known_that_day(sample):
    whole = snapshot(sample).with_hashes()
    for day in days_of(sample):
        past = whole.on(day)
        same_snapshot(past, snapshot(known_on(sample, day)))
        np.testing.assert_array_equal(past.hashes, whole.hashes[np.isin(whole.ids, past.ids)])


def test_a_past_day_holds_nothing_after_it_and_grows_with_the_day(sample):
    whole = snapshot(sample)
    earlier = None
    for day in days_of(sample, 10):
        past = whole.on(day)
        end = np.datetime64(day.normalize() + pd.Timedelta(days=1))
        assert not (past.times >= end).any()
        assert past.as_of == day.normalize() + pd.Timedelta(days=1, seconds=-1)
        assert (past.reached[:, :-1] >= past.reached[:, 1:]).all()  # reached is monotone
        assert (past.won == ~past.open).all()
        assert np.isnan(past.amount[~past.won]).all()
        if earlier is not None:
            assert set(earlier.ids) <= set(past.ids)
            assert earlier.won.sum() <= past.won.sum()
        earlier = past


def test_the_forecast_s_cohorts_are_the_cohort_conversion_measure_s(sample):
    same_cohorts(sample)
    for day in days_of(sample, 4)[1:]:
        same_cohorts(known_on(sample, day))


def test_a_snapshot_or_its_lead_table_give_the_same_history_and_pipeline(sample):
    day = days_of(sample)[-2]
    table, cut = known_on(sample, day), snapshot(sample).on(day)
    ours, theirs = measure_history(cut), measure_history(table)
    for field in dataclasses.fields(ours):
        mine, other = getattr(ours, field.name), getattr(theirs, field.name)
        if isinstance(mine, tuple):
            for a, b in zip(mine, other, strict=True):
                np.testing.assert_array_equal(a, b)
        elif isinstance(mine, np.ndarray):
            np.testing.assert_array_equal(mine, other)
        elif field.name == "spreads":
            np.testing.assert_array_equal(mine.rates, other.rates)
            assert (mine.volume, mine.amount) == (other.volume, other.amount)
        else:
            assert mine == other
    np.testing.assert_array_equal(open_pipeline(cut).ids, open_pipeline(table).ids)
    np.testing.assert_array_equal(open_pipeline(cut).age_days, open_pipeline(table).age_days)


def test_a_table_without_outcomes_or_amounts(sample):
    bare = dataclasses.replace(sample, leads=sample.leads.drop(columns=["outcome", "amount"]))
    s = snapshot(bare)
    assert not s.outcomes
    assert s.amount is None
    assert not has_amounts(bare)
    np.testing.assert_array_equal(s.won, bare.reached()[bare.stages[-1]].to_numpy())
    assert s.open.all()
    past = s.counted().on(days_of(sample)[-1])
    assert (past.amount[past.won] == 1.0).all()
    assert np.isnan(past.amount[~past.won]).all()


@settings(max_examples=6, deadline=None)
@given(leads=st.integers(200, 1500), seed=st.integers(0, 10_000))
def test_any_generated_export_with_faults(tmp_path_factory, leads, seed):
    """Exports with missing, out-of-order and unparsable times: every past day cut from the
    snapshot is the lead table as known that day, and the cohorts are the measure's."""
    csv = tmp_path_factory.mktemp("generated") / "leads.csv"
    write_csv(generate_leads(leads, seed, faults=True), csv)
    table = read_export(csv)
    whole = snapshot(table)
    for day in days_of(table, 3):
        same_snapshot(whole.on(day), snapshot(known_on(table, day)))
    same_cohorts(table)


@pytest.mark.realdata
def test_on_the_maven_crm_opportunities():
    table = read_export(MAVEN, str(MAVEN_ENGAGING))
    whole = snapshot(table)
    for day in days_of(table, 4):
        same_snapshot(whole.on(day), snapshot(known_on(table, day)))
    for day in days_of(table, 4)[2:]:  # the first days have no won deal to time a step by
        same_cohorts(known_on(table, day))
    same_cohorts(table)


def test_times_are_compared_to_the_nanosecond(sample):
    """A lead created a nanosecond after the as-of time has not entered the funnel yet; one
    created at the as-of time has (history's exposure, computed here with pandas)."""
    as_of = pd.Timestamp("2026-06-30 12:00:00.000000001")
    leads = sample.leads.astype({"lead_at": "datetime64[ns]"})
    went_on = np.flatnonzero(sample.reached()["mql"].to_numpy())[:2]  # leads that became MQLs
    leads.loc[leads.index[went_on[0]], "lead_at"] = as_of + pd.Timedelta(1, "ns")
    leads.loc[leads.index[went_on[1]], "lead_at"] = as_of
    table = dataclasses.replace(sample, leads=leads)
    history = measure_history(table, as_of, trend=False)
    entered = leads["lead_at"]
    dated = entered <= as_of
    assert not dated.iloc[went_on[0]]
    assert dated.iloc[went_on[1]]
    waited = (as_of - entered[dated]).dt.total_seconds() / 86400
    days = history.durations[0]
    exposure = (np.searchsorted(days, waited, side="right") / len(days)).sum()
    assert history.exposure[0] == exposure
    assert history.converted[0] == table.reached().loc[dated, "mql"].sum()
