"""Trends in new-lead volume and deal size, measured on an export as known on a day.

Each is a least-squares line through the log of a monthly figure over the last MONTHS
complete months: the count of leads entering the first stage, and the mean won amount (months
with MIN_WON won deals or more). A trend is shown when its slope is at least SHOWN standard
errors from zero (the errors measured from the months' own scatter about the line) over
MIN_MONTHS months or more; otherwise it is 0. Slopes are per month, in log units: 0.05 is
about 5 % a month.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from funnelkit.core.types import DateLike
from funnelkit.crm.leads import LeadTable
from funnelkit.forecast.snapshot import Snapshot, instant, month_code, snapshot

MONTHS = 12  # complete months a trend is fitted on
MIN_MONTHS = 12  # months a trend needs: a year, so a season or a ramp-up is not taken for one
MIN_WON = 5  # won deals a month needs for its mean amount to count
SHOWN = 2.0  # standard errors the slope must be from zero
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class Trends:
    """Growth per month (log) of new leads and of the mean deal amount; 0 where history
    shows none."""

    volume: float = 0.0
    amount: float = 0.0
    months: int = 0  # the months the volume trend was fitted on

    def volume_factor(self, days: np.ndarray | float) -> np.ndarray | float:
        """How much more new-lead volume `days` days on (×)."""
        return np.exp(self.volume * np.asarray(days) / DAYS_PER_MONTH)

    def amount_factor(self, days: np.ndarray | float) -> np.ndarray | float:
        """How much larger a deal won `days` days later is (×)."""
        return np.exp(self.amount * np.asarray(days) / DAYS_PER_MONTH)


NO_TRENDS = Trends()


def _slope(month: np.ndarray, values: np.ndarray) -> float:
    """The least-squares slope of `values` over `month` (numbers), or 0 when it is not SHOWN
    standard errors from zero or there are fewer than MIN_MONTHS values."""
    n = len(values)
    if n < MIN_MONTHS:
        return 0.0
    x = month - month.mean()
    slope = float(x @ values / (x @ x))
    residual = values - values.mean() - slope * x
    error = np.sqrt(residual @ residual / (n - 2) / (x @ x))
    return slope if abs(slope) >= SHOWN * error else 0.0


def monthly_amounts(
    s: Snapshot, since: DateLike | None, as_of: pd.Timestamp, figures: list[str]
) -> pd.DataFrame:
    """Won deals with an amount (> 0), won from `since` (None: any time) to `as_of`, grouped by
    the month they were won in (index: `snapshot.month_codes`): the `figures` ('size', 'mean',
    'var') of their amounts. Empty when the table records no outcomes or no amounts."""
    if s.amount is None or not s.outcomes:
        return pd.DataFrame(columns=figures, dtype=float)
    won_at = s.won_at
    won = s.won & (s.amount > 0) & (won_at <= instant(as_of))
    if since is not None:
        won &= won_at >= instant(since)
    aggregates: list[Any] = list(figures)
    return pd.Series(s.amount[won]).groupby(s.months[won, -1]).agg(aggregates)


def monthly_new_leads(s: Snapshot, as_of: pd.Timestamp) -> np.ndarray:
    """Leads created each month, from the first lead's month to the month before `as_of`'s,
    as known on `as_of` (empty when no lead was created before that month)."""
    created = s.created
    months = s.months[created <= instant(as_of), 0]
    if len(months) == 0:
        return np.zeros(0)
    first = months.min()
    span = max(month_code(as_of) - first, 0)
    return np.bincount(months - first, minlength=span)[:span].astype(float)


def measure_trends(table: LeadTable | Snapshot, as_of: DateLike) -> Trends:
    """The trends in `table` as known on `as_of` (see the module's docstring)."""
    as_of = pd.Timestamp(as_of)
    s = snapshot(table)
    current = month_code(as_of)
    counts = monthly_new_leads(s, as_of)[1:][-MONTHS:]  # the export's first month is partial
    index = np.arange(len(counts), dtype=float)
    volume = _slope(index, np.log(counts)) if len(counts) and counts.min() > 0 else 0.0
    by_month = monthly_amounts(s, None, as_of, ["size", "mean"])
    by_month = by_month[(by_month.index >= current - MONTHS) & (by_month.index < current)]
    by_month = by_month[by_month["size"] >= MIN_WON]
    month = (by_month.index.to_numpy() - (current - MONTHS)).astype(float)
    amount = _slope(month, np.log(by_month["mean"].to_numpy(float)))
    return Trends(volume=volume, amount=amount, months=len(counts))
