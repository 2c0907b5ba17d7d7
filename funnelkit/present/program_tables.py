"""The program plan's tables for people: per channel what it must bring and costs, spend by
lead month, and what history measured. Volumes are whole (each rounded up from its exact
value), money carries the plan's currency; a figure that cannot be had shows '–'."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from funnelkit.core.formats import count, money, multiple, percent
from funnelkit.core.rounding import whole_units
from funnelkit.model.program import ProgramPlan
from funnelkit.plan.stage_names import StageNames


def _money(value: float, currency: str) -> str:
    return money(value, currency) if math.isfinite(value) else "–"


def channels_frame(
    program: ProgramPlan, stages: tuple[str, ...], currency: str, names: StageNames
) -> pd.DataFrame:
    """One row per planned channel: its team, the leads it must bring over the lead months,
    the second stage's volume and the customers they become, their revenue, its spend, cost
    per lead, CAC, revenue per unit spent and (given a margin) months to repay the CAC."""
    rows = []
    for team in program.teams.values():
        if team.plan is None:
            continue
        p = team.plan
        payback = program.payback(p)
        for i, c in enumerate(p.channels):
            row = {
                "team": team.team,
                "channel": c.name,
                names.plural(stages[0]): count(whole_units(p.stage_volumes[i, 0])),
                names.plural(stages[1]): count(whole_units(p.stage_volumes[i, 1])),
                f"{names.plural(stages[-1])} (expected)": f"{p.customers[i]:,.1f}",
                "revenue": money(p.revenue[i], currency),
                "spend": money(p.spend[i].sum(), currency),
                "cost per lead": money(c.cost_per_lead, currency),
                "CAC": _money(p.cac[i], currency),
                "revenue ÷ spend": multiple(p.revenue_per_spend[i]),
            }
            if payback is not None:
                row["payback (months)"] = (
                    "–" if not math.isfinite(payback[i]) else f"{payback[i]:.1f}"
                )
            rows.append(row)
    return pd.DataFrame(rows)


def spend_frame(program: ProgramPlan, currency: str) -> pd.DataFrame:
    """Spend per channel and lead month, each team's channels, with a total row."""
    rows, total = [], None
    for team in program.teams.values():
        if team.plan is None:
            continue
        for c, spend in zip(team.plan.channels, team.plan.spend, strict=True):
            rows.append({"channel": c.name, **dict(zip(program.months, spend, strict=True))})
            total = spend if total is None else total + spend
    if total is None:
        return pd.DataFrame()
    rows.append({"channel": "total", **dict(zip(program.months, total, strict=True))})
    frame = pd.DataFrame(rows)
    for m in program.months:
        frame[m] = [money(v, currency) for v in frame[m]]
    return frame


def history_frame(
    program: ProgramPlan, stages: tuple[str, ...], currency: str, names: StageNames
) -> pd.DataFrame:
    """What history measured per channel: its leads and spend over the months the costs file
    covers, cost per lead, per second-stage lead and per customer; its rate from the first
    stage to the last pooled towards the overall funnel, its own, the median days its steps
    took (summed) and the leads of evidence behind the first step's rate."""
    first, second, last = names.label(stages[0]), names.label(stages[1]), names.label(stages[-1])
    f = program.funnels
    index = {s: i for i, s in enumerate(f.segments)}
    rows = []
    for _, r in program.measured.frame.iterrows():
        i = index[r["channel"]]
        pooled = float(f.rates[i].prod())
        own = float(f.own_rates[i].prod())
        rows.append(
            {
                "channel": r["channel"],
                names.plural(stages[0]): count(r["leads"]),
                "spend": money(r["spend"], currency),
                f"cost per {first}": _money(r["cost_per_lead"], currency),
                f"cost per {second}": _money(r["cost_per_mql"], currency),
                f"cost per {last}": _money(r["cac"], currency),
                f"{first}→{last} (pooled)": percent(pooled, 2),
                "own": percent(own, 2),
                f"days to {last}": f"{np.nansum(f.days[i]):.0f}",
                f"{names.plural(stages[0])} of evidence": count(f.effective_leads[i, 0]),
            }
        )
    return pd.DataFrame(rows)
