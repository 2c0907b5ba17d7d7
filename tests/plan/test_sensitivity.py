import numpy as np
import pytest

from funnelkit import Funnel, InputError, reverse_plan, sensitivity


def row(table, driver, direction):
    return table[(table.driver == driver) & (table.direction == direction)].iloc[0]


def test_sensitivity_by_hand(funnel_002):
    s = sensitivity(1_000_000, 0.4, 15_000, funnel_002)
    base = 4000 / 3  # leads needed at baseline
    table = s.frame()
    assert len(table) == 2 * 7
    # a 10 % larger deal needs 1/1.1 of the leads; a 10 % larger goal needs 1.1×
    assert row(table, "deal_size", "up").leads_needed == pytest.approx(base / 1.1)
    assert row(table, "revenue_goal", "up").leads_needed == pytest.approx(base * 1.1)
    assert row(table, "mql→sql", "down").leads_needed == pytest.approx(base / 0.9)
    # baseline leads at a 10 % better rate bring 10 % more revenue; the goal itself brings none
    assert row(table, "mql→sql", "up").revenue_change == pytest.approx(40_000)
    assert row(table, "revenue_goal", "up").revenue_change == pytest.approx(0)
    assert row(table, "deal_size", "down").value == pytest.approx(13_500)


def test_moves_agree_with_a_fresh_reverse_plan(funnel_002):
    s = sensitivity(1_000_000, 0.4, 15_000, funnel_002)
    for i, step in enumerate(funnel_002.steps):
        for j, factor in enumerate((0.9, 1.1)):
            moved = funnel_002.with_rate(step, min(1.0, funnel_002.conversion_rates[i] * factor))
            expected = reverse_plan(1_000_000, 0.4, 15_000, moved).volumes[0]
            assert s.leads[3 + i, j] == pytest.approx(expected, rel=1e-12)


def test_fractions_are_capped_at_one_and_the_table_says_so():
    funnel = Funnel(("lead", "won"), (0.95,), (0,))
    table = sensitivity(100_000, 0.95, 1_000, funnel).frame()
    assert row(table, "lead→won", "up").value == 1.0
    assert row(table, "marketing_share", "up").value == 1.0
    assert row(table, "lead→won", "up").leads_needed == pytest.approx(95 / 1.0)


def test_widest_swing_comes_first(funnel_002):
    table = sensitivity(1_000_000, 0.4, 15_000, funnel_002.with_rate("lead→mql", 0.95)).frame()
    swings = (
        table.groupby("driver", sort=False)["leads_needed"].agg(lambda x: x.max() - x.min())
    ).to_numpy()
    assert (np.diff(swings) <= 1e-9).all()


def test_change_must_be_a_fraction(funnel_002):
    with pytest.raises(InputError) as err:
        sensitivity(1_000_000, 0.4, 15_000, funnel_002, change=10)
    assert str(err.value) == "'change' must be in (0, 1) (got 10)"
