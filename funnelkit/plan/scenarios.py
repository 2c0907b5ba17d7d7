"""Many scenarios at once: the reverse plan evaluated over a table of inputs, vectorised.

A scenario table has the columns `revenue_goal`, `marketing_share`, `deal_size` and one
conversion-rate column per step, named after the step ('lead→mql', …). Every row is one
scenario; evaluating 10,000 rows is one pass of array arithmetic.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from funnelkit.core.exceptions import InputError
from funnelkit.core.rounding import whole_units
from funnelkit.plan.funnel import Funnel
from funnelkit.plan.targets import customers_needed, marketing_revenue_goal, stage_volumes_needed

SCALAR_DRIVERS: tuple[str, ...] = ("revenue_goal", "marketing_share", "deal_size")


def scenario_grid(
    funnel: Funnel, base: Mapping[str, float], **axes: Sequence[float]
) -> pd.DataFrame:
    """Every combination of the given driver values, other drivers at their `base` value.

    `base` holds `revenue_goal`, `marketing_share` and `deal_size`; step rates default to
    the funnel's. Axes are driver names or step names, e.g. ``deal_size=[9000, 10000]``;
    since a step name such as 'mql→sql' is not a keyword, pass step axes as ``**{...}``.
    """
    known = (*SCALAR_DRIVERS, *funnel.steps)
    for name in (*base, *axes):
        if name not in known:
            raise InputError(f"'{name}' is not a scenario driver; drivers are {', '.join(known)}")
    for name in SCALAR_DRIVERS:
        if name not in base:
            raise InputError(f"'base' must give '{name}' (got {', '.join(base) or 'nothing'})")
    defaults = {**dict(zip(funnel.steps, funnel.conversion_rates, strict=True)), **base}
    names = list(axes)
    rows = list(itertools.product(*(axes[n] for n in names)))
    table = pd.DataFrame(rows, columns=names) if names else pd.DataFrame(index=[0])
    for name in known:
        if name not in table:
            table[name] = float(defaults[name])
    return table[list(known)]


def evaluate_scenarios(scenarios: pd.DataFrame, funnel: Funnel) -> pd.DataFrame:
    """The reverse plan for every row: marketing revenue goal and each stage's volume needed.

    Returns a table with the same index: `marketing_revenue_goal` (money), then per stage
    the exact volume (column named after the stage) and the whole units (`<stage>_whole`).
    The funnel gives the stage names; rates come from the table's step columns.
    """
    missing = [c for c in (*SCALAR_DRIVERS, *funnel.steps) if c not in scenarios.columns]
    if missing:
        raise InputError(
            f"'scenarios' must have the columns {', '.join(missing)} "
            f"(got {', '.join(map(str, scenarios.columns))})"
        )
    goal = np.asarray(  # arrays in, an array out: asarray only says so to the type checker
        marketing_revenue_goal(
            scenarios["revenue_goal"].to_numpy(float), scenarios["marketing_share"].to_numpy(float)
        )
    )
    customers = customers_needed(goal, scenarios["deal_size"].to_numpy(float))
    rates = scenarios[list(funnel.steps)].to_numpy(float)
    volumes = stage_volumes_needed(customers, rates)
    whole = whole_units(volumes)
    columns: dict[str, np.ndarray] = {"marketing_revenue_goal": goal}
    for i, stage in enumerate(funnel.stages):
        columns[stage] = volumes[:, i]
    for i, stage in enumerate(funnel.stages):
        columns[f"{stage}_whole"] = whole[:, i].astype(np.int64)
    return pd.DataFrame(columns, index=scenarios.index)
