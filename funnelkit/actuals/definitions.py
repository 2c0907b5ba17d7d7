"""Stage definitions as rules both teams agree on: what makes a lead an MQL (or an SQL, or any
configured stage), read from YAML, checked against the export's columns, applied to every
lead, and put into words.

A definitions file::

    version: "2026.11"
    agreed_by: [Head of Demand Generation, SDR Manager]
    agreed_on: 2026-11-02
    stages:
      mql:
        fit:                       # who the lead is: all of these…
          all:
            - {column: occupation, is: in, value: [Working Professional, Businessman]}
        behaviour:                 # …and what the lead did: any of these
          any:
            - {column: time_on_site, is: ">=", value: 600, label: engaged on the site}
            - {column: visits, is: ">=", value: 5}

A lead qualifies when every group it names holds. A group is ``all:`` or ``any:`` over
criteria and nested groups. Operators: ``>=``, ``>``, ``<=``, ``<``, ``between`` (number
columns); ``is``, ``is not``, ``in``, ``not in``, ``contains`` (text columns); ``present``,
``missing`` (any column). A missing value fails every criterion but ``missing``.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from funnelkit.core.exceptions import InputError, ParamsError
from funnelkit.core.schema import check_keys, in_section, load_yaml, nonempty_list, text
from funnelkit.core.validation import short
from funnelkit.crm.fields import FIELDS
from funnelkit.crm.mapping import Mapping
from funnelkit.plan.stage_names import DEFAULT_NAMES, StageNames

NUMBER_OPS = (">=", ">", "<=", "<", "between")
TEXT_OPS = ("is", "is not", "in", "not in", "contains")
ANY_OPS = ("present", "missing")
OPS = NUMBER_OPS + TEXT_OPS + ANY_OPS
GROUPS = ("all", "any")
PARTS = ("fit", "behaviour")  # what a definition's top-level groups are called
TOP_KEYS = {"version": True, "agreed_by": True, "agreed_on": True, "stages": True}
CRITERION_KEYS = {"column": True, "is": True, "value": False, "label": False}
WORDS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "is not": "is not", "not in": "is none of"}


@dataclass(frozen=True)
class Criterion:
    """One test on one column of the lead table."""

    column: str
    op: str
    value: Any = None  # a number, [low, high], text, or a list of texts; None for present/missing
    label: str = ""  # how people call it, e.g. 'engaged on the site'

    def text(self) -> str:
        """The criterion in words, e.g. 'time_on_site ≥ 600'."""
        if self.op in ANY_OPS:
            words = f"{self.column} is {'given' if self.op == 'present' else 'missing'}"
        elif self.op == "between":
            words = f"{self.column} between {self.value[0]:g} and {self.value[1]:g}"
        elif self.op in ("in", "not in"):
            words = f"{self.column} {'is one of' if self.op == 'in' else 'is none of'} {', '.join(map(str, self.value))}"
        elif self.op in NUMBER_OPS:
            words = f"{self.column} {WORDS[self.op]} {self.value:g}"
        else:
            words = f"{self.column} {WORDS.get(self.op, self.op)} {self.value}"
        return f"{self.label} ({words})" if self.label else words


@dataclass(frozen=True)
class Group:
    """Criteria and nested groups combined with 'all' or 'any'."""

    how: str  # 'all' or 'any'
    items: tuple[Criterion | Group, ...]

    def criteria(self) -> list[Criterion]:
        """Every criterion in the group and its nested groups, in order."""
        out: list[Criterion] = []
        for item in self.items:
            out += item.criteria() if isinstance(item, Group) else [item]
        return out

    def text(self) -> str:
        joined = "; ".join(
            i.text() if isinstance(i, Criterion) else f"({i.text()})" for i in self.items
        )
        return f"{self.how} of: {joined}"


@dataclass(frozen=True)
class Definition:
    """What makes a lead reach one stage: a fit group, a behaviour group, or both."""

    stage: str
    parts: dict[str, Group]  # 'fit' and/or 'behaviour' -> group

    def criteria(self) -> list[Criterion]:
        return [c for g in self.parts.values() for c in g.criteria()]

    def text(self, names: StageNames = DEFAULT_NAMES) -> str:
        """The definition in words, generated from the rules; the stage by its display name."""
        parts = [
            f"{'fits' if p == 'fit' else 'behaves'} ({g.text()})" for p, g in self.parts.items()
        ]
        return f"A lead counts as {names.label(self.stage)} when it " + ", and ".join(parts) + "."


@dataclass(frozen=True)
class Definitions:
    """The agreed definitions of a funnel's stages, with their version and who agreed."""

    version: str
    agreed_by: tuple[str, ...]
    agreed_on: dt.date
    stages: dict[str, Definition]
    source: str = "<definitions>"

    def definition(self, stage: str) -> Definition:
        if stage not in self.stages:
            raise InputError(
                f"'stage' must be one the definitions give ({', '.join(self.stages)}) (got {short(stage)})"
            )
        return self.stages[stage]


def _criterion(raw: Any) -> Criterion:
    raw = check_keys(raw, CRITERION_KEYS, "each criterion")
    column, op, value = text(raw, "column"), raw["is"], raw.get("value")
    if op not in OPS:
        match = difflib.get_close_matches(str(op), OPS, n=1)
        hint = (
            f" (did you mean {short(match[0])}?)" if match else f"; operators are {', '.join(OPS)}"
        )
        raise InputError(
            f"'is' for column {short(column)} must be an operator{hint} (got {short(op)})"
        )
    if op in ANY_OPS:
        if value is not None:
            raise InputError(
                f"'value' for {short(column)} {op} must be left out (got {short(value)})"
            )
    elif op == "between":
        if not (
            isinstance(value, list)
            and len(value) == 2
            and all(_is_number(v) for v in value)
            and value[0] <= value[1]
        ):
            raise InputError(
                f"'value' for {short(column)} between must be [low, high] numbers (got {short(value)})"
            )
    elif op in NUMBER_OPS:
        if not _is_number(value):
            raise InputError(
                f"'value' for {short(column)} {op} must be a number (got {short(value)})"
            )
    elif op in ("in", "not in"):
        if not (isinstance(value, list) and value):
            raise InputError(
                f"'value' for {short(column)} {op} must be a non-empty list (got {short(value)})"
            )
        value = tuple(str(v) for v in value)
    elif not isinstance(value, str | int | float) or isinstance(value, bool):
        raise InputError(f"'value' for {short(column)} {op} must be text (got {short(value)})")
    else:
        value = str(value)
    return Criterion(column, op, value, str(raw.get("label", "")))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value)


def _group(raw: Any, where: str) -> Group:
    if not isinstance(raw, dict) or len(raw) != 1 or next(iter(raw)) not in GROUPS:
        raise InputError(
            f"{where} must be one of 'all:' or 'any:' with a list of criteria (got {short(raw)})"
        )
    how = next(iter(raw))
    items = raw[how]
    if not isinstance(items, list) or not items:
        raise InputError(
            f"{where} '{how}' must list at least one criterion: an empty rule qualifies every lead (got {short(items)})"
        )
    return Group(
        how,
        tuple(
            _group(i, f"a group in {where}")
            if isinstance(i, dict) and set(i) <= set(GROUPS)
            else _criterion(i)
            for i in items
        ),
    )


def _definition(stage: str, raw: Any) -> Definition:
    raw = check_keys(raw, dict.fromkeys(PARTS, False), f"the definition of {short(stage)}")
    if not raw:
        raise InputError(
            f"the definition of {short(stage)} must give 'fit' or 'behaviour': an empty rule qualifies every lead"
        )
    return Definition(
        stage, {p: in_section(p, _group, raw[p], f"'{p}'") for p in PARTS if p in raw}
    )


def definitions_from_dict(raw: Any, source: str = "<definitions>") -> Definitions:
    """Check a parsed definitions mapping (see the module docstring)."""
    try:
        raw = check_keys(raw, TOP_KEYS, "the definitions file")
        stages = raw["stages"]
        if not isinstance(stages, dict) or not stages:
            raise InputError(
                f"'stages' must map each defined stage to its rules (got {short(stages)})"
            )
        agreed_on = raw["agreed_on"]
        if not isinstance(agreed_on, dt.date):
            try:
                agreed_on = dt.date.fromisoformat(str(agreed_on))
            except ValueError:
                raise InputError(
                    f"'agreed_on' must be a date written YYYY-MM-DD (got {short(agreed_on)})"
                ) from None
        agreed_by = nonempty_list(raw, "agreed_by")
        return Definitions(
            version=str(raw["version"]),
            agreed_by=tuple(str(a) for a in agreed_by),
            agreed_on=agreed_on,
            stages={
                str(s): in_section(f"stages: {s}", _definition, str(s), r)
                for s, r in stages.items()
            },
            source=source,
        )
    except InputError as err:
        raise ParamsError(f"{source}: {err}") from None


def load_definitions(path: str | Path) -> Definitions:
    """Read and check a definitions YAML file."""
    return definitions_from_dict(load_yaml(path, "definitions file"), source=str(path))


def _lead_column_of(name: str, mapping: Mapping | None, leads: pd.DataFrame) -> str | None:
    """The lead table's column the mapping reads from the export's column `name` (in any
    case), when there is one."""
    if mapping is None:
        return None
    for column, names in {**mapping.columns, **mapping.attributes}.items():
        if column in leads.columns and name.lower() in (n.lower() for n in names):
            return column
    return None


def check_columns(
    definition: Definition, leads: pd.DataFrame, source: str = "", mapping: Mapping | None = None
) -> None:
    """Every criterion must name a column of the lead table, with an operator its type allows.
    With the table's `mapping`, a missing field or attribute says why it is missing."""
    columns = [c for c in leads.columns if not c.endswith("_at")]
    for c in definition.criteria():
        if c.column not in leads.columns:
            where = (
                f"{source}{definition.stage}: 'column' {short(c.column)} is not a column of the "
                "lead table"
            )
            sought = (
                None
                if mapping is None
                else mapping.columns.get(c.column) or mapping.attributes.get(c.column)
            )
            if sought:
                looked = " or ".join(short(name) for name in sought)
                raise InputError(
                    f"{where}: the leads' export or table has no column for it (the mapping "
                    f"looked for {looked})"
                )
            if mapping is not None and c.column in FIELDS:
                raise InputError(f"{where}: the mapping maps no column to the field")
            renamed = _lead_column_of(c.column, mapping, leads)
            if renamed is not None:
                raise InputError(
                    f"{where}: it is the export's name for what the lead table calls "
                    f"{short(renamed)}; name that"
                )
            match = difflib.get_close_matches(c.column, columns, n=3, cutoff=0.5)
            close = f"; closest: {', '.join(match)}" if match else ""
            raise InputError(f"{where} (its columns: {', '.join(columns)}{close})")
        numeric = pd.api.types.is_numeric_dtype(leads[c.column]) and not pd.api.types.is_bool_dtype(
            leads[c.column]
        )
        if c.op in NUMBER_OPS and not numeric:
            raise InputError(
                f"{source}{definition.stage}: 'is' {short(c.op)} needs a number column, but "
                f"{short(c.column)} holds text (use is, in, contains)"
            )
        if c.op in TEXT_OPS and numeric:
            raise InputError(
                f"{source}{definition.stage}: 'is' {short(c.op)} needs a text column, but "
                f"{short(c.column)} holds numbers (use >=, <=, between)"
            )


def _test(c: Criterion, column: pd.Series) -> np.ndarray:
    present = column.notna().to_numpy()
    if c.op == "present":
        return present
    if c.op == "missing":
        return ~present
    if c.op in NUMBER_OPS:
        x = column.to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            result = {
                ">=": lambda: x >= c.value,
                ">": lambda: x > c.value,
                "<=": lambda: x <= c.value,
                "<": lambda: x < c.value,
                "between": lambda: (x >= c.value[0]) & (x <= c.value[1]),
            }[c.op]()
        return result & present
    s = column.astype("string")
    result = {
        "is": lambda: s == c.value,
        "is not": lambda: s != c.value,
        "in": lambda: s.isin(c.value),
        "not in": lambda: ~s.isin(c.value),
        "contains": lambda: s.str.contains(c.value, regex=False),
    }[c.op]()
    return result.fillna(False).to_numpy(dtype=bool) & present


def _evaluate(item: Criterion | Group, tests: dict[int, np.ndarray]) -> np.ndarray:
    if isinstance(item, Criterion):
        return tests[id(item)]
    parts = [_evaluate(i, tests) for i in item.items]
    return np.logical_and.reduce(parts) if item.how == "all" else np.logical_or.reduce(parts)


def _failure(group: Group, tests: dict[int, np.ndarray], size: int) -> np.ndarray:
    """Per lead, in words, why `group` fails: for 'all' the first item that fails, for 'any'
    the whole group; '' where it holds."""
    if group.how == "any":
        words = "; ".join(
            i.text() if isinstance(i, Criterion) else f"({i.text()})" for i in group.items
        )
        return np.where(_evaluate(group, tests), "", f"none of: {words}").astype(object)
    out = np.full(size, "", dtype=object)
    for item in reversed(group.items):
        why = item.text() if isinstance(item, Criterion) else _failure(item, tests, size)
        out = np.where(_evaluate(item, tests), out, why)
    return out


def apply_definition(definition: Definition, leads: pd.DataFrame) -> pd.DataFrame:
    """For every lead: whether it qualifies, the first criterion it fails (in words, '' when
    it qualifies), and one true/false column per criterion. Indexed like `leads`."""
    check_columns(definition, leads)
    criteria = definition.criteria()
    tests = {id(c): _test(c, leads[c.column]) for c in criteria}
    qualifies = np.logical_and.reduce([_evaluate(g, tests) for g in definition.parts.values()])
    failed = np.full(len(leads), "", dtype=object)
    for part, group in reversed(list(definition.parts.items())):  # the first failing part wins
        reason = _failure(group, tests, len(leads))
        failed = np.where(reason != "", np.char.add(f"{part}: ", reason.astype(str)), failed)
    out = pd.DataFrame({"qualifies": qualifies, "failed": failed}, index=leads.index)
    for i, c in enumerate(criteria):
        out[f"{i + 1}. {c.text()}"] = tests[id(c)]
    return out
