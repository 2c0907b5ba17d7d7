"""From one's own export to a rendered plan: `funnelkit init`, then `funnelkit render`, exit 0,
one value per figure, and a sentence wherever the export cannot give a section its figures."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest
from conftest import REAL, ROOT, SAMPLE, figures_in, untagged, write_sample_split

from funnelkit.cli import main

pytestmark = pytest.mark.render

NOT_MEASURED = r"days</td>\s*<td>[^<]*</td>\s*<td>–</td>\s*<td>–</td>\s*<td>the export cannot time it</td>\s*<td>not measured</td>"


def init_and_render(tmp_path, export, *options: str) -> tuple[str, str]:
    """`funnelkit init` then `funnelkit render` in a project folder of its own: the HTML of
    the quarterly plan and of the monthly review (or '')."""
    (tmp_path / "params").mkdir()
    mapping = [o for o in options if o.endswith(".yaml")]
    for m in mapping:
        shutil.copy(m, tmp_path / "params" / "mapping.yaml")
    options = tuple("params/mapping.yaml" if o in mapping else o for o in options)
    code = main(["init", str(export), "--name", "own", "--out", str(tmp_path / "params"), *options])
    assert code == 0
    params = tmp_path / "params" / "own.yaml"
    code = main(["render", str(params), "--reports", str(tmp_path / "reports"), "--no-pdf"])
    assert code == 0
    folder = tmp_path / "reports" / "own"
    reviews = sorted(folder.glob("30-monthly-review-*.html"))
    review = reviews[0].read_text(encoding="utf-8") if reviews else ""
    return (folder / "20-quarterly-plan.html").read_text(encoding="utf-8"), review


def assert_one_value_per_figure(tmp_path) -> None:
    """Every figure the plan's reports tag carries one value across them."""
    found = figures_in(tmp_path / "reports" / "own")
    assert {n: v for n, v in found.items() if len(v) > 1} == {}


def test_a_plan_from_the_sample_export_renders_with_one_value_per_figure(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plan, _ = init_and_render(tmp_path, SAMPLE, "--period", "2027-Q1", "--growth", "10%")
    assert "The parameters name no goals file, so there is no scorecard." in untagged(plan)
    assert_one_value_per_figure(tmp_path)
    assert "Traceback" not in plan


def test_a_plan_from_the_sample_split_into_contacts_and_deals_renders_the_same_funnel(
    tmp_path, monkeypatch
):
    """Deal figures read from a second export give the plan the sample's own won revenue."""
    monkeypatch.chdir(tmp_path)
    contacts, mapping, deals = write_sample_split(tmp_path)
    plan, review = init_and_render(
        tmp_path,
        contacts,
        "--mapping",
        str(mapping),
        "--deals",
        str(deals),
        "--deals-key",
        "deal_id",
        "--deals-stage",
        "prospecting=opportunity",
        "--deals-stage",
        "won=won",
        "--period",
        "2027-Q1",
        "--growth",
        "10%",
    )
    split = (tmp_path / "params" / "own.yaml").read_text(encoding="utf-8")
    whole = tmp_path / "whole"
    whole.mkdir()
    main(
        [
            "init",
            str(SAMPLE),
            "--name",
            "own",
            "--out",
            str(whole),
            "--period",
            "2027-Q1",
            "--growth",
            "10%",
        ]
    )
    one = (whole / "own.yaml").read_text(encoding="utf-8")
    pick = ("revenue_goal:", "deal_size:", "marketing_share:", "  - {stage")
    lines = [line.split("    #")[0] for line in split.splitlines() if line.startswith(pick)]
    whole_lines = [line.split("    #")[0] for line in one.splitlines() if line.startswith(pick)]
    # the same but for the last step's days: a deal is won at its close date, not at the
    # contact's "became a customer" time
    won = pd.read_csv(deals).query("Stage == 'Closed Won'")
    cycle = pd.to_datetime(won["Close Date"]) - pd.to_datetime(won["Created Date"])
    last_days = f"days: {cycle.median() / pd.Timedelta(days=1):.1f}}}"
    assert lines[:-2] == whole_lines[:-2]
    assert lines[-2].rsplit("days:", 1)[0] == whole_lines[-2].rsplit("days:", 1)[0]
    assert lines[-2].endswith(last_days)
    assert lines[-1] == whole_lines[-1]
    assert "deals:" in split
    assert_one_value_per_figure(tmp_path)
    assert "Will we make it?" in untagged(plan)
    assert "Traceback" not in plan + review


def test_a_salesforce_opportunity_report_renders_a_plan_with_nothing_but_init(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    _, _, deals = write_sample_split(tmp_path)
    plan, review = init_and_render(
        tmp_path,
        deals,
        "--mapping",
        "salesforce-opportunities",
        "--period",
        "2027-Q1",
        "--growth",
        "10%",
    )
    text = untagged(plan)
    assert "Marketing owns" in text
    # the report says why it has no forecast: the export times no step between creation and close
    assert "No forecast: no history for step 'prospecting→qualification'" in text
    assert_one_value_per_figure(tmp_path)
    assert "Traceback" not in plan + review


@pytest.mark.realdata
def test_a_plan_from_maven_crm_opportunities_renders_and_says_what_it_cannot_show(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    plan, review = init_and_render(
        tmp_path,
        REAL / "maven-crm" / "sales_pipeline.csv",
        "--mapping",
        str(ROOT / "params" / "mappings" / "maven-crm.yaml"),
        "--period",
        "2018-Q1",
        "--growth",
        "5%",
        "--days",
        "prospecting->engaging=7",
        "--marketing-share",
        "0.6",
    )
    text = untagged(plan)
    assert "The shared goal: " in text
    assert "No forecast: no history for step 'prospecting→engaging'" in text
    assert (
        "No pipeline coverage: the parameters give no pipeline.open_value and the export's open "
        "deals cannot be timed: no history for step 'prospecting→engaging'"
    ) in text
    assert re.search(NOT_MEASURED, text)  # the risks row of the step the export cannot time
    assert "The export records no first touches" in untagged(review)
    assert "The export gives no times for prospecting, so entries cannot be" in review
    assert "no leakage by creation month" in review
    assert "prospecting is on course" not in review
    assert "of hand-offs were touched within the SLA" not in review


@pytest.mark.realdata
def test_a_plan_from_x_education_leads_without_dates_renders_from_the_day_given(
    tmp_path, monkeypatch
):
    """An export with no dates at all: the day it was taken is given, the step's days too;
    the sections that need dates say so."""
    monkeypatch.chdir(tmp_path)
    plan, review = init_and_render(
        tmp_path,
        REAL / "x-education" / "Leads.csv",
        "--mapping",
        str(ROOT / "params" / "mappings" / "x-education.yaml"),
        "--as-of",
        "2026-11-30",
        "--period",
        "2027-Q1",
        "--goal",
        "500000",
        "--days",
        "lead->won=30",
        "--deal-size",
        "5000",
        "--marketing-share",
        "0.7",
    )
    params = (tmp_path / "params" / "own.yaml").read_text(encoding="utf-8")
    assert "  as_of: 2026-11-30    # given with --as-of" in params
    text = untagged(plan)
    assert "to 30 Nov 2026" in text
    assert "No forecast: no history for step 'lead→won'" in text
    assert re.search(NOT_MEASURED, text)  # the risks row of the step the export cannot time
    assert review == ""  # no month of the plan has actuals yet
    assert_one_value_per_figure(tmp_path)
    assert "Traceback" not in plan
