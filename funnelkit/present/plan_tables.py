"""A plan's tables for people: figures formatted as text, the same in the terminal and in reports.

Money is shown to the whole unit with the plan's currency, rates as percentages, volumes as
whole units (each rounded up from its own exact value) beside the exact value where it helps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from funnelkit.core.rounding import whole_units
from funnelkit.plan.build import Plan

MONEY_DRIVERS = ("revenue_goal", "deal_size")


def money(value: float, currency: str) -> str:
    """Money to the whole unit with thousands separators, e.g. '297,000 USD'."""
    return f"{value:,.0f} {currency}"


def stages_frame(plan: Plan) -> pd.DataFrame:
    """Targets by stage for the whole period: whole and exact volumes, rates and days."""
    t = plan.targets
    f = t.funnel
    return pd.DataFrame(
        {
            "stage": f.stages,
            "needed": [f"{int(v):,}" for v in t.whole],
            "exact": [f"{v:,.2f}" for v in t.volumes],
            "rate to next": [f"{r:.1%}" for r in f.conversion_rates] + [""],
            f"rate to {f.stages[-1]}": [f"{r:.2%}" for r in f.rates_to_last],
            f"days to {f.stages[-1]}": [f"{d:g}" for d in f.days_to_last],
        }
    )


def phasing_frame(plan: Plan) -> pd.DataFrame:
    """Whole volumes per stage and period with the period's revenue; '*' marks lead-in periods."""
    ph = plan.phasing
    table = pd.DataFrame(ph.whole.astype(np.int64), columns=ph.stages)
    table.insert(
        0,
        "period",
        [
            f"{label}{'' if inside else ' *'}"
            for label, inside in zip(ph.labels, ph.in_plan, strict=True)
        ],
    )
    table.insert(1, "revenue", [f"{v:,.0f}" for v in ph.revenue])
    return table


def need_tags(plan: Plan, family: str = "need") -> list[tuple[str, float]]:
    """Each stage's whole volume needed as (figure name, value), stage order: the tags of a
    table's rows ('need.<stage>', or another glossary family such as 'scenario_need')."""
    t = plan.targets
    return [(f"{family}.{s}", float(w)) for s, w in zip(t.funnel.stages, t.whole, strict=True)]


def next_lead_in_frame(plan: Plan) -> pd.DataFrame:
    """The next period's lead-in arriving within this plan's periods, whole volumes per stage;
    only the periods where some arrives."""
    ph = plan.phasing
    whole = whole_units(plan.lead_in_next).astype(np.int64)
    table = pd.DataFrame(whole, columns=ph.stages)
    table.insert(0, "period", ph.labels)
    return table.loc[plan.lead_in_next.sum(axis=1) > 0].reset_index(drop=True)


def next_lead_in_caption(plan: Plan) -> str:
    """The lead-in table's caption: which period the volumes feed, and its goal's source."""
    return (
        f"Lead-in for the next period, {plan.next_period} ({plan.lead_in_source}): volume that "
        f"must arrive in these {plan.phasing.granularity}s to feed it through the stage lags, "
        "on top of the above"
    )


def sla_frame(plan: Plan) -> pd.DataFrame:
    """The SLA per month: hand-offs, lead value, working days, capacity and reps."""
    s = plan.sla
    cur = plan.params.currency
    return pd.DataFrame(
        {
            "month": s.periods,
            s.terms.handoff_stage: s.handoffs_whole.astype(np.int64),
            f"lead value ({cur})": [f"{v:,.0f}" for v in s.lead_value],
            "working days": s.working_days.astype(np.int64),
            "capacity": [f"{v:,.0f}" for v in s.capacity],
            "reps needed": s.reps_needed_whole.astype(np.int64),
            "reps short": [f"{v:g}" for v in s.rep_shortfall],
        }
    )


def sensitivity_frame(plan: Plan) -> pd.DataFrame:
    """Each driver moved down and up: the first stage's volume needed and the revenue change."""
    s = plan.sensitivity
    table = s.frame()
    cur = plan.params.currency
    return pd.DataFrame(
        {
            "driver": table["driver"],
            "move": [f"{'-' if d == 'down' else '+'}{s.change:.0%}" for d in table["direction"]],
            "value": [
                money(v, cur) if d in MONEY_DRIVERS else f"{v:.1%}"
                for d, v in zip(table["driver"], table["value"], strict=True)
            ],
            f"{plan.targets.funnel.stages[0]} needed": whole_units(
                table["leads_needed"].to_numpy()
            ).astype(np.int64),
            "change": [f"{v:+,.1f}" for v in table["leads_change"]],
            f"revenue change ({cur})": [f"{v:+,.0f}" for v in table["revenue_change"]],
        }
    )


def headline_frame(plan: Plan) -> pd.DataFrame:
    """The shared goal and what it asks of each stage: figure (whole) and exact value."""
    p = plan.params
    t = plan.targets
    f = p.funnel
    cur = p.currency
    customers = t.volumes[-1]
    return pd.DataFrame(
        [
            ("shared revenue goal", money(p.revenue_goal, cur), ""),
            ("share from marketing leads", f"{p.marketing_share:.1%}", ""),
            ("marketing revenue goal", money(t.marketing_revenue_goal, cur), ""),
            ("average deal size", money(p.deal_size, cur), ""),
            (f"{f.stages[-1]} needed", f"{whole_units(customers):,}", f"{customers:,.2f}"),
            (f"{f.stages[0]} to {f.stages[-1]} rate", f"{f.overall_rate:.2%}", ""),
            (f"{f.stages[0]} needed", f"{whole_units(t.volumes[0]):,}", f"{t.volumes[0]:,.2f}"),
        ],
        columns=["", "figure", "exact"],
    )
