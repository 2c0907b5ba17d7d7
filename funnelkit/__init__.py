"""funnelkit: one shared revenue goal, turned into the funnel targets each team owns."""

from funnelkit.actuals import (
    cohort_conversion,
    flow_conversion,
    leakage,
    reached_counts,
    stage_volumes,
    velocity,
    win_rate,
)
from funnelkit.baselines import Baselines, measure_baselines
from funnelkit.conversion import conversion_rates, overall_conversion_rate
from funnelkit.coverage import (
    PipelineCoverage,
    coverage_ratio,
    covered_revenue,
    pipeline_coverage,
    pipeline_needed,
)
from funnelkit.crm import LeadTable, read_export
from funnelkit.deals import join_deals
from funnelkit.exceptions import (
    CrmExportError,
    FunnelkitError,
    InputError,
    ParamsError,
    RenderError,
)
from funnelkit.followup import (
    cadence_adherence,
    followed_up_same_month,
    sla_breaches,
    sla_compliance,
    stage_pacing,
)
from funnelkit.funnel import DEFAULT_STAGES, Funnel, step_name
from funnelkit.mapping import Mapping, load_mapping
from funnelkit.pacing import Pacing, pacing
from funnelkit.params import PlanParams, load_params, params_from_dict
from funnelkit.phasing import Phasing, phase_plan
from funnelkit.plan import Plan, build_plan
from funnelkit.presets import PRESETS
from funnelkit.quality import QualityReport
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
    "PRESETS",
    "Baselines",
    "CrmExportError",
    "ForwardProjection",
    "Funnel",
    "FunnelkitError",
    "InputError",
    "LeadTable",
    "Mapping",
    "Pacing",
    "ParamsError",
    "Phasing",
    "PipelineCoverage",
    "Plan",
    "PlanParams",
    "QualityReport",
    "RenderError",
    "ReversePlan",
    "Sensitivity",
    "SlaPlan",
    "SlaTerms",
    "Touch",
    "build_plan",
    "cadence_adherence",
    "cohort_conversion",
    "conversion_rates",
    "coverage_ratio",
    "covered_revenue",
    "customers_needed",
    "evaluate_scenarios",
    "expected_volumes",
    "flow_conversion",
    "followed_up_same_month",
    "forward_projection",
    "implied_lead_value",
    "join_deals",
    "leads_needed",
    "leakage",
    "load_mapping",
    "load_params",
    "marketing_revenue_goal",
    "measure_baselines",
    "overall_conversion_rate",
    "pacing",
    "params_from_dict",
    "phase_plan",
    "pipeline_coverage",
    "pipeline_needed",
    "reached_counts",
    "read_export",
    "reps_needed",
    "reverse_plan",
    "sales_capacity",
    "scenario_grid",
    "sensitivity",
    "sla_breaches",
    "sla_compliance",
    "sla_plan",
    "stage_pacing",
    "stage_volumes",
    "stage_volumes_needed",
    "step_name",
    "velocity",
    "whole_units",
    "win_rate",
    "working_days",
]
