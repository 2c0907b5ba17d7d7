import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funnelkit.crm.parsing import cells, parse_numbers, parse_times


def col(*values):
    return pa.chunked_array([pa.array(list(values), pa.string())])


def test_times_try_each_format_and_flag_bad_cells():
    values, bad = parse_times(
        col("2026-01-05 10:00", "2026-01-05", "soon", None), ["%Y-%m-%d %H:%M", "%Y-%m-%d"], "UTC"
    )
    assert [str(v) for v in values] == ["2026-01-05T10:00:00", "2026-01-05T00:00:00", "NaT", "NaT"]
    assert list(bad) == [False, False, True, False]


def test_impossible_dates_are_bad_not_rolled_over():
    values, bad = parse_times(
        col("2026-02-30 10:00", "2026-02-28 10:00", "2026-03-02 10:00", "2026-04-31"),
        ["%Y-%m-%d %H:%M", "%Y-%m-%d"],
        "UTC",
    )
    assert list(bad) == [True, False, False, True]
    assert str(values[2]) == "2026-03-02T10:00:00"


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1990, 2090),
    st.integers(1, 12),
    st.integers(1, 31),
    st.sampled_from(["%Y-%m-%d", "%m/%d/%Y"]),
)
def test_a_day_parses_exactly_when_the_calendar_has_it(year, month, day, fmt):
    """Python's calendar, independently: Feb 29 of a common year, the 31st of a 30-day month
    are bad; every real day is itself, padded or not."""
    text = fmt.replace("%Y", str(year)).replace("%m", str(month)).replace("%d", str(day))
    values, bad = parse_times(col(text), [fmt], "UTC")
    try:
        expected = np.datetime64(dt.date(year, month, day), "s")
    except ValueError:
        assert bad[0]
        assert np.isnat(values[0])
    else:
        assert not bad[0]
        assert values[0] == expected


def test_cells_are_trimmed_and_placeholders_missing():
    got = cells(col(" a ", "", "  ", "Select", " Select ", None, "b"), ["Select"])
    assert got.to_pylist() == ["a", None, None, None, None, None, "b"]
    numbers = pa.chunked_array([pa.array([1, None])])
    assert cells(numbers, ["Select"]) is numbers  # not text: as it is


def test_cells_blank_every_placeholder_in_either_text_type():
    for kind in (pa.string(), pa.large_string()):
        column = pa.chunked_array([pa.array(["N/A", " - ", "x", "", "n/a", None], kind)])
        assert cells(column, ["N/A", "-"]).to_pylist() == [None, None, "x", None, "n/a", None]


def test_formats_are_ranked_on_cells_past_a_long_empty_start():
    """The ranking sample is the first cells that hold a value, however far down they
    start: after 5,000 empty cells, day-first dates that only '%d/%m/%Y' reads make it the
    first format, so an ambiguous '02/03/2026' is 2 March."""
    days = [f"{d}/01/2026" for d in range(13, 29)] * 70  # 1,120 cells
    values, bad = parse_times(
        col(*[None] * 5000, *days, "02/03/2026"), ["%m/%d/%Y", "%d/%m/%Y"], "UTC"
    )
    assert not bad.any()
    assert str(values[5000]) == "2026-01-13T00:00:00"
    assert str(values[-1]) == "2026-03-02T00:00:00"


def test_zoned_times_become_the_exports_wall_clock():
    values, _ = parse_times(
        col("2026-07-01T08:00:00Z", "2026-01-01T08:00:00+0100"),
        ["%Y-%m-%dT%H:%M:%S%z"],
        "Europe/Berlin",
    )
    assert [str(v) for v in values] == ["2026-07-01T10:00:00", "2026-01-01T08:00:00"]
    values, _ = parse_times(col("2026-07-01T08:00:00Z"), ["%Y-%m-%dT%H:%M:%SZ"], "America/New_York")
    assert str(values[0]) == "2026-07-01T04:00:00"


def test_salesforce_style_times():
    values, bad = parse_times(
        col("1/5/2026 3:04 PM", "12/31/2025"), ["%m/%d/%Y %I:%M %p", "%m/%d/%Y"], "UTC"
    )
    assert [str(v) for v in values] == ["2026-01-05T15:04:00", "2025-12-31T00:00:00"]
    assert not bad.any()


@settings(max_examples=60, deadline=None)
@given(
    st.datetimes(
        min_value=__import__("datetime").datetime(1990, 1, 1),
        max_value=__import__("datetime").datetime(2090, 1, 1),
    )
)
def test_a_formatted_time_parses_back(moment):
    moment = moment.replace(second=0, microsecond=0)
    values, bad = parse_times(col(moment.strftime("%Y-%m-%d %H:%M")), ["%Y-%m-%d %H:%M"], "UTC")
    assert values[0] == np.datetime64(moment, "s")
    assert not bad[0]


@pytest.mark.parametrize(
    ("text", "decimal", "value"),
    [
        ("$1,234.50", ".", 1234.5),
        ("(1,234.50)", ".", -1234.5),
        ("USD 1,000", ".", 1000.0),
        ("1 234,50 €", ",", 1234.5),
        ("1.234,50", ",", 1234.5),
        ("-5", ".", -5.0),
        ("1234.5", ".", 1234.5),
        ("£12", ".", 12.0),
    ],
)
def test_money_formats(text, decimal, value):
    values, bad = parse_numbers(col(text), decimal, money=True)
    assert values[0] == value
    assert not bad[0]


@pytest.mark.parametrize("text", ["12abc", "1,23", "1,2345.6", "$", "1.2.3", "ten"])
def test_bad_money_is_flagged(text):
    values, bad = parse_numbers(col(text), ".", money=True)
    assert np.isnan(values[0])
    assert bad[0]


def test_a_mostly_empty_column_parses_each_cell_in_its_own_row():
    """Sparse columns (a deal's amount) parse only the cells holding a value: each value and
    each bad cell lands in its own row."""
    given = {3: "$1,234.50", 10: "(1,234.50)", 11: "ten", 40: "£12", 99: "1,23"}
    values, bad = parse_numbers(col(*[given.get(i) for i in range(100)]), ".", money=True)
    assert np.flatnonzero(~np.isnan(values)).tolist() == [3, 10, 40]
    assert values[[3, 10, 40]].tolist() == [1234.5, -1234.5, 12.0]
    assert np.flatnonzero(bad).tolist() == [11, 99]
    values, bad = parse_numbers(col(None, None, "5", None, "x", None, None))
    assert values[2] == 5
    assert np.isnan(values[[0, 1, 3, 4, 5, 6]]).all()
    assert np.flatnonzero(bad).tolist() == [4]


def test_plain_numbers_reject_thousands_separators():
    values, bad = parse_numbers(col("1,000", "12", "3.5"))
    assert list(bad) == [True, False, False]
    assert values[1] == 12


@given(st.floats(min_value=-1e9, max_value=1e9).map(lambda x: round(x, 2)))
def test_money_round_trips_through_formatting(x):
    values, bad = parse_numbers(col(f"${x:,.2f}" if x >= 0 else f"(${-x:,.2f})"), ".", money=True)
    assert values[0] == pytest.approx(x, abs=1e-9)
    assert not bad[0]


@settings(max_examples=200, deadline=None)
@given(
    st.integers(2024, 2030),
    st.integers(1, 12),
    st.integers(27, 31),
    st.integers(0, 23),
    st.sampled_from([-12 * 60, -5 * 60, -90, 0, 5 * 60 + 30, 14 * 60]),
)
def test_a_zoned_day_parses_exactly_when_the_calendar_has_it(year, month, day, hour, minutes):
    """The day as written decides, not the day its offset moves it to (Python, independently)."""
    sign, offset = "+" if minutes >= 0 else "-", abs(minutes)
    text = (
        f"{year}-{month:02d}-{day:02d}T{hour:02d}:00:00{sign}{offset // 60:02d}:{offset % 60:02d}"
    )
    values, bad = parse_times(col(text), ["%Y-%m-%dT%H:%M:%S%z"], "UTC")
    try:
        written = dt.datetime(
            year, month, day, hour, tzinfo=dt.timezone(dt.timedelta(minutes=minutes))
        )
    except ValueError:
        assert bad[0]
        assert np.isnat(values[0])
    else:
        assert not bad[0]
        assert values[0] == np.datetime64(written.astimezone(dt.UTC).replace(tzinfo=None), "s")


ISO_CASES = ["%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"]


def _written(fmt, year, month, day, hour, minute, second, gap):
    text = f"{year:04d}-{month:02d}-{day:02d}"
    if "%H" in fmt:
        text += f"{gap}{hour:02d}:{minute:02d}" + (f":{second:02d}" if "%S" in fmt else "")
    return text


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(ISO_CASES),
    st.lists(
        st.one_of(
            st.none(),
            st.tuples(
                st.integers(1, 9999),
                st.integers(1, 13),
                st.integers(1, 31),
                st.integers(0, 24),
                st.integers(0, 59),
                st.integers(0, 59),
                st.sampled_from(["format's", "format's", "format's", "other"]),
            ),
        ),
        min_size=1,
        max_size=30,
    ),
    st.integers(0, 3),
    st.sampled_from([pa.string(), pa.large_string()]),
)
def test_iso_written_times_parse_as_pythons_strptime(fmt, drawn, cut, kind):
    """Cells written in an ISO shape, some impossible (Feb 30, month 13, hour 24) or with the
    other character between date and time, in one or several (sliced) chunks: each is its
    value by Python's own strptime, or bad. The format's own separator is drawn thrice as
    often, so whole columns in the format (Arrow's ISO reader's case) come up often."""
    own, other = ("T", " ") if "T" in fmt else (" ", "T")
    texts = [
        None if d is None else _written(fmt, *d[:6], own if d[6] == "format's" else other)
        for d in drawn
    ]
    whole = pa.array([None, *texts], kind).slice(1)
    column = pa.chunked_array([whole.slice(0, cut), whole.slice(cut)])
    values, bad = parse_times(column, [fmt], "UTC")
    for text, value, flagged in zip(texts, values, bad, strict=True):
        if text is None:
            assert np.isnat(value)
            assert not flagged
            continue
        try:
            expected = np.datetime64(dt.datetime.strptime(text, fmt), "s")
        except ValueError:
            assert flagged, text
            assert np.isnat(value), text
        else:
            assert not flagged, text
            assert value == expected, text
