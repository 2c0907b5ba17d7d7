"""How much a funnel moved between months beyond chance, measured on an export as known on a
day (the forecast's `Spreads`).

For each step, the log-odds of the rate of each month's mature cohort (leads that entered
the step's first stage that month, MIN_ENTERED or more); for new leads, how far each month's
count of first-stage entries fell from the run rate of the RUN_MONTHS before it (in log,
after growing the run rate along the volume trend, if any); for deal size, the log of each
month's mean won amount (MIN_WON deals or more). Of each series' variance, the part sampling noise explains (binomial, Poisson,
the amounts' own variance over the deals) is taken out; what is left is the spread between
periods. The last MONTHS months are used; fewer than MIN_MONTHS months give no spread.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from funnelkit.core.types import DateLike
from funnelkit.crm.leads import LeadTable
from funnelkit.forecast.snapshot import Snapshot, month_code, snapshot
from funnelkit.forecast.trends import monthly_amounts, monthly_new_leads

MONTHS = 12  # months of history a spread is measured on
MIN_MONTHS = 3  # months a spread needs
MIN_ENTERED = 20  # leads a month's cohort needs to count
MIN_WON = 5  # won deals a month needs to count
RUN_MONTHS = 3  # the months a run rate averages (the forecast's 90 days)


def _between(values: np.ndarray, noise: np.ndarray) -> float:
    """The standard deviation between periods: the values' variance less the mean sampling
    variance, never below 0; 0 with fewer than MIN_MONTHS values."""
    ok = np.isfinite(values) & np.isfinite(noise)
    if ok.sum() < MIN_MONTHS:
        return 0.0
    return float(np.sqrt(max(np.var(values[ok], ddof=1) - np.mean(noise[ok]), 0.0)))


def _cohorts(
    s: Snapshot, k: int, as_of: pd.Timestamp, wait: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The mature cohorts of step `k` (from stage `k` to the next) by the month they entered
    it: each month (`snapshot.month_codes`), its leads, and how many of them ever reached the
    next stage. A cohort is mature when `wait` days have passed since its month's end."""
    entered_at = s.times[:, k]
    entered = ~np.isnat(entered_at)
    codes = s.months[entered, k]
    if len(codes) == 0:
        return codes, codes, codes
    first = codes.min()
    leads = np.bincount(codes - first)
    converted = np.bincount(codes - first, s.reached[entered, k + 1].astype(np.int64), len(leads))
    month = np.flatnonzero(leads) + first
    if not np.isfinite(wait):  # a step without history never matures
        return codes[:0], leads[:0], converted[:0]
    ends = (month + 1).astype("datetime64[M]").astype("datetime64[ns]") - np.timedelta64(1, "ns")
    mature = ends + pd.to_timedelta(np.full(len(month), wait), unit="D") <= as_of
    return month[mature], leads[month - first][mature], converted[month - first][mature]


def _volume_spread(counts: np.ndarray, growth: float) -> float:
    """The spread of log new-lead volume, from each month's count of new leads: how far each
    month fell from the run rate of the RUN_MONTHS before it (grown along `growth`, log per
    month), its bias included (a ramp is an error the run rate makes), less Poisson noise;
    0 with fewer than MIN_MONTHS such months."""
    if len(counts) <= RUN_MONTHS:
        return 0.0
    trailing = np.convolve(counts, np.ones(RUN_MONTHS) / RUN_MONTHS, "valid")[:-1]
    trailing = trailing * np.exp(growth * (RUN_MONTHS + 1) / 2)  # to the month it predicts
    actual = counts[RUN_MONTHS:]
    keep = (trailing > 0) & (actual > 0)
    actual, trailing = actual[keep][-MONTHS:], trailing[keep][-MONTHS:]
    if len(actual) < MIN_MONTHS:
        return 0.0
    errors = np.log(actual / trailing)
    noise = 1 / actual + 1 / (RUN_MONTHS * trailing)
    return float(np.sqrt(max(np.mean(errors**2) - np.mean(noise), 0.0)))


def measure_spreads(
    table: LeadTable | Snapshot,
    as_of: DateLike,
    steps: tuple[str, ...],
    growth: float,
    maturity: dict[str, float],
) -> tuple[np.ndarray, float, float]:
    """Per step the spread of the log-odds rate, then the spread of log volume and of log mean
    deal amount (see the module's docstring). `growth`: the volume trend the run rate is
    grown along (log per month), so the spread is the error left after it. `maturity`: the
    days after which each step's cohort is mature (`funnelkit.actuals.measures.maturity_days`)."""
    as_of = pd.Timestamp(as_of)
    s = snapshot(table)
    current = month_code(as_of)
    since = current - MONTHS
    rates = np.zeros(len(steps))
    for i, step in enumerate(steps):
        month, entered, converted = _cohorts(s, i, as_of, maturity[step])
        keep = (entered >= MIN_ENTERED) & (month >= since)
        entered, converted = entered[keep].astype(float), converted[keep]
        p = (converted + 0.5) / (entered + 1)
        rates[i] = _between(np.log(p / (1 - p)), 1 / (entered * p * (1 - p)))
    volume = _volume_spread(monthly_new_leads(s, as_of), growth)
    since_day = pd.Timestamp(np.datetime64(since, "M"))
    by_month = monthly_amounts(s, since_day, as_of, ["size", "mean", "var"])
    by_month = by_month[(by_month["size"] >= MIN_WON) & (by_month.index != current)]
    cv2 = (by_month["var"] / by_month["mean"] ** 2 / by_month["size"]).to_numpy(float)
    amount = _between(np.log(by_month["mean"].to_numpy(float)), cv2)
    return rates, volume, amount
