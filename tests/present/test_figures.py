"""One set of numbers: every figure a report tags carries one value across all of a plan's
reports, that value is the model's, the command line prints the same, and every name is in
the glossary (code and docs/glossary.md)."""

from __future__ import annotations

import pytest
from conftest import FIGURE_TAG, ROOT, figures_in, untagged

from funnelkit.cli import main
from funnelkit.core.exceptions import InputError
from funnelkit.model.figures import GLOSSARY, check_name
from funnelkit.model.loader import load_plan_data
from funnelkit.present.definition_explorer import DefinitionExplorer
from funnelkit.present.explorer import ScenarioExplorer
from funnelkit.present.tags import tag

TAG = FIGURE_TAG


@pytest.mark.parametrize("plan", ["example", "2026-q4", "2026-q3"])
def test_each_figure_carries_one_value_across_a_plan_s_reports(rendered, plan):
    reports, _ = rendered
    found = figures_in(reports / plan)
    assert {"plan.revenue_goal", "need.mql", "sla.handoffs", "sla.reps_needed_peak"} <= set(found)
    assert {name: values for name, values in found.items() if len(values) > 1} == {}


@pytest.mark.parametrize("plan", ["example", "2026-q4"])
def test_the_reports_show_the_model_s_figures(rendered, plan):
    reports, _ = rendered
    found = {name: values.pop() for name, values in figures_in(reports / plan).items()}
    data = load_plan_data(ROOT / "params" / f"{plan}.yaml")
    p, sla, c = data.plan.params, data.plan.sla, data.coverage
    assert found["plan.revenue_goal"] == p.revenue_goal
    assert found["need.mql"] == data.plan.targets.whole[1]
    assert found["sla.handoffs"] == sla.handoffs_whole.sum()
    assert found["sla.reps_needed_peak"] == sla.reps_needed_peak == sla.reps_needed_whole.max()
    assert found["coverage.ratio"] == pytest.approx(c.ratio, rel=1e-15)
    assert found["coverage.needed"] == pytest.approx(c.needed, rel=1e-15)


def test_coverage_has_one_verdict_in_the_outlook_and_the_risks(rendered):
    reports, _ = rendered
    html = (reports / "2026-q4" / "20-quarterly-plan.html").read_text(encoding="utf-8")
    ratios = [text for name, _, text in TAG.findall(html) if name == "coverage.ratio"]
    assert len(ratios) == 3  # the top risks on the first page, "Will we make it?", the risks
    assert len(set(ratios)) == 1
    assert html.count("Pipeline coverage: ") == 2


def test_the_command_line_prints_the_reports_coverage(rendered, capsys):
    reports, _ = rendered
    html = (reports / "2026-q4" / "20-quarterly-plan.html").read_text(encoding="utf-8")
    shown = {name: text for name, _, text in TAG.findall(html)}
    assert main(["plan", str(ROOT / "params" / "2026-q4.yaml")]) == 0
    out = capsys.readouterr().out
    assert (
        f"Pipeline coverage: {shown['coverage.pipeline']} of open pipeline is "
        f"{shown['coverage.ratio']} the {shown['coverage.remaining']} left to win; "
        f"{shown['coverage.needed']} is needed" in out
    )


def test_every_name_is_in_the_glossary_and_the_glossary_is_documented():
    assert check_name("need.mql") == "need.mql"
    assert check_name("coverage.ratio") == "coverage.ratio"
    with pytest.raises(InputError) as err:
        tag("coverage.ratioo", 1.0, "1")
    assert str(err.value) == (
        "figure name 'coverage.ratioo' is not in the glossary (funnelkit.model.figures.GLOSSARY)"
    )
    documented = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    missing = [name for name in GLOSSARY if f"`{name.replace('.*', '.<')}" not in documented]
    assert missing == []


def test_a_tag_escapes_its_text_and_keeps_the_exact_value():
    assert tag("plan.deal_size", 14_900.5, "<b>14,901</b> USD") == (
        '<span class="fk-q" data-q="plan.deal_size" data-v="14900.5">'
        "&lt;b&gt;14,901&lt;/b&gt; USD</span>"
    )


def test_a_goal_s_target_and_the_plan_s_need_are_two_named_figures(rendered):
    reports, _ = rendered
    found = figures_in(reports / "example")
    assert found["goal_target.marketing-mqls"] == {240.0}
    assert found["need.mql"] == {238.0}
    assert found["shared_goal.shared-revenue"] == {341_449.5}  # the goals file's: +5 % on history
    assert found["plan.revenue_goal"] == {341_450.0}


def test_the_scorecard_knows_the_forecast(rendered):
    reports, _ = rendered
    html = (reports / "example" / "20-quarterly-plan.html").read_text(encoding="utf-8")
    tagged = dict((n, v) for n, v, _ in TAG.findall(html))
    chance = float(tagged["forecast.chance"])
    # the scorecard gives the shared goal the forecast's chance; at even odds or better its
    # checks raise no warning about it
    assert float(tagged["goal_chance.shared-revenue"]) == chance
    assert chance >= 0.5
    assert "below the 50% threshold" not in untagged(html)


def test_the_scenario_explorer_opens_on_the_report_s_figures(rendered):
    reports, _ = rendered
    report = {
        n: v.pop() for n, v in figures_in(reports / "example").items() if n.startswith("need.")
    }
    explorer = ScenarioExplorer.from_params_file(
        ROOT / "params" / "example.yaml", throttle_seconds=0
    )
    shown = {n: float(v) for n, v, _ in TAG.findall(explorer.targets.value)}
    assert {n: shown[n] for n in report} == report
    assert {
        n.replace("scenario_", ""): v for n, v in shown.items() if n.startswith("scenario_")
    } == report


def test_the_monthly_review_s_goals_are_the_plan_s_month_volumes(rendered):
    """The review's month goals, the phasing table and the SLA's hand-offs share one name per
    stage and month, so the one-value test above compares them."""
    reports, _ = rendered
    folder = reports / "2026-q4"
    plan = {n for n, _, _ in TAG.findall((folder / "20-quarterly-plan.html").read_text("utf-8"))}
    review = {
        n for n, _, _ in TAG.findall((folder / "30-monthly-review-2026-10.html").read_text("utf-8"))
    }
    stages = load_plan_data(ROOT / "params" / "2026-q4.yaml").plan.params.funnel.stages
    assert {f"month.{s}.2026-10" for s in stages} <= plan & review
    found = figures_in(folder)
    data = load_plan_data(ROOT / "params" / "2026-q4.yaml")
    k = data.plan.monthly.labels.index("2026-10")
    assert [found[f"month.{s}.2026-10"] for s in stages] == [
        {float(v)} for v in data.plan.monthly.whole[k]
    ]


def test_the_definition_explorer_opens_on_the_report_s_needs(rendered):
    reports, _ = rendered
    report = {
        n: v.pop() for n, v in figures_in(reports / "example").items() if n.startswith("need.")
    }
    explorer = DefinitionExplorer.from_params_file(ROOT / "params" / "example.yaml", "sql")
    shown = {n: float(v) for n, v, _ in TAG.findall(explorer.result.value)}
    assert {"need.lead", "need.sql"} <= set(shown)
    assert {n: v for n, v in shown.items() if n.startswith("need.")} == {
        n: report[n] for n in ("need.lead", "need.sql")
    }
    # the agreed definition opens: its needs and the current definition's are one figure
    assert shown["definition_need.sql"] == shown["agreed_definition_need.sql"]
