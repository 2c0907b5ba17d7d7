"""Which leads marketing brought (`funnelkit.crm.sourcing`), on the six-lead export."""

import dataclasses

import numpy as np

from funnelkit import read_export
from funnelkit.crm.sourcing import marketing_entries, marketing_mask, sourcing_note, tells_sources


def test_marketing_s_entries_are_those_of_leads_from_the_mapping_s_marketing_sources(tiny_export):
    table = read_export(tiny_export)
    # lead 4 came from Offline Sources; the others from search
    assert tells_sources(table)
    assert sourcing_note(table) == ""
    expected = table.leads["source"].astype(str) != "Offline Sources"
    np.testing.assert_array_equal(marketing_mask(table), expected.to_numpy())
    own = marketing_entries(table)
    assert sorted(own.leads["lead_id"].astype(str)) == ["1", "2", "3", "5", "6"]
    assert list(own.leads.columns) == ["lead_id", *table.stage_columns]  # entries only
    assert marketing_entries(table) is own  # made once per table
    assert own.as_of == table.as_of  # taken on the same day


def test_the_whole_table_s_as_of_stays_when_its_latest_event_is_not_marketing_s(tiny_export):
    table = read_export(tiny_export)
    others = ~marketing_mask(table)
    latest = table.leads.loc[others, "lead_at"].max() + np.timedelta64(400, "D")
    leads = table.leads.copy()
    leads.loc[others, "lead_at"] = latest  # the latest event is now a sales-sourced lead's
    moved = dataclasses.replace(table, leads=leads)
    assert moved.as_of == latest
    assert marketing_entries(moved).as_of == latest


def test_every_lead_counts_when_the_table_cannot_tell_sources(tiny_export):
    table = read_export(tiny_export)
    untold = dataclasses.replace(
        table, mapping=dataclasses.replace(table.mapping, marketing_sources=())
    )
    no_column = dataclasses.replace(table, leads=table.leads.drop(columns="source"))
    for each, note in (
        (untold, "the mapping names no marketing sources: every lead counts as marketing's"),
        (no_column, "the export has no sources: every lead counts as marketing's"),
    ):
        assert not tells_sources(each)
        assert marketing_mask(each).all()
        assert marketing_entries(each) is each
        assert sourcing_note(each) == note
