"""Pipeline coverage, defined once: open deals counted in the period they are expected to
close in (checked deal by deal with plain pandas), what is left of the goal, the ratio needed
at the plan's win rate, and the parameters' figure as an override that says so."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, SAMPLE

from funnelkit import load_params, read_export
from funnelkit.forecast.coverage import coverage_sentence, expected_close, period_coverage
from funnelkit.forecast.simulation import measure_history
from funnelkit.plan.build import build_plan


@pytest.fixture(scope="module")
def sample():
    return read_export(SAMPLE)


@pytest.fixture(scope="module")
def history(sample):
    return measure_history(sample, sample.as_of.normalize())


def plan_of(name: str, **changes):
    params = load_params(ROOT / "params" / f"{name}.yaml")
    return build_plan(dataclasses.replace(params, **changes))


def test_each_open_deal_closes_after_the_median_of_longer_waits(sample, history):
    as_of = sample.as_of.normalize()
    close, value = expected_close(sample, history, as_of)
    leads = sample.leads
    deals = leads[(leads["outcome"] == "open") & leads["opportunity_at"].notna()]
    deals = deals[deals["won_at"].isna()]
    assert sorted(close.index) == sorted(deals["lead_id"])
    done = leads.dropna(subset=["opportunity_at", "won_at"])
    waits = (done["won_at"] - done["opportunity_at"]).dt.total_seconds() / 86400
    for lead_id, entered in zip(deals["lead_id"], deals["opportunity_at"], strict=True):
        age = (as_of - entered).total_seconds() / 86400
        longer = waits[waits > age]
        if len(longer) == 0:
            assert pd.isna(close[lead_id])  # stalled: older than every deal history closed
        else:
            expected = as_of + pd.to_timedelta(float(np.median(longer)) - age, unit="D")
            assert abs(close[lead_id] - expected) < pd.Timedelta(seconds=1)
    assert value.eq(history.amounts.mean()).all()  # the sample's open deals carry no amount


def test_coverage_of_the_current_quarter_counts_its_deals_against_what_is_left(sample, history):
    plan = plan_of("2026-q4", open_pipeline=None)
    as_of = sample.as_of.normalize()
    c = period_coverage(plan, sample, history, as_of)
    close, value = expected_close(sample, history, as_of)
    inside = (close >= "2026-10-01") & (close <= "2026-12-31")
    assert c.deals == inside.sum() == 52
    assert c.pipeline == pytest.approx(value[inside].sum())
    assert c.remaining == 340_000 - 76_910  # the goal less revenue won in October
    assert c.ratio == pytest.approx(c.pipeline / c.remaining)
    assert c.needed == pytest.approx(1 / plan.win_rate)
    assert c.enough == (c.ratio >= c.needed)
    assert c.deals + c.later + c.stalled == len(close)


def test_a_deal_counts_for_one_period_only(sample, history):
    as_of = sample.as_of.normalize()
    counted = [
        period_coverage(plan_of(name, open_pipeline=None), sample, history, as_of).deals
        for name in ("2026-q4", "example")
    ]
    assert counted == [52, 0]  # every deal is expected in Q4 2026; none is left for Q1 2027
    close, _ = expected_close(sample, history, as_of)
    assert sum(counted) <= close.notna().sum()


def test_the_parameters_figure_overrides_the_export_and_says_so(sample, history):
    plan = plan_of("example")
    c = period_coverage(plan, sample, history, sample.as_of.normalize())
    assert c.pipeline == 820_000
    assert c.remaining == 341_450  # the period has not started: nothing won yet
    assert (
        c.source
        == "the figure typed in the parameters (pipeline.open_value), not measured on the export"
    )
    assert coverage_sentence(c, "USD") == (
        "Pipeline coverage: $820,000 of open pipeline is 2.4× the $341,450 left to win; "
        f"3.2× is needed at the plan's {plan.win_rate:.1%} win rate ({plan.win_rate_source}): "
        "not enough. The pipeline is the figure typed in the parameters (pipeline.open_value), not "
        "measured on the export."
    )


def test_no_figure_and_no_export_gives_no_coverage():
    assert period_coverage(plan_of("example", open_pipeline=None), None, None, None) is None
