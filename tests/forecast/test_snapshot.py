"""The forecast's snapshot of a lead table: a past day cut from it holds what the whole lead
table as known that day holds, and the cohorts the forecast's spreads count are the cohort
conversion measure's (computed by the engine, independently)."""

from __future__ import annotations

import contextlib
import dataclasses

import numpy as np
import pandas as pd
import pandas_reference
import pytest
from conftest import REAL, ROOT, SAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st

from funnelkit import InputError, read_export
from funnelkit.actuals.measures import cohort_conversion
from funnelkit.crm.sample import generate_leads, write_csv
from funnelkit.forecast.backtest import has_amounts, known_on
from funnelkit.forecast.simulation import (
    cumulative_won,
    entries_between,
    measure_history,
    open_pipeline,
    run_rate_arrivals,
    won_in,
)
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
            if field.name == "ids" or isinstance(mine, np.ndarray):
                np.testing.assert_array_equal(np.asarray(mine), np.asarray(other), field.name)
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
        for wait in (0.0, 12.5, 45.0, np.nan, np.inf):  # the last two: never mature
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
        if earlier is not None:
            assert set(earlier.ids) <= set(past.ids)
            assert earlier.won.sum() <= past.won.sum()
        earlier = past


def test_the_forecast_s_cohorts_are_the_cohort_conversion_measure_s(sample):
    same_cohorts(sample)
    for day in days_of(sample, 4)[1:]:
        same_cohorts(known_on(sample, day))


def same_as_pandas(table, as_of: pd.Timestamp | None = None) -> None:
    """History, open pipeline, trends, spreads and the counts of won deals, entries and new
    leads as `funnelkit.forecast` computes them from the snapshot, against pandas over the
    whole lead table (`pandas_reference`)."""
    as_of = table.as_of if as_of is None else as_of
    for trend in (True, False):
        ours, theirs = (
            measure_history(table, as_of, trend),
            pandas_reference.history(table, as_of, trend),
        )
        np.testing.assert_array_equal(ours.converted, theirs.converted)
        np.testing.assert_array_equal(ours.exposure, theirs.exposure)
        for mine, other in zip(ours.durations, theirs.durations, strict=True):
            np.testing.assert_array_equal(mine, other)
        np.testing.assert_array_equal(ours.amounts, theirs.amounts)
        if ours.trends.amount:
            np.testing.assert_array_equal(ours.amount_ages, theirs.ages)
        assert ours.trends == theirs.trends
        np.testing.assert_array_equal(ours.spreads.rates, theirs.spreads[0])
        assert (ours.spreads.volume, ours.spreads.amount) == theirs.spreads[1:]
    pipeline = open_pipeline(table, as_of)
    np.testing.assert_array_equal(pipeline.ids, theirs.pipeline_ids)
    np.testing.assert_array_equal(pipeline.stage, theirs.pipeline_stage)
    np.testing.assert_array_equal(pipeline.age_days, theirs.pipeline_age)
    for days in (1, 30, 91):
        first = as_of.normalize() - pd.Timedelta(days=days)
        assert won_in(table, first, as_of) == pandas_reference.won_in(table, first, as_of)
        np.testing.assert_array_equal(
            entries_between(table, first, as_of),
            pandas_reference.entries_between(table, first, as_of),
        )
        rate = run_rate_arrivals(table, as_of, 5, window=days)
        stop = as_of.normalize() + pd.Timedelta(days=1)
        assert rate[0] * days == pytest.approx(
            pandas_reference.created_between(table, stop - pd.Timedelta(days=days), stop)
        )
    first = as_of.normalize() - pd.Timedelta(days=45)
    if "amount" in table.leads:
        pd.testing.assert_series_equal(
            cumulative_won(table, first, as_of.normalize()),
            pandas_reference.cumulative_won(table, first, as_of.normalize()),
            check_freq=False,
            check_index_type=False,
        )


def test_the_forecast_s_inputs_are_those_pandas_computes(sample):
    same_as_pandas(sample)
    for day in days_of(sample, 5)[1:]:
        same_as_pandas(known_on(sample, day))


def test_a_table_without_outcomes_or_amounts(sample):
    unsettled = dataclasses.replace(sample, leads=sample.leads.drop(columns=["outcome"]))
    assert not has_amounts(unsettled)  # amounts, but no deal known to be won
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
    with contextlib.suppress(InputError):  # a small export may have no won deal to time
        same_as_pandas(table)


@pytest.mark.realdata
def test_on_the_maven_crm_opportunities():
    table = read_export(MAVEN, str(MAVEN_ENGAGING))
    whole = snapshot(table)
    for day in days_of(table, 4):
        same_snapshot(whole.on(day), snapshot(known_on(table, day)))
    for day in days_of(table, 4)[2:]:  # the first days have no won deal to time a step by
        same_cohorts(known_on(table, day))
        same_as_pandas(known_on(table, day))
    same_cohorts(table)
    same_as_pandas(table)


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


def at_the_edges(table, sparse: bool) -> tuple[object, pd.Timestamp]:
    """A HubSpot export's lead table made to sit on every boundary the forecast's inputs draw, and the as-of time
    (a won deal's own time) to read it at: deals growing 8 % a month (a trend in deal size),
    lost leads with a won time, and leads created, entering a stage or won exactly at midnight
    on the days the counts start and stop; `sparse`: with a month of only 3 deals (too few to
    count in a trend, so there is none)."""
    leads = table.leads.copy()
    won_at = leads["won_at"]
    won = np.flatnonzero((leads["outcome"] == "won").to_numpy())
    won = won[np.argsort(won_at.iloc[won].to_numpy(), kind="stable")]  # the earliest first
    months = (won_at.dt.year - 2025) * 12 + won_at.dt.month
    leads["amount"] = leads["amount"] * np.exp(0.08 * months.fillna(0))
    as_of = won_at.iloc[won[-8]]
    current = pd.Period(as_of, "M")
    if sparse:
        month = (won_at.dt.to_period("M") == current - 4).to_numpy()
        leads.loc[month & (np.cumsum(month) > 3), "amount"] = np.nan
    leads.loc[leads.index[won[-20:-15]], "outcome"] = "lost"  # in the days counted
    stop = as_of.normalize() + pd.Timedelta(days=1)
    edges = [stop, *(stop - pd.Timedelta(days=d) for d in (1, 30, 45, 91))]
    edges += [(current - m).start_time for m in (1, 3, 12)]
    rows = leads.index[won[10 : 10 + 2 * len(edges)]]
    for row, edge in zip(rows, edges * 2, strict=True):
        for column in ("lead_at", "mql_at", "won_at"):
            leads.loc[row, column] = edge
    return dataclasses.replace(table, leads=leads), as_of


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    """A generated export of 20,000 leads: enough won deals a month for a trend in deal size."""
    csv = tmp_path_factory.mktemp("large") / "leads.csv"
    write_csv(generate_leads(20_000, 3), csv)
    return read_export(csv)


def test_the_forecast_s_inputs_at_the_edges_are_those_pandas_computes(large):
    table, as_of = at_the_edges(large, sparse=True)
    assert measure_history(table, as_of).trends.amount == 0
    same_as_pandas(table, as_of)
    table, as_of = at_the_edges(large, sparse=False)
    assert measure_history(table, as_of).trends.amount > 0  # so the deals' ages are compared
    same_as_pandas(table, as_of)
    end_of_month = pd.Period(as_of, "M").start_time - pd.Timedelta(1, "ns")
    for wait in (0.0, 1.0):  # cohorts mature exactly at the as-of time
        for k, step in enumerate(["lead→mql", "mql→sql"]):
            when = end_of_month + pd.Timedelta(days=wait)
            month, entered, _ = _cohorts(snapshot(table), k, when, wait)
            theirs = mature_cohorts(table, step, when, wait)
            np.testing.assert_array_equal(entered, theirs["entered"].to_numpy())
            assert len(month) == len(theirs)


def test_a_forecast_from_the_export_s_first_month(sample):
    """Days before any complete month of new leads: no spread in volume can be measured, and
    the forecast is made without one (numpy's 'a cannot be empty' stopped it before)."""
    first = sample.leads["lead_at"].min()
    history = measure_history(sample, first + pd.Timedelta(days=3))
    assert history.spreads.volume == 0.0
    assert measure_history(sample, first - pd.Timedelta(days=3)).spreads.volume == 0.0


def test_a_time_with_a_zone_is_refused(sample):
    with pytest.raises(InputError, match="a time without a zone is needed"):
        won_in(sample, pd.Timestamp("2026-01-01", tz="UTC"), pd.Timestamp("2026-03-31"))
