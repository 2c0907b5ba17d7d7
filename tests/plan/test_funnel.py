import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funnelkit import Funnel, InputError
from funnelkit.plan.funnel import DEFAULT_STAGES, step_name


def test_default_stages_run_lead_to_won():
    assert DEFAULT_STAGES == ("lead", "mql", "sql", "opportunity", "won")


def test_steps_are_named_with_an_arrow(funnel_002):
    assert funnel_002.steps == ("lead→mql", "mql→sql", "sql→opportunity", "opportunity→won")
    assert step_name("mql", "sql") == "mql→sql"


def test_overall_rate_is_the_product_of_step_rates(funnel_002):
    assert funnel_002.overall_rate == pytest.approx(0.02)


def test_rates_and_days_to_last_stage(funnel_002):
    assert funnel_002.rates_to_last == pytest.approx((0.02, 0.08, 0.2, 0.4, 1.0))
    assert funnel_002.days_to_last == (60, 55, 45, 30, 0)


def test_stage_names_are_configuration():
    f = Funnel(("visitor", "signup", "paying"), (0.1, 0.3), (2, 20))
    assert f.steps == ("visitor→signup", "signup→paying")
    assert f.overall_rate == pytest.approx(0.03)


def test_rejects_rate_above_one():
    with pytest.raises(InputError) as err:
        Funnel(DEFAULT_STAGES, (0.3, 1.4, 0.5, 0.3), (1, 1, 1, 1))
    assert str(err.value) == "'conversion_rate' for step 'mql→sql' must be in (0, 1] (got 1.4)"


def test_rejects_zero_rate():
    with pytest.raises(
        InputError, match=r"^'conversion_rate' for step 'lead→mql' must be in \(0, 1\] \(got 0\)$"
    ):
        Funnel(DEFAULT_STAGES, (0, 0.5, 0.5, 0.3), (1, 1, 1, 1))


def test_rejects_negative_days():
    with pytest.raises(InputError) as err:
        Funnel(DEFAULT_STAGES, (0.3, 0.4, 0.5, 0.3), (1, -3, 1, 1))
    assert str(err.value) == "'days' for step 'mql→sql' must be >= 0 (got -3)"


def test_rejects_fewer_than_two_stages():
    with pytest.raises(InputError) as err:
        Funnel(("lead",), (), ())
    assert str(err.value) == "'stages' must name at least 2 stages (got 1: ['lead'])"


def test_rejects_duplicate_stage_names():
    with pytest.raises(InputError) as err:
        Funnel(("lead", "mql", "lead"), (0.5, 0.5), (1, 1))
    assert str(err.value) == "'stages' must be unique (got 'lead' twice)"


def test_rejects_blank_stage_names():
    with pytest.raises(InputError, match=r"^'stages' must be non-empty names \(got ' '\)$"):
        Funnel(("lead", " "), (0.5,), (1,))


def test_rejects_wrong_number_of_rates():
    with pytest.raises(InputError) as err:
        Funnel(("lead", "mql", "won"), (0.5,), (1, 1))
    assert (
        str(err.value)
        == "'conversion_rates' must have one value per step (2: lead→mql, mql→won) (got 1)"
    )


def test_unknown_stage_and_step_list_the_known_ones(funnel_002):
    with pytest.raises(InputError) as err:
        funnel_002.stage_index("customer")
    assert (
        str(err.value) == "'stage' must be one of lead, mql, sql, opportunity, won (got 'customer')"
    )
    with pytest.raises(InputError) as err:
        funnel_002.with_rate("mql→won", 0.5)
    assert str(err.value) == (
        "'step' must be one of lead→mql, mql→sql, sql→opportunity, opportunity→won (got 'mql→won')"
    )


def test_with_rate_and_with_days_replace_one_step(funnel_002):
    f = funnel_002.with_rate("mql→sql", 0.8).with_days("sql→opportunity", 1)
    assert f.conversion_rates == (0.25, 0.8, 0.5, 0.4)
    assert f.days == (5, 10, 1, 30)
    with pytest.raises(InputError, match="must be in"):
        funnel_002.with_rate("mql→sql", 1.5)


@given(st.lists(st.floats(min_value=1e-6, max_value=1.0), min_size=1, max_size=8))
def test_rates_to_last_start_at_the_overall_rate_and_end_at_one(rates):
    stages = tuple(f"s{i}" for i in range(len(rates) + 1))
    f = Funnel(stages, tuple(rates), tuple(1.0 for _ in rates))
    assert f.rates_to_last[0] == pytest.approx(math.prod(rates), rel=1e-12)
    assert f.rates_to_last[-1] == 1.0
    assert all(a <= b for a, b in zip(f.rates_to_last, f.rates_to_last[1:], strict=False))


def test_rejects_wrong_number_of_days():
    with pytest.raises(InputError) as err:
        Funnel(("lead", "mql", "won"), (0.5, 0.5), (1,))
    assert str(err.value) == "'days' must have one value per step (2: lead→mql, mql→won) (got 1)"
