"""The command line, a light wrapper over the Python API: `funnelkit plan PARAMS.yaml`,
`funnelkit actuals EXPORT.csv [--mapping M]`.

Exit status: 0 on success, 2 when an input breaks a rule (the message says which).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from funnelkit.actuals_report import actuals_text
from funnelkit.crm import read_export
from funnelkit.exceptions import FunnelkitError
from funnelkit.params import load_params
from funnelkit.plan import build_plan
from funnelkit.text_report import plan_text

EXIT_BAD_INPUT = 2


def _plan(args: argparse.Namespace) -> None:
    plans = [load_params(path) for path in args.params]  # every file is checked before any output
    for params in plans:
        print(plan_text(build_plan(params)))


def _actuals(args: argparse.Namespace) -> None:
    print(actuals_text(read_export(args.export, args.mapping)))


def parser() -> argparse.ArgumentParser:
    """The argument parser for the `funnelkit` command."""
    top = argparse.ArgumentParser(prog="funnelkit", description=__doc__.splitlines()[0])
    commands = top.add_subparsers(dest="command", required=True)
    plan = commands.add_parser("plan", help="print a plan's targets as tables")
    plan.add_argument("params", nargs="+", help="parameters YAML file(s), e.g. params/example.yaml")
    plan.set_defaults(run=_plan)
    actuals = commands.add_parser(
        "actuals", help="check a CRM export and print its funnel and baselines"
    )
    actuals.add_argument(
        "export", help="a CSV, Excel or Parquet export, e.g. data/sample/hubspot-contacts.csv"
    )
    actuals.add_argument(
        "--mapping",
        default="hubspot",
        help="a preset (hubspot, salesforce-leads, salesforce-opportunities) or a mapping YAML file",
    )
    actuals.set_defaults(run=_actuals)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = parser().parse_args(argv)
    try:
        args.run(args)
    except FunnelkitError as err:
        print(f"funnelkit: error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


if __name__ == "__main__":
    sys.exit(main())
