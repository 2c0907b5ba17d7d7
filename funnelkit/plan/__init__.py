"""The plan arithmetic: a revenue goal turned into stage volumes, phased by month with stage
lags, the SLA and capacity it asks for, pipeline coverage, pacing, sensitivity, scenarios,
and the plan's parameters (YAML in and out). Pure functions over floats and arrays.

May import: `funnelkit.core`. Never `crm` (the plan knows nothing of exports) or any layer
above."""

from funnelkit.plan.build import Plan, build_plan
from funnelkit.plan.conversion import conversion_rates, overall_conversion_rate
from funnelkit.plan.coverage import (
    PipelineCoverage,
    coverage_ratio,
    covered_revenue,
    pipeline_coverage,
    pipeline_needed,
)
from funnelkit.plan.funnel import DEFAULT_STAGES, Funnel, step_name
from funnelkit.plan.pacing import Pacing, pacing
from funnelkit.plan.params import PlanParams, load_params, params_from_dict
from funnelkit.plan.phasing import Phasing, phase_plan
from funnelkit.plan.scenarios import evaluate_scenarios, scenario_grid
from funnelkit.plan.sensitivity import Sensitivity, sensitivity
from funnelkit.plan.sla import (
    SlaPlan,
    SlaTerms,
    Touch,
    implied_lead_value,
    reps_needed,
    sales_capacity,
    sla_plan,
    working_days,
)
from funnelkit.plan.targets import (
    ForwardProjection,
    ReversePlan,
    customers_needed,
    expected_volumes,
    forward_projection,
    leads_needed,
    marketing_revenue_goal,
    reverse_plan,
    stage_volumes_needed,
)

__all__ = [
    "DEFAULT_STAGES",
    "ForwardProjection",
    "Funnel",
    "Pacing",
    "Phasing",
    "PipelineCoverage",
    "Plan",
    "PlanParams",
    "ReversePlan",
    "Sensitivity",
    "SlaPlan",
    "SlaTerms",
    "Touch",
    "build_plan",
    "conversion_rates",
    "coverage_ratio",
    "covered_revenue",
    "customers_needed",
    "evaluate_scenarios",
    "expected_volumes",
    "forward_projection",
    "implied_lead_value",
    "leads_needed",
    "load_params",
    "marketing_revenue_goal",
    "overall_conversion_rate",
    "pacing",
    "params_from_dict",
    "phase_plan",
    "pipeline_coverage",
    "pipeline_needed",
    "reps_needed",
    "reverse_plan",
    "sales_capacity",
    "scenario_grid",
    "sensitivity",
    "sla_plan",
    "stage_volumes_needed",
    "step_name",
    "working_days",
]
