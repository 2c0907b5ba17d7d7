"""A whole plan from its parameters: targets, phasing, SLA, pipeline needed, sensitivity.

Everything here is arrays and dataclasses; tables are built only when asked for, so a plan
costs well under a millisecond and a scenario explorer can rebuild it on every slider move.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from funnelkit.plan.coverage import pipeline_needed
from funnelkit.plan.params import PlanParams
from funnelkit.plan.phasing import Phasing, next_lead_in, phase_plan
from funnelkit.plan.sensitivity import Sensitivity, sensitivity
from funnelkit.plan.sla import SlaPlan, sla_plan
from funnelkit.plan.targets import ReversePlan, reverse_plan


@dataclass(frozen=True)
class Plan:
    """One plan's figures, all derived from its parameters."""

    params: PlanParams
    targets: ReversePlan  # volume needed per stage for the whole period
    phasing: Phasing  # per period at the parameters' granularity
    monthly: Phasing  # per month (the SLA is monthly)
    sla: SlaPlan
    lead_in_next: np.ndarray  # (periods of `phasing`, stages): the next period's lead-in, exact
    lead_in_next_monthly: np.ndarray  # (months of `monthly`, stages): the same, per month
    lead_in_source: str  # where the next period's goal comes from, in words
    next_period: str  # the next period's first and last month, 'YYYY-MM to YYYY-MM'
    win_rate: float  # fraction 0–1 used for pipeline figures
    win_rate_source: str  # where the win rate came from, in words
    pipeline_needed: float  # open pipeline the revenue goal needs at the win rate, money
    sensitivity: Sensitivity


def next_start(params: PlanParams) -> np.datetime64:
    """The first day of the period after the plan's (same length)."""
    return (params.start.astype("datetime64[M]") + params.months).astype("datetime64[D]")


def build_plan(params: PlanParams) -> Plan:
    """Compute every figure of a plan from checked parameters. The next period's lead-in
    comes from the next plan's parameters when given, else from the same goal carried
    forward (the plan's targets and weights for the following period)."""
    p = params
    targets = reverse_plan(p.revenue_goal, p.marketing_share, p.deal_size, p.funnel)
    monthly = phase_plan(targets, p.start, p.months, p.weights, "month")
    phasing = (
        monthly
        if p.granularity == "month"
        else phase_plan(targets, p.start, p.months, p.weights, p.granularity)
    )
    if p.win_rate is None:
        win_rate = p.funnel.conversion_rates[-1]
        win_source = f"the funnel's {p.names.step(p.funnel.steps[-1])} rate"
    else:
        win_rate, win_source = p.win_rate, "the parameters"
    f = p.following
    if f is None:
        f_targets, f_start, f_months, f_weights = targets, next_start(p), p.months, p.weights
        source = "the same goal carried forward"
    else:
        f_targets = reverse_plan(f.revenue_goal, f.marketing_share, f.deal_size, f.funnel)
        f_start, f_months, f_weights = f.start, f.months, f.weights
        source = f"the next plan, {f.title}"
    following = phase_plan(f_targets, f_start, f_months, f_weights, "month")
    lead_in_monthly = next_lead_in(monthly, following)
    lead_in = (
        lead_in_monthly
        if p.granularity == "month"
        else next_lead_in(
            phasing, phase_plan(f_targets, f_start, f_months, f_weights, p.granularity)
        )
    )
    return Plan(
        params=p,
        targets=targets,
        phasing=phasing,
        monthly=monthly,
        sla=sla_plan(monthly, p.funnel, p.deal_size, p.sla),
        lead_in_next=lead_in,
        lead_in_next_monthly=lead_in_monthly,
        lead_in_source=source,
        next_period=f"{str(f_start)[:7]} to {f_start.astype('datetime64[M]') + f_months - 1}",
        win_rate=win_rate,
        win_rate_source=win_source,
        pipeline_needed=pipeline_needed(p.revenue_goal, win_rate),
        sensitivity=sensitivity(p.revenue_goal, p.marketing_share, p.deal_size, p.funnel),
    )
