"""Goals as chances: the levels' ordering and their share of trials, the joint chance against
the single ones, and the Brier score worked by hand on a small table."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from funnelkit.core.exceptions import InputError
from funnelkit.forecast.chances import brier, joint_chance, level, levels

totals = st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=300).map(np.array)


@given(totals, st.floats(0.01, 1))
def test_a_level_is_reached_in_at_least_its_chance_and_is_the_highest_such(values, chance):
    found = level(values, chance)
    assert (values >= found).mean() >= chance - 1e-12
    above = values[values > found]
    assert len(above) == 0 or (values >= above.min()).mean() < chance


@given(totals)
def test_commit_is_at_most_plan_which_is_at_most_stretch(values):
    found = levels(values)
    assert found["commit"] <= found["plan"] <= found["stretch"]


def test_a_plan_level_is_met_in_half_the_trials_within_sampling_error():
    rng = np.random.default_rng(3)
    trials = rng.lognormal(12, 0.3, 20_000)
    target = levels(trials[:10_000])["plan"]  # set on one half, met on the other
    share = (trials[10_000:] >= target).mean()
    assert share == pytest.approx(0.5, abs=3 * np.sqrt(0.25 / 10_000))


@given(st.integers(1, 200), st.floats(0.1, 0.9), st.floats(0.1, 0.9))
def test_the_joint_chance_is_at_most_the_smallest_single_chance(seed, a, b):
    rng = np.random.default_rng(seed)
    trials = {"mqls": rng.normal(240, 30, 500), "revenue": rng.normal(3e5, 5e4, 500)}
    targets = {"mqls": level(trials["mqls"], a), "revenue": level(trials["revenue"], b)}
    single = [float((trials[m] >= t).mean()) for m, t in targets.items()]
    assert joint_chance(trials, targets) <= min(single)


def test_team_goals_at_p50_each_are_met_together_about_a_quarter_of_the_time():
    rng = np.random.default_rng(5)
    trials = {"mqls": rng.normal(0, 1, 40_000), "sqls": rng.normal(0, 1, 40_000)}  # independent
    targets = {m: level(v, 0.5) for m, v in trials.items()}
    assert joint_chance(trials, targets) == pytest.approx(0.25, abs=0.01)
    with pytest.raises(InputError, match="no trials for 'wins'"):
        joint_chance(trials, {"wins": 1.0})


def test_brier_by_hand():
    # four past quarters: said 70 % and made it, 70 % and missed, 20 % and missed, 90 % made
    # (0.3² + 0.7² + 0.2² + 0.1²) / 4 = (0.09 + 0.49 + 0.04 + 0.01) / 4 = 0.1575
    assert brier([0.7, 0.7, 0.2, 0.9], [True, False, False, True]) == pytest.approx(0.1575)
    assert brier([0.5] * 4, [True, False, True, False]) == pytest.approx(0.25)
    with pytest.raises(InputError, match="as many outcomes as chances"):
        brier([0.5], [True, False])
