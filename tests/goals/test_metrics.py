"""The metric catalog: named after the funnel's stages, and measured per period."""

import pandas as pd
import pytest
from conftest import SAMPLE

from funnelkit.actuals import measures as actuals
from funnelkit.core.exceptions import InputError
from funnelkit.crm.leads import read_export
from funnelkit.goals.metrics import catalog, metric_series


@pytest.fixture
def tiny(tiny_export):
    return read_export(tiny_export)


def test_catalog_follows_the_stages():
    names = set(catalog(("visit", "signup", "paid")))
    assert {
        "volume:visit",
        "volume:paid",
        "conversion:visit→signup",
        "conversion:signup→paid",
    } <= names
    assert {"revenue", "new_customers", "deal_size", "sales_cycle", "sla_share"} <= names
    assert catalog(("a", "b"))["sales_cycle"].higher_is_better is False


def test_metrics_by_hand(tiny):
    jan, feb, mar = (pd.Period(p, "M") for p in ("2026-01", "2026-02", "2026-03"))
    revenue = metric_series(tiny, "revenue")
    assert revenue.to_dict() == {feb: 10_000, mar: 20_000}
    assert metric_series(tiny, "new_customers").to_dict() == {feb: 1, mar: 1}
    assert metric_series(tiny, "deal_size").to_dict() == {feb: 10_000, mar: 20_000}
    assert metric_series(tiny, "sales_cycle").to_dict() == {feb: 45, mar: 38}
    assert metric_series(tiny, "volume:mql").to_dict() == {jan: 3, feb: 1, mar: 1}
    assert metric_series(tiny, "conversion:mql→sql")[jan] == pytest.approx(2 / 3)
    assert metric_series(tiny, "sla_share", window_minutes=60)[jan] == pytest.approx(2 / 3)


def test_quarterly_revenue_adds_up_the_months():
    table = read_export(SAMPLE)
    monthly = metric_series(table, "revenue", "month")
    quarterly = metric_series(table, "revenue", "quarter")
    by_quarter = monthly.groupby(monthly.index.asfreq("Q")).sum()
    assert by_quarter.to_dict() == quarterly.to_dict()
    volumes = actuals.stage_volumes(table, "quarter")
    assert (
        metric_series(table, "volume:won", "quarter").sum()
        == volumes.loc[volumes["stage"] == "won", "count"].sum()
    )


def test_unknown_metric_lists_the_catalog(tiny):
    with pytest.raises(InputError) as err:
        metric_series(tiny, "pipeline")
    assert str(err.value).startswith(
        "'metric' must be one of revenue, new_customers, deal_size, sales_cycle, sla_share, volume:lead"
    )


def test_a_scope_measures_only_its_leads_and_keeps_the_exports_now():
    from funnelkit.goals.metrics import scoped

    table = read_export(SAMPLE)
    paid = scoped(table, {"source": "Paid Search"})
    assert set(paid.leads["source"].astype(str)) == {"Paid Search"}
    assert paid.as_of == table.as_of
    total = metric_series(table, "volume:lead", "quarter")
    parts = sum(
        metric_series(scoped(table, {"source": s}), "volume:lead", "quarter").reindex(
            total.index, fill_value=0
        )
        for s in table.leads["source"].dropna().unique()
    )
    assert parts.tolist() == total.tolist()


def test_a_scope_that_matches_nothing_or_no_column_is_named():
    from funnelkit.goals.metrics import scoped

    table = read_export(SAMPLE)
    with pytest.raises(
        InputError,
        match=r"^'scope' source = 'Radio' matches no lead \(the export's values include ",
    ):
        scoped(table, {"source": "Radio"})
    with pytest.raises(InputError, match=r"^'scope' key must be one of .* \(got 'region'\)$"):
        scoped(table, {"region": "EMEA"})
