"""A whole plan from parameters: its parts agree with each other and with the formulas."""

import dataclasses

import numpy as np
import pytest

from funnelkit import build_plan, load_params, params_from_dict, pipeline_needed, reverse_plan
from funnelkit.core.exceptions import ParamsError
from funnelkit.present.text_report import plan_text


@pytest.fixture(scope="module")
def plan(request):
    root = request.config.rootpath
    return build_plan(load_params(root / "params" / "example.yaml"))


def test_targets_follow_the_reverse_plan(plan):
    p = plan.params
    expected = reverse_plan(p.revenue_goal, p.marketing_share, p.deal_size, p.funnel)
    np.testing.assert_allclose(plan.targets.volumes, expected.volumes)


def test_phasing_and_sla_add_up_to_the_targets(plan):
    np.testing.assert_allclose(plan.phasing.volumes.sum(axis=0), plan.targets.volumes, rtol=1e-12)
    np.testing.assert_allclose(plan.sla.handoffs.sum(), plan.targets.volume("mql"), rtol=1e-12)
    assert plan.sla.periods == plan.monthly.labels


def test_win_rate_comes_from_the_funnel_unless_given(plan):
    assert plan.win_rate == plan.params.funnel.conversion_rates[-1]
    assert plan.win_rate_source == "the funnel's Opportunity → customer rate"
    assert plan.pipeline_needed == pytest.approx(
        pipeline_needed(plan.params.revenue_goal, plan.win_rate)
    )
    assert (
        plan.params.open_pipeline == 820_000
    )  # its coverage: tests/forecast/test_period_coverage.py


def test_weekly_plans_keep_a_monthly_sla(request):
    import yaml

    raw = yaml.safe_load((request.config.rootpath / "params" / "example.yaml").read_text())
    raw["period"]["granularity"] = "week"
    raw["pipeline"] = {"win_rate": 0.25}
    weekly = build_plan(params_from_dict(raw, folder=request.config.rootpath / "params"))
    assert weekly.phasing.granularity == "week"
    assert weekly.monthly.granularity == "month"
    assert weekly.win_rate == 0.25
    assert weekly.win_rate_source == "the parameters"
    assert weekly.params.open_pipeline is None
    assert "2026-W" in plan_text(weekly)


def test_text_report_has_every_section(plan):
    text = plan_text(plan)
    for heading in (
        "Targets by stage",
        "When each stage's volume must arrive",
        "The SLA",
        "Pipeline:",
        "Sensitivity",
    ):
        assert heading in text


def test_the_next_plan_s_own_lead_in_is_what_this_plan_shows(request):
    """2026-q4 names its next plan (example, 2027-Q1): the lead-in its last months show is the
    next plan's own phasing before its start, month by month and week by week."""
    params = request.config.rootpath / "params"
    q4 = load_params(params / "2026-q4.yaml")
    assert q4.next_plan == params / "example.yaml"
    assert q4.following is not None
    assert q4.following.following is None  # the next plan's own next plan is not read
    plan = build_plan(q4)
    following = build_plan(load_params(params / "example.yaml"))
    assert plan.lead_in_source == "the next plan, Example plan: Q1 2027, all regions"
    assert plan.next_period == "2027-01 to 2027-03"
    before = following.monthly.frame().query("not in_plan")
    for k, label in enumerate(plan.monthly.labels):
        rows = before[before["period"] == label].sort_values(
            "stage", key=lambda s: s.map({st: i for i, st in enumerate(plan.monthly.stages)})
        )
        expected = rows["volume_exact"].to_numpy() if len(rows) else np.zeros(5)
        np.testing.assert_allclose(plan.lead_in_next_monthly[k], expected, rtol=1e-12)
    assert plan.lead_in_next_monthly.sum() > 0
    # the goal differs from this plan's: carrying this plan's forward would show other numbers
    carried = build_plan(dataclasses.replace(q4, following=None))
    assert carried.lead_in_source == "the same goal carried forward"
    assert not np.allclose(carried.lead_in_next_monthly, plan.lead_in_next_monthly)


@pytest.mark.parametrize(
    ("start", "stages", "message"),
    [
        (
            "2027-02",
            None,
            "'next_plan' must start in 2027-01, the month after this plan ends (got 2027-02 in {next})",
        ),
        (
            None,
            ["lead", "won"],
            "'next_plan' must plan this plan's stages (lead, mql, sql, opportunity, won) (got lead, won in {next})",
        ),
    ],
)
def test_a_next_plan_must_follow_on_and_plan_the_same_stages(
    request, tmp_path, start, stages, message
):

    import yaml

    params = request.config.rootpath / "params"
    raw = yaml.safe_load((params / "example.yaml").read_text())
    if start:
        raw["period"]["start"] = start
    if stages:
        raw["funnel"] = [{"stage": "lead", "conversion_rate": 0.1, "days": 30}, {"stage": "won"}]
        raw["sla"]["handoff_stage"] = "lead"
    for key in ("goals", "definitions", "actuals", "previous_plan", "program"):
        raw.pop(key, None)
    (tmp_path / "next.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    q4 = yaml.safe_load((params / "2026-q4.yaml").read_text())
    q4["next_plan"] = "next.yaml"
    q4.pop("previous_plan")
    q4.pop("actuals")
    with pytest.raises(ParamsError) as err:
        params_from_dict(q4, "q4.yaml", folder=tmp_path)
    assert str(err.value) == "q4.yaml: next_plan: " + message.format(next=tmp_path / "next.yaml")
