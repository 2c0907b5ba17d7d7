"""How much the plan's drivers have moved from quarter to quarter on the export: each step's
conversion rate (of the mature cohort of leads that entered the step's stage in a quarter),
the deal size (mean won amount by the quarter won) and the marketing share (of won revenue by
the quarter won). A driver's swing is the lowest and highest of its last QUARTERS quarters
that hold enough data (MIN_COHORT leads entering, MIN_WON deals won); a driver with fewer than
two such quarters has none. The quarter holding the export's as-of day counts only once it
has ended: a few weeks of deals are not a quarter."""

from __future__ import annotations

import pandas as pd

from funnelkit.actuals.measures import cohort_conversion
from funnelkit.crm.fields import stage_field
from funnelkit.crm.leads import LeadTable

QUARTERS = 4  # the quarters a swing looks back over
MIN_COHORT = 30  # leads a quarter's cohort needs for its rate to count
MIN_WON = 5  # deals a quarter needs for its deal size and marketing share to count


def _swing(values: pd.Series) -> tuple[float, float] | None:
    last = values.dropna().tail(QUARTERS)
    return (float(last.min()), float(last.max())) if len(last) >= 2 else None


def quarterly_swings(table: LeadTable) -> dict[str, tuple[float, float]]:
    """Per driver ('marketing_share', 'deal_size' or a step name), the (low, high) of its
    recent quarters; drivers without two quarters of data are left out."""
    swings: dict[str, tuple[float, float]] = {}
    cohorts = cohort_conversion(table, "quarter")
    usable = cohorts[cohorts["mature"] & (cohorts["entered"] >= MIN_COHORT)]
    for step, rows in usable.groupby("step", sort=False):
        found = _swing(rows.sort_values("period")["rate"])
        if found is not None:
            swings[str(step)] = found
    leads = table.leads
    last = stage_field(table.stages[-1])
    if "amount" not in leads or "outcome" not in leads or last not in leads:
        return swings
    quarter = pd.Period(table.as_of, "Q")
    if table.as_of.normalize() < quarter.end_time.normalize():  # the as-of quarter goes on
        leads = leads[leads[last] < quarter.start_time]
    won = leads[(leads["outcome"] == "won") & leads[last].notna() & leads["amount"].notna()]
    sources = table.mapping.marketing_sources
    deals = pd.DataFrame(
        {
            "quarter": won[last].dt.to_period("Q"),
            "amount": won["amount"],
            "marketing": won["amount"].where(
                won["source"].isin(sources)
                if "source" in won
                else pd.Series(False, index=won.index),
                0.0,
            ),
        }
    )
    quarters = deals.groupby("quarter")[["amount", "marketing"]].agg(["size", "sum"])
    enough = quarters[quarters[("amount", "size")] >= MIN_WON]
    found = _swing(enough[("amount", "sum")] / enough[("amount", "size")])
    if found is not None:
        swings["deal_size"] = found
    if "source" in won and sources:
        found = _swing(enough[("marketing", "sum")] / enough[("amount", "sum")])
        if found is not None:
            swings["marketing_share"] = found
    return swings
