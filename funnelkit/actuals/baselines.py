"""Baselines for planning (article 003), measured from history and returned as the very
inputs the plan arithmetic takes: a `Funnel` (step rates and days), the average deal size,
the share of revenue from marketing-sourced leads, the sales cycle and the lead close rate.

Step rates come from mature leads only: those that entered the step's first stage at least
the step's maturity days (`actuals.maturity_days`) before `as_of`, so recent leads that have
not had time to convert do not pull the rates down. Step days are the median observed days.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from funnelkit.actuals.measures import maturity_days, step_days
from funnelkit.core.exceptions import InputError
from funnelkit.core.types import DateLike
from funnelkit.crm.fields import stage_field
from funnelkit.crm.leads import LeadTable
from funnelkit.plan.funnel import Funnel, step_name
from funnelkit.plan.targets import ReversePlan, reverse_plan


@dataclass(frozen=True)
class Baselines:
    """What history says: the inputs of a plan, and how they were measured."""

    funnel: Funnel  # step rates (fractions 0–1) and median days, from mature leads
    deal_size: float | None  # mean amount of won leads, money; None without amounts
    marketing_share: float | None  # fraction 0–1 of won revenue from marketing sources
    sales_cycle_days: float | None  # median days from first to last stage
    leads_measured: dict[str, int]  # per step, the mature leads its rate rests on
    notes: tuple[str, ...] = field(default=())  # how anything unusual was measured
    untimed: tuple[str, ...] = field(default=())  # steps whose days were given, not measured

    @property
    def lead_close_rate(self) -> float:
        """Fraction (0–1) of first-stage leads that reach the last stage: the step rates' product."""
        return self.funnel.overall_rate

    def reverse_plan(
        self, revenue_goal: float, marketing_share: float | None = None
    ) -> ReversePlan:
        """The reverse plan for a revenue goal at these baselines (the measured share unless given)."""
        share = self.marketing_share if marketing_share is None else marketing_share
        if share is None or self.deal_size is None:
            raise InputError(
                "'baselines' must have a deal size and a marketing share to plan (the export lacks amounts or sources); pass marketing_share"
            )
        return reverse_plan(revenue_goal, share, self.deal_size, self.funnel)


def mature_cohort(
    table: LeadTable, stage: str, maturity: float, as_of: pd.Timestamp | None = None
) -> tuple[pd.Series, str]:
    """The leads a rate out of `stage` rests on: those that entered it at least `maturity`
    days before `as_of` (default the table's); every lead that reached it when the export
    dates no entry into it (with a note saying so, else '')."""
    entered = table.leads[stage_field(stage)]
    if entered.notna().any() and np.isfinite(maturity):
        as_of = table.as_of if as_of is None else as_of
        return entered.notna() & (entered + pd.to_timedelta(maturity, unit="D") <= as_of), ""
    note = f"no dated entries into '{stage}', so the rate uses every lead that reached it"
    return table.reached()[stage], note


def measure_baselines(
    table: LeadTable,
    marketing_sources: tuple[str, ...] | None = None,
    as_of: DateLike | None = None,
    days: dict[str, float] | None = None,
    fallback_days: dict[str, float] | None = None,
) -> Baselines:
    """Measure the plan's inputs from a lead table.

    `marketing_sources` (default: the mapping's) says which sources count as marketing.
    `days` gives the typical days of steps, used instead of measuring them; `fallback_days`
    those of steps the export cannot time (no dated pairs), e.g. the plan's own.
    """
    as_of = table.as_of if as_of is None else pd.Timestamp(as_of)
    sources = table.mapping.marketing_sources if marketing_sources is None else marketing_sources
    days = days or {}
    fallback_days = fallback_days or {}
    reached = table.reached()
    maturity = maturity_days(table)
    rates, step_medians, measured, notes = [], [], {}, []
    untimed: list[str] = []
    for a, b in zip(table.stages, table.stages[1:], strict=False):
        step = step_name(a, b)
        cohort, note = mature_cohort(table, a, maturity[step], as_of)
        if note:
            notes.append(f"{step}: {note}")
        n = int(cohort.sum())
        if n == 0 or not reached.loc[cohort, a].any():
            raise InputError(
                f"'baselines' for step '{step}' need leads that entered '{a}' long enough ago (got none before {as_of:%Y-%m-%d})"
            )
        rates.append(float(reached.loc[cohort, b].sum() / reached.loc[cohort, a].sum()))
        measured[step] = n
        observed = step_days(table, a, b)
        if step in days:
            step_medians.append(days[step])
            notes.append(f"{step}: days given ({days[step]:g}), not measured")
            untimed.append(step)
        elif len(observed):
            step_medians.append(float(observed.median()))
        elif step in fallback_days:
            step_medians.append(fallback_days[step])
            notes.append(f"{step}: the export cannot time it; days taken from the plan")
            untimed.append(step)
        else:
            raise InputError(
                f"'days' for step '{step}' must be given: the export has no dated pairs to measure it"
            )
    if any(r == 0 for r in rates):
        step = step_name(*table.stages[rates.index(0) : rates.index(0) + 2])
        raise InputError(
            f"'conversion_rate' for step '{step}' must be in (0, 1] (got 0: no mature lead converted)"
        )
    funnel = Funnel(table.stages, tuple(rates), tuple(step_medians))
    leads = table.leads
    won = leads["outcome"] == "won"
    deal_size = share = None
    if "amount" in leads and leads.loc[won, "amount"].notna().any():
        amounts = leads.loc[won, "amount"]
        deal_size = float(amounts.mean())
        if "source" in leads:
            revenue = amounts.fillna(0)
            share = float(revenue[leads.loc[won, "source"].isin(sources)].sum() / revenue.sum())
    cycle = step_days(table, table.stages[0], table.stages[-1])
    return Baselines(
        funnel=funnel,
        deal_size=deal_size,
        marketing_share=share,
        sales_cycle_days=float(cycle.median()) if len(cycle) else None,
        leads_measured=measured,
        untimed=tuple(untimed),
        notes=tuple(notes),
    )
