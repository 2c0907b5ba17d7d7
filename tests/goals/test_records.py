"""Goal records: the bundled sets load, and every rule's message names file, goal and value."""

import copy
import datetime as dt

import pytest
import yaml

from funnelkit.core.exceptions import ParamsError
from funnelkit.goals.records import Target, goals_from_dict, load_goals, parse_target

STAGES = ("lead", "mql", "sql", "opportunity", "won")


@pytest.fixture
def example(root):
    return yaml.safe_load((root / "params" / "goals" / "example.yaml").read_text())


def test_bundled_goal_sets_load(root):
    good = load_goals(root / "params" / "goals" / "example.yaml", STAGES)
    assert [g.id for g in good.children("shared-revenue")] == [
        "marketing-mqls",
        "marketing-lead-quality",
        "sales-follow-up",
        "sales-conversion",
    ]
    shared = good.goal("shared-revenue")
    assert (shared.target, shared.start, shared.end) == (
        Target("change", 0.05),
        dt.date(2027, 1, 1),
        dt.date(2027, 3, 31),
    )
    assert shared.last_review == dt.date(2026, 11, 15)
    poor = load_goals(root / "params" / "goals" / "poorly-formed.yaml", STAGES)
    vague = poor.goal("be-better")
    assert (vague.metric, vague.target, vague.start, vague.owner) == (None, None, None, None)


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("+5%", Target("change", 0.05)),
        ("-10 %", Target("change", -0.10)),
        ("2.5%", Target("change", 0.025)),
        (430, Target("value", 430.0)),
    ],
)
def test_targets_are_values_or_changes(text, target):
    assert parse_target(text, "volume:mql", {"volume:mql": "count"}) == target


def test_target_text():
    assert Target("change", 0.05).text() == "+5%"
    assert Target("change", 0.025).text() == "+2.5%"
    assert Target("value", 430).text() == "430"


def change(example, index, key, value):
    raw = copy.deepcopy(example)
    if value is None:
        del raw["goals"][index][key]
    else:
        raw["goals"][index][key] = value
    return raw


@pytest.mark.parametrize(
    ("index", "key", "value", "message"),
    [
        (
            1,
            "metric",
            "mqls",
            "g.yaml: goal 'marketing-mqls': 'metric' must be one of revenue, new_customers, deal_size, sales_cycle, sla_share, volume:lead, volume:mql, volume:sql, volume:opportunity, volume:won, conversion:lead→mql, conversion:mql→sql, conversion:sql→opportunity, conversion:opportunity→won (got 'mqls')",
        ),
        (
            1,
            "parent",
            "shared-revnue",
            "g.yaml: 'parent' of goal 'marketing-mqls' must be one of shared-revenue, marketing-mqls, marketing-lead-quality, sales-follow-up, sales-conversion (got 'shared-revnue')",
        ),
        (
            1,
            "period",
            {"start": "2027-03-31", "end": "2027-01-01"},
            "g.yaml: goal 'marketing-mqls': 'period' must end on or after its start (got 2027-03-31 to 2027-01-01)",
        ),
        (
            4,
            "target",
            46,
            "g.yaml: goal 'sales-conversion': 'target' for metric 'conversion:mql→sql' (a fraction 0–1, not %) must be in [0, 1] (got 46)",
        ),
        (
            1,
            "target",
            "lots",
            "g.yaml: goal 'marketing-mqls': 'target' must be a number in the metric's unit, a change such as '+5%' or a level of the forecast such as 'p50' (got 'lots')",
        ),
        (
            1,
            "target",
            -5,
            "g.yaml: goal 'marketing-mqls': 'target' for metric 'volume:mql' must be >= 0 (got -5)",
        ),
        (
            1,
            "team",
            "demand-gen",
            "g.yaml: goal 'marketing-mqls': 'team' must be one of shared, marketing, sales (got 'demand-gen')",
        ),
        (
            1,
            "owners",
            "x",
            "g.yaml: goal 'marketing-mqls': 'owners' is not a known key (did you mean 'owner'?)",
        ),
        (
            1,
            "stakeholders",
            ["finance"],
            "g.yaml: goal 'marketing-mqls': 'stakeholders' entry must be one of shared, marketing, sales (got 'finance')",
        ),
        (
            1,
            "review",
            {"cadence_days": 0},
            "g.yaml: goal 'marketing-mqls': 'cadence_days' must be >= 1 (got 0)",
        ),
        (
            1,
            "review",
            {"last": "mid-November"},
            "g.yaml: goal 'marketing-mqls': 'last' must be a date written YYYY-MM-DD (got 'mid-November')",
        ),
        (
            1,
            "published",
            "yes",
            "g.yaml: goal 'marketing-mqls': 'published' must be true or false (got 'yes')",
        ),
        (
            1,
            "scope",
            "Paid Search",
            "g.yaml: goal 'marketing-mqls': 'scope' must map a field to a value, e.g. {source: Paid Search} (got 'Paid Search')",
        ),
        (
            1,
            "initiatives",
            [1, 2],
            "g.yaml: goal 'marketing-mqls': 'initiatives' must be a text or a list of texts (got [1, 2])",
        ),
        (1, "id", "shared-revenue", "g.yaml: 'id' must be unique (got 'shared-revenue' twice)"),
        (
            1,
            "parent",
            "marketing-mqls",
            "g.yaml: 'parent' of goal 'marketing-mqls' must be another goal (got itself)",
        ),
        (1, "title", None, "g.yaml: goal 'marketing-mqls': each goal must give 'title'"),
    ],
)
def test_each_rule_names_file_goal_field_and_value(example, index, key, value, message):
    with pytest.raises(ParamsError) as err:
        goals_from_dict(change(example, index, key, value), STAGES, source="g.yaml")
    assert str(err.value) == message


def test_file_level_rules():
    with pytest.raises(ParamsError) as err:
        goals_from_dict({"goals": []}, STAGES, source="g.yaml")
    assert str(err.value) == "g.yaml: 'goals' must be a non-empty list (got [])"
    with pytest.raises(ParamsError) as err:
        goals_from_dict(
            {
                "teams": ["marketing", "sales"],
                "goals": [{"id": "a", "title": "t", "team": "sales"}],
            },
            STAGES,
            source="g.yaml",
        )
    assert (
        str(err.value)
        == "g.yaml: 'teams' must include 'shared', the team of the shared goals (got ['marketing', 'sales'])"
    )
    with pytest.raises(
        ParamsError, match=r"^g.yaml: 'goal' is not a known key \(did you mean 'goals'\?\)$"
    ):
        goals_from_dict({"goal": []}, STAGES, source="g.yaml")


def test_configured_team_names(example):
    raw = copy.deepcopy(example)
    raw["teams"] = ["shared", "marketing", "sales", "customer-success"]
    raw["goals"][4]["team"] = "customer-success"
    assert goals_from_dict(raw, STAGES).goal("sales-conversion").team == "customer-success"


def test_budget_and_cost_per_unit_are_money(example):
    raw = change(example, 1, "budget", 30_000)
    raw["goals"][1]["cost_per_unit"] = 150
    goal = goals_from_dict(raw, STAGES).goal("marketing-mqls")
    assert (goal.budget, goal.cost_per_unit) == (30_000, 150)
    with pytest.raises(ParamsError) as err:
        goals_from_dict(change(example, 1, "budget", -5), STAGES, source="g.yaml")
    assert str(err.value) == "g.yaml: goal 'marketing-mqls': 'budget' must be >= 0 (got -5)"


def test_a_target_is_its_value_or_its_change_applied_to_a_base():
    assert Target("value", 430).value(200) == 430
    assert Target("change", 0.05).value(200) == pytest.approx(210)
    assert Target("change", -0.10).value(200) == pytest.approx(180)
