"""Conversion figures from the counts of one cohort at each stage.

The next-step rate of a stage is the next stage's count ÷ its own count; the cumulative
rate is the stage's count ÷ the first stage's count. The overall rate (for the default
stages, the lead close rate) is the product of the step rates.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from funnelkit.core.exceptions import InputError
from funnelkit.core.validation import check_number, short


def conversion_rates(counts: Mapping[str, float] | pd.Series) -> pd.DataFrame:
    """Next-step and cumulative conversion rates (fractions 0–1) from a cohort's stage counts.

    `counts` maps stage names, in funnel order, to how many of the cohort reached each stage.
    A cohort cannot grow down the funnel, so each count must be <= the one before it. A rate
    out of a stage with a count of zero is undefined and shows as NaN.
    """
    items = list(counts.items())
    if len(items) < 2:
        raise InputError(f"'counts' must cover at least 2 stages (got {len(items)})")
    for stage, count in items:
        check_number("count", count, low=0, where=f" for stage {short(stage)}")
    for (prev, n_prev), (stage, n) in itertools.pairwise(items):
        if n > n_prev:
            raise InputError(
                f"'count' for stage {short(stage)} must be <= the count for {short(prev)}, "
                f"since a cohort cannot grow down the funnel (got {short(n)} > {short(n_prev)})"
            )
    stages = [s for s, _ in items]
    values = np.array([c for _, c in items], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        nxt = np.where(values[:-1] > 0, values[1:] / values[:-1], np.nan)
        cumulative = values / values[0] if values[0] > 0 else np.full(values.size, np.nan)
    return pd.DataFrame(
        {
            "stage": stages,
            "count": values,
            "rate_to_next": np.append(nxt, np.nan),
            "rate_from_first": cumulative,
        }
    )


def overall_conversion_rate(step_rates: list[float] | np.ndarray | pd.Series) -> float:
    """Fraction (0–1) of first-stage volume that reaches the last stage: the product of step rates."""
    rates = list(step_rates)
    if not rates:
        raise InputError("'step_rates' must hold at least 1 rate (got 0)")
    for i, rate in enumerate(rates):
        check_number("conversion_rate", rate, low=0, high=1, where=f" at step {i}")
    return math.prod(rates)
