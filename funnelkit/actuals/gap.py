"""Why revenue is off plan: the drivers of a period's revenue, as planned and as measured on
the export, ready for the gap bridge (`plan.bridge`).

The plan's funnel is marketing's part of the goal; the rest comes from sales' own sources.
Revenue to date is, in the plan's own arithmetic,

    revenue = leads × mix × (each step's rate) × follow-up × deal size × timing
              + revenue from sales' own sources

- leads: marketing-sourced entries into the first stage in its window (the days of revenue
  counted, from the window's first day to the as-of day, shifted earlier by the first stage's
  lag: the leads whose planned wins fall in it), against the plan's phased volume;
- each step's rate: of the entries into the step's stage in that stage's window that have had
  the step's maturity days, the share that took the step, with the plan's rate counted as
  PRIOR_ENTRIES entries so that a handful of entries cannot make it 0 (the plan's rate as
  planned);
- mix: per step, the rate the sources' history gives the window's entries in their actual mix
  against history's mix (1 as planned); the steps' rates are what is left after it;
- follow-up: the share of hand-offs touched within the SLA's window, valued by history's
  rate of hand-offs touched in time against the others (`actuals.follow_up_effect`); planned
  at history's share, which the plan's rate was measured at;
- deal size: the mean won amount of marketing-sourced deals in the window;
- timing: wins in the window against what the window's leads and rates imply: deals that
  slipped past the window, or closed sooner than the plan's days (1 as planned);
- sales' own sources: the revenue (customers, in the customers' bridge) won in the window
  from sources the mapping does not count as marketing's; planned at the part of the goal the
  marketing share leaves to them.

Each driver's owner is the clause of the agreement it belongs to: marketing's (leads, mix,
the steps up to the hand-off), sales' (follow-up, the steps after the hand-off, deal size,
sales' own sources) or shared (the hand-off step, timing).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from funnelkit.actuals.follow_up_effect import FollowUpEffect, follow_up_effect
from funnelkit.actuals.followup import response_minutes, touches_recorded
from funnelkit.actuals.measures import maturity_days
from funnelkit.actuals.review import check_stages, day_number, day_timestamp
from funnelkit.actuals.segments import segment_funnels
from funnelkit.core.exceptions import InputError
from funnelkit.core.types import DateLike
from funnelkit.crm.fields import stage_field
from funnelkit.crm.leads import LeadTable
from funnelkit.crm.sourcing import marketing_mask, sourcing_note, tells_sources
from funnelkit.plan.bridge import Bridge, Driver, Revenue, bridge
from funnelkit.plan.build import Plan
from funnelkit.plan.funnel import step_name
from funnelkit.plan.phasing import month_edges, month_weights, spread

MARKETING, SALES, SHARED = "marketing", "sales", "shared"
CANNOT_SPLIT = "the gap to plan cannot be split"  # what its errors say first, after the export
LEADS, MIX, FOLLOW_UP, DEAL_SIZE, TIMING, SALES_SOURCED = (
    "leads",
    "mix",
    "follow_up",
    "deal_size",
    "timing",
    "sales_sourced",
)
MIX_BY = "source"  # the lead column whose values the mix is of
PRIOR_ENTRIES = 5.0  # a step's measured rate counts the plan's rate as this many entries


@dataclass(frozen=True)
class GapDrivers:
    """A period's drivers of revenue and of customers, planned and actual."""

    first: pd.Timestamp  # first day revenue counts
    last: pd.Timestamp  # last day counted: the as-of day or the period's last day
    drivers: tuple[Driver, ...]  # in the order of the formula; `SALES_SOURCED` in money
    sales_customers: Driver  # customers from sales' own sources, for the customers' bridge
    planned_revenue: float  # money
    actual_revenue: float  # money
    planned_customers: float  # exact
    actual_customers: int
    marketing_wins: int  # marketing-sourced deals won in the window (the deal size rests on)
    follow_up: FollowUpEffect | None  # what following up in time was worth on history
    counted: dict[str, tuple[pd.Timestamp, pd.Timestamp]]  # per driver: first and last day
    # of the entries (or wins) it is measured on
    notes: tuple[str, ...]  # drivers left out, and why
    unripe: dict[str, float]  # steps no entry in the window has had its maturity days for
    # (its rate is then the plan's): step -> those days

    def revenue_of(self) -> Revenue:
        """Revenue from the drivers' values (the bridge's function)."""
        return _revenue_function(self.follow_up, self._planned(FOLLOW_UP))

    def revenue(self) -> Bridge:
        """The revenue bridge: each driver's Shapley contribution to the gap, money."""
        return bridge(self.drivers, self.revenue_of())

    def customers(self) -> Bridge:
        """The customers bridge: the drivers without deal size, sales' own customers instead
        of their revenue; contributions in customers."""
        kept = [d for d in self.drivers if d.name not in (DEAL_SIZE, SALES_SOURCED)]
        kept.append(self.sales_customers)
        return bridge(kept, self.revenue_of())

    def _planned(self, name: str) -> float | None:
        return next((d.planned for d in self.drivers if d.name == name), None)


def _revenue_function(effect: FollowUpEffect | None, planned_share: float | None) -> Revenue:
    """The product of the drivers, follow-up as its factor on the hand-off rate, plus what
    sales' own sources brought."""

    def revenue(values: Mapping[str, np.ndarray]) -> np.ndarray:
        total = np.ones_like(next(iter(values.values())), dtype=float)
        for name, value in values.items():
            if name == SALES_SOURCED:
                continue
            if name == FOLLOW_UP and effect is not None and planned_share is not None:
                total = total * follow_up_factor(effect, value, planned_share)
            else:
                total = total * value
        return total + values.get(SALES_SOURCED, 0.0)

    return revenue


def follow_up_factor(effect: FollowUpEffect, share: np.ndarray, planned: float) -> np.ndarray:
    """The hand-off step's rate with `share` (0–1) of hand-offs touched in time, as a multiple
    of its rate at the `planned` share, by history's rates in time and otherwise."""
    fast, slow = effect.rates
    return (slow + (fast - slow) * np.asarray(share)) / (slow + (fast - slow) * planned)


def gap_drivers(
    plan: Plan,
    table: LeadTable,
    months: tuple[int, int] | None = None,
    as_of: DateLike | None = None,
) -> GapDrivers:
    """The drivers of revenue for the plan's months `months` (first, last + 1, indices into
    the plan period; default the whole period) up to `as_of` (default the export's)."""
    check_stages(plan, table)
    p, stages = plan.params, plan.params.funnel.stages
    first_month, end_month = (0, p.months) if months is None else months
    if not 0 <= first_month < end_month <= p.months:
        raise InputError(
            f"'months' must be plan months from 0 to {p.months} (got {first_month}, {end_month})"
        )
    as_of = pd.Timestamp(table.as_of if as_of is None else as_of)
    edges = month_edges(p.start, p.months).astype(np.int64).astype(float)
    if day_number(as_of) < edges[first_month]:
        raise InputError(
            f"the gap to plan needs actuals from {day_timestamp(edges[first_month]):%Y-%m-%d} "
            f"on (the export's as-of day is {as_of:%Y-%m-%d})"
        )
    weights = month_weights(p.months, p.weights)
    chosen = np.zeros(p.months)
    chosen[first_month:end_month] = weights[first_month:end_month]
    lags = np.asarray(p.funnel.days_to_last, dtype=float)
    stop = min(edges[end_month], day_number(as_of) + 1)
    # each stage's window is the revenue window shifted earlier by the stage's lag: the
    # entries whose planned wins fall in it (so a month's bridge and its period's agree)
    span = np.array([edges[first_month], stop])  # the revenue window, as day numbers
    zero_lags = np.zeros(len(stages))
    planned_volumes = spread(np.outer(plan.targets.volumes, chosen), edges, zero_lags, span)[0]
    starts, ends = span[0] - lags, span[1] - lags

    leads = table.leads
    notes: list[str] = []
    unripe: dict[str, float] = {}
    marketing = marketing_mask(table)
    if not tells_sources(table):
        notes.append(f"{sourcing_note(table)}, and sales' own sources as bringing nothing")
    entered = []  # per stage: marketing-sourced entries within its window
    for k, stage in enumerate(stages):
        times = leads[stage_field(stage)]
        inside = (times >= day_timestamp(starts[k])) & (times < day_timestamp(ends[k]))
        entered.append(inside.to_numpy() & marketing)
    won_at = leads[stage_field(stages[-1])]
    won_window = (
        (won_at >= day_timestamp(edges[first_month]))
        & (won_at < day_timestamp(stop))
        & (leads["outcome"] == "won")
    ).to_numpy()
    amounts = (
        leads["amount"].to_numpy(dtype=float, na_value=np.nan)
        if "amount" in leads
        else np.full(len(leads), np.nan)
    )
    paid = np.nan_to_num(amounts)
    revenue_all = float(paid[won_window].sum())
    revenue_marketing = float(paid[won_window & marketing].sum())
    wins_marketing = int((won_window & marketing).sum())
    wins_all = int(won_window.sum())

    reached = table.reached()
    maturity = maturity_days(table)
    handoff = plan.sla.terms.handoff_stage
    h = stages.index(handoff)
    window = plan.sla.terms.first_touch_minutes
    mix = _mix_factors(table, plan, entered, notes)
    effect = _follow_up(table, window, handoff, notes)
    drivers = [Driver(LEADS, planned_volumes[0], float(entered[0].sum()), MARKETING)]
    if mix is not None:
        drivers.append(Driver(MIX, 1.0, float(np.prod(mix)), MARKETING))
    rates_actual = []
    for k, (a, b) in enumerate(itertools.pairwise(stages)):
        step = step_name(a, b)
        days = maturity[step] if np.isfinite(maturity[step]) else p.funnel.days[k]
        times = leads[stage_field(a)]
        ripe = entered[k] & (times <= as_of - pd.Timedelta(days=float(days))).to_numpy()
        planned_rate = p.funnel.conversion_rates[k]
        took = float((ripe & reached[b].to_numpy()).sum())
        rate = (took + PRIOR_ENTRIES * planned_rate) / (ripe.sum() + PRIOR_ENTRIES)
        if ripe.sum() == 0:  # no evidence yet: the plan's rate, moved by the mix alone
            unripe[step] = float(days)
            rate = planned_rate * (mix[k] if mix is not None else 1.0)
        rates_actual.append(rate)
        residual = rate / (mix[k] if mix is not None else 1.0)
        if k == h and effect is not None:
            share = _share_in_time(table, entered[h], handoff, window, as_of)
            planned_share = effect.in_time[1] / (effect.in_time[1] + effect.others[1])
            if np.isfinite(share):
                factor = float(follow_up_factor(effect, np.array(share), planned_share))
                drivers.append(Driver(FOLLOW_UP, planned_share, share, SALES))
                residual /= factor
            else:
                notes.append("follow-up: no hand-off in the window yet; left out")
        owner = MARKETING if k + 1 <= h else SHARED if k == h else SALES
        drivers.append(Driver(step, planned_rate, residual, owner))
    implied = entered[0].sum() * float(np.prod(rates_actual))
    planned_flow = planned_volumes[0] * float(np.prod(p.funnel.conversion_rates))
    planned_timing = planned_volumes[-1] / planned_flow if planned_flow > 0 else 1.0
    if implied > 0:
        timing = wins_marketing / implied
    elif wins_marketing == 0:
        timing = planned_timing
    else:
        raise InputError(
            f"{table.source}: {CANNOT_SPLIT}: {wins_marketing} marketing-"
            "sourced deals were won in the window, but it has no marketing-sourced "
            f"{stages[0]} entries"
        )
    deal_size = revenue_marketing / wins_marketing if wins_marketing else p.deal_size
    drivers.append(Driver(DEAL_SIZE, p.deal_size, deal_size, SALES))
    drivers.append(Driver(TIMING, planned_timing, timing, SHARED))
    stage_days = {
        s: (day_timestamp(starts[k]), day_timestamp(ends[k] - 1)) for k, s in enumerate(stages)
    }
    revenue_days = (day_timestamp(edges[first_month]), day_timestamp(stop - 1))
    counted = {
        LEADS: stage_days[stages[0]],
        MIX: stage_days[stages[0]],
        FOLLOW_UP: stage_days[handoff],
        **{step_name(a, b): stage_days[a] for a, b in itertools.pairwise(stages)},
        DEAL_SIZE: revenue_days,
        TIMING: revenue_days,
        SALES_SOURCED: revenue_days,
    }
    # sales' own sources bring the part of the goal the marketing share leaves them; without
    # sources in the export every lead counted as marketing's, so they brought none apart
    others = (1 - p.marketing_share) / p.marketing_share
    planned_customers = float(planned_volumes[-1])
    drivers.append(
        Driver(
            SALES_SOURCED,
            planned_customers * p.deal_size * others,
            revenue_all - revenue_marketing,
            SALES,
        )
    )
    sales_customers = Driver(
        SALES_SOURCED, planned_customers * others, float(wins_all - wins_marketing), SALES
    )
    unmeasured = [d.name for d in drivers if not np.isfinite(d.actual)]
    if unmeasured:  # e.g. no lead in history has taken the last step: no deal won yet
        steps = [n for n in unmeasured if n in plan.params.funnel.steps] or unmeasured
        raise InputError(
            f"{table.source}: {CANNOT_SPLIT}: no lead in the export has "
            f"taken {' or '.join(steps)} yet, so history gives no rate to set against the plan"
        )
    return GapDrivers(
        first=day_timestamp(edges[first_month]),
        last=day_timestamp(stop - 1),
        drivers=tuple(drivers),
        sales_customers=sales_customers,
        planned_revenue=planned_customers * p.deal_size / p.marketing_share,
        actual_revenue=revenue_all,
        planned_customers=planned_customers / p.marketing_share,
        actual_customers=wins_all,
        marketing_wins=wins_marketing,
        follow_up=effect,
        counted=counted,
        notes=tuple(notes),
        unripe=unripe,
    )


def _mix_factors(
    table: LeadTable, plan: Plan, entered: list[np.ndarray], notes: list[str]
) -> np.ndarray | None:
    """Per step, the rate the window's entries would take at their sources' history rates,
    as a multiple of the rate history's mix gives; None without sources."""
    if MIX_BY not in table.leads:
        notes.append("mix: the export has no sources; left out")
        return None
    try:
        funnels = segment_funnels(table, MIX_BY)
    except InputError as err:  # e.g. a step no source has mature leads for yet
        notes.append(f"mix: {err}; left out")
        return None
    source = table.leads[MIX_BY].astype("string")
    codes = pd.Categorical(source, categories=funnels.segments).codes
    factors = []
    for k in range(len(plan.params.funnel.stages) - 1):
        rates = funnels.rates[:, k]
        usual = funnels.entered[:, k] @ rates / funnels.entered[:, k].sum()
        inside = entered[k] & (codes >= 0)
        counts = np.bincount(codes[inside], minlength=len(funnels.segments))
        with np.errstate(invalid="ignore", divide="ignore"):  # a step nobody took: NaN
            factors.append(counts @ rates / counts.sum() / usual if counts.sum() else 1.0)
    return np.asarray(factors, dtype=float)


def _follow_up(
    table: LeadTable, window: float, handoff: str, notes: list[str]
) -> FollowUpEffect | None:
    """History's follow-up effect, or None (with a note) when the export cannot measure it."""
    if not touches_recorded(table):
        notes.append("follow-up: the export records no touches; left out")
        return None
    try:
        return follow_up_effect(table, window, handoff)
    except InputError as err:
        notes.append(f"follow-up: {err}; left out")
        return None


def _share_in_time(
    table: LeadTable, handed: np.ndarray, stage: str, window: float, as_of: pd.Timestamp
) -> float:
    """The share of the hand-offs `handed` whose window has passed that were touched in it."""
    times = table.leads[stage_field(stage)]
    due = handed & (times <= as_of - pd.Timedelta(minutes=window)).to_numpy()
    if due.sum() == 0:
        return float("nan")
    fast = (response_minutes(table, stage) <= window).to_numpy()
    return float((due & fast).sum() / due.sum())
