"""The scenario explorer without a browser: it starts at the plan it was opened on (the
report's figures), resets to the plan or to the baseline measured on the export, shows the
targets funnelkit computes for the controls, redraws only what changed, coalesces bursts of
changes, and saves a parameters file the render command accepts."""

from __future__ import annotations

import asyncio
import re

import numpy as np
import pytest
from conftest import FIGURE_TAG, ROOT, untagged, whole_by_hand

from funnelkit import build_plan, load_params, measure_baselines, read_export
from funnelkit.core.exceptions import ParamsError
from funnelkit.model.loader import load_plan_data
from funnelkit.plan.mix import shares_mix
from funnelkit.plan.sla import Touch
from funnelkit.present.dials import snap
from funnelkit.present.explorer import (
    PRECISION,
    ScenarioExplorer,
    cadence_text,
    parse_cadence,
)

EXAMPLE = ROOT / "params" / "example.yaml"


@pytest.fixture(scope="module")
def measured():
    params = load_params(EXAMPLE)
    return measure_baselines(read_export(params.export_file))


@pytest.fixture
def explorer(tmp_path):
    e = ScenarioExplorer.from_params_file(EXAMPLE, throttle_seconds=0)
    e.save_dir = tmp_path
    return e


def shown_needed(e: ScenarioExplorer) -> list[int]:
    """The 'needed' column of the targets table as the analyst sees it."""
    rows = re.findall(r"<tr>\s*<td>([^<]+)</td>\s*<td>([^<]+)</td>", untagged(e.targets.value))
    return [int(needed.replace(",", "")) for _, needed in rows]


def test_it_starts_at_the_plan_and_shows_the_report_s_targets(explorer):
    plan = build_plan(load_params(EXAMPLE))
    p = plan.params
    assert [s.value for s in explorer.rates] == list(p.funnel.conversion_rates)
    assert [s.value for s in explorer.days] == list(p.funnel.days)
    assert (explorer.goal.value, explorer.share.value, explorer.deal.value) == (
        p.revenue_goal,
        p.marketing_share,
        p.deal_size,
    )
    assert (
        shown_needed(explorer) == plan.targets.whole.astype(int).tolist()
    )  # 700 leads, as the report
    assert explorer.plan.targets.whole.tolist() == explorer.start_plan.targets.whole.tolist()
    assert "<td>+0</td>" in explorer.targets.value
    assert "<td>+1</td>" not in explorer.targets.value


def test_reset_to_history_moves_to_the_baseline_measured_on_the_data(explorer, measured):
    explorer.reset("history")
    # each to its precision: rates and the share to 0.001, days to 0.1, money to 1
    assert [s.value for s in explorer.rates] == pytest.approx(
        measured.funnel.conversion_rates, abs=0.0005
    )
    assert [s.value for s in explorer.days] == pytest.approx(measured.funnel.days, abs=0.05)
    assert explorer.deal.value == pytest.approx(measured.deal_size, abs=0.5)
    assert explorer.share.value == pytest.approx(measured.marketing_share, abs=0.0005)
    assert explorer.goal.value == load_params(EXAMPLE).revenue_goal  # the plan's goal stays
    assert explorer.status.value == (
        "At the baseline measured on the plan's export (goal, period and SLA: the plan's)."
    )
    with pytest.raises(ParamsError) as err:
        explorer.reset("yesterday")
    assert str(err.value) == "'to' must be 'plan' or 'history' (got 'yesterday')"


def test_without_an_export_there_is_no_history_to_reset_to(tmp_path):
    raw = EXAMPLE.read_text().split("\n# The plan's goals")[0]
    bare = tmp_path / "bare.yaml"
    bare.write_text(raw)
    e = ScenarioExplorer.from_params_file(bare, throttle_seconds=0)
    assert e.history is None
    assert e.history_button.disabled


@pytest.mark.parametrize("value", [0.342578, 0.3435, 14894.04, 5.26, 0.0001])
def test_values_are_snapped_to_the_nearest_step(value):
    for step in PRECISION.values():
        snapped = snap(value, step)
        assert abs(snapped - value) <= step / 2 + 1e-12
        assert abs(snapped / step - round(snapped / step)) < 1e-9


def test_moving_a_slider_shows_the_targets_for_the_new_inputs(explorer):
    explorer.rates[1].value = 0.5
    explorer.goal.value = 400000
    explorer.deal.value = 12000
    rates = [s.value for s in explorer.rates]
    expected = whole_by_hand(400000, explorer.share.value, 12000, rates)
    assert shown_needed(explorer) == expected
    assert explorer.plan.targets.whole.tolist() == expected
    assert f"<b>{expected[-1]:,} customers</b>" in explorer.headline.value


def test_only_views_whose_inputs_changed_are_redrawn(explorer):
    before = dict(explorer.redraws)
    explorer.days[0].value = explorer.days[0].value + 3  # timing only: no volume changes
    # only the headline follows (its reps constraint reads the months the timing moves)
    assert explorer.redraws == before | {"headline": before["headline"] + 1}
    explorer.tabs.selected_index = 1  # 'By month' is drawn when shown
    assert explorer.redraws["By month"] == before["By month"] + 1
    explorer.reps.value = 5  # the SLA tab is hidden: nothing drawn
    assert explorer.redraws["SLA and capacity"] == before["SLA and capacity"]
    explorer.tabs.selected_index = 2
    assert explorer.redraws["SLA and capacity"] == before["SLA and capacity"] + 1
    assert "5 reps can follow up every hand-off" in explorer.sla_html.value
    explorer.rates[0].value = 0.2  # volumes change: targets and the shown tab redraw
    assert explorer.redraws["targets"] == before["targets"] + 1
    assert explorer.redraws["Funnel"] == before["Funnel"]  # hidden: drawn when next shown


def test_reset_returns_to_the_plan(explorer):
    start = explorer.plan.targets.whole.tolist()
    explorer.rates[2].value = 0.9
    explorer.cadence.value = "0 call"
    explorer.reset()
    assert explorer.plan.targets.whole.tolist() == start
    assert explorer.cadence.value == cadence_text(explorer.start.sla.cadence)
    assert explorer.status.value == "Back at the plan example."


def test_a_bad_cadence_is_named_and_the_last_good_figures_stay(explorer):
    good = explorer.plan
    explorer.cadence.value = "0 call, soon email"
    assert "must list touches as &#x27;day channel&#x27;" in explorer.status.value
    assert "(got &#x27;soon email&#x27;)" in explorer.status.value
    assert explorer.plan is good
    explorer.cadence.value = "0 call, 2 email"
    assert explorer.status.value == ""
    assert explorer.plan.params.sla.touches_per_lead == 2


def test_cadence_text_round_trips():
    cadence = (Touch(0, "call"), Touch(1.5, "email"))
    assert parse_cadence(cadence_text(cadence)) == cadence
    with pytest.raises(ParamsError):
        parse_cadence("")


def test_save_writes_parameters_that_render_accepts(explorer, tmp_path):
    explorer.rates[0].value = 0.4
    explorer.reps.value = 3
    explorer.name.value = "bolder-q1"
    path = explorer.save()
    assert path == tmp_path / "bolder-q1.yaml"
    saved = load_params(path)
    assert saved.name == "bolder-q1"
    assert saved.funnel.conversion_rates[0] == 0.4
    assert saved.sla.reps == 3
    assert saved.export_file.resolve() == load_params(EXAMPLE).export_file.resolve()
    assert explorer.status.value.startswith(f"✓ Saved <code>{path}</code>: render it from ")
    assert "with <code>.venv/bin/funnelkit render " in explorer.status.value
    assert f"render {tmp_path.name}/bolder-q1.yaml</code>" in explorer.status.value


def test_save_refuses_a_bad_name_and_writes_nothing(explorer, tmp_path):
    explorer.name.value = "my plan!"
    assert explorer.save() is None
    assert "Not saved" in explorer.status.value
    assert "&#x27;name&#x27; must be letters, digits" in explorer.status.value
    assert list(tmp_path.iterdir()) == []


def test_save_never_replaces_a_file_unless_asked_and_then_keeps_a_backup(explorer, tmp_path):
    plan = tmp_path / "example.yaml"
    plan.write_text("# the team's plan, with its comments\nname: example\n")
    plan.chmod(0o640)
    explorer.name.value = "example"
    assert explorer.save() is None
    assert f"{plan} already exists: choose another name, or ask to replace it" in (
        explorer.status.value.replace("&#x27;", "'")
    )
    assert plan.read_text().startswith("# the team's plan")
    explorer.replace.value = True
    assert explorer.save() == plan
    assert (tmp_path / "example.yaml.bak").read_text().startswith("# the team's plan")
    assert plan.stat().st_mode & 0o777 == 0o640  # the permissions it had
    assert load_params(plan).name == "example"


def test_a_name_too_long_for_a_file_is_refused_in_the_status_line(explorer, tmp_path):
    explorer.name.value = "a" * 250
    assert explorer.save() is None
    assert "&#x27;name&#x27; must be at most 100 characters" in explorer.status.value
    assert list(tmp_path.iterdir()) == []


def test_a_burst_of_changes_redraws_at_once_then_once_more_with_the_last_value(tmp_path):
    async def burst():
        e = ScenarioExplorer.from_params_file(EXAMPLE, throttle_seconds=0.05)
        start = e.redraws["targets"]
        await asyncio.sleep(0.06)
        for rate in np.linspace(0.30, 0.40, 11):
            e.rates[0].value = float(rate)
        await asyncio.sleep(0.2)
        return e, e.redraws["targets"] - start

    e, redraws = asyncio.run(burst())
    assert 1 <= redraws <= 2
    assert e.plan.params.funnel.conversion_rates[0] == pytest.approx(0.40)


def test_the_explorer_starts_with_the_report_s_figures_tagged_alike(explorer):
    tags = {name: float(value) for name, value, _ in FIGURE_TAG.findall(explorer.targets.value)}
    plan = build_plan(load_params(EXAMPLE))
    for stage, whole in zip(plan.targets.funnel.stages, plan.targets.whole, strict=True):
        assert tags[f"need.{stage}"] == tags[f"scenario_need.{stage}"] == whole


def test_the_headline_names_what_binds(explorer):
    data = load_plan_data(EXAMPLE)
    report = data.coverage  # the report's coverage: the headline's figures are the same
    assert (
        f"Binding: <b>the open pipeline is {report.ratio:.1f}×</b> what is left of the goal, "
        f"{report.needed:.1f}× needed at a {report.win_rate:.1%} win rate."
    ) in explorer.headline.value
    explorer.reps.value = 0.5  # too few to follow up the busiest month's hand-offs
    sla = explorer.plan.sla
    busiest = int(np.argmax(sla.reps_needed))
    # in whole reps, as the report's capacity sentence and the SLA table count them
    assert (
        f"<b>sales is short by {sla.reps_needed_peak - 0.5:g} reps</b> in "
        f"{sla.periods[busiest]} ({sla.reps_needed_peak:g} needed" in explorer.headline.value
    )
    explorer.goal.value = report.pipeline * report.win_rate / 2  # half what the pipeline covers
    explorer.reps.value = 10
    assert explorer.headline.value.endswith(
        f"Nothing binds: 10 reps follow up every hand-off (the busiest month needs "
        f"{explorer.plan.sla.reps_needed_peak:g}); the open pipeline is "
        f"{report.pipeline / explorer.goal.value:.1f}× what is left, enough.</p>"
    )


@pytest.mark.parametrize("plan", ["example", "2026-q4", "2026-q3"])
def test_no_slider_starts_pinned_at_an_end(plan):
    """Ranges are fitted to the plan and history: each slider starts well inside its range,
    and a days slider reaches three times the longer of the plan's and history's days."""
    e = ScenarioExplorer.from_params_file(ROOT / "params" / f"{plan}.yaml", throttle_seconds=0)
    for name, dial in e.named_inputs().items():
        if name in ("cadence", "share"):  # text; a share spans 0-100 %
            continue
        assert 0.05 < dial.position < 0.9, (name, dial.slider_low, dial.value, dial.slider_high)
    history = e.history.funnel.days
    for dial, planned, seen in zip(e.days, e.start.funnel.days, history, strict=True):
        assert dial.slider_high == pytest.approx(max(10.0, 3 * max(planned, seen)), abs=0.5)


def test_a_browser_s_float_noise_is_read_on_the_slider_s_step(explorer):
    explorer.minutes.value = 9.999999999999998  # what a browser's slider sent for 10
    explorer.rates[0].value = 0.33999999999999997
    scenario = explorer.scenario()
    assert scenario.sla.first_touch_minutes == 10.0
    assert scenario.funnel.conversion_rates[0] == 0.34


def test_a_typed_value_is_used_as_typed(explorer):
    explorer.reps.value = 2.3  # part-time: the slider moves in whole people
    explorer.rates[0].value = 0.4127  # typed as 41.27 %: to a tenth of a point
    explorer.goal.value = 412_345  # an exact amount
    assert (explorer.reps.slider_step, explorer.rates[0].scale) == (1.0, 100)
    scenario = explorer.scenario()
    assert scenario.sla.reps == 2.3
    assert scenario.funnel.conversion_rates[0] == 0.413
    assert scenario.revenue_goal == 412_345
    rates = [s.value for s in explorer.rates]
    expected = whole_by_hand(412_345, explorer.share.value, explorer.deal.value, rates)
    assert shown_needed(explorer) == expected


def shown_columns(e: ScenarioExplorer) -> dict[str, list[str]]:
    """The targets table's columns by header, as shown."""
    table = untagged(e.targets.value)
    heads = re.findall(r"<th>([^<]*)</th>", table)
    rows = [re.findall(r"<td>([^<]*)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", table, re.S)]
    rows = [r for r in rows if r]
    return {h: [r[i] for r in rows] for i, h in enumerate(heads)}


def test_a_pinned_scenario_is_shown_beside_the_next_and_the_plan_and_history(explorer):
    explorer.rates[0].value = 0.4
    pinned = explorer.plan.targets.whole.astype(int).tolist()
    explorer.pin()
    explorer.rates[0].value = 0.2
    explorer.deal.value = 15_000
    columns = shown_columns(explorer)
    assert list(columns) == ["stage", "needed", "pinned", "plan", "history", "vs plan"]
    assert [int(v.replace(",", "")) for v in columns["pinned"]] == pinned
    assert [int(v.replace(",", "")) for v in columns["needed"]] == shown_needed(explorer)
    plan = build_plan(explorer.start).targets.whole.astype(int).tolist()
    history = build_plan(explorer.history).targets.whole.astype(int).tolist()
    assert [int(v.replace(",", "")) for v in columns["plan"]] == plan
    assert [int(v.replace(",", "")) for v in columns["history"]] == history
    chart = explorer.funnel_chart.value
    for name in ("pinned", "plan", "history"):  # a tick per stage each, named in the legend
        assert f">{name}</text>" in chart
    assert chart.count('stroke-dasharray="6 3"') == len(pinned) + 1  # the pinned ticks
    explorer.pin(False)
    assert "pinned" not in shown_columns(explorer)
    assert ">pinned</text>" not in explorer.funnel_chart.value


def test_a_saved_scenario_keeps_its_note_of_why(explorer, tmp_path):
    explorer.reps.value = 4
    explorer.name.value = "two-more-reps"
    explorer.why.value = "Two more reps from March,\nas agreed at the pipeline review."
    path = explorer.save()
    text = path.read_text()
    assert "# Why: Two more reps from March,\n# Why: as agreed at the pipeline review.\n" in text
    assert load_params(path).sla.reps == 4


def test_the_channels_tab_keeps_the_shares_at_100_percent_and_shows_their_cost(explorer):
    assert explorer.tab_names[-1] == "Channels"
    mixer = explorer.mixer
    explorer.tabs.selected_index = len(explorer.tab_names) - 1
    before = [d.value for d in mixer.dials]
    mixer.dials[0].value = 0.5  # the others shrink in proportion
    after = [d.value for d in mixer.dials]
    assert sum(after) == pytest.approx(1, abs=0.001 * len(after))
    rest = [b / sum(before[1:]) * 0.5 for b in before[1:]]
    assert after[1:] == pytest.approx(rest, abs=0.0006)
    plan = explorer.plan
    first = plan.monthly.volumes[:, 0]
    need = plan.targets.marketing_revenue_goal * first / first.sum()
    by_hand = shares_mix(mixer.channels, tuple(plan.monthly.labels), need, mixer.shares)
    shown = untagged(mixer.view.value)
    assert f"for <b>${by_hand.spend.sum():,.0f}</b>" in shown
    assert "the least-cost mix would spend $" in shown
    explorer.reset()  # the shares go back to the program plan's mix too
    assert [d.value for d in mixer.dials] == before
    mixer.dials[0].value = 0.5
    redraws = explorer.redraws["Channels"]
    explorer.goal.value = explorer.goal.value * 1.1  # a bigger goal: the tab follows
    assert explorer.redraws["Channels"] == redraws + 1
    assert f"marketing's ${explorer.plan.targets.marketing_revenue_goal:,.0f}" in untagged(
        mixer.view.value
    )


def test_without_a_program_there_is_no_channels_tab(tmp_path):
    raw = EXAMPLE.read_text().split("\n# The program plan")[0]
    plain = tmp_path / "plain.yaml"
    plain.write_text(
        raw.replace("goals: goals/", f"goals: {ROOT}/params/goals/")
        .replace("../data/", f"{ROOT}/data/")
        .replace("definitions: definitions/", f"definitions: {ROOT}/params/definitions/")
        .replace("previous_plan: ", f"previous_plan: {ROOT}/params/")
    )
    e = ScenarioExplorer.from_params_file(plain, throttle_seconds=0)
    assert e.mixer is None
    assert "Channels" not in e.tab_names
