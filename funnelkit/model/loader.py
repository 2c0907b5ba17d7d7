"""One plan with its data, read and checked once: parameters → CRM export (through the
mapping) → baselines measured on it → goals → stage definitions → the previous period's plan,
and the pipeline coverage of what is left of the goal. Rendering, the workbook, the command
line and both explorers all open a plan here, so they all read the same figures."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from funnelkit.actuals.baselines import Baselines, measure_baselines
from funnelkit.actuals.definitions import Definitions, check_columns, load_definitions
from funnelkit.actuals.swings import quarterly_swings
from funnelkit.core.exceptions import CrmExportError, InputError, ParamsError
from funnelkit.core.schema import in_section
from funnelkit.crm.databases import read_database_table
from funnelkit.crm.deals import join_deals
from funnelkit.crm.leads import LeadTable, read_export
from funnelkit.crm.mapping_file import resolve_mapping
from funnelkit.forecast.backtest import MIN_FORECASTS, WEEKS, Backtest, period_starts
from funnelkit.forecast.backtest import TRIALS as BACKTEST_TRIALS
from funnelkit.forecast.backtest_cache import cached_backtest
from funnelkit.forecast.coverage import Coverage, period_coverage
from funnelkit.forecast.simulation import (
    Forecast,
    forecast_plan,
    measure_history,
    plan_period,
    won_in,
)
from funnelkit.goals.checks import Outcomes
from funnelkit.goals.metrics import scoped
from funnelkit.goals.records import GoalSet, load_goals
from funnelkit.model.goal_levels import resolve_levels
from funnelkit.model.program import ProgramPlan, program_plan
from funnelkit.plan.build import Plan, build_plan
from funnelkit.plan.params import PlanParams, load_params
from funnelkit.plan.sensitivity import Sensitivity, swing_sensitivity

# where the leads come from (export file resolved, mapping, deals export; or engine, table,
# database, mapping) -> the lead table read from there, shared by plans on one source
TableCache = dict[tuple[object, ...], LeadTable]


@dataclass(frozen=True)
class PlanData:
    """A plan and everything its reports and tools read: its export, baselines, goals,
    definitions and previous plan, each None when the parameters name none."""

    params_file: Path
    params: PlanParams
    plan: Plan
    table: LeadTable | None  # the plan's CRM export
    baselines: Baselines | None  # measured on the export; None when too little history
    goals: GoalSet | None  # checked against the export's stages
    definitions: Definitions | None  # the agreed stage definitions, checked against the export
    previous: Plan | None  # the previous period's plan
    coverage: Coverage | None  # of what is left of the goal on the export's as-of day
    coverage_note: str  # why there is no coverage, in words ('' when there is)
    baselines_note: str  # why there are no baselines, in words ("" when there are)
    program: ProgramPlan | None  # channels, spend and budget; None when not asked for

    @functools.cached_property
    def swings(self) -> Sensitivity | None:
        """The leads needed at each driver's lowest and highest recent quarter on the export
        (`funnelkit.actuals.swings`); None without an export or two quarters of any driver."""
        if self.table is None:
            return None
        ranges = quarterly_swings(self.table)
        if not ranges:
            return None
        p = self.params
        return swing_sensitivity(p.revenue_goal, p.marketing_share, p.deal_size, p.funnel, ranges)

    @functools.cached_property
    def forecast(self) -> Forecast | None:
        """The plan period's attainment forecast from the export as of its as-of day, made
        once; None without an export or once the period has ended."""
        if self.table is None:
            return None
        as_of = self.table.as_of.normalize()
        if plan_period(self.plan)[1] <= as_of:
            return None
        return forecast_plan(self.plan, self.table, as_of)

    @functools.cached_property
    def track_record(self) -> Backtest | str:
        """The forecast's backtest on the export as `plan_backtest` makes it by default; or
        why there is none, in words."""
        if self.table is None:
            return "no CRM export"
        try:
            return plan_backtest(self)
        except InputError as err:
            return str(err)

    @functools.cached_property
    def start_record(self) -> Backtest | str:
        """Each past period of the plan's length forecast on its first day from what the
        export knew then, against what it won (`plan_backtest` with `at_starts`); or why
        there is none, in words."""
        if self.table is None:
            return "no CRM export"
        try:
            return plan_backtest(self, at_starts=True)
        except InputError as err:
            return str(err)

    @property
    def outcomes(self) -> Outcomes | None:
        """The forecast's totals per trial, for the goal checks' chance of each goal; None
        without a forecast (the outlook section says why)."""
        try:
            f = self.forecast
        except InputError:
            return None
        if f is None:
            return None
        *stages, last_stage = self.plan.targets.funnel.stages
        entries = {} if f.entries is None else dict(zip(stages, f.entries.T, strict=True))
        return Outcomes(
            first=f.start.date(),
            last=f.end.date(),
            trials={
                "revenue": f.revenue,
                "new_customers": f.customers,
                f"volume:{last_stage}": f.customers,
                **{f"volume:{s}": e for s, e in entries.items()},
            },
        )


def plan_backtest(
    data: PlanData,
    weeks: int = WEEKS,
    trials: int = BACKTEST_TRIALS,
    trend: bool | None = None,
    at_starts: bool = False,
) -> Backtest:
    """The forecast's backtest on the plan's export (`funnelkit.forecast.backtest`): the
    periods of the plan's length before its as-of day, laid from its first month, each
    forecast every Monday (`at_starts`: on each period's first day instead) from what the
    export knew then and scored against what was won. The previous plan's goals score its own
    period. `trend`: None follows the plan's `forecast.trend`."""
    if data.table is None:
        raise ParamsError(f"{data.params_file}: 'actuals' must name a CRM export to backtest on")
    p = data.params
    first = pd.Period(str(p.start)[:7], "M")
    return cached_backtest(
        data.table,
        months=p.months,
        first=first,
        weeks=weeks,
        trials=trials,
        goals=_period_goals(data, data.table, first),
        trend=p.forecast_trend if trend is None else trend,
        days=period_starts(data.table, p.months, first) if at_starts else None,
        least=1 if at_starts else MIN_FORECASTS,
    )


def _period_goals(
    data: PlanData, table: LeadTable, first: pd.Period
) -> dict[tuple[str, pd.Timestamp], float]:
    """The goal each past period is scored against, per measure, as it could be known at the
    period's start: its plan's (the previous plan's, and theirs in turn), else the median of
    what the export's earlier periods won. The first period has no earlier one and no goal, so
    it is not scored. Every backtest of the plan scores a period against the same goal."""
    p = data.params
    starts = period_starts(table, p.months, first)
    goals: dict[tuple[str, pd.Timestamp], float] = {}
    won: list[tuple[float, int]] = []
    for s in starts:
        if won:
            revenue, customers = (float(np.median(x)) for x in zip(*won, strict=True))
            goals[("revenue", s)], goals[("customers", s)] = revenue, customers
        won.append(won_in(table, s, s + pd.DateOffset(months=p.months) - pd.Timedelta(days=1)))
    for plan in earlier_plans(p):
        start = pd.Timestamp(plan.start)
        goals[("revenue", start)] = plan.revenue_goal
        goals[("customers", start)] = plan.revenue_goal / plan.deal_size
    return goals


def earlier_plans(params: PlanParams, most: int = 12) -> list[PlanParams]:
    """The plan's previous plan, that plan's previous plan and so on (at most `most`, each
    once), those as long as this one."""
    found: list[PlanParams] = []
    seen: set[Path] = set()
    path = params.previous_plan
    while path is not None and len(found) < most and Path(path).resolve() not in seen:
        seen.add(Path(path).resolve())
        earlier = load_params(path)
        if earlier.months == params.months:
            found.append(earlier)
        path = earlier.previous_plan
    return found


def read_table(params: PlanParams, cache: TableCache | None = None) -> LeadTable:
    """The plan's CRM export (joined to its deals export, when the parameters name one) or
    its table in a database, as a lead table, read once per source and mapping in `cache`."""
    cache = {} if cache is None else cache
    if params.export_table is not None:
        t = params.export_table
        key: tuple[object, ...] = (t.engine, t.table, str(t.database), params.export_mapping)
        if key not in cache:
            mapping = resolve_mapping(params.export_mapping)
            cache[key] = read_database_table(t.engine, t.table, mapping, t.database)
        return _as_of(params, cache[key])
    if params.export_file is None:
        raise ParamsError(f"{params.name}: 'actuals' must name a CRM export or a table")
    d = params.deals
    joined = None if d is None else (str(d.export_file.resolve()), d.mapping, d.key, str(d.stages))
    key = (str(params.export_file.resolve()), params.export_mapping, joined)
    if key not in cache:
        table = read_export(params.export_file, resolve_mapping(params.export_mapping))
        if d is not None:
            deals = read_export(d.export_file, resolve_mapping(d.mapping))
            table = in_section("deals", join_deals, table, deals, d.key, d.stages)
        cache[key] = table
    return _as_of(params, cache[key])


def _as_of(params: PlanParams, table: LeadTable) -> LeadTable:
    """The table as taken on the parameters' 'as_of' day, when they give one."""
    return table if params.export_as_of is None else table.taken_on(params.export_as_of)


def plan_actuals(params_file: str | Path) -> LeadTable:
    """The lead table a plan's 'actuals' name (an export or a table in a database), read and
    checked; a problem is named as `load_plan_data` names it."""
    params = load_params(params_file)
    if not params.has_actuals:
        raise ParamsError(f"{params_file}: 'actuals' must name a CRM export or a table")
    try:
        return read_table(params)
    except (InputError, CrmExportError) as err:
        raise ParamsError(f"{params_file}: actuals: {err}") from None


def load_plan_data(params_file: str | Path, cache: TableCache | None = None) -> PlanData:
    """Read and check a plan's parameters and every file they name, and measure the export.

    Raises a ParamsError naming the parameters file, the section, the rule and the value; a
    problem found in the export or against it is reported under 'actuals'."""
    params = load_params(params_file)
    plan = build_plan(params)
    definitions = load_definitions(params.definitions_file) if params.definitions_file else None
    previous = build_plan(load_params(params.previous_plan)) if params.previous_plan else None
    table = baselines = goals = None
    baselines_note = "the parameters name no CRM export"
    if params.has_actuals:
        try:
            table = read_table(params, cache)
            if params.funnel.stages != table.stages:
                raise InputError(
                    f"the plan's funnel stages ({', '.join(params.funnel.stages)}) must be the "
                    f"export's stages as its mapping names them ({', '.join(table.stages)})"
                )
            own_days = dict(zip(params.funnel.steps, params.funnel.days, strict=True))
            baselines_note = ""
            try:
                baselines = measure_baselines(table, fallback_days=own_days)
            except InputError as err:  # the plan stands; its risks section says why not
                baselines, baselines_note = None, str(err)
            if params.goals_file is not None:
                goals = load_goals(params.goals_file, table.stages)
                for goal in goals.goals:  # a scope must name the export's columns and values
                    in_section(f"{params.goals_file}: goal {goal.id!s}", scoped, table, goal.scope)
            for definition in definitions.stages.values() if definitions else ():
                check_columns(
                    definition, table.leads, f"{params.definitions_file}: ", table.mapping
                )
        except (InputError, CrmExportError) as err:
            raise ParamsError(f"{params_file}: actuals: {err}") from None
    coverage, note = _coverage(plan, table)
    data = PlanData(
        params_file=Path(params_file),
        params=params,
        plan=plan,
        table=table,
        baselines=baselines,
        baselines_note=baselines_note,
        goals=goals,
        definitions=definitions,
        previous=previous,
        coverage=coverage,
        coverage_note=note,
        program=_program(params, plan, table, Path(params_file)),
    )
    if goals is None or not any(
        g.target is not None and g.target.kind == "level" for g in goals.goals
    ):
        return data
    resolved = resolve_levels(goals, data.outcomes, _why_no_forecast(data), params.goals_file or "")
    forecast = data.forecast
    data = dataclasses.replace(data, goals=resolved)
    data.__dict__["forecast"] = forecast  # made once, kept by the data with resolved goals
    return data


def _why_no_forecast(data: PlanData) -> str:
    """Why the plan has no forecast, in words ('' when it has one)."""
    try:
        if data.forecast is None:
            return "the plan's period has ended by the export's as-of day"
    except InputError as err:
        return str(err)
    return ""


def _program(
    params: PlanParams, plan: Plan, table: LeadTable | None, params_file: Path
) -> ProgramPlan | None:
    """The program plan when the parameters ask for one (it needs the leads' history)."""
    if params.program is None:
        return None
    if table is None:
        raise ParamsError(
            f"{params_file}: program: 'actuals' must name the leads' export: each channel's "
            "funnel and cost per lead are measured on it"
        )
    return program_plan(plan, table, params.program, str(params_file))


def _coverage(plan: Plan, table: LeadTable | None) -> tuple[Coverage | None, str]:
    """Coverage on the export's as-of day, or None and why: the period has ended, or the
    parameters give no figure and there is no export or its open deals cannot be timed."""
    if table is None:
        coverage, reason = period_coverage(plan, None, None, None), "name no export"
    elif (end := plan_period(plan)[1]) <= table.as_of.normalize():
        return None, f"the period ended on {end:%d %b %Y}, so nothing is left to cover"
    else:
        as_of = table.as_of.normalize()
        try:
            history = measure_history(table, as_of)
        except InputError as err:  # the parameters' figure may still give it
            coverage = period_coverage(plan, table, None, as_of)
            reason = f"the export's open deals cannot be timed: {err}"
        else:
            coverage, reason = period_coverage(plan, table, history, as_of), ""
    note = (
        "" if coverage is not None else f"the parameters give no pipeline.open_value and {reason}"
    )
    return coverage, note
