"""The service level agreement in numbers: what marketing commits, what sales can follow up.

Marketing commits a volume at the hand-off stage (by default MQLs) per month, worth its
implied lead value: volume × the hand-off stage's rate to a customer × average deal size.
Sales commits to a follow-up cadence (article 003: call within 10 minutes, then email, call
the next day, …). Each handed-off lead costs one touch per cadence step; a rep makes a set
number of touches per working day (Monday to Friday, less holidays). Touches are counted in
the month the lead arrives.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from funnelkit.core.exceptions import InputError
from funnelkit.core.rounding import whole_units
from funnelkit.core.types import Number
from funnelkit.core.validation import check_number, short
from funnelkit.plan.funnel import Funnel
from funnelkit.plan.phasing import Phasing


@dataclass(frozen=True)
class Touch:
    """One step of the follow-up cadence: a channel, some days after the hand-off."""

    day: float  # calendar days after the hand-off; 0 is the same day
    channel: str  # e.g. 'call', 'email'

    def __post_init__(self) -> None:
        check_number("day", self.day, low=0, where=" of a cadence touch")
        if not isinstance(self.channel, str) or not self.channel.strip():
            raise InputError(
                f"'channel' of a cadence touch must be a non-empty name (got {short(self.channel)})"
            )


@dataclass(frozen=True)
class SlaTerms:
    """What each team promises: the hand-off stage, sales' cadence and capacity."""

    handoff_stage: str  # the stage at which marketing hands leads to sales, e.g. 'mql'
    first_touch_minutes: float  # sales' window for the first touch, minutes
    cadence: tuple[Touch, ...]  # the follow-up touches per handed-off lead, in order
    touches_per_rep_per_day: float  # touches one rep makes in a working day
    reps: float  # reps following up hand-offs (full-time equivalents)
    holidays: tuple[dt.date, ...] = field(default=())  # days off besides weekends

    def __post_init__(self) -> None:
        object.__setattr__(self, "cadence", tuple(self.cadence))
        object.__setattr__(self, "holidays", tuple(self.holidays))
        check_number("first_touch_minutes", self.first_touch_minutes, low=0, low_open=True)
        check_number("touches_per_rep_per_day", self.touches_per_rep_per_day, low=0, low_open=True)
        check_number("reps", self.reps, low=0)
        if not self.cadence:
            raise InputError("'cadence' must list at least 1 touch (got 0)")
        days = [t.day for t in self.cadence]
        for i, (a, b) in enumerate(itertools.pairwise(days), start=2):
            if b < a:
                raise InputError(
                    f"'day' of cadence touch {i} must be >= the day of touch {i - 1} (got {short(b)} < {short(a)})"
                )

    @property
    def touches_per_lead(self) -> int:
        """Touches the cadence spends on each handed-off lead."""
        return len(self.cadence)


def working_days(bounds: np.ndarray, holidays: Sequence[dt.date] = ()) -> np.ndarray:
    """Working days (Monday to Friday, less holidays) in each period between the boundaries."""
    bounds = np.asarray(bounds, dtype="datetime64[D]")
    hol = np.asarray([np.datetime64(h, "D") for h in holidays], dtype="datetime64[D]")
    return np.busday_count(bounds[:-1], bounds[1:], holidays=hol).astype(float)


def implied_lead_value(volume: Number, rate_to_customer: Number, deal_size: Number) -> Number:
    """Money a volume of leads is worth: volume × rate to a customer (0–1) × average deal size."""
    check_number("volume", volume, low=0)
    check_number("rate_to_customer", rate_to_customer, low=0, high=1)
    check_number("deal_size", deal_size, low=0, low_open=True)
    return volume * rate_to_customer * deal_size


def sales_capacity(
    reps: Number, touches_per_rep_per_day: Number, working_days: Number, touches_per_lead: Number
) -> Number:
    """Leads the reps can take through the whole cadence in a period of `working_days`."""
    check_number("reps", reps, low=0)
    check_number("touches_per_rep_per_day", touches_per_rep_per_day, low=0, low_open=True)
    check_number("working_days", working_days, low=0)
    check_number("touches_per_lead", touches_per_lead, low=0, low_open=True)
    return reps * touches_per_rep_per_day * working_days / touches_per_lead


def reps_needed(
    leads: Number, touches_per_lead: Number, touches_per_rep_per_day: Number, working_days: Number
) -> Number:
    """Reps (exact, full-time equivalents) needed to take `leads` through the cadence."""
    check_number("leads", leads, low=0)
    check_number("touches_per_lead", touches_per_lead, low=0, low_open=True)
    check_number("touches_per_rep_per_day", touches_per_rep_per_day, low=0, low_open=True)
    check_number("working_days", working_days, low=0, low_open=True)
    return leads * touches_per_lead / (touches_per_rep_per_day * working_days)


@dataclass(frozen=True)
class SlaPlan:
    """Per month: marketing's hand-off commitment and its value, and sales' capacity for it."""

    terms: SlaTerms
    periods: list[str]  # month labels, e.g. '2026-01'
    handoffs: np.ndarray  # exact volume at the hand-off stage per month
    lead_value: np.ndarray  # implied value of the hand-offs per month, money
    working_days: np.ndarray  # per month
    capacity: np.ndarray  # leads the current reps can follow up per month
    reps_needed: np.ndarray  # exact reps needed per month

    @property
    def handoffs_whole(self) -> np.ndarray:
        """Whole hand-offs per month by the rounding rule."""
        return whole_units(self.handoffs)

    @property
    def reps_needed_whole(self) -> np.ndarray:
        """Whole reps needed per month, rounded up."""
        return whole_units(self.reps_needed)

    @property
    def lead_shortfall(self) -> np.ndarray:
        """Hand-offs per month beyond what the current reps can follow up (0 when none)."""
        return np.clip(self.handoffs - self.capacity, 0.0, None)

    @property
    def reps_needed_peak(self) -> float:
        """Whole reps needed in the busiest month: the figure capacity is judged by."""
        return float(self.reps_needed_whole.max())

    @property
    def rep_shortfall(self) -> np.ndarray:
        """Reps (full-time equivalents) to add per month to follow up every hand-off: whole reps
        needed less the reps there are (0 when none; fractional when the reps are)."""
        return np.clip(self.reps_needed_whole - self.terms.reps, 0.0, None)

    def frame(self) -> pd.DataFrame:
        """One row per month: hand-offs, their value, capacity, reps needed and shortfalls."""
        return pd.DataFrame(
            {
                "period": self.periods,
                "handoffs_exact": self.handoffs,
                "handoffs_whole": self.handoffs_whole.astype("int64"),
                "lead_value": self.lead_value,
                "working_days": self.working_days.astype("int64"),
                "capacity": self.capacity,
                "reps_needed_exact": self.reps_needed,
                "reps_needed_whole": self.reps_needed_whole.astype("int64"),
                "reps": self.terms.reps,
                "rep_shortfall": self.rep_shortfall,
                "lead_shortfall": self.lead_shortfall,
            }
        )


def sla_plan(phasing: Phasing, funnel: Funnel, deal_size: float, terms: SlaTerms) -> SlaPlan:
    """The SLA in numbers for each month of a monthly phasing."""
    if phasing.granularity != "month":
        raise InputError(
            f"'granularity' of the phasing must be 'month' for the SLA (got {short(phasing.granularity)})"
        )
    k = funnel.stage_index(terms.handoff_stage)
    if k == len(funnel.stages) - 1:
        raise InputError(
            f"'handoff_stage' must come before the last stage {short(funnel.stages[-1])} (got {short(terms.handoff_stage)})"
        )
    handoffs = phasing.stage_volumes(terms.handoff_stage)
    days = working_days(phasing.bounds, terms.holidays)
    tpl, per_day = terms.touches_per_lead, terms.touches_per_rep_per_day
    # the formulas give arrays for the arrays of months; asarray only says so to the type checker
    return SlaPlan(
        terms=terms,
        periods=phasing.labels,
        handoffs=handoffs,
        lead_value=np.asarray(implied_lead_value(handoffs, funnel.rates_to_last[k], deal_size)),
        working_days=days,
        capacity=np.asarray(sales_capacity(terms.reps, per_day, days, tpl)),
        reps_needed=np.asarray(reps_needed(handoffs, tpl, per_day, days)),
    )
