"""Leads joined to a separate deals export: a Salesforce lead report and opportunity report."""

import pandas as pd
import pytest
from conftest import SF_LEADS_WITH_DEAL, write_export, write_salesforce_split

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


@pytest.mark.parametrize(
    ("lead_ids", "deal_ids"),
    [(["1001", "1002"], ["1001", "1002"]), (["0061001", "0061002"], ["0061001", "0061002"])],
)
def test_deal_ids_written_as_digits_join_with_or_without_leading_zeros(
    tmp_path, lead_ids, deal_ids
):
    """A numeric key is not joined as '1001.0'; '0061001' stays a code, not 61001."""
    leads = write_export(
        tmp_path / "leads.csv",
        ["Lead ID", "Created Date", "Lead Status", "Converted Date", "Converted Opportunity ID"],
        [
            ["00Q1", "1/5/2026", "Closed - Converted", "1/20/2026", lead_ids[0]],
            ["00Q2", "1/6/2026", "Closed - Converted", "1/25/2026", lead_ids[1]],
        ],
    )
    deals = write_export(
        tmp_path / "opps.csv",
        ["Opportunity ID", "Stage", "Amount", "Close Date", "Created Date"],
        [
            [deal_ids[0], "Closed Won", "12000", "3/1/2026", "1/20/2026"],
            [deal_ids[1], "Closed Lost", "8000", "3/5/2026", "1/25/2026"],
        ],
    )
    joined = join_deals(
        read_export(leads, mapping_from_dict(SF_LEADS_WITH_DEAL)),
        read_export(deals, "salesforce-opportunities"),
        key="deal_id",
        stages={"won": "won"},
    )
    assert joined.leads["outcome"].tolist() == ["won", "lost"]
    assert joined.leads["amount"].tolist()[0] == 12_000
    assert joined.quality.findings == []


def test_a_deal_won_before_its_lead_was_created_is_a_finding_after_the_join(tmp_path):
    leads = write_export(
        tmp_path / "leads.csv",
        ["Lead ID", "Created Date", "Lead Status", "Converted Date", "Converted Opportunity ID"],
        [["00Q1", "3/5/2026", "Closed - Converted", "3/6/2026", "006A"]],
    )
    deals = write_export(
        tmp_path / "opps.csv",
        ["Opportunity ID", "Stage", "Amount", "Close Date", "Created Date"],
        [["006A", "Closed Won", "12000", "1/10/2026", "1/2/2026"]],  # won before the lead
    )
    joined = join_deals(
        read_export(leads, mapping_from_dict(SF_LEADS_WITH_DEAL)),
        read_export(deals, "salesforce-opportunities"),
        key="deal_id",
        stages={"won": "won"},
    )
    (finding,) = [f for f in joined.quality.findings if f.check.startswith("stage date before")]
    assert (finding.check, finding.first_ids) == (
        "stage date before an earlier stage's date (won)",
        ("00Q1",),
    )
