"""The funnel definition: ordered stages, and each step's conversion rate and typical days.

Stage names are configuration (an organisation may rename, add or drop stages). A *step*
joins a stage to the next one and is named ``'mql→sql'``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from funnelkit.core.exceptions import InputError
from funnelkit.core.validation import check_choice, check_number, short

DEFAULT_STAGES: tuple[str, ...] = ("lead", "mql", "sql", "opportunity", "won")
STEP_ARROW = "→"


def step_name(stage: str, next_stage: str) -> str:
    """The name of the step from `stage` to `next_stage`, e.g. 'mql→sql'."""
    return f"{stage}{STEP_ARROW}{next_stage}"


@dataclass(frozen=True)
class Funnel:
    """Ordered stages with, per step, the conversion rate and the typical days to the next stage.

    `conversion_rates[i]` is the fraction (0–1, not %) of stage i's volume that reaches stage
    i+1; `days[i]` is the typical number of calendar days that takes.
    """

    stages: tuple[str, ...]
    conversion_rates: tuple[float, ...]
    days: tuple[float, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "stages", tuple(self.stages))
        object.__setattr__(self, "conversion_rates", tuple(self.conversion_rates))
        object.__setattr__(self, "days", tuple(self.days))
        _check_stages(self.stages)
        steps = self.steps
        for field, values in (("conversion_rates", self.conversion_rates), ("days", self.days)):
            if len(values) != len(steps):
                raise InputError(
                    f"'{field}' must have one value per step ({len(steps)}: "
                    f"{', '.join(steps)}) (got {len(values)})"
                )
        for step, rate, days in zip(steps, self.conversion_rates, self.days, strict=True):
            where = f" for step '{step}'"
            check_number("conversion_rate", rate, low=0, high=1, low_open=True, where=where)
            check_number("days", days, low=0, where=where)

    @property
    def steps(self) -> tuple[str, ...]:
        """Step names in order, e.g. ('lead→mql', 'mql→sql', ...)."""
        return tuple(step_name(a, b) for a, b in itertools.pairwise(self.stages))

    @property
    def overall_rate(self) -> float:
        """Fraction (0–1) of first-stage volume that reaches the last stage: the product of the
        step rates (for the default stages, the lead close rate)."""
        return math.prod(self.conversion_rates)

    @property
    def rates_to_last(self) -> tuple[float, ...]:
        """Per stage, the fraction (0–1) of its volume that reaches the last stage."""
        rates, acc = [1.0], 1.0
        for rate in reversed(self.conversion_rates):
            acc *= rate
            rates.append(acc)
        return tuple(reversed(rates))

    @property
    def days_to_last(self) -> tuple[float, ...]:
        """Per stage, the typical calendar days from entering it to reaching the last stage."""
        days, acc = [0.0], 0.0
        for d in reversed(self.days):
            acc += d
            days.append(acc)
        return tuple(reversed(days))

    def stage_index(self, stage: str) -> int:
        """Position of `stage` in the funnel; raises InputError naming the stages if unknown."""
        return self.stages.index(check_choice("stage", stage, self.stages))

    def step_index(self, step: str) -> int:
        """Position of `step` (e.g. 'mql→sql'); raises InputError naming the steps if unknown."""
        return self.steps.index(check_choice("step", step, self.steps))

    def with_rate(self, step: str, rate: float) -> Funnel:
        """A copy of this funnel with one step's conversion rate replaced."""
        rates = list(self.conversion_rates)
        rates[self.step_index(step)] = rate
        return Funnel(self.stages, tuple(rates), self.days)

    def with_days(self, step: str, days: float) -> Funnel:
        """A copy of this funnel with one step's typical days replaced."""
        values = list(self.days)
        values[self.step_index(step)] = days
        return Funnel(self.stages, self.conversion_rates, tuple(values))


def _check_stages(stages: Sequence[str]) -> None:
    if len(stages) < 2:
        raise InputError(
            f"'stages' must name at least 2 stages (got {len(stages)}: {list(stages)})"
        )
    for stage in stages:
        if not isinstance(stage, str) or not stage.strip():
            raise InputError(f"'stages' must be non-empty names (got {short(stage)})")
    seen: set[str] = set()
    for stage in stages:
        if stage in seen:
            raise InputError(f"'stages' must be unique (got {short(stage)} twice)")
        seen.add(stage)
