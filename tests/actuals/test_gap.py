"""The gap's drivers measured on the export: they rebuild revenue planned and won exactly, their
parts add up to the gap for any plan and day, each is what an independent count of the raw
table gives, and a driver brought to its planned value contributes nothing."""

from __future__ import annotations

import dataclasses
import functools
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from funnelkit import Funnel, build_plan, load_params, read_export
from funnelkit.actuals.gap import (
    DEAL_SIZE,
    FOLLOW_UP,
    LEADS,
    MIX,
    SALES_SOURCED,
    TIMING,
    gap_drivers,
)
from funnelkit.actuals.measures import maturity_days
from funnelkit.actuals.review import plan_vs_actuals, planned_to_date
from funnelkit.actuals.segments import segment_funnels
from funnelkit.core.exceptions import InputError
from funnelkit.crm.sample import generate_leads, write_csv
from funnelkit.model.loader import load_plan_data
from funnelkit.plan.bridge import had

PLANS = ("2026-q3", "2026-q4", "example")


@pytest.fixture(scope="module")
def q4():
    return load_plan_data(ROOT / "params" / "2026-q4.yaml")


def _windows(data):
    """Every (plan, months) a report can bridge: each plan and previous plan's whole period
    and each of its months that has begun by the export's as-of day."""
    for plan in (data.plan, data.previous):
        if plan is None:
            continue
        start = pd.Timestamp(plan.params.start)
        begun = [
            i
            for i in range(plan.params.months)
            if start + pd.DateOffset(months=i) <= data.table.as_of
        ]
        if begun:
            yield plan, None
            for i in begun:
                yield plan, (i, i + 1)


@pytest.mark.parametrize("name", PLANS)
def test_the_parts_add_up_to_the_gap_on_every_bundled_plan(name):
    data = load_plan_data(ROOT / "params" / f"{name}.yaml")
    windows = list(_windows(data))
    assert windows or name == "2026-q3"  # the Q3 plan has no previous plan and began earlier
    for plan, months in windows:
        g = gap_drivers(plan, data.table, months)
        revenue, customers = g.revenue(), g.customers()
        # rebuilt exactly: planned and won from the drivers' products
        assert revenue.planned == pytest.approx(g.planned_revenue, rel=1e-12)
        assert revenue.actual == pytest.approx(g.actual_revenue, rel=1e-12)
        assert customers.planned == pytest.approx(g.planned_customers, rel=1e-12)
        assert customers.actual == pytest.approx(g.actual_customers, rel=1e-12)
        assert revenue.contributions.sum() == pytest.approx(revenue.gap, abs=1e-6)
        assert customers.contributions.sum() == pytest.approx(customers.gap, abs=1e-9)


def test_planned_and_won_are_the_review_s_figures(q4):
    # the previous plan's whole period to the as-of day: the review's table says the same
    prev, table = q4.previous, q4.table
    g = gap_drivers(prev, table)
    frame = plan_vs_actuals(prev, table).set_index("line")
    assert g.planned_revenue == pytest.approx(frame.loc["revenue", "planned"])
    assert g.actual_revenue == frame.loc["revenue", "actual"]
    # the review's stages count marketing's leads, as the bridge's leads do; its customers
    # are the bridge's from every source less sales' own
    assert g.actual_customers - g.sales_customers.actual == frame.loc["won", "actual"]
    assert {x.name: x for x in g.drivers}[LEADS].actual == frame.loc["lead", "actual"]
    # the month's planned revenue: the plan to the month's end less the plan to its start
    g = gap_drivers(q4.plan, table, (0, 1))
    assert g.planned_revenue == pytest.approx(planned_to_date(q4.plan, "2026-10-31")[1])


def test_each_driver_is_what_a_count_of_the_raw_table_gives(q4):
    prev, table = q4.previous, q4.table
    leads, p = table.leads, prev.params
    g = gap_drivers(prev, table)
    d = {x.name: x for x in g.drivers}
    maturity = maturity_days(table)
    marketing = leads["source"].isin(table.mapping.marketing_sources)
    lead_lag = pd.Timedelta(days=sum(p.funnel.days))
    first, end = pd.Timestamp("2026-07-01"), pd.Timestamp("2026-10-01")
    in_window = (leads["lead_at"] >= first - lead_lag) & (leads["lead_at"] < end - lead_lag)
    assert d[LEADS].actual == (in_window & marketing).sum()
    won = (leads["outcome"] == "won") & (leads["won_at"] >= first) & (leads["won_at"] < end)
    assert d[DEAL_SIZE].actual == pytest.approx(leads.loc[won & marketing, "amount"].mean())
    # sales' own sources: what the others won, against the part of the goal the marketing
    # share leaves them (the plan's Q3 goal $300,000 × (1 − 0.82))
    assert d[SALES_SOURCED].actual == leads.loc[won & ~marketing, "amount"].sum()
    assert d[SALES_SOURCED].planned == pytest.approx(300_000 * (1 - p.marketing_share))
    assert g.sales_customers.actual == (won & ~marketing).sum()
    fast, slow = g.follow_up.rates
    planned_share = d[FOLLOW_UP].planned
    factor = (slow + (fast - slow) * d[FOLLOW_UP].actual) / (slow + (fast - slow) * planned_share)
    # the hand-off step's rate: its ripe entries' share that took it, the plan's rate counted
    # as 5 entries, is the driver times the mix's and follow-up's factors
    lag = pd.Timedelta(days=p.funnel.days_to_last[1])
    mql_in = marketing & (leads["mql_at"] >= first - lag) & (leads["mql_at"] < end - lag)
    ripe = mql_in & (leads["mql_at"] <= table.as_of - pd.Timedelta(days=maturity["mql→sql"]))
    took = (ripe & leads["sql_at"].notna()).sum()
    rate = (took + 5 * p.funnel.conversion_rates[1]) / (ripe.sum() + 5)
    assert d["mql→sql"].actual * factor * mix_factors(prev, table)[1] == pytest.approx(rate)
    # timing: marketing's wins against the leads times the measured rates (mix, follow-up
    # and each step's rest multiplied back together)
    rates = np.prod([x.actual for x in g.drivers if "→" in x.name or x.name == MIX])
    implied = d[LEADS].actual * rates * factor
    assert d[TIMING].actual == pytest.approx((won & marketing).sum() / implied)


def mix_factors(plan, table):
    """Per step, history's pooled source rates in the window's entries' mix against
    history's mix, counted with pandas."""
    funnels = segment_funnels(table, "source")
    leads, p = table.leads, plan.params
    marketing = leads["source"].isin(table.mapping.marketing_sources)
    first = pd.Timestamp(p.start)
    end = min(first + pd.DateOffset(months=p.months), table.as_of + pd.Timedelta(days=1))
    factors = []
    for k, stage in enumerate(p.funnel.stages[:-1]):
        lag = pd.Timedelta(days=p.funnel.days_to_last[k])
        times = leads[f"{stage}_at"]
        inside = marketing & (times >= first - lag) & (times < end - lag)
        counts = leads.loc[inside, "source"].value_counts()
        rate = pd.Series(funnels.rates[:, k], index=funnels.segments)
        entered = pd.Series(funnels.entered[:, k], index=funnels.segments)
        usual = (entered * rate).sum() / entered.sum()
        factors.append((counts * rate.reindex(counts.index)).sum() / counts.sum() / usual)
    return factors


def test_the_mix_is_history_s_rates_in_the_window_s_mix(q4):
    g = gap_drivers(q4.previous, q4.table)
    mix = {x.name: x for x in g.drivers}[MIX]
    assert mix.actual == pytest.approx(np.prod(mix_factors(q4.previous, q4.table)))
    assert mix.planned == 1.0


def test_a_driver_brought_to_plan_contributes_nothing(q4):
    # the window's marketing-sourced deals scaled so that their mean is the plan's deal size
    prev, table = q4.previous, q4.table
    g = gap_drivers(prev, table)
    size = {x.name: x for x in g.drivers}[DEAL_SIZE]
    leads = table.leads
    marketing = leads["source"].isin(table.mapping.marketing_sources)
    won = (leads["outcome"] == "won") & (leads["won_at"] >= "2026-07-01")
    won &= leads["won_at"] < "2026-10-01"
    amount = leads["amount"].where(~(won & marketing), leads["amount"] * size.planned / size.actual)
    scaled = dataclasses.replace(table, leads=leads.assign(amount=amount))
    g2 = gap_drivers(prev, scaled)
    bridge = g2.revenue()
    i = [x.name for x in bridge.drivers].index(DEAL_SIZE)
    assert bridge.drivers[i].actual == pytest.approx(size.planned)
    assert bridge.contributions[i] == pytest.approx(0.0, abs=1e-6)
    # the other drivers kept their values (sales' own sources too: their deals were not scaled)
    before = {x.name: x.actual for x in g.drivers if x.name != DEAL_SIZE}
    after = {x.name: x.actual for x in g2.drivers if x.name != DEAL_SIZE}
    assert after == pytest.approx(before)


def test_had_every_hand_off_been_touched_in_time_follows_history_s_effect(q4):
    g = gap_drivers(q4.previous, q4.table)
    bridge = g.revenue()
    fast, slow = g.follow_up.rates
    everyone = had(bridge, g.revenue_of(), FOLLOW_UP, 1.0)
    assert (everyone > bridge.actual) == (fast > slow)
    d = {x.name: x for x in g.drivers}
    share, others = d[FOLLOW_UP].actual, d[SALES_SOURCED].actual
    # marketing's funnel's revenue scales with the hand-off step's rate, which rises from its
    # factor at `share` to the factor at 1; sales' own sources' revenue stays
    funnel = (bridge.actual - others) * (slow + (fast - slow)) / (slow + (fast - slow) * share)
    assert everyone == pytest.approx(others + funnel)


@settings(max_examples=15, deadline=None)
@given(
    goal=st.floats(100_000, 2_000_000),
    share=st.floats(0.3, 1.0),
    deal=st.floats(2_000, 40_000),
    rates=st.lists(st.floats(0.05, 0.95), min_size=4, max_size=4),
    as_of=st.dates(pd.Timestamp("2026-07-02").date(), pd.Timestamp("2026-10-31").date()),
    months=st.sampled_from([None, (0, 1), (1, 2), (0, 2)]),
)
def test_the_parts_add_up_for_any_plan_and_day(goal, share, deal, rates, as_of, months):
    table = _sample()
    params = load_params(ROOT / "params" / "2026-q3.yaml")
    funnel = Funnel(params.funnel.stages, tuple(rates), params.funnel.days)
    plan = build_plan(
        dataclasses.replace(
            params, revenue_goal=goal, marketing_share=share, deal_size=deal, funnel=funnel
        )
    )
    start = pd.Timestamp("2026-07-01") + pd.DateOffset(months=0 if months is None else months[0])
    if pd.Timestamp(as_of) < start:
        with pytest.raises(InputError, match="the gap to plan needs actuals from"):
            gap_drivers(plan, table, months, as_of)
        return
    g = gap_drivers(plan, table, months, as_of)
    swapped = dataclasses.replace(g, drivers=tuple(reversed(g.drivers)))
    for bridge, again in ((g.revenue(), swapped.revenue()), (g.customers(), swapped.customers())):
        assert bridge.contributions.sum() == pytest.approx(bridge.gap, abs=1e-6 * goal)
        parts = dict(zip([d.name for d in bridge.drivers], bridge.contributions, strict=True))
        reordered = dict(zip([d.name for d in again.drivers], again.contributions, strict=True))
        assert reordered == pytest.approx(parts, abs=1e-9 * goal)
    won = g.actual_revenue
    leads = table.leads
    end = min(pd.Timestamp(as_of) + pd.Timedelta(days=1), pd.Timestamp("2026-10-01"))
    if months is not None:
        end = min(end, pd.Timestamp("2026-07-01") + pd.DateOffset(months=months[1]))
    counted = (leads["outcome"] == "won") & (leads["won_at"] >= start) & (leads["won_at"] < end)
    assert won == pytest.approx(leads.loc[counted, "amount"].sum())


@functools.cache
def _sample():
    return read_export(ROOT / "data" / "sample" / "hubspot-contacts.csv")


def test_months_outside_the_period_are_refused(q4):
    with pytest.raises(InputError, match=r"'months' must be plan months from 0 to 3 \(got 2, 4\)"):
        gap_drivers(q4.plan, q4.table, (2, 4))


@settings(max_examples=8, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1_500, 4_000),
    months=st.sampled_from([None, (0, 1), (2, 3)]),
)
def test_the_parts_add_up_on_generated_actuals(seed, n, months):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generated.csv"
        write_csv(generate_leads(n, seed), path)
        table = read_export(path)
    plan = build_plan(load_params(ROOT / "params" / "2026-q3.yaml"))
    g = gap_drivers(plan, table, months)
    for bridge, won in ((g.revenue(), g.actual_revenue), (g.customers(), g.actual_customers)):
        assert bridge.actual == pytest.approx(won, rel=1e-9, abs=1e-9)
        assert bridge.contributions.sum() == pytest.approx(bridge.gap, abs=1e-6)
    start = pd.Timestamp("2026-07-01") + pd.DateOffset(months=0 if months is None else months[0])
    end = pd.Timestamp("2026-07-01") + pd.DateOffset(months=3 if months is None else months[1])
    end = min(end, table.as_of.normalize() + pd.Timedelta(days=1))
    leads = table.leads
    won = (leads["outcome"] == "won") & (leads["won_at"] >= start) & (leads["won_at"] < end)
    assert g.actual_customers == won.sum()
    assert g.actual_revenue == pytest.approx(leads.loc[won, "amount"].sum())


def test_without_source_values_the_mix_is_left_out_and_said(q4):
    leads = q4.table.leads.assign(
        source=pd.Series(pd.NA, index=q4.table.leads.index, dtype="string")
    )
    g = gap_drivers(q4.previous, dataclasses.replace(q4.table, leads=leads))
    assert MIX not in [d.name for d in g.drivers]
    assert any(n.startswith("mix: 'by': column 'source'") for n in g.notes)
    bridge = g.revenue()
    assert bridge.contributions.sum() == pytest.approx(bridge.gap, abs=1e-6)
    # no lead is marketing-sourced, so all that was won is sales' own sources'
    assert {d.name: d for d in g.drivers}[SALES_SOURCED].actual == g.actual_revenue


def test_no_deal_won_yet_is_said_not_split_into_nans(q4):
    """A young business: leads, MQLs, SQLs and opportunities, but no customer yet. History has
    no rate for the last step, so there is no gap to split, and the report says why."""
    leads = q4.table.leads
    young = dataclasses.replace(
        q4.table,
        leads=leads.assign(
            won_at=pd.NaT,
            outcome=leads["outcome"].where(leads["outcome"] != "won", "open"),
            amount=np.nan,
            stage=leads["stage"].where(leads["stage"] != "won", "opportunity"),
        ),
        taken_at=q4.table.as_of,
    )
    assert not (young.leads["outcome"] == "won").any()
    with pytest.raises(InputError) as err:
        gap_drivers(q4.plan, young, (0, 1))
    assert str(err.value) == (
        f"{young.source}: the gap to plan cannot be split: no lead in the export has taken "
        "opportunity→won yet, so history gives no rate to set against the plan"
    )
