"""Funnels per segment: the counts equal an independent pandas count on the X Education
leads by source; pooled rates move towards the overall rate as a segment shrinks; and the
segments' plans in history's mix roll up to the plan on their blended funnel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import REAL, ROOT
from hypothesis import given
from hypothesis import strategies as st

from funnelkit import read_export
from funnelkit.actuals.segments import SegmentFunnels, segment_funnels
from funnelkit.core.exceptions import InputError
from funnelkit.plan.channels import Channel, blended
from funnelkit.plan.funnel import Funnel
from funnelkit.plan.mix import shares_mix
from funnelkit.plan.targets import reverse_plan


@pytest.mark.realdata
def test_x_education_by_source_equals_a_count_of_the_raw_csv():
    table = read_export(
        REAL / "x-education" / "Leads.csv", ROOT / "params" / "mappings" / "x-education.yaml"
    )
    found = segment_funnels(table, "source")
    raw = pd.read_csv(REAL / "x-education" / "Leads.csv")
    raw = raw[raw["Lead Source"].notna() & (raw["Lead Source"].str.strip() != "Select")]
    counted = raw.groupby(raw["Lead Source"].str.strip())["Converted"].agg(["sum", "count"])
    assert found.segments == tuple(sorted(counted.index))
    assert found.leads.tolist() == counted["count"].tolist()
    assert found.entered[:, 0].tolist() == counted["count"].tolist()  # undated: every lead
    assert found.converted[:, 0].tolist() == counted["sum"].tolist()
    own = counted["sum"] / counted["count"]
    assert found.own_rates[:, 0] == pytest.approx(own.to_numpy())
    overall = counted["sum"].sum() / counted["count"].sum()
    assert found.overall[0] == pytest.approx(overall)
    google = found.segments.index("Google")  # 2,868 leads: its own rate, nearly
    assert found.rates[google, 0] == pytest.approx(own["Google"], abs=0.002)
    small = int(np.argmin(found.leads))  # a handful of leads: nearly the overall rate
    assert abs(found.rates[small, 0] - overall) < abs(found.own_rates[small, 0] - overall)


@pytest.fixture(scope="module")
def sample_table():
    return read_export(ROOT / "data" / "sample" / "hubspot-contacts.csv")


def test_the_sample_by_source(sample_table):
    found = segment_funnels(sample_table, "source")
    assert len(found.segments) == 7
    assert found.mix.sum() == pytest.approx(1)
    assert (found.effective_leads == found.entered + 20).all()
    low = np.minimum(found.own_rates, found.overall)
    high = np.maximum(found.own_rates, found.overall)
    assert ((found.rates >= low - 1e-12) & (found.rates <= high + 1e-12)).all()
    referrals, social = found.segments.index("Referrals"), found.segments.index("Paid Social")
    assert found.rates[referrals, 0] > found.overall[0] > found.rates[social, 0]  # as generated
    frame = found.frame()
    assert list(frame.columns[:3]) == ["source", "leads", "share"]
    raw = sample_table.leads  # each segment's own median days, by hand for one step
    referral = raw["source"] == "Referrals"
    took = (raw["mql_at"] - raw["lead_at"])[referral & (raw["mql_at"] >= raw["lead_at"])]
    assert found.days[referrals, 0] == pytest.approx(took.dt.total_seconds().median() / 86400)
    with pytest.raises(InputError, match="'by' must be a column of"):
        segment_funnels(sample_table, "region")


@given(
    k=st.integers(0, 50), n=st.integers(1, 50), p=st.floats(0.01, 0.99), scale=st.integers(2, 20)
)
def test_pooled_rates_move_towards_the_overall_rate_as_a_segment_shrinks(k, n, p, scale):
    k = min(k, n)

    def pooled(times: int) -> float:
        f = SegmentFunnels(
            "source", ("s",), ("lead→won",), np.array([[k * times]]), np.array([[n * times]]),
            np.array([p]), np.array([n * times]), np.array([0]), np.array([0.0]),
            np.array([[np.nan]]),
        )  # fmt: skip
        return float(f.rates[0, 0])

    assert abs(pooled(1) - p) <= abs(pooled(scale) - p) + 1e-12  # smaller: nearer the overall
    assert abs(pooled(scale) - k / n) <= abs(pooled(1) - k / n) + 1e-12  # larger: nearer its own


channel = st.builds(
    Channel,
    name=st.just("c"),
    rates=st.tuples(st.floats(0.05, 1), st.floats(0.05, 1), st.floats(0.05, 1)),
    deal_size=st.floats(100, 1e5),
    cost_per_lead=st.floats(0, 100),
)


@given(st.lists(channel, min_size=1, max_size=6), st.data())
def test_segment_plans_in_history_s_mix_roll_up_to_the_blended_plan(channels, data):
    weights = np.array(
        data.draw(st.lists(st.floats(0.01, 1), min_size=len(channels), max_size=len(channels)))
    )
    shares = weights / weights.sum()
    goal = 1_000_000.0
    split = shares_mix(channels, ("2027-01",), np.array([goal]), shares)
    rates, deal = blended(channels, shares)
    combined = reverse_plan(goal, 1.0, deal, Funnel(("a", "b", "c", "d"), rates, (1, 1, 1)))
    assert split.stage_volumes.sum(axis=0) == pytest.approx(combined.volumes, rel=1e-9)
    assert split.revenue.sum() == pytest.approx(goal, rel=1e-9)
