"""A plan from one's own export (`funnelkit init`): the period and goal read from the command
line, the goal grown from the last complete period (checked with plain pandas), a parameters
file that the render checks accept and that names where each value came from, and clear
errors for what the export cannot give. Rendering such plans: tests/present/test_own_data.py."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import yaml
from conftest import REAL, ROOT, SAMPLE, write_sample_split

from funnelkit import load_params, read_export
from funnelkit.core.exceptions import CrmExportError, InputError, ParamsError
from funnelkit.model.loader import load_plan_data
from funnelkit.model.starter import (
    Period,
    grown_goal,
    init_plan,
    parse_days,
    parse_growth,
    parse_period,
    spanned_days,
)


def test_a_period_is_a_quarter_or_a_first_month():
    assert parse_period("2027-Q1") == Period(pd.Period("2027-01", "M"), 3)
    assert parse_period("2027-Q4").last_day == pd.Timestamp("2027-12-31")
    assert parse_period("2027-02", 6) == Period(pd.Period("2027-02", "M"), 6)
    assert parse_period("2027-02").months == 3


@pytest.mark.parametrize(
    ("text", "months", "message"),
    [
        (
            "Q1 2027",
            None,
            "'--period' must be a quarter written YYYY-Qn or a month written YYYY-MM (got 'Q1 2027')",
        ),
        ("2027-Q1", 6, "'--months' must be 3 for a quarter (got 6)"),
        ("2027-01", 30, "'--months' must be from 1 to 24 (got 30)"),
    ],
)
def test_a_bad_period_is_named(text, months, message):
    with pytest.raises(InputError) as err:
        parse_period(text, months)
    assert str(err.value) == message


def test_growth_and_days_are_read_as_written():
    assert parse_growth("10%") == pytest.approx(0.10)
    assert parse_growth("-5%") == pytest.approx(-0.05)
    assert parse_growth("0.2") == pytest.approx(0.2)
    assert parse_days(["lead->mql=5", "mql→sql=7.5"]) == {"lead→mql": 5.0, "mql→sql": 7.5}
    for bad, message in (
        (lambda: parse_growth("ten"), "'--growth' must be a percentage such as 10% (got 'ten')"),
        (lambda: parse_growth("-100%"), "'--growth' must be above -100% (got '-100%')"),
        (
            lambda: parse_growth("10"),
            "'--growth' must be a percentage such as 10%, or a fraction from -1 to 1 (got '10': "
            "did you mean 10%?)",
        ),
        (
            lambda: parse_days(["lead->mql"]),
            "'--days' must be written STEP=DAYS, e.g. 'lead->mql=5' (got 'lead->mql')",
        ),
        (
            lambda: parse_days(["lead->mql=-1"]),
            "'--days' must be 0 or more days (got 'lead->mql=-1')",
        ),
    ):
        with pytest.raises(InputError) as err:
            bad()
        assert str(err.value) == message


def test_the_grown_goal_is_the_last_complete_period_s_won_revenue_grown():
    table = read_export(SAMPLE)  # actuals to 2026-10-31: October is complete
    goal, basis = grown_goal(table, parse_period("2027-Q1"), 0.10)
    leads = table.leads
    won = leads[
        (leads["outcome"] == "won") & leads["won_at"].between("2026-08-01", "2026-10-31 23:59:59")
    ]
    assert goal == pytest.approx(won["amount"].sum() * 1.10)
    assert basis == (
        f"2026-08 to 2026-10 won {won['amount'].sum():,.0f} from {len(won):,} customers; "
        "the goal is +10% on that"
    )


def test_init_writes_a_plan_the_render_checks_accept(tmp_path):
    path = init_plan(SAMPLE, "own-q1", parse_period("2027-Q1"), tmp_path / "params", goal=400_000)
    assert path == tmp_path / "params" / "own-q1.yaml"
    params = load_params(path)
    assert params.revenue_goal == 400_000
    assert params.export_file.resolve() == SAMPLE.resolve()
    assert (params.goals_file, params.definitions_file, params.previous_plan) == (None, None, None)
    text = path.read_text()
    assert "revenue_goal: 400000    # given with --goal" in text
    assert "deal_size: 14894    # measured: mean won amount" in text
    assert "# set yours: these are defaults" in text
    raw = yaml.safe_load(text)
    assert [s["stage"] for s in raw["funnel"]] == ["lead", "mql", "sql", "opportunity", "won"]
    assert list(tmp_path.joinpath("params").iterdir()) == [path]  # no temporary file left


def test_init_refuses_to_replace_a_plan_or_to_plan_the_past(tmp_path):
    init_plan(SAMPLE, "mine", parse_period("2027-Q1"), tmp_path, goal=1)
    with pytest.raises(InputError) as err:
        init_plan(SAMPLE, "mine", parse_period("2027-Q1"), tmp_path, goal=1)
    assert (
        str(err.value)
        == f"{tmp_path / 'mine.yaml'} already exists: choose another --name, or pass --force"
    )
    with pytest.raises(InputError) as err:
        init_plan(SAMPLE, "old", parse_period("2026-Q3"), tmp_path, goal=1)
    assert str(err.value) == (
        "'--period' 2026-07 must end after the export's as-of day 2026-10-31: a plan is for a "
        "period still to come"
    )
    with pytest.raises(InputError) as err:
        init_plan(SAMPLE, "both", parse_period("2027-Q1"), tmp_path, goal=1, growth=0.1)
    assert str(err.value) == "give the revenue goal with exactly one of --goal and --growth"
    with pytest.raises(InputError) as err:
        init_plan(SAMPLE, "my plan", parse_period("2027-Q1"), tmp_path, goal=1)
    assert str(err.value).startswith("'--name' must be letters, digits")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.yaml"]


def test_days_are_only_for_steps_the_export_cannot_time(tmp_path):
    for days, message in (
        (
            {"lead→mql": 7.0},
            "'--days' is for steps the export cannot time, but it times lead->mql itself "
            "(1,350 leads, median 4.9 days)",
        ),
        (
            {"lead→foo": 7.0},
            "'--days' step must be one of lead->mql, mql->sql, sql->opportunity, "
            "opportunity->won (got 'lead->foo')",
        ),
    ):
        with pytest.raises(InputError) as err:
            init_plan(SAMPLE, "d", parse_period("2027-Q1"), tmp_path, goal=1, days=days)
        assert str(err.value) == message
    assert list(tmp_path.iterdir()) == []


def test_steps_an_opportunity_report_cannot_time_share_the_span_it_can(tmp_path):
    """Created and close dates only: the median days from creation to won, split evenly over
    the four steps between, less any days given."""
    _, _, deals = write_sample_split(tmp_path)
    table = read_export(deals, "salesforce-opportunities")
    won = pd.read_csv(deals).query("Stage == 'Closed Won'")
    span = (pd.to_datetime(won["Close Date"]) - pd.to_datetime(won["Created Date"])).median()
    days = span / pd.Timedelta(days=1)
    split = spanned_days(table, {})
    assert list(split) == [
        "prospecting→qualification",
        "qualification→proposal",
        "proposal→negotiation",
        "negotiation→won",
    ]
    assert [d for d, _ in split.values()] == pytest.approx([days / 4] * 4)
    assert split["negotiation→won"][1] == (
        f"days split evenly: the export times prospecting to won only (median {days:.1f} days "
        f"over {len(won)} leads): set yours"
    )
    given = spanned_days(table, {"negotiation→won": 2.0})
    assert "negotiation→won" not in given
    assert [d for d, _ in given.values()] == pytest.approx([(days - 2) / 3] * 3)
    assert spanned_days(read_export(SAMPLE, "hubspot"), {}) == {}


def test_an_opportunity_report_makes_a_plan_without_days_given(tmp_path):
    _, _, deals = write_sample_split(tmp_path)
    path = init_plan(
        deals,
        "opps",
        parse_period("2027-Q1"),
        tmp_path / "params",
        "salesforce-opportunities",
        goal=300_000,
    )
    text = path.read_text(encoding="utf-8")
    assert text.count("days split evenly: the export times prospecting to won only") == 4
    assert load_params(path).funnel.stages == (
        "prospecting",
        "qualification",
        "proposal",
        "negotiation",
        "won",
    )


@pytest.mark.realdata
def test_an_export_without_dates_needs_the_day_it_was_taken(tmp_path):
    export = REAL / "x-education" / "Leads.csv"
    mapping = str(ROOT / "params" / "mappings" / "x-education.yaml")
    plan = {"goal": 1e5, "deal_size": 5e3, "days": {"lead→won": 30.0}}
    with pytest.raises(InputError) as err:
        init_plan(export, "x", parse_period("2027-Q1"), tmp_path, mapping, **plan)
    assert str(err.value) == (
        f"{export}: the export holds no dates: give the day it was taken with --as-of YYYY-MM-DD"
    )
    with pytest.raises(InputError) as err:
        init_plan(
            export,
            "x",
            parse_period("2027-Q1"),
            tmp_path,
            mapping,
            as_of=dt.date(2026, 11, 30),
            **plan,
        )
    assert str(err.value) == (
        f"{export}: the export has no won amounts to measure 'marketing_share' on: give it "
        "with --marketing-share"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_marketing_share_of_nothing_is_refused(tmp_path):
    """The mapping's marketing sources match no won deal: a share of 0 would plan no leads."""
    _, _, deals = write_sample_split(tmp_path)
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "name: m\npreset: salesforce-opportunities\nmarketing_sources: [Webinar]\n", "utf-8"
    )
    with pytest.raises(InputError) as err:
        init_plan(deals, "x", parse_period("2027-Q1"), tmp_path, str(mapping), goal=1)
    assert str(err.value) == (
        f"{mapping}: no won revenue comes from the mapping's 'marketing_sources' (Webinar); "
        "the export's sources include Advertisement, External Referral, Trade Show, Web: list "
        "the marketing ones in the mapping, or give the share with --marketing-share"
    )


def test_the_day_an_export_was_taken_is_not_before_its_latest_date(tmp_path):
    with pytest.raises(CrmExportError) as err:
        init_plan(SAMPLE, "x", parse_period("2027-Q1"), tmp_path, goal=1, as_of=dt.date(2026, 1, 1))
    assert str(err.value).startswith("'as_of' must not be before the export's latest date 2026-")
    path = init_plan(
        SAMPLE, "x", parse_period("2027-Q1"), tmp_path, goal=1, as_of=dt.date(2026, 12, 31)
    )
    assert "  as_of: 2026-12-31    # given with --as-of" in path.read_text(encoding="utf-8")
    assert "(actuals to 2026-12-31)" in path.read_text(encoding="utf-8")
    assert load_params(path).export_as_of == dt.date(2026, 12, 31)


def test_init_with_costs_measures_each_channel_and_writes_a_program(tmp_path):
    costs = ROOT / "data" / "sample" / "costs.csv"
    path = init_plan(
        SAMPLE, "own-q1", parse_period("2027-Q1"), tmp_path / "params", goal=400_000, costs=costs
    )
    text = path.read_text()
    assert "#   Paid Search: 63.75 a lead, 2.44%\n" in text  # measured, as channel_costs says
    data = load_plan_data(path)
    assert data.params.program.costs_file.resolve() == costs.resolve()
    assert data.program.teams["marketing"].plan is not None
    assert data.program.teams["sales"].revenue == pytest.approx(
        400_000 * (1 - data.params.marketing_share)
    )


def test_init_with_costs_of_other_months_names_them_and_writes_nothing(tmp_path):
    costs = tmp_path / "costs.csv"
    costs.write_text("month,channel,spend\n2019-01,Paid Search,100\n")
    with pytest.raises(InputError) as err:
        init_plan(SAMPLE, "own", parse_period("2027-Q1"), tmp_path, goal=1, costs=costs)
    assert str(err.value).startswith(
        f"--costs: {costs}: no channel has spend in a month it brought leads (costs 2019-01 to "
        "2019-01, leads 2025-05 to 2026-10)"
    )
    assert not (tmp_path / "own.yaml").exists()


def test_a_plan_that_would_break_a_rule_names_the_export_and_writes_nothing(tmp_path):
    """Amounts a billion times the sample's: the export reads, but the plan's revenue goal
    would pass the largest money a plan takes. The message names the export and the rule, not
    the file the plan was being checked in."""
    raw = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    has = raw["Recent Deal Amount"] != ""
    raw.loc[has, "Recent Deal Amount"] = raw.loc[has, "Recent Deal Amount"] + "000000000"
    export = tmp_path / "export.csv"
    raw.to_csv(export, index=False)
    with pytest.raises(ParamsError) as err:
        init_plan(export, "scaled", parse_period("2027-Q1"), tmp_path / "out", growth=0.05)
    said = str(err.value)
    assert said.startswith(
        f"{export}: the plan started from this export would break a plan's rule, so "
        "scaled.yaml was not written: 'revenue_goal' must be at most 1,000,000,000,000"
    )
    assert ".tmp" not in said
    assert list((tmp_path / "out").iterdir()) == []
