import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funnelkit import InputError, evaluate_scenarios, reverse_plan, scenario_grid

BASE = {"revenue_goal": 1_000_000, "marketing_share": 0.4, "deal_size": 15_000}


def test_grid_is_every_combination(funnel_002):
    grid = scenario_grid(
        funnel_002, BASE, deal_size=[10_000, 15_000, 20_000], **{"mql→sql": [0.3, 0.4]}
    )
    assert len(grid) == 6
    assert list(grid.columns) == ["revenue_goal", "marketing_share", "deal_size", *funnel_002.steps]
    assert (grid["lead→mql"] == 0.25).all()


@settings(deadline=None, max_examples=25)
@given(
    deal=st.lists(st.floats(1_000, 50_000), min_size=1, max_size=4),
    rate=st.lists(st.floats(0.05, 1.0), min_size=1, max_size=4),
)
def test_each_row_equals_its_own_reverse_plan(funnel_002, deal, rate):
    grid = scenario_grid(funnel_002, BASE, deal_size=deal, **{"sql→opportunity": rate})
    result = evaluate_scenarios(grid, funnel_002)
    for i, scenario in grid.iterrows():
        funnel = funnel_002.with_rate("sql→opportunity", scenario["sql→opportunity"])
        plan = reverse_plan(
            scenario.revenue_goal, scenario.marketing_share, scenario.deal_size, funnel
        )
        np.testing.assert_allclose(
            result.loc[i, list(funnel.stages)].to_numpy(float), plan.volumes, rtol=1e-12
        )
        assert list(result.loc[i, [f"{s}_whole" for s in funnel.stages]]) == list(plan.whole)


def test_evaluate_keeps_the_index(funnel_002):
    grid = scenario_grid(funnel_002, BASE, revenue_goal=[1e6, 2e6])
    grid.index = pd.Index(["low", "high"])
    result = evaluate_scenarios(grid, funnel_002)
    assert list(result.index) == ["low", "high"]
    assert result.loc["high", "lead"] == pytest.approx(2 * result.loc["low", "lead"])


def test_bad_scenarios_are_named(funnel_002):
    with pytest.raises(InputError) as err:
        evaluate_scenarios(pd.DataFrame({"revenue_goal": [1.0]}), funnel_002)
    assert str(err.value).startswith(
        "'scenarios' must have the columns marketing_share, deal_size, lead→mql"
    )
    with pytest.raises(InputError) as err:
        scenario_grid(funnel_002, BASE, deal=[1])
    assert str(err.value) == (
        "'deal' is not a scenario driver; drivers are revenue_goal, marketing_share, deal_size, "
        "lead→mql, mql→sql, sql→opportunity, opportunity→won"
    )
    with pytest.raises(InputError, match=r"^'base' must give 'deal_size'"):
        scenario_grid(funnel_002, {"revenue_goal": 1, "marketing_share": 0.5})
    grid = scenario_grid(funnel_002, BASE, deal_size=[10_000, -1])
    with pytest.raises(InputError, match=r"^'deal_size' must be > 0 \(got -1.0 at position 1"):
        evaluate_scenarios(grid, funnel_002)
