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

from funnelkit.actuals.measures import cohort_conversion
from funnelkit.core.types import DateLike
from funnelkit.crm.fields import stage_field
from funnelkit.crm.leads import LeadTable

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


def measure_spreads(
    table: LeadTable,
    as_of: DateLike,
    steps: tuple[str, ...],
    growth: float = 0.0,
    maturity: dict[str, float] | None = None,
) -> tuple[np.ndarray, float, float]:
    """Per step the spread of the log-odds rate, then the spread of log volume and of log mean
    deal amount (see the module's docstring). `growth`: the volume trend the run rate is
    grown along (log per month), so the spread is the error left after it. `maturity`: the
    days after which each step's cohort is mature, when already measured
    (`funnelkit.actuals.measures.maturity_days`)."""
    as_of = pd.Timestamp(as_of)
    since = (pd.Period(as_of, "M") - MONTHS).start_time
    cohorts = cohort_conversion(table, "month", as_of=as_of, maturity=maturity)
    cohorts = cohorts[
        cohorts["mature"]
        & (cohorts["entered"] >= MIN_ENTERED)
        & (cohorts["period"].dt.start_time >= since)
    ]
    rates = np.zeros(len(steps))
    for i, step in enumerate(steps):
        rows = cohorts[cohorts["step"] == step]
        p = ((rows["converted"] + 0.5) / (rows["entered"] + 1)).to_numpy(float)
        n = rows["entered"].to_numpy(float)
        rates[i] = _between(np.log(p / (1 - p)), 1 / (n * p * (1 - p)))
    leads = table.leads
    current = pd.Period(as_of, "M")
    created = leads[stage_field(table.stages[0])]
    counts = created[created <= as_of].dt.to_period("M").value_counts()
    counts = counts.reindex(
        pd.period_range(counts.index.min(), current - 1, freq="M"), fill_value=0
    )
    counts = counts.to_numpy(float) if len(counts) else np.zeros(0)
    # the run rate's error: each month against the mean of the RUN_MONTHS before it, its bias
    # included (a ramp is an error the run rate makes)
    trailing = np.convolve(counts, np.ones(RUN_MONTHS) / RUN_MONTHS, "valid")[:-1]
    trailing = trailing * np.exp(growth * (RUN_MONTHS + 1) / 2)  # to the month it predicts
    actual = counts[RUN_MONTHS:]
    keep = (trailing > 0) & (actual > 0)
    actual, trailing = actual[keep][-MONTHS:], trailing[keep][-MONTHS:]
    errors = np.log(actual / trailing)
    noise = 1 / actual + 1 / (RUN_MONTHS * trailing)
    volume = (
        float(np.sqrt(max(np.mean(errors**2) - np.mean(noise), 0.0)))
        if len(errors) >= MIN_MONTHS
        else 0.0
    )
    amount = 0.0
    last = stage_field(table.stages[-1])
    if "amount" in leads and "outcome" in leads:
        won = leads[(leads["outcome"] == "won") & leads[last].between(since, as_of)]
        won = won[won["amount"] > 0]
        by_month = won.groupby(won[last].dt.to_period("M"))["amount"].agg(["size", "mean", "var"])
        by_month = by_month[(by_month["size"] >= MIN_WON) & (by_month.index != current)]
        cv2 = (by_month["var"] / by_month["mean"] ** 2 / by_month["size"]).to_numpy(float)
        amount = _between(np.log(by_month["mean"].to_numpy(float)), cv2)
    return rates, volume, amount
