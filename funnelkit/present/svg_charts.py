"""Light charts as SVG text for the scenario explorer, where a chart must redraw within tens
of milliseconds: matplotlib takes about 50 ms to lay out even a five-bar chart on a small
machine, an SVG string a fraction of a millisecond, and the browser draws it.

Same palette, titles and axis labels (with units) as `funnelkit.present.charts`; every label is
escaped. Reports keep the matplotlib charts.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

from funnelkit.plan.build import Plan
from funnelkit.present.chart_text import (
    MONTH_VOLUME_AXIS,
    VOLUME_AXIS,
    funnel_title,
    tornado_axis,
    tornado_title,
)
from funnelkit.present.palette import BLUE, ORANGE, STAGE_COLOURS

WIDTH, FONT = 560, 14  # pixels: the explorer's results column at 1280 px
LEFT, RIGHT, TOP, ROW = 170, 80, 40, 34  # margins and the height of a bar's row, pixels


def _text(
    x: float, y: float, text: str, size: int = FONT, anchor: str = "start", weight: str = "normal"
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'font-weight="{weight}" dominant-baseline="middle">{html.escape(text)}</text>'
    )


def _svg(height: float, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" font-family="sans-serif" role="img">'
        f"<title>{html.escape(title)}</title>"
        + _text(WIDTH / 2, 16, title, FONT + 2, "middle", "bold")
        + "".join(body)
        + "</svg>"
    )


def _ticks(high: float) -> list[float]:
    """About five round tick values from 0 to `high`."""
    if high <= 0:
        return [0.0]
    raw = high / 5
    step = 10 ** math.floor(math.log10(raw))
    step *= next(m for m in (1, 2, 2.5, 5, 10) if step * m >= raw)
    return [i * step for i in range(int(high / step) + 1)]


COMPARED_DASHES = {"plan": "none", "pinned": "6 3", "history": "2 2"}  # the explorer's
# comparisons as black ticks: solid, dashed, dotted


def hbars(
    labels: Sequence[str],
    values: Sequence[float],
    title: str,
    xlabel: str,
    colours: Sequence[str] = STAGE_COLOURS,
    marks: Mapping[str, Sequence[float]] | None = None,
    dashes: Mapping[str, str] = COMPARED_DASHES,
) -> str:
    """Horizontal bars, one row per label, each value written beside its bar; `marks` (sets
    of values to compare with, by name) drawn as black ticks dashed as `dashes` says (SVG
    stroke-dasharray by name; solid for a name not there), and named in a legend."""
    marks = dict(marks or {})
    high = max([*values, *(v for m in marks.values() for v in m), 1e-9]) * 1.15
    span = WIDTH - LEFT - RIGHT
    body = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = TOP + i * ROW
        width = span * value / high
        body.append(_text(LEFT - 8, y + ROW / 2, label, anchor="end"))
        body.append(
            f'<rect x="{LEFT}" y="{y + 4}" width="{width:.1f}" height="{ROW - 8}" '
            f'fill="{colours[i % len(colours)]}"/>'
        )
        body.append(_text(LEFT + width + 6, y + ROW / 2, f"{value:,.0f}"))
        for name, mark in marks.items():
            x = LEFT + span * mark[i] / high
            body.append(_tick(x, y + 1, y + ROW - 1, dashes.get(name, "none")))
    bottom = TOP + len(labels) * ROW
    body.append(_text(LEFT + span / 2, bottom + 18, xlabel, anchor="middle"))
    x = LEFT
    for name in marks:
        tick = _tick(x + 2, bottom + 30, bottom + 46, dashes.get(name, "none"))
        body.append(tick + _text(x + 10, bottom + 38, name))
        x += 24 + 8 * len(name)
    return _svg(bottom + (52 if marks else 34), body, title)


def _tick(x: float, y1: float, y2: float, dash: str) -> str:
    return (
        f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y1:.1f}" y2="{y2:.1f}" stroke="black" '
        f'stroke-width="3" stroke-dasharray="{dash}"/>'
    )


def diverging(
    labels: Sequence[str],
    down: Sequence[float],
    up: Sequence[float],
    title: str,
    xlabel: str,
    legend: tuple[str, str],
) -> str:
    """Bars left and right of zero per row (e.g. a tornado): `down` in blue, `up` in orange."""
    reach = max([abs(v) for v in (*down, *up)] + [1e-9]) * 1.2
    span = WIDTH - LEFT - 40
    zero = LEFT + span / 2
    body = []
    for i, (label, a, b) in enumerate(zip(labels, down, up, strict=True)):
        y = TOP + i * ROW
        body.append(_text(LEFT - 8, y + ROW / 2, label, anchor="end"))
        for value, colour in ((a, BLUE), (b, ORANGE)):
            length = span / 2 * abs(value) / reach
            x = zero if value >= 0 else zero - length
            body.append(
                f'<rect x="{x:.1f}" y="{y + 4}" width="{length:.1f}" height="{ROW - 8}" fill="{colour}"/>'
            )
            anchor, tx = ("start", x + length + 4) if value >= 0 else ("end", x - 4)
            body.append(_text(tx, y + ROW / 2, f"{value:+,.0f}", FONT - 2, anchor))
    bottom = TOP + len(labels) * ROW
    body.append(f'<line x1="{zero:.1f}" x2="{zero:.1f}" y1="{TOP}" y2="{bottom}" stroke="black"/>')
    body.append(_text(zero, bottom + 18, xlabel, anchor="middle"))
    body.append(
        f'<rect x="{LEFT}" y="{bottom + 32}" width="12" height="12" fill="{BLUE}"/>'
        + _text(LEFT + 18, bottom + 38, legend[0])
        + f'<rect x="{zero}" y="{bottom + 32}" width="12" height="12" fill="{ORANGE}"/>'
        + _text(zero + 18, bottom + 38, legend[1])
    )
    return _svg(bottom + 52, body, title)


def grouped_columns(
    categories: Sequence[str],
    series: dict[str, Sequence[float]],
    title: str,
    ylabel: str,
    faded: Sequence[bool] | None = None,
    colours: Sequence[str] = STAGE_COLOURS,
) -> str:
    """Vertical bars grouped by category, one colour per series, with a legend; categories
    where `faded` is true are drawn paler (e.g. lead-in months)."""
    height, left, bottom_pad = 300, 70, 60
    plot_h = height - TOP - bottom_pad
    span = WIDTH - left - 20
    high = max([v for values in series.values() for v in values] + [1e-9]) * 1.1
    group = span / max(1, len(categories))
    bar = group * 0.8 / max(1, len(series))
    base = TOP + plot_h
    body = []
    for tick in _ticks(high):
        y = base - plot_h * tick / high
        body.append(
            f'<line x1="{left}" x2="{WIDTH - 20}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
        )
        body.append(_text(left - 6, y, f"{tick:,.0f}", FONT - 2, "end"))
    for j, (name, values) in enumerate(series.items()):
        colour = colours[j % len(colours)]
        for i, value in enumerate(values):
            x = left + i * group + group * 0.1 + j * bar
            h = plot_h * value / high
            pale = ' fill-opacity="0.45"' if faded is not None and faded[i] else ""
            body.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}"{pale}/>'
            )
        lx = left + j * 130
        body.append(f'<rect x="{lx}" y="{height - 16}" width="12" height="12" fill="{colour}"/>')
        body.append(_text(lx + 18, height - 10, name, FONT - 1))
    for i, label in enumerate(categories):
        body.append(_text(left + (i + 0.5) * group, base + 14, label, FONT - 2, "middle"))
    body.append(
        f'<text x="16" y="{TOP + plot_h / 2:.0f}" font-size="{FONT - 1}" text-anchor="middle" '
        f'transform="rotate(-90 16 {TOP + plot_h / 2:.0f})">{html.escape(ylabel)}</text>'
    )
    return _svg(height, body, title)


def funnel_svg(plan: Plan, compared: Mapping[str, Plan] | None = None) -> str:
    """The whole volume needed per stage, with other plans' (by name: the pinned scenario, the
    plan opened, history's funnel) as ticks."""
    t = plan.targets
    return hbars(
        t.funnel.stages,
        [float(v) for v in t.whole],
        funnel_title(plan),
        VOLUME_AXIS,
        marks={
            name: [float(v) for v in other.targets.whole]
            for name, other in (compared or {}).items()
        },
    )


def phasing_svg(plan: Plan) -> str:
    """Whole volume needed per month for each stage after the first (the first dwarfs them);
    lead-in months before the plan period drawn paler."""
    ph = plan.monthly
    shown = ph.stages[1:]
    return grouped_columns(
        ph.labels,
        {s: [float(v) for v in ph.whole[:, ph.stages.index(s)]] for s in shown},
        f"Volume needed by month (pale: lead-in before the plan; {ph.stages[0]} in the table)",
        MONTH_VOLUME_AXIS,
        faded=[not x for x in ph.in_plan],
        colours=STAGE_COLOURS[1:],
    )


def tornado_svg(plan: Plan) -> str:
    """Change in the first stage's volume needed when each driver moves down or up."""
    s = plan.sensitivity.frame()
    wide = s.pivot(index="driver", columns="direction", values="leads_change")
    wide = wide.reindex(wide.abs().max(axis=1).sort_values(ascending=False).index)
    change = plan.sensitivity.change
    return diverging(
        list(wide.index),
        wide["down"].tolist(),
        wide["up"].tolist(),
        tornado_title(plan),
        tornado_axis(plan),
        (f"driver -{change:.0%}", f"driver +{change:.0%}"),
    )
