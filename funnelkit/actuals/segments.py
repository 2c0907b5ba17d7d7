"""A funnel per segment of the leads (their source, region, product: any column), measured
from history as the plan's baselines are, and pooled towards the overall funnel.

A step's rate uses the segment's mature leads (`baselines.mature_cohort`): k of its n leads
converted. Alone, k / n swings wildly for a small segment; pooled, the rate is

    (k + m × p) / (n + m)

where p is the overall rate of the step and m = `prior_leads`: the overall funnel counts as m
leads of evidence (a Beta(m·p, m·(1 − p)) prior, its posterior mean). A segment of a few leads
gets nearly the overall rate, a large one nearly its own; n + m is the effective sample size
shown beside it. The deal size is pooled the same way: (the segment's won amounts + d × the
overall mean) / (its won deals + d), d = `prior_deals`. Each step's median days are measured
per segment too (`days`, not pooled); the program plan phases every channel with the plan's
own days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from funnelkit.actuals.baselines import mature_cohort
from funnelkit.actuals.measures import maturity_days, step_days
from funnelkit.core.exceptions import InputError
from funnelkit.core.types import DateLike
from funnelkit.crm.leads import LeadTable
from funnelkit.plan.funnel import step_name

PRIOR_LEADS = 20.0  # the overall funnel counts as this many leads of evidence for a segment
PRIOR_DEALS = 5.0  # ... and the overall deal size as this many won deals


@dataclass(frozen=True)
class SegmentFunnels:
    """Per segment (rows, in `segments` order) and step (columns): the counts and the rates."""

    by: str  # the lead table's column the segments are values of
    segments: tuple[str, ...]
    steps: tuple[str, ...]
    converted: np.ndarray  # (segments, steps): k, mature leads that took the step
    entered: np.ndarray  # (segments, steps): n, mature leads the step's rate rests on
    overall: np.ndarray  # (steps,): p, the overall rate
    leads: np.ndarray  # (segments,): leads in the table
    won: np.ndarray  # (segments,): won deals with an amount
    won_amount: np.ndarray  # (segments,): their amounts summed, money
    days: np.ndarray  # (segments, steps): median days each step took (NaN: no dated pair)
    prior_leads: float = PRIOR_LEADS
    prior_deals: float = PRIOR_DEALS

    @property
    def own_rates(self) -> np.ndarray:
        """k / n: each segment's own rates (NaN where it has no mature leads)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.converted / self.entered

    @property
    def rates(self) -> np.ndarray:
        """The pooled rates: (k + m × p) / (n + m)."""
        m = self.prior_leads
        return (self.converted + m * self.overall) / (self.entered + m)

    @property
    def effective_leads(self) -> np.ndarray:
        """n + m: the leads of evidence each pooled rate rests on."""
        return self.entered + self.prior_leads

    @property
    def mix(self) -> np.ndarray:
        """History's mix: each segment's share of the leads (fractions summing to 1)."""
        return self.leads / self.leads.sum()

    @property
    def deal_sizes(self) -> np.ndarray:
        """Pooled deal sizes, money: (amounts + d × overall mean) / (won + d); NaN when no
        won deal has an amount."""
        if self.won.sum() == 0:
            return np.full(len(self.segments), np.nan)
        overall = self.won_amount.sum() / self.won.sum()
        d = self.prior_deals
        return (self.won_amount + d * overall) / (self.won + d)

    def frame(self) -> pd.DataFrame:
        """One row per segment: leads, history's share, each step's pooled rate with its own
        rate and effective leads, and the pooled deal size."""
        out = pd.DataFrame({self.by: self.segments, "leads": self.leads, "share": self.mix})
        for j, step in enumerate(self.steps):
            out[f"{step} rate"] = self.rates[:, j]
            out[f"{step} own rate"] = self.own_rates[:, j]
            out[f"{step} effective leads"] = self.effective_leads[:, j]
        out["deal size"] = self.deal_sizes
        out["days to last"] = np.nansum(self.days, axis=1)
        return out


def check_segment_column(table: LeadTable, by: str) -> None:
    """Refuse a segment column the lead table does not have, naming those it has."""
    if by not in table.leads:
        columns = ", ".join(repr(c) for c in table.leads.columns)
        raise InputError(
            f"'by' must be a column of {table.source} ({columns}; got {by!r}): a column the "
            "export lacks can be looked up in another file ('lookup')"
        )


def segment_funnels(
    table: LeadTable,
    by: str,
    prior_leads: float = PRIOR_LEADS,
    prior_deals: float = PRIOR_DEALS,
    as_of: DateLike | None = None,
) -> SegmentFunnels:
    """Each segment's funnel, segments being the values of the lead table's column `by`;
    leads without a value are left out, of the segments and of the overall rates alike."""
    leads = table.leads
    check_segment_column(table, by)
    as_of = None if as_of is None else pd.Timestamp(as_of)  # default: the table's, if dated
    segment = leads[by].astype("string")
    names = tuple(sorted(segment.dropna().unique()))
    if not names:
        raise InputError(f"'by': column {by!r} of {table.source} has no values")
    codes = pd.Categorical(segment, categories=names).codes  # -1: no value
    reached = table.reached()
    maturity = maturity_days(table)
    steps = [step_name(a, b) for a, b in zip(table.stages, table.stages[1:], strict=False)]
    converted = np.zeros((len(names), len(steps)))
    entered = np.zeros((len(names), len(steps)))
    days = np.full((len(names), len(steps)), np.nan)
    for j, (a, b) in enumerate(zip(table.stages, table.stages[1:], strict=False)):
        taken = step_days(table, a, b)
        median = taken.groupby(segment.loc[taken.index]).median()
        days[:, j] = median.reindex(names).to_numpy(dtype=float)
        cohort, _ = mature_cohort(table, a, maturity[steps[j]], as_of)
        base = (cohort & reached[a]).to_numpy()
        took = base & reached[b].to_numpy()
        entered[:, j] = _per_code(codes, base, len(names))
        converted[:, j] = _per_code(codes, took, len(names))
    total_entered = entered.sum(axis=0)
    if (total_entered == 0).any():
        step = steps[int(np.argmin(total_entered))]
        raise InputError(f"step '{step}' has no mature leads in {table.source} to measure it on")
    won = (leads["outcome"] == "won").to_numpy()
    if "amount" in leads:
        amount = leads["amount"].to_numpy(dtype=float, na_value=np.nan)
        won = won & ~np.isnan(amount)
        paid = won & (codes >= 0)
        won_amount: np.ndarray = np.bincount(codes[paid], amount[paid], len(names)).astype(float)
    else:
        won_amount = np.zeros(len(names))
    return SegmentFunnels(
        by=by,
        segments=names,
        steps=tuple(steps),
        converted=converted,
        entered=entered,
        overall=converted.sum(axis=0) / total_entered,
        leads=_per_code(codes, np.ones(len(codes), dtype=bool), len(names)),
        won=_per_code(codes, won, len(names)),
        won_amount=won_amount,
        days=days,
        prior_leads=prior_leads,
        prior_deals=prior_deals,
    )


def _per_code(codes: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """How many rows of each code (0 … n − 1) the mask holds (rows without a code left out)."""
    keep = mask & (codes >= 0)
    return np.bincount(codes[keep], minlength=n).astype(float)
