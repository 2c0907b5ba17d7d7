"""Time phasing: hand-worked examples, an independent day-by-day computation, properties."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funnelkit import Funnel, InputError, phase_plan, reverse_plan
from funnelkit.plan.phasing import month_edges, month_weights, next_lead_in, parse_month


@pytest.fixture
def feb_plan():
    """28 deals in February 2026 (28 days: one a day); leads come 14 days earlier at 50 %."""
    return reverse_plan(28_000, 1.0, 1_000, Funnel(("lead", "won"), (0.5,), (14,)))


def test_month_phasing_by_hand(feb_plan):
    # Feb 1–28 shifted back 14 days is Jan 18 – Feb 14: 14 days in each month, 2 leads a day
    ph = phase_plan(feb_plan, "2026-02", 1)
    assert ph.labels == ["2026-01", "2026-02"]
    np.testing.assert_allclose(ph.volumes, [[28, 0], [28, 28]])
    np.testing.assert_allclose(ph.revenue, [0, 28_000])
    assert list(ph.in_plan) == [False, True]


def test_week_phasing_by_hand(feb_plan):
    # ISO weeks run Monday to Sunday; 2026-02-01 is a Sunday, 2026-01-18 a Sunday too
    ph = phase_plan(feb_plan, "2026-02", 1, granularity="week")
    assert ph.labels == [
        "2026-W03",
        "2026-W04",
        "2026-W05",
        "2026-W06",
        "2026-W07",
        "2026-W08",
        "2026-W09",
    ]
    np.testing.assert_allclose(ph.stage_volumes("won"), [0, 0, 1, 7, 7, 7, 6])
    np.testing.assert_allclose(ph.stage_volumes("lead"), [2, 14, 14, 14, 12, 0, 0])
    assert str(ph.period_starts[0]) == "2026-01-12"


def test_weights_split_revenue_by_month(funnel_002):
    plan = reverse_plan(1_000_000, 0.4, 15_000, funnel_002)
    ph = phase_plan(plan, "2026-01", 3, weights=[0.2, 0.3, 0.5])
    np.testing.assert_allclose(ph.revenue[-3:], [200_000, 300_000, 500_000])
    np.testing.assert_allclose(ph.stage_volumes("won")[-3:], np.array([0.2, 0.3, 0.5]) * 80 / 3)


def test_a_quarter_shows_lead_targets_before_it_starts(funnel_002):
    plan = reverse_plan(1_000_000, 0.4, 15_000, funnel_002)  # leads come 60 days before the deal
    ph = phase_plan(plan, "2026-04", 3)
    # deals close Apr 1 – Jun 30, so leads arrive Jan 31 – May 1. A third of the volume per
    # month: April's deals draw leads wholly before April, May's on 30 of 31 days, June's never
    assert ph.labels == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]
    leads = ph.stage_volumes("lead")
    np.testing.assert_allclose(leads[~ph.in_plan].sum() / leads.sum(), 1 / 3 + 30 / 93)
    assert leads[-1] == 0


def test_frame_is_tidy_with_exact_and_whole(feb_plan):
    table = phase_plan(feb_plan, "2026-02", 1).frame()
    assert list(table.columns) == [
        "period",
        "period_start",
        "in_plan",
        "stage",
        "days_to_last",
        "volume_exact",
        "volume_whole",
    ]
    assert len(table) == 4
    row = table[(table.period == "2026-01") & (table.stage == "lead")].iloc[0]
    assert row.volume_exact == pytest.approx(28)
    assert row.volume_whole == 28
    wide = phase_plan(feb_plan, "2026-02", 1).wide()
    assert list(wide.columns) == ["revenue", "lead", "won"]


def test_each_cell_rounds_up_from_its_own_exact_value():
    plan = reverse_plan(10_000, 1.0, 1_000, Funnel(("lead", "won"), (0.3,), (0,)))
    ph = phase_plan(plan, "2026-01", 3)
    np.testing.assert_allclose(ph.stage_volumes("won"), [10 / 3] * 3)
    np.testing.assert_array_equal(ph.whole[:, 1], [4, 4, 4])


def independent_phasing(volumes, days_to_last, start, months, weights, granularity):
    """Day by day with pandas: spread each month's volume over its days, move each day back by
    the stage's lag, then count per calendar month or ISO week."""
    first = pd.Timestamp(start + "-01")
    rows = []
    for m in range(months):
        month_start = first + pd.DateOffset(months=m)
        days = pd.date_range(
            month_start, month_start + pd.DateOffset(months=1) - pd.Timedelta(days=1)
        )
        for stage, (total, lag) in enumerate(zip(volumes, days_to_last, strict=True)):
            for day in days:
                rows.append((stage, day - pd.Timedelta(days=lag), total * weights[m] / len(days)))
    frame = pd.DataFrame(rows, columns=["stage", "day", "volume"])
    if granularity == "month":
        frame["period"] = frame["day"].dt.strftime("%Y-%m")
    else:
        iso = frame["day"].dt.isocalendar()
        frame["period"] = iso["year"].astype(str) + "-W" + iso["week"].map("{:02d}".format)
    return frame.pivot_table(
        index="period", columns="stage", values="volume", aggfunc="sum", fill_value=0.0
    )


@settings(max_examples=40, deadline=None)
@given(
    rates=st.lists(st.floats(0.05, 1.0), min_size=1, max_size=4),
    days=st.lists(st.integers(0, 120), min_size=4, max_size=4),
    start=st.sampled_from(["2025-11", "2026-01", "2026-02", "2028-02", "2026-12"]),
    months=st.integers(1, 6),
    granularity=st.sampled_from(["month", "week"]),
    data=st.data(),
)
def test_phasing_matches_an_independent_day_by_day_count(
    rates, days, start, months, granularity, data
):
    raw = data.draw(st.lists(st.floats(0.01, 1.0), min_size=months, max_size=months))
    weights = list(np.array(raw) / sum(raw))
    funnel = Funnel(
        tuple(f"s{i}" for i in range(len(rates) + 1)), tuple(rates), tuple(days[: len(rates)])
    )
    plan = reverse_plan(1_000_000, 0.5, 10_000, funnel)
    ph = phase_plan(plan, start, months, weights=weights, granularity=granularity)
    expected = independent_phasing(
        plan.volumes, funnel.days_to_last, start, months, weights, granularity
    )
    ours = pd.DataFrame(ph.volumes, index=ph.labels)
    ours = ours.loc[(ours > 1e-9).any(axis=1)]
    expected = expected.loc[(expected > 1e-9).any(axis=1)]
    assert list(ours.index) == list(expected.index)
    np.testing.assert_allclose(ours.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    rates=st.lists(st.floats(0.01, 1.0), min_size=1, max_size=5),
    days=st.lists(st.floats(0, 400), min_size=5, max_size=5),
    year=st.integers(1990, 2090),
    month=st.integers(1, 12),
    months=st.integers(1, 12),
    granularity=st.sampled_from(["month", "week"]),
)
def test_phased_periods_sum_to_the_plan_and_end_with_it(
    rates, days, year, month, months, granularity
):
    funnel = Funnel(
        tuple(f"s{i}" for i in range(len(rates) + 1)), tuple(rates), tuple(days[: len(rates)])
    )
    plan = reverse_plan(2_000_000, 0.6, 12_000, funnel)
    ph = phase_plan(plan, f"{year}-{month:02d}", months, granularity=granularity)
    np.testing.assert_allclose(ph.volumes.sum(axis=0), plan.volumes, rtol=1e-9)
    assert ph.revenue.sum() == pytest.approx(2_000_000, rel=1e-9)
    assert ph.bounds[-1] >= ph.plan_bounds[1]
    assert ph.bounds[-2] < ph.plan_bounds[1]
    assert (ph.volumes >= 0).all()


def test_parse_month_accepts_text_dates_on_the_first_and_numpy_months():
    assert str(parse_month("2026-03")) == "2026-03-01"
    assert str(parse_month(dt.date(2026, 3, 1))) == "2026-03-01"
    assert str(parse_month(np.datetime64("2026-03"))) == "2026-03-01"
    assert [str(d) for d in month_edges("2026-11", 3)] == [
        "2026-11-01",
        "2026-12-01",
        "2027-01-01",
        "2027-02-01",
    ]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: parse_month("March"),
            "'start' must be a month written YYYY-MM, e.g. '2026-01' (got 'March')",
        ),
        (
            lambda: parse_month("2026-13"),
            "'start' must be a month written YYYY-MM, e.g. '2026-01' (got '2026-13')",
        ),
        (
            lambda: parse_month(dt.date(2026, 3, 5)),
            "'start' must be the first day of a month (got '2026-03-05')",
        ),
        (lambda: month_edges("2026-01", 0), "'months' must be a whole number >= 1 (got 0)"),
        (lambda: month_edges("2026-01", 2.5), "'months' must be a whole number >= 1 (got 2.5)"),
        (
            lambda: month_weights(3, [0.5, 0.5]),
            "'weights' must list one fraction per month (3) (got [0.5, 0.5])",
        ),
        (lambda: month_weights(2, [0.5, 0.6]), "'weights' must sum to 1 (got 1.1)"),
        (
            lambda: month_weights(2, [1.5, -0.5]),
            "'weights' must be in [0, 1] (got 1.5 at position 0; 2 of 2 values break the rule)",
        ),
    ],
)
def test_bad_period_inputs_name_field_rule_and_value(call, message):
    with pytest.raises(InputError) as err:
        call()
    assert str(err.value) == message


def test_unknown_granularity_and_stage_are_named(feb_plan):
    with pytest.raises(InputError) as err:
        phase_plan(feb_plan, "2026-02", 1, granularity="day")
    assert str(err.value) == "'granularity' must be one of month, week (got 'day')"
    with pytest.raises(InputError, match=r"^'stage' must be one of lead, won \(got 'mql'\)$"):
        phase_plan(feb_plan, "2026-02", 1).stage_volumes("mql")


def test_the_next_period_s_lead_in_is_what_its_own_phasing_puts_before_it(funnel_002):
    plan = reverse_plan(300_000, 0.6, 10_000, funnel_002)
    current = phase_plan(plan, "2027-01", 3)
    following = phase_plan(plan, "2027-04", 3)
    lead_in = next_lead_in(current, following)
    assert lead_in.shape == current.volumes.shape
    before = following.frame().query("not in_plan")  # the following period's lead-in rows
    for k, label in enumerate(current.labels):
        expected = before.loc[before["period"] == label, "volume_exact"].to_numpy()
        assert lead_in[k] == pytest.approx(expected if len(expected) else np.zeros(5))
    # nothing of the next period arrives before this period's last months; all of its lead-in
    # that falls inside this period is here
    assert lead_in[0].sum() == 0
    inside = before[before["period"].isin(current.labels)]
    assert lead_in.sum() == pytest.approx(inside["volume_exact"].sum())


def test_a_lead_in_needs_the_same_granularity_and_stages(funnel_002):
    plan = reverse_plan(300_000, 0.6, 10_000, funnel_002)
    with pytest.raises(InputError) as err:
        next_lead_in(
            phase_plan(plan, "2027-01", 3), phase_plan(plan, "2027-04", 3, granularity="week")
        )
    assert str(err.value) == (
        "'following' must have the current phasing's granularity and stages "
        "(got week, lead, mql, sql, opportunity, won)"
    )
