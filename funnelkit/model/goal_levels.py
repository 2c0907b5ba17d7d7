"""Goals as chances, from the forecast's trials: targets written as levels ('p50') turned into
numbers, the levels each goal could be set at, and the chance that the team goals are met
together, and the shared goal with them, in the same trials.

A goal's chance is read from the trials of its metric (`goals.checks.Outcomes`): revenue,
customers and each stage's entries in the plan period. Goals on rates, on the SLA share or
on other periods have no trials, and are named where left out.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from funnelkit.core.exceptions import InputError, ParamsError
from funnelkit.crm.leads import LeadTable
from funnelkit.forecast.chances import LEVELS, joint_chance, level, met_together
from funnelkit.goals.checks import Outcomes, Position, numeric_target, position
from funnelkit.goals.records import SHARED_TEAM, Goal, GoalSet, Target


def resolve_levels(
    goals: GoalSet, outcomes: Outcomes | None, why_none: str, source: Path | str
) -> GoalSet:
    """The goals with each target written as a level turned into the number the forecast's
    trials reach with that chance; refused, naming the goal and why, when the forecast does
    not cover it. `why_none`: why there is no forecast, for the message."""
    resolved = []
    for goal in goals.goals:
        target = goal.target
        if target is None or target.kind != "level":
            resolved.append(goal)
            continue
        trials = None if outcomes is None else outcomes.of(goal)
        if trials is None:
            if outcomes is None:
                reason = f"there is no forecast ({why_none})"
            else:
                covered = ", ".join(sorted(outcomes.trials))
                reason = (
                    f"the forecast covers {covered} from {outcomes.first} to {outcomes.last} "
                    f"(got metric {goal.metric!r}, {goal.start} to {goal.end})"
                )
            raise ParamsError(
                f"{source}: goal {goal.id!r}: 'target' {target.text()} is a level of the "
                f"forecast, and {reason}"
            )
        value = level(trials, target.amount)
        resolved.append(dataclasses.replace(goal, target=Target("value", value, target.amount)))
    return dataclasses.replace(goals, goals=tuple(resolved))


@dataclass(frozen=True)
class GoalLevels:
    """One goal against the forecast: the levels it could be set at, its target and chance."""

    goal: Goal
    levels: dict[str, float]  # 'commit', 'plan', 'stretch' -> the metric's value
    target: float | None
    chance: float | None  # of reaching the target (0–1)


def goal_levels(
    goals: GoalSet, outcomes: Outcomes | None, table: LeadTable, handoff: str | None = None
) -> list[GoalLevels]:
    """Each goal the forecast covers, shared goals first: its levels, target and chance."""
    out = []
    for goal in sorted(goals.goals, key=lambda g: g.team != SHARED_TEAM):
        trials = None if outcomes is None else outcomes.of(goal)
        if trials is None or outcomes is None:
            continue
        target = numeric_target(goal, _position(goal, table, handoff))
        chance = None if target is None else outcomes.chance(goal, target)
        out.append(
            GoalLevels(goal, {name: level(trials, p) for name, p in LEVELS.items()}, target, chance)
        )
    return out


def _position(goal: Goal, table: LeadTable, handoff: str | None) -> Position | None:
    """The position a change target is measured from; None for other targets, or when the
    export cannot measure the goal's metric."""
    if goal.target is None or goal.target.kind != "change":
        return None
    try:
        return position(goal, table, handoff)
    except InputError:
        return None


@dataclass(frozen=True)
class Together:
    """A shared goal and the team goals that serve it, met together in the same trials."""

    shared: GoalLevels
    teams: tuple[GoalLevels, ...]  # its team goals the forecast covers
    left_out: tuple[Goal, ...]  # its team goals the forecast does not cover
    all_teams: float  # chance every covered team goal is met (0–1)
    shared_given_teams: float | None  # chance the shared goal is met in those trials


def together(levels: list[GoalLevels], goals: GoalSet, outcomes: Outcomes) -> list[Together]:
    """For each shared goal with a chance and at least one covered team goal: how often its
    team goals are met at once, and how often it is met in those trials."""
    by_id = {g.goal.id: g for g in levels}
    out = []
    for shared in (g for g in levels if g.goal.team == SHARED_TEAM and g.chance is not None):
        children = goals.children(shared.goal.id)
        teams = tuple(
            by_id[c.id] for c in children if c.id in by_id and by_id[c.id].target is not None
        )
        if not teams:
            continue
        trials = {t.goal.id: outcomes.trials[t.goal.metric or ""] for t in teams}
        targets = {t.goal.id: float(t.target or 0.0) for t in teams}
        met = met_together(trials, targets)
        shared_trials = outcomes.trials[shared.goal.metric or ""]
        given = float(np.mean(shared_trials[met] >= (shared.target or 0.0))) if met.any() else None
        out.append(
            Together(
                shared,
                teams,
                tuple(c for c in children if c.id not in {t.goal.id for t in teams}),
                joint_chance(trials, targets),
                given,
            )
        )
    return out
