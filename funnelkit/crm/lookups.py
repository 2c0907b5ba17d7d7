"""A column the export lacks, looked up in another file: each lead's region from its owner in
a sales-teams file, its segment from its account in an accounts file.

`with_lookup(table, column, path, key, value, name)` reads `path` like an export, maps each
lead's `column` through the file's `key` → `value` columns and adds the result to the lead
table as `name`. Keys are matched ignoring surrounding spaces. A lead whose key the file does
not have gets no value, and the table's quality report says how many and which; a key the
file gives twice with different values is fatal (which one is meant cannot be known).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from funnelkit.core.exceptions import CrmExportError
from funnelkit.crm.exports import read_table
from funnelkit.crm.fields import ID
from funnelkit.crm.leads import LeadTable
from funnelkit.crm.quality import QualityReport


def with_lookup(
    table: LeadTable, column: str, path: str | Path, key: str, value: str, name: str
) -> LeadTable:
    """The lead table with a column `name`: each lead's `column` looked up in `path`."""
    if column not in table.leads:
        raise CrmExportError(f"{table.source}: no column {column!r} to look up {name!r} by")
    if name in table.leads:
        raise CrmExportError(f"{table.source}: already has a column {name!r}")
    path = Path(path)
    lookup = read_table(path, QualityReport(source=str(path))).to_pandas()
    missing = [c for c in (key, value) if c not in lookup]
    if missing:
        found = ", ".join(repr(c) for c in lookup.columns)
        raise CrmExportError(f"{path}: no column {', '.join(map(repr, missing))} (found {found})")
    pairs = (
        pd.DataFrame(
            {
                "key": lookup[key].astype("string").str.strip(),
                "value": lookup[value].astype("string").str.strip(),
            }
        )
        .dropna()
        .drop_duplicates()
    )
    doubled = pairs["key"][pairs["key"].duplicated()].unique()
    if len(doubled):
        raise CrmExportError(
            f"{path}: {key!r} gives {len(doubled)} key{'s' * (len(doubled) != 1)} more than one "
            f"{value!r}, e.g. {doubled[0]!r}"
        )
    keys = table.leads[column].astype("string").str.strip()
    looked = keys.map(dict(zip(pairs["key"], pairs["value"], strict=True)))
    unknown = keys.notna() & looked.isna()
    quality = dataclasses.replace(table.quality, findings=list(table.quality.findings))
    quality.add(
        f"{column} not in {path.name}",
        repr(column),
        table.leads.loc[unknown.to_numpy(), ID].astype(str).tolist(),
        f"no {name}",
    )
    leads = table.leads.assign(**{name: looked.astype("category")})
    return dataclasses.replace(table, leads=leads, quality=quality)
