"""The command line, a light wrapper over the Python API: `funnelkit plan PARAMS.yaml`,
`funnelkit actuals EXPORT.csv [--mapping M]`, `funnelkit goals PARAMS.yaml`,
`funnelkit init EXPORT ...`, `funnelkit backtest PARAMS.yaml`, `funnelkit render PARAMS.yaml...`,
`funnelkit explore [PARAMS.yaml]`.

Exit status: 0 on success, 2 when an input breaks a rule (the message says which), 1 when a
notebook fails or a report cannot be written, 130 when interrupted (Ctrl-C), 143 when
terminated (SIGTERM); finished reports are kept either way.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import re
import signal
import sys
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

from funnelkit.core.exceptions import FunnelkitError, InputError, ParamsError
from funnelkit.core.validation import short
from funnelkit.crm.leads import read_export
from funnelkit.forecast.backtest import MIN_FORECASTS, WEEKS
from funnelkit.forecast.backtest import TRIALS as BACKTEST_TRIALS
from funnelkit.forecast.backtest import WIN_BUDGET as BACKTEST_WINS
from funnelkit.goals.alignment import (
    alignment_text,
    loose_ends,
    shared_alignments,
    two_goals_sentence,
    volume_goals_sentences,
)
from funnelkit.goals.checks import Context
from funnelkit.goals.scorecard import scorecard_text
from funnelkit.model.loader import TableCache, load_plan_data, plan_actuals, plan_backtest
from funnelkit.model.program import program_channels
from funnelkit.model.starter import init_plan, parse_day, parse_days, parse_growth, parse_period
from funnelkit.plan.params import DealsExport
from funnelkit.present.actuals_report import actuals_text
from funnelkit.present.app import free_port, serve
from funnelkit.present.backtest_text import backtest_text
from funnelkit.present.render import CHROMIUM_ENV, NOTEBOOKS, find_chromium, log, prepare, render
from funnelkit.present.text_report import plan_text

EXIT_BAD_INPUT = 2
EXIT_RENDER_FAILED = 1
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
EXIT_TERMINATED = 143  # 128 + SIGTERM
MAX_TRIALS = 1_000_000  # simulated periods a backtest's forecast may ask for


def _plan(args: argparse.Namespace) -> None:
    tables: TableCache = {}
    plans = [load_plan_data(path, tables) for path in args.params]  # all checked before output
    for data in plans:
        print(plan_text(data.plan, data.coverage))


def _actuals(args: argparse.Namespace) -> None:
    if Path(args.export).suffix.lower() in (".yaml", ".yml"):
        if args.mapping is not None:
            raise InputError(
                f"'--mapping' goes with an export file: {args.export} names its own mapping"
            )
        print(actuals_text(plan_actuals(args.export)))
        return
    print(actuals_text(read_export(args.export, args.mapping or "hubspot")))


def _goals(args: argparse.Namespace) -> None:
    data = load_plan_data(args.params)
    if data.goals is None or data.table is None:
        raise ParamsError(
            f"{args.params}: 'goals' and 'actuals' must be given to check goals against history"
        )
    try:
        as_of = dt.date.fromisoformat(args.as_of) if args.as_of else data.table.as_of.date()
    except ValueError:
        raise InputError(
            f"'--as-of' must be a date written YYYY-MM-DD (got {short(args.as_of)})"
        ) from None
    goal_set, plan = data.goals, data.plan
    print(f"Goals of {data.params.title}, checked on {as_of}\n")
    context = Context(
        data.table,
        plan,
        as_of,
        goal_set.thresholds,
        goal_set,
        data.outcomes,
        *program_channels(data.program),
    )
    print(scorecard_text(goal_set, context))
    for line in volume_goals_sentences(goal_set, plan):
        print(line)
    for a in shared_alignments(goal_set, data.table, plan):
        two = two_goals_sentence(a, data.params.revenue_goal, data.params.currency)
        if two is not None:
            print(two)
        print(alignment_text(a, data.params.currency))
    for label, ids in loose_ends(goal_set):
        print(f"{label}: {', '.join(ids)}")


def _deals_export(args: argparse.Namespace) -> DealsExport | None:
    """The deals export `init` joins, from --deals, --deals-mapping, --deals-key, --deals-stage."""
    if args.deals is None:
        if args.deals_key or args.deals_stage:
            raise InputError("'--deals-key' and '--deals-stage' need '--deals' (the deals export)")
        return None
    if not args.deals_key:
        raise InputError("'--deals-key' must name the lead attribute holding each lead's deal id")
    stages = {}
    for entry in args.deals_stage or ["won=won"]:
        deal_stage, sep, lead_stage = entry.partition("=")
        if not sep or not deal_stage or not lead_stage:
            raise InputError(
                f"'--deals-stage' must be written DEAL_STAGE=LEAD_STAGE, e.g. won=won (got {short(entry)})"
            )
        stages[deal_stage.strip()] = lead_stage.strip()
    return DealsExport(Path(args.deals), args.deals_mapping, args.deals_key, stages)


def _init(args: argparse.Namespace) -> None:
    try:
        goal = float(args.goal) if args.goal is not None else None
    except ValueError:
        raise InputError(f"'--goal' must be a number of money (got {short(args.goal)})") from None
    path = init_plan(
        args.export,
        args.name,
        parse_period(args.period, args.months),
        args.out,
        mapping=args.mapping,
        goal=goal,
        growth=parse_growth(args.growth) if args.growth is not None else None,
        currency=args.currency,
        overwrite=args.force,
        days=parse_days(args.days),
        marketing_share=args.marketing_share,
        deal_size=args.deal_size,
        deals=_deals_export(args),
        as_of=parse_day(args.as_of, "--as-of") if args.as_of is not None else None,
        costs=Path(args.costs) if args.costs is not None else None,
    )
    print(f"Wrote {path}: the baselines measured on {args.export}, the SLA at defaults to set.")
    print(f"Render it with: .venv/bin/funnelkit render {path}")


def _backtest(args: argparse.Namespace) -> None:
    data = load_plan_data(args.params)
    if args.weeks < MIN_FORECASTS:
        raise InputError(f"'--weeks' must be at least {MIN_FORECASTS} (got {args.weeks})")
    if not 1 <= args.trials <= MAX_TRIALS:
        raise InputError(f"'--trials' must be from 1 to {MAX_TRIALS:,} (got {args.trials})")
    trend = data.params.forecast_trend and not args.no_trend
    record = plan_backtest(data, args.weeks, args.trials, trend)
    print(backtest_text(record, data.params, data.params.actuals_name, trend))
    if args.csv:
        out = Path(args.csv)
        try:
            record.forecasts.to_csv(out, index=False)
        except OSError as err:
            raise InputError(f"cannot write '--csv' file {out}: {err.strerror}") from None
        print(f"\nWrote each forecast to {out}")


def _explore(args: argparse.Namespace) -> int:
    if args.port is not None and not 1024 <= args.port <= 65535:
        raise InputError(f"'--port' must be from 1024 to 65535 (got {args.port})")
    data = load_plan_data(args.params)
    try:
        return serve(data, Path(args.params), args.port or free_port())
    except KeyboardInterrupt:
        print("funnelkit: stopped serving the explorer", file=sys.stderr)
        return EXIT_TERMINATED if _SIGNALS else EXIT_INTERRUPTED


def _render(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s funnelkit %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    # papermill's per-notebook chatter only when asked for
    logging.getLogger("papermill").setLevel(logging.INFO if args.verbose else logging.WARNING)
    if args.as_of:
        try:
            dt.date.fromisoformat(args.as_of)
        except ValueError:
            raise InputError(
                f"'--as-of' must be a date written YYYY-MM-DD (got {short(args.as_of)})"
            ) from None
    if args.month and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.month):
        raise InputError(f"'--month' must be a month written YYYY-MM (got {short(args.month)})")
    if args.jobs < 1:
        raise InputError(f"'--jobs' must be at least 1 (got {args.jobs})")
    batch = prepare(
        args.params, args.reports, args.notebooks, args.as_of, args.month, args.show_lead_rows
    )
    chromium = None if args.no_pdf else find_chromium()
    if args.no_pdf:
        log.info("PDF not asked for (--no-pdf): an earlier PDF of each report is removed")
    elif chromium is None:
        log.warning(
            "no PDF: no Chromium found (install Debian's chromium or set %s); an earlier PDF "
            "of each report is removed",
            CHROMIUM_ENV,
        )
    outcomes = render(batch, args.jobs, chromium)
    failed = [o for o in outcomes if not o.ok]
    for outcome in failed:
        print(f"funnelkit: error: {outcome.message}", file=sys.stderr)
    return EXIT_RENDER_FAILED if failed else 0


def parser() -> argparse.ArgumentParser:
    """The argument parser for the `funnelkit` command."""
    top = argparse.ArgumentParser(
        prog="funnelkit",
        description="Plan a revenue goal backwards through the funnel, check goals and CRM "
        "exports, and render the reports both teams meet over.",
        epilog="Exit status: 0 on success, 2 when an input breaks a rule (the message names the "
        "file, the field, the rule and the value), 1 when a notebook fails or a report cannot "
        "be written, 130 when interrupted, 143 when terminated. "
        "`funnelkit COMMAND --help` describes each command.",
    )
    top.add_argument("--version", action="version", version=f"%(prog)s {version('funnelkit')}")
    commands = top.add_subparsers(dest="command", required=True)
    plan = commands.add_parser("plan", help="print a plan's targets as tables")
    plan.add_argument("params", nargs="+", help="parameters YAML file(s), e.g. params/example.yaml")
    plan.set_defaults(run=_plan)
    actuals = commands.add_parser(
        "actuals",
        help="check a CRM export (or a plan's actuals) and print its funnel and baselines",
    )
    actuals.add_argument(
        "export",
        help="a CSV, Excel or Parquet export, e.g. data/sample/hubspot-contacts.csv; or a "
        "parameters YAML file, for the export or table its 'actuals' name",
    )
    actuals.add_argument(
        "--mapping",
        help="a preset (hubspot, salesforce-leads, salesforce-opportunities) or a mapping YAML "
        "file; default hubspot",
    )
    actuals.set_defaults(run=_actuals)
    goals = commands.add_parser(
        "goals", help="check a plan's goals (SMART, FAST) and whether they add up"
    )
    goals.add_argument("params", help="a parameters YAML file that names its goals and actuals")
    goals.add_argument(
        "--as-of", help="the day to check reviews against (default: the export's as-of day)"
    )
    goals.set_defaults(run=_goals)
    init = commands.add_parser(
        "init",
        help="start a plan from your own CRM export: writes params/NAME.yaml",
        description="Measure the export's funnel, deal size and marketing share and write a "
        "parameters file for the period and goal given, ready for `funnelkit render`.",
    )
    init.add_argument("export", help="your CRM export: CSV, Excel or Parquet")
    init.add_argument("--name", required=True, help="the plan's name (reports/<name>/)")
    init.add_argument(
        "--period", required=True, help="a quarter (2027-Q1) or a first month (2027-01)"
    )
    init.add_argument(
        "--months", type=int, help="the period's months with a first month (default 3)"
    )
    goal = init.add_mutually_exclusive_group(required=True)
    goal.add_argument("--goal", help="the revenue goal for the period, money")
    goal.add_argument("--growth", help="the goal as growth on the last complete period, e.g. 10%%")
    init.add_argument(
        "--mapping",
        default="hubspot",
        help="a preset (hubspot, salesforce-leads, salesforce-opportunities) or a mapping YAML file",
    )
    init.add_argument("--currency", default="USD", help="the money's currency code (default USD)")
    init.add_argument("--out", default="params", help="folder for the file (default: params)")
    init.add_argument(
        "--days",
        action="append",
        default=[],
        help="days of a step the export cannot time, e.g. 'lead->mql=5' (repeat per step)",
    )
    init.add_argument(
        "--marketing-share",
        type=float,
        help="fraction 0-1 of revenue from marketing leads, for an export without sources",
    )
    init.add_argument(
        "--deal-size", type=float, help="average deal size, for an export without won amounts"
    )
    init.add_argument(
        "--as-of", help="the day the export was taken (YYYY-MM-DD), for an export without dates"
    )
    init.add_argument("--deals", help="a separate deals (opportunities) export to join")
    init.add_argument(
        "--deals-mapping",
        default="salesforce-opportunities",
        help="the deals export's preset or mapping file (default salesforce-opportunities)",
    )
    init.add_argument("--deals-key", help="the lead attribute holding each lead's deal id")
    init.add_argument(
        "--deals-stage",
        action="append",
        help="a deal stage and the lead stage its time fills, e.g. won=won (repeat; default won=won)",
    )
    init.add_argument(
        "--costs",
        help="a costs file (month, channel, spend): the plan gets a program section, each "
        "channel's funnel and cost per lead measured",
    )
    init.add_argument("--force", action="store_true", help="replace an existing file")
    init.set_defaults(run=_init)
    back = commands.add_parser(
        "backtest",
        help="check the forecast on the export's past periods: how often its ranges held",
        description="Forecast each past period of the plan's length every Monday from what the "
        "export knew that day, and score the forecasts against what was won: how often the "
        "80%% and 50%% ranges held, the Brier score of the chance of the goal, the bias, and a "
        "calibration table, for revenue and customers. The reports show the same figures.",
    )
    back.add_argument("params", help="parameters YAML file, e.g. params/example.yaml")
    back.add_argument(
        "--weeks", type=int, default=WEEKS, help=f"weekly forecasts to make (default {WEEKS})"
    )
    back.add_argument(
        "--trials",
        type=int,
        default=BACKTEST_TRIALS,
        help=f"simulated periods per forecast, at most: fewer for a funnel so large that "
        f"they would draw more than {BACKTEST_WINS:,} wins (default {BACKTEST_TRIALS:,})",
    )
    back.add_argument(
        "--no-trend", action="store_true", help="leave history's trends out of the forecasts"
    )
    back.add_argument("--csv", help="also write each forecast, one row per measure, to this CSV")
    back.set_defaults(run=_backtest)
    explore = commands.add_parser(
        "explore",
        help="serve the scenario explorer as a page for leaders (Voila, on 127.0.0.1)",
        description="Serve the plan's scenario explorer (and its definition explorer, when the "
        "plan agrees stage definitions) as a page with no code, on this machine only; the "
        "command prints its address. Scenarios are saved beside the parameters file.",
    )
    explore.add_argument(
        "params",
        nargs="?",
        default="params/example.yaml",
        help="parameters YAML file (default: params/example.yaml)",
    )
    explore.add_argument("--port", type=int, help="the port to serve on (default: a free one)")
    explore.set_defaults(run=_explore)
    rend = commands.add_parser(
        "render",
        help="run the quarterly plan (and monthly review) notebooks into reports/<plan>/",
        description="Check every parameters file first (exit 2 on a bad one), then render each "
        "plan's notebooks to .ipynb, .html and (with a Chromium) .pdf. Exit 1 when a notebook "
        "fails; its previous report is kept.",
    )
    rend.add_argument("params", nargs="+", help="parameters YAML file(s), e.g. params/*.yaml")
    rend.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="notebooks run at once (default: cores)",
    )
    rend.add_argument("--reports", default="reports", help="folder for reports (default: reports)")
    rend.add_argument("--notebooks", default=str(NOTEBOOKS), help="folder of the notebooks")
    rend.add_argument("--as-of", default="", help="the day goal reviews are checked against")
    rend.add_argument(
        "--month",
        default="",
        help="the month to review, YYYY-MM (default: the export's as-of month)",
    )
    rend.add_argument(
        "--show-lead-rows", action="store_true", help="list lead-level rows (ids, owners, times)"
    )
    rend.add_argument(
        "--no-pdf",
        action="store_true",
        help=f"skip the PDF even when a Chromium is found (${CHROMIUM_ENV})",
    )
    rend.add_argument(
        "--verbose", action="store_true", help="log papermill's progress for each notebook too"
    )
    rend.set_defaults(run=_render)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = parser().parse_args(argv)
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        status = args.run(args)
        sys.stdout.flush()
    except FunnelkitError as err:
        print(f"funnelkit: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # the reader stopped early (`| head`): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        code = EXIT_TERMINATED if _SIGNALS else EXIT_INTERRUPTED
        print(
            f"funnelkit: {'terminated' if code == EXIT_TERMINATED else 'interrupted'}: reports "
            "already finished are kept; unfinished ones were not written",
            file=sys.stderr,
        )
        return code
    finally:
        signal.signal(signal.SIGTERM, previous)
    return status or 0


_SIGNALS: list[int] = []  # SIGTERM, once received


def _terminated(signum: int, frame: Any) -> None:
    """SIGTERM: stop as an interrupt does (KeyboardInterrupt), remembering which it was."""
    _SIGNALS.append(signum)
    signal.default_int_handler(signum, frame)


if __name__ == "__main__":
    sys.exit(main())
