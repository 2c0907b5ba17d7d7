"""SMART and FAST: every letter's pass, warn and fail, on the sample's history and the example plan."""

import dataclasses
import datetime as dt

import numpy as np
import pytest
from conftest import ROOT, SAMPLE

from funnelkit import build_plan, load_params, params_from_dict
from funnelkit.crm.leads import read_export
from funnelkit.crm.mapping_file import mapping_from_dict
from funnelkit.goals.checks import Context, Outcomes, check_goal, position
from funnelkit.goals.metrics import metric_series
from funnelkit.goals.records import Goal, Target, Thresholds, load_goals
from funnelkit.plan.channels import Channel

Q1 = {"start": dt.date(2027, 1, 1), "end": dt.date(2027, 3, 31)}
TODAY = dt.date(2026, 11, 22)


@pytest.fixture(scope="module")
def context(request):
    root = request.config.rootpath
    return Context(
        read_export(SAMPLE), build_plan(load_params(root / "params" / "example.yaml")), TODAY
    )


def good(**changes):
    """A goal that passes every letter; tests change one thing at a time."""
    base = Goal(
        id="g",
        title="Convert 47% of MQLs",
        team="sales",
        owner="VP Sales",
        metric="conversion:mql→sql",
        target=Target("value", 0.47),
        **Q1,
        review_cadence_days=14,
        last_review=dt.date(2026, 11, 15),
        stakeholders=("marketing",),
        published=True,
    )
    return dataclasses.replace(base, **changes)


def verdict(goal, context, letter, framework=None):
    checks = [
        c
        for c in check_goal(goal, context)
        if c.letter == letter and (framework is None or c.framework == framework)
    ]
    assert len(checks) == 1
    return checks[0].status, checks[0].sentence


def test_a_good_goal_passes_every_letter(context):
    assert {(c.framework, c.letter): c.status for c in check_goal(good(), context)} == {
        ("SMART", "specific"): "pass",
        ("SMART", "measurable"): "pass",
        ("SMART", "attainable"): "pass",
        ("SMART", "realistic"): "pass",
        ("SMART", "time-based"): "pass",
        ("FAST", "frequently discussed"): "pass",
        ("FAST", "ambitious"): "pass",
        ("FAST", "specific"): "pass",
        ("FAST", "transparent"): "pass",
    }


def test_position_ranks_the_change_among_past_changes(context):
    where = position(good(), context.table)
    series = metric_series(context.table, "conversion:mql→sql", "quarter")
    complete = series[series.index.end_time <= context.table.as_of]
    assert where.baseline == complete.iloc[-1]
    past = complete.pct_change().dropna()
    assert where.history == len(past)
    assert where.rank == pytest.approx((past < where.change).mean())
    assert where.largest == pytest.approx(past.max())


@pytest.mark.parametrize(
    ("changes", "status", "start"),
    [
        ({}, "pass", "VP Sales owns conversion:mql→sql with a target of 47.0%."),
        ({"owner": None}, "warn", "It names a metric and a target but no owner."),
        (
            {"target": None},
            "fail",
            "It does not name a numeric target, so nobody can tell when it is met.",
        ),
        ({"metric": None, "target": None}, "fail", "It does not name a metric or a numeric target"),
    ],
)
def test_specific(context, changes, status, start):
    got = verdict(good(**changes), context, "specific", "SMART")
    assert got[0] == status
    assert got[1].startswith(start)


def test_measurable(context, tiny_export):
    assert verdict(good(), context, "measurable")[0] == "pass"
    assert verdict(good(metric=None), context, "measurable") == (
        "fail",
        "Without a metric it cannot be measured.",
    )
    few = Context(context.table, context.plan, TODAY, Thresholds(min_history=10))
    assert verdict(good(), few, "measurable")[0] == "warn"
    no_amounts = Context(
        read_export(
            tiny_export,
            mapping_from_dict({"name": "x", "preset": "hubspot", "columns": {"amount": "nothing"}}),
        ),
        None,
        TODAY,
    )
    status, sentence = verdict(
        good(metric="revenue", target=Target("change", 0.05)), no_amounts, "measurable"
    )
    assert (status, sentence) == (
        "fail",
        "The data at hand cannot measure it: 'metric' 'revenue' needs deal amounts (the export has no 'amount').",
    )


def test_attainable_and_ambitious_pull_against_each_other(context):
    where = position(good(), context.table)
    usual = good(target=Target("value", where.baseline * 1.0001))
    assert verdict(usual, context, "ambitious")[0] in ("warn", "pass")
    flat = good(target=Target("value", where.baseline))
    assert verdict(flat, context, "ambitious")[0] == "fail"
    never = good(target=Target("change", where.largest + 0.5))
    status, sentence = verdict(never, context, "attainable")
    assert status == "fail"
    assert "more than any quarter has done" in sentence
    assert verdict(never, context, "ambitious")[0] == "pass"
    bau = Context(context.table, context.plan, TODAY, Thresholds(stretch_position=1.0))
    assert verdict(good(), bau, "ambitious")[0] == "warn"
    strict = Context(context.table, context.plan, TODAY, Thresholds(attainable_position=0.0))
    assert verdict(good(), strict, "attainable")[0] == "warn"


def test_realistic(context):
    assert verdict(good(), context, "realistic")[0] == "pass"
    short = good(metric="volume:mql", target=Target("value", 100))
    assert verdict(short, context, "realistic") == (
        "fail",
        "100 mql fall short of the 238 the plan needs for the shared goal.",
    )
    enough = good(metric="volume:mql", target=Target("value", 240))
    assert verdict(enough, context, "realistic") == (
        "pass",
        "240 mql cover the 238 the plan needs.",
    )
    no_plan = Context(context.table, None, TODAY)
    assert verdict(good(), no_plan, "realistic") == (
        "warn",
        "No plan to check its resources against.",
    )
    root = ROOT
    import yaml

    raw = yaml.safe_load((root / "params" / "example.yaml").read_text())
    raw["sla"]["reps"] = 0.2
    thin = Context(
        context.table,
        build_plan(params_from_dict(raw, folder=root / "params")),
        TODAY,
    )
    status, sentence = verdict(good(), thin, "realistic")
    assert status == "fail"
    assert sentence.startswith("The plan's hand-offs need 0.8 more rep(s)")


def test_time_based(context):
    assert verdict(good(), context, "time-based") == (
        "pass",
        "It runs from 2027-01-01 to 2027-03-31.",
    )
    assert verdict(good(start=None, end=None), context, "time-based") == (
        "fail",
        "It has no period, so there is no deadline.",
    )
    late = good(end=dt.date(2027, 6, 30))
    assert verdict(late, context, "time-based")[0] == "warn"


def test_frequently_discussed(context):
    assert verdict(good(), context, "frequently discussed")[0] == "pass"
    assert verdict(good(review_cadence_days=None), context, "frequently discussed") == (
        "fail",
        "No review cadence is set.",
    )
    overdue = good(last_review=dt.date(2026, 10, 1))
    assert verdict(overdue, context, "frequently discussed") == (
        "warn",
        "Due for review every 14 days, last reviewed on 2026-10-01: overdue.",
    )
    assert verdict(good(last_review=None), context, "frequently discussed")[0] == "warn"


def test_fast_specific_and_transparent(context):
    assert verdict(good(), context, "specific", "FAST")[0] == "pass"
    assert verdict(good(start=None, end=None), context, "specific", "FAST")[0] == "fail"
    assert verdict(good(), context, "transparent") == (
        "pass",
        "Published, with marketing as stakeholders.",
    )
    assert verdict(good(published=False), context, "transparent") == (
        "warn",
        "It is not published in the shared report.",
    )
    assert verdict(good(stakeholders=()), context, "transparent") == (
        "warn",
        "It names no stakeholder team.",
    )
    assert verdict(good(stakeholders=(), published=False), context, "transparent")[0] == "fail"


def test_the_bundled_goal_sets(context, request):
    root = request.config.rootpath
    good_set = load_goals(root / "params" / "goals" / "example.yaml", context.table.stages)
    fails = [
        (c.goal_id, c.letter)
        for g in good_set.goals
        for c in check_goal(g, context)
        if c.status == "fail"
    ]
    assert fails == []
    poor = load_goals(root / "params" / "goals" / "poorly-formed.yaml", context.table.stages)
    statuses = {
        (c.goal_id, c.framework, c.letter): c.status
        for g in poor.goals
        for c in check_goal(g, context)
    }
    assert statuses[("be-better", "SMART", "specific")] == "fail"  # vague
    assert statuses[("be-better", "SMART", "measurable")] == "fail"  # unmeasurable
    assert statuses[("more-leads-someday", "SMART", "time-based")] == "fail"  # no deadline
    assert statuses[("too-few-mqls", "SMART", "realistic")] == "fail"  # does not add up
    assert statuses[("shared-growth", "SMART", "attainable")] == "fail"  # never seen


def test_a_scoped_goal_is_judged_on_its_own_leads(context):
    whole = position(good(metric="volume:mql", target=Target("change", 0.05)), context.table)
    paid = position(
        good(metric="volume:mql", target=Target("change", 0.05), scope={"source": "Paid Search"}),
        context.table,
    )
    assert paid.baseline < whole.baseline
    bad = good(metric="volume:mql", target=Target("change", 0.05), scope={"source": "Radio"})
    status, sentence = verdict(bad, context, "measurable")
    assert status == "fail"
    assert "'scope' source = 'Radio' matches no lead" in sentence


def test_realistic_checks_the_upstream_teams_goal_supplies_enough(context):
    from funnelkit.goals.records import GoalSet

    shared = Goal(
        id="s", title="t", team="shared", metric="revenue", target=Target("change", 0.05), **Q1
    )
    mqls = good(
        id="m", team="marketing", metric="volume:mql", target=Target("value", 240), parent="s"
    )
    sqls = good(id="q", team="sales", metric="volume:sql", target=Target("value", 150), parent="s")
    siblings = Context(context.table, context.plan, TODAY, goals=GoalSet((shared, mqls, sqls)))
    # 240 MQLs at the plan's 45 % MQL→SQL rate bring 108 SQLs, short of 150
    assert verdict(sqls, siblings, "realistic") == (
        "fail",
        "m supplies about 108 sql at the plan's rates, short of this goal's 150.",
    )
    enough = good(
        id="q", team="sales", metric="volume:sql", target=Target("value", 108), parent="s"
    )
    ctx = Context(context.table, context.plan, TODAY, goals=GoalSet((shared, mqls, enough)))
    assert verdict(enough, ctx, "realistic")[0] == "pass"


def test_thresholds_come_from_the_goal_file(request):
    import yaml

    from funnelkit.core.exceptions import ParamsError
    from funnelkit.goals.records import goals_from_dict

    raw = yaml.safe_load(
        (request.config.rootpath / "params" / "goals" / "example.yaml").read_text()
    )
    raw["thresholds"] = {"min_history": 4, "stretch_position": 0.6}
    goals = goals_from_dict(raw, ("lead", "mql", "sql", "opportunity", "won"))
    assert (
        goals.thresholds.min_history,
        goals.thresholds.stretch_position,
        goals.thresholds.attainable_position,
    ) == (4, 0.6, 0.9)
    raw["thresholds"] = {"stretch_position": 1.5}
    with pytest.raises(ParamsError) as err:
        goals_from_dict(raw, ("lead", "mql", "sql", "opportunity", "won"), source="g.yaml")
    assert str(err.value) == "g.yaml: thresholds: 'stretch_position' must be in [0, 1] (got 1.5)"
    raw["thresholds"] = {"stretch": 0.5}
    with pytest.raises(
        ParamsError,
        match=r"^g.yaml: thresholds: 'stretch' is not a known key \(did you mean 'stretch_position'\?\)$",
    ):
        goals_from_dict(raw, ("lead", "mql", "sql", "opportunity", "won"), source="g.yaml")


def test_realistic_checks_the_budget_when_given(context):
    mqls = good(metric="volume:mql", target=Target("value", 240), budget=30_000, cost_per_unit=150)
    assert verdict(mqls, context, "realistic") == (
        "fail",
        "240 mql at 150 each cost 36,000, over the 30,000 budget.",
    )
    within = good(
        metric="volume:mql", target=Target("value", 240), budget=40_000, cost_per_unit=150
    )
    assert verdict(within, context, "realistic")[0] == "pass"
    unpriced = good(metric="volume:mql", target=Target("value", 240), budget=40_000)
    assert verdict(unpriced, context, "realistic") == (
        "warn",
        "A budget of 40,000 is given, but no cost per mql to check it against (give "
        "'cost_per_unit', or a program plan with a costs file).",
    )


def test_realistic_prices_a_volume_at_the_cheapest_mix_of_the_team_s_channels(context):
    # per MQL: A's leads reach MQL half the time at 50 a lead (100 an MQL), B's a quarter of
    # the time at 150 (600 an MQL); A brings at most 200 leads a month: 600 over three months
    stages = context.plan.params.funnel.stages
    rates = {"A": (0.5, 0.5, 0.5, 0.5), "B": (0.25, 0.5, 0.5, 0.5)}
    a = Channel("A", rates["A"], 10_000, 50, capacity=200)
    b = Channel("B", rates["B"], 10_000, 150, capacity=1_000)
    priced = dataclasses.replace(context, channels={"marketing": (a, b)}, channel_months=3)
    assert len(stages) == 5
    # 240 MQLs: 480 of A's leads bring them all, for 480 × 50 = 24,000
    mqls = good(team="marketing", metric="volume:mql", target=Target("value", 240), budget=20_000)
    assert verdict(mqls, priced, "realistic") == (
        "fail",
        "240 mql cost at least 24,000 through the cheapest mix of the channels (their costs "
        "per lead measured on history), over the 20,000 budget.",
    )
    # 400 MQLs: A at capacity (600 leads, 300 MQLs, 30,000), then 100 from B (400 leads, 60,000)
    more = good(team="marketing", metric="volume:mql", target=Target("value", 400), budget=89_000)
    assert verdict(more, priced, "realistic")[1].startswith("400 mql cost at least 90,000")
    enough = dataclasses.replace(more, budget=90_000)
    assert verdict(enough, priced, "realistic")[0] == "pass"
    sales = dataclasses.replace(more, team="sales")  # sales has no priced channel here
    assert verdict(sales, priced, "realistic")[0] == "warn"
    scoped = dataclasses.replace(more, scope={"source": "Paid Search"})
    assert verdict(scoped, priced, "realistic") == (
        "warn",
        "A budget of 89,000 is given for a scoped goal: the channels' mix prices all of its "
        "team's mql, so give its 'cost_per_unit'.",
    )
    revenue = good(metric="revenue", target=Target("value", 300_000), budget=5_000)
    assert verdict(revenue, priced, "realistic") == (
        "warn",
        "Its budget of 5,000 cannot be checked: a budget is checked against a volume goal's "
        "target.",
    )
    beyond = good(team="marketing", metric="volume:mql", target=Target("value", 9_000), budget=1e9)
    assert verdict(beyond, priced, "realistic") == (
        "fail",
        "Even every channel at its capacity cannot bring 9,000 mql over 3 months, whatever the "
        "1,000,000,000 budget.",
    )


def test_realistic_warns_when_there_is_nothing_to_check(context):
    assert verdict(good(metric=None, target=None), context, "realistic") == (
        "warn",
        "Without a metric and a target there is nothing to check its resources against.",
    )


def test_fast_specific_warns_on_a_period_without_checkpoints(context):
    short = good(start=dt.date(2027, 1, 1), end=dt.date(2027, 1, 14))
    assert verdict(short, context, "specific", "FAST") == (
        "warn",
        "Its period is under a month: one milestone at the end, no checkpoints on the way.",
    )


def revenue_goal(amount: float) -> Goal:
    return good(id="rev", metric="revenue", target=Target("value", amount), team="shared")


def with_outcomes(context, totals, **period) -> Context:
    first, last = period.get("first", Q1["start"]), period.get("last", Q1["end"])
    trials = {"revenue": np.asarray(totals, dtype=float)}
    return dataclasses.replace(context, outcomes=Outcomes(first, last, trials))


def test_attainable_and_realistic_state_the_forecast_s_chance(context):
    c = with_outcomes(context, [100, 200, 300, 400])
    status, sentence = verdict(revenue_goal(250), c, "attainable")
    assert sentence.endswith(" The forecast gives it a 50% chance.")
    assert verdict(revenue_goal(250), context, "attainable")[0] == status  # 50 %: no warning
    status, sentence = verdict(revenue_goal(250), c, "realistic")
    assert (status, sentence) == (
        "pass",
        "The plan's capacity and volumes hold for it. The forecast gives it a 50% chance.",
    )


def test_a_chance_below_the_threshold_turns_a_pass_into_a_warning(context):
    c = with_outcomes(context, [100, 200, 300, 400])
    assert verdict(revenue_goal(350), c, "realistic") == (
        "warn",
        "The plan's capacity and volumes hold for it. The forecast gives it a 25% chance, "
        "below the 50% threshold (min_chance).",
    )
    lenient = dataclasses.replace(c, thresholds=Thresholds(min_chance=0.2))
    assert verdict(revenue_goal(350), lenient, "realistic")[0] == "pass"


def test_no_chance_is_claimed_for_another_period_or_metric(context):
    other = with_outcomes(
        context, [100, 200], first=dt.date(2026, 10, 1), last=dt.date(2026, 12, 31)
    )
    assert "forecast" not in verdict(revenue_goal(150), other, "realistic")[1]
    c = with_outcomes(context, [100, 200])
    assert "forecast" not in verdict(good(), c, "realistic")[1]  # a conversion goal
