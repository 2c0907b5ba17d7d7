"""Pipeline coverage of what is left of a period's goal, defined once.

The pipeline is the open deals (leads in the stage before won) expected to close within the
period: on their close date where the export gives one for an open deal, else after the
median of what history says a deal of that age still waits (a deal older than every deal
history closed is stalled, and not counted). Each is valued at its own amount, else at the
mean won amount. A figure typed in the parameters (`pipeline.open_value`) replaces the
export's, and the coverage says so. What is left is the goal less the revenue won in the
period so far; the ratio needed is 1 ÷ the plan's win rate.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from funnelkit.core.formats import count, money, multiple, percent
from funnelkit.core.marks import PLAIN, Marks
from funnelkit.crm.fields import ID
from funnelkit.crm.leads import LeadTable
from funnelkit.forecast.simulation import History, open_pipeline, plan_period, won_in
from funnelkit.plan.build import Plan


@dataclass(frozen=True)
class Coverage:
    """Open pipeline set against what is left of the period's revenue goal."""

    pipeline: float  # money expected to close within the period
    remaining: float  # the goal less revenue won in the period so far, money
    win_rate: float  # fraction 0–1: the plan's
    win_rate_source: str  # where the plan's win rate came from, in words
    source: str  # where the pipeline figure came from, in words
    deals: int  # open deals counted (0 when the figure comes from the parameters)
    later: int  # open deals expected to close after the period
    stalled: int  # open deals older than every deal history closed

    @property
    def ratio(self) -> float:
        """Pipeline ÷ what is left (infinite when nothing is left)."""
        return self.pipeline / self.remaining if self.remaining > 0 else float("inf")

    @property
    def needed(self) -> float:
        """The ratio needed at the plan's win rate: 1 ÷ win rate."""
        return 1.0 / self.win_rate

    @property
    def enough(self) -> bool:
        """Whether the pipeline covers what is left at the ratio needed."""
        return self.ratio >= self.needed

    def for_plan(self, plan: Plan, won: float) -> Coverage:
        """The same pipeline against another plan of the period (a scenario: another goal or
        win rate), `won` being the revenue won in the period so far."""
        return dataclasses.replace(
            self,
            remaining=left_to_win(plan, won),
            win_rate=plan.win_rate,
            win_rate_source=plan.win_rate_source,
        )


def left_to_win(plan: Plan, won: float) -> float:
    """What is left of the plan's revenue goal once `won` is won, money (never below 0)."""
    return max(plan.params.revenue_goal - won, 0.0)


def expected_close(
    table: LeadTable, history: History, as_of: pd.Timestamp
) -> tuple[pd.Series, pd.Series]:
    """Each open deal's expected close day (NaT when stalled) and value (money), indexed by
    lead id. Deals are the open leads whose furthest stage is the one before won."""
    deal_stage = len(table.stages) - 2
    open_ = open_pipeline(table, as_of)
    is_deal = open_.stage == deal_stage
    ids, age = open_.ids[is_deal], open_.age_days[is_deal]
    waits = history.durations[deal_stage]  # sorted days from the deal stage to won
    days = np.full(len(ids), np.nan)
    for i, a in enumerate(age):
        longer = waits[waits > a]
        if len(longer):
            days[i] = float(np.median(longer)) - a
    close = pd.Series(as_of.normalize() + pd.to_timedelta(days, unit="D"), index=ids)
    close = close.astype("datetime64[ns]")
    leads = table.leads.set_index(ID)
    if "close_date" in leads:  # a close date an open deal carries is the CRM's own expectation
        given = leads["close_date"].reindex(ids)
        given = given.astype("datetime64[ns]")
        close = given.mask(given < as_of.normalize(), as_of.normalize()).fillna(close)
    mean_won = float(history.amounts.mean()) if len(history.amounts) else np.nan
    if "amount" in leads:
        value = leads["amount"].reindex(ids).astype(float).fillna(mean_won)
    else:
        value = pd.Series(mean_won, index=ids)
    return close, value


def won_so_far(plan: Plan, table: LeadTable | None, as_of: pd.Timestamp | None) -> float:
    """Revenue won in the plan's period up to `as_of`, money: 0 before the period starts, or
    without an export or amounts."""
    start, end = plan_period(plan)
    if table is None or as_of is None or as_of < start:
        return 0.0
    won, _ = won_in(table, start, min(as_of, end))
    return 0.0 if np.isnan(won) else won


def period_coverage(
    plan: Plan, table: LeadTable | None, history: History | None, as_of: pd.Timestamp | None
) -> Coverage | None:
    """The coverage of what is left of the plan's goal on `as_of`: the pipeline from the
    parameters when they give one, else from the export; None when neither has one."""
    p = plan.params
    start, end = plan_period(plan)
    remaining = left_to_win(plan, won_so_far(plan, table, as_of))
    if p.open_pipeline is not None:
        pipeline, source, deals, later, stalled = (
            float(p.open_pipeline),
            "the figure typed in the parameters (pipeline.open_value), not measured on the export",
            0,
            0,
            0,
        )
    elif table is None or history is None or as_of is None:
        return None
    else:
        close, value = expected_close(table, history, as_of)
        inside = close.notna() & (close >= start) & (close <= end)
        basis = "close dates" if "close_date" in table.leads else "history's stage times"
        pipeline = float(value[inside].sum())
        source = (
            f"the open {plan.params.names.plural(table.stages[-2])} expected to close by "
            f"{end:%d %b %Y} (by {basis}), each at its amount or the mean won amount"
        )
        deals, later, stalled = int(inside.sum()), int((close > end).sum()), int(close.isna().sum())
    return Coverage(
        pipeline=pipeline,
        remaining=remaining,
        win_rate=plan.win_rate,
        win_rate_source=plan.win_rate_source,
        source=source,
        deals=deals,
        later=later,
        stalled=stalled,
    )


def coverage_sentence(c: Coverage, currency: str, marks: Marks = PLAIN) -> str:
    """The coverage in words: the ratio, what is left, the ratio needed, the verdict and
    where the pipeline figure comes from."""
    m = marks
    verdict = "enough" if c.enough else "not enough"
    ratio = "—" if c.remaining <= 0 else m.figure("coverage.ratio", c.ratio, multiple(c.ratio))
    counted = ""
    if c.deals or c.later or c.stalled:
        counted = (
            f" ({m.figure('coverage.deals', c.deals, count(c.deals))} deals; "
            f"{m.figure('coverage.later', c.later, count(c.later))} expected later, "
            f"{m.figure('coverage.stalled', c.stalled, count(c.stalled))} stalled)"
        )
    return (
        f"Pipeline coverage: "
        f"{m.figure('coverage.pipeline', c.pipeline, money(c.pipeline, currency))} of open "
        f"pipeline is {ratio} the "
        f"{m.figure('coverage.remaining', c.remaining, money(c.remaining, currency))} left "
        f"to win; {m.figure('coverage.needed', c.needed, multiple(c.needed))} is needed at the "
        f"plan's {m.figure('plan.win_rate', c.win_rate, percent(c.win_rate, 1))} win rate "
        f"({m.text(c.win_rate_source)}): {verdict}. The pipeline is {m.text(c.source)}{counted}."
    )
