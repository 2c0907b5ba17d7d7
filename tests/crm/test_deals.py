"""Leads joined to a separate deals export: a Salesforce lead report and opportunity report."""

import pandas as pd
import pytest
from conftest import SF_LEADS_WITH_DEAL, write_salesforce_split

from funnelkit.core.exceptions import InputError
from funnelkit.crm.deals import join_deals
from funnelkit.crm.leads import read_export
from funnelkit.crm.mapping_file import mapping_from_dict


@pytest.fixture
def exports(tmp_path):
    leads, deals = write_salesforce_split(tmp_path)
    lead_mapping = mapping_from_dict(SF_LEADS_WITH_DEAL)
    return read_export(leads, lead_mapping), read_export(deals, "salesforce-opportunities")


def test_leads_take_their_deals_amount_close_date_and_outcome(exports):
    leads, deals = exports
    joined = join_deals(leads, deals, key="deal_id", stages={"won": "won"})
    table = joined.leads.set_index("lead_id")
    assert table.loc["00Q1", "amount"] == 12_000
    assert table.loc["00Q1", "outcome"] == "won"
    assert table.loc["00Q1", "won_at"] == pd.Timestamp("2026-03-01")
    assert table.loc["00Q2", "outcome"] == "lost"
    assert pd.isna(table.loc["00Q2", "won_at"])
    assert table.loc["00Q3", "outcome"] == "open"
    assert joined.reached()["won"].tolist() == [True, False, False, False]


def test_a_deal_id_missing_from_the_deals_export_is_reported(exports):
    leads, deals = exports
    joined = join_deals(leads, deals, key="deal_id", stages={"won": "won"})
    finding = joined.quality.findings[-1]
    assert (
        finding.sentence()
        == "deal id not in the deals export in 'deal_id': 1 row (first: 00Q4): the lead keeps its own figures"
    )
    assert joined.leads.set_index("lead_id").loc["00Q4", "outcome"] == "open"


def test_join_errors_are_named(exports):
    leads, deals = exports
    with pytest.raises(InputError, match=r"^'key' must be one of .* \(got 'opportunity'\)$"):
        join_deals(leads, deals, key="opportunity", stages={"won": "won"})
    with pytest.raises(
        InputError,
        match=r"^'stages' key \(a deal stage\) must be one of prospecting, qualification, proposal, negotiation, won \(got 'closed'\)$",
    ):
        join_deals(leads, deals, key="deal_id", stages={"closed": "won"})
    with pytest.raises(InputError, match=r"^'stages' must map at least 1 deal stage"):
        join_deals(leads, deals, key="deal_id", stages={})
