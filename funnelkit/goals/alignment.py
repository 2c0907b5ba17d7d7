"""Alignment: do the team goals, put together through the plan arithmetic, deliver the shared goal?

Each team volume goal (MQLs, SQLs, …) carried down the funnel, at the plan's step rates or the
teams' conversion goals where they set one, and times the deal size, implies an amount of
marketing-sourced revenue; divided by the marketing share, the total. The smallest of these
is the bottleneck. The gap is the shared goal's revenue less what the bottleneck delivers,
and because revenue is proportional to each volume, rate and the deal size, the move that
closes the gap alone is one division (a rate cannot pass 1; only the rates below the
bottleneck's stage move it). Team goals serving no shared
goal, and shared goals no team goal serves, are flagged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from funnelkit.core.exceptions import InputError
from funnelkit.core.formats import money
from funnelkit.core.marks import PLAIN, Marks
from funnelkit.core.rounding import whole_units
from funnelkit.core.validation import short
from funnelkit.crm.leads import LeadTable
from funnelkit.goals.checks import position, volume_target
from funnelkit.goals.records import SHARED_TEAM, Goal, GoalSet
from funnelkit.plan.build import Plan
from funnelkit.plan.funnel import step_name


@dataclass(frozen=True)
class Alignment:
    """How one shared revenue goal and the team goals serving it add up."""

    shared_goal: str  # its id
    required: float  # revenue the shared goal asks for, money
    implied: float  # revenue the team goals deliver together, money
    bottleneck: str | None  # id of the volume goal that limits it (None: the plan's own leads)
    moves: pd.DataFrame  # per team goal: its target, the target that alone closes the gap

    @property
    def gap(self) -> float:
        """Revenue short of the shared goal (negative when the team goals exceed it), money."""
        return self.required - self.implied


def required_revenue(goal: Goal, table: LeadTable) -> float:
    """The revenue a shared goal asks for: its value, or its change on the measured baseline."""
    if goal.metric != "revenue" or goal.target is None:
        raise InputError(
            f"'metric' of shared goal {short(goal.id)} must be 'revenue' with a target to check alignment (got {short(goal.metric)})"
        )
    if goal.target.kind == "value":
        return goal.target.amount
    where = position(goal, table)
    if where is None:
        raise InputError(
            f"shared goal {short(goal.id)} sets a change ({goal.target.text()}) but the data has no baseline revenue"
        )
    return where.target


def align(goal_set: GoalSet, shared_id: str, table: LeadTable, plan: Plan) -> Alignment:
    """Whether the team goals serving `shared_id` deliver its revenue, and what would close the gap."""
    shared = goal_set.goal(shared_id)
    required = required_revenue(shared, table)
    funnel, share = plan.params.funnel, plan.params.marketing_share
    team = [  # the team goals with a metric and a target, with those two
        (g, g.metric, g.target)
        for g in goal_set.children(shared_id)
        if g.metric and g.target is not None
    ]
    rates = dict(zip(funnel.steps, funnel.conversion_rates, strict=True))
    deal_size, deal_goal = plan.params.deal_size, None
    for goal, metric, target in team:
        kind, _, arg = metric.partition(":")
        if kind == "conversion":
            rates[arg] = min(target.value(rates[arg]), 1.0)
        elif metric == "deal_size":
            deal_size, deal_goal = target.value(deal_size), goal
    stages = funnel.stages

    def revenue_from(stage: str, volume: float) -> float:
        k = stages.index(stage)
        reach = math.prod(
            rates[step_name(a, b)] for a, b in zip(stages[k:], stages[k + 1 :], strict=False)
        )
        return volume * reach * deal_size / share if share > 0 else float("inf")

    planned = plan.targets.volumes
    # (volume goal or None for the plan's own leads, its stage, the revenue it implies)
    candidates: list[tuple[Goal | None, str, float]] = [
        (None, stages[0], revenue_from(stages[0], planned[0]))
    ]
    for goal, metric, target in team:
        kind, _, arg = metric.partition(":")
        if kind == "volume":
            candidates.append(
                (goal, arg, revenue_from(arg, target.value(plan.targets.volume(arg))))
            )
    bottleneck, bottleneck_stage, implied = min(candidates[1:] or candidates, key=lambda c: c[2])
    ratio = required / implied if implied > 0 else float("inf")
    start = stages.index(bottleneck_stage)
    downstream = set(funnel.steps[start:])  # the rates that carry the bottleneck to revenue
    rows = []
    for goal, metric, target in team:
        kind, _, arg = metric.partition(":")
        if kind == "volume" and goal is bottleneck:
            current = target.value(plan.targets.volume(arg))
            rows.append((goal.id, metric, current, current * ratio))
        elif kind == "conversion" and arg in downstream:
            needed = rates[arg] * ratio
            rows.append((goal.id, metric, rates[arg], needed if needed <= 1 else float("nan")))
        elif goal is deal_goal:
            rows.append((goal.id, metric, deal_size, deal_size * ratio))
    moves = pd.DataFrame(rows, columns=["goal", "metric", "target", "target_to_close_gap"])
    moves["change_needed"] = moves["target_to_close_gap"] / moves["target"] - 1
    return Alignment(
        shared_goal=shared_id,
        required=required,
        implied=implied,
        bottleneck=None if bottleneck is None else bottleneck.id,
        moves=moves,
    )


def shared_alignments(goal_set: GoalSet, table: LeadTable, plan: Plan) -> list[Alignment]:
    """The alignment of every shared revenue goal that team goals serve, in file order."""
    return [
        align(goal_set, g.id, table, plan)
        for g in goal_set.goals
        if g.team == SHARED_TEAM and g.metric == "revenue" and goal_set.children(g.id)
    ]


def two_goals_sentence(
    a: Alignment, revenue_goal: float, currency: str, marks: Marks = PLAIN
) -> str | None:
    """When the goals file's shared revenue goal and the plan's revenue goal differ by a
    currency unit or more, both named in one sentence; None when they agree."""
    gap = a.required - revenue_goal
    if abs(gap) < 1:
        return None
    m = marks
    return (
        f"The goals file's shared goal {m.text(a.shared_goal)} asks for "
        f"{m.figure(f'shared_goal.{a.shared_goal}', a.required, money(a.required, currency))}; "
        f"the plan's revenue goal is "
        f"{m.figure('plan.revenue_goal', revenue_goal, money(revenue_goal, currency))} "
        f"({m.figure(f'alignment.goals_differ.{a.shared_goal}', gap, money(abs(gap), currency))} "
        f"{'less' if gap < 0 else 'more'}). The alignment checks the team goals "
        "against the goals file's figure."
    )


def volume_goals_sentences(goal_set: GoalSet, plan: Plan, marks: Marks = PLAIN) -> list[str]:
    """Each volume goal's target beside what the plan needs of its stage: a goal's target and
    the plan's need are two figures, and both are named."""
    lines = []
    for goal in goal_set.goals:
        found = volume_target(goal, plan)
        if found is None:
            continue
        stage, target = found
        need = float(whole_units(plan.targets.volume(stage)))
        relation = "≥" if target >= need else "<"
        m = marks
        lines.append(
            f"{m.text(goal.id)}: goal {m.figure(f'goal_target.{goal.id}', target, f'{target:,.0f}')} "
            f"{m.text(plan.params.names.plural(stage))} {relation} the plan's need of "
            f"{m.figure(f'need.{stage}', need, f'{need:,.0f}')} "
            f"{m.text(plan.params.names.plural(stage))}"
            + ("." if target >= need else ": the goal asks for less than the plan needs.")
        )
    return lines


def loose_ends(goal_set: GoalSet) -> list[tuple[str, tuple[str, ...]]]:
    """Goals outside the alignment, as (what they are, their ids), only the kinds that occur."""
    kinds = (
        ("Team goals serving no shared goal", orphans(goal_set)),
        ("Shared goals no team goal serves", unserved(goal_set)),
    )
    return [(label, ids) for label, ids in kinds if ids]


def orphans(goal_set: GoalSet) -> tuple[str, ...]:
    """Team goals that serve no shared goal."""
    return tuple(g.id for g in goal_set.goals if g.team != SHARED_TEAM and g.parent is None)


def unserved(goal_set: GoalSet) -> tuple[str, ...]:
    """Shared goals that no team goal serves."""
    return tuple(
        g.id for g in goal_set.goals if g.team == SHARED_TEAM and not goal_set.children(g.id)
    )


def alignment_text(a: Alignment, currency: str = "", marks: Marks = PLAIN) -> str:
    """The alignment in words: what the shared goal needs, what the team goals deliver, the
    gap, and how far each goal would have to move alone to close it. `marks` marks the
    figures and the goals' text (the lines are plain text either way)."""
    m = marks

    def cash(value: float) -> str:
        return money(value, currency) if currency else f"{value:,.0f}"

    shared = a.shared_goal
    source = f"bottleneck: {m.text(a.bottleneck)}" if a.bottleneck else "at the plan's lead volume"
    lines = [
        f"Shared goal {m.text(shared)}: revenue "
        f"{m.figure(f'shared_goal.{shared}', a.required, cash(a.required))}; the team goals "
        f"deliver {m.figure(f'alignment.delivered.{shared}', a.implied, cash(a.implied))} "
        f"({source})."
    ]
    if a.gap <= 0:
        spare = m.figure(f"alignment.gap.{shared}", a.gap, cash(-a.gap))
        lines.append(f"  They add up, with {spare} to spare.")
        return "\n".join(lines) + "\n"
    short = m.figure(f"alignment.gap.{shared}", a.gap, cash(a.gap))
    lines.append(f"  Short by {short}. To close the gap alone:")
    moves = a.moves
    for goal, metric, target, to_close, change in zip(
        moves["goal"],
        moves["metric"],
        moves["target"],
        moves["target_to_close_gap"],
        moves["change_needed"],
        strict=True,
    ):
        what = f"{m.text(str(goal))} ({m.text(str(metric))})"
        if pd.isna(to_close):
            lines.append(f"  - {what} cannot: it would need a rate above 100%.")
        else:
            lines.append(
                f"  - {what} from {m.figure(f'goal_target.{goal}', target, f'{target:,.4g}')} to "
                f"{m.figure(f'alignment.to_close.{goal}', to_close, f'{to_close:,.4g}')} "
                f"({change:+.0%})."
            )
    return "\n".join(lines) + "\n"
