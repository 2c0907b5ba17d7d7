"""Chart titles and axis labels shared by the report charts (`charts`) and the explorer's
SVG charts (`svg_charts`), written once so both say the same thing."""

from __future__ import annotations

from funnelkit.core.formats import money
from funnelkit.plan.build import Plan

VOLUME_AXIS = "volume needed in the period (count)"
MONTH_VOLUME_AXIS = "volume needed (count)"


def funnel_title(plan: Plan) -> str:
    """'Funnel: what <revenue goal> needs'."""
    return f"Funnel: what {money(plan.params.revenue_goal, plan.params.currency)} needs"


def tornado_title(plan: Plan) -> str:
    """The sensitivity chart's title, naming the first stage."""
    first = plan.params.names.plural(plan.targets.funnel.stages[0])
    return f"Sensitivity: which driver moves the {first} needed most"


def tornado_axis(plan: Plan) -> str:
    """The sensitivity chart's value axis, in counts of the first stage."""
    return f"change in {plan.params.names.plural(plan.targets.funnel.stages[0])} needed (count)"
