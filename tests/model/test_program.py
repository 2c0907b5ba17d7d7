"""The program plan of a plan: each team's part of the goal by channel and lead month, the
mix the parameters ask for, the budget's answer, and every bad program section named in the
parameters' words."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT

from funnelkit.core.exceptions import ParamsError
from funnelkit.model.loader import load_plan_data
from funnelkit.plan.mix import budget_frontier, shares_mix

EXAMPLE = ROOT / "params" / "example.yaml"


@pytest.fixture(scope="module")
def example():
    return load_plan_data(EXAMPLE)


def test_each_team_s_part_is_brought_by_its_channels_in_the_plan_s_lead_months(example):
    pp, plan = example.program, example.plan
    p = plan.params
    marketing, sales = pp.teams["marketing"], pp.teams["sales"]
    assert marketing.revenue + sales.revenue == pytest.approx(p.revenue_goal)
    assert marketing.revenue == pytest.approx(plan.targets.marketing_revenue_goal)
    first = plan.monthly.volumes[:, 0]
    for team in (marketing, sales):
        assert team.need == pytest.approx(team.revenue * first / first.sum())  # the lags' months
        assert (team.plan.revenue_by_month >= team.need * (1 - 1e-9)).all()
        assert team.plan.breaches() == []
    # sales has no minimum: its leads bring its part exactly; marketing's minimum of 20 Paid
    # Search leads a month buys more than the need in the months after the period's lead-in
    assert sales.plan.revenue.sum() == pytest.approx(sales.revenue)
    paid = [c.name for c in marketing.plan.channels].index("Paid Search")
    over = marketing.plan.revenue_by_month - marketing.need
    assert over == pytest.approx(
        np.maximum(20 * marketing.plan.channels[paid].revenue_per_lead - marketing.need, 0),
        abs=1e-6,
    )
    # the funnel takes 58 days from lead to customer: January's deals need November's leads
    assert pp.months[0] == "2026-11"
    assert marketing.need[0] > 0
    mapping = example.table.mapping.marketing_sources
    assert all(c.name in mapping for c in marketing.plan.channels)
    assert [c.name for c in sales.plan.channels] == ["Offline Sources"]


def test_the_least_cost_mix_keeps_the_minimum_and_costs_less_than_history_s(example):
    pp = example.program
    team = pp.teams["marketing"]
    channels = list(team.plan.channels)
    paid = [c.name for c in channels].index("Paid Search")
    assert (team.plan.leads[paid] >= 20 - 1e-9).all()  # minimums: {Paid Search: 20}
    index = {s: i for i, s in enumerate(pp.funnels.segments)}
    weights = np.array([pp.funnels.leads[index[c.name]] for c in channels])
    usual = shares_mix(channels, pp.months, team.need, weights / weights.sum())
    assert team.plan.spend.sum() < usual.spend.sum()
    assert any("below its minimum of 20 a month" in b for b in usual.breaches())


def test_the_budget_s_answer_is_the_most_revenue_it_buys(example):
    pp = example.program
    channels = list(pp.teams["marketing"].plan.channels)
    again = budget_frontier(channels, np.array([30_000.0]), len(pp.months))
    assert pp.budget.revenue[0] == pytest.approx(again.revenue[0])
    assert pp.budget.revenue[0] >= pp.teams["marketing"].revenue  # 30,000 covers the plan
    payback = pp.payback(pp.teams["marketing"].plan)
    cac = pp.teams["marketing"].plan.cac
    assert payback == pytest.approx(cac / (1250 * 0.7), nan_ok=True)


def with_program(tmp_path, **program) -> object:
    raw = yaml.safe_load(EXAMPLE.read_text())
    raw["program"] = {"costs": str(ROOT / "data" / "sample" / "costs.csv"), **program}
    for key in ("goals", "definitions", "previous_plan"):
        raw.pop(key)
    raw["actuals"]["export"] = str(ROOT / "data" / "sample" / "hubspot-contacts.csv")
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


@pytest.mark.parametrize(
    ("program", "message"),
    [
        (
            {"minimums": {"TV": 5}},
            "program: 'TV' is not a channel of the leads' 'source'; the channels are "
            "'Direct Traffic', 'Email Marketing', 'Offline Sources', 'Organic Search', "
            "'Paid Search', 'Paid Social', 'Referrals'",
        ),
        (
            {"minimums": {"Referrals": 500}},
            "program: 'minimums.Referrals' must be at most the channel's capacity of 52 leads a "
            "month (2 × its best month; got 500)",
        ),
        (
            {"capacity_multiple": 0.01, "mix": "least-cost"},
            "program: The leads of 2026-11 must bring 74,943 of revenue, but every channel at "
            "its capacity brings",
        ),
        ({"by": "region"}, "program: 'by' must be a column of"),
        (
            {"minimums": {"Referrals": 5}, "costs": "no-referrals.csv"},
            "program: 'Referrals' has no spend in the costs file in a month with its leads, so a "
            "minimum or a share cannot apply; the priced channels are",
        ),
    ],
)
def test_a_program_that_cannot_be_planned_is_named(tmp_path, program, message):
    spend = pd.read_csv(ROOT / "data" / "sample" / "costs.csv")
    spend[spend["channel"] != "Referrals"].to_csv(tmp_path / "no-referrals.csv", index=False)
    if program.get("costs") == "no-referrals.csv":
        program = {**program, "costs": str(tmp_path / "no-referrals.csv")}
    with pytest.raises(ParamsError) as err:
        load_plan_data(with_program(tmp_path, **program))
    assert str(err.value).startswith(f"{tmp_path / 'plan.yaml'}: {message}")


@pytest.mark.parametrize(
    ("program", "message"),
    [
        ({"mix": "cheapest"}, "program: 'mix' must be one of"),
        ({"mix": {"Referrals": 0.5}}, "program: 'mix' must give each channel a share"),
        ({"gross_margin": 0.5}, "program: 'gross_margin' and 'monthly_revenue' must be given"),
        ({"budget": -5}, "program: 'budget' must be"),
        ({"costs": "nowhere.csv"}, "program: 'costs' names a file that does not exist"),
        ({"minimums": [1, 2]}, "program: 'minimums' must map channels to leads a month"),
    ],
)
def test_a_bad_program_section_is_named(tmp_path, program, message):
    with pytest.raises(ParamsError) as err:
        load_plan_data(with_program(tmp_path, **program))
    assert message in str(err.value)


def test_a_program_needs_the_leads_history(tmp_path):
    path = with_program(tmp_path)
    raw = yaml.safe_load(path.read_text())
    raw.pop("actuals")
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ParamsError, match="program: 'actuals' must name the leads' export"):
        load_plan_data(path)


def test_channels_can_be_looked_up_in_another_file(tmp_path):
    groups = tmp_path / "groups.csv"
    groups.write_text(
        "source,group\nPaid Search,Paid\nPaid Social,Paid\nOrganic Search,Organic\n"
        "Direct Traffic,Organic\nEmail Marketing,Organic\nReferrals,Organic\n"
        "Offline Sources,Events\n"
    )
    spend = pd.read_csv(ROOT / "data" / "sample" / "costs.csv")
    spend["channel"] = spend["channel"].map(
        dict(pd.read_csv(groups).itertuples(index=False, name=None))
    )
    costs = tmp_path / "group-costs.csv"
    spend.groupby(["month", "channel"], as_index=False)["spend"].sum().to_csv(costs, index=False)
    path = with_program(
        tmp_path,
        costs=str(costs),
        by="group",
        lookup={"file": str(groups), "from": "source", "key": "source", "value": "group"},
    )
    # none of the groups is among the mapping's marketing sources: marketing's part would
    # have no channel, so the plan asks which are marketing's
    with pytest.raises(ParamsError, match="list marketing's channels in 'marketing_channels'"):
        load_plan_data(path)
    raw = yaml.safe_load(path.read_text())
    raw["program"]["marketing_channels"] = ["Paid", "Organic"]
    path.write_text(yaml.safe_dump(raw))
    listed = load_plan_data(path).program
    assert listed.funnels.segments == ("Events", "Organic", "Paid")
    paid = listed.measured.frame.set_index("channel").loc["Paid"]
    assert paid["spend"] == pytest.approx(spend.loc[spend["channel"] == "Paid", "spend"].sum())
    assert [c.name for c in listed.teams["marketing"].plan.channels] == ["Organic", "Paid"]
    assert [c.name for c in listed.teams["sales"].plan.channels] == ["Events"]
    raw["program"]["marketing_channels"] = ["Paid", "TV"]
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ParamsError, match="'TV' is not a channel of the leads' 'group'"):
        load_plan_data(path)
