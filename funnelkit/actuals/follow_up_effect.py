"""What following up in time is worth, measured on history: how often hand-offs touched within
the SLA's window went on to the next stage, against those touched late or never.

Among the mature hand-offs (`baselines.mature_cohort`: handed off long enough ago for the next
step to have happened), k₁ of n₁ touched within the window reached the next stage and k₂ of n₂
of the others did. The effect is the difference of the two rates, with a 95 % interval
(the normal approximation, ±1.96 standard errors of the difference). It is what history
says, not a proof of cause: owners who answer fast may also be given the better leads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from funnelkit.actuals.baselines import mature_cohort
from funnelkit.actuals.followup import response_minutes
from funnelkit.actuals.measures import maturity_days
from funnelkit.core.exceptions import InputError
from funnelkit.crm.leads import LeadTable
from funnelkit.plan.funnel import step_name

Z95 = 1.959964  # standard normal quantile for a two-sided 95 % interval


@dataclass(frozen=True)
class FollowUpEffect:
    """Hand-offs touched in time and the others: how many, and how many took the next step."""

    step: str  # e.g. 'mql→sql'
    in_time: tuple[int, int]  # (took the step, handed off), touched within the window
    others: tuple[int, int]  # the same for those touched late or never

    @property
    def rates(self) -> tuple[float, float]:
        """The step's rate in time and otherwise (fractions 0–1)."""
        (k1, n1), (k2, n2) = self.in_time, self.others
        return k1 / n1, k2 / n2

    @property
    def difference(self) -> float:
        """In time minus otherwise, in rate (fraction points)."""
        a, b = self.rates
        return a - b

    @property
    def interval(self) -> tuple[float, float]:
        """The difference's 95 % interval (normal approximation)."""
        (a, b), (_, n1), (_, n2) = self.rates, self.in_time, self.others
        se = math.sqrt(a * (1 - a) / n1 + b * (1 - b) / n2)
        return self.difference - Z95 * se, self.difference + Z95 * se


def follow_up_effect(
    table: LeadTable, window_minutes: float, handoff_stage: str = "mql"
) -> FollowUpEffect:
    """The next step's rate for mature hand-offs touched within `window_minutes`, against the
    others, on the table's history."""
    stages = table.stages
    if handoff_stage not in stages[:-1]:
        raise InputError(
            f"'handoff_stage' must be a stage before the last ({', '.join(stages[:-1])}; "
            f"got {handoff_stage!r})"
        )
    nxt = stages[stages.index(handoff_stage) + 1]
    step = step_name(handoff_stage, nxt)
    reached = table.reached()
    cohort, _ = mature_cohort(table, handoff_stage, maturity_days(table)[step])
    cohort = cohort & reached[handoff_stage]
    minutes = response_minutes(table, handoff_stage)
    fast = (minutes <= window_minutes).to_numpy()
    base, took = cohort.to_numpy(), reached[nxt].to_numpy()
    in_time = (int((base & fast & took).sum()), int((base & fast).sum()))
    others = (int((base & ~fast & took).sum()), int((base & ~fast).sum()))
    if in_time[1] == 0 or others[1] == 0:
        raise InputError(
            f"{table.source}: the follow-up effect needs mature hand-offs both touched within "
            f"{window_minutes:g} minutes and not (got {in_time[1]} and {others[1]})"
        )
    return FollowUpEffect(step, in_time, others)
