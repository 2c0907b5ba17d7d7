"""A plan started from one's own CRM export (`funnelkit init`): the funnel, deal size and
marketing share measured on it, the period and the revenue goal given (or grown from the
last complete period), the SLA at stated defaults, written as a parameters file whose comments
say where each value came from. It names no goals and no definitions: those are agreed by the
teams, not copied from a sample."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pandas as pd

from funnelkit.actuals.baselines import Baselines, measure_baselines
from funnelkit.actuals.channel_costs import channel_costs
from funnelkit.actuals.measures import step_days
from funnelkit.actuals.segments import segment_funnels
from funnelkit.core.exceptions import InputError, ParamsError
from funnelkit.core.schema import in_section
from funnelkit.core.validation import short
from funnelkit.crm.costs import read_costs
from funnelkit.crm.deals import join_deals
from funnelkit.crm.leads import LeadTable, read_export
from funnelkit.crm.mapping_file import resolve_mapping
from funnelkit.forecast.simulation import won_in
from funnelkit.model.program import program_plan
from funnelkit.plan.build import build_plan
from funnelkit.plan.funnel import step_name
from funnelkit.plan.params import (
    DEFAULT_CAPACITY_MULTIPLE,
    NAME_PATTERN,
    DealsExport,
    load_params,
)

# the SLA a starter plan proposes until the teams agree their own
DEFAULT_FIRST_TOUCH_MINUTES = 60
DEFAULT_CADENCE = ((0, "call"), (0, "email"), (2, "call"), (5, "email"))
DEFAULT_TOUCHES_PER_REP_PER_DAY = 40
DEFAULT_REPS = 2


@dataclass(frozen=True)
class Period:
    """A plan period: its first month and its length."""

    start: pd.Period  # the first month
    months: int

    @property
    def last_day(self) -> pd.Timestamp:
        """The period's last day."""
        return (self.start + self.months - 1).end_time.normalize()


def parse_period(text: str, months: int | None = None) -> Period:
    """'2027-Q1' (a quarter) or '2027-01' (a month; `months` long, default 3)."""
    quarter = re.fullmatch(r"(\d{4})-Q([1-4])", text.strip())
    month = re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", text.strip())
    if quarter:
        if months not in (None, 3):
            raise InputError(f"'--months' must be 3 for a quarter (got {months})")
        year, q = int(quarter[1]), int(quarter[2])
        return Period(pd.Period(f"{year}-{3 * q - 2:02d}", "M"), 3)
    if month:
        length = 3 if months is None else months
        if not 1 <= length <= 24:
            raise InputError(f"'--months' must be from 1 to 24 (got {length})")
        return Period(pd.Period(text.strip(), "M"), length)
    raise InputError(
        f"'--period' must be a quarter written YYYY-Qn or a month written YYYY-MM (got {short(text)})"
    )


def parse_growth(text: str) -> float:
    """'10%' as a fraction (0.1), or a fraction written as one ('0.1'); growth may be negative."""
    t = text.strip()
    try:
        value = float(t[:-1]) / 100 if t.endswith("%") else float(t)
    except ValueError:
        raise InputError(
            f"'--growth' must be a percentage such as 10% (got {short(text)})"
        ) from None
    if not t.endswith("%") and abs(value) > 1:
        raise InputError(
            f"'--growth' must be a percentage such as 10%, or a fraction from -1 to 1 "
            f"(got {short(text)}: did you mean {t}%?)"
        )
    if value <= -1:
        raise InputError(f"'--growth' must be above -100% (got {short(text)})")
    return value


def parse_day(text: str, option: str) -> dt.date:
    """A day written YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"'{option}' must be a day written YYYY-MM-DD (got {short(text)})"
        ) from None


def parse_days(given: list[str]) -> dict[str, float]:
    """'prospecting→engaging=7' (or '->' for the arrow) per entry: days for steps the export
    cannot time."""
    days = {}
    for entry in given:
        step, _, value = entry.replace("->", "→").partition("=")
        try:
            days[step.strip()] = float(value)
        except ValueError:
            raise InputError(
                f"'--days' must be written STEP=DAYS, e.g. 'lead->mql=5' (got {short(entry)})"
            ) from None
        if days[step.strip()] < 0:
            raise InputError(f"'--days' must be 0 or more days (got {short(entry)})")
    return days


def grown_goal(table: LeadTable, period: Period, growth: float) -> tuple[float, str]:
    """The revenue won in the last complete period of the same length before the export's
    as-of day, grown by `growth`; and that basis in words."""
    last_month = pd.Period(table.as_of, "M")
    if table.as_of.normalize() < last_month.end_time.normalize():
        last_month -= 1  # the as-of month is not complete
    first = last_month - period.months + 1
    won, customers = won_in(table, first.start_time, last_month.end_time.normalize())
    if not won > 0:
        raise InputError(
            f"'--growth' needs revenue won from {first} to {last_month} in {table.source} "
            f"(got {won:,.0f}): give the goal with --goal"
        )
    basis = (
        f"{first} to {last_month} won {won:,.0f} from {customers:,} customers; "
        f"the goal is {growth:+.0%} on that"
    )
    return won * (1 + growth), basis


def _yaml_text(value: str) -> str:
    """A YAML double-quoted string."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def starter_text(
    name: str,
    export: Path,
    mapping: str,
    table: LeadTable,
    b: Baselines,
    chosen: dict[str, tuple[float, str]],
    split: dict[str, tuple[float, str]],
    period: Period,
    goal: float,
    goal_basis: str,
    folder: Path,
    currency: str,
) -> str:
    """The parameters file, with a comment beside each value saying where it came from;
    `chosen` holds the marketing share and deal size with their sources in words, `split`
    the days of steps timed only by the span around them, with the rule."""
    f = b.funnel
    rel_export = Path(_relative(export, folder))
    mapping_text = (
        mapping if not mapping.endswith((".yaml", ".yml")) else _relative(Path(mapping), folder)
    )
    as_of = f"{table.as_of:%Y-%m-%d}"
    lines = [
        f"# Started with `funnelkit init` from {rel_export.name} (actuals to {as_of}).",
        "# Measured values say so; defaults are marked 'set yours'. Goals and stage definitions",
        "# are left out: add `goals:` and `definitions:` once the teams have agreed them.",
        f"name: {name}",
        f"title: {_yaml_text(f'{name}: {period.start} to {period.start + period.months - 1}')}",
        f"currency: {currency}",
        "",
        "period:",
        f"  start: {period.start}",
        f"  months: {period.months}",
        "",
        f"revenue_goal: {goal:.0f}    # {goal_basis}",
        f"marketing_share: {chosen['marketing_share'][0]:.3f}    # {chosen['marketing_share'][1]}",
        f"deal_size: {chosen['deal_size'][0]:.0f}    # {chosen['deal_size'][1]}",
        "",
        "# Measured on the export: each step's rate from the leads that entered it long enough",
        "# ago to have converted, and the median days it took (unless given with --days).",
        "funnel:",
    ]
    for stage, rate, days, step in zip(f.stages, f.conversion_rates, f.days, f.steps, strict=False):
        n = b.leads_measured.get(step, 0)
        timing = (
            split[step][1]
            if step in split
            else "days given with --days"
            if step in b.untimed
            else "days measured"
        )
        lines.append(
            f"  - {{stage: {stage}, conversion_rate: {rate:.4f}, days: {days:.1f}}}"
            f"    # rate from {n:,} leads; {timing}"
        )
    lines.append(f"  - {{stage: {f.stages[-1]}}}")
    lines += [
        "",
        "sla:    # set yours: these are defaults until marketing and sales agree the SLA",
        f"  handoff_stage: {f.stages[1] if len(f.stages) > 2 else f.stages[0]}",
        f"  first_touch_minutes: {DEFAULT_FIRST_TOUCH_MINUTES}",
        "  cadence:",
        *(f"    - {{day: {day}, channel: {channel}}}" for day, channel in DEFAULT_CADENCE),
        f"  touches_per_rep_per_day: {DEFAULT_TOUCHES_PER_REP_PER_DAY}",
        f"  reps: {DEFAULT_REPS}",
        "",
        "actuals:",
        f"  export: {_yaml_text(str(rel_export))}",
        f"  mapping: {_yaml_text(mapping_text)}",
        *([f"  as_of: {as_of}    # given with --as-of"] if table.taken_at is not None else []),
        "",
    ]
    return "\n".join(lines)


def _relative(path: Path, folder: Path) -> str:
    """`path` relative to `folder` when both sit in one project (the folder's parent), as a
    parameters file names the files beside it; else absolute."""
    path, folder = path.resolve(), folder.resolve()
    if path.is_relative_to(folder.parent):
        return os.path.relpath(path, folder)
    return str(path)


def _check_days(days: dict[str, float], table: LeadTable) -> None:
    """Each `--days` step must be a step of the export that it cannot time itself."""
    steps = tuple(step_name(a, b) for a, b in zip(table.stages, table.stages[1:], strict=False))
    for step in days:
        if step not in steps:
            raise InputError(
                f"'--days' step must be one of {', '.join(s.replace('→', '->') for s in steps)} "
                f"(got {step.replace('→', '->')!r})"
            )
        a, b = step.split("→")
        timed = step_days(table, a, b)
        if len(timed):
            raise InputError(
                f"'--days' is for steps the export cannot time, but it times "
                f"{step.replace('→', '->')} itself ({len(timed):,} leads, median "
                f"{float(timed.median()):.1f} days)"
            )


def spanned_days(table: LeadTable, given: dict[str, float]) -> dict[str, tuple[float, str]]:
    """Days for the steps the export cannot time and `given` does not name, where the export
    times the span around them (e.g. an opportunity report dates its creation and its close
    but no stage between): the span's median days, less any given days inside it, split
    evenly over those steps; with the rule in words. Steps no span covers are left out."""
    stages = table.stages
    untimed = [not len(step_days(table, a, b)) for a, b in pairwise(stages)]
    found: dict[str, tuple[float, str]] = {}
    i = 0
    while i < len(untimed):
        if not untimed[i]:
            i += 1
            continue
        j = i
        while j < len(untimed) and untimed[j]:
            j += 1  # steps i..j-1 are untimed: stages[i] to stages[j] is the span
        span = step_days(table, stages[i], stages[j])
        steps = [step_name(stages[k], stages[k + 1]) for k in range(i, j)]
        open_steps = [s for s in steps if s not in given]
        left = float(span.median()) - sum(given.get(s, 0.0) for s in steps) if len(span) else 0
        if open_steps and left > 0:
            rule = (
                f"days split evenly: the export times {stages[i]} to {stages[j]} only "
                f"(median {float(span.median()):.1f} days over {len(span):,} leads"
                + (", less the days given" if len(open_steps) < len(steps) else "")
                + "): set yours"
            )
            found |= {s: (left / len(open_steps), rule) for s in open_steps}
        i = j
    return found


def _deals_text(deals: DealsExport | None, folder: Path) -> str:
    """The parameters' `actuals.deals` section, or nothing."""
    if deals is None:
        return ""
    mapping = deals.mapping
    if mapping.endswith((".yaml", ".yml")):
        mapping = _relative(Path(mapping), folder)
    stages = ", ".join(f"{k}: {v}" for k, v in deals.stages.items())
    return "\n".join(
        [
            "  deals:    # the deals export, joined to the leads by each lead's deal id",
            f"    export: {_yaml_text(_relative(deals.export_file, folder))}",
            f"    mapping: {_yaml_text(mapping)}",
            f"    key: {_yaml_text(deals.key)}",
            f"    stages: {{{stages}}}",
            "",
        ]
    )


def _program_text(costs: Path | None, table: LeadTable, folder: Path) -> str:
    """The parameters' `program` section, with what the export and the costs file measure
    per channel as comments, or nothing without a costs file."""
    if costs is None:
        return ""
    priced = read_costs(costs)
    measured = channel_costs(table, priced)
    funnels = segment_funnels(table, "source")
    index = {s: i for i, s in enumerate(funnels.segments)}
    lines = [
        "",
        "# The program plan: the leads each channel (lead source) must bring, and what they",
        f"# cost. Measured on the export and the costs file, {measured.months[0]} to "
        f"{measured.months[-1]}:",
        "# each channel's cost per lead, and the share of its leads that became customers",
        "# (pooled towards the overall funnel):",
    ]
    for _, row in measured.frame.iterrows():
        rate = float(funnels.rates[index[row["channel"]]].prod())
        lines.append(f"#   {row['channel']}: {row['cost_per_lead']:,.2f} a lead, {rate:.2%}")
    for left_out in [f.sentence() for f in priced.quality.findings] + measured.notes():
        lines.append(f"# Left out: {left_out}")
    return "\n".join(
        [
            *lines,
            "program:",
            f"  costs: {_yaml_text(_relative(costs, folder))}",
            "  mix: history          # or least-cost, or a share per channel",
            f"  capacity_multiple: {DEFAULT_CAPACITY_MULTIPLE:g}   # × a channel's best month's leads",
            "",
        ]
    )


def init_plan(
    export: str | Path,
    name: str,
    period: Period,
    out_dir: str | Path,
    mapping: str = "hubspot",
    goal: float | None = None,
    growth: float | None = None,
    currency: str = "USD",
    overwrite: bool = False,
    days: dict[str, float] | None = None,
    marketing_share: float | None = None,
    deal_size: float | None = None,
    deals: DealsExport | None = None,
    as_of: dt.date | None = None,
    costs: Path | None = None,
) -> Path:
    """Measure `export` and write `<out_dir>/<name>.yaml`, a plan for `period` with the given
    goal (or `growth` on the last complete period); `days` times the steps the export cannot,
    `marketing_share` and `deal_size` stand in for what it cannot measure (no sources, no
    won amounts); `deals` names a separate deals export to join; `as_of` is the day the
    export was taken (for an export without dates); `costs` a costs file for the program plan
    (each channel's funnel and cost measured). Checked as `funnelkit render` checks it."""
    if not NAME_PATTERN.fullmatch(name):
        raise InputError(
            f"'--name' must be letters, digits, '.', '_' or '-', starting with a letter or "
            f"digit, since reports are written to reports/<name>/ (got {short(name)})"
        )
    if (goal is None) == (growth is None):
        raise InputError("give the revenue goal with exactly one of --goal and --growth")
    if goal is not None and not goal > 0:
        raise InputError(f"'--goal' must be above 0 (got {goal:g})")
    out = Path(out_dir)
    path = out / f"{name}.yaml"
    if path.exists() and not overwrite:
        raise InputError(f"{path} already exists: choose another --name, or pass --force")
    table = read_export(export, resolve_mapping(mapping))
    _check_days(days or {}, table)
    if deals is not None:
        joined = read_export(deals.export_file, resolve_mapping(deals.mapping))
        table = in_section("--deals", join_deals, table, joined, deals.key, deals.stages)
    if as_of is not None:
        table = table.taken_on(as_of)
    elif table.latest_event is None:
        raise InputError(
            f"{export}: the export holds no dates: give the day it was taken with "
            "--as-of YYYY-MM-DD"
        )
    split = spanned_days(table, days or {})
    try:
        b = measure_baselines(
            table, fallback_days={**{k: v for k, (v, _) in split.items()}, **(days or {})}
        )
    except InputError as err:
        if not str(err).startswith("'days' for step"):
            raise
        step = str(err).split("'")[3]
        raise InputError(
            f"{export}: {err}: give them with --days '{step.replace('→', '->')}=DAYS'"
        ) from None
    given = {"marketing_share": marketing_share, "deal_size": deal_size}
    for key, value in given.items():
        if value is not None and not (0 < value <= 1 if key == "marketing_share" else value > 0):
            rule = "in (0, 1]" if key == "marketing_share" else "above 0"
            raise InputError(f"'--{key.replace('_', '-')}' must be {rule} (got {value:g})")
    sources = {
        "marketing_share": (b.marketing_share, "share of won revenue from marketing sources"),
        "deal_size": (b.deal_size, "mean won amount"),
    }
    chosen: dict[str, tuple[float, str]] = {}
    for key, (measured, how) in sources.items():
        value, flag = given[key], key.replace("_", "-")
        if value is not None:
            chosen[key] = (value, f"given with --{flag}")
            continue
        if measured is None:
            what = "sources" if "source" not in table.leads else "won amounts"
            raise InputError(
                f"{export}: the export has no {what} to measure '{key}' on: give it with --{flag}"
            )
        if key == "marketing_share" and measured == 0:
            listed = table.mapping.marketing_sources
            found = table.leads["source"].dropna().astype(str).unique()[:8]
            raise InputError(
                f"{mapping}: no won revenue comes from the mapping's 'marketing_sources' "
                f"({', '.join(listed) if listed else 'none listed'}); the export's sources "
                f"include {', '.join(sorted(found))}: list the marketing ones in the mapping, "
                f"or give the share with --{flag}"
            )
        chosen[key] = (measured, f"measured: {how}")
    if goal is not None:
        basis = "given with --goal"
    else:
        goal, basis = grown_goal(table, period, growth or 0.0)
    if period.last_day <= table.as_of.normalize():
        raise InputError(
            f"'--period' {period.start} must end after the export's as-of day "
            f"{table.as_of:%Y-%m-%d}: a plan is for a period still to come"
        )
    out.mkdir(parents=True, exist_ok=True)
    text = starter_text(
        name, Path(export), mapping, table, b, chosen, split, period, goal, basis, out, currency
    ) + _deals_text(deals, out)
    text += in_section("--costs", _program_text, costs, table, out)
    tmp = out / f".{name}.yaml.tmp"
    tmp.write_text(text, encoding="utf-8")
    try:
        params = load_params(tmp)  # the same checks as render; nothing is left behind on failure
        if params.program is not None:
            program_plan(build_plan(params), table, params.program, str(path))
    except ParamsError as err:
        tmp.unlink()
        said = str(err).replace(f"{tmp}: ", "").replace(str(tmp), str(path))
        raise ParamsError(
            f"{export}: the plan started from this export would break a plan's rule, so "
            f"{path.name} was not written: {said}"
        ) from None
    tmp.replace(path)
    return path
