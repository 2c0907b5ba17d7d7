"""The one rounding rule for whole units (people, deals), applied once, where figures are shown.

Rule: a whole-unit figure is its own exact value rounded **up** to the next whole number,
because a plan that needs 26.67 customers needs 27 of them. Exact values are carried
through every formula; the stage above 26.67 customers needs 26.67 ÷ rate, not 27 ÷ rate.
Floating-point noise is not rounded up: an exact value within one part in 10¹³ (10⁻¹³ of
a unit near zero) of a whole number counts as that whole number, so 2000.0000000000002
shows as 2000 and 2000.01 as 2001. The formulas' float error is a few parts in 10¹⁶, far
inside that; a real fraction is kept when larger than value × 10⁻¹³ (below 10¹⁰ units,
any fraction of 1/1000 of a unit or more).
"""

from __future__ import annotations

from typing import overload

import numpy as np
import pandas as pd

NOISE = 1e-13  # relative tolerance for floating-point noise, a fraction of the value


@overload
def whole_units(exact: float) -> int: ...
@overload
def whole_units(exact: np.ndarray | pd.Series) -> np.ndarray: ...
def whole_units(exact: float | np.ndarray | pd.Series) -> int | np.ndarray:
    """Whole units shown for an exact volume: rounded up, ignoring floating-point noise.

    A scalar gives an int; an array or Series gives an array of floats holding whole numbers.
    """
    values = np.asarray(exact, dtype=float)
    nearest = np.rint(values)
    is_noise = np.abs(values - nearest) <= NOISE * np.maximum(np.abs(values), 1.0)
    whole = np.where(is_noise, nearest, np.ceil(values)) + 0.0  # + 0.0 turns -0.0 into 0.0
    return int(whole) if whole.ndim == 0 else whole
