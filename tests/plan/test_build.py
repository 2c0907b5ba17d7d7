"""A whole plan from parameters: its parts agree with each other and with the formulas."""

import numpy as np
import pytest

from funnelkit import build_plan, load_params, params_from_dict, pipeline_needed, reverse_plan
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
    assert plan.win_rate_source == "the funnel's opportunity→won rate"
    assert plan.pipeline_needed == pytest.approx(
        pipeline_needed(plan.params.revenue_goal, plan.win_rate)
    )
    assert (
        plan.params.open_pipeline == 900_000
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
