import pytest
from hypothesis import given
from hypothesis import strategies as st

from funnelkit import (
    InputError,
    coverage_ratio,
    covered_revenue,
    pipeline_coverage,
    pipeline_needed,
)


def test_coverage_by_hand():
    # 600,000 at a 25 % win rate needs 2,400,000 (4×); 1,800,000 covers 3× and closes 450,000
    c = pipeline_coverage(1_800_000, 600_000, 0.25)
    assert c.pipeline_needed == pytest.approx(2_400_000)
    assert c.ratio_needed == pytest.approx(4)
    assert c.coverage_ratio == pytest.approx(3)
    assert c.covered_revenue == pytest.approx(450_000)
    assert c.revenue_shortfall == pytest.approx(150_000)
    assert c.pipeline_shortfall == pytest.approx(600_000)


def test_enough_pipeline_has_no_shortfall():
    c = pipeline_coverage(3_000_000, 600_000, 0.25)
    assert c.revenue_shortfall == 0
    assert c.pipeline_shortfall == 0


@given(target=st.floats(1, 1e9), win=st.floats(0.01, 1))
def test_the_pipeline_needed_exactly_covers_the_target(target, win):
    need = pipeline_needed(target, win)
    assert covered_revenue(need, win) == pytest.approx(target, rel=1e-12)
    assert coverage_ratio(need, target) == pytest.approx(1 / win, rel=1e-12)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: pipeline_needed(100, 0), "'win_rate' must be in (0, 1] (got 0)"),
        (lambda: pipeline_needed(-1, 0.5), "'revenue_target' must be >= 0 (got -1)"),
        (lambda: coverage_ratio(100, 0), "'revenue_target' must be > 0 (got 0)"),
        (lambda: covered_revenue(-5, 0.5), "'pipeline' must be >= 0 (got -5)"),
    ],
)
def test_bad_coverage_inputs_name_field_rule_and_value(call, message):
    with pytest.raises(InputError) as err:
        call()
    assert str(err.value) == message
