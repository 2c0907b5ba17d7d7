"""Each channel's cost per lead, MQL and customer on the sample, against an independent
count of the raw CSV files, and the plan's channels that follow: the generator's costs per
lead recovered, capacities from the best month, and a least-cost mix cheaper than history's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from funnelkit import read_export
from funnelkit.actuals.channel_costs import channel_costs, history_channels
from funnelkit.actuals.segments import segment_funnels
from funnelkit.core.exceptions import InputError
from funnelkit.crm.costs import read_costs
from funnelkit.crm.sample import COST_PER_LEAD
from funnelkit.plan.mix import least_cost_mix, shares_mix

SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="module")
def measured():
    table = read_export(SAMPLE / "hubspot-contacts.csv")
    costs = channel_costs(table, read_costs(SAMPLE / "costs.csv"))
    return table, costs


def test_costs_per_lead_equal_a_count_of_the_raw_files(measured):
    _, costs = measured
    raw = pd.read_csv(SAMPLE / "hubspot-contacts.csv").drop_duplicates("Record ID")
    raw = raw[raw["Record ID"].notna()]
    month = pd.to_datetime(raw["Create Date"], errors="coerce").dt.to_period("M")
    spend = pd.read_csv(SAMPLE / "costs.csv").groupby("channel")["spend"].sum()
    leads = raw[month.notna()].groupby("Original Source").size()
    frame = costs.frame.set_index("channel")
    assert frame["leads"].to_dict() == leads.to_dict()
    assert frame["spend"].to_numpy() == pytest.approx(spend.loc[frame.index].to_numpy())
    assert frame["cost_per_lead"].to_numpy() == pytest.approx((spend / leads).loc[frame.index])
    assert costs.unmatched == ()
    for channel, cost in COST_PER_LEAD.items():
        # the generator's: each month's spend is off by 10 % (lognormal), so the months' mean
        # is off by about 10 % / √18 = 2.4 %, weighted by leads a little more; 10 % is > 3 sd
        assert frame.loc[channel, "cost_per_lead"] == pytest.approx(cost, rel=0.10)
    assert (frame["cac"] > frame["cost_per_mql"]).all()
    assert (frame["cost_per_mql"] > frame["cost_per_lead"]).all()


def test_channels_from_history_and_the_least_cost_mix(measured):
    table, costs = measured
    funnels = segment_funnels(table, "source")
    channels = history_channels(table, funnels, costs, capacity_multiple=2)
    month = table.leads["lead_at"].dt.to_period("M")
    best = pd.DataFrame({"s": table.leads["source"], "m": month}).value_counts().groupby("s").max()
    assert {c.name: c.capacity for c in channels} == {s: 2.0 * n for s, n in best.items()}
    need = np.full(3, 0.5 * sum(c.capacity * c.revenue_per_lead for c in channels))
    months = ("2027-01", "2027-02", "2027-03")
    cheapest = least_cost_mix(channels, months, need)
    usual = shares_mix(channels, months, need, funnels.mix)
    assert cheapest.revenue.sum() == pytest.approx(usual.revenue.sum())
    assert cheapest.spend.sum() < 0.6 * usual.spend.sum()  # a real trade-off on the sample
    ratio = {c.name: c.cost_per_lead / c.revenue_per_lead for c in channels}
    used = {c.name: lead for c, lead in zip(channels, cheapest.leads[:, 0], strict=True)}
    assert used[max(ratio, key=ratio.get)] == 0  # the dearest revenue is not bought
    assert used[min(ratio, key=ratio.get)] == pytest.approx(
        next(c.capacity for c in channels if c.name == min(ratio, key=ratio.get))
    )


def test_a_channel_s_spend_counts_against_its_leads_in_the_same_months_only(measured, tmp_path):
    table, _ = measured
    spend = pd.read_csv(SAMPLE / "costs.csv")
    one = spend[(spend["channel"] != "Paid Search") | (spend["month"] == "2026-03")]
    extra = pd.DataFrame({"month": ["2031-01"], "channel": ["Referrals"], "spend": [99_999.0]})
    path = tmp_path / "costs.csv"
    pd.concat([one, extra]).to_csv(path, index=False)
    costs = channel_costs(table, read_costs(path))
    frame = costs.frame.set_index("channel")
    month = table.leads["lead_at"].dt.to_period("M")
    paid = ((table.leads["source"] == "Paid Search") & (month == pd.Period("2026-03"))).sum()
    assert frame.loc["Paid Search", "leads"] == paid  # March's leads only, against March's spend
    assert frame.loc["Paid Search", "cost_per_lead"] == pytest.approx(
        one.loc[one["channel"] == "Paid Search", "spend"].sum() / paid
    )
    assert costs.unused == ("Referrals 2031-01",)
    assert costs.notes() == [
        "spend in 1 month without the channel's leads, left out: Referrals 2031-01"
    ]


def test_costs_whose_channels_match_no_lead_are_refused_with_both_lists(measured, tmp_path):
    table, _ = measured
    path = tmp_path / "costs.csv"
    path.write_text("month,channel,spend\n2026-01,paid search,100\n2026-01,Radio,100\n")
    with pytest.raises(InputError) as err:
        channel_costs(table, read_costs(path))
    assert str(err.value) == (
        f"{path}: none of its channels ('Radio', 'paid search') is a value of the leads' "
        "'source' ('Direct Traffic', 'Email Marketing', 'Offline Sources', 'Organic Search', "
        "'Paid Search', 'Paid Social', 'Referrals'); names must match exactly, case included"
    )
