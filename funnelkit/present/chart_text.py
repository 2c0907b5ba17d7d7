"""Chart titles and axis labels shared by the report charts (`charts`) and the explorer's
SVG charts (`svg_charts`), written once so both say the same thing."""

from __future__ import annotations

from funnelkit.plan.build import Plan

VOLUME_AXIS = "volume needed in the period (count)"
MONTH_VOLUME_AXIS = "volume needed (count)"


def funnel_title(plan: Plan) -> str:
    """'Funnel: what <revenue goal> <currency> needs'."""
    return f"Funnel: what {plan.params.revenue_goal:,.0f} {plan.params.currency} needs"


def tornado_title(plan: Plan) -> str:
    """The sensitivity chart's title, naming the first stage."""
    return f"Sensitivity: which driver moves the {plan.targets.funnel.stages[0]} target most"


def tornado_axis(plan: Plan) -> str:
    """The sensitivity chart's value axis, in counts of the first stage."""
    return f"change in {plan.targets.funnel.stages[0]} volume needed (count)"
