"""Goals as chances on the example plan: a target written as a level becomes the number the
forecast's trials reach with that chance, the levels keep their order, team goals met together
are at most as likely as the least likely alone (counted again from the trials), and a level
the forecast cannot give is refused with the file, the goal and the reason."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ROOT, example_with_goals

from funnelkit.core.exceptions import ParamsError
from funnelkit.forecast.chances import level
from funnelkit.goals.records import Target, parse_target
from funnelkit.model.goal_levels import goal_levels, together
from funnelkit.model.loader import load_plan_data

EXAMPLE_GOALS = (ROOT / "params" / "goals" / "example.yaml").read_text()
SQL_GOAL = """
  - id: sales-sqls
    title: Accept the SQLs the forecast reaches in half its periods
    team: sales
    metric: volume:sql
    target: {target}
    period: {{start: 2027-01-01, end: 2027-03-31}}
    parent: shared-revenue
"""


@pytest.fixture(scope="module")
def with_p50(tmp_path_factory):
    folder = tmp_path_factory.mktemp("p50")
    return load_plan_data(example_with_goals(folder, EXAMPLE_GOALS + SQL_GOAL.format(target="p50")))


def test_a_level_target_is_parsed_and_out_of_range_ones_refused():
    assert parse_target("p50", "volume:sql", {}) == Target("level", 0.5)
    assert parse_target("P90", "revenue", {}) == Target("level", 0.9)
    assert Target("level", 0.9).text() == "P90"
    with pytest.raises(Exception, match=r"as a level pNN \(NN 1–99\)"):
        parse_target("p0", "revenue", {})
    with pytest.raises(Exception, match="a level of the forecast such as 'p50'"):
        parse_target("p100", "revenue", {})


def test_a_p50_target_is_the_number_half_the_trials_reach(with_p50):
    goal = with_p50.goals.goal("sales-sqls")
    trials = with_p50.outcomes.trials["volume:sql"]
    assert goal.target.kind == "value"
    assert goal.target.level == 0.5
    assert goal.target.amount == level(trials, 0.5)
    assert goal.target.text() == f"{goal.target.amount:,g} (P50)"
    # at least half the trials reach it, fewer than half reach anything higher
    assert (trials >= goal.target.amount).mean() >= 0.5
    assert (trials > goal.target.amount).mean() < 0.5
    # counted independently: the median of the trials, for an odd count of them
    assert goal.target.amount == np.sort(trials)[::-1][len(trials) // 2 - 1]


def test_levels_keep_their_order_and_chances_are_the_trials_share(with_p50):
    data = with_p50
    found = goal_levels(data.goals, data.outcomes, data.table, "mql")
    assert [g.goal.id for g in found] == ["shared-revenue", "marketing-mqls", "sales-sqls"]
    for g in found:
        assert g.levels["commit"] <= g.levels["plan"] <= g.levels["stretch"]
        trials = data.outcomes.trials[g.goal.metric]
        assert g.chance == pytest.approx((trials >= g.target).mean())
    mqls = next(g for g in found if g.goal.id == "marketing-mqls")
    assert mqls.target == 240


def test_team_goals_together_are_at_most_as_likely_as_the_least_alone(with_p50):
    data = with_p50
    found = goal_levels(data.goals, data.outcomes, data.table, "mql")
    (t,) = together(found, data.goals, data.outcomes)
    assert [x.goal.id for x in t.teams] == ["marketing-mqls", "sales-sqls"]
    assert {g.id for g in t.left_out} == {
        "marketing-lead-quality",
        "sales-follow-up",
        "sales-conversion",
    }
    assert t.all_teams <= min(x.chance for x in t.teams)
    # counted again from the trials
    trials = data.outcomes.trials
    met = (trials["volume:mql"] >= 240) & (trials["volume:sql"] >= t.teams[1].target)
    assert t.all_teams == pytest.approx(met.mean())
    shared = trials["revenue"][met] >= t.shared.target
    assert t.shared_given_teams == pytest.approx(shared.mean())
    # the trials tie the two goals (a period with many MQLs tends to have many SQLs), but not
    # fully: some periods meet the likelier MQL goal and miss the SQLs' median
    assert t.all_teams < min(x.chance for x in t.teams)


def test_a_level_on_a_metric_the_forecast_does_not_simulate_is_refused(tmp_path):
    goals = EXAMPLE_GOALS.replace(
        'metric: conversion:lead→mql\n    target: "+5%"',
        "metric: conversion:lead→mql\n    target: p50",
    )
    assert goals != EXAMPLE_GOALS
    with pytest.raises(ParamsError) as err:
        load_plan_data(example_with_goals(tmp_path, goals))
    message = str(err.value)
    assert message.startswith(
        f"{tmp_path / 'goals.yaml'}: goal 'marketing-lead-quality': 'target' P50"
    )
    assert (
        "is a level of the forecast, and the forecast covers new_customers, revenue, "
        "volume:lead, volume:mql, volume:opportunity, volume:sql, volume:won from 2027-01-01 "
        "to 2027-03-31"
    ) in message
    assert "(got metric 'conversion:lead→mql', 2027-01-01 to 2027-03-31)" in message


def test_a_level_without_a_forecast_says_why(tmp_path):
    # the Q3 plan's period has ended by the export's as-of day: no forecast
    goals = (
        SQL_GOAL.format(target="p50")
        .replace("2027-01-01", "2026-07-01")
        .replace("2027-03-31", "2026-09-30")
    )
    (tmp_path / "goals.yaml").write_text(
        "teams: [shared, marketing, sales]\ngoals:"
        + goals.replace("    parent: shared-revenue\n", "")
    )
    plan = (ROOT / "params" / "2026-q3.yaml").read_text().replace("../data/", f"{ROOT}/data/")
    (tmp_path / "plan.yaml").write_text(plan + f"goals: {tmp_path / 'goals.yaml'}\n")
    with pytest.raises(
        ParamsError,
        match=r"'target' P50 is a level of the forecast, and there is no forecast \(the plan's period has ended by the export's as-of day\)",
    ):
        load_plan_data(tmp_path / "plan.yaml")
