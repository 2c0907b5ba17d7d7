"""The gap bridge: the difference between revenue won and revenue planned, split into what each
driver contributed, computed with the plan's own arithmetic.

Revenue is a closed-form function of its drivers (the funnel's: leads × each step's rate ×
deal size, times the timing of what closes in the period). Replacing planned values by actual
ones one driver at a time would credit a driver differently depending on the order, so each
driver gets its Shapley value: the average, over every order of replacing them, of what
replacing it changed. The contributions add up exactly to the gap, a driver at its planned
value contributes zero, and the order the drivers are listed in changes nothing.

With n drivers, revenue is evaluated once for each of the 2ⁿ sets of replaced drivers, all
at once in arrays (7 drivers: 128 evaluations).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from funnelkit.core.exceptions import InputError

MAX_DRIVERS = 16  # 2ⁿ evaluations: 65,536 at most

Revenue = Callable[[Mapping[str, np.ndarray]], np.ndarray]  # driver values -> revenue, per row


@dataclass(frozen=True)
class Driver:
    """One input of revenue: its planned and actual values, and whose clause it is."""

    name: str
    planned: float
    actual: float
    owner: str  # 'marketing', 'sales' or 'shared'


@dataclass(frozen=True)
class Bridge:
    """Revenue planned and actual, and each driver's contribution to the difference."""

    drivers: tuple[Driver, ...]
    planned: float  # revenue with every driver as planned, money
    actual: float  # revenue with every driver as it was, money
    contributions: np.ndarray  # per driver, money; they add up to actual − planned

    @property
    def gap(self) -> float:
        """Actual minus planned revenue, money."""
        return self.actual - self.planned

    def by_owner(self) -> dict[str, float]:
        """The contributions added up per clause owner, in the order owners first appear."""
        out: dict[str, float] = {}
        for d, c in zip(self.drivers, self.contributions, strict=True):
            out[d.owner] = out.get(d.owner, 0.0) + float(c)
        return out


def _subsets(n: int) -> np.ndarray:
    """(2ⁿ, n) booleans: row s says which drivers are replaced in subset s (its bits)."""
    return (np.arange(2**n)[:, np.newaxis] >> np.arange(n)) & 1 == 1


def bridge(drivers: Sequence[Driver], revenue: Revenue) -> Bridge:
    """Each driver's Shapley contribution to revenue(actual) − revenue(planned); `revenue`
    takes each driver's values by name as arrays and returns one revenue per row."""
    n = len(drivers)
    names = [d.name for d in drivers]
    if not 0 < n <= MAX_DRIVERS or len(set(names)) != n:
        raise InputError(
            f"a bridge needs 1 to {MAX_DRIVERS} drivers, each named once (got {', '.join(names)})"
        )
    replaced = _subsets(n)
    values = {d.name: np.where(replaced[:, i], d.actual, d.planned) for i, d in enumerate(drivers)}
    totals = np.asarray(revenue(values), dtype=float)
    size = replaced.sum(axis=1)
    # weight of a subset S without i: |S|! (n − |S| − 1)! / n!
    weight = np.array([math.factorial(s) * math.factorial(n - s - 1) for s in range(n)]) / (
        math.factorial(n)
    )
    contributions = np.empty(n)
    for i in range(n):
        without = ~replaced[:, i]
        rows = np.flatnonzero(without)
        contributions[i] = float(weight[size[rows]] @ (totals[rows + (1 << i)] - totals[rows]))
    return Bridge(tuple(drivers), float(totals[0]), float(totals[-1]), contributions)


def had(result: Bridge, revenue: Revenue, name: str, value: float | None = None) -> float:
    """Revenue had driver `name` been `value` (default: as planned) and every other as it was."""
    values = {
        d.name: np.array([d.actual if d.name != name else (d.planned if value is None else value)])
        for d in result.drivers
    }
    if name not in values:
        raise InputError(f"no driver {name!r} in the bridge ({', '.join(values)})")
    return float(np.asarray(revenue(values))[0])


def funnel_revenue(values: Mapping[str, np.ndarray]) -> np.ndarray:
    """Revenue of a funnel: the product of every driver's value (leads, each step's rate, the
    mix's and follow-up's effect on the rates as factors, deal size, the share of deals that
    closed in the period), per row."""
    return np.prod(np.vstack(list(values.values())), axis=0)
