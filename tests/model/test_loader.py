"""Opening a plan with its data: a plan whose parameters name a separate deals export gets
its leads joined to their deals, keeps the deals through a scenario's round trip, and names
a bad join in the parameters' words."""

from __future__ import annotations

import pytest
import yaml
from conftest import (
    HUBSPOT_HEADER,
    ROOT,
    SF_LEADS_WITH_DEAL,
    TINY_ROWS,
    write_export,
    write_salesforce_split,
)

from funnelkit.core.exceptions import ParamsError
from funnelkit.model.loader import load_plan_data
from funnelkit.model.starter import init_plan, parse_period
from funnelkit.plan.params import DealsExport, load_params, params_from_dict
from funnelkit.plan.scenario_file import params_to_dict
from funnelkit.present import workbook as wb


@pytest.fixture
def project(tmp_path):
    """A project whose plan reads a Salesforce lead report and its opportunity report."""
    data = tmp_path / "data"
    data.mkdir()
    write_salesforce_split(data)
    params = tmp_path / "params"
    params.mkdir()
    (params / "leads-mapping.yaml").write_text(yaml.safe_dump(SF_LEADS_WITH_DEAL))
    plan = {
        "name": "split",
        "period": {"start": "2026-04", "months": 3},
        "revenue_goal": 100_000,
        "marketing_share": 0.5,
        "deal_size": 10_000,
        "funnel": [
            {"stage": "lead", "conversion_rate": 0.5, "days": 10},
            {"stage": "converted", "conversion_rate": 0.5, "days": 40},
            {"stage": "won"},
        ],
        "sla": {
            "handoff_stage": "converted",
            "first_touch_minutes": 30,
            "cadence": [{"day": 0, "channel": "call"}],
            "touches_per_rep_per_day": 40,
            "reps": 1,
        },
        "actuals": {
            "export": "../data/leads.csv",
            "mapping": "leads-mapping.yaml",
            "deals": {
                "export": "../data/opps.csv",
                "mapping": "salesforce-opportunities",
                "key": "deal_id",
                "stages": {"won": "won"},
            },
        },
    }
    (params / "split.yaml").write_text(yaml.safe_dump(plan, sort_keys=False))
    return params / "split.yaml"


def test_a_plan_naming_a_deals_export_reads_its_leads_joined_to_their_deals(project):
    data = load_plan_data(project)
    leads = data.table.leads.set_index("lead_id")
    assert leads.loc["00Q1", "amount"] == 12_000
    assert leads.loc["00Q1", "outcome"] == "won"
    assert leads.loc["00Q2", "outcome"] == "lost"
    assert data.params.deals.key == "deal_id"
    assert data.baselines.deal_size == 12_000  # measured on the joined deals


def test_the_deals_export_survives_a_scenario_s_round_trip(project):
    params = load_params(project)
    again = params_from_dict(params_to_dict(params, project.parent), folder=project.parent)
    assert again.deals == params.deals


def test_a_bad_join_is_named_in_the_parameters_words(project):
    raw = yaml.safe_load(project.read_text())
    raw["actuals"]["deals"]["stages"] = {"closed": "won"}
    project.write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.raises(ParamsError) as err:
        load_plan_data(project)
    assert str(err.value).startswith(
        f"{project}: actuals: deals: 'stages' key (a deal stage) must be one of "
    )
    raw["actuals"]["deals"]["stages"] = "won"
    project.write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.raises(ParamsError) as err:
        load_params(project)
    assert str(err.value) == (
        f"{project}: actuals: deals: 'stages' must map deal stages to lead stages, e.g. "
        "{won: won} (got 'won')"
    )


def test_init_names_the_deals_export_and_the_plan_opens_joined(project, tmp_path):
    data = tmp_path / "data"
    path = init_plan(
        data / "leads.csv",
        "from-split",
        parse_period("2026-Q2"),
        tmp_path / "params",
        mapping=str(tmp_path / "params" / "leads-mapping.yaml"),
        goal=50_000,
        marketing_share=0.5,
        deals=DealsExport(data / "opps.csv", "salesforce-opportunities", "deal_id", {"won": "won"}),
    )
    params = load_params(path)
    assert params.deals.export_file.resolve() == (data / "opps.csv").resolve()
    assert (params.deals.mapping, params.deals.key, params.deals.stages) == (
        "salesforce-opportunities",
        "deal_id",
        {"won": "won"},
    )
    assert params.deal_size == 12_000  # measured on the joined deals
    opened = load_plan_data(path)
    assert opened.table.leads.set_index("lead_id").loc["00Q1", "amount"] == 12_000


def test_a_plan_whose_stages_are_not_the_export_s_is_stopped_before_any_kernel(project):
    raw = yaml.safe_load(project.read_text())
    raw["funnel"][1]["stage"] = "mql"
    raw["sla"]["handoff_stage"] = "mql"
    project.write_text(yaml.safe_dump(raw, sort_keys=False))
    with pytest.raises(ParamsError) as err:
        load_plan_data(project)
    assert str(err.value) == (
        f"{project}: actuals: the plan's funnel stages (lead, mql, won) must be the export's "
        "stages as its mapping names them (lead, converted, won)"
    )


def test_a_period_that_has_ended_has_nothing_left_to_cover(root):
    data = load_plan_data(root / "params" / "2026-q3.yaml")  # ended 30 Sep; actuals to 31 Oct
    assert data.coverage is None
    assert data.coverage_note == "the period ended on 30 Sep 2026, so nothing is left to cover"


def test_an_export_too_thin_for_baselines_still_makes_the_plan_and_says_why(tmp_path):
    """No lead ever won: history cannot give a rate for the last step, but the plan stands;
    its risks section says why the assumptions are not checked."""
    rows = [[*r[:5], "", *r[6:]] for r in TINY_ROWS]  # no customer date
    rows = [[*r[:6], "Open Deal" if r[6] == "" else r[6], *r[7:]] for r in rows]
    export = write_export(tmp_path / "thin.csv", HUBSPOT_HEADER, rows)
    raw = yaml.safe_load((ROOT / "params" / "2026-q3.yaml").read_text())
    raw["actuals"] = {"export": str(export), "mapping": "hubspot"}
    raw.pop("previous_plan", None)
    path = tmp_path / "thin.yaml"
    path.write_text(yaml.safe_dump(raw))
    data = load_plan_data(path)
    assert data.baselines is None
    assert data.baselines_note.startswith("'conversion_rate' for step 'opportunity→won'")
    book = wb.open_workbook(str(path))
    text = "".join(item.data for item in wb.plan_risks(book) if isinstance(item.data, str))
    assert "The plan's assumptions are not checked against history: " in text
