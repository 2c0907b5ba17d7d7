import numpy as np
import pandas as pd
import pytest

from funnelkit.core.exceptions import InputError
from funnelkit.core.validation import check_number, masked, rule_text, short, single_number


def test_rule_text_reads_as_interval_or_inequality():
    assert rule_text(0, 1, True, False) == "in (0, 1]"
    assert rule_text(0, 1, False, False) == "in [0, 1]"
    assert rule_text(0, None, True, False) == "> 0"
    assert rule_text(0, None, False, False) == ">= 0"
    assert rule_text(None, 5, False, True) == "< 5"


def test_check_number_returns_the_value_unchanged():
    series = pd.Series([0.1, 0.5])
    assert check_number("x", 3, low=0) == 3
    assert check_number("x", series, low=0) is series


def test_check_number_names_field_rule_and_value():
    with pytest.raises(InputError) as err:
        check_number(
            "conversion_rate", 1.4, low=0, high=1, low_open=True, where=" for step 'mql→sql'"
        )
    assert str(err.value) == "'conversion_rate' for step 'mql→sql' must be in (0, 1] (got 1.4)"


def test_numbers_written_as_text_or_lists_are_refused_with_advice():
    with pytest.raises(InputError) as err:
        check_number("revenue_goal", "341500", low=0)
    assert str(err.value) == (
        "'revenue_goal' must be a number written without quotes (got '341500', which is text)"
    )
    with pytest.raises(InputError) as err:
        single_number("revenue_goal", [1e5, 2e5])
    assert str(err.value) == "'revenue_goal' must be a single number (got [100000.0, 200000.0])"
    with pytest.raises(InputError) as err:
        single_number("days", None, " of stage 'lead'")
    assert str(err.value) == "'days' of stage 'lead' must be a single number (got None)"
    assert single_number("reps", 2) == 2


def test_values_in_messages_are_bounded_in_length_and_depth():
    assert short("x" * 500) == repr("x" * 80) + "… (500 characters)"
    bomb: list = ["lol"] * 9
    for _ in range(40):  # 9**40 strings if expanded
        bomb = [bomb] * 9
    assert len(short(bomb)) < 200
    with pytest.raises(InputError) as err:
        check_number("revenue_goal", bomb)
    assert len(str(err.value)) < 300


def test_check_number_rejects_text_and_booleans():
    with pytest.raises(InputError, match=r"^'deal_size' must be a number \(got '12k'\)$"):
        check_number("deal_size", "12k", low=0)
    with pytest.raises(InputError, match=r"^'deal_size' must be a number \(got True\)$"):
        check_number("deal_size", True, low=0)
    with pytest.raises(InputError, match=r"^'deal_size' must be a number \(got booleans\)$"):
        check_number("deal_size", np.array([True, False]), low=0)


def test_check_number_rejects_nan_and_infinity_as_not_finite():
    with pytest.raises(InputError, match=r"^'x' must be a finite number \(got nan\)$"):
        check_number("x", float("nan"), low=0)
    with pytest.raises(InputError, match=r"^'x' must be a finite number \(got inf\)$"):
        check_number("x", float("inf"), low=0)


def test_check_number_on_arrays_quotes_first_failure_and_count():
    with pytest.raises(InputError) as err:
        check_number("deal_size", np.array([5.0, -1.0, 2.0, -3.0]), low=0, low_open=True)
    assert str(err.value) == (
        "'deal_size' must be > 0 (got -1.0 at position 1; 2 of 4 values break the rule)"
    )


def test_check_number_accepts_numpy_scalars():
    assert check_number("x", np.float64(0.5), low=0, high=1) == 0.5
    with pytest.raises(InputError, match=r"\(got -2\)$"):
        check_number("x", np.int64(-2), low=0)


def test_check_choice_lists_the_choices():
    from funnelkit.core.validation import check_choice

    assert check_choice("basis", "calendar", ("calendar", "business")) == "calendar"
    with pytest.raises(InputError) as err:
        check_choice("basis", "weekly", ("calendar", "business"), where=" of the pacing")
    assert (
        str(err.value) == "'basis' of the pacing must be one of calendar, business (got 'weekly')"
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (  # a quote in the password
            'could not connect to "postgres://alice:it\'sS3cret@127.0.0.1:1/crm": refused',
            'could not connect to "postgres://alice:***@127.0.0.1:1/crm": refused',
        ),
        (  # an '@' later on the line may be the password's: masked too, never too little
            "postgres://a:S3cret@h1/db: role admin@corp.com denied",
            "postgres://a:***@corp.com denied",
        ),
        (
            "postgres://a:S3cret@h1/db, mysql://c:S3cret@h2/db",
            "postgres://a:***@h1/db, mysql://c:***@h2/db",
        ),
        ("postgres://:S3cret@h/db", "postgres://:***@h/db"),  # no user
        (  # a user with an '@'
            "postgres://admin@srv:S3cret@srv.example.com/db",
            "postgres://admin@srv:***@srv.example.com/db",
        ),
        ("'postgres://alice:S3@c/ret@127.0.0.1:1/crm'", "'postgres://alice:***@127.0.0.1:1/crm'"),
        (
            "(got 'postgres://alice:S3cret Pw@localhost/crm')",
            "(got 'postgres://alice:***@localhost/crm')",
        ),
        ("postgres://u@h/db?password=my S3cret", "postgres://u@h/db?password=***"),
        ('postgres://u@h/db?password="S3cret"&a=1', "postgres://u@h/db?password=***&a=1"),
        (  # what is no secret stays
            "postgres://u@h:5432/db?sslmode=require&authSource=admin&sslkey=/k&PWD=S3cret",
            "postgres://u@h:5432/db?sslmode=require&authSource=admin&sslkey=/k&PWD=***",
        ),
        ("'duckdb://md:crm?motherduck_token=S3cret'", "'duckdb://md:crm?motherduck_token=***'"),
        ("postgres://alice@host:5432/db", "postgres://alice@host:5432/db"),
    ],
)
def test_a_connection_url_s_secrets_are_masked_and_nothing_else(text, shown):
    assert masked(text) == shown
