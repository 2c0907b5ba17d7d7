"""What happened, measured on a lead table: volumes, conversion, velocity, win rates and
leakage; the plan's baselines; the SLA's follow-up; stage definitions and how they qualify
history; a plan reviewed against its actuals.

May import: `funnelkit.core`, `funnelkit.plan`, `funnelkit.crm`. Never `goals`, `forecast`
or any layer above."""

from funnelkit.actuals.baselines import Baselines, measure_baselines
from funnelkit.actuals.followup import (
    cadence_adherence,
    followed_up_same_month,
    sla_breaches,
    sla_compliance,
    stage_pacing,
)
from funnelkit.actuals.measures import (
    cohort_conversion,
    flow_conversion,
    leakage,
    reached_counts,
    stage_volumes,
    velocity,
    win_rate,
)

__all__ = [
    "Baselines",
    "cadence_adherence",
    "cohort_conversion",
    "flow_conversion",
    "followed_up_same_month",
    "leakage",
    "measure_baselines",
    "reached_counts",
    "sla_breaches",
    "sla_compliance",
    "stage_pacing",
    "stage_volumes",
    "velocity",
    "win_rate",
]
