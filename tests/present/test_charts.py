"""Charts: every report chart has a title and labelled axes with units and makes a PNG; the
explorer's SVG charts scale their bars to the values and escape their text."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import ROOT
from matplotlib.text import Text

from funnelkit import build_plan, load_params, read_export
from funnelkit.actuals import review
from funnelkit.present import charts, svg_charts


@pytest.fixture(scope="module")
def q4():
    params = load_params(ROOT / "params" / "2026-q4.yaml")
    return build_plan(params), read_export(params.export_file)


def figures(plan, table):
    yield charts.funnel_chart(plan, plan)
    yield charts.phasing_chart(plan)
    yield charts.tornado_chart(plan)
    yield charts.pacing_chart(review.team_pacing(plan, table, "2026-10"))
    yield charts.attainment_chart(review.plan_vs_actuals(plan, table), "to date")
    yield charts.leakage_chart(review.month_leakage(table, "2026-10"))


def test_every_chart_is_titled_and_labelled_with_units(q4):
    for fig in figures(*q4):
        for ax in fig.axes:
            assert ax.get_title(), fig
            assert re.search(r"\(.+\)", ax.get_xlabel() + ax.get_ylabel()), ax.get_xlabel()
        assert charts.png(fig).startswith(b"\x89PNG")


def test_dollar_signs_in_crm_text_are_drawn_as_written():
    """'$' is money: a channel named '$a^{b$' (a CRM value) is text, not TeX to parse; TeX
    parsing failed the render on it (and drew '$5k or $9k' as a formula)."""
    spend = {"$a^{b$ ads": np.array([100.0, 200.0]), "$5k or $9k": np.array([50.0, 60.0])}
    fig = charts.spend_chart(("2026-10", "2026-11"), spend, "USD")
    assert charts.png(fig).startswith(b"\x89PNG")
    texts = [t for t in fig.findobj(Text) if "$" in t.get_text()]
    assert {"$a^{b$ ads", "$5k or $9k"} <= {t.get_text() for t in texts}
    assert not any(t.get_parse_math() for t in texts)  # tick labels made while drawing too


def test_svg_bars_scale_with_their_values():
    svg = svg_charts.hbars(["a", "b"], [100.0, 50.0], "T", "count (n)")
    widths = [float(w) for w in re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"', svg)]
    assert widths[0] == pytest.approx(2 * widths[1], abs=0.2)  # drawn to 0.1 px
    assert "<title>T</title>" in svg
    assert ">count (n)</text>" in svg


def test_svg_text_is_escaped():
    svg = svg_charts.hbars(["<script>"], [1.0], "a & b", "x")
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "a &amp; b" in svg


def test_svg_charts_of_a_plan_show_its_whole_volumes(q4):
    plan, _ = q4
    svg = svg_charts.funnel_svg(plan)
    for v in plan.targets.whole:
        assert f">{int(v):,}</text>" in svg
    assert svg_charts.phasing_svg(plan).count("<rect") >= len(plan.monthly.labels)
    assert "revenue_goal" in svg_charts.tornado_svg(plan)
