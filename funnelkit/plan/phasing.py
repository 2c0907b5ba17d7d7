"""Time phasing: when each stage's volume must arrive for the revenue to land in its month.

The period's revenue goal is split over its months (evenly, or by weights). Within a month,
deals are taken to close evenly day by day. A deal closing on day t came from a stage-k
volume that arrived `days_to_last[k]` calendar days earlier, so each month's volume at stage
k is that month shifted earlier by the stage's lag, then counted into calendar months or
ISO weeks (Monday to Sunday) by how many of its days fall in each. Totals are kept exactly:
every stage's phased volumes sum to the reverse plan's volume, and a quarter's plan shows
lead targets in the months before the quarter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from funnelkit.core.exceptions import InputError
from funnelkit.core.rounding import whole_units
from funnelkit.core.types import DateLike
from funnelkit.core.validation import check_choice, check_number, short, single_number
from funnelkit.plan.targets import ReversePlan

GRANULARITIES: tuple[str, ...] = ("month", "week")
WEIGHT_SUM_TOLERANCE = 1e-6  # how far month weights may sum from 1, as a fraction


def parse_month(value: Any, name: str = "start") -> np.datetime64:
    """The first day of a month given as 'YYYY-MM', a date on the 1st, or a numpy month."""
    if isinstance(value, np.datetime64):
        return value.astype("datetime64[M]").astype("datetime64[D]")
    if isinstance(value, dt.date):
        if value.day != 1:
            raise InputError(
                f"'{name}' must be the first day of a month (got {value.isoformat()!r})"
            )
        return np.datetime64(value.isoformat()[:7], "M").astype("datetime64[D]")
    if isinstance(value, str) and len(value) == 7:
        try:
            return np.datetime64(value, "M").astype("datetime64[D]")
        except ValueError:
            pass  # not a month: the message below says what is wanted
    raise InputError(
        f"'{name}' must be a month written YYYY-MM, e.g. '2026-01' (got {short(value)})"
    )


def month_edges(start: DateLike, months: int) -> np.ndarray:
    """Month boundaries of a plan period: `months` + 1 first-of-month dates (datetime64[D])."""
    first = parse_month(start)
    if isinstance(months, bool) or not isinstance(months, int | np.integer) or months < 1:
        raise InputError(f"'months' must be a whole number >= 1 (got {short(months)})")
    return np.arange(
        first.astype("datetime64[M]"), first.astype("datetime64[M]") + months + 1
    ).astype("datetime64[D]")


def month_weights(months: int, weights: Any = None) -> np.ndarray:
    """Fraction (0–1) of the period's revenue per month: even, or the given weights (sum 1)."""
    if weights is None:
        return np.full(months, 1.0 / months)
    if not isinstance(weights, list | tuple | np.ndarray) or len(weights) != months:
        raise InputError(
            f"'weights' must list one fraction per month ({months}) (got {short(weights)})"
        )
    w = np.asarray([single_number("weights", v) for v in weights], dtype=float)
    if w.ndim != 1 or w.size != months:
        raise InputError(
            f"'weights' must list one fraction per month ({months}) (got {short(weights)})"
        )
    check_number("weights", w, low=0, high=1)
    if abs(w.sum() - 1.0) > WEIGHT_SUM_TOLERANCE:
        raise InputError(f"'weights' must sum to 1 (got {w.sum():g})")
    return w


def _bin_edges(first_day: float, last_day: float, granularity: str) -> np.ndarray:
    """Calendar period boundaries (day numbers) covering [first_day, last_day)."""
    first = np.datetime64(int(np.floor(first_day)), "D")
    last = np.datetime64(int(np.ceil(last_day)), "D")
    if granularity == "month":
        lo = first.astype("datetime64[M]")
        hi = (last - 1).astype("datetime64[M]") + 1
        return np.arange(lo, hi + 1).astype("datetime64[D]").astype(np.int64).astype(float)
    # weeks (phase_plan refused any other granularity): Monday on or before, on or after
    day0 = int(np.floor(first_day))
    monday = day0 - (day0 + 3) % 7  # 1970-01-01 was a Thursday
    end = int(np.ceil(last_day))
    end_monday = end + (-(end + 3)) % 7
    return np.arange(monday, end_monday + 1, 7, dtype=float)


def spread(
    amounts: np.ndarray, edges: np.ndarray, lags: np.ndarray, bins: np.ndarray
) -> np.ndarray:
    """Spread amounts, each even over its period and shifted earlier by a lag, into bins.

    amounts: (stages, periods); edges: periods + 1 day numbers; lags: days per stage;
    bins: boundaries as day numbers. Returns (bins − 1, stages). Column totals are kept.
    """
    starts = edges[:-1][np.newaxis, :] - lags[:, np.newaxis]  # (stages, periods)
    ends = edges[1:][np.newaxis, :] - lags[:, np.newaxis]
    lengths = np.diff(edges)[np.newaxis, :, np.newaxis]
    lo = np.maximum(starts[:, :, np.newaxis], bins[np.newaxis, np.newaxis, :-1])
    hi = np.minimum(ends[:, :, np.newaxis], bins[np.newaxis, np.newaxis, 1:])
    share = np.clip(hi - lo, 0.0, None) / lengths  # (stages, periods, bins)
    return np.einsum("kp,kpb->bk", amounts, share)


@dataclass(frozen=True)
class Phasing:
    """Volume needed per calendar period and stage, and the revenue target per period."""

    granularity: str  # 'month' or 'week'
    bounds: np.ndarray  # datetime64[D] period boundaries: periods + 1 dates
    plan_bounds: np.ndarray  # datetime64[D] first and last-plus-one day of the plan period
    stages: tuple[str, ...]
    days_to_last: tuple[float, ...]  # lag per stage, calendar days
    volumes: np.ndarray  # exact volume (periods, stages)
    revenue: np.ndarray  # revenue target (money) per period; 0 outside the plan period

    @property
    def period_starts(self) -> np.ndarray:
        """First day of each period (datetime64[D])."""
        return self.bounds[:-1]

    @property
    def labels(self) -> list[str]:
        """Period labels: '2026-01' for months, ISO '2026-W02' for weeks."""
        if self.granularity == "month":
            return [str(d)[:7] for d in self.period_starts.astype("datetime64[M]")]
        out = []
        for d in self.period_starts.astype(dt.date):
            year, week, _ = d.isocalendar()
            out.append(f"{year}-W{week:02d}")
        return out

    @property
    def in_plan(self) -> np.ndarray:
        """Per period, whether it overlaps the plan period (rather than coming before it)."""
        return (self.bounds[1:] > self.plan_bounds[0]) & (self.bounds[:-1] < self.plan_bounds[1])

    @property
    def whole(self) -> np.ndarray:
        """Whole-unit volume per period and stage, each rounded up from its own exact value."""
        return whole_units(self.volumes)

    def stage_volumes(self, stage: str) -> np.ndarray:
        """Exact volume of one stage per period."""
        check_choice("stage", stage, self.stages)
        return self.volumes[:, self.stages.index(stage)]

    def frame(self) -> pd.DataFrame:
        """Tidy table, one row per period and stage: exact and whole volume."""
        n_periods, n_stages = self.volumes.shape
        return pd.DataFrame(
            {
                "period": np.repeat(self.labels, n_stages),
                "period_start": np.repeat(self.period_starts, n_stages),
                "in_plan": np.repeat(self.in_plan, n_stages),
                "stage": np.tile(self.stages, n_periods),
                "days_to_last": np.tile(self.days_to_last, n_periods),
                "volume_exact": self.volumes.ravel(),
                "volume_whole": self.whole.ravel().astype("int64"),
            }
        )

    def wide(self, whole: bool = True) -> pd.DataFrame:
        """Periods as rows, stages as columns (whole units, or exact with `whole=False`)."""
        values = self.whole.astype("int64") if whole else self.volumes
        table = pd.DataFrame(
            values, index=pd.Index(self.labels, name="period"), columns=self.stages
        )
        table.insert(0, "revenue", self.revenue)
        return table


def phase_plan(
    plan: ReversePlan,
    start: DateLike,
    months: int,
    weights: Any = None,
    granularity: str = "month",
) -> Phasing:
    """Phase a reverse plan over a period of `months` from `start` ('YYYY-MM').

    `weights` are the fractions (0–1, summing to 1) of the revenue in each month; even when
    omitted. `granularity` is 'month' or 'week'.
    """
    check_choice("granularity", granularity, GRANULARITIES)
    edges_d = month_edges(start, months)
    w = month_weights(months, weights)
    edges = edges_d.astype(np.int64).astype(float)
    lags = np.asarray(plan.funnel.days_to_last, dtype=float)
    bins = _bin_edges(edges[0] - lags.max(), edges[-1], granularity)
    amounts = np.outer(plan.volumes, w)  # (stages, months)
    volumes = spread(amounts, edges, lags, bins)
    revenue = spread(np.asarray([w]) * plan.revenue_goal, edges, np.zeros(1), bins)[:, 0]
    return Phasing(
        granularity=granularity,
        bounds=bins.astype(np.int64).astype("datetime64[D]"),
        plan_bounds=edges_d[[0, -1]],
        stages=plan.funnel.stages,
        days_to_last=plan.funnel.days_to_last,
        volumes=volumes,
        revenue=revenue,
    )


def next_lead_in(current: Phasing, following: Phasing) -> np.ndarray:
    """The exact volume per stage that the following period needs in each of the current
    phasing's periods (its lead-in, arriving before it starts), aligned with `current`'s
    periods: (periods, stages). Both must share a granularity; periods of `current` the
    following phasing does not reach hold 0."""
    if current.granularity != following.granularity or current.stages != following.stages:
        raise InputError(
            "'following' must have the current phasing's granularity and stages "
            f"(got {following.granularity}, {', '.join(following.stages)})"
        )
    out = np.zeros_like(current.volumes)
    starts = {d: i for i, d in enumerate(following.period_starts)}
    before = following.period_starts < following.plan_bounds[0]
    for k, day in enumerate(current.period_starts):
        j = starts.get(day)
        if j is not None and before[j]:
            out[k] = following.volumes[j]
    return out
