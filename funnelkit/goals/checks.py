"""SMART and FAST checks on goals (article 001), each a status and one plain sentence.

SMART: specific, measurable, attainable, realistic, time-based. FAST (MIT Sloan Management
Review): frequently discussed, ambitious, specific, transparent. Attainable and ambitious pull
against each other, so both read one *position*: where the target's change from baseline ranks
among the period-over-period changes history has shown, from business as usual (at or below
the median) to never seen (beyond the largest). Thresholds are configuration (`Thresholds`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeGuard

import numpy as np
import pandas as pd

from funnelkit.core.exceptions import InputError
from funnelkit.core.validation import short
from funnelkit.crm.leads import LeadTable
from funnelkit.goals.metrics import catalog, metric_series, scoped
from funnelkit.goals.records import Goal, GoalSet, Thresholds, level_name
from funnelkit.plan.build import Plan
from funnelkit.plan.channels import Channel
from funnelkit.plan.mix import cheapest_spend

MILESTONE_DAYS = 28  # a period shorter than this has no monthly checkpoint before its end
SMART = ("specific", "measurable", "attainable", "realistic", "time-based")
FAST = ("frequently discussed", "ambitious", "specific", "transparent")


Stated = tuple[str, float, str, str]  # a figure: name, exact value, its text, the words after it


@dataclass(frozen=True)
class Check:
    """One letter's verdict on one goal."""

    goal_id: str
    framework: str  # 'SMART' or 'FAST'
    letter: str  # 'specific', 'measurable', …
    status: str  # 'pass', 'warn' or 'fail'
    sentence: str  # why, in words a sales or marketing manager uses
    figures: tuple[Stated, ...] = ()  # the figures the sentence states


@dataclass(frozen=True)
class Position:
    """Where a target sits between business as usual and never seen."""

    baseline: float  # the metric's latest complete period before the goal
    target: float  # the goal's target in the metric's unit
    change: float  # the improvement the target asks for, a fraction of baseline
    rank: float  # fraction (0–1) of past period-over-period improvements below it
    largest: float  # the largest past improvement
    history: int  # past changes it was ranked among

    @property
    def never_seen(self) -> bool:
        """Whether the target asks for more than any past period achieved."""
        return self.change > self.largest


def history_period(goal: Goal) -> str:
    """The period whose history a goal is judged against: months for a goal of a month or
    less, quarters otherwise (and when it has no period)."""
    if goal.start is not None and goal.end is not None and (goal.end - goal.start).days <= 31:
        return "month"
    return "quarter"


def position(goal: Goal, table: LeadTable, handoff_stage: str | None = None) -> Position | None:
    """The target's place among past changes; None when there is no baseline to start from.
    `handoff_stage` is the plan's, for a goal on the SLA share."""
    if goal.metric is None or goal.target is None:
        return None
    series = metric_series(
        scoped(table, goal.scope),
        goal.metric,
        history_period(goal),
        handoff_stage=handoff_stage,
    )
    periods = series.index
    assert isinstance(periods, pd.PeriodIndex)  # metric_series indexes by pandas Period
    ends = periods.end_time
    complete = series[(ends < pd.Timestamp(goal.start or table.as_of)) & (ends <= table.as_of)]
    if complete.empty or not np.isfinite(complete.iloc[-1]) or complete.iloc[-1] == 0:
        return None
    baseline = float(complete.iloc[-1])
    target = goal.target.value(baseline)
    sign = 1 if catalog(table.stages)[goal.metric].higher_is_better else -1
    change = sign * (target / baseline - 1)
    past = (sign * complete.pct_change()).replace([np.inf, -np.inf], np.nan).dropna().to_numpy()
    if past.size == 0:
        return Position(baseline, target, change, float("nan"), float("nan"), 0)
    rank = float((past < change).mean() + 0.5 * (past == change).mean())
    return Position(baseline, target, change, rank, float(past.max()), int(past.size))


def describe(value: float, unit: str) -> str:
    """A metric's value as people read it: money and counts with separators, fractions as %."""
    if unit == "fraction":
        return f"{value:.1%}"
    if unit == "days":
        return f"{value:.0f} days"
    return f"{value:,.0f}"


def target_text(goal: Goal, unit: str) -> str:
    """A goal's target in words: '+5%' for a change, else the value in its unit."""
    target = goal.target
    if target is None:
        raise InputError(
            f"'target' of goal {short(goal.id)} must be set to be put in words (got None)"
        )
    if target.kind == "change":
        return target.text()
    shown = describe(target.amount, unit)
    return shown if target.level is None else f"{shown} ({level_name(target.level)})"


@dataclass(frozen=True)
class Outcomes:
    """A forecast's simulated totals for a period, per metric: what a goal's chance is read
    from ('revenue' in money, 'new_customers' and 'volume:<stage>' in counts; one value per
    trial, every metric from the same trials)."""

    first: dt.date  # the period's first day
    last: dt.date  # its last day
    trials: dict[str, np.ndarray]

    def of(self, goal: Goal) -> np.ndarray | None:
        """The trials of the goal's metric, when the forecast covers the metric and the
        goal's period is the forecast's; else None."""
        if (goal.start, goal.end) != (self.first, self.last):
            return None
        return self.trials.get(goal.metric or "")

    def chance(self, goal: Goal, target: float) -> float | None:
        """The share of the goal's trials (`of`) reaching `target`; None without them."""
        totals = self.of(goal)
        return None if totals is None else float((totals >= target).mean())


@dataclass(frozen=True)
class Context:
    """What the checks look at besides the goal: the actuals, the plan, today's date, and
    the forecast's outcomes when there is one."""

    table: LeadTable
    plan: Plan | None
    as_of: dt.date
    thresholds: Thresholds = field(default_factory=Thresholds)
    goals: GoalSet | None = None  # the goal's siblings, for whether upstream goals supply it
    outcomes: Outcomes | None = None  # the plan period's forecast, for the chance of a goal
    channels: Mapping[str, tuple[Channel, ...]] = field(default_factory=dict)  # team -> its
    # priced channels (the program plan's), for what a goal's volume costs against its budget
    channel_months: int = 1  # the months those channels' capacities are counted over


def check_goal(goal: Goal, context: Context) -> list[Check]:
    """Every SMART and FAST letter for one goal, in the frameworks' order."""
    unit = catalog(context.table.stages)[goal.metric].unit if goal.metric else ""
    handoff = context.plan.sla.terms.handoff_stage if context.plan is not None else None
    where = _position_or_error(goal, context.table, handoff)
    history: tuple[Stated, ...] = ()
    if isinstance(where, Position):
        change, did = where.change, 1 - where.rank
        history = (
            (f"goal_history.change.{goal.id}", change, f"{change:+.1%}", " on the last"),
            (f"goal_history.change.{goal.id}", change, f"{change:+.1%}", " is "),
            (f"goal_history.did_as_well.{goal.id}", did, f"{did:.0%}", " of past"),
        )
    verdicts: list[tuple[str, str, tuple[str, str] | tuple[str, str, tuple[Stated, ...]]]] = [
        ("SMART", "specific", _specific(goal, unit)),
        ("SMART", "measurable", _measurable(goal, where, unit, context.thresholds)),
        (
            "SMART",
            "attainable",
            _with_chance(_attainable(goal, where, context.thresholds), goal, where, context),
        ),
        (
            "SMART",
            "realistic",
            _with_chance(_realistic(goal, context), goal, where, context),
        ),
        ("SMART", "time-based", _time_based(goal, context.plan)),
        (
            "FAST",
            "frequently discussed",
            _frequently_discussed(goal, context.as_of, context.thresholds),
        ),
        ("FAST", "ambitious", _ambitious(goal, where, context.thresholds)),
        ("FAST", "specific", _fast_specific(goal, unit)),
        ("FAST", "transparent", _transparent(goal)),
    ]
    checks = []
    for framework, letter, verdict in verdicts:
        status, sentence, *chance = verdict
        figures = history + (chance[0] if chance else ())
        checks.append(Check(goal.id, framework, letter, status, sentence, figures))
    return checks


def _with_chance(
    verdict: tuple[str, str], goal: Goal, where: Position | str | None, context: Context
) -> tuple[str, str] | tuple[str, str, tuple[Stated, ...]]:
    """A verdict with the forecast's chance of the goal added (and the chance itself); below
    the threshold a pass becomes a warning, so the scorecard and the forecast never disagree
    silently."""
    target = numeric_target(goal, where)
    if context.outcomes is None or target is None:
        return verdict
    chance = context.outcomes.chance(goal, target)
    if chance is None:
        return verdict
    status, sentence = verdict
    low = chance < context.thresholds.min_chance
    words = f"The forecast gives it a {chance:.0%} chance"
    if low:
        words += f", below the {context.thresholds.min_chance:.0%} threshold (min_chance)"
    figure = ((f"goal_chance.{goal.id}", chance, f"{chance:.0%}", " chance"),)
    return ("warn" if low and status == "pass" else status), f"{sentence} {words}.", figure


def numeric_target(goal: Goal, where: Position | str | None) -> float | None:
    """A goal's target in its metric's unit: its value, or its change applied to the
    baseline of its position `where`; None when neither is known."""
    if goal.target is None:
        return None
    if goal.target.kind == "value":
        return goal.target.amount
    return where.target if isinstance(where, Position) else None


def _position_or_error(
    goal: Goal, table: LeadTable, handoff_stage: str | None = None
) -> Position | str | None:
    """The goal's position, the reason the data cannot measure its metric, or None."""
    if goal.metric is None:
        return None
    try:
        return position(goal, table, handoff_stage)
    except InputError as err:
        return str(err)


def _specific(goal: Goal, unit: str) -> tuple[str, str]:
    missing = [
        n for n, v in (("a metric", goal.metric), ("a numeric target", goal.target)) if v is None
    ]
    if missing:
        return (
            "fail",
            f"It does not name {' or '.join(missing)}, so nobody can tell when it is met.",
        )
    if goal.owner is None:
        return "warn", "It names a metric and a target but no owner."
    return "pass", f"{goal.owner} owns {goal.metric} with a target of {target_text(goal, unit)}."


def _measurable(
    goal: Goal, where: Position | str | None, unit: str, limits: Thresholds
) -> tuple[str, str]:
    if goal.metric is None:
        return "fail", "Without a metric it cannot be measured."
    if isinstance(where, str):
        return "fail", f"The data at hand cannot measure it: {where}."
    if where is None:
        return "fail", "The data has no complete period before the goal to serve as a baseline."
    if where.history < limits.min_history:
        return "warn", f"Measured, but with only {where.history} past changes to compare with."
    return (
        "pass",
        f"Measured from the data: the last {history_period(goal)} was {describe(where.baseline, unit)}.",
    )


def _judged(where: Position | str | None, limits: Thresholds) -> TypeGuard[Position]:
    """Whether there is a position with enough history to judge the target by."""
    return isinstance(where, Position) and where.history >= limits.min_history


def _attainable(goal: Goal, where: Position | str | None, limits: Thresholds) -> tuple[str, str]:
    if not _judged(where, limits):
        return "warn", "Not enough history to say whether the target is attainable."
    span, asks = (
        history_period(goal),
        f"It asks for {where.change:+.1%} on the last {history_period(goal)}",
    )
    if where.never_seen:
        return "fail", f"{asks}, more than any {span} has done (the best was {where.largest:+.1%})."
    if where.rank > limits.attainable_position:
        return "warn", f"{asks}: only {1 - where.rank:.0%} of past {span}s did as well."
    return "pass", f"{asks}: {1 - where.rank:.0%} of past {span}s did as well."


def _ambitious(goal: Goal, where: Position | str | None, limits: Thresholds) -> tuple[str, str]:
    if not _judged(where, limits):
        return "warn", "Not enough history to say whether the target is a stretch."
    span = history_period(goal)
    if where.change <= 0:
        return "fail", f"The target asks for no improvement on the baseline ({where.change:+.1%})."
    if where.rank <= limits.stretch_position:
        return (
            "warn",
            f"{where.change:+.1%} is business as usual: {1 - where.rank:.0%} of past {span}s did as well.",
        )
    return (
        "pass",
        f"{where.change:+.1%} is a stretch: only {1 - where.rank:.0%} of past {span}s did as well.",
    )


def _time_based(goal: Goal, plan: Plan | None) -> tuple[str, str]:
    if goal.start is None or goal.end is None:  # a goal file gives both or neither
        return "fail", "It has no period, so there is no deadline."
    if plan is not None:
        first, last = _plan_period(plan)
        if not (first <= goal.start and goal.end <= last):
            return (
                "warn",
                f"Its period {goal.start} to {goal.end} is not inside the plan's ({first} to {last}).",
            )
    return "pass", f"It runs from {goal.start} to {goal.end}."


def _frequently_discussed(goal: Goal, as_of: dt.date, limits: Thresholds) -> tuple[str, str]:
    if goal.review_cadence_days is None:
        return "fail", "No review cadence is set."
    every = f"Due for review every {goal.review_cadence_days} days"
    if goal.last_review is None:
        return "warn", f"{every}, and never reviewed."
    if (as_of - goal.last_review).days > goal.review_cadence_days + limits.review_grace_days:
        return "warn", f"{every}, last reviewed on {goal.last_review}: overdue."
    return "pass", f"Reviewed every {goal.review_cadence_days} days, last on {goal.last_review}."


def _fast_specific(goal: Goal, unit: str) -> tuple[str, str]:
    if goal.metric is None or goal.target is None or goal.start is None or goal.end is None:
        return "fail", "Milestones need a metric, a target and a period."
    if (goal.end - goal.start).days < MILESTONE_DAYS:
        return (
            "warn",
            "Its period is under a month: one milestone at the end, no checkpoints on the way.",
        )
    return (
        "pass",
        f"{goal.metric} towards {target_text(goal, unit)}, with milestones month by month.",
    )


def _transparent(goal: Goal) -> tuple[str, str]:
    if not goal.stakeholders and not goal.published:
        return "fail", "No stakeholder team is named and it is not published in the shared report."
    if not goal.stakeholders:
        return "warn", "It names no stakeholder team."
    if not goal.published:
        return "warn", "It is not published in the shared report."
    return "pass", f"Published, with {', '.join(goal.stakeholders)} as stakeholders."


def _plan_period(plan: Plan) -> tuple[dt.date, dt.date]:
    """The plan period's first and last day."""
    start, end = plan.monthly.plan_bounds  # first day, and the day after the last
    return pd.Timestamp(start).date(), (pd.Timestamp(end) - pd.Timedelta(days=1)).date()


def volume_target(goal: Goal, plan: Plan) -> tuple[str, float] | None:
    """A volume goal's stage and target volume (a change applies to the plan's volume)."""
    if not goal.metric or not goal.metric.startswith("volume:") or goal.target is None:
        return None
    stage = goal.metric.split(":", 1)[1]
    return stage, goal.target.value(plan.targets.volume(stage))


def _upstream_supply(
    goal: Goal, stage: str, plan: Plan, goals: GoalSet | None
) -> tuple[Goal, float] | None:
    """The sibling volume goal furthest up the funnel from `stage`, and what it supplies there
    at the plan's rates; None when no sibling sets an upstream volume."""
    if goals is None or goal.parent is None:
        return None
    funnel = plan.params.funnel
    k = funnel.stage_index(stage)
    best = None
    for sibling in goals.children(goal.parent):
        found = volume_target(sibling, plan) if sibling.id != goal.id else None
        if found is not None and funnel.stage_index(found[0]) < k:
            j = funnel.stage_index(found[0])
            supplied = found[1] * float(np.prod(funnel.conversion_rates[j:k]))
            if best is None or supplied < best[1]:
                best = (sibling, supplied)
    return best


def _over_budget(
    goal: Goal, stage: str, target: float, plan: Plan, context: Context
) -> tuple[str, str] | None:
    """A verdict when the goal's budget cannot buy its volume (or cannot be checked), else
    None: at its cost per unit when it gives one, else at the cheapest mix of its team's
    priced channels (all of them for a shared goal)."""
    budget = goal.budget or 0.0
    if goal.cost_per_unit is not None:
        cost = target * goal.cost_per_unit
        if cost > budget:
            return (
                "fail",
                f"{target:,.0f} {stage} at {goal.cost_per_unit:,.0f} each cost {cost:,.0f}, over the {budget:,.0f} budget.",
            )
        return None
    channels = tuple(
        c for team, own in context.channels.items() if goal.team in (team, "shared") for c in own
    )
    if channels and goal.scope:
        return (
            "warn",
            f"A budget of {budget:,.0f} is given for a scoped goal: the channels' mix prices all "
            f"of its team's {stage}, so give its 'cost_per_unit'.",
        )
    if not channels:
        return (
            "warn",
            f"A budget of {budget:,.0f} is given, but no cost per {stage} to check it against "
            "(give 'cost_per_unit', or a program plan with a costs file).",
        )
    months = (
        (goal.end.year - goal.start.year) * 12 + goal.end.month - goal.start.month + 1
        if goal.start is not None and goal.end is not None
        else context.channel_months
    )
    cheapest = cheapest_spend(channels, plan.params.funnel.stages.index(stage), target, months)
    if cheapest is None:
        return (
            "fail",
            f"Even every channel at its capacity cannot bring {target:,.0f} {stage} over "
            f"{months} month{'s' * (months != 1)}, whatever the {budget:,.0f} budget.",
        )
    if cheapest > budget:
        return (
            "fail",
            f"{target:,.0f} {stage} cost at least {cheapest:,.0f} through the cheapest mix of the "
            f"channels (their costs per lead measured on history), over the {budget:,.0f} budget.",
        )
    return None


def _realistic(goal: Goal, context: Context) -> tuple[str, str]:
    """Whether the resources hold: sales capacity for the cadence, the budget for the volume
    (at the goal's cost per unit, or the cheapest mix of the team's priced channels), the
    volume the upstream team's goal supplies, and the volume the plan needs."""
    plan, goals = context.plan, context.goals
    if goal.metric is None or goal.target is None:
        return (
            "warn",
            "Without a metric and a target there is nothing to check its resources against.",
        )
    if plan is None:
        return "warn", "No plan to check its resources against."
    if goal.team == "sales" and (plan.sla.rep_shortfall > 0).any():
        short = float(plan.sla.rep_shortfall.max())
        return (
            "fail",
            f"The plan's hand-offs need {short:g} more rep(s) than sales has for the cadence.",
        )
    found = volume_target(goal, plan)
    if found is None:
        if goal.budget is not None:
            return (
                "warn",
                f"Its budget of {goal.budget:,.0f} cannot be checked: a budget is checked "
                "against a volume goal's target.",
            )
        return "pass", "The plan's capacity and volumes hold for it."
    stage, target = found
    if goal.budget is not None:
        over = _over_budget(goal, stage, target, plan, context)
        if over is not None:
            return over
    upstream = _upstream_supply(goal, stage, plan, goals)
    if upstream is not None and upstream[1] < target:
        source, supplied = upstream
        return (
            "fail",
            f"{source.id} supplies about {supplied:,.0f} {stage} at the plan's rates, short of this goal's {target:,.0f}.",
        )
    needed = plan.targets.volume(stage)
    if target < needed:
        return (
            "fail",
            f"{target:,.0f} {stage} fall short of the {needed:,.0f} the plan needs for the shared goal.",
        )
    return "pass", f"{target:,.0f} {stage} cover the {needed:,.0f} the plan needs."
