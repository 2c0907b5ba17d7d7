"""Early warnings on the sample export: behind since when (checked day by day with pandas),
the actions that close the gap (fed back through the forecast), coverage, and the words."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT, SAMPLE, untagged

from funnelkit import read_export
from funnelkit.actuals.review import plan_vs_actuals
from funnelkit.core.formats import percent
from funnelkit.forecast.backtest import known_on
from funnelkit.forecast.coverage import period_coverage
from funnelkit.forecast.early_warnings import (
    SAVING_SHARE,
    actions,
    behind,
    cycle_in_time,
    last_saving_day,
    warnings_text,
)
from funnelkit.forecast.simulation import (
    forecast_plan,
    measure_history,
    open_pipeline,
    plan_arrivals,
    simulate,
)
from funnelkit.plan.build import build_plan
from funnelkit.plan.params import params_from_dict
from funnelkit.present.workbook import (
    _held_words,
    _track_record,
    _track_record_line,
    open_workbook,
    outlook,
)


@pytest.fixture(scope="module")
def sample():
    return read_export(SAMPLE)


def q4(**changes):
    raw = yaml.safe_load((ROOT / "params" / "2026-q4.yaml").read_text())
    raw.update(changes)
    files = ("goals", "actuals", "previous_plan", "next_plan")
    raw = {k: v for k, v in raw.items() if k not in files}
    return build_plan(params_from_dict(raw))


def test_month_rows_add_up_to_the_plan_vs_actuals_figures(sample):
    plan = q4()
    late = behind(plan, sample)
    to_date = plan_vs_actuals(plan, sample).set_index("line")
    for stage, rows in late.groupby("stage", sort=False):
        assert rows["planned"].sum() == pytest.approx(to_date.loc[stage, "planned"])
        assert rows["actual"].sum() == to_date.loc[stage, "actual"]


def test_month_rows_show_whole_volumes_as_targets_do(sample):
    """Planned volumes are rounded up to whole leads, as every target is; the gap is to that."""
    late = behind(q4(), sample)
    assert (late["planned_whole"] == np.ceil(late["planned"] - 1e-9)).all()
    assert (late["gap"] == late["actual"] - late["planned_whole"]).all()
    complete = late[late["month"] < "2026-10"]  # months wholly before the as-of day
    plan = q4()
    for row in complete.itertuples():
        k = plan.monthly.labels.index(row.month)
        stage = plan.monthly.stages.index(row.stage)
        assert row.planned_whole == plan.monthly.whole[k, stage]


def test_behind_since_is_the_start_of_the_last_run_below_plan(sample):
    plan = q4(revenue_goal=680_000)  # twice the goal: every stage falls behind
    late = behind(plan, sample)
    first = late.drop_duplicates("stage").set_index("stage")
    assert first["behind_since"].notna().all()
    # day by day with pandas: cumulative entries against the cumulative plan, whole leads
    windows = plan_vs_actuals(plan, sample).set_index("line")["counted_from"]
    marketing = sample.leads["source"].isin(sample.mapping.marketing_sources)
    assert 0 < marketing.sum() < len(marketing)  # the plan's funnel is marketing's leads only
    for stage in plan.params.funnel.stages:
        days = pd.date_range(windows[stage], sample.as_of.normalize(), freq="D")
        times = sample.leads.loc[marketing, f"{stage}_at"]
        actual = [
            ((times >= windows[stage]) & (times < d + pd.Timedelta(days=1))).sum() for d in days
        ]
        planned = [
            plan_vs_actuals(plan, sample, d).set_index("line").loc[stage, "planned"] for d in days
        ]
        short = [a < np.floor(p + 1e-9) for a, p in zip(actual, planned, strict=True)]
        assert short[-1]
        since = (
            len(short) - next(i for i, s in enumerate(reversed(short)) if not s)
            if not all(short)
            else 0
        )
        assert first.loc[stage, "behind_since"] == days[since]


def test_a_cycle_in_time_is_one_that_ends_within_the_window():
    """Every step takes exactly 10 days, so from the second stage a win takes 30 days."""
    history = measure_history(read_export(SAMPLE))
    fixed = dataclasses.replace(history, durations=tuple(np.array([10.0]) for _ in history.steps))
    assert cycle_in_time(fixed, 1, 30) == 1.0
    assert cycle_in_time(fixed, 1, 29) == 0.0
    assert cycle_in_time(fixed, 1, 45, after=30) == 1.0  # the window opens on the day it lands
    assert cycle_in_time(fixed, 1, 45, after=31) == 0.0  # wins before a later period's start
    assert cycle_in_time(fixed, 1, 45, after=-5) == 1.0  # a period already begun


def test_mqls_added_before_a_later_period_count_only_wins_inside_it(sample):
    """The Q1 2027 plan on an export to October 2026: MQLs added by mid-November whose deals
    close in December win for Q4, not for the plan."""
    plan = q4(period={"start": "2027-01", "months": 3}, revenue_goal=680_000)
    as_of = sample.as_of.normalize()
    history, pipeline = measure_history(sample, as_of), open_pipeline(sample, as_of)
    outcome = forecast_plan(plan, sample)
    add, _ = actions(plan, outcome, history, pipeline, plan_arrivals(plan, as_of))
    assert add.by < outcome.start == pd.Timestamp("2027-01-01")
    by_end = cycle_in_time(history, 1, (outcome.end - add.by).days)
    inside = cycle_in_time(
        history, 1, (outcome.end - add.by).days, after=(outcome.start - add.by).days
    )
    assert add.in_time == inside < by_end
    gap = outcome.customers_goal - outcome.expected_customers
    assert add.amount * np.prod(history.rates[1:]) * inside == pytest.approx(gap)
    assert add.sentence().endswith("would close within the period, 01 Jan 2027 to 31 Mar 2027.")


def test_the_actions_close_the_gap(sample):
    plan = q4()
    as_of = sample.as_of.normalize()
    history, pipeline = measure_history(sample, as_of), open_pipeline(sample, as_of)
    arrivals = plan_arrivals(plan, as_of)
    outcome = forecast_plan(plan, sample)
    add, rate = actions(plan, outcome, history, pipeline, arrivals)
    gap = outcome.customers_goal - outcome.expected_customers
    assert gap > 0
    # the MQLs asked for, at history's MQL-to-won rate and share closing in time, fill the gap
    in_time = cycle_in_time(history, 1, (outcome.end - add.by).days)
    assert add.amount * np.prod(history.rates[1:]) * in_time == pytest.approx(gap)
    assert add.by == pd.Timestamp("2026-11-14")
    assert add.sentence().startswith(f"Add {np.ceil(add.amount):,.0f} more MQLs by 14 Nov 2026")
    # the rate asked for, fed back through the forecast, brings the expected customers to goal
    assert rate.stage == "sql→opportunity"
    assert history.rates[2] < rate.amount < 1
    n = 1e9
    fixed = type(history)(
        **{
            **history.__dict__,
            "converted": np.where(np.arange(4) == 2, rate.amount * n, history.converted),
            "exposure": np.where(np.arange(4) == 2, n, history.exposure),
        }
    )
    check = simulate(
        fixed,
        pipeline,
        arrivals,
        outcome.start,
        outcome.end,
        outcome.goal,
        trials=40_000,
        seed=5,
        to_date=(outcome.revenue_to_date, outcome.customers_to_date),
    )
    assert check.expected_customers == pytest.approx(outcome.customers_goal, abs=0.3)


def test_no_action_when_the_goal_is_expected(sample):
    plan = q4(revenue_goal=100_000)
    outcome = forecast_plan(plan, sample, trials=5_000)
    history = measure_history(sample, sample.as_of.normalize())
    (only,) = actions(plan, outcome, history, outcome.pipeline, plan_arrivals(plan, sample.as_of))
    assert only.kind == "none"


def test_the_last_saving_day(sample):
    outcome = forecast_plan(q4(), sample, trials=5_000)
    history = measure_history(sample, sample.as_of.normalize())
    day = last_saving_day(history, outcome.end)
    assert cycle_in_time(history, 0, (outcome.end - day).days) == pytest.approx(
        SAVING_SHARE, abs=0.01
    )


def test_the_warnings_in_words(sample):
    plan = q4(revenue_goal=680_000)
    outcome = forecast_plan(plan, sample, trials=5_000)
    history = measure_history(sample, sample.as_of.normalize())
    lines = warnings_text(
        outcome,
        behind(plan, sample),
        actions(plan, outcome, history, outcome.pipeline, plan_arrivals(plan, sample.as_of)),
        period_coverage(plan, sample, history, sample.as_of.normalize()),
        last_saving_day(history, outcome.end),
        "USD",
        revenue_planned=200_000,
    )
    assert lines[0].startswith(
        f"{percent(outcome.probability)} chance of reaching the goal of $680,000 by 31 Dec 2026."
    )
    assert lines[1] == (
        "Revenue is behind plan: $76,910 won against $200,000 planned by 31 Oct 2026 "
        "($123,090 short)."
    )
    assert any(line.startswith("Leads (marketing) have been behind plan since") for line in lines)
    assert any(line.startswith("Add ") for line in lines)
    assert "not enough" in lines[-1]


def test_the_workbook_outlook(root):
    items = outlook(open_workbook(str(root / "params" / "2026-q4.yaml")))
    text = untagged(items[0].data)
    assert "chance of reaching the goal of $340,000</strong>" in text
    assert "Revenue is behind plan: $76,910 won against $108,800 planned" in text
    record = untagged(items[1].data)
    assert record.startswith(
        "<p><strong>Track record.</strong> The forecast was re-run every Monday from "
        "06 Apr 2026 to 28 Sep 2026, each time on what the export knew that day, for the quarter "
        "that Monday fell in (26 runs, 2 quarters). The final revenue fell inside the 80% range "
        "26 times and inside the 50% range 24 times; ranges that hold as often as they say "
        "would hold about 21 and 13 times."
    )
    # Q3 2026 has a plan of its own (the previous plan, 2026-q3.yaml); Q2 is scored at the
    # middle of what the export's quarters before it won (139,680, 203,280 and 371,090): a
    # goal known at its start, as the forecasts at each quarter's start are
    assert (
        "($203,280, the middle of what the export's earlier quarters won, for Apr 2026 – Jun "
        "2026; $300,000, its plan's goal, for Jul 2026 – Sep 2026)"
    ) in record
    assert "came in 3.3% below what the runs expected" in record
    assert record.endswith("For today's forecast: the range may be wider than it needs to be.</p>")
    method = untagged(items[0].data)
    assert "simulates the period 100,000 times, starting from 1,267 open leads" in method
    # marketing's 697.8 planned leads ÷ its 83 % share: every source's, over the quarter's 92 days
    assert "557 new ones arriving at the plan's average pace (9.1 a day: marketing's" in method
    assert "510 would arrive in the same time, fewer than at the plan's pace" in method
    # each past quarter forecast on its first day (the first, Jul – Sep 2025, has no earlier
    # quarter to set its goal, so it is not scored): chances 45 %, 56 %, 70 % and 61 %, every
    # goal met; (0.553² + 0.435² + 0.301² + 0.385²) / 4 = 0.18
    starts = untagged(items[2].data)
    assert "Over them its Brier score is 0.18 (0 is perfect" in starts
    assert "better than saying 50/50 every time" in starts
    table = untagged(items[3].data)
    assert "Jul 2025" not in table
    for row in ("Oct 2025 – Dec 2025", "$139,680", "45%", "$203,280", "its plan&#x27;s goal"):
        assert row in table
    assert items[4].data.startswith('<img alt="Revenue forecast to 31 Dec 2026"')
    ended = outlook(open_workbook(str(root / "params" / "2026-q3.yaml")))
    assert untagged(ended[0].data) == (
        "<p>The period ended on 30 Sep 2026: $325,190 won from 22 customers against the goal of "
        "$300,000.</p>"
    )


def test_a_history_too_short_to_backtest_is_said_beside_the_chance(root):
    book = open_workbook(str(root / "params" / "2026-q4.yaml"))
    short = dataclasses.replace(book, table=known_on(book.table, "2025-09-30"))
    assert _track_record_line(short) == (
        "How often such ranges have held cannot be told yet: hubspot-contacts.csv has too "
        "little history to backtest the forecast on: 0 weekly forecasts of periods that have "
        "ended could be made, and 8 or more are needed."
    )
    assert untagged(_track_record(short)[0].data) == (
        '<p class="fk-note"><em>No track record: hubspot-contacts.csv has too little history '
        "to backtest the forecast on: 0 weekly forecasts of periods that have ended could be "
        "made, and 8 or more are needed.</em></p>"
    )


@pytest.mark.parametrize(
    ("share", "words"),
    [
        (26 / 26, "more often than it claims, so the range may be wider than it needs to be"),
        (0.9, "about as often as it claims"),
        (0.7, "about as often as it claims"),
        (6 / 26, "less often than it claims, so treat the range as too narrow"),
    ],
)
def test_how_often_a_range_held_is_read_for_the_leader(share, words):
    assert _held_words(share, 0.8) == words


def test_the_first_page_says_how_often_the_range_held_and_what_that_suggests(root):
    book = open_workbook(str(root / "params" / "2026-q4.yaml"))
    assert untagged(_track_record_line(book)) == (
        "Run every Monday of Apr 2026 – Sep 2026 on what the export knew that day (26 runs), "
        "this forecast saw the final revenue fall inside its 80% range 26 times: more often than "
        "it claims, so the "
        "range may be wider than it needs to be (with 2 quarters behind it, a rough guide)."
    )
