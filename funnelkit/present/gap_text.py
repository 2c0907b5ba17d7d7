"""The gap bridge for people: each driver's name, its planned and actual values, its part of
the gap in revenue and in customers, and what would have been had it gone as planned.

Figures are marked with `Marks` under one scope (the window: '2026-10' or
'2026-07..2026-09'): 'gap.<driver>.<scope>' is a driver's part of the revenue gap,
'gap_customers.…' of the customers gap, 'gap_planned.…' and 'gap_actual.…' its values,
'gap_had.…' revenue had it gone as planned (all else as it was) as a fraction of plan.

Parts are shown in whole money (customers to a tenth), rounded so that the shown parts add
up to the shown gap, and each clause's total is the sum of its shown parts.
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
    SALES_SOURCED,
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
SENTENCES = 3  # the largest parts said in words (follow-up's always, when measured)

TaggedColumns = dict[str, list[tuple[str, float] | None]]


def shown_parts(parts: np.ndarray, total: float, unit: float = 1.0) -> np.ndarray:
    """`parts` rounded to multiples of `unit` so that they add up to `total` rounded the same
    way: each rounded down, then the largest remainders rounded up."""
    scaled = np.asarray(parts, dtype=float) / unit
    floor = np.floor(scaled)
    short = round(float(total / unit - floor.sum()))
    order = np.argsort(-(scaled - floor), kind="stable")
    floor[order[:short]] += 1
    return floor * unit


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
        return self.gap.actual_revenue / self.gap.planned_revenue

    @property
    def shown(self) -> np.ndarray:
        """Each driver's part of the revenue gap as shown: whole money, adding up to the gap."""
        return shown_parts(self.revenue.contributions, self.revenue.gap)

    def by_owner(self) -> dict[str, float]:
        """The shown parts added up per clause, marketing's, sales' and shared in that order."""
        out = {o: 0.0 for o in OWNERS}
        for d, part in zip(self.revenue.drivers, self.shown, strict=True):
            out[d.owner] += float(part)
        return {o: v for o, v in out.items() if any(d.owner == o for d in self.revenue.drivers)}

    def label(self, name: str) -> str:
        """A driver's name for people."""
        fixed = {
            LEADS: f"{self.names.plural_title(self.first_stage)} (marketing-sourced)",
            MIX: "Source mix",
            FOLLOW_UP: f"Follow-up within {self.window_minutes:g} min",
            DEAL_SIZE: "Deal size (marketing-sourced)",
            TIMING: "Timing of deals",
            SALES_SOURCED: "Sales' own sources",
        }
        return fixed.get(name) or f"{self.names.step(name)} rate"

    def value(self, name: str, value: float) -> str:
        """A driver's value as shown."""
        if name == LEADS:
            return count(value)
        if name in (DEAL_SIZE, SALES_SOURCED):
            return money(value, self.currency)
        return percent(value, 1)

    def order(self) -> list[int]:
        """The drivers' indices by owner (marketing's, sales', shared), each in the formula's
        order: the waterfall's and the table's order."""
        owners = list(OWNERS)
        drivers = self.revenue.drivers
        return sorted(range(len(drivers)), key=lambda i: owners.index(drivers[i].owner))

    def told(self) -> list[int]:
        """The drivers said in words: the SENTENCES largest parts (either way), largest first,
        and follow-up, when measured, after them."""
        largest = list(np.argsort(-np.abs(self.revenue.contributions), kind="stable"))
        told = largest[:SENTENCES]
        names = [d.name for d in self.revenue.drivers]
        if FOLLOW_UP in names and names.index(FOLLOW_UP) not in told:
            told.append(names.index(FOLLOW_UP))
        return [int(i) for i in told]


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


def gap_table(view: GapView) -> tuple[pd.DataFrame, TaggedColumns]:
    """One row per driver in `view.order()` (driver, clause, counted, planned, actual, its part
    of revenue and of customers), then revenue and customers from all sources; with each
    cell's mark (name, exact value) by column."""
    s, cur, g = view.scope, view.currency, view.gap
    c = view.customers
    customer_parts = dict(
        zip([d.name for d in c.drivers], shown_parts(c.contributions, c.gap, 0.1), strict=True)
    )
    exact_customers = dict(zip([d.name for d in c.drivers], c.contributions, strict=True))
    rows = []
    tags: TaggedColumns = {"planned": [], "actual": [], "to revenue": [], "to customers": []}
    for i in view.order():
        d, part = view.revenue.drivers[i], float(view.shown[i])
        rows.append(
            {
                "driver": view.label(d.name),
                "clause": TEAMS[d.owner],
                "counted": days(*g.counted[d.name], year=False),
                "planned": view.value(d.name, d.planned),
                "actual": view.value(d.name, d.actual),
                "to revenue": signed_money(part, cur),
                "to customers": signed(customer_parts[d.name]) if d.name in customer_parts else "–",
            }
        )
        tags["planned"].append((f"gap_planned.{d.name}.{s}", d.planned))
        tags["actual"].append((f"gap_actual.{d.name}.{s}", d.actual))
        tags["to revenue"].append((f"gap.{d.name}.{s}", float(view.revenue.contributions[i])))
        cust = exact_customers.get(d.name)
        tags["to customers"].append(None if cust is None else (f"gap_customers.{d.name}.{s}", cust))
    when = days(g.first, g.last, year=False)
    rows.append(
        {
            "driver": "Revenue, all sources",
            "clause": "",
            "counted": when,
            "planned": money(g.planned_revenue, cur),
            "actual": money(g.actual_revenue, cur),
            "to revenue": signed_money(round(view.revenue.gap), cur),
            "to customers": "",
        }
    )
    rows.append(
        {
            "driver": "Customers, all sources",
            "clause": "",
            "counted": when,
            "planned": f"{g.planned_customers:,.1f}",
            "actual": count(g.actual_customers),
            "to revenue": "",
            "to customers": signed(round(c.gap, 1)),
        }
    )
    tags["planned"] += [
        (f"gap_planned_revenue.{s}", g.planned_revenue),
        (f"gap_planned_customers.{s}", g.planned_customers),
    ]
    tags["actual"] += [
        (f"gap_actual_revenue.{s}", g.actual_revenue),
        (f"gap_actual_customers.{s}", float(g.actual_customers)),
    ]
    tags["to revenue"] += [(f"gap_total.revenue.{s}", view.revenue.gap), None]
    tags["to customers"] += [None, (f"gap_total.customers.{s}", c.gap)]
    return pd.DataFrame(rows), tags


def days(first: pd.Timestamp, last: pd.Timestamp, year: bool = True) -> str:
    """A span of days: '3 Aug – 2 Oct 2026' (without `year`: '3 Aug – 2 Oct'); a span over
    the turn of a year gives both years."""
    if first.year != last.year:
        return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b} – {last.day} {last:%b}" + (f" {last.year}" if year else "")


def signed(value: float) -> str:
    """A signed number to one decimal, with a true minus sign (joined to it); 0.0 unsigned."""
    shown = f"{abs(value):.1f}"
    if shown == "0.0":
        return shown
    return f"−\u2060{shown}" if value < 0 else f"+\u2060{shown}"


def signed_money(value: float, currency: str) -> str:
    """Money with its sign, a true minus: '+$3,641', '−$31,813' (a word joiner after the sign
    keeps it on the figure's line)."""
    shown = money(abs(value), currency)
    return f"−\u2060{shown}" if round(value) < 0 else f"+\u2060{shown}"


def summary(view: GapView, marks: Marks = PLAIN) -> str:
    """Plan, won and the gap by clause, in two sentences."""
    m, s, b, cur, g = marks, view.scope, view.revenue, view.currency, view.gap
    owners = view.by_owner()
    exact = b.by_owner()
    parts = [
        f"{OWNERS[o].lower()} "
        f"{m.figure(f'gap_owner.{o}.{s}', exact[o], signed_money(owners[o], cur))}"
        for o in owners
    ]
    planned = m.figure(f"gap_planned_revenue.{s}", g.planned_revenue, money(g.planned_revenue, cur))
    won = m.figure(f"gap_actual_revenue.{s}", g.actual_revenue, money(g.actual_revenue, cur))
    attained = m.figure(f"gap_attainment.{s}", view.attainment, percent(view.attainment))
    gap = m.figure(f"gap_total.revenue.{s}", b.gap, signed_money(round(b.gap), cur))
    return (
        f"Revenue planned for {days(g.first, g.last)}: {planned}; won: {won} ({attained} of "
        f"plan). The gap, {gap}, by clause of the agreement: "
        f"{'; '.join(parts)}. Each part below is what one driver going other than planned cost "
        "or brought; the parts add up to the gap."
    )


def counterfactual(view: GapView, i: int, marks: Marks = PLAIN) -> str:
    """What revenue would have been had driver `i` gone as planned and all else as it was
    (follow-up: had every hand-off been touched in time), as a sentence that names its owner
    and its part of the gap."""
    m, s, b, cur = marks, view.scope, view.revenue, view.currency
    d, part = b.drivers[i], float(view.shown[i])
    share = had(b, view.gap.revenue_of(), d.name, 1.0 if d.name == FOLLOW_UP else None)
    share /= view.gap.planned_revenue
    planned = m.figure(
        f"gap_planned.{d.name}.{s}",
        d.planned,
        view.value(d.name, d.planned),
    )
    actual = m.figure(
        f"gap_actual.{d.name}.{s}",
        d.actual,
        view.value(d.name, d.actual),
    )
    names, g = view.names, view.gap
    if d.name == LEADS:
        what = (
            f"marketing delivered the planned {planned} "
            f"{m.text(names.plural(view.first_stage))} (not {actual})"
        )
    elif d.name == MIX:
        what = (
            "the leads come from their sources in history's mix (this mix's sources convert at "
            f"{actual} of it)"
        )
    elif d.name == FOLLOW_UP:
        what = (
            f"every hand-off been touched within {view.window_minutes:g} minutes ({actual} "
            f"were; the plan's rates were measured when {planned} were)"
        )
    elif d.name == DEAL_SIZE:
        deals = "deal" if g.marketing_wins == 1 else "deals"
        what = (
            f"marketing-sourced deals averaged the planned {planned} (not {actual}, over "
            f"{count(g.marketing_wins)} {deals})"
        )
    elif d.name == TIMING:
        what = (
            f"deals closed on the plan's days ({actual} of the deals these leads and rates "
            f"imply were won by {g.last.day} {g.last:%b})"
        )
    elif d.name == SALES_SOURCED:
        won = g.actual_customers - g.marketing_wins
        what = (
            f"sales' own sources brought the planned {planned} (not {actual}, from "
            f"{count(won)} {'deal' if won == 1 else 'deals'})"
        )
    else:
        what = f"the {m.text(names.step(d.name))} rate been the planned {planned} (not {actual})"
    contribution = m.figure(f"gap.{d.name}.{s}", float(b.contributions[i]), signed_money(part, cur))
    attained = m.figure(f"gap_attainment.{s}", view.attainment, percent(view.attainment))
    return (
        f"{OWNERS[d.owner]}: {m.text(view.label(d.name))} {contribution}. Had {what}, all else "
        f"as it was, revenue would be "
        f"{m.figure(f'gap_had.{d.name}.{s}', share, percent(share))} of plan instead of "
        f"{attained}."
    )
