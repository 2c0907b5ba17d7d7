"""The data-quality report: every problem found in an export, and what was done about it.

Problems that do not stop the reading (an unparsable date, an amount below zero, stage dates
out of order, a duplicate id) are recorded here with the column, how many rows, the first
row ids and the action taken, so that nothing is changed or dropped silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

FIRST_IDS = 5  # how many row ids a finding quotes


@dataclass(frozen=True)
class Finding:
    """One data-quality problem: what, where, how many, which rows, and what was done."""

    check: str  # e.g. 'unparsable date'
    column: str  # the export's column (or columns) concerned
    count: int  # rows affected
    first_ids: tuple[str, ...]  # ids of the first affected rows
    action: str  # what the reader did, e.g. 'treated as missing'

    def sentence(self) -> str:
        """The finding in one line, e.g. "unparsable date in 'Create Date': 3 rows (first: 7, 9, 12): treated as missing"."""
        rows = "1 row" if self.count == 1 else f"{self.count:,} rows"
        if not self.first_ids:  # rows a table holds without an id: nothing to quote
            return f"{self.check} in {self.column}: {rows}: {self.action}"
        ids = ", ".join(self.first_ids)
        more = ", …" if self.count > len(self.first_ids) else ""
        return f"{self.check} in {self.column}: {rows} (first: {ids}{more}): {self.action}"


@dataclass
class QualityReport:
    """The findings of one export's reading, in the order they were found."""

    source: str  # the file read
    rows_read: int = 0
    notes: list[str] = field(default_factory=list)  # facts about the reading, e.g. the encoding
    findings: list[Finding] = field(default_factory=list)

    def add(self, check: str, column: str, ids: Sequence[str] | pd.Series, action: str) -> None:
        """Record a problem affecting the rows with these ids (nothing is recorded for none)."""
        ids = list(ids)
        if ids:
            first = tuple(str(i) for i in ids[:FIRST_IDS])
            self.findings.append(Finding(check, column, len(ids), first, action))

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.findings

    def frame(self) -> pd.DataFrame:
        """One row per finding: check, column, count, first_ids, action."""
        return pd.DataFrame(
            [(f.check, f.column, f.count, ", ".join(f.first_ids), f.action) for f in self.findings],
            columns=["check", "column", "count", "first_ids", "action"],
        )

    def summary(self) -> str:
        """A printable summary: the file, rows read, notes, then one line per finding."""
        lines = [f"{self.source}: {self.rows_read:,} rows read"]
        lines += [f"  note: {n}" for n in self.notes]
        if self.ok:
            lines.append("  no data-quality problems found")
        lines += [f"  - {f.sentence()}" for f in self.findings]
        return "\n".join(lines)
