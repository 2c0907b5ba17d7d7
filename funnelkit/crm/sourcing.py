"""Which leads marketing brought: those whose source is one of the mapping's
`marketing_sources`. A plan's funnel targets are marketing's funnel (the marketing revenue
goal over the deal size, back to leads), so its stages are counted on these leads' entries.

An export without a source column, or a mapping that names no marketing sources, cannot tell
them apart: then every lead counts as marketing's, and `sourcing_note` says so.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from funnelkit.crm.fields import ID
from funnelkit.crm.leads import LeadTable


def tells_sources(table: LeadTable) -> bool:
    """Whether the table can tell marketing's leads from the others."""
    return "source" in table.leads and bool(table.mapping.marketing_sources)


def marketing_mask(table: LeadTable) -> np.ndarray:
    """Per lead (row order), whether marketing brought it; every lead when the table cannot
    tell (`tells_sources`)."""
    if not tells_sources(table):
        return np.ones(len(table.leads), dtype=bool)
    return table.leads["source"].isin(table.mapping.marketing_sources).to_numpy()


def sourcing_note(table: LeadTable) -> str:
    """Why every lead counts as marketing's, in words; '' when the table tells sources."""
    if tells_sources(table):
        return ""
    if "source" not in table.leads:
        return "the export has no sources: every lead counts as marketing's"
    return "the mapping names no marketing sources: every lead counts as marketing's"


def marketing_entries(table: LeadTable) -> LeadTable:
    """When marketing's leads entered each stage: their ids and stage times (no other column)
    as a lead table of their own, taken on the same day (its as-of stays the whole table's),
    for counting a plan's stages. Made once per table; the table itself when every lead
    counts."""
    if not tells_sources(table):
        return table
    if "_marketing_entries" not in table.__dict__:
        leads = table.leads.loc[marketing_mask(table), [ID, *table.stage_columns]]
        taken_at = table.taken_at if table.taken_at is not None else table.latest_event
        own = dataclasses.replace(table, leads=leads, taken_at=taken_at)
        object.__setattr__(table, "_marketing_entries", own)
    return table.__dict__["_marketing_entries"]
