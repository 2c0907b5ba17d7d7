"""The catalog of metrics a goal can name, and how each is measured per period from actuals.

A goal's metric must be one funnelkit can compute, so that "measurable" is a fact, not an
opinion. Volumes and conversion rates are named after the lead table's own stages, so the
catalog follows the configured funnel: `volume:mql` counts MQLs, `conversion:mql→sql` is
the MQL→SQL cohort rate.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from funnelkit.actuals.followup import SLA_WINDOW_MINUTES, sla_compliance
from funnelkit.actuals.measures import as_periods, period_floor, step_days
from funnelkit.core.exceptions import InputError
from funnelkit.core.validation import check_choice, short
from funnelkit.crm.fields import stage_field
from funnelkit.crm.leads import LeadTable
from funnelkit.plan.funnel import step_name


@dataclass(frozen=True)
class Metric:
    """A quantity a goal can target: its name, unit and whether more is better."""

    name: str  # e.g. 'revenue', 'volume:mql', 'conversion:mql→sql'
    unit: str  # 'money', 'count', 'fraction', 'days'
    higher_is_better: bool
    description: str


def catalog(stages: tuple[str, ...]) -> dict[str, Metric]:
    """Every metric funnelkit can measure for a funnel with these stages, by name."""
    metrics = [
        Metric("revenue", "money", True, "revenue from deals won in the period"),
        Metric("new_customers", "count", True, f"leads reaching '{stages[-1]}' in the period"),
        Metric("deal_size", "money", True, "average amount of deals won in the period"),
        Metric(
            "sales_cycle",
            "days",
            False,
            f"median days from '{stages[0]}' to '{stages[-1]}' of deals won in the period",
        ),
        Metric(
            "sla_share",
            "fraction",
            True,
            f"share of hand-offs touched within {SLA_WINDOW_MINUTES:g} minutes (the goals' "
            "window, whatever the SLA's first-touch minutes)",
        ),
    ]
    metrics += [
        Metric(f"volume:{s}", "count", True, f"leads reaching '{s}' in the period") for s in stages
    ]
    metrics += [
        Metric(
            f"conversion:{step_name(a, b)}",
            "fraction",
            True,
            f"share of leads entering '{a}' in the period that reached '{b}'",
        )
        for a, b in itertools.pairwise(stages)
    ]
    return {m.name: m for m in metrics}


def scoped(table: LeadTable, scope: dict[str, str]) -> LeadTable:
    """The leads within a goal's scope, e.g. {'source': 'Paid Search'}: each key a lead table
    column, each value what it must equal. The 'now' of the export stays the whole export's."""
    if not scope:
        return table
    keep = pd.Series(True, index=table.leads.index)
    for column, value in scope.items():
        check_choice(
            "scope",
            column,
            tuple(c for c in table.leads.columns if table.leads[c].dtype.kind not in "Mmf"),
            where=" key",
        )
        values = table.leads[column].astype("string")
        if not (values == value).any():
            raise InputError(
                f"'scope' {column} = {short(value)} matches no lead (the export's values include {', '.join(map(repr, values.dropna().unique()[:5]))})"
            )
        keep &= values == value
    leads = table.leads.loc[keep.fillna(False)].reset_index(drop=True)
    return dataclasses.replace(table, leads=leads, taken_at=table.as_of)


def metric_series(
    table: LeadTable,
    metric: str,
    period: str = "month",
    window_minutes: float = SLA_WINDOW_MINUTES,
    handoff_stage: str | None = None,
) -> pd.Series:
    """The metric's value per period (a Series indexed by pandas Period), from actuals.

    Periods with no activity are absent for rates and averages and zero for counts. The SLA
    share counts hand-offs into `handoff_stage` (default: 'mql' when the funnel has it, else
    its second stage).
    """
    check_choice("metric", metric, tuple(catalog(table.stages)))
    leads, last = table.leads, stage_field(table.stages[-1])
    kind, _, arg = metric.partition(":")
    if kind == "volume":
        values, at = np.ones(len(leads)), leads[stage_field(arg)]
        return _per_period(values, at, period, "sum")
    if kind == "conversion":
        a, b = arg.split("→")
        return _per_period(
            table.reached()[b].to_numpy(float), leads[stage_field(a)], period, "mean"
        )
    if metric == "new_customers":
        return _per_period(np.ones(len(leads)), leads[last], period, "sum")
    if metric in ("revenue", "deal_size"):
        if "amount" not in leads:
            raise InputError(
                f"'metric' {short(metric)} needs deal amounts (the export has no 'amount')"
            )
        won = (leads["outcome"] == "won").to_numpy()
        at = leads[last].where(won)
        return _per_period(
            leads["amount"].to_numpy(float), at, period, "sum" if metric == "revenue" else "mean"
        )
    if metric == "sales_cycle":
        days = step_days(table, table.stages[0], table.stages[-1])
        return _per_period(days.to_numpy(), leads.loc[days.index, last], period, "median")
    if handoff_stage is None:
        handoff_stage = "mql" if "mql" in table.stages else table.stages[1]
    frame = sla_compliance(table, window_minutes, handoff_stage, period=period, by=None)
    return _series(frame, "share_within")


def _series(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.Series(
        frame[column].to_numpy(float), index=pd.PeriodIndex(frame["period"]), name="value"
    )


def _per_period(values: np.ndarray, times: pd.Series, period: str, how: str) -> pd.Series:
    floors = period_floor(times, period)
    keep = ~np.isnat(floors) & ~np.isnan(values)
    frame = pd.DataFrame({"period": floors[keep], "value": values[keep]})
    series = frame.groupby("period")["value"].agg(how)
    return pd.Series(
        series.to_numpy(float), index=as_periods(pd.Series(series.index), period), name="value"
    )
