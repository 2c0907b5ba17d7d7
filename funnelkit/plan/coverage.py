"""Pipeline coverage: how much open pipeline a revenue target needs at a win rate.

Pipeline needed = revenue target ÷ win rate; the coverage ratio is pipeline ÷ target, and
the ratio needed is 1 ÷ win rate (a 25 % win rate needs 4× coverage).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import overload

from funnelkit.core.types import Number
from funnelkit.core.validation import check_number


@overload
def pipeline_needed(revenue_target: float, win_rate: float) -> float: ...
@overload
def pipeline_needed(revenue_target: Number, win_rate: Number) -> Number: ...
def pipeline_needed(revenue_target: Number, win_rate: Number) -> Number:
    """Open pipeline (money) that closes to `revenue_target` at `win_rate` (fraction 0–1)."""
    check_number("revenue_target", revenue_target, low=0)
    check_number("win_rate", win_rate, low=0, high=1, low_open=True)
    return revenue_target / win_rate


@overload
def coverage_ratio(pipeline: float, revenue_target: float) -> float: ...
@overload
def coverage_ratio(pipeline: Number, revenue_target: Number) -> Number: ...
def coverage_ratio(pipeline: Number, revenue_target: Number) -> Number:
    """Pipeline ÷ revenue target: how many times over the pipeline covers the target."""
    check_number("pipeline", pipeline, low=0)
    check_number("revenue_target", revenue_target, low=0, low_open=True)
    return pipeline / revenue_target


@overload
def covered_revenue(pipeline: float, win_rate: float) -> float: ...
@overload
def covered_revenue(pipeline: Number, win_rate: Number) -> Number: ...
def covered_revenue(pipeline: Number, win_rate: Number) -> Number:
    """Revenue (money) a pipeline is expected to close at `win_rate` (fraction 0–1)."""
    check_number("pipeline", pipeline, low=0)
    check_number("win_rate", win_rate, low=0, high=1, low_open=True)
    return pipeline * win_rate


@dataclass(frozen=True)
class PipelineCoverage:
    """A pipeline set against a revenue target at a win rate."""

    pipeline: float  # open pipeline, money
    revenue_target: float  # money
    win_rate: float  # fraction 0–1
    pipeline_needed: float  # money
    coverage_ratio: float  # pipeline ÷ target
    ratio_needed: float  # 1 ÷ win rate
    covered_revenue: float  # money
    revenue_shortfall: float  # money the pipeline is expected to fall short by; 0 when covered
    pipeline_shortfall: float  # more pipeline needed, money; 0 when covered


def pipeline_coverage(pipeline: float, revenue_target: float, win_rate: float) -> PipelineCoverage:
    """Coverage of a revenue target by a pipeline, with the shortfalls in revenue and pipeline."""
    needed = pipeline_needed(revenue_target, win_rate)
    covered = covered_revenue(pipeline, win_rate)
    return PipelineCoverage(
        pipeline=pipeline,
        revenue_target=revenue_target,
        win_rate=win_rate,
        pipeline_needed=needed,
        coverage_ratio=coverage_ratio(pipeline, revenue_target),
        ratio_needed=1.0 / win_rate,
        covered_revenue=covered,
        revenue_shortfall=max(0.0, revenue_target - covered),
        pipeline_shortfall=max(0.0, needed - pipeline),
    )
