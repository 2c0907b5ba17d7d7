"""funnelkit: one shared revenue goal, turned into the funnel targets each team owns."""

from funnelkit.conversion import conversion_rates, overall_conversion_rate
from funnelkit.coverage import (
    PipelineCoverage,
    coverage_ratio,
    covered_revenue,
    pipeline_coverage,
    pipeline_needed,
)
from funnelkit.exceptions import FunnelkitError, InputError, ParamsError
from funnelkit.funnel import DEFAULT_STAGES, Funnel, step_name
from funnelkit.pacing import Pacing, pacing
from funnelkit.params import PlanParams, load_params, params_from_dict
from funnelkit.phasing import Phasing, phase_plan
from funnelkit.plan import Plan, build_plan
from funnelkit.rounding import whole_units
from funnelkit.scenarios import evaluate_scenarios, scenario_grid
from funnelkit.sensitivity import Sensitivity, sensitivity
from funnelkit.sla import (
    SlaPlan,
    SlaTerms,
    Touch,
    implied_lead_value,
    reps_needed,
    sales_capacity,
    sla_plan,
    working_days,
)
from funnelkit.targets import (
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
    "FunnelkitError",
    "InputError",
    "Pacing",
    "ParamsError",
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
    "whole_units",
    "working_days",
]
