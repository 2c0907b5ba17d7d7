"""A column looked up in another file: Maven CRM's opportunities by their agents' regional
office (its sales teams file) give the README's counts per office, and deal sizes equal to a
pandas join of the raw files; an unknown key is reported, a doubled one refused."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import REAL, ROOT

from funnelkit import read_export
from funnelkit.actuals.segments import segment_funnels
from funnelkit.core.exceptions import CrmExportError
from funnelkit.crm.lookups import with_lookup

MAVEN = REAL / "maven-crm"
pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module")
def maven():
    return read_export(
        MAVEN / "sales_pipeline.csv", ROOT / "params" / "mappings" / "maven-crm.yaml"
    )


def test_maven_by_regional_office_equals_its_readme_and_a_pandas_join(maven):
    table = with_lookup(
        maven, "owner", MAVEN / "sales_teams.csv", "sales_agent", "regional_office", "region"
    )
    assert table.quality.ok
    found = segment_funnels(table, "region")
    assert found.segments == ("Central", "East", "West")
    assert found.leads.tolist() == [3512, 2291, 2997]  # the data's README: opportunities
    assert found.won.tolist() == [1629, 1171, 1438]  # ... and won
    raw = pd.read_csv(MAVEN / "sales_pipeline.csv").merge(
        pd.read_csv(MAVEN / "sales_teams.csv"), on="sales_agent"
    )
    won = raw[raw["deal_stage"] == "Won"]
    by_office = won.groupby("regional_office")["close_value"]
    assert (found.won_amount / found.won).tolist() == pytest.approx(by_office.mean().tolist())
    win = won.groupby("regional_office").size() / raw.groupby("regional_office").size()
    assert (found.won / found.leads).tolist() == pytest.approx(win.tolist())


def test_an_unknown_key_is_reported_and_a_doubled_one_refused(tmp_path, maven):
    teams = tmp_path / "teams.csv"
    teams.write_text("sales_agent,regional_office\nMoses Frase,North\n")
    table = with_lookup(maven.__class__(
        maven.leads.head(3), maven.stages, maven.quality, maven.mapping, maven.source
    ), "owner", teams, "sales_agent", "regional_office", "region")  # fmt: skip
    assert table.leads["region"].tolist()[0] == "North"
    finding = table.quality.findings[-1]
    assert (finding.check, finding.count, finding.action) == (
        "owner not in teams.csv",
        2,
        "no region",
    )
    teams.write_text("sales_agent,regional_office\nMoses Frase,North\nMoses Frase,South\n")
    with pytest.raises(CrmExportError, match="'sales_agent' gives 1 key more than one"):
        with_lookup(maven, "owner", teams, "sales_agent", "regional_office", "region")
    with pytest.raises(CrmExportError, match="no column 'office'"):
        with_lookup(maven, "owner", teams, "sales_agent", "office", "region")
