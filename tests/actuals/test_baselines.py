import dataclasses

import pytest
from conftest import REAL, SAMPLE

from funnelkit import build_plan, load_params, reverse_plan
from funnelkit.actuals.baselines import measure_baselines
from funnelkit.actuals.review import risks
from funnelkit.core.exceptions import InputError
from funnelkit.crm.leads import read_export


def test_deal_size_and_marketing_share_by_hand(tiny_export):
    b = measure_baselines(read_export(tiny_export), days={"lead→mql": 1})
    assert b.deal_size == 15_000  # won leads 1 and 4: 10,000 and 20,000
    assert b.marketing_share == pytest.approx(1 / 3)  # Organic Search 10,000; Offline 20,000
    assert b.sales_cycle_days == (45 + 38) / 2


def test_baselines_are_the_plans_inputs():
    b = measure_baselines(read_export(SAMPLE))
    plan = b.reverse_plan(540_000)
    expected = reverse_plan(540_000, b.marketing_share, b.deal_size, b.funnel)
    assert plan.volumes.tolist() == expected.volumes.tolist()
    assert b.lead_close_rate == pytest.approx(b.funnel.overall_rate)
    assert all(0 < r <= 1 for r in b.funnel.conversion_rates)


def test_rates_use_mature_leads_only():
    t = read_export(SAMPLE)
    b = measure_baselines(t)
    naive = t.reached()["won"].sum() / len(t.leads)  # every lead, recent ones included
    assert b.lead_close_rate > naive


@pytest.mark.realdata
def test_a_step_without_dated_pairs_needs_days(root):
    maven = REAL / "maven-crm" / "sales_pipeline.csv"
    t = read_export(maven, root / "params" / "mappings" / "maven-crm.yaml")
    with pytest.raises(InputError) as err:
        measure_baselines(t)
    assert str(err.value) == (
        "'days' for step 'prospecting→engaging' must be given: the export has no dated pairs "
        "to measure it"
    )
    fallback = measure_baselines(t, fallback_days={"prospecting→engaging": 9, "engaging→won": 1})
    assert fallback.funnel.days[0] == 9  # the export cannot time it: the plan's days
    assert fallback.funnel.days[1] == 57  # measured: the plan's days are only a fallback
    assert "prospecting→engaging: the export cannot time it; days taken from the plan" in (
        fallback.notes
    )
    assert fallback.untimed == ("prospecting→engaging",)
    plan = build_plan(
        dataclasses.replace(
            load_params(root / "params" / "example.yaml"),
            funnel=fallback.funnel,
            sla=dataclasses.replace(
                load_params(root / "params" / "example.yaml").sla, handoff_stage="engaging"
            ),
        )
    )
    row = risks(plan, fallback).set_index("figure").loc["days.prospecting→engaging"]
    assert (row["verdict"], row["sentence"]) == (
        "not measured",
        "Prospecting → engaging days: the plan assumes 9 days; the export cannot time this "
        "step, so history cannot check it",
    )
    b = measure_baselines(t, days={"prospecting→engaging": 7})
    assert b.funnel.conversion_rates[0] == pytest.approx(8300 / 8800)
    assert b.marketing_share is None
    assert "days given (7)" in " ".join(b.notes)
    with pytest.raises(
        InputError, match=r"^'baselines' must have a deal size and a marketing share"
    ):
        b.reverse_plan(1_000_000)
    assert b.reverse_plan(1_000_000, marketing_share=0.5).volumes[-1] == pytest.approx(
        500_000 / b.deal_size
    )


def test_example_plan_stays_close_to_the_sample_history(root):
    from funnelkit import load_params

    plan = build_plan(load_params(root / "params" / "example.yaml"))
    b = measure_baselines(read_export(SAMPLE))
    for planned, measured in zip(
        plan.params.funnel.conversion_rates, b.funnel.conversion_rates, strict=True
    ):
        assert abs(planned - measured) < 0.15
