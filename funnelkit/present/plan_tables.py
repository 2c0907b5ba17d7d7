"""A plan's tables for people: figures formatted as text, the same in the terminal and in reports.

Stages go by their display names, money carries the plan's currency, rates are percentages,
volumes whole units (each rounded up from its own exact value); the exact values are in a
table of their own (`exact_frame`). Each `*_tags` function names the figures of its frame's
cells, keyed by the same column headers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from funnelkit.core.formats import count, money, percent
from funnelkit.core.rounding import whole_units
from funnelkit.plan.build import Plan
from funnelkit.plan.stage_names import StageNames

MONEY_DRIVERS = ("revenue_goal", "deal_size")


def stages_frame(plan: Plan) -> pd.DataFrame:
    """Targets by stage for the whole period: whole volumes, rates and days (the exact volumes
    are `exact_frame`'s)."""
    t = plan.targets
    f = t.funnel
    n = plan.params.names
    last = n.plural(f.stages[-1])
    return pd.DataFrame(
        {
            "stage": [n.title(s) for s in f.stages],
            "needed": [count(v) for v in t.whole],
            "rate to next": [percent(r, 1) for r in f.conversion_rates] + [""],
            f"rate to {last}": [percent(r, 2) for r in f.rates_to_last],
            f"days to {last}": [f"{d:g}" for d in f.days_to_last],
        }
    )


def exact_frame(plan: Plan) -> pd.DataFrame:
    """Each stage's exact volume for the period beside the whole number the plan asks for."""
    t = plan.targets
    n = plan.params.names
    return pd.DataFrame(
        {
            "stage": [n.title(s) for s in t.funnel.stages],
            "exact": [f"{v:,.2f}" for v in t.volumes],
            "asked for (rounded up)": [count(v) for v in t.whole],
        }
    )


def phasing_frame(plan: Plan) -> pd.DataFrame:
    """Whole volumes per stage and period with the period's revenue; '*' marks lead-in periods."""
    ph = plan.phasing
    n = plan.params.names
    table = pd.DataFrame(ph.whole.astype(np.int64), columns=[n.plural(s) for s in ph.stages])
    table.insert(
        0,
        "period",
        [
            f"{label}{'' if inside else ' *'}"
            for label, inside in zip(ph.labels, ph.in_plan, strict=True)
        ],
    )
    table.insert(1, "revenue", [money(v, plan.params.currency) for v in ph.revenue])
    return table


Marks = list[tuple[str, float] | None]  # per row of a column: (figure name, exact value)


def stages_tags(plan: Plan) -> dict[str, Marks]:
    """The figures of `stages_frame`'s cells, by column."""
    f = plan.targets.funnel
    last = plan.params.names.plural(f.stages[-1])
    return {
        "needed": list(need_tags(plan)),
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


def exact_tags(plan: Plan) -> dict[str, Marks]:
    """The figures of `exact_frame`'s cells, by column."""
    t = plan.targets
    return {
        "exact": [
            (f"need_exact.{s}", float(v)) for s, v in zip(t.funnel.stages, t.volumes, strict=True)
        ],
        "asked for (rounded up)": list(need_tags(plan)),
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
        tags[plan.params.names.plural(stage)] = [
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
        plan.params.names.plural(stage): [
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

    handoff = s.terms.handoff_stage
    ahead = _next_handoffs(plan)
    tags: dict[str, Marks] = {}
    if ahead.any():
        tags[f"{plan.params.names.plural(handoff)}, next period"] = [
            (f"lead_in.{handoff}.{m}", float(v)) for m, v in zip(months, ahead, strict=True)
        ]
    return tags | {
        plan.params.names.plural(handoff): [
            (f"month.{handoff}.{m}", float(v))
            for m, v in zip(months, s.handoffs_whole, strict=True)
        ],
        "expected revenue": column("lead_value", s.lead_value),
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
    table = pd.DataFrame(whole, columns=[plan.params.names.plural(s) for s in ph.stages])
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
    handoff = plan.params.names.plural(s.terms.handoff_stage)
    table = pd.DataFrame(
        {
            "month": s.periods,
            handoff: s.handoffs_whole.astype(np.int64),
            "expected revenue": [money(v, cur) for v in s.lead_value],
            "working days": s.working_days.astype(np.int64),
            "capacity": [count(v) for v in s.capacity],
            "reps needed": s.reps_needed_whole.astype(np.int64),
            "reps short": [f"{v:g}" for v in s.rep_shortfall],
        }
    )
    ahead = _next_handoffs(plan)
    if ahead.any():
        table.insert(2, f"{handoff}, next period", ahead.astype(np.int64))
    return table


def _next_handoffs(plan: Plan) -> np.ndarray:
    """Per SLA month, the whole hand-offs the next period needs then (its lead-in)."""
    k = plan.monthly.stages.index(plan.sla.terms.handoff_stage)
    return whole_units(plan.lead_in_next_monthly[:, k])


DRIVER_WORDS = {
    "revenue_goal": "revenue goal",
    "marketing_share": "marketing share",
    "deal_size": "deal size",
}


def driver_name(driver: str, names: StageNames) -> str:
    """A sensitivity driver in words: 'deal size', 'Lead → MQL rate'."""
    return DRIVER_WORDS.get(driver) or f"{names.step(driver)} rate"


def sensitivity_frame(plan: Plan) -> pd.DataFrame:
    """Each driver moved down and up: the first stage's volume needed and the revenue change."""
    s = plan.sensitivity
    table = s.frame()
    cur = plan.params.currency
    n = plan.params.names
    return pd.DataFrame(
        {
            "driver": [driver_name(d, n) for d in table["driver"]],
            "move": [f"{'-' if d == 'down' else '+'}{s.change:.0%}" for d in table["direction"]],
            "value": [
                money(v, cur) if d in MONEY_DRIVERS else percent(v, 1)
                for d, v in zip(table["driver"], table["value"], strict=True)
            ],
            f"{n.plural(plan.targets.funnel.stages[0])} needed": whole_units(
                table["leads_needed"].to_numpy()
            ).astype(np.int64),
            "change": [f"{v:+,.1f}" for v in table["leads_change"]],
            "revenue change": [
                ("+" if v > 0 else "") + money(v, cur) for v in table["revenue_change"]
            ],
        }
    )


def headline_frame(plan: Plan) -> pd.DataFrame:
    """The shared goal and what it asks of each stage: figure (whole) and exact value."""
    p = plan.params
    t = plan.targets
    f = p.funnel
    n = p.names
    cur = p.currency
    customers = t.volumes[-1]
    first, last = f.stages[0], f.stages[-1]
    return pd.DataFrame(
        [
            ("shared revenue goal", money(p.revenue_goal, cur), ""),
            ("share from marketing leads", percent(p.marketing_share, 1), ""),
            ("marketing revenue goal", money(t.marketing_revenue_goal, cur), ""),
            ("average deal size", money(p.deal_size, cur), ""),
            (f"{n.plural(last)} needed", count(whole_units(customers)), f"{customers:,.2f}"),
            (f"{n.label(first)} to {n.label(last)} rate", percent(f.overall_rate, 2), ""),
            (f"{n.plural(first)} needed", count(whole_units(t.volumes[0])), f"{t.volumes[0]:,.2f}"),
        ],
        columns=["", "figure", "exact"],
    )
