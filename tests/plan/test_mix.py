"""The channel plan and its mix, worked by hand on two channels, checked against brute force
over a grid and against scipy's linear-programme solver, and as properties: the least-cost
mix meets the need within every bound, the budget-first answer inverts the goal-first one."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from funnelkit.core.exceptions import InputError
from funnelkit.plan.channels import Channel, channel_plan, payback_months
from funnelkit.plan.mix import budget_frontier, least_cost_mix, most_revenue_for, shares_mix

# A: 1 lead in 10 becomes a $10,000 customer for $50 a lead: $1,000 of revenue a lead
# B: 1 lead in 10 becomes a $20,000 customer for $150 a lead: $2,000 of revenue a lead
A = Channel("A", (0.5, 0.2), deal_size=10_000, cost_per_lead=50, capacity=200)
B = Channel("B", (0.25, 0.4), deal_size=20_000, cost_per_lead=150, capacity=100)
MONTHS = ("2027-01", "2027-02")


def test_two_channels_by_hand():
    # A's revenue costs 5 cents a dollar, B's 7.5: A to capacity (200 leads, $200,000), then
    # B for the rest ($100,000: 50 leads); a smaller month needs A alone
    plan = least_cost_mix([A, B], MONTHS, np.array([300_000.0, 150_000.0]))
    assert plan.leads.tolist() == [[200, 150], [50, 0]]
    assert plan.spend.tolist() == [[10_000, 7_500], [7_500, 0]]  # in the lead month
    assert plan.customers.tolist() == pytest.approx([35, 5])  # 350 leads × 0.1; 50 × 0.1
    assert plan.stage_volumes[0].tolist() == pytest.approx([350, 175, 35])
    assert plan.revenue.tolist() == pytest.approx([350_000, 100_000])
    assert plan.cac.tolist() == pytest.approx([17_500 / 35, 7_500 / 5])  # 500 and 1,500
    assert plan.revenue_per_spend.tolist() == pytest.approx([20, 100_000 / 7_500])
    # a customer paying 1,000 a month at a 50 % margin repays A's CAC of 500 in one month
    assert payback_months(plan.cac[0], 1_000, 0.5) == pytest.approx(1.0)


def test_history_s_shares_bring_the_need_in_those_shares():
    plan = shares_mix([A, B], MONTHS, np.array([300_000.0, 150_000.0]), [0.5, 0.5])
    # half and half: $1,500 a lead on average, so 200 leads in January and 100 in February
    assert plan.leads.tolist() == [[100, 50], [100, 50]]
    with pytest.raises(InputError, match="'shares' must give each of the 2 channels a share"):
        shares_mix([A, B], MONTHS, np.array([1.0, 1.0]), [0.7, 0.7])


def test_a_goal_beyond_every_capacity_says_which_capacities_bind():
    with pytest.raises(InputError) as err:
        least_cost_mix([A, B], MONTHS, np.array([300_000.0, 500_000.0]))
    assert str(err.value) == (
        "The leads of 2027-02 must bring 500,000 of revenue, but every channel at its capacity "
        "brings 400,000 (A 200 leads a month bringing 200,000, B 100 leads a month bringing "
        "200,000): raise a channel's capacity ('capacity_multiple'), add a channel, or lower "
        "the goal"
    )


def test_minimums_are_kept_even_when_dearer():
    b = Channel("B", B.rates, B.deal_size, B.cost_per_lead, capacity=100, minimum=20)
    plan = least_cost_mix([A, b], MONTHS, np.array([100_000.0, 300_000.0]))
    # B's 20 leads bring $40,000; A brings the other $60,000 (then $200,000 in February)
    assert plan.leads.tolist() == [[60, 200], [20, 50]]


def test_the_budget_first_answer_by_hand():
    frontier = budget_frontier([A, B], np.array([0, 5_000, 17_500, 25_000, 30_000]))
    assert frontier.revenue.tolist() == pytest.approx([0, 100_000, 300_000, 400_000, 400_000])
    assert frontier.leads[2].tolist() == pytest.approx([200, 50])
    assert most_revenue_for([A, B], 10_000, months=2).revenue[0] == pytest.approx(200_000)


def test_bad_channels_and_plans_are_named():
    with pytest.raises(
        InputError, match="'capacity' for channel 'C' must be at least its 'minimum'"
    ):
        Channel("C", (0.5,), 1.0, 1.0, capacity=5, minimum=10)
    with pytest.raises(InputError, match="'rates' for channel 'C'"):
        Channel("C", (1.5,), 1.0, 1.0)
    fixed = channel_plan([A, B], MONTHS, np.array([[10.0, 250.0], [0.0, 0.0]]))
    assert fixed.breaches() == ["A: 250 leads in 2027-02, beyond its capacity of 200 a month"]
    assert fixed.revenue_by_month.tolist() == pytest.approx([10_000, 250_000])
    with pytest.raises(InputError, match="below the 3,000 the channels' minimums cost"):
        budget_frontier([Channel("C", (0.5,), 1.0, 100.0, 50, 30)], np.array([100.0]))


channel = st.builds(
    Channel,
    name=st.sampled_from("CDEFG"),
    rates=st.tuples(st.floats(0.05, 1.0), st.floats(0.05, 1.0)),
    deal_size=st.floats(100, 50_000),
    cost_per_lead=st.floats(1, 500),
    capacity=st.floats(10, 500),
    minimum=st.floats(0, 5),
)


@settings(max_examples=60, deadline=None)
@given(channels=st.lists(channel, min_size=1, max_size=5), fraction=st.floats(0, 1))
def test_the_least_cost_mix_matches_the_lp_solver_and_keeps_every_bound(channels, fraction):
    value = np.array([c.revenue_per_lead for c in channels])
    low = np.array([c.minimum for c in channels])
    high = np.array([c.capacity for c in channels])
    need = float(low @ value + fraction * (high - low) @ value)
    plan = least_cost_mix(channels, ("2027-01",), np.array([need]))
    leads = plan.leads[:, 0]
    assert (leads >= low - 1e-9).all()
    assert (leads <= high + 1e-9).all()
    assert leads @ value >= need * (1 - 1e-9)
    cost = np.array([c.cost_per_lead for c in channels])
    solved = linprog(cost, A_ub=[-value], b_ub=[-need], bounds=list(zip(low, high, strict=True)))
    assert solved.status == 0
    assert leads @ cost == pytest.approx(solved.fun, rel=1e-7, abs=1e-6)
    # the budget-first answer inverts it: that spend buys exactly the need, no more
    bought = budget_frontier(channels, np.array([leads @ cost])).revenue[0]
    assert bought == pytest.approx(max(need, float(low @ value)), rel=1e-7)


def test_the_least_cost_mix_is_no_dearer_than_any_mix_on_a_grid():
    channels = [
        Channel("C", (0.4, 0.5), 8_000, 60, capacity=12),
        Channel("D", (0.2, 0.5), 30_000, 200, capacity=8),
        Channel("E", (0.5, 0.3), 5_000, 25, capacity=10),
    ]
    value = np.array([c.revenue_per_lead for c in channels])
    cost = np.array([c.cost_per_lead for c in channels])
    for need in (5_000.0, 20_000.0, 40_000.0, 50_000.0):  # all three at capacity: 50,700
        best = min(
            (np.array(g) @ cost, g)
            for g in itertools.product(*(np.arange(0, c.capacity + 0.5, 0.5) for c in channels))
            if np.array(g) @ value >= need
        )
        found = least_cost_mix(channels, ("2027-01",), np.array([need])).leads[:, 0] @ cost
        assert found <= best[0] + 1e-9  # exact fractional optimum: never dearer than the grid's
        assert best[0] - found <= cost.max() * 0.5  # and the grid within one step of it
    assert math.isclose(
        least_cost_mix(channels, ("2027-01",), np.array([0.0])).leads.sum(), 0.0, abs_tol=1e-12
    )
