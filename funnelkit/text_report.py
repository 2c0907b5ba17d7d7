"""A plan as plain-text tables for the terminal: the headline, then each section."""

from __future__ import annotations

import numpy as np
import pandas as pd

from funnelkit.plan import Plan
from funnelkit.rounding import whole_units

MONEY_DRIVERS = ("revenue_goal", "deal_size")


def money(value: float, currency: str) -> str:
    """Money to the whole unit with thousands separators, e.g. '297,000 USD'."""
    return f"{value:,.0f} {currency}"


def _table(frame: pd.DataFrame) -> str:
    return frame.to_string(index=False)


def _stages(plan: Plan) -> str:
    t = plan.targets
    f = t.funnel
    return _table(
        pd.DataFrame(
            {
                "stage": f.stages,
                "needed": [f"{int(v):,}" for v in t.whole],
                "exact": [f"{v:,.2f}" for v in t.volumes],
                "rate to next": [f"{r:.1%}" for r in f.conversion_rates] + [""],
                f"rate to {f.stages[-1]}": [f"{r:.2%}" for r in f.rates_to_last],
                f"days to {f.stages[-1]}": [f"{d:g}" for d in f.days_to_last],
            }
        )
    )


def _phasing(plan: Plan) -> str:
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
    return _table(table)


def _sla(plan: Plan) -> str:
    s = plan.sla
    cur = plan.params.currency
    return _table(
        pd.DataFrame(
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
    )


def _sensitivity(plan: Plan) -> str:
    s = plan.sensitivity
    table = s.frame()
    cur = plan.params.currency
    return _table(
        pd.DataFrame(
            {
                "driver": table["driver"],
                "move": [
                    f"{'-' if d == 'down' else '+'}{s.change:.0%}" for d in table["direction"]
                ],
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
    )


def plan_text(plan: Plan) -> str:
    """The whole plan as text: headline, stage targets, phasing, SLA, pipeline, sensitivity."""
    p = plan.params
    t = plan.targets
    f = p.funnel
    cur = p.currency
    end = p.start.astype("datetime64[M]") + p.months - 1
    customers = t.volumes[-1]
    headline = pd.DataFrame(
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
    lines = [
        f"{p.title}",
        f"Plan period {str(p.start)[:7]} to {end} ({p.months} months)",
        "",
        _table(headline),
        "",
        "Targets by stage for the whole period",
        "(whole units: each rounded up from its own exact figure)",
        _stages(plan),
        "",
        f"When each stage's volume must arrive, by {plan.phasing.granularity}",
        "(* = before the plan period: volume that feeds the period's revenue through the stage lags)",
        _phasing(plan),
        "",
        f"The SLA: marketing hands over {p.sla.handoff_stage}; sales calls within "
        f"{p.sla.first_touch_minutes:g} minutes and follows a {p.sla.touches_per_lead}-touch cadence "
        f"with {p.sla.reps:g} reps at {p.sla.touches_per_rep_per_day:g} touches a day",
        _sla(plan),
        "",
        f"Pipeline: the revenue goal needs {money(plan.pipeline_needed, cur)} of pipeline "
        f"at a {plan.win_rate:.1%} win rate ({plan.win_rate_source}), "
        f"{1 / plan.win_rate:.1f}x coverage",
    ]
    c = plan.coverage
    if c is not None:
        lines.append(
            f"Open pipeline {money(c.pipeline, cur)} covers {c.coverage_ratio:.2f}x and is expected "
            f"to close {money(c.covered_revenue, cur)}; short by {money(c.revenue_shortfall, cur)} "
            f"(add {money(c.pipeline_shortfall, cur)} of pipeline)"
        )
    lines += [
        "",
        f"Sensitivity: each driver moved by ±{plan.sensitivity.change:.0%} "
        f"(revenue change: what the planned {f.stages[0]} volume would bring)",
        _sensitivity(plan),
    ]
    return "\n".join(lines) + "\n"
