"""Goal records: what each team wants, why, how, by when, and which shared goal it serves.

A goal file (YAML) lists goals. Structure and references are checked when it is read: an
unknown key, metric (the message lists the catalog), team or parent, a period that ends
before it starts, or a target of the wrong kind stops the reading with a message naming the
file, the goal and the value. What a goal leaves out (no target, no period, no owner) is
allowed here: the SMART and FAST checks are what say a vague goal is vague.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from funnelkit.core.exceptions import InputError, ParamsError
from funnelkit.core.schema import check_keys, in_section, load_yaml
from funnelkit.core.validation import check_choice, check_number, short
from funnelkit.goals.metrics import catalog

DEFAULT_TEAMS: tuple[str, ...] = ("shared", "marketing", "sales")
SHARED_TEAM = "shared"
CHANGE_PATTERN = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*%$")  # '+5%', '-10 %'
LEVEL_PATTERN = re.compile(r"^[pP](\d{1,2})$")  # 'p50': what the forecast reaches in 50 % of trials
FILE_KEYS = {"teams": False, "goals": True, "thresholds": False}
GOAL_KEYS = {
    "id": True,
    "title": True,
    "team": True,
    "owner": False,
    "metric": False,
    "target": False,
    "scope": False,
    "period": False,
    "parent": False,
    "why": False,
    "initiatives": False,
    "roadblocks": False,
    "resources": False,
    "help_from_other_team": False,
    "review": False,
    "stakeholders": False,
    "published": False,
    "budget": False,
    "cost_per_unit": False,
}
PERIOD_KEYS = {"start": True, "end": True}
REVIEW_KEYS = {"cadence_days": False, "last": False}


@dataclass(frozen=True)
class Thresholds:
    """Where each check turns from pass to warn to fail."""

    min_history: int = 3  # past periods of changes needed to judge attainable and ambitious
    stretch_position: float = 0.5  # a change ranked at or below this is business as usual
    attainable_position: float = 0.9  # a change ranked above this warns; beyond all history fails
    review_grace_days: int = 0  # days a review may be late before frequently-discussed warns
    min_chance: float = 0.5  # a forecast chance of reaching a goal below this warns (0–1)


@dataclass(frozen=True)
class Target:
    """What a goal aims for: an absolute value in the metric's unit, a change from baseline,
    or a level of the forecast (the most its trials reach with a chance, e.g. P50)."""

    kind: str  # 'value', 'change' or 'level' (until the forecast turns it into a value)
    amount: float  # the value, the change as a fraction of baseline (+5 % is 0.05), or the
    # level's chance (P90 is 0.9)
    level: float | None = None  # for a value set from a level: that level's chance

    def value(self, base: float) -> float:
        """The target in the metric's unit: its value, or the change applied to `base`."""
        if self.kind == "level":
            raise InputError(
                f"a target set as level {self.text()} needs the forecast to turn it into a number"
            )
        return base * (1 + self.amount) if self.kind == "change" else self.amount

    def text(self) -> str:
        """The target as people write it: '540,000', '+5%', 'P50', or '540,000 (P50)'."""
        if self.kind == "change":
            return f"{self.amount:+.1%}".replace(".0%", "%")
        if self.kind == "level":
            return level_name(self.amount)
        return f"{self.amount:,g}" + ("" if self.level is None else f" ({level_name(self.level)})")


def level_name(chance: float) -> str:
    """A level's name: 'P50' for the level reached with chance 0.5."""
    return f"P{round(chance * 100)}"


@dataclass(frozen=True)
class Goal:
    """One team's goal, as the teams agreed it."""

    id: str
    title: str
    team: str
    owner: str | None = None
    metric: str | None = None  # a name from funnelkit.goals.metrics.catalog
    target: Target | None = None
    scope: dict[str, str] = field(default_factory=dict)  # e.g. {'source': 'Paid Search'}
    start: dt.date | None = None  # first day of the goal's period
    end: dt.date | None = None  # last day of the goal's period
    parent: str | None = None  # the id of the shared goal this one serves
    why: str | None = None
    initiatives: tuple[str, ...] = ()
    roadblocks: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()  # resources, information, data or analytics needed
    help_from_other_team: str | None = None
    review_cadence_days: int | None = None
    last_review: dt.date | None = None
    stakeholders: tuple[str, ...] = ()  # teams with a stake in the goal
    published: bool = False  # whether it appears in the shared report
    budget: float | None = None  # money the goal may spend, for the period
    cost_per_unit: float | None = None  # money one unit of a volume goal costs (e.g. per MQL)


@dataclass(frozen=True)
class GoalSet:
    """The goals of one plan, with the teams they may belong to."""

    goals: tuple[Goal, ...]
    teams: tuple[str, ...] = DEFAULT_TEAMS
    thresholds: Thresholds = Thresholds()  # where the SMART and FAST checks turn

    def goal(self, goal_id: str) -> Goal:
        """The goal with this id."""
        return {g.id: g for g in self.goals}[
            check_choice("goal", goal_id, tuple(g.id for g in self.goals))
        ]

    def children(self, goal_id: str) -> tuple[Goal, ...]:
        """The goals whose parent is `goal_id`."""
        return tuple(g for g in self.goals if g.parent == goal_id)


def parse_target(raw: Any, metric: str | None, units: dict[str, str]) -> Target:
    """A target from YAML: a number (absolute) or a change such as '+5%' (from baseline)."""
    if isinstance(raw, str) and (match := CHANGE_PATTERN.match(raw.strip())):
        return Target("change", float(match.group(1)) / 100)
    if isinstance(raw, str) and (match := LEVEL_PATTERN.match(raw.strip())):
        chance = int(match.group(1))
        check_number("target", chance, low=1, high=99, where=" as a level pNN (NN 1–99)")
        return Target("level", chance / 100)
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise InputError(
            "'target' must be a number in the metric's unit, a change such as '+5%' or a level "
            f"of the forecast such as 'p50' (got {short(raw)})"
        )
    unit = units.get(metric or "")
    if unit == "fraction":
        check_number(
            "target",
            raw,
            low=0,
            high=1,
            where=f" for metric {short(metric)} (a fraction 0–1, not %)",
        )
    else:
        check_number("target", raw, low=0, where=f" for metric {short(metric)}" if metric else "")
    return Target("value", float(raw))


def _date(raw: Any, key: str) -> dt.date:
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise InputError(f"'{key}' must be a date written YYYY-MM-DD (got {short(raw)})") from None


def _texts(raw: Any, key: str) -> tuple[str, ...]:
    if isinstance(raw, str):
        return (raw,)
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise InputError(f"'{key}' must be a text or a list of texts (got {short(raw)})")
    return tuple(raw)


def _goal(raw: Any, teams: tuple[str, ...], units: dict[str, str]) -> Goal:
    raw = check_keys(raw, GOAL_KEYS, "each goal")
    metric = raw.get("metric")
    if metric is not None:
        check_choice("metric", metric, tuple(units))
    fields: dict[str, Any] = {
        "id": str(raw["id"]),
        "title": str(raw["title"]),
        "team": check_choice("team", raw["team"], teams),
        "metric": metric,
    }
    for key in ("owner", "parent", "why", "help_from_other_team"):
        if raw.get(key) is not None:
            fields[key] = str(raw[key])
    if "target" in raw:
        fields["target"] = parse_target(raw["target"], metric, units)
    if "scope" in raw:
        if not isinstance(raw["scope"], dict):
            raise InputError(
                f"'scope' must map a field to a value, e.g. {{source: Paid Search}} (got {short(raw['scope'])})"
            )
        fields["scope"] = {str(k): str(v) for k, v in raw["scope"].items()}
    if "period" in raw:
        period = check_keys(raw["period"], PERIOD_KEYS, "'period'")
        start, end = _date(period["start"], "start"), _date(period["end"], "end")
        if end < start:
            raise InputError(f"'period' must end on or after its start (got {start} to {end})")
        fields |= {"start": start, "end": end}
    for key in ("initiatives", "roadblocks", "resources"):
        if key in raw:
            fields[key] = _texts(raw[key], key)
    if "stakeholders" in raw:
        fields["stakeholders"] = tuple(
            check_choice("stakeholders", s, teams, where=" entry")
            for s in _texts(raw["stakeholders"], "stakeholders")
        )
    if "review" in raw:
        review = check_keys(raw["review"], REVIEW_KEYS, "'review'")
        if "cadence_days" in review:
            check_number("cadence_days", review["cadence_days"], low=1)
            fields["review_cadence_days"] = int(review["cadence_days"])
        if "last" in review:
            fields["last_review"] = _date(review["last"], "last")
    for key in ("budget", "cost_per_unit"):
        if key in raw:
            fields[key] = float(check_number(key, raw[key], low=0))
    if "published" in raw:
        if not isinstance(raw["published"], bool):
            raise InputError(f"'published' must be true or false (got {short(raw['published'])})")
        fields["published"] = raw["published"]
    return Goal(**fields)


def _thresholds(raw: Any) -> Thresholds:
    """Check-threshold settings from a goal file; unset ones keep their defaults."""
    known = {name: False for name in Thresholds.__dataclass_fields__}
    raw = in_section("thresholds", check_keys, raw, known, "'thresholds'")
    rules = {"min_history": {"low": 1}, "review_grace_days": {"low": 0}}
    for name, value in raw.items():
        in_section(
            "thresholds", check_number, name, value, **rules.get(name, {"low": 0, "high": 1})
        )
    return Thresholds(**raw)


def goals_from_dict(raw: Any, stages: tuple[str, ...], source: str = "<goals>") -> GoalSet:
    """Check a parsed goal file against the funnel's metric catalog and build a GoalSet."""
    units = {name: m.unit for name, m in catalog(stages).items()}
    try:
        raw = check_keys(raw, FILE_KEYS, "the goals file")
        teams = tuple(str(t) for t in raw.get("teams", DEFAULT_TEAMS))
        if SHARED_TEAM not in teams:
            raise InputError(
                f"'teams' must include {short(SHARED_TEAM)}, the team of the shared goals (got {list(teams)})"
            )
        if not isinstance(raw["goals"], list) or not raw["goals"]:
            raise InputError(f"'goals' must be a non-empty list (got {short(raw['goals'])})")
        goals = []
        for item in raw["goals"]:
            where = (
                f"goal {short(item.get('id'))}: " if isinstance(item, dict) and "id" in item else ""
            )
            try:
                goals.append(_goal(item, teams, units))
            except InputError as err:
                raise InputError(f"{where}{err}") from None
        ids = [g.id for g in goals]
        for goal in goals:
            if ids.count(goal.id) > 1:
                raise InputError(f"'id' must be unique (got {short(goal.id)} twice)")
            if goal.parent is not None:
                check_choice("parent", goal.parent, tuple(ids), where=f" of goal {short(goal.id)}")
                if goal.parent == goal.id:
                    raise InputError(
                        f"'parent' of goal {short(goal.id)} must be another goal (got itself)"
                    )
        return GoalSet(
            goals=tuple(goals), teams=teams, thresholds=_thresholds(raw.get("thresholds") or {})
        )
    except InputError as err:
        raise ParamsError(f"{source}: {err}") from None


def load_goals(path: str | Path, stages: tuple[str, ...]) -> GoalSet:
    """Read and check a goals YAML file for a funnel with these stages."""
    return goals_from_dict(load_yaml(path, "goals file"), stages, source=str(path))
