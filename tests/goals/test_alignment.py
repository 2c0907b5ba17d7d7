"""Alignment of team goals with the shared goal, worked through the plan arithmetic by hand."""

import dataclasses
import datetime as dt

import pytest
from conftest import SAMPLE

from funnelkit import build_plan, load_params
from funnelkit.core.exceptions import InputError
from funnelkit.crm.leads import read_export
from funnelkit.goals.alignment import align, orphans, unserved
from funnelkit.goals.records import Goal, GoalSet, Target, load_goals


@pytest.fixture(scope="module")
def world(request):
    root = request.config.rootpath
    table = read_export(SAMPLE)
    plan = build_plan(load_params(root / "params" / "example.yaml"))
    return root, table, plan


def test_example_team_goals_deliver_the_shared_goal_by_hand(world):
    root, table, plan = world
    goals = load_goals(root / "params" / "goals" / "example.yaml", table.stages)
    a = align(goals, "shared-revenue", table, plan)
    # 240 MQLs (marketing) × 46 % to SQL (sales) × the plan's 58 % and 31 % × 14,900 ÷ 84 %
    assert a.implied == pytest.approx(240 * 0.46 * 0.58 * 0.31 * 14_900 / 0.84)
    assert a.bottleneck == "marketing-mqls"
    # the shared goal: +5 % on the last full quarter (2026Q3)
    assert a.required == pytest.approx(325_190 * 1.05)
    assert a.gap < 0  # the team goals more than deliver
    moves = a.moves.set_index("goal")
    assert set(moves.index) == {
        "marketing-mqls",
        "sales-conversion",
    }  # lead→MQL is above the bottleneck
    assert moves.loc["marketing-mqls", "target_to_close_gap"] == pytest.approx(
        240 * a.required / a.implied
    )


def test_a_team_goal_that_does_not_add_up_names_the_gap_and_the_move(world):
    root, table, plan = world
    goals = load_goals(root / "params" / "goals" / "poorly-formed.yaml", table.stages)
    a = align(goals, "shared-growth", table, plan)
    assert a.bottleneck == "too-few-mqls"
    assert a.implied == pytest.approx(120 * 0.45 * 0.58 * 0.31 * 14_900 / 0.84)
    assert a.gap == pytest.approx(a.required - a.implied)
    move = a.moves.set_index("goal").loc["too-few-mqls"]
    assert move["target_to_close_gap"] * a.implied / 120 == pytest.approx(a.required)


def test_moving_the_bottleneck_by_the_named_amount_closes_the_gap(world):
    _, table, plan = world
    shared = Goal(
        id="s", title="t", team="shared", metric="revenue", target=Target("value", 400_000)
    )
    mqls = Goal(
        id="m",
        title="t",
        team="marketing",
        metric="volume:mql",
        target=Target("value", 150),
        parent="s",
    )
    a = align(GoalSet((shared, mqls)), "s", table, plan)
    needed = a.moves.set_index("goal").loc["m", "target_to_close_gap"]
    moved = dataclasses.replace(mqls, target=Target("value", needed))
    assert align(GoalSet((shared, moved)), "s", table, plan).gap == pytest.approx(0, abs=1e-6)


def test_a_rate_that_cannot_close_the_gap_alone_says_so(world):
    _, table, plan = world
    shared = Goal(
        id="s",
        title="t",
        team="shared",
        metric="revenue",
        target=Target("value", 10_000_000),
        start=dt.date(2027, 1, 1),
        end=dt.date(2027, 3, 31),
    )
    rate = Goal(
        id="r",
        title="t",
        team="sales",
        metric="conversion:opportunity→won",
        target=Target("value", 0.31),
        parent="s",
    )
    a = align(GoalSet((shared, rate)), "s", table, plan)
    assert a.bottleneck is None
    assert (
        a.moves.set_index("goal")["target_to_close_gap"].isna().all()
    )  # it would need a rate above 1


def test_orphans_and_unserved_shared_goals(world):
    root, table, _ = world
    poor = load_goals(root / "params" / "goals" / "poorly-formed.yaml", table.stages)
    assert orphans(poor) == ("be-better", "orphan")
    lone = GoalSet((Goal(id="s", title="t", team="shared"),))
    assert unserved(lone) == ("s",)
    assert orphans(load_goals(root / "params" / "goals" / "example.yaml", table.stages)) == ()


def test_alignment_needs_a_revenue_shared_goal(world):
    _, table, plan = world
    goals = GoalSet(
        (Goal(id="s", title="t", team="shared", metric="volume:mql", target=Target("value", 5)),)
    )
    with pytest.raises(InputError) as err:
        align(goals, "s", table, plan)
    assert (
        str(err.value)
        == "'metric' of shared goal 's' must be 'revenue' with a target to check alignment (got 'volume:mql')"
    )
