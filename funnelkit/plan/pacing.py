"""Pacing: how close a team is, day by day, to its monthly goal (article 003).

The ideal cumulative line climbs evenly over the month's counted days: every calendar day,
or only working days (Monday to Friday, less holidays). The run-rate projection extends the
actual pace so far to the whole month: actual to date × counted days in the month ÷ counted
days elapsed (through `as_of`, inclusive).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from funnelkit.core.exceptions import InputError
from funnelkit.core.types import DateLike
from funnelkit.core.validation import check_choice, check_number, short
from funnelkit.plan.phasing import parse_month

DAY_BASES: tuple[str, ...] = ("calendar", "business")


def _day(value: Any, name: str) -> np.datetime64:
    try:
        return np.datetime64(pd.Timestamp(value).date(), "D")
    except (TypeError, ValueError):
        raise InputError(
            f"'{name}' must be a date, e.g. '2026-01-15' (got {short(value)})"
        ) from None


def day_weights(days: np.ndarray, basis: str, holidays: Sequence[dt.date] = ()) -> np.ndarray:
    """1 for each day that counts towards the goal, 0 for the rest."""
    if check_choice("basis", basis, DAY_BASES) == "calendar":
        return np.ones(days.size)
    hol = np.asarray([np.datetime64(h, "D") for h in holidays], dtype="datetime64[D]")
    return np.is_busday(days, holidays=hol).astype(float)


@dataclass(frozen=True)
class Pacing:
    """A month's goal against its actuals to date, day by day."""

    goal: float  # the month's goal, in the metric's units
    basis: str  # 'calendar' or 'business'
    as_of: np.datetime64  # last day with actuals (inclusive)
    days: np.ndarray  # every day of the month, datetime64[D]
    ideal: np.ndarray  # ideal cumulative value at the end of each day
    actual: np.ndarray  # actual cumulative value at the end of each day; NaN after as_of
    expected_to_date: float  # ideal cumulative value at the end of as_of
    actual_to_date: float  # actual cumulative value at the end of as_of
    projection: float  # run-rate projection to month end; NaN before the first counted day

    @property
    def gap(self) -> float:
        """Actual minus expected to date: ahead when positive, behind when negative."""
        return self.actual_to_date - self.expected_to_date

    @property
    def projected_attainment(self) -> float:
        """Run-rate projection as a fraction of the goal (1.0 means on goal)."""
        return self.projection / self.goal

    def frame(self) -> pd.DataFrame:
        """One row per day: the ideal and the actual cumulative values."""
        return pd.DataFrame({"day": self.days, "ideal": self.ideal, "actual": self.actual})


def pacing(
    goal: float,
    month: DateLike,
    daily_actuals: Mapping[Any, float] | pd.Series,
    as_of: DateLike,
    basis: str = "calendar",
    holidays: Sequence[dt.date] = (),
) -> Pacing:
    """Pace a month's `goal` against daily actuals (per-day values, not cumulative) to `as_of`."""
    check_number("goal", goal, low=0, low_open=True)
    first = parse_month(month, "month")
    days = np.arange(first, (first.astype("datetime64[M]") + 1).astype("datetime64[D]"))
    as_of_day = _day(as_of, "as_of")
    if not days[0] <= as_of_day <= days[-1]:
        raise InputError(
            f"'as_of' must be a day of the month {str(days[0])[:7]} (got {str(as_of_day)!r})"
        )
    weights = day_weights(days, basis, holidays)
    per_day = np.zeros(days.size)
    for key, value in dict(daily_actuals).items():
        day = _day(key, "daily_actuals date")
        where = f" on {day}"
        check_number("daily_actuals", value, low=0, where=where)
        if not days[0] <= day <= as_of_day:
            raise InputError(
                f"'daily_actuals' must be dated from {days[0]} to as_of {as_of_day} (got {day})"
            )
        per_day[int((day - days[0]).astype(int))] += value
    ideal = goal * np.cumsum(weights) / weights.sum()
    elapsed = int((as_of_day - days[0]).astype(int)) + 1
    actual = np.cumsum(per_day)
    actual[elapsed:] = np.nan
    counted = weights[:elapsed].sum()
    actual_to_date = float(actual[elapsed - 1])
    projection = actual_to_date * weights.sum() / counted if counted > 0 else float("nan")
    return Pacing(
        goal=goal,
        basis=basis,
        as_of=as_of_day,
        days=days,
        ideal=ideal,
        actual=actual,
        expected_to_date=float(ideal[elapsed - 1]),
        actual_to_date=actual_to_date,
        projection=projection,
    )
