"""A plan as plain-text tables for the terminal: the headline, then each section."""

from __future__ import annotations

import pandas as pd

from funnelkit.forecast.coverage import Coverage, coverage_sentence
from funnelkit.plan.build import Plan
from funnelkit.present.plan_tables import (
    exact_frame,
    headline_frame,
    money,
    next_lead_in_caption,
    next_lead_in_frame,
    phasing_frame,
    sensitivity_frame,
    sla_frame,
    stages_frame,
)


def _table(frame: pd.DataFrame) -> str:
    return frame.to_string(index=False)


def plan_text(plan: Plan, coverage: Coverage | None = None) -> str:
    """The whole plan as text: headline, stage targets, phasing, SLA, pipeline (with the
    coverage of what is left of the goal, when known), sensitivity."""
    p = plan.params
    f = p.funnel
    cur = p.currency
    lines = [
        f"{p.title}",
        f"Plan period {p.period_label} ({p.months} months)",
        "",
        _table(headline_frame(plan)),
        "",
        "Targets by stage for the whole period",
        "(whole units: each rounded up from its own exact figure)",
        _table(stages_frame(plan)),
        "",
        "Exact volumes for the whole period",
        _table(exact_frame(plan)),
        "",
        f"When each stage's volume must arrive, by {plan.phasing.granularity}",
        "(* = before the plan period: volume that feeds the period's revenue through the stage lags)",
        _table(phasing_frame(plan)),
        "",
    ]
    lead_in = next_lead_in_frame(plan)
    if len(lead_in):
        lines += [
            next_lead_in_caption(plan),
            _table(lead_in),
            "",
        ]
    lines += [
        f"The SLA: marketing hands over {p.sla.handoff_stage}; sales calls within "
        f"{p.sla.first_touch_minutes:g} minutes and follows a {p.sla.touches_per_lead}-touch cadence "
        f"with {p.sla.reps:g} reps at {p.sla.touches_per_rep_per_day:g} touches a day",
        _table(sla_frame(plan)),
        "",
        f"Pipeline: the revenue goal needs {money(plan.pipeline_needed, cur)} of pipeline "
        f"at a {plan.win_rate:.1%} win rate ({plan.win_rate_source}), "
        f"{1 / plan.win_rate:.1f}x coverage",
    ]
    if coverage is not None:
        lines.append(coverage_sentence(coverage, cur))
    lines += [
        "",
        f"Sensitivity: each driver moved by ±{plan.sensitivity.change:.0%} "
        f"(revenue change: what the planned {f.stages[0]} volume would bring)",
        _table(sensitivity_frame(plan)),
    ]
    return "\n".join(lines) + "\n"
