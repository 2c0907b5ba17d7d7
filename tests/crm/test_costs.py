"""A costs file is read like an export: bad rows are named in the quality report (row
numbers from 1 after the header) and dropped, repeated months and channels added up, a
missing column or a file without a usable row stops with the file and what was found."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import ROOT

from funnelkit.core.exceptions import CrmExportError
from funnelkit.crm.costs import read_costs


def write(tmp_path, text: str):
    path = tmp_path / "costs.csv"
    path.write_bytes(text.replace("\n", "\r\n").encode())
    return path


def test_a_costs_file_with_every_kind_of_bad_row(tmp_path):
    path = write(
        tmp_path,
        "Month,Channel, Spend \n"
        '2026-01,Paid Search,"$1,200.50"\n'
        "2026-01,Paid Search,100\n"
        "2026-02-15,Referrals,50\n"
        "soon,Referrals,5\n"
        "2026-03, ,5\n"
        "2026-03,Referrals,-4\n"
        "2026-04,Referrals,abc\n"
        "2026/05,Referrals,10\n"
        "06/2026,Referrals,10\n"
        "Jul 2026,Referrals,10\n"
        "2026-08-31 23:59,Referrals,10\n"
        "2026-09,Referrals,10\n"
        "2026-10,Referrals,10\n"
        " 2026-10 ,Referrals, 7 \n",  # cells padded with spaces read as their text
    )
    costs = read_costs(path)
    assert costs.spend.to_dict("list") == {
        "month": [
            pd.Period(m, "M")
            for m in ("2026-01", "2026-02", *(f"2026-{k:02d}" for k in range(5, 11)))
        ],
        "channel": ["Paid Search"] + ["Referrals"] * 7,
        "spend": [1300.5, 50.0] + [10.0] * 5 + [17.0],
    }
    assert costs.quality.summary().splitlines()[1:] == [
        "  - unparsable month in 'Month': 1 row (first: row 4): row dropped",
        "  - empty channel in 'Channel': 1 row (first: row 5): row dropped",
        "  - unparsable spend in ' Spend ': 1 row (first: row 7): row dropped",
        "  - negative spend in ' Spend ': 1 row (first: row 6): row dropped",
        "  - month and channel given twice in 'Month', 'Channel': 2 rows (first: row 2, row 14): "
        "spends added up",
    ]
    wide = costs.per_channel_month()
    assert wide.loc[pd.Period("2026-02", "M")].tolist() == [0.0, 50.0]


def test_a_file_whose_rows_mostly_cannot_be_used_stops(tmp_path):
    # day-first dates read as months would fold a year into a few months: refused instead
    rows = "".join(f"{d:02d}/05/2025,Paid Search,100\n" for d in range(1, 11))
    rows += "2025-05,Paid Search,100\n2025-06,Paid Search,100\n"
    with pytest.raises(CrmExportError) as err:
        read_costs(write(tmp_path, "month,channel,spend\n" + rows))
    assert (
        "10 of its 12 rows cannot be used as they are (unparsable month in 'month': 10 rows"
        in str(err.value)
    )
    assert str(err.value).endswith("check the month and spend formats")
    with pytest.raises(CrmExportError, match="column 'spend' appears more than once"):
        read_costs(write(tmp_path, "month,channel,spend, Spend\n2026-01,a,1,2\n"))


def test_a_missing_column_or_nothing_usable_stops_and_says_what_was_found(tmp_path):
    with pytest.raises(CrmExportError) as err:
        read_costs(write(tmp_path, "month,source,spend\n2026-01,a,1\n"))
    assert str(err.value) == (
        f"{tmp_path / 'costs.csv'}: a costs file needs the columns 'month', 'channel', 'spend'; "
        "missing 'channel' (found 'month', 'source', 'spend')"
    )
    with pytest.raises(CrmExportError, match="no row has a month, a channel and a spend"):
        read_costs(write(tmp_path, "month,channel,spend\nsoon,a,1\n"))


def test_the_bundled_sample_costs_read_clean():
    costs = read_costs(ROOT / "data" / "sample" / "costs.csv")
    assert costs.quality.ok
    assert len(costs.channels) == 7
    assert len(costs.per_channel_month()) == 18  # May 2025 to October 2026
