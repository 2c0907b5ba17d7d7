"""The program plan: a plan's revenue goal as leads per channel and month, for marketing's part
and sales' part, with what they cost.

Channels are the values of the lead column `program.by` (the source by default, or a column
looked up in another file) that the costs file prices; a channel is marketing's when
`program.marketing_channels` lists it (default: the mapping's marketing sources), else sales'. Each team's part of the goal (the marketing share of it, and the rest)
comes from its own channels, each with its funnel measured on history (pooled,
`actuals.segments`) and its cost per lead (`actuals.channel_costs`). The revenue each lead
month's leads must bring follows the plan's phasing: that month's share of the first stage's
volume (lead-in months before the period included) times the team's part. The mix is
`program.mix`: history's, the least-cost one, or given shares (within each team).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from funnelkit.actuals.channel_costs import ChannelCosts, channel_costs, history_channels
from funnelkit.actuals.segments import SegmentFunnels, segment_funnels
from funnelkit.core.exceptions import CrmExportError, InputError, ParamsError
from funnelkit.crm.costs import Costs, read_costs
from funnelkit.crm.leads import LeadTable
from funnelkit.crm.lookups import with_lookup
from funnelkit.plan.build import Plan
from funnelkit.plan.channels import Channel, ChannelPlan, payback_months
from funnelkit.plan.mix import Frontier, budget_frontier, least_cost_mix, shares_mix
from funnelkit.plan.params import ProgramTerms

TEAMS = ("marketing", "sales")


@dataclass(frozen=True)
class TeamProgram:
    """One team's part: the revenue its channels must bring and how."""

    team: str  # 'marketing' or 'sales'
    revenue: float  # its part of the goal, money
    need: np.ndarray  # revenue each lead month's leads must bring, money
    plan: ChannelPlan | None  # None when no channel of the team is priced
    unpriced: tuple[str, ...]  # the team's channels the costs file does not price


@dataclass(frozen=True)
class ProgramPlan:
    """The program plan of a plan: each team's channels, costs and, given a budget, what it buys."""

    terms: ProgramTerms
    months: tuple[str, ...]  # lead months, 'YYYY-MM'
    teams: dict[str, TeamProgram]
    costs: Costs
    measured: ChannelCosts
    funnels: SegmentFunnels
    budget: Frontier | None  # marketing's channels at `terms.budget`

    def payback(self, plan: ChannelPlan) -> np.ndarray | None:
        """Months to repay each channel's CAC; None without a margin and monthly revenue."""
        t = self.terms
        if t.gross_margin is None or t.monthly_revenue is None:
            return None
        return np.array([payback_months(c, t.monthly_revenue, t.gross_margin) for c in plan.cac])


def need_by_lead_month(plan: Plan, revenue: float) -> np.ndarray:
    """The revenue (money) each of the plan's months' leads must bring for `revenue` over the
    period: its share of the first stage's phased volume (lead-in months included)."""
    leads = plan.monthly.volumes[:, 0]
    return revenue * leads / leads.sum()


def program_channels(
    program: ProgramPlan | None,
) -> tuple[dict[str, tuple[Channel, ...]], int]:
    """Each team's priced channels and the months they are counted over, for the goal checks
    (none without a program plan)."""
    if program is None:
        return {}, 1
    teams = {t.team: t.plan.channels for t in program.teams.values() if t.plan is not None}
    return teams, len(program.months)


def program_plan(plan: Plan, table: LeadTable, terms: ProgramTerms, source: str) -> ProgramPlan:
    """The program plan for `plan` on the lead table's history and the costs file; `source`
    (the parameters file) names where a problem is in the message."""
    try:
        return _program_plan(plan, table, terms)
    except (InputError, CrmExportError) as err:
        raise ParamsError(f"{source}: program: {err}") from None


def _program_plan(plan: Plan, table: LeadTable, terms: ProgramTerms) -> ProgramPlan:
    if terms.lookup is not None:
        look = terms.lookup
        table = with_lookup(table, look.source_column, look.file, look.key, look.value, terms.by)
    costs = read_costs(terms.costs_file)
    funnels = segment_funnels(table, terms.by)
    measured = channel_costs(table, costs, terms.by)
    channels = _with_minimums(
        history_channels(table, funnels, measured, terms.capacity_multiple), terms
    )
    _check_named(terms, funnels.segments, tuple(c.name for c in channels))
    phasing = plan.monthly
    p = plan.params
    marketing = set(
        table.mapping.marketing_sources
        if terms.marketing_channels is None
        else terms.marketing_channels
    )
    teams = {}
    for team, revenue in zip(
        TEAMS,
        (p.revenue_goal * p.marketing_share, p.revenue_goal * (1 - p.marketing_share)),
        strict=True,
    ):
        own = [c for c in channels if (c.name in marketing) == (team == "marketing")]
        segments = [s for s in funnels.segments if (s in marketing) == (team == "marketing")]
        need = need_by_lead_month(plan, revenue)
        teams[team] = TeamProgram(
            team=team,
            revenue=revenue,
            need=need,
            plan=_mixed(own, tuple(phasing.labels), need, terms, funnels)
            if own and revenue > 0
            else None,
            unpriced=tuple(s for s in segments if s not in {c.name for c in own}),
        )
    if p.marketing_share > 0 and teams["marketing"].plan is None:
        raise InputError(
            f"no channel the costs file prices is marketing's ({', '.join(c.name for c in channels)}"
            f" are all sales'), so marketing's part of the goal cannot be planned: list "
            "marketing's channels in 'marketing_channels'"
        )
    mine = [c for c in channels if c.name in marketing]
    budget = (
        budget_frontier(mine, np.array([terms.budget]), len(phasing.labels))
        if terms.budget is not None and mine
        else None
    )
    return ProgramPlan(terms, tuple(phasing.labels), teams, costs, measured, funnels, budget)


def _with_minimums(channels: list[Channel], terms: ProgramTerms) -> list[Channel]:
    out = []
    for c in channels:
        low = terms.minimums.get(c.name, 0.0)
        if low > c.capacity:
            raise InputError(
                f"'minimums.{c.name}' must be at most the channel's capacity of "
                f"{c.capacity:,.0f} leads a month ({terms.capacity_multiple:g} × its best month; "
                f"got {low:g})"
            )
        out.append(Channel(c.name, c.rates, c.deal_size, c.cost_per_lead, c.capacity, low))
    return out


def _check_named(terms: ProgramTerms, known: tuple[str, ...], priced: tuple[str, ...]) -> None:
    """Every channel the terms name is one of the leads' (`known`); those given a minimum or
    a share are priced by the costs file too, else the setting could not apply."""
    settled = set(terms.minimums) | (set(terms.mix) if isinstance(terms.mix, dict) else set())
    unknown = sorted((settled | set(terms.marketing_channels or ())) - set(known))
    if unknown:
        raise InputError(
            f"{', '.join(map(repr, unknown))} {'is' if len(unknown) == 1 else 'are'} not a "
            f"channel of the leads' '{terms.by}'; the channels are {', '.join(map(repr, known))}"
        )
    unpriced = sorted(settled - set(priced))
    if unpriced:
        one = len(unpriced) == 1
        raise InputError(
            f"{', '.join(map(repr, unpriced))} {'has' if one else 'have'} no spend in the costs "
            f"file in a month with {'its' if one else 'their'} leads, so a minimum or a share "
            f"cannot apply; the priced channels are {', '.join(map(repr, priced))}"
        )


def _mixed(
    channels: list[Channel],
    months: tuple[str, ...],
    need: np.ndarray,
    terms: ProgramTerms,
    funnels: SegmentFunnels,
) -> ChannelPlan:
    if terms.mix == "least-cost":
        return least_cost_mix(channels, months, need)
    if isinstance(terms.mix, dict):
        given = terms.mix
        weights = np.array([given.get(c.name, 0.0) for c in channels])
    else:  # history's: each channel's share of the leads
        index = {s: i for i, s in enumerate(funnels.segments)}
        weights = np.array([funnels.leads[index[c.name]] for c in channels], dtype=float)
    if weights.sum() == 0:
        names = ", ".join(c.name for c in channels)
        raise InputError(
            f"'mix' gives no share to any of the channels {names}: each team's part comes from "
            "its own channels, so give each team's channels a share"
        )
    return shares_mix(channels, months, need, weights / weights.sum())
