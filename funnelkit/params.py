"""A plan's parameters: read from YAML, checked field by field, turned into funnelkit objects.

Unknown keys are errors (with the closest known key), never ignored: a typo must not fall
back to a default. Every message starts with the file and the section, then names the
field, the rule and the value, e.g.
``params/q1.yaml: funnel: 'conversion_rate' for step 'mql→sql' must be in (0, 1] (got 1.4)``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from funnelkit.exceptions import InputError, ParamsError
from funnelkit.funnel import Funnel
from funnelkit.phasing import GRANULARITIES, month_edges, month_weights
from funnelkit.sla import SlaTerms, Touch
from funnelkit.validation import check_choice, check_number

# key -> required?
TOP_KEYS = {
    "name": True,
    "title": False,
    "currency": False,
    "period": True,
    "revenue_goal": True,
    "marketing_share": True,
    "deal_size": True,
    "funnel": True,
    "sla": True,
    "pipeline": False,
}
PERIOD_KEYS = {"start": True, "months": True, "weights": False, "granularity": False}
STAGE_KEYS = {"stage": True, "conversion_rate": False, "days": False}
SLA_KEYS = {
    "handoff_stage": True,
    "first_touch_minutes": True,
    "cadence": True,
    "touches_per_rep_per_day": True,
    "reps": True,
    "holidays": False,
}
TOUCH_KEYS = {"day": True, "channel": True}
PIPELINE_KEYS = {"open_value": False, "win_rate": False}
DEFAULT_CURRENCY = "USD"
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class PlanParams:
    """Everything a quarterly plan needs, checked."""

    name: str  # short name; reports go to reports/<name>/
    title: str  # headline of the plan
    currency: str  # ISO code shown beside money, e.g. 'USD'
    start: np.datetime64  # first day of the plan period
    months: int  # length of the plan period
    weights: tuple[float, ...] | None  # fraction of revenue per month; None for an even split
    granularity: str  # 'month' or 'week', for the phasing table
    revenue_goal: float  # total sales revenue goal for the period, money
    marketing_share: float  # fraction 0–1 of revenue from marketing-sourced leads
    deal_size: float  # average deal size, money
    funnel: Funnel
    sla: SlaTerms
    open_pipeline: float | None  # open pipeline value now, money; None when not given
    win_rate: float | None  # fraction 0–1; None means the funnel's last step rate


def _closest(key: str, known: dict[str, bool]) -> str:
    match = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else f"; known keys are {', '.join(known)}"


def _mapping(raw: Any, known: dict[str, bool], what: str) -> dict[str, Any]:
    """Check a mapping's keys: none unknown, every required one present."""
    if not isinstance(raw, dict):
        raise InputError(f"{what} must be a mapping of keys to values (got {raw!r})")
    for key in raw:
        if key not in known:
            raise InputError(f"'{key}' is not a known key{_closest(str(key), known)}")
    missing = [k for k, required in known.items() if required and k not in raw]
    if missing:
        raise InputError(f"{what} must give {', '.join(repr(k) for k in missing)}")
    return raw


def _text(raw: dict[str, Any], key: str) -> str:
    value = raw[key]
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"'{key}' must be non-empty text (got {value!r})")
    return value


def _list(raw: dict[str, Any], key: str) -> list[Any]:
    value = raw[key]
    if not isinstance(value, list) or not value:
        raise InputError(f"'{key}' must be a non-empty list (got {value!r})")
    return value


def _date(value: Any, key: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"'{key}' must hold dates written YYYY-MM-DD (got {value!r})") from None


def _funnel(raw: Any) -> Funnel:
    if not isinstance(raw, list) or len(raw) < 2:
        raise InputError(f"'funnel' must list at least 2 stages, first to last (got {raw!r})")
    entries = [_mapping(e, STAGE_KEYS, "each stage") for e in raw]
    stages = [_text(e, "stage") for e in entries]
    for entry, stage, next_stage in zip(entries, stages, stages[1:], strict=False):
        for key in ("conversion_rate", "days"):
            if key not in entry:
                raise InputError(
                    f"stage {stage!r} must give {key!r} (for the step to {next_stage!r})"
                )
    last = entries[-1]
    for key in ("conversion_rate", "days"):
        if key in last:
            raise InputError(
                f"the last stage {stages[-1]!r} must not give {key!r} (no stage follows it)"
            )
    return Funnel(
        stages=tuple(stages),
        conversion_rates=tuple(e["conversion_rate"] for e in entries[:-1]),
        days=tuple(e["days"] for e in entries[:-1]),
    )


def _sla(raw: Any, funnel: Funnel) -> SlaTerms:
    raw = _mapping(raw, SLA_KEYS, "'sla'")
    handoff = _text(raw, "handoff_stage")
    funnel.stage_index(handoff)
    cadence = []
    for item in _list(raw, "cadence"):
        touch = _mapping(item, TOUCH_KEYS, "each cadence touch")
        cadence.append(Touch(day=touch["day"], channel=touch["channel"]))
    holidays = raw.get("holidays") or []
    if not isinstance(holidays, list):
        raise InputError(f"'holidays' must be a list of dates (got {holidays!r})")
    return SlaTerms(
        handoff_stage=handoff,
        first_touch_minutes=raw["first_touch_minutes"],
        cadence=tuple(cadence),
        touches_per_rep_per_day=raw["touches_per_rep_per_day"],
        reps=raw["reps"],
        holidays=tuple(_date(h, "holidays") for h in holidays),
    )


def _pipeline(raw: Any) -> dict[str, Any]:
    raw = _mapping(raw, PIPELINE_KEYS, "'pipeline'")
    if "open_value" in raw:
        check_number("open_value", raw["open_value"], low=0)
    if "win_rate" in raw:
        check_number("win_rate", raw["win_rate"], low=0, high=1, low_open=True)
    return raw


def _in(section: str, build, *args):
    """Run a section's builder, prefixing its error with the section's name."""
    try:
        return build(*args)
    except InputError as err:
        raise InputError(f"{section}: {err}") from None


def params_from_dict(raw: Any, source: str = "<parameters>") -> PlanParams:
    """Check a parsed parameters mapping and build a PlanParams; `source` names it in errors."""
    try:
        return _build(raw)
    except InputError as err:
        raise ParamsError(f"{source}: {err}") from None


def _build(raw: Any) -> PlanParams:
    raw = _mapping(raw, TOP_KEYS, "the parameters file")
    period = _in("period", _mapping, raw["period"], PERIOD_KEYS, "'period'")
    months = period["months"]
    start = _in("period", month_edges, period["start"], months)[0]
    weights = period.get("weights")
    if weights is not None:
        weights = tuple(_in("period", month_weights, months, weights))
    granularity = _in(
        "period", check_choice, "granularity", period.get("granularity", "month"), GRANULARITIES
    )
    for key, rule in (
        ("revenue_goal", {"low": 0}),
        ("marketing_share", {"low": 0, "high": 1}),
        ("deal_size", {"low": 0, "low_open": True}),
    ):
        check_number(key, raw[key], **rule)
    funnel = _in("funnel", _funnel, raw["funnel"])
    sla = _in("sla", _sla, raw["sla"], funnel)
    pipeline = _in("pipeline", _pipeline, raw.get("pipeline") or {})
    name = _text(raw, "name")
    if not NAME_PATTERN.fullmatch(name):
        raise InputError(
            f"'name' must be letters, digits, '.', '_' or '-', starting with a letter or digit, "
            f"since reports are written to reports/<name>/ (got {name!r})"
        )
    return PlanParams(
        name=name,
        title=_text(raw, "title") if "title" in raw else name,
        currency=_text(raw, "currency") if "currency" in raw else DEFAULT_CURRENCY,
        start=start,
        months=months,
        weights=weights,
        granularity=granularity,
        revenue_goal=raw["revenue_goal"],
        marketing_share=raw["marketing_share"],
        deal_size=raw["deal_size"],
        funnel=funnel,
        sla=sla,
        open_pipeline=pipeline.get("open_value"),
        win_rate=pipeline.get("win_rate"),
    )


def load_params(path: str | Path) -> PlanParams:
    """Read and check a plan's parameters YAML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParamsError(f"{path}: no such parameters file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ParamsError(f"{path}: cannot be read as UTF-8 text ({err})") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ParamsError(f"{path}: is not valid YAML{where}: {problem}") from None
    return params_from_dict(raw, source=str(path))
