"""A costs file: what was spent on each channel each month, checked like an export.

Columns (names matched ignoring case and surrounding spaces):

| column | holds |
| --- | --- |
| `month` | the month: `YYYY-MM`, `YYYY/MM`, `MM/YYYY`, `Jan 2026` (a date `YYYY-MM-DD`, with or without a time, is read as its month; a day-first or month-first date such as `01/05/2025` is refused as ambiguous) |
| `channel` | the channel, as the lead table's source values name it |
| `spend` | money spent that month, in the plan's currency (`$1,200.50` reads as 1200.5) |

Read with the export reader (CSV in any delimiter and encoding, Excel or Parquet). A missing
or repeated column, an empty file, or a file whose rows mostly cannot be used (more than
`MAX_DROPPED` of them dropped or added up: a format misread, not a few bad rows) is fatal.
Otherwise rows are kept or dropped with a finding in the quality report, row numbers counting
data rows from 1: a month that does not parse, or a channel left empty (row dropped); a spend
that does not parse or is negative (row dropped); a month and channel given twice (the rows'
spends are added up).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from funnelkit.core.exceptions import CrmExportError
from funnelkit.crm.exports import read_table
from funnelkit.crm.parsing import as_text, cells, parse_numbers, parse_times, plain
from funnelkit.crm.quality import QualityReport

COST_COLUMNS = ("month", "channel", "spend")
DROPPED = "row dropped"
MAX_DROPPED = 0.5  # a costs file with more than this share of its rows dropped or added up stops
MONTH_FORMATS = (  # tried most-fitting first (`parse_times`); each must read the whole cell
    "%Y-%m",
    "%Y/%m",
    "%m/%Y",
    "%b %Y",
    "%B %Y",
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
)


@dataclass(frozen=True)
class Costs:
    """Spend per month and channel: columns month (Period 'M'), channel, spend (money)."""

    spend: pd.DataFrame
    quality: QualityReport
    source: str

    @property
    def channels(self) -> tuple[str, ...]:
        """The channels spent on, alphabetically."""
        return tuple(sorted(self.spend["channel"].unique()))

    def per_channel_month(self) -> pd.DataFrame:
        """Spend as a table: one row per month (all months from the first to the last), one
        column per channel; 0 where nothing was recorded."""
        wide = self.spend.pivot(index="month", columns="channel", values="spend")
        months = pd.period_range(wide.index.min(), wide.index.max(), freq="M")
        return wide.reindex(months).fillna(0.0)


def read_costs(path: str | Path) -> Costs:
    """Read and check a costs file (see the module docstring for its columns and checks)."""
    path = Path(path)
    report = QualityReport(source=str(path))
    table = read_table(path, report)
    report.rows_read = table.num_rows
    folded = [n.strip().casefold() for n in table.column_names]
    repeated = sorted({n for n in folded if folded.count(n) > 1 and n in COST_COLUMNS})
    if repeated:
        raise CrmExportError(
            f"{path}: column {', '.join(map(repr, repeated))} appears more than once (names are "
            "matched ignoring case and spaces): keep one"
        )
    names = {n.strip().casefold(): n for n in table.column_names}
    missing = [c for c in COST_COLUMNS if c not in names]
    if missing:
        found = ", ".join(repr(n) for n in table.column_names)
        raise CrmExportError(
            f"{path}: a costs file needs the columns {', '.join(map(repr, COST_COLUMNS))}; "
            f"missing {', '.join(map(repr, missing))} (found {found})"
        )
    rows = np.arange(1, table.num_rows + 1).astype(str)
    months = plain(table.column(names["month"]))
    if not (pa.types.is_timestamp(months.type) or pa.types.is_date(months.type)):
        months = cells(as_text(months))
    times, _ = parse_times(months, MONTH_FORMATS, "UTC")  # no zoned format: wall clock
    month = pd.PeriodIndex(times, freq="M")
    bad_month = np.isnat(times)
    report.add(
        "unparsable month", repr(names["month"]), [f"row {r}" for r in rows[bad_month]], DROPPED
    )
    channel = pc.utf8_trim_whitespace(pc.cast(table.column(names["channel"]), pa.string()))
    channel_text = channel.to_pandas().fillna("")
    no_channel = (channel_text == "").to_numpy()
    report.add(
        "empty channel", repr(names["channel"]), [f"row {r}" for r in rows[no_channel]], DROPPED
    )
    spend, bad_spend = parse_numbers(cells(plain(table.column(names["spend"]))), money=True)
    bad_spend = bad_spend | np.isnan(spend) | ~np.isfinite(spend)
    report.add(
        "unparsable spend", repr(names["spend"]), [f"row {r}" for r in rows[bad_spend]], DROPPED
    )
    negative = ~bad_spend & (spend < 0)
    report.add(
        "negative spend", repr(names["spend"]), [f"row {r}" for r in rows[negative]], DROPPED
    )
    keep = ~(bad_month | no_channel | bad_spend | negative)
    frame = pd.DataFrame(
        {"month": month[keep], "channel": channel_text[keep].to_numpy(), "spend": spend[keep]}
    )
    if frame.empty:
        found = "; ".join(f.sentence() for f in report.findings)
        raise CrmExportError(f"{path}: no row has a month, a channel and a spend to use ({found})")
    twice = frame.duplicated(["month", "channel"], keep="first").to_numpy()
    report.add(
        "month and channel given twice",
        f"{names['month']!r}, {names['channel']!r}",
        [f"row {r}" for r in rows[keep][twice]],
        "spends added up",
    )
    unused = int((~keep).sum() + twice.sum())
    if unused > MAX_DROPPED * table.num_rows:
        found = "; ".join(f.sentence() for f in report.findings)
        raise CrmExportError(
            f"{path}: {unused:,} of its {table.num_rows:,} rows cannot be used as they are "
            f"({found}): check the month and spend formats"
        )
    spend_frame = frame.groupby(["month", "channel"], sort=True)["spend"].sum().reset_index()
    return Costs(spend=spend_frame, quality=report, source=str(path))
