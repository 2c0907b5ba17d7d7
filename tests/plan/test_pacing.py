import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from funnelkit import InputError, pacing


def test_calendar_pacing_on_track_by_hand():
    # 310 in January (31 days) is 10 a day; 50 by the 5th is exactly on pace
    p = pacing(310, "2026-01", {"2026-01-02": 20, "2026-01-05": 30}, "2026-01-05")
    assert p.expected_to_date == pytest.approx(50)
    assert p.actual_to_date == pytest.approx(50)
    assert p.gap == pytest.approx(0)
    assert p.projection == pytest.approx(310)
    assert p.projected_attainment == pytest.approx(1.0)


def test_calendar_pacing_behind_by_hand():
    p = pacing(310, "2026-01", {"2026-01-03": 40}, "2026-01-10")
    assert p.expected_to_date == pytest.approx(100)
    assert p.gap == pytest.approx(-60)
    assert p.projection == pytest.approx(124)
    assert p.projected_attainment == pytest.approx(0.4)


def test_business_day_pacing_by_hand():
    # January 2026 has 22 weekdays, 21 without New Year's Day; by Monday 12th, 7 have passed
    p = pacing(
        210,
        "2026-01",
        {"2026-01-09": 63},
        "2026-01-12",
        basis="business",
        holidays=[dt.date(2026, 1, 1)],
    )
    assert p.expected_to_date == pytest.approx(70)
    assert p.projection == pytest.approx(63 * 21 / 7)
    assert p.ideal[0] == 0  # the holiday counts for nothing
    assert p.ideal[-1] == pytest.approx(210)


def test_frame_has_a_row_per_day_and_no_actuals_after_as_of():
    p = pacing(280, "2026-02", pd.Series([5.0], index=[pd.Timestamp("2026-02-01")]), "2026-02-10")
    table = p.frame()
    assert len(table) == 28
    assert table["actual"].iloc[9] == 5
    assert table["actual"].iloc[10:].isna().all()


def test_projection_is_undefined_before_the_first_counted_day():
    # 2026-02-01 is a Sunday
    p = pacing(100, "2026-02", {}, "2026-02-01", basis="business")
    assert np.isnan(p.projection)


@given(
    goal=st.floats(1, 1e6),
    values=st.lists(st.floats(0, 1e4), min_size=31, max_size=31),
    as_of=st.integers(1, 31),
    extra=st.floats(0, 1e4),
)
def test_more_actuals_never_lower_the_projection(goal, values, as_of, extra):
    days = pd.date_range("2026-01-01", periods=as_of)
    base = pd.Series(values[:as_of], index=days)
    more = base.copy()
    more.iloc[-1] += extra
    a = pacing(goal, "2026-01", base, days[-1])
    b = pacing(goal, "2026-01", more, days[-1])
    assert b.projection >= a.projection
    assert a.ideal[-1] == pytest.approx(goal)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: pacing(0, "2026-01", {}, "2026-01-05"), "'goal' must be > 0 (got 0)"),
        (
            lambda: pacing(10, "2026-01", {}, "2026-02-01"),
            "'as_of' must be a day of the month 2026-01 (got '2026-02-01')",
        ),
        (
            lambda: pacing(10, "2026-01", {}, "soon"),
            "'as_of' must be a date, e.g. '2026-01-15' (got 'soon')",
        ),
        (
            lambda: pacing(10, "2026-01", {"2026-01-20": 1}, "2026-01-10"),
            "'daily_actuals' must be dated from 2026-01-01 to as_of 2026-01-10 (got 2026-01-20)",
        ),
        (
            lambda: pacing(10, "2026-01", {"2026-01-02": -3}, "2026-01-10"),
            "'daily_actuals' on 2026-01-02 must be >= 0 (got -3)",
        ),
        (
            lambda: pacing(10, "2026-01", {}, "2026-01-10", basis="weekly"),
            "'basis' must be one of calendar, business (got 'weekly')",
        ),
    ],
)
def test_bad_pacing_inputs_name_field_rule_and_value(call, message):
    with pytest.raises(InputError) as err:
        call()
    assert str(err.value) == message


def test_an_unreadable_actuals_date_is_named():
    with pytest.raises(InputError) as err:
        pacing(10, "2026-01", {"someday": 1}, "2026-01-10")
    assert (
        str(err.value) == "'daily_actuals date' must be a date, e.g. '2026-01-15' (got 'someday')"
    )
