"""An export's actuals as plain text: the quality report, the funnel, velocity, baselines."""

from __future__ import annotations

import pandas as pd

from funnelkit.actuals.baselines import measure_baselines
from funnelkit.actuals.measures import reached_counts, velocity
from funnelkit.core.exceptions import InputError
from funnelkit.crm.leads import LeadTable


def _days(value: float) -> str:
    return "–" if pd.isna(value) else f"{value:.1f}"


def actuals_text(table: LeadTable) -> str:
    """The quality summary, leads reaching each stage, stage times and the plan baselines."""
    funnel = reached_counts(table)
    funnel = pd.DataFrame(
        {
            "stage": funnel["stage"],
            "reached": [f"{n:,}" for n in funnel["reached"]],
            "of first": [f"{r:.1%}" for r in funnel["rate_from_first"]],
            "to next": ["" if pd.isna(r) else f"{r:.1%}" for r in funnel["rate_to_next"]],
        }
    )
    steps = velocity(table)
    steps = pd.DataFrame(
        {
            "step": steps["step"],
            "leads timed": [f"{n:,}" for n in steps["count"]],
            "median days": [_days(d) for d in steps["median_days"]],
            "mean days": [_days(d) for d in steps["mean_days"]],
        }
    )
    lines = [
        table.quality.summary(),
        "",
        f"Leads reaching each stage (as of {table.as_of:%Y-%m-%d %H:%M})",
        funnel.to_string(index=False),
        "",
        "Days between stages (leads with both dates, in order)",
        steps.to_string(index=False),
        "",
    ]
    try:
        b = measure_baselines(table)
    except InputError as err:
        lines.append(f"Baselines for planning: not measured ({err})")
    else:
        rates = ", ".join(
            f"{s} {r:.1%}" for s, r in zip(b.funnel.steps, b.funnel.conversion_rates, strict=True)
        )
        lines += [
            "Baselines for planning (step rates from mature leads)",
            f"  step rates: {rates}",
            f"  lead close rate: {b.lead_close_rate:.2%}",
            f"  average deal size: {'not measured' if b.deal_size is None else f'{b.deal_size:,.0f}'}",
            f"  share of revenue from marketing sources: {'not measured' if b.marketing_share is None else f'{b.marketing_share:.1%}'}",
            f"  sales cycle: {'not measured' if b.sales_cycle_days is None else f'{b.sales_cycle_days:.1f} days (median)'}",
            *(f"  note: {n}" for n in b.notes),
        ]
    return "\n".join(lines) + "\n"
