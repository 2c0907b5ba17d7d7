"""The forecast's inputs computed with pandas over a whole lead table, as they were before the
forecast read a snapshot of arrays: the independent computation `funnelkit.forecast`'s are
checked against (the monthly cohorts by the engine's `cohort_conversion` measure)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from funnelkit.actuals.measures import MATURITY_QUANTILE, cohort_conversion, step_days
from funnelkit.crm.fields import ID, stage_field
from funnelkit.crm.leads import LeadTable
from funnelkit.forecast.spreads import MIN_ENTERED, MIN_MONTHS, RUN_MONTHS, _between
from funnelkit.forecast.spreads import MIN_WON as SPREAD_MIN_WON
from funnelkit.forecast.spreads import MONTHS as SPREAD_MONTHS
from funnelkit.forecast.trends import MIN_WON, MONTHS, Trends, _slope

DAY = 86_400.0


@dataclass(frozen=True)
class Reference:
    """What `measure_history` and `open_pipeline` give, computed with pandas."""

    converted: np.ndarray
    exposure: np.ndarray
    durations: tuple[np.ndarray, ...]
    amounts: np.ndarray
    ages: np.ndarray
    trends: Trends
    spreads: tuple[np.ndarray, float, float]
    pipeline_ids: np.ndarray
    pipeline_stage: np.ndarray
    pipeline_age: np.ndarray


def trends(table: LeadTable, as_of: pd.Timestamp) -> Trends:
    current = pd.Period(as_of, "M")
    months = pd.period_range(current - MONTHS, current - 1, freq="M")
    leads = table.leads
    created = leads[stage_field(table.stages[0])]
    counts = created[created <= as_of].dt.to_period("M").value_counts()
    first = counts.index.min() + 1 if len(counts) else current  # the first month is partial
    counts = counts.reindex(months[months >= first], fill_value=0).to_numpy(float)
    volume = (
        _slope(np.arange(len(counts), dtype=float), np.log(counts))
        if len(counts) and counts.min() > 0
        else 0.0
    )
    amount = 0.0
    last = stage_field(table.stages[-1])
    if "amount" in leads and "outcome" in leads:
        won = leads[(leads["outcome"] == "won") & (leads["amount"] > 0) & (leads[last] <= as_of)]
        by_month = won.groupby(won[last].dt.to_period("M"))["amount"].agg(["size", "mean"])
        by_month = by_month.reindex(months).dropna()
        by_month = by_month[by_month["size"] >= MIN_WON]
        month = np.asarray([(m - months[0]).n for m in by_month.index], dtype=float)
        amount = _slope(month, np.log(by_month["mean"].to_numpy(float)))
    return Trends(volume=volume, amount=amount, months=len(counts))


def spreads(
    table: LeadTable, as_of: pd.Timestamp, steps: list[str], growth: float, maturity: dict
) -> tuple[np.ndarray, float, float]:
    since = (pd.Period(as_of, "M") - SPREAD_MONTHS).start_time
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
    volume = 0.0
    if len(counts):
        counts = counts.reindex(
            pd.period_range(counts.index.min(), current - 1, freq="M"), fill_value=0
        ).to_numpy(float)
        if len(counts) > RUN_MONTHS:
            trailing = np.convolve(counts, np.ones(RUN_MONTHS) / RUN_MONTHS, "valid")[:-1]
            trailing = trailing * np.exp(growth * (RUN_MONTHS + 1) / 2)
            actual = counts[RUN_MONTHS:]
            keep = (trailing > 0) & (actual > 0)
            actual, trailing = actual[keep][-SPREAD_MONTHS:], trailing[keep][-SPREAD_MONTHS:]
            errors = np.log(actual / trailing)
            noise = 1 / actual + 1 / (RUN_MONTHS * trailing)
            if len(errors) >= MIN_MONTHS:
                volume = float(np.sqrt(max(np.mean(errors**2) - np.mean(noise), 0.0)))
    amount = 0.0
    last = stage_field(table.stages[-1])
    if "amount" in leads and "outcome" in leads:
        won = leads[(leads["outcome"] == "won") & leads[last].between(since, as_of)]
        won = won[won["amount"] > 0]
        by_month = won.groupby(won[last].dt.to_period("M"))["amount"].agg(["size", "mean", "var"])
        by_month = by_month[(by_month["size"] >= SPREAD_MIN_WON) & (by_month.index != current)]
        cv2 = (by_month["var"] / by_month["mean"] ** 2 / by_month["size"]).to_numpy(float)
        amount = _between(np.log(by_month["mean"].to_numpy(float)), cv2)
    return rates, volume, amount


def history(table: LeadTable, as_of: pd.Timestamp, trend: bool = True) -> Reference:
    """History and open pipeline as known on `as_of`."""
    leads = table.leads
    reached = table.reached()
    steps, converted, exposure, durations = [], [], [], []
    for a, b in zip(table.stages, table.stages[1:], strict=False):
        days = np.sort(step_days(table, a, b).to_numpy())
        entered_at = leads[stage_field(a)]
        dated = entered_at.notna() & (entered_at <= as_of)
        waited = ((as_of - entered_at[dated]).dt.total_seconds() / DAY).to_numpy()
        steps.append(f"{a}→{b}")
        converted.append(int(reached.loc[dated, b].sum()))
        exposure.append(float((np.searchsorted(days, waited, side="right") / len(days)).sum()))
        durations.append(days)
    found = trends(table, as_of) if trend else Trends()
    won = (leads["outcome"] == "won") if "outcome" in leads else reached[table.stages[-1]]
    won_at = leads[stage_field(table.stages[-1])]
    if found.amount:
        won &= won_at >= as_of - pd.DateOffset(months=12)
    if "amount" in leads:
        won &= leads["amount"] > 0
    amounts = leads.loc[won, "amount"].to_numpy(float) if "amount" in leads else np.array([])
    ages = ((as_of - won_at[won]).dt.total_seconds() / DAY).to_numpy(float)
    maturity = {
        s: float(np.quantile(d, MATURITY_QUANTILE)) for s, d in zip(steps, durations, strict=True)
    }
    # the open pipeline: open leads before the last stage, at the furthest stage reached
    stage = reached.to_numpy().sum(axis=1) - 1
    is_open = (leads["outcome"] == "open").to_numpy() if "outcome" in leads else True
    times = leads[table.stage_columns].to_numpy()
    entered = times[np.arange(len(leads)), stage]
    keep = is_open & (stage < len(table.stages) - 1) & ~np.isnat(entered)
    age = (as_of - pd.Series(entered[keep])).dt.total_seconds().to_numpy() / DAY
    return Reference(
        converted=np.asarray(converted, dtype=float),
        exposure=np.asarray(exposure),
        durations=tuple(durations),
        amounts=amounts,
        ages=ages,
        trends=found,
        spreads=spreads(table, as_of, steps, found.volume, maturity),
        pipeline_ids=leads[ID].to_numpy()[keep],
        pipeline_stage=stage[keep],
        pipeline_age=np.maximum(age, 0.0),
    )


def won_in(table: LeadTable, first: pd.Timestamp, last: pd.Timestamp) -> tuple[float, int]:
    won_at = table.leads[stage_field(table.stages[-1])]
    won = won_at.notna() & (won_at >= first) & (won_at < last + pd.Timedelta(days=1))
    if "outcome" in table.leads:
        won &= table.leads["outcome"] == "won"
    amount = table.leads.loc[won, "amount"].sum() if "amount" in table.leads else np.nan
    return float(amount), int(won.sum())


def cumulative_won(table: LeadTable, first: pd.Timestamp, last: pd.Timestamp) -> pd.Series:
    won_at = table.leads[stage_field(table.stages[-1])]
    won = won_at.notna() & (won_at >= first) & (won_at < last + pd.Timedelta(days=1))
    if "outcome" in table.leads:
        won &= table.leads["outcome"] == "won"
    by_day = table.leads.loc[won].groupby(won_at[won].dt.normalize())["amount"].sum()
    return by_day.reindex(pd.date_range(first, last, freq="D"), fill_value=0.0).cumsum()


def entries_between(table: LeadTable, first: pd.Timestamp, last: pd.Timestamp) -> np.ndarray:
    stop = last.normalize() + pd.Timedelta(days=1)
    leads = table.leads
    return np.array(
        [int(((leads[c] >= first) & (leads[c] < stop)).sum()) for c in table.stage_columns]
    )


def created_between(table: LeadTable, first: pd.Timestamp, stop: pd.Timestamp) -> int:
    """Leads created from `first` up to, not including, `stop`."""
    created = table.leads[stage_field(table.stages[0])]
    return int(((created >= first) & (created < stop)).sum())
