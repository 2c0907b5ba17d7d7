"""Testing a stage definition against history: how many leads qualify (per period), how much
better the qualified ones converted than the rest, what a definition does to the plan's
volumes and rates, and which single criterion moves the result most.

`outcome` is the stage whose reaching counts as converting (e.g. 'won', or 'sql' to judge
an MQL definition by what sales accepted); it must be a stage of the lead table.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from funnelkit.actuals.definitions import NUMBER_OPS, Criterion, Definition, Group, apply_definition
from funnelkit.actuals.measures import as_periods, period_floor
from funnelkit.core.exceptions import InputError
from funnelkit.core.validation import check_choice, short
from funnelkit.crm.fields import stage_field
from funnelkit.crm.leads import LeadTable
from funnelkit.plan.funnel import Funnel
from funnelkit.plan.params import PlanParams
from funnelkit.plan.targets import reverse_plan

LOOSEN = 0.20  # a number threshold loosened by this fraction, towards qualifying more leads


def _rates(qualifies: np.ndarray, converted: np.ndarray) -> dict[str, float]:
    n_q, n_n = int(qualifies.sum()), int((~qualifies).sum())
    conv_q, conv_n = int(converted[qualifies].sum()), int(converted[~qualifies].sum())
    rate_q = conv_q / n_q if n_q else np.nan
    rate_n = conv_n / n_n if n_n else np.nan
    return {
        "leads": n_q + n_n,
        "qualified": n_q,
        "qualified_share": n_q / (n_q + n_n) if n_q + n_n else np.nan,
        "qualified_converted": conv_q,
        "qualified_rate": rate_q,
        "others": n_n,
        "others_converted": conv_n,
        "others_rate": rate_n,
        "lift": rate_q / rate_n if n_n and rate_n > 0 else np.nan,
    }


def _converted(table: LeadTable, outcome: str) -> np.ndarray:
    check_choice("outcome", outcome, table.stages)
    return table.reached()[outcome].to_numpy()


def qualification(
    table: LeadTable,
    definition: Definition,
    outcome: str,
    period: str | None = None,
    among: str | None = None,
) -> pd.DataFrame:
    """How many leads qualify, and how the qualified and the others converted to `outcome`:
    overall, or per `period` of creation ('month', 'quarter', …; leads without a creation
    time are then left out). With `among`, only the leads that reached that stage are judged
    (e.g. MQLs for an SQL definition). Columns: leads, qualified, qualified_share,
    qualified_converted, qualified_rate, others, others_converted, others_rate, lift
    (qualified rate ÷ others')."""
    pool = np.ones(len(table.leads), dtype=bool)
    if among is not None:
        check_choice("among", among, table.stages)
        pool = table.reached()[among].to_numpy()
    qualifies = apply_definition(definition, table.leads)["qualifies"].to_numpy()[pool]
    converted = _converted(table, outcome)[pool]
    if period is None:
        return pd.DataFrame([_rates(qualifies, converted)])
    floors = period_floor(table.leads[stage_field(table.stages[0])], period)[pool]
    dated = ~np.isnat(floors)
    if not dated.any():
        raise InputError(
            f"'period' needs creation times, but no lead in {table.source} has one (got {short(period)})"
        )
    rows = []
    for floor in np.unique(floors[dated]):
        here = floors == floor
        rows.append({"period": floor, **_rates(qualifies[here], converted[here])})
    out = pd.DataFrame(rows)
    out["period"] = as_periods(out["period"], period)
    return out


def compare(table: LeadTable, definitions: dict[str, Definition], outcome: str) -> pd.DataFrame:
    """Definitions side by side (e.g. {'current': …, 'proposed': …}), one row each."""
    rows = [
        {"definition": label, **qualification(table, d, outcome).iloc[0].to_dict()}
        for label, d in definitions.items()
    ]
    return pd.DataFrame(rows)


def _replace(group: Group, old: Criterion, new: Criterion | None) -> Group | None:
    items: list[Criterion | Group] = []
    for item in group.items:
        if isinstance(item, Group):
            inner = _replace(item, old, new)
            if inner is not None:
                items.append(inner)
        elif item is old:
            if new is not None:
                items.append(new)
        else:
            items.append(item)
    return Group(group.how, tuple(items)) if items else None


def variant(definition: Definition, old: Criterion, new: Criterion | None) -> Definition:
    """The definition with one criterion replaced by `new`, or dropped when `new` is None (a
    group left empty is dropped with it)."""
    parts = {}
    for part, group in definition.parts.items():
        replaced = _replace(group, old, new)
        if replaced is not None:
            parts[part] = replaced
    return dataclasses.replace(definition, parts=parts)


def loosened(c: Criterion) -> Criterion | None:
    """A number criterion moved LOOSEN of its threshold towards qualifying more leads; None
    for criteria without a threshold."""
    if c.op not in NUMBER_OPS:
        return None
    if c.op == "between":
        low, high = c.value
        return dataclasses.replace(c, value=(low * (1 - LOOSEN), high * (1 + LOOSEN)), label="")
    factor = 1 - LOOSEN if c.op in (">=", ">") else 1 + LOOSEN
    return dataclasses.replace(c, value=c.value * factor, label="")  # the label named the old value


def criterion_effects(table: LeadTable, definition: Definition, outcome: str) -> pd.DataFrame:
    """Each criterion dropped, and loosened when it has a threshold: qualified leads and their
    conversion against the definition as it is, largest change in qualified leads first."""
    base = qualification(table, definition, outcome).iloc[0]
    rows = []
    for c in definition.criteria():
        changes: list[tuple[str, Criterion | None]] = [("drop", None)]
        if (loose := loosened(c)) is not None:
            changes.append((f"loosen to {loose.text()}", loose))
        for change, new in changes:
            d = variant(definition, c, new)
            if not d.parts:
                continue  # dropping the only criterion would qualify everyone: not a definition
            r = qualification(table, d, outcome).iloc[0]
            rows.append(
                {
                    "criterion": c.text(),
                    "change": change,
                    "qualified": int(r["qualified"]),
                    "qualified_change": int(r["qualified"] - base["qualified"]),
                    "qualified_rate": r["qualified_rate"],
                    "rate_change": r["qualified_rate"] - base["qualified_rate"],
                    "lift": r["lift"],
                }
            )
    out = pd.DataFrame(rows)
    if len(out):
        out = out.iloc[(-out["qualified_change"].abs()).argsort(kind="stable")]
    return out.reset_index(drop=True)


def plan_effect(
    params: PlanParams, table: LeadTable, definitions: dict[str, Definition]
) -> pd.DataFrame:
    """What each definition would do to the plan: the defined stage's two rates measured on
    history (the share of the previous stage's leads that qualify, and the share of qualified
    leads that reached the next stage), the rest of the funnel as planned, then the reverse
    plan. One row per definition: both rates and every stage's volume needed (exact)."""
    stages = params.funnel.stages
    rows = []
    for label, d in definitions.items():
        check_choice(
            "stage", d.stage, stages[1:-1], where=" of the definition (a middle stage of the plan)"
        )
        k = stages.index(d.stage)
        previous, following = stages[k - 1], stages[k + 1]
        for stage in (previous, following):
            check_choice(
                "stage", stage, table.stages, where=" next to the defined one (in the export)"
            )
        reached = table.reached()
        pool = reached[previous].to_numpy()
        qualifies = apply_definition(d, table.leads)["qualifies"].to_numpy() & pool
        went_on = reached[following].to_numpy() & qualifies
        if not qualifies.any() or not went_on.any():
            raise InputError(
                f"definition {short(label)} of {short(d.stage)} must qualify leads that went on to "
                f"{short(following)} in {table.source} (got {int(qualifies.sum())} qualified, "
                f"{int(went_on.sum())} went on)"
            )
        rates = list(params.funnel.conversion_rates)
        rates[k - 1] = qualifies.sum() / pool.sum()
        rates[k] = went_on.sum() / qualifies.sum()
        funnel = Funnel(stages, tuple(rates), params.funnel.days)
        plan = reverse_plan(params.revenue_goal, params.marketing_share, params.deal_size, funnel)
        rows.append(
            {
                "definition": label,
                f"{previous}→{d.stage}": rates[k - 1],
                f"{d.stage}→{following}": rates[k],
                **{f"{s}_needed": v for s, v in zip(stages, plan.volumes, strict=True)},
            }
        )
    return pd.DataFrame(rows)
