"""Leads joined to their deals, for CRMs that export deals (opportunities) separately.

The lead export names each lead's deal in a column (e.g. Salesforce's "Converted
Opportunity ID", kept as an attribute through the mapping); the deals export is read with
its own mapping. Joined, a lead takes its deal's amount, close date and a decided outcome
(won or lost), and the deal's stage times fill the lead stages they correspond to.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from funnelkit.core.exceptions import InputError
from funnelkit.core.validation import check_choice
from funnelkit.crm.fields import ID, stage_field
from funnelkit.crm.leads import LeadTable, check_stage_order
from funnelkit.crm.quality import QualityReport

DEAL_FIELDS = ("amount", "close_date")


def _as_ids(column: pd.Series) -> pd.Series:
    """A key column as id text: whole numbers read as numbers are written without '.0'."""
    if column.dtype.kind == "f" and (column.dropna() % 1 == 0).all():
        column = column.astype("Int64")
    return column.astype("string").str.strip()


def join_deals(
    leads: LeadTable, deals: LeadTable, key: str, stages: Mapping[str, str]
) -> LeadTable:
    """Leads with their deals' figures.

    `key` is the lead column holding the deal id; `stages` maps deal stages to lead stages,
    e.g. {'prospecting': 'opportunity', 'won': 'won'}. A deal's time for a stage fills the
    lead's time where the lead has none. A key naming no deal is reported, not guessed.
    """
    check_choice("key", key, tuple(leads.leads.columns))
    for deal_stage, lead_stage in stages.items():
        check_choice("stages", deal_stage, deals.stages, where=" key (a deal stage)")
        check_choice("stages", lead_stage, leads.stages, where=" value (a lead stage)")
    if not stages:
        raise InputError("'stages' must map at least 1 deal stage to a lead stage (got none)")
    deal_rows = deals.leads.set_index(ID)
    wanted = _as_ids(leads.leads[key])
    has_key = wanted.notna() & (wanted != "")
    found = has_key & wanted.isin(deal_rows.index)
    report = QualityReport(
        source=f"{leads.source} + {deals.source}",
        rows_read=leads.quality.rows_read,
        notes=[*leads.quality.notes, *deals.quality.notes],
        findings=[*leads.quality.findings, *deals.quality.findings],
    )
    report.add(
        "deal id not in the deals export",
        repr(key),
        leads.leads.loc[has_key & ~found, ID].tolist(),
        "the lead keeps its own figures",
    )
    joined = leads.leads.copy()
    matched = deal_rows.reindex(wanted.where(found))
    rows = found.to_numpy()
    for field in DEAL_FIELDS:
        if field in deal_rows:
            values = matched[field].to_numpy()
            if field in joined:
                joined[field] = joined[field].where(~rows, values)
            else:
                joined[field] = np.where(
                    rows, values, np.nan if field == "amount" else np.datetime64("NaT")
                )
    for deal_stage, lead_stage in stages.items():
        column = stage_field(lead_stage)
        times = matched[stage_field(deal_stage)].to_numpy()
        joined[column] = joined[column].where(joined[column].notna() | ~rows, times)
    decided = rows & matched["outcome"].isin(["won", "lost"]).to_numpy()
    joined.loc[decided, "outcome"] = matched["outcome"].to_numpy()[decided]
    # a deal's times filled lead stages: their order is checked again, as on reading
    check_stage_order(joined, leads.mapping, {}, report)
    return LeadTable(
        leads=joined,
        stages=leads.stages,
        quality=report,
        mapping=leads.mapping,
        source=report.source,
    )
