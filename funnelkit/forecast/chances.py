"""Goals as chances: the levels a goal can be set at from a forecast's simulated totals, the
chance that several goals are met together, and how honest past chances were.

A level with chance p is the most a goal can ask and still be reached in at least a share p
of the trials: commit (P90, reached in 9 periods of 10), plan (P50), stretch (P25). Team goals
met each at P50 do not make a shared goal met at P50: `joint_chance` counts the trials in
which every goal is met at once, from the same trials. The Brier score of past chances is the
mean squared difference between each chance given and what happened (1 met, 0 not): 0 is
perfect, 0.25 is what always saying 50 % scores.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from funnelkit.core.exceptions import InputError
from funnelkit.core.validation import check_number

LEVELS = {"commit": 0.90, "plan": 0.50, "stretch": 0.25}  # name -> chance of reaching it


def level(totals: np.ndarray, chance: float) -> float:
    """The highest target reached in at least `chance` (0–1) of the trials' `totals`."""
    check_number("chance", chance, low=0, high=1, low_open=True)
    values = np.sort(np.asarray(totals, dtype=float))[::-1]
    if len(values) == 0:
        raise InputError("a level needs at least one trial")
    return float(values[math.ceil(chance * len(values) - 1e-9) - 1])


def levels(totals: np.ndarray) -> dict[str, float]:
    """Commit, plan and stretch levels of the trials' totals."""
    return {name: level(totals, chance) for name, chance in LEVELS.items()}


def met_together(trials: Mapping[str, np.ndarray], targets: Mapping[str, float]) -> np.ndarray:
    """Per trial, whether every metric reaches its target (the metrics' trials must come from
    the same simulation, one value per trial each)."""
    missing = sorted(set(targets) - set(trials))
    if missing:
        raise InputError(f"no trials for {', '.join(map(repr, missing))}")
    return np.logical_and.reduce([np.asarray(trials[m]) >= t for m, t in targets.items()])


def joint_chance(trials: Mapping[str, np.ndarray], targets: Mapping[str, float]) -> float:
    """The share of trials in which every metric reaches its target (`met_together`)."""
    return float(np.mean(met_together(trials, targets)))


def brier(chances: Sequence[float], happened: Sequence[bool]) -> float:
    """The mean squared difference between chances given (0–1) and outcomes (1 or 0)."""
    p, o = np.asarray(chances, dtype=float), np.asarray(happened, dtype=float)
    if p.shape != o.shape or p.size == 0:
        raise InputError(
            f"a Brier score needs as many outcomes as chances, at least one "
            f"(got {p.size} chances, {o.size} outcomes)"
        )
    check_number("chances", p, low=0, high=1)
    return float(np.mean((p - o) ** 2))
