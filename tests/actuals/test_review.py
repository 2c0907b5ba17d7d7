"""A plan against its actuals: worked examples on the six-lead export, properties of the
planned-to-date figures, risks against history, and the discussion points."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pandas as pd
import pytest
from conftest import ONE_CALL_SLA, ROOT, SAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st

from funnelkit import Funnel, InputError, build_plan, load_params, params_from_dict, read_export
from funnelkit.actuals import review
from funnelkit.actuals.baselines import Baselines
from funnelkit.actuals.followup import stage_pacing
from funnelkit.actuals.review import (
    discussion_points,
    month_pacing,
    months_with_actuals,
    plan_vs_actuals,
    planned_to_date,
    review_month,
    risks,
    sla_share,
    team_of,
    team_pacing,
)
from funnelkit.crm.sourcing import marketing_entries

MARCH_PLAN = {
    "name": "march",
    "period": {"start": "2026-03", "months": 1},
    "revenue_goal": 40000,
    "marketing_share": 1.0,
    "deal_size": 10000,
    "funnel": [
        {"stage": "lead", "conversion_rate": 0.5, "days": 10},
        {"stage": "mql", "conversion_rate": 0.5, "days": 10},
        {"stage": "sql", "conversion_rate": 0.5, "days": 10},
        {"stage": "opportunity", "conversion_rate": 0.5, "days": 10},
        {"stage": "won"},
    ],
    "sla": ONE_CALL_SLA,
}


def march_plan(**changes):
    raw = copy.deepcopy(MARCH_PLAN)
    raw.update(changes)
    return build_plan(params_from_dict(raw))


def test_plan_vs_actuals_counts_each_stage_in_its_own_lagged_window(tiny_export):
    # 40,000 / 10,000 = 4 won, then 8 opportunities, 16 SQLs, 32 MQLs, 64 leads; lags 40, 30,
    # 20, 10, 0 days before March. As of 16 March: lead window 20 Jan – 19 Feb (whole: 64),
    # mql 30 Jan – 1 Mar (32), sql 9 Feb – 11 Mar (16), opportunity 19 Feb – 16 Mar (26 of its
    # 31 days: 8 × 26/31), won 1 – 16 March (4 × 16/31), revenue 40,000 × 16/31.
    table = read_export(tiny_export)
    frame = plan_vs_actuals(march_plan(), table, "2026-03-16")
    assert frame["line"].tolist() == ["lead", "mql", "sql", "opportunity", "won", "revenue"]
    assert frame["team"].tolist() == ["marketing", "marketing", "sales", "sales", "sales", "shared"]
    assert frame["counted_from"].dt.strftime("%Y-%m-%d").tolist() == [
        "2026-01-20",
        "2026-01-30",
        "2026-02-09",
        "2026-02-19",
        "2026-03-01",
        "2026-03-01",
    ]
    np.testing.assert_allclose(
        frame["planned"], [64, 32, 16, 8 * 26 / 31, 4 * 16 / 31, 40000 * 16 / 31]
    )
    assert frame["planned_whole"].tolist() == [64, 32, 16, 7, 3, 20645]
    # leads 3 (20 Jan 12:00), 4 (2 Feb) and 5 (14 Feb); MQL 4 (3 Feb); no SQL from 9 Feb; no
    # opportunity from 19 Feb; lead 4 won on 12 March for 20,000. Lead 4 came from Offline
    # Sources, not marketing's: the stages, which are marketing's funnel, leave it out; revenue,
    # the shared goal's, counts it.
    assert frame["actual"].tolist() == [2, 0, 0, 0, 0, 20000]
    # the last day each window counts: the as-of day, or the window's own last day
    assert frame["counted_to"].dt.strftime("%Y-%m-%d").tolist() == [
        "2026-02-19",
        "2026-03-01",
        "2026-03-11",
        "2026-03-16",
        "2026-03-16",
        "2026-03-16",
    ]
    # with sources the mapping cannot tell apart, every lead is marketing's
    untold = dataclasses.replace(
        table, mapping=dataclasses.replace(table.mapping, marketing_sources=())
    )
    assert plan_vs_actuals(march_plan(), untold, "2026-03-16")["actual"].tolist() == [
        3,
        1,
        0,
        0,
        1,
        20000,
    ]
    # attainment against the whole target shown beside it (revenue against the money)
    np.testing.assert_allclose(frame["attainment"], [2 / 64, 0, 0, 0, 0, 20000 / (40000 * 16 / 31)])
    np.testing.assert_allclose(frame["gap"], frame["actual"] - frame["planned"])


def test_plan_vs_actuals_refuses_a_plan_with_other_stages(tiny_export):
    raw_funnel = [
        {"stage": "lead", "conversion_rate": 0.5, "days": 1},
        {"stage": "customer"},
    ]
    plan = march_plan(funnel=raw_funnel, sla={**MARCH_PLAN["sla"], "handoff_stage": "lead"})
    with pytest.raises(InputError) as err:
        plan_vs_actuals(plan, read_export(tiny_export))
    assert str(err.value) == (
        "'funnel' stages of plan 'march' must be the export's stages lead, mql, sql, "
        "opportunity, won (got lead, customer)"
    )


@settings(max_examples=40, deadline=None)
@given(
    goal=st.floats(1000, 1e7),
    rates=st.lists(st.floats(0.06, 1), min_size=4, max_size=4),  # within MAX_VOLUME leads
    days=st.lists(st.floats(0, 60), min_size=4, max_size=4),
    months=st.integers(1, 6),
    day=st.integers(-200, 400),
)
def test_planned_to_date_grows_to_the_whole_plan(goal, rates, days, months, day):
    funnel = [
        {"stage": s, "conversion_rate": r, "days": d}
        for s, r, d in zip(("lead", "mql", "sql", "opportunity"), rates, days, strict=True)
    ]
    plan = march_plan(
        revenue_goal=goal,
        funnel=[*funnel, {"stage": "won"}],
        period={"start": "2026-03", "months": months},
    )
    as_of = pd.Timestamp("2026-03-01") + pd.Timedelta(days=day)
    volumes, revenue = planned_to_date(plan, as_of)
    later_volumes, later_revenue = planned_to_date(plan, as_of + pd.Timedelta(days=1))
    assert np.all(volumes <= plan.targets.volumes * (1 + 1e-9))
    assert np.all(later_volumes >= volumes - 1e-9)
    assert later_revenue >= revenue - 1e-9
    end_volumes, end_revenue = planned_to_date(plan, "2027-12-31")
    np.testing.assert_allclose(end_volumes, plan.targets.volumes, rtol=1e-9)
    assert end_revenue == pytest.approx(goal, rel=1e-9)
    # the phasing's own months agree: volumes to the end of each month sum its periods
    edges = plan.monthly.bounds
    for k in range(len(edges) - 1):
        to_month_end, _ = planned_to_date(plan, pd.Timestamp(edges[k + 1]) - pd.Timedelta(days=1))
        np.testing.assert_allclose(
            to_month_end, plan.monthly.volumes[: k + 1].sum(axis=0), rtol=1e-9, atol=1e-9
        )


def test_teams_split_at_the_handoff_stage():
    plan = march_plan()
    assert [team_of(plan, s) for s in plan.params.funnel.stages] == [
        "marketing",
        "marketing",
        "sales",
        "sales",
        "sales",
    ]


def test_review_month_defaults_to_the_export_month_and_refuses_others(tiny_export):
    table = read_export(tiny_export)  # its latest time: 1 April 2026
    plan = march_plan(period={"start": "2026-04", "months": 1})
    assert months_with_actuals(plan, table) == ["2026-02", "2026-03", "2026-04"]
    assert review_month(plan, table) == "2026-04"
    assert review_month(plan, table, "2026-03") == "2026-03"
    with pytest.raises(InputError) as err:
        review_month(plan, table, "2026-05")
    assert str(err.value) == (
        "'month' must be a month of plan 'march' with actuals (months 2026-02 to 2026-04; "
        "with actuals to 2026-04-01: 2026-02 to 2026-04) (got '2026-05')"
    )


def test_month_pacing_is_stage_pacing_against_the_month_whole_volume(tiny_export):
    table = read_export(tiny_export)
    plan = march_plan()
    frame = month_pacing(plan, table, "2026-03")
    i = plan.monthly.labels.index("2026-03")
    marketing = marketing_entries(table)  # lead 4, from Offline Sources, left out
    assert sorted(marketing.leads["lead_id"].astype(str)) == ["1", "2", "3", "5", "6"]
    for row in frame.itertuples():
        goal = plan.monthly.whole[i, plan.monthly.stages.index(row.stage)]
        p = stage_pacing(marketing, row.stage, float(goal), "2026-03", "2026-03-31")
        assert row.goal == goal
        assert row.actual_to_date == p.actual_to_date
        assert row.expected_to_date == pytest.approx(p.expected_to_date)
        assert row.projected_attainment == pytest.approx(p.projected_attainment)
    # March: MQL 6 (31 March); lead 4's win on 12 March is sales-sourced
    assert frame.set_index("stage").loc[["mql", "won"], "actual_to_date"].tolist() == [1, 0]
    paced = team_pacing(plan, table, "2026-03")
    assert {team: stage for team, (stage, _) in paced.items()} == {
        "marketing": "mql",
        "sales": "won",
    }


def test_a_stage_the_export_gives_no_times_for_is_left_out_of_the_pacing(tiny_export):
    table = read_export(tiny_export)
    undated = dataclasses.replace(table, leads=table.leads.assign(mql_at=pd.NaT))
    assert undated.undated_stages == ("mql",)
    plan = march_plan()
    assert "mql" in set(month_pacing(plan, table, "2026-03")["stage"])
    assert "mql" not in set(month_pacing(plan, undated, "2026-03")["stage"])
    assert "marketing" not in team_pacing(plan, undated, "2026-03")  # its stage is mql


def baselines(rate: float, days: float, deal: float, share: float) -> Baselines:
    steps = ("lead→mql", "mql→sql", "sql→opportunity", "opportunity→won")
    return Baselines(
        funnel=Funnel(("lead", "mql", "sql", "opportunity", "won"), (rate,) * 4, (days,) * 4),
        deal_size=deal,
        marketing_share=share,
        sales_cycle_days=4 * days,
        leads_measured=dict.fromkeys(steps, 200),
    )


def test_risks_flag_what_the_plan_asks_beyond_history():
    # plan: rates 0.5, days 10, deal 10,000, share 1.0, one rep
    plan = march_plan()
    r = risks(plan, baselines(rate=0.4, days=10.5, deal=10000, share=0.8)).set_index("figure")
    assert r.loc["rate.lead→mql", "verdict"] == "stretch"  # +25 %
    assert r.loc["rate.lead→mql", "sentence"] == (
        "Lead → MQL rate: the plan assumes 50.0%, history shows 40.0% (+25%; 200 mature leads)"
    )
    assert r.loc["days.lead→mql", "verdict"] == "in line"  # 10 against 10.5: -5 %
    assert r.loc["deal_size", "verdict"] == "in line"
    assert r.loc["marketing_share", "verdict"] == "stretch"  # 1.0 against 0.8
    easy = risks(plan, baselines(rate=0.6, days=20, deal=12000, share=1.0)).set_index("figure")
    assert easy.loc["rate.lead→mql", "verdict"] == "easier"
    assert easy.loc["days.lead→mql", "verdict"] == "stretch"  # 10 days against 20: faster
    assert easy.loc["deal_size", "verdict"] == "easier"
    assert r.loc["reps", "verdict"] == "in line"
    assert "pipeline coverage" not in r["driver"].tolist()  # one definition: forecast.coverage


def test_risks_flag_too_few_reps():
    plan = march_plan(
        sla={**MARCH_PLAN["sla"], "touches_per_rep_per_day": 1, "reps": 0.5},
        pipeline={"open_value": 40000},
    )
    r = risks(plan, baselines(0.5, 10, 10000, 1.0)).set_index("figure")
    assert r.loc["reps", "verdict"] == "stretch"
    assert r.loc["reps", "sentence"] == (
        "sales capacity: 0.5 reps; the busiest month needs 2 to follow every MQL up on the cadence"
    )
    assert "pipeline coverage" not in r["driver"].tolist()  # one definition: forecast.coverage


def test_capacity_is_judged_by_the_reps_the_busiest_month_needs_not_the_reps_planned():
    plan = march_plan(sla={**MARCH_PLAN["sla"], "reps": 5})
    r = risks(plan, baselines(0.5, 10, 10000, 1.0)).set_index("figure")
    peak = plan.sla.reps_needed_peak
    assert peak == plan.sla.reps_needed_whole.max() < 5
    assert r.loc["reps", "verdict"] == "in line"
    assert r.loc["reps", "history"] == peak
    assert r.loc["reps", "sentence"] == (
        f"sales capacity: 5 reps; the busiest month needs {peak:g} to follow every MQL up on "
        "the cadence"
    )


def test_discussion_points_put_the_most_pressing_first():
    pacing = pd.DataFrame(
        {
            "stage": ["mql", "won"],
            "team": ["marketing", "sales"],
            "month": ["2026-10", "2026-10"],
            "goal": [100, 10],
            "expected_to_date": [50.0, 4.5],
            "expected_whole": [50, 5],
            "actual_to_date": [40.0, 2.0],
            "gap": [-10.0, -3.0],
            "projection": [80.0, 4.0],
            "projected_attainment": [0.8, 0.4],
        }
    )
    sla = pd.DataFrame(
        {
            "owner": ["Ann", "Bob", None],
            "handed_off": [10, 10, 2],
            "touched": [10, 8, 0],
            "within_window": [9, 4, 0],
            "pending": [0, 0, 1],
            "share_within": [0.9, 0.4, 0.0],
        }
    )
    leaks = pd.DataFrame(
        {
            "stage": ["lead", "lead", "mql"],
            "step": ["lead→mql", "lead→mql", "mql→sql"],
            "source": ["Paid", "Organic", "Paid"],
            "reached": [50, 30, 20],
            "advanced": [10, 20, 10],
            "lost": [30, 5, 5],
            "stalled": [5, 0, 0],
            "in_progress": [5, 5, 5],
        }
    )
    assert discussion_points(pacing, sla, leaks, 10, ("sales-follow-up", 0.8, 0.55)) == [
        "Sales: customers are on course for 4 of 10 (40%); 2 so far against 5 expected.",
        "Marketing: MQLs are on course for 80 of 100 (80%); 40 so far against 50 expected.",
        "Sales: 62% of hand-offs were touched within the SLA's 10 minutes.",
        "Sales: Bob has the most hand-offs touched late or not at all (6).",
        "Sales: goal sales-follow-up asks for 80% of hand-offs touched within 60 minutes; "
        "this month 55%.",
        "Both teams: most leads stop at Lead → MQL from Paid: 35 lost or stalled of 50.",
    ]
    ended = discussion_points(pacing, sla.iloc[0:0], leaks.iloc[0:0], 10, ended=True)
    assert ended[:2] == [  # a month that is over is told in the past tense, without a projection
        "Sales: customers ended the month at 2 of 10 (40%).",
        "Marketing: MQLs ended the month at 40 of 100 (80%).",
    ]
    on_pace = pacing.assign(projected_attainment=[1.0, 1.2])
    none = sla.iloc[0:0]
    assert discussion_points(on_pace, none, leaks.iloc[0:0], 10) == [
        "Every stage is on pace and the SLA holds: no issue to raise."
    ]


def test_sla_share_worked_by_hand(tiny_export):
    # January hand-offs (MQL times): lead 1 touched after 5 minutes, lead 2 after 70, lead 3
    # after 30; February: lead 4 never touched; March: lead 6 after 90 minutes.
    table = read_export(tiny_export)
    assert sla_share(table, "mql", "2026-01", 60) == pytest.approx(2 / 3)
    assert sla_share(table, "mql", "2026-01", 10) == pytest.approx(1 / 3)
    assert sla_share(table, "mql", "2026-02", 60) == 0
    assert sla_share(table, "mql", "2026-03", 120) == 1
    assert np.isnan(sla_share(table, "mql", "2026-05", 60))


def test_a_month_beyond_what_history_has_seen_is_flagged():
    """The sample's busiest month of leads, and a plan asking for several times it."""
    table = read_export(SAMPLE)
    marketing = table.leads["source"].isin(table.mapping.marketing_sources)
    busiest = (
        table.leads.loc[marketing, "lead_at"].dt.to_period("M").value_counts().max()
    )  # marketing's leads created in the busiest month (the plan's funnel is marketing's)
    plan = build_plan(load_params(ROOT / "params" / "example.yaml"))
    assert review.beyond_history(plan, table).empty  # the example plan is within 3×
    bold = build_plan(dataclasses.replace(plan.params, revenue_goal=plan.params.revenue_goal * 8))
    flags = review.beyond_history(bold, table).set_index("stage")
    assert "lead" in flags.index
    row = flags.loc["lead"]
    assert row["busiest"] == busiest
    assert row["target"] == bold.monthly.whole[:, 0].max()
    assert row["multiple"] == pytest.approx(row["target"] / busiest)
    assert row["multiple"] > bold.params.history_multiple
