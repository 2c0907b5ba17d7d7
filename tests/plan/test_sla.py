import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from funnelkit import (
    Funnel,
    InputError,
    SlaTerms,
    Touch,
    implied_lead_value,
    phase_plan,
    reps_needed,
    reverse_plan,
    sales_capacity,
    sla_plan,
    working_days,
)

CADENCE_003 = tuple(
    Touch(day, channel)
    for day, channel in [
        (0, "call"),
        (0, "email"),
        (1, "call"),
        (1, "email"),
        (3, "call"),
        (4, "email"),
        (6, "call"),
    ]
)


def terms(**changes):
    values = dict(
        handoff_stage="mql",
        first_touch_minutes=10,
        cadence=CADENCE_003,
        touches_per_rep_per_day=40,
        reps=2,
    )
    return SlaTerms(**{**values, **changes})


def test_working_days_by_hand():
    # January 2026: Thursday 1st, 22 weekdays; with New Year's Day off, 21
    bounds = np.array(["2026-01-01", "2026-02-01"], dtype="datetime64[D]")
    assert working_days(bounds)[0] == 22
    assert working_days(bounds, [dt.date(2026, 1, 1)])[0] == 21


def test_capacity_and_reps_needed_by_hand():
    # 2 reps × 40 touches × 21 days ÷ 7 touches = 240 leads; 300 leads need 2.5 reps
    assert sales_capacity(2, 40, 21, 7) == pytest.approx(240)
    assert reps_needed(300, 7, 40, 21) == pytest.approx(2.5)


def test_implied_lead_value_by_hand():
    # 100 MQLs × 8 % MQL→customer × 15,000 = 120,000
    assert implied_lead_value(100, 0.08, 15_000) == pytest.approx(120_000)


def test_sla_plan_by_hand():
    # 300 MQLs wanted in January 2026 (no lag: MQL→won same day, rate 0.1)
    funnel = Funnel(("lead", "mql", "won"), (0.5, 0.1), (0, 0))
    plan = reverse_plan(300_000, 1.0, 10_000, funnel)  # 30 won, 300 MQLs
    sla = sla_plan(
        phase_plan(plan, "2026-01", 1), funnel, 10_000, terms(holidays=(dt.date(2026, 1, 1),))
    )
    assert sla.periods == ["2026-01"]
    np.testing.assert_allclose(sla.handoffs, [300])
    np.testing.assert_allclose(sla.lead_value, [300_000])
    np.testing.assert_allclose(sla.working_days, [21])
    np.testing.assert_allclose(sla.capacity, [240])
    np.testing.assert_allclose(sla.reps_needed, [2.5])
    np.testing.assert_array_equal(sla.reps_needed_whole, [3])
    np.testing.assert_array_equal(sla.rep_shortfall, [1])
    np.testing.assert_allclose(sla.lead_shortfall, [60])
    row = sla.frame().iloc[0]
    assert (row.handoffs_whole, row.reps_needed_whole, row.rep_shortfall) == (300, 3, 1)


@given(reps=st.floats(0, 50), extra=st.floats(0, 50), leads=st.floats(0, 1e5))
def test_more_reps_never_lower_capacity_and_needed_reps_cover_the_leads(reps, extra, leads):
    assert sales_capacity(reps + extra, 40, 20, 7) >= sales_capacity(reps, 40, 20, 7)
    need = reps_needed(leads, 7, 40, 20)
    assert sales_capacity(need, 40, 20, 7) == pytest.approx(leads, rel=1e-9, abs=1e-9)


def test_touches_per_lead_is_the_cadence_length():
    assert terms().touches_per_lead == 7


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: terms(cadence=()), "'cadence' must list at least 1 touch (got 0)"),
        (lambda: terms(reps=-1), "'reps' must be >= 0 (got -1)"),
        (lambda: terms(first_touch_minutes=0), "'first_touch_minutes' must be > 0 (got 0)"),
        (lambda: terms(touches_per_rep_per_day=0), "'touches_per_rep_per_day' must be > 0 (got 0)"),
        (
            lambda: terms(cadence=(Touch(0, "call"), Touch(3, "email"), Touch(1, "call"))),
            "'day' of cadence touch 3 must be >= the day of touch 2 (got 1 < 3)",
        ),
        (lambda: Touch(-1, "call"), "'day' of a cadence touch must be >= 0 (got -1)"),
        (lambda: Touch(0, ""), "'channel' of a cadence touch must be a non-empty name (got '')"),
        (lambda: sales_capacity(1, 40, -1, 7), "'working_days' must be >= 0 (got -1)"),
        (lambda: reps_needed(10, 7, 40, 0), "'working_days' must be > 0 (got 0)"),
        (
            lambda: implied_lead_value(10, 1.5, 100),
            "'rate_to_customer' must be in [0, 1] (got 1.5)",
        ),
    ],
)
def test_bad_sla_inputs_name_field_rule_and_value(call, message):
    with pytest.raises(InputError) as err:
        call()
    assert str(err.value) == message


def test_sla_needs_monthly_phasing_and_a_handoff_before_the_last_stage():
    funnel = Funnel(("lead", "mql", "won"), (0.5, 0.1), (0, 0))
    plan = reverse_plan(300_000, 1.0, 10_000, funnel)
    weekly = phase_plan(plan, "2026-01", 1, granularity="week")
    with pytest.raises(
        InputError,
        match=r"^'granularity' of the phasing must be 'month' for the SLA \(got 'week'\)$",
    ):
        sla_plan(weekly, funnel, 10_000, terms())
    monthly = phase_plan(plan, "2026-01", 1)
    with pytest.raises(
        InputError, match=r"^'handoff_stage' must come before the last stage 'won' \(got 'won'\)$"
    ):
        sla_plan(monthly, funnel, 10_000, terms(handoff_stage="won"))
    with pytest.raises(InputError, match=r"^'stage' must be one of lead, mql, won \(got 'sql'\)$"):
        sla_plan(monthly, funnel, 10_000, terms(handoff_stage="sql"))


def test_fractional_reps_keep_a_fractional_shortfall():
    funnel = Funnel(("lead", "mql", "won"), (0.5, 0.1), (0, 0))
    plan = reverse_plan(300_000, 1.0, 10_000, funnel)
    sla = sla_plan(phase_plan(plan, "2026-01", 1), funnel, 10_000, terms(reps=2.5))
    np.testing.assert_allclose(sla.rep_shortfall, [0.5])  # 3 whole reps needed, 2.5 there
    assert sla.frame()["rep_shortfall"].tolist() == [0.5]
