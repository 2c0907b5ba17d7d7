"""The notebooks' sections: parameters checked with clear messages, figures equal to the
plan's, goal text escaped, and lead-level rows only when asked for."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, example_with_goals, untagged

from funnelkit import ParamsError, read_export
from funnelkit.actuals import review
from funnelkit.actuals.followup import sla_breaches
from funnelkit.plan.stage_names import DEFAULT_NAMES
from funnelkit.present import workbook as wb

EXAMPLE = str(ROOT / "params" / "example.yaml")
Q4 = str(ROOT / "params" / "2026-q4.yaml")


def text_of(items) -> str:
    parts = []
    for item in items:
        data = getattr(item, "data", "")
        parts.append(data if isinstance(data, str) else "")
    return untagged("\n".join(parts)).replace("\u2060", "")  # word joiners are invisible


@pytest.fixture(scope="module")
def book():
    return wb.open_workbook(EXAMPLE)


@pytest.fixture(scope="module")
def q4():
    return wb.open_workbook(Q4)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"params_file": ""},
            "notebook parameter 'params_file' must be the path of a parameters YAML file (got '')",
        ),
        (
            {"params_file": EXAMPLE, "as_of": "2026-13-01"},
            "notebook parameter 'as_of' must be a date written YYYY-MM-DD, or '' (got '2026-13-01')",
        ),
        (
            {"params_file": EXAMPLE, "show_lead_rows": "yes"},
            "notebook parameter 'show_lead_rows' must be True or False (got 'yes')",
        ),
    ],
)
def test_bad_notebook_parameters_are_named(kwargs, message):
    with pytest.raises(ParamsError) as err:
        wb.open_workbook(**kwargs)
    assert str(err.value) == message


def test_a_typo_in_the_parameters_file_stops_the_notebook(tmp_path):
    bad = tmp_path / "typo.yaml"
    bad.write_text(
        (ROOT / "params" / "2026-q3.yaml").read_text().replace("deal_size:", "deal_sise:")
    )
    with pytest.raises(ParamsError) as err:
        wb.open_workbook(str(bad))
    assert str(err.value) == f"{bad}: 'deal_sise' is not a known key (did you mean 'deal_size'?)"


def test_the_headline_shows_the_shared_goal_and_each_team_s_whole_targets(book):
    text = untagged(text_of(wb.headline(book)))
    whole = dict(zip(book.plan.targets.funnel.stages, book.plan.targets.whole, strict=True))
    assert "The shared goal: <strong>$341,450</strong> of revenue." in text
    marketing, sales = re.search(
        r"<th>Marketing owns</th><th>Sales owns</th>.*?<td>(.*?)</td><td>(.*?)</td>", text
    ).groups()
    assert re.findall(r"<li>([\d,]+ \w+)", marketing) == [
        f"{int(whole['lead']):,} leads",
        f"{int(whole['mql']):,} MQLs",
    ]
    assert "$286,818 of revenue from marketing-sourced leads (84%)" in marketing
    assert re.findall(r"<li>([\d,]+ \w+)", sales) == [
        f"{int(whole['sql']):,} SQLs",
        f"{int(whole['opportunity']):,} opportunities",
        f"{int(whole['won']):,} customers",
    ]
    assert "Actuals from <code>hubspot-contacts.csv</code> to 31 Oct 2026." in text
    assert "/work" not in text  # no absolute paths in a report
    # the first page names the top risks, most pressing first: the forecast gives the goal
    # even odds (51 %), so the pipeline's coverage leads
    risks = re.search(r"<h3>Top risks</h3><ol>(.*?)</ol>", text).group(1)
    assert risks.startswith("<li>Open pipeline covers 2.4× of what is left to win; 3.2× is needed.")
    assert "The forecast gives the goal" not in risks
    assert risks.count("<li>") <= 3


def test_a_chance_below_even_odds_is_the_first_risk(q4):
    """The Q4 2026 plan: the forecast gives its goal about a quarter's chance."""
    chance = wb._forecast(q4).probability
    assert chance < 0.5
    first = untagged(wb.top_risks(q4)[0])
    assert first == f"The forecast gives the goal a {chance:.0%} chance, below 50%."


def test_every_quarterly_section_renders(book):
    for section in (wb.targets, wb.sla, wb.goal_scorecard, wb.previous_period, wb.plan_risks):
        items = section(book)
        assert items, section.__name__


def test_goal_texts_are_escaped(book, tmp_path):
    goals = (ROOT / "params" / "goals" / "example.yaml").read_text()
    path = example_with_goals(
        tmp_path,
        goals.replace("title: Grow revenue 5% in Q1 2027", "title: <script>alert(1)</script>"),
    )
    html = text_of(wb.goal_scorecard(wb.open_workbook(str(path))))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_monthly_review_lists_leads_only_when_asked(q4):
    month = wb.month_under_review(q4, "")
    assert month == "2026-10"
    table = read_export(ROOT / "data" / "sample" / "hubspot-contacts.csv")
    terms = q4.plan.sla.terms
    late = sla_breaches(table, terms.first_touch_minutes, terms.handoff_stage)
    late = late.loc[late["handed_off_at"].dt.strftime("%Y-%m") == month]
    first_id = str(late["lead_id"].iloc[0])
    hidden = text_of(wb.month_sla(q4, month))
    assert f"<td>{first_id}</td>" not in hidden
    assert "Lead-level rows are left out of this report" in hidden
    shown = text_of(wb.month_sla(wb.open_workbook(Q4, show_lead_rows=True), month))
    assert f"<td>{first_id}</td>" in shown


def test_a_month_outside_the_plan_is_refused(book):
    with pytest.raises(ParamsError) as err:
        wb.month_under_review(book, "")
    assert str(err.value) == (
        f"{EXAMPLE}: 'month' must be a month of plan 'example' with actuals (months 2026-11 to "
        "2027-03; with actuals to 2026-10-31: none) (got '2026-10')"
    )


def test_every_monthly_section_renders(q4):
    month = wb.month_under_review(q4, "2026-09")
    for section in (wb.month_against_goals, wb.month_sla, wb.month_leakage, wb.to_discuss):
        assert section(q4, month), section.__name__


def test_a_monthly_review_of_an_export_without_owners_counts_the_whole_team(q4):
    month = "2026-10"
    leads = q4.table.leads.drop(columns="owner")
    unowned = dataclasses.replace(q4, table=dataclasses.replace(q4.table, leads=leads))
    for section in (wb.month_against_goals, wb.month_sla, wb.month_leakage, wb.to_discuss):
        assert section(unowned, month), section.__name__
    by_owner = review.month_sla(q4.plan, q4.table, month)
    whole = review.month_sla(unowned.plan, unowned.table, month)
    assert len(whole) == 1
    assert whole["owner"].isna().all()
    counts = ["handed_off", "touched", "within_window", "pending"]
    assert whole[counts].iloc[0].tolist() == by_owner[counts].sum().tolist()
    shown = text_of(wb.month_sla(unowned, month))
    assert "No lead has an owner in the CRM data: the SLA is counted for the whole team." in shown
    assert "hand-offs touched within 10 minutes, for the whole team" in shown
    assert "<td>(whole team)</td>" in shown
    assert "(no owner)" not in shown
    assert "No lead has an owner" not in text_of(wb.month_sla(q4, month))
    # an owner column with no value in it reads the same
    empty = q4.table.leads.assign(owner=q4.table.leads["owner"].cat.set_categories([]))
    blank = dataclasses.replace(q4, table=dataclasses.replace(q4.table, leads=empty))
    assert text_of(wb.month_sla(blank, month)) == shown
    assert "has the most hand-offs touched late" in text_of(wb.to_discuss(q4, month))
    assert "has the most hand-offs touched late" not in text_of(wb.to_discuss(unowned, month))


def test_a_monthly_review_needs_actuals(book):
    without = dataclasses.replace(book, table=None)
    for section in (wb.month_under_review, wb.month_sla, wb.month_leakage, wb.to_discuss):
        args = (without,) if section is wb.month_under_review else (without, "2026-10")
        with pytest.raises(ParamsError) as err:
            section(*args)
        assert str(err.value) == (f"{EXAMPLE}: 'actuals' must name an export for a monthly review")


def test_the_targets_carry_the_next_period_s_lead_in_so_no_month_drops_to_zero(book):
    text = text_of(wb.targets(book))
    assert (
        "Lead-in for the next period, 2027-04 to 2027-06 (the same goal carried forward): volume "
        "that must arrive in these months to feed it through the stage lags, on top of the above"
    ) in text.replace("&#x27;", "'")
    lead_in = book.plan.lead_in_next
    march = book.plan.phasing.labels.index("2027-03")
    assert book.plan.phasing.whole[march, 0] == 0  # this period's own leads stop in March
    assert lead_in[march, 0] > 0  # the next period's start there
    assert f"<td>{int(np.ceil(lead_in[march, 0] - 1e-9)):,}</td>" in text


def _tagged(items) -> dict[str, float]:
    """Every figure tagged in the items' markup: name -> exact value."""
    markup = "\n".join(
        getattr(i, "data", "") or "" for i in items if isinstance(getattr(i, "data", ""), str)
    )
    return {
        name: float(value)
        for name, value in re.findall(r'data-q="([^"]+)" data-v="([^"]+)"', markup)
    }


def test_the_month_s_gap_is_split_by_clause_and_adds_up(q4):
    items = wb.gap_to_plan(q4, "2026-10")
    shown = text_of(items)
    assert "Revenue planned for 1 Oct – 31 Oct 2026: $108,800; won: $76,910 (71% of plan)" in shown
    figures = _tagged(items)
    parts = {k: v for k, v in figures.items() if k.startswith("gap.") and k.endswith(".2026-10")}
    assert len(parts) == 10  # leads, mix, four steps, follow-up, deal size, timing, share
    assert sum(parts.values()) == pytest.approx(76_910 - 108_800, abs=1e-6)
    owners = {k: v for k, v in figures.items() if k.startswith("gap_owner.")}
    assert sum(owners.values()) == pytest.approx(76_910 - 108_800, abs=1e-6)
    assert "Why: the gap to plan" not in shown  # the section's own title says it
    assert (
        "Had marketing-sourced deals averaged the planned $14,700 (not $10,440, over 5 deals), "
        "all else as it was, revenue would be 90% of plan instead of 71%."
    ) in shown
    # the shown parts add up to the shown gap, and each clause's total to its shown parts
    assert "marketing's clause −$26,517; sales' clause −$17,714; shared +$12,341" in shown
    assert -26_517 - 17_714 + 12_341 == -31_890
    assert "Revenue, all sources" in shown
    assert "Customers, all sources" in shown


def test_what_to_discuss_opens_with_the_two_largest_contributions(q4):
    points = re.findall(r"<li>(.*?)</li>", text_of(wb.to_discuss(q4, "2026-10")), re.S)
    gap = wb.gap_to_plan(q4, "2026-10")
    parts = {k: v for k, v in _tagged(gap).items() if k.startswith("gap.")}
    largest = sorted(parts, key=lambda k: -abs(parts[k]))[:2]
    assert [k.split(".")[1] for k in largest] == ["deal_size", "lead→mql"]
    assert points[0].startswith("Sales' clause: Deal size (marketing-sourced) −$23,839. Had")
    assert points[1].startswith("Marketing's clause: Lead → MQL rate −$15,002. Had the")
    assert points[2].startswith("Both teams: the forecast gives the goal")


def test_a_lead_in_month_has_no_gap_to_split(q4):
    assert "is a lead-in month: the plan asks no revenue of it" in text_of(
        wb.gap_to_plan(q4, "2026-09")
    )


def test_the_previous_plan_s_gap_is_titled_and_named_by_its_period(book):
    shown = text_of(wb.previous_period(book))
    assert "Why: the gap to plan, clause by clause" in shown
    assert (
        "The gap to plan by driver: Q4 2026 plan, all regions (revenue 1 Oct – 31 Oct 2026)"
        in shown
    )
    assert "No Opportunity → customer entry counted has had 77 days yet" in shown


def test_a_month_and_its_period_to_date_tell_one_story(book, q4):
    # the example's previous plan is Q4 2026, of which only October has begun: its period to
    # date is the Q4 review's October, driver for driver
    period = _tagged(wb.previous_period(book))
    month = _tagged(wb.gap_to_plan(q4, "2026-10"))
    gap = {k: v for k, v in period.items() if k.startswith("gap") and ".2026-10..2026-12" in k}
    assert len(gap) > 30
    for name, value in gap.items():
        assert month[name.replace(".2026-10..2026-12", ".2026-10")] == pytest.approx(value)


def test_goals_as_chances_in_the_scorecard(book):
    items = wb.goal_scorecard(book)
    shown = text_of(items)
    assert "Each goal&#x27;s levels and chance, from the forecast" in shown or (
        "Each goal's levels and chance, from the forecast" in shown
    )
    figures = _tagged(items)
    trials = book.outcomes.trials
    assert (
        figures["goal_level.plan.marketing-mqls"]
        == np.sort(trials["volume:mql"])[::-1][len(trials["volume:mql"]) // 2 - 1]
    )
    assert figures["goal_chance.marketing-mqls"] == pytest.approx(
        (trials["volume:mql"] >= 240).mean()
    )
    assert (
        "The one team goal the forecast counts for shared-revenue, marketing-mqls (82% on its "
        "own), is met in 82% of the simulated periods; in those periods the shared goal "
        "shared-revenue is met 56% of the time (51% overall)."
    ) in shown
    assert "Not counted, as the forecast does not simulate their metrics" in shown


def test_an_assumption_history_measures_at_zero_has_no_change():
    """Sources the mapping does not list as marketing's give a measured share of 0; MQLs and
    SQLs on the same day a step of 0 days. Neither has a change from history to show."""
    r = pd.DataFrame(
        {
            "driver": ["marketing share", "MQL → SQL days"],
            "figure": ["marketing_share", "days.mql→sql"],
            "plan": [0.84, 8.0],
            "history": [0.0, 0.0],
            "basis": ["won revenue", "median of 40 leads"],
            "verdict": ["stretch", "in line"],
            "sentence": ["", ""],
        }
    )
    frame, _, _ = wb._risks_table(r, "USD", {}, DEFAULT_NAMES)
    assert frame["change"].tolist() == ["–", "–"]
    assert frame["history"].tolist() == ["0.0%", "0 days"]


def test_a_heading_and_its_introduction_stay_with_the_exhibit_they_introduce(monkeypatch):
    """In print, a section's heading, its first sentence and the chart or table that sentence
    introduces are one block a page does not split; a section that opens with its exhibit
    keeps only the heading with it."""
    shown = []
    monkeypatch.setattr(wb, "display", lambda *items: shown.extend(items))
    intro, chart, table = (
        wb.HTML("<p>Leads by month.</p>"),
        wb.HTML('<img alt="x" src="data:,">'),
        wb.HTML('<table class="funnelkit-table"></table>'),
    )
    for exhibit in (chart, table):
        shown.clear()
        wb.show([intro, exhibit, intro], "Leakage")
        assert [i.data for i in shown] == [
            f'<div class="fk-keep"><h2>Leakage</h2>{intro.data}{exhibit.data}</div>',
            intro.data,
        ]
    shown.clear()
    wb.show([table, intro], "Targets")
    assert [i.data for i in shown] == [
        f'<div class="fk-keep"><h2>Targets</h2>{table.data}</div>',
        intro.data,
    ]
