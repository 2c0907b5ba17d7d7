"""Reading exports into the lead table: worked examples, planted faults, fatal messages."""

import csv
import datetime as dt
import decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import HUBSPOT_HEADER, SAMPLE, TINY_ROWS, write_export
from hypothesis import given, settings
from hypothesis import strategies as st

from funnelkit.core.exceptions import CrmExportError, ParamsError
from funnelkit.crm.leads import read_export
from funnelkit.crm.mapping_file import mapping_from_dict


def test_tiny_export_by_hand(tiny_export):
    t = read_export(tiny_export)
    leads = t.leads
    assert list(leads["lead_id"]) == ["1", "2", "3", "4", "5", "6"]
    assert list(leads.columns[:6]) == [
        "lead_id",
        "lead_at",
        "mql_at",
        "sql_at",
        "opportunity_at",
        "won_at",
    ]
    assert leads.loc[0, "won_at"] == pd.Timestamp("2026-02-19 09:00")
    assert leads["amount"].tolist()[3] == 20_000.0
    assert list(leads["outcome"]) == ["won", "open", "lost", "won", "lost", "open"]
    assert t.reached().sum().to_dict() == {
        "lead": 6,
        "mql": 5,
        "sql": 3,
        "opportunity": 3,
        "won": 2,
    }
    assert t.as_of == pd.Timestamp("2026-04-01 00:30")
    assert t.quality.ok


def test_placeholders_become_missing(tmp_path):
    rows = [[*TINY_ROWS[0][:7], "Select", *TINY_ROWS[0][8:]]]
    mapping = mapping_from_dict({"name": "x", "preset": "hubspot", "missing_values": ["Select"]})
    t = read_export(write_export(tmp_path / "p.csv", HUBSPOT_HEADER, rows), mapping)
    assert t.leads["source"].isna().all()


def test_text_values_are_trimmed_then_mapped_so_padding_makes_no_new_group(tmp_path):
    statuses = ["Closed Won", " Closed Won ", "Select", "  ", "Open", "Closed Won"]
    sources = [" Direct", "Direct", "Organic ", "Select", "", "Paid"]
    rows = [
        [*r[:6], status, source, *r[8:]]
        for r, status, source in zip(TINY_ROWS, statuses, sources, strict=True)
    ]
    mapping = mapping_from_dict(
        {
            "name": "x",
            "preset": "hubspot",
            "missing_values": ["Select"],
            "values": {"outcome": {"Closed Won": "won", "Open": "open"}},
        }
    )
    leads = read_export(write_export(tmp_path / "pad.csv", HUBSPOT_HEADER, rows), mapping).leads
    # rows 3 and 4 hold no status: their outcome comes from their stages
    assert leads["outcome"].tolist() == ["won", "won", "open", "won", "open", "won"]
    assert leads["source"].tolist() == ["Direct", "Direct", "Organic", np.nan, np.nan, "Paid"]
    assert list(leads["source"].cat.categories) == ["Direct", "Organic", "Paid"]


def test_internal_property_names_read_like_labels(tmp_path):
    internal = [
        "hs_object_id",
        "createdate",
        "hs_lifecyclestage_marketingqualifiedlead_date",
        "hs_lifecyclestage_salesqualifiedlead_date",
        "hs_lifecyclestage_opportunity_date",
        "hs_lifecyclestage_customer_date",
        "hs_lead_status",
        "hs_analytics_source",
        "hubspot_owner_id",
        "hs_sa_first_engagement_date",
        "num_notes",
        "recent_deal_amount",
    ]
    by_label = read_export(write_export(tmp_path / "a.csv", HUBSPOT_HEADER, TINY_ROWS)).leads
    by_name = read_export(write_export(tmp_path / "b.csv", internal, TINY_ROWS)).leads
    pd.testing.assert_frame_equal(by_label, by_name)


def test_excel_and_parquet_give_the_same_leads(tmp_path, tiny_export):
    frame = pd.read_csv(tiny_export, dtype=str, keep_default_na=False)
    frame.to_excel(tmp_path / "t.xlsx", index=False)
    frame.to_parquet(tmp_path / "t.parquet")
    text = ["Lead Status", "Original Source", "Contact owner"]
    frame.astype(dict.fromkeys(text, "category")).to_parquet(tmp_path / "dictionary.parquet")
    expected = read_export(tiny_export).leads
    for name in ("t.xlsx", "t.parquet", "dictionary.parquet"):
        pd.testing.assert_frame_equal(read_export(tmp_path / name).leads, expected)


def planted_faults(path):
    """The sample's faults, found independently with the csv module and datetime."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))

    def bad_date(text):
        if not text:
            return False
        try:
            dt.datetime.strptime(text, "%Y-%m-%d %H:%M")
        except ValueError:
            return True
        return False

    ids = [r["Record ID"] for r in rows]
    seen, repeated = set(), []
    for i in ids:
        if i and i in seen:
            repeated.append(i)
        seen.add(i)
    kept = {}
    for r in rows:
        if r["Record ID"] and r["Record ID"] not in kept:
            kept[r["Record ID"]] = r
    early = [
        i
        for i, r in kept.items()
        if r["Became a Marketing Qualified Lead Date"]
        and not bad_date(r["Create Date"])
        and r["Create Date"]
        and r["Became a Marketing Qualified Lead Date"] < r["Create Date"]
    ]
    return {
        "missing id": [f"row {n + 1}" for n, i in enumerate(ids) if not i],
        "repeated id": repeated,
        "negative amount": [i for i, r in kept.items() if r["Recent Deal Amount"].startswith("-")],
        "bad create date": [i for i, r in kept.items() if bad_date(r["Create Date"])],
        "bad sql date": [
            i for i, r in kept.items() if bad_date(r["Became a Sales Qualified Lead Date"])
        ],
        "mql before created": early,
    }


def test_the_quality_report_finds_exactly_the_planted_faults():
    expected = planted_faults(SAMPLE)
    report = read_export(SAMPLE).quality.frame()
    found = {(row.check, row.column): (row.count, row.first_ids) for row in report.itertuples()}
    assert found == {
        ("missing id", "'Record ID'"): (
            len(expected["missing id"]),
            ", ".join(expected["missing id"]),
        ),
        ("repeated id", "'Record ID'"): (
            len(expected["repeated id"]),
            ", ".join(expected["repeated id"]),
        ),
        ("negative amount", "'Recent Deal Amount'"): (
            len(expected["negative amount"]),
            ", ".join(expected["negative amount"]),
        ),
        ("unparsable date", "'Create Date'"): (1, ", ".join(expected["bad create date"])),
        ("unparsable date", "'Became a Sales Qualified Lead Date'"): (
            1,
            ", ".join(expected["bad sql date"]),
        ),
        (
            "stage date before an earlier stage's date (mql)",
            "'Became a Marketing Qualified Lead Date'",
        ): (
            len(expected["mql before created"]),
            ", ".join(expected["mql before created"][:5]),
        ),
    }


def test_summary_prints_each_finding():
    text = read_export(SAMPLE).quality.summary()
    assert text.splitlines()[0] == f"{SAMPLE}: 4,001 rows read"
    assert "  - negative amount in 'Recent Deal Amount': 2 rows (first: " in text
    assert "treated as missing" in text


def test_rows_kept_are_rows_read_less_those_reported():
    t = read_export(SAMPLE)
    dropped = t.quality.frame().query("check in ['missing id', 'repeated id']")["count"].sum()
    assert len(t.leads) == t.quality.rows_read - dropped
    assert t.leads["lead_id"].is_unique


def test_a_missing_required_column_lists_what_was_found_and_the_closest(tmp_path):
    header = ["Record ID", "Created Date", "Original Source"]
    path = write_export(tmp_path / "m.csv", header, [["1", "2026-01-01 10:00", "x"]])
    with pytest.raises(CrmExportError) as err:
        read_export(path)
    assert str(err.value) == (
        f"{path}: required column for 'lead_at' is missing: looked for 'Create Date', 'createdate'; "
        "found 'Record ID', 'Created Date', 'Original Source'; closest: 'Created Date'"
    )


def test_the_id_column_is_needed_even_when_a_mapping_does_not_require_it(tmp_path):
    mapping = mapping_from_dict({"name": "no-id", "preset": "hubspot", "required": ["lead_at"]})
    header = ["Contact", "Create Date"]
    path = write_export(tmp_path / "n.csv", header, [["a", "2026-01-01 10:00"]])
    with pytest.raises(CrmExportError) as err:
        read_export(path, mapping)
    assert str(err.value) == (
        f"{path}: required column for 'lead_id' is missing: looked for 'Record ID', 'Contact ID', "
        "'hs_object_id', 'vid'; found 'Contact', 'Create Date'; closest: 'Contact'"
    )


def test_unknown_values_are_fatal_with_counts_and_first_ids(tmp_path):
    rows = [[*r[:6], "Negotiating", *r[7:]] for r in TINY_ROWS[:3]]
    path = write_export(tmp_path / "u.csv", HUBSPOT_HEADER, rows)
    with pytest.raises(CrmExportError) as err:
        read_export(path)
    message = str(err.value)
    assert message.startswith(
        f"{path}: column 'Lead Status' (outcome) has 3 rows with values the mapping does not know: "
        "'Negotiating' (3 rows) (first ids 1, 2, 3); known values are 'New', "
    )
    assert message.endswith("add them to the mapping's values.outcome")


def test_salesforce_opportunity_report(tmp_path):
    header = [
        "Opportunity ID",
        "Opportunity Name",
        "Stage",
        "Amount",
        "Close Date",
        "Created Date",
        "Opportunity Owner",
        "Lead Source",
    ]
    rows = [
        ["006A", "Acme", "Closed Won", "$1,234.50", "3/15/2026", "1/5/2026 3:04 PM", "Kim", "Web"],
        [
            "006B",
            "Beta",
            "Negotiation/Review",
            "$10,000.00",
            "6/30/2026",
            "2/1/2026 9:00 AM",
            "Kim",
            "Partner",
        ],
        ["006C", "Coda", "Closed Lost", "(500.00)", "4/1/2026", "2/2/2026 9:00 AM", "Lee", "Web"],
    ]
    t = read_export(write_export(tmp_path / "o.csv", header, rows), "salesforce-opportunities")
    assert list(t.leads["outcome"]) == ["won", "open", "lost"]
    assert list(t.leads["stage"].astype(object)) == ["won", "negotiation", np.nan]
    assert t.leads.loc[0, "amount"] == 1234.5
    assert t.leads.loc[0, "won_at"] == pd.Timestamp("2026-03-15")
    assert t.leads.loc[0, "prospecting_at"] == pd.Timestamp("2026-01-05 15:04")
    assert t.reached().sum().to_dict() == {
        "prospecting": 3,
        "qualification": 2,
        "proposal": 2,
        "negotiation": 2,
        "won": 1,
    }
    assert [f.check for f in t.quality.findings] == ["negative amount"]


def test_salesforce_lead_report(tmp_path):
    header = [
        "Lead ID",
        "Created Date",
        "Lead Source",
        "Lead Status",
        "Converted Date",
        "Lead Owner",
    ]
    rows = [
        ["00Q1", "1/5/2026", "Web", "Closed - Converted", "1/20/2026", "Kim"],
        ["00Q2", "1/6/2026", "Web", "Working - Contacted", "", "Kim"],
        ["00Q3", "1/7/2026", "Trade Show", "Closed - Not Converted", "", "Lee"],
    ]
    t = read_export(write_export(tmp_path / "l.csv", header, rows), "salesforce-leads")
    assert list(t.leads["outcome"]) == ["won", "open", "lost"]
    assert t.reached()["converted"].tolist() == [True, False, False]


def test_won_time_conflicting_with_outcome_is_reported(tmp_path):
    rows = [[*TINY_ROWS[0][:6], "Unqualified", *TINY_ROWS[0][7:]]]
    t = read_export(write_export(tmp_path / "c.csv", HUBSPOT_HEADER, rows))
    assert t.leads.loc[0, "outcome"] == "won"
    assert (
        t.quality.findings[0].sentence()
        == "reached the last stage but outcome not won in outcome: 1 row (first: 1): outcome set to won"
    )


def test_counts_must_be_whole(tmp_path):
    rows = [[*TINY_ROWS[0][:10], "2.5", TINY_ROWS[0][11]]]
    t = read_export(write_export(tmp_path / "w.csv", HUBSPOT_HEADER, rows))
    assert np.isnan(t.leads.loc[0, "touches"])
    assert t.quality.findings[0].check == "not a whole number"


def test_a_dropped_repeated_row_is_reported_once_not_for_its_cells(tmp_path):
    bad_copy = [TINY_ROWS[0][0], "yesterday", *TINY_ROWS[0][2:]]
    t = read_export(write_export(tmp_path / "r.csv", HUBSPOT_HEADER, [*TINY_ROWS, bad_copy]))
    assert [f.check for f in t.quality.findings] == ["repeated id"]
    assert len(t.leads) == 6


def test_an_export_without_dates_has_no_as_of_day_and_says_so(tmp_path):
    mapping = mapping_from_dict(
        {
            "name": "no-dates",
            "stages": ["lead", "won"],
            "columns": {"lead_id": "id", "outcome": "Converted"},
            "values": {"outcome": {"1": "won", "0": "lost"}},
        }
    )
    path = write_export(tmp_path / "d.csv", ["id", "Converted"], [["a", "1"], ["b", "0"]])
    table = read_export(path, mapping)
    with pytest.raises(CrmExportError) as err:
        _ = table.as_of
    assert str(err.value) == (
        f"{path}: the export holds no dates, so the day it was taken is unknown: give it as "
        "'as_of' under 'actuals' (YYYY-MM-DD), or map a stage time or a close date in the mapping"
    )


def test_an_open_deal_s_future_close_date_does_not_move_the_as_of_day(tmp_path):
    path = write_export(
        tmp_path / "opps.csv",
        ["Opportunity ID", "Stage", "Amount", "Close Date", "Created Date", "Opportunity Owner"],
        [
            ["006A", "Closed Won", "$12,000.00", "3/1/2026", "1/20/2026 10:00 AM", "Ana"],
            ["006C", "Prospecting", "$9,000.00", "12/31/2099", "3/2/2026 9:00 AM", "Ana"],
        ],
    )
    table = read_export(path, "salesforce-opportunities")
    assert table.as_of == pd.Timestamp("2026-03-02 09:00")  # the latest event, not 2099


@pytest.mark.parametrize(
    ("column", "value"),
    [
        (1, "2099-01-05 09:00"),  # a creation date in the future
        (1, "9999-12-31 23:59"),
        (1, "1900-01-05 09:00"),  # before any CRM
        (1, "0001-01-01 00:00"),
        (5, "2262-05-01 00:00"),  # a customer date at the edge of nanosecond time
    ],
)
def test_implausible_dates_are_findings_and_left_out(tmp_path, column, value):
    rows = [list(r) for r in TINY_ROWS]
    rows[0][column] = value
    table = read_export(write_export(tmp_path / "odd.csv", HUBSPOT_HEADER, rows))
    good = read_export(write_export(tmp_path / "tiny.csv", HUBSPOT_HEADER, TINY_ROWS))
    found = [f for f in table.quality.findings if f.check.startswith("date outside 1990 to ")]
    assert [(f.column, f.count, f.first_ids) for f in found] == [
        (repr(HUBSPOT_HEADER[column]), 1, ("1",))
    ]
    assert found[0].action.startswith("treated as missing: before any CRM, or in the future")
    assert table.as_of == good.as_of  # one odd date does not move 'now'
    field = ["lead_at", "lead_at", "lead_at", "lead_at", "mql_at", "won_at"][column]
    assert pd.isna(table.leads.loc[0, field])


def test_an_infinite_response_time_is_a_finding(tmp_path):
    header = [*HUBSPOT_HEADER, "Lead response time"]
    rows = [[*r, "60000"] for r in TINY_ROWS]
    rows[1][-1] = "1e400"
    table = read_export(write_export(tmp_path / "inf.csv", header, rows))
    (finding,) = [f for f in table.quality.findings if f.check == "not a finite number"]
    assert (finding.column, finding.first_ids) == ("'Lead response time'", ("2",))
    assert pd.isna(table.leads.loc[1, "response_time"])


@pytest.mark.filterwarnings("error::RuntimeWarning")  # 1e308 ms once overflowed the cast
def test_a_response_time_longer_than_since_1990_is_a_finding(tmp_path):
    header = [*HUBSPOT_HEADER, "Lead response time"]
    year = 365.25 * 24 * 3600 * 1000  # ms
    times = [1e308, 30 * year, 60 * year, 6e4, 6e4, 6e4]  # one per row of TINY_ROWS
    rows = [[*r, f"{t:.0f}"] for r, t in zip(TINY_ROWS, times, strict=True)]
    table = read_export(write_export(tmp_path / "long.csv", header, rows))
    (finding,) = [f for f in table.quality.findings if f.check == "longer than the time since 1990"]
    assert (finding.column, finding.count, finding.first_ids) == (
        "'Lead response time'",
        2,
        ("1", "3"),
    )
    assert finding.action == "treated as missing: longer than any CRM has recorded"
    seconds = table.leads["response_time"].dt.total_seconds().tolist()
    assert pd.isna(seconds[0])
    assert pd.isna(seconds[2])
    assert seconds[1] == pytest.approx(30 * year / 1000)
    assert seconds[3:] == [60, 60, 60]


def test_a_windows_1252_line_in_a_utf8_file_is_named_and_the_rest_stays_utf8(tmp_path):
    rows = [list(r) for r in TINY_ROWS]
    rows[0][8] = "José"  # UTF-8
    path = write_export(tmp_path / "mixed.csv", HUBSPOT_HEADER, rows)
    lines = path.read_bytes().split(b"\r\n")
    lines[3] = lines[3].replace(b'"Bob"', '"Zoë"'.encode("cp1252"))  # the row of lead 3
    path.write_bytes(b"\r\n".join(lines))
    table = read_export(path)
    owners = table.leads.set_index("lead_id")["owner"]
    assert owners["1"] == "José"  # not 'JosÃ©'
    assert owners["3"] == "Zoë"
    (finding,) = [f for f in table.quality.findings if f.check == "line not valid UTF-8"]
    assert finding.first_ids == ("line 4",)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(-3, 40), min_size=1, max_size=30))
def test_whole_number_ids_in_parquet_find_the_repeats_their_text_finds(tmp_path_factory, ids):
    """Typed ids are checked as numbers, text ids as text: the same leads and findings."""
    folder = tmp_path_factory.mktemp("ids")
    rows = [[str(i), *TINY_ROWS[n % len(TINY_ROWS)][1:]] for n, i in enumerate(ids)]
    text = read_export(write_export(folder / "ids.csv", HUBSPOT_HEADER, rows))
    frame = pd.read_csv(folder / "ids.csv", dtype=str, keep_default_na=False)
    frame["Record ID"] = frame["Record ID"].astype("int64")
    frame.to_parquet(folder / "ids.parquet")
    typed = read_export(folder / "ids.parquet")
    assert typed.leads["lead_id"].tolist() == list(dict.fromkeys(map(str, ids)))
    assert typed.leads["lead_id"].tolist() == text.leads["lead_id"].tolist()
    assert [(f.check, f.count, f.first_ids) for f in typed.quality.findings] == [
        (f.check, f.count, f.first_ids) for f in text.quality.findings
    ]


@pytest.mark.parametrize(
    ("ids", "kind"),
    [
        ([5, 3, 5], pa.uint64()),
        ([5, 3, 5], pa.uint8()),
        ([0, 100, -100, 0], pa.int8()),
        ([0, 9_000_000_000_000_000_000, -9_000_000_000_000_000_000, 0], pa.int64()),
    ],
)
def test_typed_ids_that_repeat_are_found_whatever_their_width(tmp_path, ids, kind):
    rows = [[str(i), *TINY_ROWS[n][1:]] for n, i in enumerate(ids)]
    frame = pd.read_csv(
        write_export(tmp_path / "ids.csv", HUBSPOT_HEADER, rows), dtype=str, keep_default_na=False
    )
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.set_column(0, "Record ID", pa.array(ids, kind))
    pq.write_table(table, tmp_path / "ids.parquet")
    read = read_export(tmp_path / "ids.parquet")
    assert read.leads["lead_id"].tolist() == list(dict.fromkeys(map(str, ids)))
    assert [f.check for f in read.quality.findings][:1] == ["repeated id"]


def test_ids_in_a_dictionary_column_are_trimmed_like_text(tmp_path):
    rows = [[i, *TINY_ROWS[n][1:]] for n, i in enumerate(["7", " 7", " "])]
    frame = pd.read_csv(
        write_export(tmp_path / "d.csv", HUBSPOT_HEADER, rows), dtype=str, keep_default_na=False
    )
    frame.astype({"Record ID": "category"}).to_parquet(tmp_path / "d.parquet")
    read = read_export(tmp_path / "d.parquet")
    assert read.leads["lead_id"].tolist() == ["7"]
    assert [f.check for f in read.quality.findings] == ["missing id", "repeated id"]


def test_a_mapping_s_keys_and_placeholders_match_trimmed_cells(tmp_path):
    rows = [[*TINY_ROWS[1][:6], " Nurture ", "n/a", *TINY_ROWS[1][8:]]]
    mapping = mapping_from_dict(
        {
            "name": "x",
            "preset": "hubspot",
            "values": {"outcome": {" Nurture ": "open"}},
            "missing_values": [" n/a "],
        }
    )
    leads = read_export(write_export(tmp_path / "k.csv", HUBSPOT_HEADER, rows), mapping).leads
    assert leads["outcome"].tolist() == ["open"]
    assert leads["source"].isna().all()
    with pytest.raises(ParamsError, match=r"values.outcome: 'Won' is given twice"):
        mapping_from_dict(
            {
                "name": "x",
                "preset": "hubspot",
                "values": {"outcome": {"Won": "won", " Won": "lost"}},
            }
        )


def typed_export(tmp_path, column: str, values: pa.Array):
    """The tiny export as Parquet, one column given an Arrow type of its own."""
    frame = pd.read_csv(
        write_export(tmp_path / "t.csv", HUBSPOT_HEADER, TINY_ROWS),
        dtype=str,
        keep_default_na=False,
    )
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.set_column(table.column_names.index(column), column, values)
    pq.write_table(table, tmp_path / "t.parquet")
    return tmp_path / "t.parquet"


@pytest.mark.parametrize(
    ("column", "values", "holds"),
    [
        ("Became a Customer Date", pa.array(range(6)), "int64"),
        ("Number of Sales Activities", pa.array([True, False] * 3), "bool"),
    ],
)
def test_a_typed_column_that_cannot_hold_its_field_is_refused_by_name(
    tmp_path, column, values, holds
):
    path = typed_export(tmp_path, column, values)
    with pytest.raises(
        CrmExportError,
        match=rf"column '{column}' \(\w+\) must hold text or \w+ \(it holds {holds}\)",
    ):
        read_export(path)


def test_decimal_null_and_dictionary_columns_read_as_their_values(tmp_path):
    expected = read_export(write_export(tmp_path / "e.csv", HUBSPOT_HEADER, TINY_ROWS)).leads
    amounts = pa.array(
        [decimal.Decimal(a) if a else None for a in ("10000", "", "", "20000.00", "", "")],
        pa.decimal128(12, 2),
    )
    read = read_export(typed_export(tmp_path, "Recent Deal Amount", amounts)).leads
    pd.testing.assert_series_equal(read["amount"], expected["amount"])
    read = read_export(typed_export(tmp_path, "Recent Deal Amount", pa.nulls(6))).leads
    assert read["amount"].isna().all()
    created = pa.array([r[1] for r in TINY_ROWS]).dictionary_encode()
    read = read_export(typed_export(tmp_path, "Create Date", created)).leads
    pd.testing.assert_series_equal(read["lead_at"], expected["lead_at"])


@pytest.mark.parametrize("stored_schema", [True, False])
def test_dictionary_entries_no_row_uses_are_no_values(tmp_path, stored_schema):
    """A Parquet dictionary may hold entries no row uses (an enum's, a categorical's unused
    categories; read as a dictionary whether or not the file says so): they are no values,
    so neither unknown to a value map nor groups of their own."""
    expected = read_export(write_export(tmp_path / "e.csv", HUBSPOT_HEADER, TINY_ROWS)).leads
    frame = pd.read_csv(tmp_path / "e.csv", dtype=str, keep_default_na=False)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for column, unused in (("Lead Status", "Zombie"), ("Original Source", "Nowhere")):
        values = table.column(column).to_pylist()
        entries = sorted({*values, unused})
        indices = pa.array([entries.index(v) for v in values], pa.int32())
        coded = pa.DictionaryArray.from_arrays(indices, pa.array(entries))
        table = table.set_column(table.column_names.index(column), column, coded)
    pq.write_table(table, tmp_path / "t.parquet", store_schema=stored_schema)
    pd.testing.assert_frame_equal(read_export(tmp_path / "t.parquet").leads, expected)


def test_a_mapped_column_repeated_in_the_header_is_named(tmp_path):
    rows = [[*r, "Someone"] for r in TINY_ROWS]
    path = write_export(tmp_path / "twice.csv", [*HUBSPOT_HEADER, "Contact owner"], rows)
    with pytest.raises(
        CrmExportError,
        match=r"twice\.csv: column 'Contact owner' \(owner\) appears 2 times in the header",
    ):
        read_export(path)


def test_text_view_columns_read_as_text(tmp_path):
    """Arrow's string_view (Polars and DuckDB write text so) is text like any other: padded
    ids trimmed, counts and dates parsed."""
    expected = read_export(write_export(tmp_path / "e.csv", HUBSPOT_HEADER, TINY_ROWS)).leads
    for column, field, pad in (
        ("Record ID", "lead_id", " "),
        ("Number of Sales Activities", "touches", ""),
        ("Create Date", "lead_at", ""),
        ("Original Source", "source", " "),
    ):
        values = pa.array([f"{pad}{r[HUBSPOT_HEADER.index(column)]}{pad}" for r in TINY_ROWS])
        read = read_export(typed_export(tmp_path, column, values.cast(pa.string_view()))).leads
        pd.testing.assert_series_equal(read[field], expected[field])


def test_a_column_repeated_in_a_parquet_file_is_named(tmp_path):
    table = pa.table({"Record ID": ["1"], "Create Date": ["2026-01-05"]})
    table = table.append_column("Create Date", pa.array(["2026-01-06"]))
    pq.write_table(table, tmp_path / "twice.parquet")
    with pytest.raises(
        CrmExportError, match=r"twice\.parquet: column 'Create Date' appears 2 times in the file"
    ):
        read_export(tmp_path / "twice.parquet")


def test_the_latest_event_is_the_latest_wall_clock_time_but_a_close_date(tmp_path):
    """Worked out by hand on the tiny export (its latest time is a first touch, 1 April
    00:30); a close date later still, and an attribute's times with a zone, do not count."""
    frame = pd.read_csv(
        write_export(tmp_path / "e.csv", HUBSPOT_HEADER, TINY_ROWS),
        dtype=str,
        keep_default_na=False,
    )
    frame["Recent Deal Close Date"] = "2027-01-01"
    table = pa.Table.from_pandas(frame, preserve_index=False)
    seen = pa.array([dt.datetime(2030, 1, 1)] * len(TINY_ROWS), pa.timestamp("s", tz="UTC"))
    pq.write_table(table.append_column("Seen", seen), tmp_path / "t.parquet")
    mapping = mapping_from_dict({"name": "x", "preset": "hubspot", "attributes": {"seen": "Seen"}})
    read = read_export(tmp_path / "t.parquet", mapping)
    assert read.leads["seen"].notna().all()
    assert read.latest_event == pd.Timestamp("2026-04-01 00:30")


def test_what_a_mapping_maps_but_the_export_lacks_is_noted_with_the_closest_column(tmp_path):
    path = write_export(tmp_path / "e.csv", HUBSPOT_HEADER, TINY_ROWS)
    mapping = mapping_from_dict(
        {
            "name": "ours",
            "preset": "hubspot",
            "columns": {"owner": "SDR", "source": "Original Sorce"},
            "stage_columns": {"won": "Won Date"},
            "attributes": {"region": "Region"},
        }
    )
    table = read_export(path, mapping)
    assert "owner" not in table.leads
    assert "source" not in table.leads
    assert table.quality.notes == [  # what the file names, then what its preset lists
        "mapped, but not in the export, so left empty: source (looked for 'Original Sorce'; "
        "closest: 'Original Source'); owner (looked for 'SDR'); won_at (looked for 'Won Date'); "
        "attribute 'region' (looked for 'Region')",
        "the preset's optional columns not in the export: stage, assigned_at, response_time, "
        "close_date",
    ]
    whole = mapping_from_dict(  # a whole mapping names every column itself
        {
            "name": "whole",
            "stages": ["lead", "won"],
            "columns": {"lead_id": "Record ID", "owner": ["Owner", "Rep"]},
            "stage_columns": {"lead": "Create Date", "won": "Won"},
        }
    )
    assert read_export(path, whole).quality.notes == [
        "mapped, but not in the export, so left empty: owner (looked for 'Owner' or 'Rep'); "
        "won_at (looked for 'Won')"
    ]
    assert table.quality.notes[0] in table.quality.summary()
