"""Charts for the workbook and its reports: matplotlib figures, titled, axes labelled with
units, in the Okabe–Ito palette, with type large enough for a projector.

Each function takes computed figures (a Plan, a review frame) and draws them; none computes
a target. Figures are `matplotlib.figure.Figure` objects built without pyplot, so nothing is
kept in a global state and `png` turns one into bytes for a notebook or a widget.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter
from matplotlib.typing import RcKeyType

from funnelkit.core.formats import compact_money, money, percent
from funnelkit.core.rounding import whole_units
from funnelkit.plan.build import Plan
from funnelkit.plan.pacing import Pacing
from funnelkit.plan.sensitivity import Sensitivity
from funnelkit.plan.stage_names import DEFAULT_NAMES, StageNames
from funnelkit.present.chart_text import (
    MONTH_VOLUME_AXIS,
    VOLUME_AXIS,
    funnel_title,
    tornado_axis,
    tornado_title,
)
from funnelkit.present.gap_text import OWNERS, GapView
from funnelkit.present.palette import (
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    SERIES_COLOURS,
    SKY,
    STAGE_COLOURS,
    VERMILLION,
)
from funnelkit.present.plan_tables import driver_name

FONT = 13  # points: readable from the back of a meeting room
STYLE: dict[RcKeyType, int | bool] = {  # sizes in points, switches
    "text.parse_math": False,  # '$' is money: a CRM value like '$a^{b$' is text, not TeX
    "font.size": FONT,
    "axes.titlesize": FONT + 2,
    "axes.labelsize": FONT,
    "xtick.labelsize": FONT - 1,
    "ytick.labelsize": FONT - 1,
    "legend.fontsize": FONT - 1,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
DPI = 100  # dots per inch of the PNG


def _styled(chart: Callable[..., Figure]) -> Callable[..., Figure]:
    """Build a chart with the house style (sizes, spines) in force for every artist in it."""

    @functools.wraps(chart)
    def build(*args, **kwargs) -> Figure:
        with matplotlib.rc_context(STYLE):
            return chart(*args, **kwargs)

    return build


def _figure(width: float = 10.0, height: float = 4.8, **grid) -> tuple[Figure, np.ndarray]:
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.subplots(squeeze=False, **grid).ravel()


def png(fig: Figure, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes, drawn in the house style (ticks made while drawing take it)."""
    buffer = io.BytesIO()
    with matplotlib.rc_context(STYLE):
        fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


@_styled
def funnel_chart(plan: Plan, baseline: Plan | None = None) -> Figure:
    """Whole volume needed per stage as horizontal bars on a linear scale, first stage on top,
    each labelled with its count and its rate from the stage above; a baseline plan's volumes
    as black ticks."""
    t = plan.targets
    n = plan.params.names
    stages = list(t.funnel.stages)
    fig, (ax,) = _figure(10, 0.7 * len(stages) + 1.6)
    y = np.arange(len(stages))[::-1]
    ax.barh(y, t.whole, color=STAGE_COLOURS[: len(stages)], height=0.65)
    rates = [None, *t.funnel.conversion_rates]
    for yi, v, rate in zip(y, t.whole, rates, strict=True):
        label = (
            f"{int(v):,}" if rate is None else f"{int(v):,}  ({percent(rate)} of the stage above)"
        )
        ax.text(v + t.whole.max() * 0.01, yi, label, va="center", fontsize=FONT)
    if baseline is not None:
        ax.scatter(baseline.targets.whole, y, marker="|", s=900, color="black", label="baseline")
        ax.legend(loc="lower right", frameon=False)
    ax.set_yticks(y, [n.plural_title(s) for s in stages])
    ax.set_xlim(0, t.whole.max() * 1.45)
    ax.set_xlabel(VOLUME_AXIS)
    ax.set_title(funnel_title(plan))
    return fig


@_styled
def phasing_chart(plan: Plan) -> Figure:
    """Whole volume needed per month and stage, one panel per team's stages; months before the
    plan period (lead-in for the stage lags) are hatched, and the next period's lead-in sits
    pale on top of the months it arrives in."""
    ph = plan.monthly
    following = whole_units(plan.lead_in_next_monthly)
    stages = list(ph.stages)
    handoff = stages.index(plan.sla.terms.handoff_stage)
    groups: tuple[tuple[str, list[str]], ...] = (
        ("Marketing", stages[: handoff + 1]),
        ("Sales", stages[handoff + 1 :]),
    )
    groups = tuple(g for g in groups if g[1])
    fig, axes = _figure(11, 4.6, ncols=len(groups))
    x = np.arange(len(ph.labels))
    for ax, (team, names) in zip(axes, groups, strict=True):
        width = 0.8 / len(names)
        for k, stage in enumerate(names):
            values = ph.whole[:, stages.index(stage)]
            bars = ax.bar(
                x + (k - (len(names) - 1) / 2) * width,
                values,
                width,
                label=plan.params.names.plural(stage),
                color=STAGE_COLOURS[stages.index(stage) % len(STAGE_COLOURS)],
            )
            for bar, inside in zip(bars, ph.in_plan, strict=True):
                if not inside:
                    bar.set_hatch("//")
                    bar.set_alpha(0.6)
            ahead = following[:, stages.index(stage)]
            some = ahead > 0  # no empty bars: their bottoms would pin the axis top
            if some.any():
                ax.bar(
                    (x + (k - (len(names) - 1) / 2) * width)[some],
                    ahead[some],
                    width,
                    bottom=values[some],
                    color=STAGE_COLOURS[stages.index(stage) % len(STAGE_COLOURS)],
                    alpha=0.3,
                    edgecolor="#555555",
                    linestyle="--",
                    label=f"{plan.params.names.plural(stage)}, next period",
                )
        ax.set_xticks(x, ph.labels, rotation=30)
        ax.set_ylabel(MONTH_VOLUME_AXIS)
        ax.set_title(f"{team}: volume needed by month")
        ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)
    fig.supxlabel(
        "Hatched: months before the plan period, feeding it through the stage lags.\n"
        f"Pale, dashed: the next period's lead-in ({plan.next_period}), on top.",
        fontsize=FONT - 1,
    )
    return fig


@_styled
def tornado_chart(plan: Plan, swings: Sensitivity | None = None) -> Figure:
    """Change in the first stage's volume needed when each driver moves down or up, largest
    swing on top: by ±the plan's fixed fraction, or, given `swings`, to the lowest and highest
    value each driver has had in its recent quarters."""
    sens = plan.sensitivity if swings is None else swings
    s = sens.frame()
    wide = s.pivot(index="driver", columns="direction", values="leads_change")
    wide = wide.reindex(wide.abs().max(axis=1).sort_values().index)
    fig, (ax,) = _figure(10, 0.45 * len(wide) + 1.8)
    y = np.arange(len(wide))
    if swings is None:
        labels = (f"driver -{sens.change:.0%}", f"driver +{sens.change:.0%}")
        title = tornado_title(plan)
    else:
        labels = ("its lowest recent quarter", "its highest recent quarter")
        first = plan.params.names.plural(plan.targets.funnel.stages[0])
        title = f"{first[:1].upper()}{first[1:]} needed at each driver's low and high quarter"
    # side by side, not overlaid: both moves may fall on one side of the plan
    ax.barh(y - 0.2, wide["down"], height=0.4, color=BLUE, label=labels[0])
    ax.barh(y + 0.2, wide["up"], height=0.4, color=ORANGE, label=labels[1])
    ax.axvline(0, color="black", linewidth=1)
    ax.set_yticks(y, [driver_name(d, plan.params.names) for d in wide.index])
    ax.set_xlabel(tornado_axis(plan))
    ax.set_title(title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2, frameon=False)
    return fig


@_styled
def pacing_chart(paced: dict[str, tuple[str, Pacing]], names: StageNames = DEFAULT_NAMES) -> Figure:
    """Per team, the ideal cumulative line to the month's goal against the actual cumulative
    count to date; `paced` maps team -> (stage, Pacing)."""
    fig, axes = _figure(11, 4.4, ncols=max(1, len(paced)))
    for ax, (team, (stage, p)) in zip(axes, paced.items(), strict=False):
        days = p.days.astype("datetime64[D]").astype(object)
        ax.plot(days, p.ideal, color=GREY, linestyle="--", linewidth=2, label="ideal pace")
        ax.plot(days, p.actual, color=BLUE, linewidth=3, label="actual")
        ax.axhline(
            p.goal, color=VERMILLION, linewidth=1, linestyle=":", label=f"goal {p.goal:,.0f}"
        )
        month = pd.Period(str(p.days[0])[:7], "M")
        ax.set_title(f"{team.capitalize()}: {names.plural(stage)} in {month:%B %Y}")
        ax.set_xlabel("day of the month")
        ax.set_ylabel(f"{names.plural(stage)} to date (cumulative)")
        ax.set_xticks(days[::7], [d.day for d in days[::7]])
        ax.legend(loc="upper left", frameon=False)
    if not paced:
        axes[0].set_title("No stage has a goal this month")
        axes[0].set_axis_off()
    return fig


def _axis_money(value: float, currency: str) -> str:
    """An axis tick in compact money without a needless '.0': '$500K', '$1.5M'."""
    return (
        compact_money(value, currency).replace(".0K", "K").replace(".0M", "M").replace(".0B", "B")
    )


@_styled
def attainment_chart(frame: pd.DataFrame, title: str, names: StageNames = DEFAULT_NAMES) -> Figure:
    """Actual as a share of planned per line of a `review.plan_vs_actuals` frame, with the
    100 % line; lines the plan gave nothing for are left out."""
    rows = frame.loc[frame["planned"] > 0]
    fig, (ax,) = _figure(10, 0.55 * max(1, len(rows)) + 1.8)
    y = np.arange(len(rows))[::-1]
    values = rows["attainment"].to_numpy() * 100
    colours = [GREEN if v >= 100 else ORANGE if v >= 90 else VERMILLION for v in values]
    ax.barh(y, values, color=colours)
    for yi, v in zip(y, values, strict=True):
        ax.text(v + 1, yi, f"{v:.0f}%", va="center", fontsize=FONT)
    ax.axvline(100, color="black", linewidth=1)
    ax.set_yticks(
        y, ["Revenue" if line == "revenue" else names.plural_title(line) for line in rows["line"]]
    )
    ax.set_xlim(0, max(120, float(np.nanmax(values, initial=0)) + 15))
    ax.set_xlabel("actual against plan to date (%)")
    ax.set_title(title)
    return fig


@_styled
def leakage_chart(leaks: pd.DataFrame, names: StageNames = DEFAULT_NAMES) -> Figure:
    """Per step, where the leads that reached its first stage went: advanced, lost, stalled,
    in progress (summed over groups), as stacked shares."""
    parts = ["advanced", "lost", "stalled", "in_progress"]
    totals = leaks.groupby("step", sort=False)[["reached", *parts]].sum()
    fig, (ax,) = _figure(10, 0.6 * len(totals) + 1.8)
    y = np.arange(len(totals))[::-1]
    left = np.zeros(len(totals))
    for part, colour in zip(parts, (GREEN, VERMILLION, ORANGE, SKY), strict=True):
        share = (totals[part] / totals["reached"].where(totals["reached"] > 0)).fillna(0) * 100
        ax.barh(y, share, left=left, color=colour, label=part.replace("_", " "))
        left += share.to_numpy()
    ax.set_yticks(y, [names.step(step) for step in totals.index])
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of the leads that reached the step's first stage (%)")
    ax.set_title("Leakage: where leads stop")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncols=4, frameon=False)
    return fig


@_styled
def fan_chart(fan: pd.DataFrame, actual: pd.Series, goal: float, currency: str) -> Figure:
    """Cumulative revenue: won so far (`actual`, by day) and the forecast's fan from the as-of
    day (`fan`: quantile columns 0.1, 0.25, 0.5, 0.75, 0.9), against the goal line."""
    fig, (ax,) = _figure(11, 4.8)
    assert isinstance(fan.index, pd.DatetimeIndex)  # the forecast's fan is by day
    days = fan.index.to_pydatetime()
    ax.fill_between(days, fan[0.1], fan[0.9], color=SKY, alpha=0.35, label="80% of outcomes")
    ax.fill_between(days, fan[0.25], fan[0.75], color=SKY, alpha=0.7, label="50% of outcomes")
    ax.plot(days, fan[0.5], color=BLUE, linewidth=2, linestyle="--", label="median forecast")
    if len(actual):
        assert isinstance(actual.index, pd.DatetimeIndex)  # won so far, by day
        ax.plot(actual.index.to_pydatetime(), actual, color=BLUE, linewidth=3, label="won so far")
    ax.axhline(
        goal, color=VERMILLION, linewidth=2, linestyle=":", label=f"goal {money(goal, currency)}"
    )
    ax.set_ylim(0, max(goal, float(fan[0.9].max())) * 1.35)  # room for the legend
    ax.set_title(f"Revenue forecast to {fan.index[-1]:%d %b %Y}")
    ax.set_xlabel("day")
    ax.set_ylabel("revenue won, cumulative")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _axis_money(v, currency)))
    ax.legend(loc="upper left", frameon=False)
    return fig


@_styled
def spend_chart(months: tuple[str, ...], spend: dict[str, np.ndarray], currency: str) -> Figure:
    """Spend per lead month, stacked by channel (`spend`: channel -> spend per month, money;
    channels that spend nothing left out); the funnel's lags put a period's spend before it
    starts."""
    shown = {c: v for c, v in spend.items() if v.sum() > 0}
    fig, (ax,) = _figure(10, 4.2)
    x = np.arange(len(months))
    bottom = np.zeros(len(months))
    for k, (channel, values) in enumerate(shown.items()):
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        ax.bar(x, values, 0.65, bottom=bottom, label=channel, color=colour)
        bottom = bottom + values
    for xi, total in zip(x, bottom, strict=True):
        ax.text(xi, total, _axis_money(total, currency), ha="center", va="bottom", fontsize=FONT)
    ax.set_xticks(x, months)
    ax.set_ylim(0, bottom.max() * 1.15 if bottom.max() > 0 else 1)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _axis_money(v, currency)))
    ax.set_ylabel(f"spend ({currency})")
    ax.set_xlabel("month the leads arrive (and the spend falls)")
    ax.set_title("Spend by month and channel")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=FONT - 1)
    return fig


OWNER_COLOURS = {"marketing": BLUE, "sales": ORANGE, "shared": GREY}


@_styled
def gap_chart(view: GapView, title: str) -> Figure:
    """A waterfall from revenue planned to revenue won, top to bottom: each driver's
    contribution as a bar from the running total, coloured by its clause's owner."""
    b, cur = view.revenue, view.currency
    order = view.order()
    labels = ["Planned", *(view.label(b.drivers[i].name) for i in order), "Won"]
    steps = [float(view.shown[i]) for i in order]
    before = b.planned + np.r_[0.0, np.cumsum(steps)[:-1]]
    lefts = np.r_[0.0, np.minimum(before, before + steps), 0.0]
    widths = np.r_[b.planned, np.abs(steps), b.actual]
    colours = [
        "black",
        *(OWNER_COLOURS.get(b.drivers[i].owner, GREY) for i in order),
        "black",
    ]
    fig, (ax,) = _figure(11, 0.45 * len(labels) + 2.3)
    y = np.arange(len(labels))[::-1]
    ax.barh(y, widths, left=lefts, color=colours, height=0.7)
    ends = lefts + widths
    words = [
        compact_money(b.planned, cur),
        *(("+" if v >= 0 else "−") + compact_money(abs(v), cur) for v in steps),
        compact_money(b.actual, cur),
    ]
    for yi, end, word in zip(y, ends, words, strict=True):
        ax.text(end, yi, f" {word}", va="center", fontsize=FONT - 1)
    ax.set_yticks(y, labels)
    ax.set_xlim(0, float(ends.max()) * 1.18)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _axis_money(v, cur)))
    ax.set_xlabel(f"revenue ({cur})")
    ax.set_title(title)
    handles = [
        Patch(color=colour, label=OWNERS[owner])
        for owner, colour in OWNER_COLOURS.items()
        if any(d.owner == owner for d in b.drivers)
    ]
    ax.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=3, frameon=False
    )
    return fig
