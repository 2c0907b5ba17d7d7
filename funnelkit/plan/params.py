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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from funnelkit.core.exceptions import InputError, ParamsError
from funnelkit.core.schema import check_keys, in_section, load_yaml, nonempty_list, text
from funnelkit.core.validation import check_choice, check_number, masked, short, single_number
from funnelkit.core.vocabulary import FILE_ENGINES, PRESET_NAMES
from funnelkit.plan.funnel import Funnel
from funnelkit.plan.phasing import GRANULARITIES, month_edges, month_weights
from funnelkit.plan.sla import SlaTerms, Touch
from funnelkit.plan.stage_names import DEFAULT_NAMES, StageNames, default_names, plural_of
from funnelkit.plan.targets import reverse_plan

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
    "goals": False,
    "actuals": False,
    "previous_plan": False,
    "next_plan": False,
    "history_multiple": False,
    "definitions": False,
    "forecast": False,
    "program": False,
}
FORECAST_KEYS = {"trend": False}
PROGRAM_KEYS = {
    "costs": True,
    "by": False,
    "mix": False,
    "capacity_multiple": False,
    "minimums": False,
    "budget": False,
    "gross_margin": False,
    "monthly_revenue": False,
    "lookup": False,
    "marketing_channels": False,
}
LOOKUP_KEYS = {"file": True, "from": True, "key": True, "value": True}
MIXES = ("history", "least-cost")  # or a share per channel
DEFAULT_CAPACITY_MULTIPLE = 2.0  # a channel can bring this many times its best month's leads
ACTUALS_KEYS = {
    "export": False,
    "engine": False,
    "table": False,
    "database": False,
    "mapping": False,
    "deals": False,
    "as_of": False,
}
ENGINES = ("duckdb", "spark")  # by name; any other engine by its Ibis connection URL
ENGINE_URL = re.compile(r"[a-z][a-z0-9+]*://\S*")
DATABASE_SUFFIXES = (".duckdb", ".ddb", ".db", ".sqlite", ".sqlite3")  # no export: a database
DEALS_KEYS = {"export": True, "mapping": False, "key": True, "stages": True}
PERIOD_KEYS = {"start": True, "months": True, "weights": False, "granularity": False}
STAGE_KEYS = {
    "stage": True,
    "conversion_rate": False,
    "days": False,
    "label": False,
    "plural": False,
}
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
MAX_MONEY = 1e12  # money a plan may name: far above any revenue goal, far below float trouble
MIN_MONEY = 0.01  # the smallest deal size: a cent
MIN_RATE = 1e-6  # a step rate below this asks for millions of leads per customer
MAX_DAYS = 3650  # a step's days: ten years
MAX_MONTHS = 36  # a plan period's months
MAX_VOLUME = 1e8  # leads (or any stage) a plan may ask for
DEFAULT_HISTORY_MULTIPLE = 3.0  # see PlanParams.history_multiple
DEFAULT_MAPPING = "hubspot"
MAX_NAME = 100  # characters of a plan's name
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class DealsExport:
    """A separate export of deals (opportunities) and how it joins the lead export."""

    export_file: Path
    mapping: str  # a preset name or a mapping YAML file's path
    key: str  # the lead attribute holding each lead's deal id
    stages: dict[str, str]  # deal stage -> the lead stage its time fills


@dataclass(frozen=True)
class EngineTable:
    """A lead table that lives in a database or cluster, read through its engine."""

    engine: str  # 'duckdb', 'spark' or an Ibis connection URL
    table: str  # the table's (or view's) name there
    database: Path | None = None  # a DuckDB database file; None: the engine's own catalog

    def __str__(self) -> str:
        where = self.database.name if self.database is not None else self.engine.split("://")[0]
        return f"table {self.table!r} in {where}"


@dataclass(frozen=True)
class Lookup:
    """A lead column looked up in another file: each lead's `source_column` (a lead table
    column) found in the file's `key` column gives its `value` column."""

    file: Path
    source_column: str
    key: str
    value: str


@dataclass(frozen=True)
class ProgramTerms:
    """How the program plan splits the leads across channels and what it costs."""

    costs_file: Path  # month, channel, spend (`funnelkit.crm.costs`)
    by: str = "source"  # the lead column whose values are the channels
    mix: str | dict[str, float] = "history"  # 'history', 'least-cost', or channel -> share
    capacity_multiple: float = DEFAULT_CAPACITY_MULTIPLE  # × a channel's best month's leads
    minimums: dict[str, float] = field(default_factory=dict)  # channel -> leads a month
    budget: float | None = None  # marketing's budget for the period, money
    gross_margin: float | None = None  # fraction 0–1, for CAC payback
    monthly_revenue: float | None = None  # revenue per customer a month, money, for payback
    lookup: Lookup | None = None  # `by` looked up in another file, when the leads lack it
    marketing_channels: tuple[str, ...] | None = None  # marketing's; None: the mapping's
    # marketing sources


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
    goals_file: Path | None = None  # the plan's goals (YAML); None when it has none
    export_file: Path | None = None  # the CRM export its actuals come from
    export_table: EngineTable | None = None  # or the table in a database they come from
    export_mapping: str = DEFAULT_MAPPING  # a preset name or a mapping YAML file's path
    deals: DealsExport | None = None  # a separate deals export joined to the leads
    export_as_of: dt.date | None = None  # the day the export was taken; None: its latest date
    previous_plan: Path | None = None  # the previous period's parameters, to compare actuals
    next_plan: Path | None = None  # the next period's parameters, whose lead-in this one shows
    following: PlanParams | None = None  # the next plan's parameters, read from `next_plan`
    definitions_file: Path | None = None  # the agreed stage definitions (YAML)
    names: StageNames = DEFAULT_NAMES  # what reports call the stages
    history_multiple: float = DEFAULT_HISTORY_MULTIPLE  # a month's target beyond this × the
    # busiest month history has seen is flagged
    forecast_trend: bool = True  # the forecast follows the trends history shows (`forecast.trend`)
    program: ProgramTerms | None = None  # channels, costs and budget; None: no program plan

    @property
    def has_actuals(self) -> bool:
        """Whether the parameters name a CRM export or a table of leads to measure."""
        return self.export_file is not None or self.export_table is not None

    @property
    def actuals_name(self) -> str:
        """What the actuals are read from, for people: the export's file name or the table."""
        if self.export_file is not None:
            return self.export_file.name
        return str(self.export_table) if self.export_table is not None else "no actuals"

    @property
    def period_label(self) -> str:
        """The plan period's first and last month, 'YYYY-MM to YYYY-MM'."""
        end = self.start.astype("datetime64[M]") + self.months - 1
        return f"{str(self.start)[:7]} to {end}"


def _date(value: Any, key: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(
            f"'{key}' must hold dates written YYYY-MM-DD (got {short(value)})"
        ) from None


def _stage_names(raw: list[dict[str, Any]]) -> StageNames:
    """The display names the funnel's entries give (`label`, `plural`), checked."""
    given = {}
    for entry in raw:
        stage = text(entry, "stage")
        label, plural = default_names(stage)
        if "label" in entry:
            label = text(entry, "label")
            plural = plural_of(label)
        if "plural" in entry:
            plural = text(entry, "plural")
        if "label" in entry or "plural" in entry:
            given[stage] = (label, plural)
    return StageNames(given)


def _funnel(raw: Any) -> Funnel:
    if not isinstance(raw, list) or len(raw) < 2:
        raise InputError(f"'funnel' must list at least 2 stages, first to last (got {short(raw)})")
    entries = [check_keys(e, STAGE_KEYS, "each stage") for e in raw]
    stages = [text(e, "stage") for e in entries]
    for entry, stage, next_stage in zip(entries, stages, stages[1:], strict=False):
        for key in ("conversion_rate", "days"):
            if key not in entry:
                raise InputError(
                    f"stage {short(stage)} must give {short(key)} (for the step to {short(next_stage)})"
                )
    last = entries[-1]
    for key in ("conversion_rate", "days"):
        if key in last:
            raise InputError(
                f"the last stage {short(stages[-1])} must not give {short(key)} (no stage follows it)"
            )
    rates, days = [], []
    for entry, stage in zip(entries[:-1], stages, strict=False):
        where = f" of stage {short(stage)}"
        rates.append(single_number("conversion_rate", entry["conversion_rate"], where))
        days.append(single_number("days", entry["days"], where))
        if rates[-1] < MIN_RATE and rates[-1] > 0:
            raise InputError(
                f"'conversion_rate'{where} must be at least {MIN_RATE:g}: at {rates[-1]:g} the "
                "plan would need more than a million leads per customer (got "
                f"{short(entry['conversion_rate'])})"
            )
        if days[-1] > MAX_DAYS:
            raise InputError(
                f"'days'{where} must be at most {MAX_DAYS:,} (ten years) (got {short(entry['days'])})"
            )
    return Funnel(stages=tuple(stages), conversion_rates=tuple(rates), days=tuple(days))


def _sla(raw: Any, funnel: Funnel) -> SlaTerms:
    raw = check_keys(raw, SLA_KEYS, "'sla'")
    handoff = check_choice("handoff_stage", text(raw, "handoff_stage"), funnel.stages)
    cadence = []
    for item in nonempty_list(raw, "cadence"):
        touch = check_keys(item, TOUCH_KEYS, "each cadence touch")
        day = single_number("day", touch["day"], " of a cadence touch")
        cadence.append(Touch(day=day, channel=touch["channel"]))
    holidays = raw.get("holidays") or []
    if not isinstance(holidays, list):
        raise InputError(f"'holidays' must be a list of dates (got {short(holidays)})")
    return SlaTerms(
        handoff_stage=handoff,
        first_touch_minutes=single_number("first_touch_minutes", raw["first_touch_minutes"]),
        cadence=tuple(cadence),
        touches_per_rep_per_day=single_number(
            "touches_per_rep_per_day", raw["touches_per_rep_per_day"]
        ),
        reps=single_number("reps", raw["reps"]),
        holidays=tuple(_date(h, "holidays") for h in holidays),
    )


def _history_multiple(raw: dict[str, Any]) -> float:
    if "history_multiple" not in raw:
        return DEFAULT_HISTORY_MULTIPLE
    value = single_number("history_multiple", raw["history_multiple"])
    check_number("history_multiple", value, low=1)
    return float(value)


def _volume_bound(raw: dict[str, Any], funnel: Funnel) -> None:
    """The goal through the funnel must ask for at most MAX_VOLUME of any stage: beyond it the
    rates or the goal are mistyped, and the phasing would exhaust memory."""
    plan = reverse_plan(raw["revenue_goal"], raw["marketing_share"], raw["deal_size"], funnel)
    k = int(np.argmax(plan.volumes))
    if plan.volumes[k] > MAX_VOLUME:
        raise InputError(
            f"the plan must ask for at most {MAX_VOLUME:,.0f} of any stage, but the goal through "
            f"the funnel's rates needs {plan.volumes[k]:,.0f} of {short(funnel.stages[k])}: "
            "check 'conversion_rate', 'revenue_goal' and 'deal_size'"
        )


def _money_bounds(key: str, value: float) -> None:
    """Money a plan can compute with exactly: at most MAX_MONEY, and a deal of a cent or more."""
    if value > MAX_MONEY:
        raise InputError(
            f"'{key}' must be at most {MAX_MONEY:,.0f}, beyond which whole-unit figures lose "
            f"precision (got {short(value)})"
        )
    if key == "deal_size" and value < MIN_MONEY:
        raise InputError(f"'deal_size' must be at least {MIN_MONEY:g} (got {short(value)})")


def _forecast(raw: Any) -> bool:
    """Whether the forecast follows history's trends: the `trend` key, true by default."""
    raw = check_keys(raw, FORECAST_KEYS, "'forecast'")
    trend = raw.get("trend", True)
    if not isinstance(trend, bool):
        raise InputError(f"'trend' must be true or false (got {short(trend)})")
    return trend


def _program(raw: Any, folder: Path) -> ProgramTerms:
    raw = check_keys(raw, PROGRAM_KEYS, "'program'")
    mix = raw.get("mix", "history")
    if isinstance(mix, dict):
        shares = {str(k): single_number(f"mix.{k}", v) for k, v in mix.items()}
        for k, v in shares.items():
            check_number(f"mix.{k}", v, low=0, high=1)
        if not shares or abs(sum(shares.values()) - 1) > 1e-6:
            raise InputError(
                f"'mix' must give each channel a share, the shares summing to 1 "
                f"(got {sum(shares.values()):g})"
            )
        mix = shares
    else:
        check_choice("mix", mix, MIXES)
    minimums = raw.get("minimums", {})
    if not isinstance(minimums, dict):
        raise InputError(f"'minimums' must map channels to leads a month (got {short(minimums)})")
    minimums = {str(k): single_number(f"minimums.{k}", v) for k, v in minimums.items()}
    for k, v in minimums.items():
        check_number(f"minimums.{k}", v, low=0)
    numbers: dict[str, float | None] = {}
    for key, high in (
        ("capacity_multiple", None),
        ("budget", None),
        ("gross_margin", 1.0),
        ("monthly_revenue", None),
    ):
        numbers[key] = None
        if key in raw:
            numbers[key] = single_number(key, raw[key])
            check_number(key, numbers[key], low=0, high=high, low_open=True)
    if (numbers["gross_margin"] is None) != (numbers["monthly_revenue"] is None):
        raise InputError(
            "'gross_margin' and 'monthly_revenue' must be given together: payback needs both"
        )
    by = text(raw, "by") if "by" in raw else "source"
    lookup = None
    if "lookup" in raw:
        found = in_section("lookup", check_keys, raw["lookup"], LOOKUP_KEYS, "'lookup'")
        lookup = Lookup(
            file=in_section("lookup", _file, found["file"], "file", folder),
            source_column=in_section("lookup", text, found, "from"),
            key=in_section("lookup", text, found, "key"),
            value=in_section("lookup", text, found, "value"),
        )
    marketing_channels = raw.get("marketing_channels")
    if marketing_channels is not None:
        if not isinstance(marketing_channels, list) or not all(
            isinstance(c, str) and c.strip() for c in marketing_channels
        ):
            raise InputError(
                f"'marketing_channels' must list channel names (got {short(marketing_channels)})"
            )
        marketing_channels = tuple(marketing_channels)
    return ProgramTerms(
        costs_file=_file(raw["costs"], "costs", folder),
        by=by,
        mix=mix,
        capacity_multiple=numbers["capacity_multiple"] or DEFAULT_CAPACITY_MULTIPLE,
        minimums=minimums,
        budget=numbers["budget"],
        gross_margin=numbers["gross_margin"],
        monthly_revenue=numbers["monthly_revenue"],
        lookup=lookup,
        marketing_channels=marketing_channels,
    )


def _pipeline(raw: Any) -> dict[str, Any]:
    raw = check_keys(raw, PIPELINE_KEYS, "'pipeline'")
    if "open_value" in raw:
        raw["open_value"] = single_number("open_value", raw["open_value"])
        check_number("open_value", raw["open_value"], low=0)
        _money_bounds("open_value", raw["open_value"])
    if "win_rate" in raw:
        raw["win_rate"] = single_number("win_rate", raw["win_rate"])
        check_number("win_rate", raw["win_rate"], low=0, high=1, low_open=True)
    return raw


def params_from_dict(
    raw: Any, source: str = "<parameters>", folder: Path | None = None, follow: bool = True
) -> PlanParams:
    """Check a parsed parameters mapping and build a PlanParams; `source` names it in errors.

    Relative file paths (goals, the export, a mapping) are taken from `folder` (the
    parameters file's folder when read by `load_params`), else from the working directory.
    `follow` reads the next plan's parameters too (not that plan's own next plan).
    """
    try:
        return _build(raw, folder or Path(), follow)
    except InputError as err:
        raise ParamsError(f"{source}: {err}") from None


def _file(value: Any, key: str, folder: Path) -> Path:
    """An existing file named relative to `folder`."""
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"'{key}' must name a file (got {short(value)})")
    return _existing(folder / value, key)


def _existing(path: Path, key: str) -> Path:
    """`path`, when it is a file."""
    if path.is_dir():
        raise InputError(f"'{key}' names a folder, not a file: {path}")
    if not path.is_file():
        raise InputError(f"'{key}' names a file that does not exist: {path}")
    return path


def _engine_url(engine: str, folder: Path) -> str:
    """An engine URL with its database file (DuckDB's, SQLite's) made absolute from `folder`,
    as other files are, and checked to exist: connecting would make an empty one."""
    scheme, _, rest = engine.partition("://")
    path, mark, query = rest.partition("?")
    if scheme in FILE_ENGINES and ":" in path.partition("@")[0] and "@" in path:
        raise InputError(
            f"'engine' {scheme}:// names a database file, which has no user or password "
            f"(got {short(masked(engine))})"
        )
    if scheme not in FILE_ENGINES or path == "" or ":" in path:  # ':memory:', 'md:…' are no files
        return engine
    file = _existing(folder / path, "engine")  # an absolute path stays as it is
    return f"{scheme}://{file.resolve()}{mark}{query}"


def _mapping(raw: dict[str, Any], folder: Path, default: str | None) -> str:
    """A preset's name or an existing mapping file's path, from the section's 'mapping'."""
    if "mapping" not in raw and default is None:
        raise InputError("'mapping' must be given: a preset or a mapping YAML file")
    mapping = raw.get("mapping", default)
    if isinstance(mapping, str) and mapping.endswith((".yaml", ".yml")):
        return str(_file(mapping, "mapping", folder))
    check_choice("mapping", mapping, PRESET_NAMES)
    return str(mapping)


def _deals(raw: Any, folder: Path) -> DealsExport:
    raw = check_keys(raw, DEALS_KEYS, "'deals'")
    stages = raw["stages"]
    if not isinstance(stages, dict) or not stages:
        raise InputError(
            f"'stages' must map deal stages to lead stages, e.g. {{won: won}} (got {short(stages)})"
        )
    return DealsExport(
        export_file=_file(raw["export"], "export", folder),
        mapping=_mapping(raw, folder, None),
        key=text(raw, "key"),
        stages={str(k): str(v) for k, v in stages.items()},
    )


def _engine_table(raw: dict[str, Any], folder: Path) -> EngineTable:
    """Where a lead table in a database is: its engine, its name, a DuckDB file."""
    engine = text(raw, "engine")
    if engine not in ENGINES and not ENGINE_URL.fullmatch(engine):
        close = difflib.get_close_matches(engine.lower(), ENGINES, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close and "://" not in engine else ""
        raise InputError(
            f"'engine' must be {' or '.join(repr(e) for e in ENGINES)}, or an Ibis connection "
            f"URL such as 'postgres://user@host/db'{hint} (got {short(masked(engine))})"
        )
    database = None
    if engine == "duckdb" and "database" not in raw:
        raise InputError(
            "engine 'duckdb' needs its 'database': the DuckDB file that holds the table"
        )
    if "database" in raw:
        if engine != "duckdb":
            raise InputError(
                f"'database' names a DuckDB file, so it goes with engine 'duckdb' (got engine "
                f"{short(masked(engine))}; other engines name their database in the URL)"
            )
        database = _file(raw["database"], "database", folder)
    return EngineTable(
        engine=_engine_url(engine, folder), table=text(raw, "table"), database=database
    )


def _actuals(
    raw: Any, folder: Path
) -> tuple[Path | None, EngineTable | None, str, DealsExport | None, dt.date | None]:
    raw = check_keys(raw, ACTUALS_KEYS, "'actuals'")
    if "export" not in raw and "table" not in raw and "engine" in raw:
        raise InputError("'engine' needs its 'table': the table or view that holds the leads")
    if ("export" in raw) == ("table" in raw):
        raise InputError(
            "give either 'export' (a CRM export file) or 'table' with its 'engine' (a table in "
            f"a database), not {'both' if 'export' in raw else 'neither'}"
        )
    export = table = None
    if "export" in raw:
        for key in ("engine", "database"):
            if key in raw:
                raise InputError(f"'{key}' goes with 'table', not with an 'export' file")
        export = _file(raw["export"], "export", folder)
        if export.suffix.lower() in DATABASE_SUFFIXES:
            how = (
                "engine: sqlite:///path"
                if export.suffix.lower().startswith(".sqlite")
                else "engine: duckdb, database: path"
            )
            raise InputError(
                f"'export' names a database file ({export.name}): a table in it is read with "
                f"'{how}' and 'table' instead"
            )
    else:
        if "engine" not in raw:
            raise InputError("'table' needs its 'engine': 'duckdb', 'spark' or a connection URL")
        if "deals" in raw:
            raise InputError(
                "'deals' joins a deals export to a lead export; with a 'table', join the deals "
                "in the database (a view) and name the view"
            )
        table = _engine_table(raw, folder)
    deals = in_section("deals", _deals, raw["deals"], folder) if "deals" in raw else None
    as_of = _date(raw["as_of"], "as_of") if "as_of" in raw else None
    return export, table, _mapping(raw, folder, DEFAULT_MAPPING), deals, as_of


def _following(path: Path, start: np.datetime64, months: int, funnel: Funnel) -> PlanParams:
    """The next plan's parameters: it must start the month after this plan ends and plan the
    same stages."""
    following = load_params(path, follow=False)
    after = start.astype("datetime64[M]") + months
    if following.start.astype("datetime64[M]") != after:
        raise InputError(
            f"'next_plan' must start in {after}, the month after this plan ends "
            f"(got {str(following.start)[:7]} in {path})"
        )
    if following.funnel.stages != funnel.stages:
        raise InputError(
            f"'next_plan' must plan this plan's stages ({', '.join(funnel.stages)}) "
            f"(got {', '.join(following.funnel.stages)} in {path})"
        )
    return following


def _build(raw: Any, folder: Path, follow: bool = True) -> PlanParams:
    raw = check_keys(raw, TOP_KEYS, "the parameters file")
    period = in_section("period", check_keys, raw["period"], PERIOD_KEYS, "'period'")
    months = period["months"]
    if isinstance(months, int) and not isinstance(months, bool) and months > MAX_MONTHS:
        raise InputError(
            f"period: 'months' must be at most {MAX_MONTHS}: plan a longer span as several "
            f"plans (got {short(months)})"
        )
    start = in_section("period", month_edges, period["start"], months)[0]
    weights = period.get("weights")
    if weights is not None:
        weights = tuple(in_section("period", month_weights, months, weights))
    granularity = in_section(
        "period", check_choice, "granularity", period.get("granularity", "month"), GRANULARITIES
    )
    for key in ("revenue_goal", "marketing_share", "deal_size"):
        raw[key] = single_number(key, raw[key])
    check_number("revenue_goal", raw["revenue_goal"], low=0, low_open=True)
    check_number("marketing_share", raw["marketing_share"], low=0, high=1)
    check_number("deal_size", raw["deal_size"], low=0, low_open=True)
    for key in ("revenue_goal", "deal_size"):
        _money_bounds(key, raw[key])
    funnel = in_section("funnel", _funnel, raw["funnel"])
    names = in_section("funnel", _stage_names, raw["funnel"])
    _volume_bound(raw, funnel)
    sla = in_section("sla", _sla, raw["sla"], funnel)
    pipeline = in_section("pipeline", _pipeline, raw.get("pipeline") or {})
    name = text(raw, "name")
    if len(name) > MAX_NAME:
        raise InputError(
            f"'name' must be at most {MAX_NAME} characters, since it names files and folders "
            f"(got {short(name)})"
        )
    if not NAME_PATTERN.fullmatch(name):
        raise InputError(
            f"'name' must be letters, digits, '.', '_' or '-', starting with a letter or digit, "
            f"since reports are written to reports/<name>/ (got {short(name)})"
        )
    export_file, export_table, export_mapping, deals, as_of = (
        None,
        None,
        DEFAULT_MAPPING,
        None,
        None,
    )
    if "actuals" in raw:
        export_file, export_table, export_mapping, deals, as_of = in_section(
            "actuals", _actuals, raw["actuals"], folder
        )
    next_plan = _file(raw["next_plan"], "next_plan", folder) if "next_plan" in raw else None
    return PlanParams(
        name=name,
        title=text(raw, "title") if "title" in raw else name,
        currency=text(raw, "currency") if "currency" in raw else DEFAULT_CURRENCY,
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
        goals_file=_file(raw["goals"], "goals", folder) if "goals" in raw else None,
        export_file=export_file,
        export_table=export_table,
        export_mapping=export_mapping,
        deals=deals,
        export_as_of=as_of,
        previous_plan=_file(raw["previous_plan"], "previous_plan", folder)
        if "previous_plan" in raw
        else None,
        names=names,
        history_multiple=_history_multiple(raw),
        forecast_trend=in_section("forecast", _forecast, raw.get("forecast") or {}),
        next_plan=next_plan,
        following=in_section("next_plan", _following, next_plan, start, months, funnel)
        if next_plan is not None and follow
        else None,
        definitions_file=_file(raw["definitions"], "definitions", folder)
        if "definitions" in raw
        else None,
        program=in_section("program", _program, raw["program"], folder)
        if "program" in raw
        else None,
    )


def load_params(path: str | Path, follow: bool = True) -> PlanParams:
    """Read and check a plan's parameters YAML file (and, with `follow`, its next plan's)."""
    return params_from_dict(
        load_yaml(path, "parameters file"),
        source=str(path),
        folder=Path(path).parent,
        follow=follow,
    )
