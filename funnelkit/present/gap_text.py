"""The gap bridge for people: each driver's name, its planned and actual values, its
contribution to revenue and to customers, and what would have been had it gone as planned.

Figures are marked with `Marks` under one scope (the window, e.g. '2026-10' or
'2026-07..2026-09'): 'gap.<driver>.<scope>' is a driver's contribution to revenue,
'gap_customers.…' to customers, 'gap_planned.…' and 'gap_actual.…' its values, 'gap_had.…'
revenue had it gone as planned as a fraction of plan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from funnelkit.actuals.gap import (
    DEAL_SIZE,
    FOLLOW_UP,
    LEADS,
    MARKETING,
    MIX,
    SALES,
    SHARE,
    SHARED,
    TIMING,
    GapDrivers,
)
from funnelkit.core.formats import count, money, percent
from funnelkit.core.marks import PLAIN, Marks
from funnelkit.plan.bridge import Bridge, had
from funnelkit.plan.stage_names import DEFAULT_NAMES, StageNames

OWNERS = {MARKETING: "Marketing's clause", SALES: "Sales' clause", SHARED: "Shared"}
TEAMS = {MARKETING: "Marketing", SALES: "Sales", SHARED: "Shared"}  # the table's clause column


@dataclass(frozen=True)
class GapView:
    """A period's drivers with both bridges and what the report calls them."""

    gap: GapDrivers
    revenue: Bridge
    customers: Bridge
    scope: str  # the tag scope: '2026-10' or '2026-07..2026-09'
    currency: str
    window_minutes: float  # the SLA's first-touch window
    first_stage: str  # the funnel's first stage, whose volume the leads driver is
    names: StageNames = DEFAULT_NAMES

    @property
    def attainment(self) -> float:
        """Revenue won as a fraction of revenue planned for the window."""
        return self.revenue.actual / self.revenue.planned

    def label(self, name: str) -> str:
        """A driver's name for people."""
        names = self.names
        fixed = {
            LEADS: f"{names.plural_title(self.first_stage)} (marketing-sourced)",
            MIX: "Source mix",
            FOLLOW_UP: f"Follow-up within {self.window_minutes:g} min",
            DEAL_SIZE: "Deal size",
            TIMING: "Timing",
            SHARE: "Sales' own sources",
        }
        return fixed.get(name) or f"{names.step(name)} rate"

    def value(self, name: str, value: float) -> str:
        """A driver's value as shown."""
        if name == LEADS:
            return count(value)
        if name == DEAL_SIZE:
            return money(value, self.currency)
        if name == SHARE:
            return percent(1 - value)  # shown as sales' own sources' share
        return percent(value, 1)

    def order(self) -> list[int]:
        """The drivers' indices by owner (marketing's, sales', shared), each in the formula's
        order: the waterfall's and the table's order."""
        owners = list(OWNERS)
        return sorted(
            range(len(self.revenue.drivers)),
            key=lambda i: owners.index(self.revenue.drivers[i].owner),
        )

    def largest(self) -> list[int]:
        """The drivers' indices, largest contribution to revenue (either way) first."""
        return list(np.argsort(-np.abs(self.revenue.contributions), kind="stable"))


def gap_view(
    gap: GapDrivers,
    scope: str,
    currency: str,
    window_minutes: float,
    first_stage: str,
    names: StageNames = DEFAULT_NAMES,
) -> GapView:
    """Both bridges of `gap`, ready to show."""
    return GapView(
        gap, gap.revenue(), gap.customers(), scope, currency, window_minutes, first_stage, names
    )


def gap_table(view: GapView) -> tuple[pd.DataFrame, dict[str, list[tuple[str, float] | None]]]:
    """One row per driver in `view.order()`: driver, clause, planned, actual, revenue and
    customers contributions; with each cell's mark (name, exact value) by column."""
    s = view.scope
    customers = {
        d.name: c for d, c in zip(view.customers.drivers, view.customers.contributions, strict=True)
    }
    rows = []
    tags: dict[str, list[tuple[str, float] | None]] = {
        "planned": [],
        "actual": [],
        "to revenue": [],
        "to customers": [],
    }
    for i in view.order():
        d, c = view.revenue.drivers[i], float(view.revenue.contributions[i])
        shown_planned = (1 - d.planned) if d.name == SHARE else d.planned
        shown_actual = (1 - d.actual) if d.name == SHARE else d.actual
        cust = customers.get(d.name)
        rows.append(
            {
                "driver": view.label(d.name),
                "clause": TEAMS[d.owner],
                "counted": days(*view.gap.counted[d.name], year=False),
                "planned": view.value(d.name, d.planned),
                "actual": view.value(d.name, d.actual),
                "to revenue": _signed_money(c, view.currency),
                "to customers": "–" if cust is None else signed(cust),
            }
        )
        tags["planned"].append((f"gap_planned.{d.name}.{s}", shown_planned))
        tags["actual"].append((f"gap_actual.{d.name}.{s}", shown_actual))
        tags["to revenue"].append((f"gap.{d.name}.{s}", c))
        tags["to customers"].append(None if cust is None else (f"gap_customers.{d.name}.{s}", cust))
    return pd.DataFrame(rows), tags


def days(first: pd.Timestamp, last: pd.Timestamp, year: bool = True) -> str:
    """A span of days: '3 Aug – 2 Oct 2026' (without `year`: '3 Aug – 2 Oct'); a span over
    the turn of a year gives both years."""
    if first.year != last.year:
        return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b} – {last.day} {last:%b}" + (f" {last.year}" if year else "")


def signed(value: float) -> str:
    """A signed number to one decimal, with a true minus sign; 0.0 unsigned."""
    shown = f"{abs(value):.1f}"
    if shown == "0.0":
        return shown
    return f"−{shown}" if value < 0 else f"+{shown}"


def _signed_money(value: float, currency: str) -> str:
    shown = money(abs(value), currency)
    return f"−{shown}" if round(value) < 0 else f"+{shown}"


def summary(view: GapView, marks: Marks = PLAIN) -> str:
    """Plan, actual and the gap by clause in one sentence."""
    m, s, b, cur = marks, view.scope, view.revenue, view.currency
    owners = b.by_owner()
    parts = [
        f"{OWNERS[o].lower()} {m.figure(f'gap_owner.{o}.{s}', owners[o], _signed_money(owners[o], cur))}"
        for o in OWNERS
        if o in owners
    ]
    return (
        f"Revenue planned for {days(view.gap.first, view.gap.last)}: {m.figure(f'gap_planned_revenue.{s}', b.planned, money(b.planned, cur))}; "
        f"won: {m.figure(f'gap_actual_revenue.{s}', b.actual, money(b.actual, cur))} "
        f"({m.figure(f'gap_attainment.{s}', view.attainment, percent(view.attainment))} of plan). "
        f"By clause: {'; '.join(parts)}."
    )


def counterfactual(view: GapView, i: int, marks: Marks = PLAIN) -> str:
    """What revenue would have been had driver `i` gone as planned (follow-up: had every
    hand-off been touched in time), as a sentence that names its owner and contribution."""
    m, s, b, cur = marks, view.scope, view.revenue, view.currency
    d, c = b.drivers[i], float(b.contributions[i])
    revenue = view.gap.revenue_of()
    ideal = 1.0 if d.name == FOLLOW_UP else None
    share = had(b, revenue, d.name, ideal) / b.planned
    planned = m.figure(
        f"gap_planned.{d.name}.{s}",
        (1 - d.planned) if d.name == SHARE else d.planned,
        view.value(d.name, d.planned),
    )
    actual = m.figure(
        f"gap_actual.{d.name}.{s}",
        (1 - d.actual) if d.name == SHARE else d.actual,
        view.value(d.name, d.actual),
    )
    names = view.names
    if d.name == LEADS:
        what = f"marketing delivered the planned {planned} {m.text(names.plural(view.first_stage))} (not {actual})"
    elif d.name == MIX:
        what = f"the leads come in history's mix of sources (this mix converts at {actual} of it)"
    elif d.name == FOLLOW_UP:
        what = (
            f"every hand-off been touched within {view.window_minutes:g} minutes "
            f"({actual} were; the plan's rates assume history's {planned})"
        )
    elif d.name == DEAL_SIZE:
        what = f"deals averaged the planned {planned} (not {actual})"
    elif d.name == TIMING:
        what = (
            f"deals closed on the plan's timing ({actual} of what the window's leads and rates "
            f"imply was won in it, against the plan's {planned})"
        )
    elif d.name == SHARE:
        what = f"sales' own sources brought the planned {planned} of revenue (not {actual})"
    else:
        what = f"the {m.text(names.step(d.name))} rate been the planned {planned} (not {actual})"
    contribution = m.figure(f"gap.{d.name}.{s}", c, _signed_money(c, cur))
    attained = m.figure(f"gap_attainment.{s}", view.attainment, percent(view.attainment))
    return (
        f"{OWNERS[d.owner]}: {m.text(view.label(d.name))} {contribution}. Had "
        f"{what}, revenue would be {m.figure(f'gap_had.{d.name}.{s}', share, percent(share))} "
        f"of plan instead of {attained}."
    )
