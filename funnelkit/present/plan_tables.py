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


Marks = list[tuple[str, float] | None]  # per row of a column: (figure name, exact value)


def stages_tags(plan: Plan) -> dict[str, Marks]:
    """The figures of `stages_frame`'s cells, by column."""
    f = plan.targets.funnel
    last = f.stages[-1]
    return {
        "needed": list(need_tags(plan)),
        "exact": [
            (f"need_exact.{s}", float(v))
            for s, v in zip(f.stages, plan.targets.volumes, strict=True)
        ],
        "rate to next": [
            *(
                (f"rate.{step}", float(r))
                for step, r in zip(f.steps, f.conversion_rates, strict=True)
            ),
            None,
        ],
        f"rate to {last}": [
            (f"rate_to_last.{s}", float(r)) for s, r in zip(f.stages, f.rates_to_last, strict=True)
        ],
        f"days to {last}": [
            (f"days_to_last.{s}", float(d)) for s, d in zip(f.stages, f.days_to_last, strict=True)
        ],
    }


def phasing_tags(plan: Plan) -> dict[str, Marks]:
    """The figures of `phasing_frame`'s cells, by column: each stage's whole volume per month
    ('month.<stage>.<YYYY-MM>') or week, and the period's revenue."""
    ph = plan.phasing
    tags: dict[str, Marks] = {
        "revenue": [
            (f"period_revenue.{label}", float(v))
            for label, v in zip(ph.labels, ph.revenue, strict=True)
        ]
    }
    for k, stage in enumerate(ph.stages):
        tags[stage] = [
            (f"{ph.granularity}.{stage}.{label}", float(v))
            for label, v in zip(ph.labels, ph.whole[:, k], strict=True)
        ]
    return tags


def lead_in_tags(plan: Plan) -> dict[str, Marks]:
    """The figures of `next_lead_in_frame`'s cells, by column ('lead_in.<stage>.<period>')."""
    ph = plan.phasing
    shown = plan.lead_in_next.sum(axis=1) > 0
    whole = whole_units(plan.lead_in_next)
    labels = [label for label, keep in zip(ph.labels, shown, strict=True) if keep]
    return {
        stage: [
            (f"lead_in.{stage}.{label}", float(v))
            for label, v in zip(labels, whole[shown, k], strict=True)
        ]
        for k, stage in enumerate(ph.stages)
    }


def sla_tags(plan: Plan) -> dict[str, Marks]:
    """The figures of `sla_frame`'s cells, by column: the hand-offs are the hand-off stage's
    monthly volumes ('month.<stage>.<YYYY-MM>', as in the phasing), the rest 'sla_month.*'."""
    s = plan.sla
    months = s.periods

    def column(name: str, values: np.ndarray) -> Marks:
        return [(f"sla_month.{name}.{m}", float(v)) for m, v in zip(months, values, strict=True)]

    return {
        s.terms.handoff_stage: [
            (f"month.{s.terms.handoff_stage}.{m}", float(v))
            for m, v in zip(months, s.handoffs_whole, strict=True)
        ],
        f"lead value ({plan.params.currency})": column("lead_value", s.lead_value),
        "working days": column("working_days", s.working_days),
        "capacity": column("capacity", s.capacity),
        "reps needed": column("reps_needed", s.reps_needed_whole),
        "reps short": column("reps_short", s.rep_shortfall),
    }


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
