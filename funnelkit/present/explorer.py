"""The scenario explorer: ipywidgets controls for a plan's drivers, live targets and charts.

It starts from the plan it is opened on, so it shows the report's figures; "Reset to plan"
goes back there and "Reset to history" moves the funnel, deal size and marketing share to the
baseline measured on the plan's CRM export (the goal, period and SLA stay the plan's). Values
are rounded to each slider's step (`STEPS`: rates to 0.1 point, days to half a day) so the
browser shows them unchanged. Each change rebuilds the plan
with `build_plan` (well under a millisecond) and redraws only the views whose inputs
changed; charts are drawn only when their tab is shown. Changes are coalesced: at most one
redraw every `throttle_seconds`, the first at once and the last always. "Save scenario"
writes a parameters file that `funnelkit render` can render.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import html
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import ipywidgets as w
import numpy as np
import pandas as pd

from funnelkit.core.exceptions import FunnelkitError, ParamsError
from funnelkit.core.formats import money, multiple, percent
from funnelkit.core.validation import short
from funnelkit.forecast.coverage import Coverage, won_so_far
from funnelkit.model.loader import PlanData, load_plan_data
from funnelkit.plan.build import Plan, build_plan
from funnelkit.plan.funnel import Funnel
from funnelkit.plan.params import PlanParams, params_from_dict
from funnelkit.plan.scenario_file import params_to_dict, save_params
from funnelkit.plan.sla import SlaTerms, Touch
from funnelkit.present import svg_charts
from funnelkit.present.plan_tables import need_tags, sla_frame
from funnelkit.present.tags import tagged_table

THROTTLE_SECONDS = 0.05  # at most one redraw this often while a slider moves
TABS = ("Funnel", "By month", "SLA and capacity", "Sensitivity")
STEPS = {  # each slider's step: the explorer's precision
    "goal": 100.0,  # money
    "share": 0.001,  # fraction
    "deal": 10.0,  # money
    "rate": 0.001,  # fraction
    "days": 0.5,  # days
    "reps": 0.5,
    "touches": 1.0,  # per rep per day
    "minutes": 1.0,
}
TABLE_STYLE = (
    "<style>.funnelkit-table td, .funnelkit-table th {padding: 2px 14px; text-align: right;"
    " line-height: 1.3}"
    " .funnelkit-results svg {max-width: 100%; height: auto}"
    " .funnelkit-headline p {margin: 0 0 6px 0; line-height: 1.4}"
    " .funnelkit-controls > * {flex-shrink: 0}</style>"
)
DESCRIPTION_WIDTH, CONTROL_WIDTH = "12.5em", "26em"  # a control's label, and label with control
CONTROLS_HEIGHT = "600px"  # the controls scroll within this; the results stay in view beside


def cadence_text(cadence: tuple[Touch, ...]) -> str:
    """A cadence as the explorer's text field shows it: '0 call, 0 email, 1 call'."""
    return ", ".join(f"{t.day:g} {t.channel}" for t in cadence)


def parse_cadence(text: str) -> tuple[Touch, ...]:
    """Read '0 call, 0 email, 1 call' (day, then channel, per touch) into touches."""
    touches = []
    for part in (p.strip() for p in text.split(",")):
        day, _, channel = part.partition(" ")
        try:
            touches.append(Touch(day=float(day), channel=channel.strip()))
        except (ValueError, FunnelkitError):
            raise ParamsError(
                f"'cadence' must list touches as 'day channel', separated by commas, "
                f"e.g. '0 call, 1 email' (got {short(part)})"
            ) from None
    return tuple(touches)


def baseline_params(data: PlanData) -> PlanParams:
    """The plan's parameters with the funnel, deal size and marketing share measured on its
    CRM export (the goal, period and SLA stay the plan's)."""
    params, b = data.params, data.baselines
    if b is None:
        raise ParamsError(
            f"'actuals' must name a CRM export to measure a baseline on ({params.name})"
        )
    return dataclasses.replace(
        params,
        funnel=b.funnel,
        deal_size=b.deal_size if b.deal_size is not None else params.deal_size,
        marketing_share=b.marketing_share
        if b.marketing_share is not None
        else params.marketing_share,
    )


def render_command(path: Path) -> str:
    """The command that renders a saved parameters file, run from the folder that holds its
    folder (the project folder, for a file in params/)."""
    return f".venv/bin/funnelkit render {path.parent.name}/{path.name}"


def snap(value: float, step: float) -> float:
    """`value` rounded to the nearest multiple of `step` (float noise removed)."""
    return round(round(value / step) * step, 10)


def on_slider_grid(params: PlanParams) -> PlanParams:
    """The parameters with every value a slider controls rounded to the slider's step, so the
    browser's sliders hold them exactly (a slider snaps any other value and sends it back)."""
    f, sla = params.funnel, params.sla
    return dataclasses.replace(
        params,
        revenue_goal=snap(params.revenue_goal, STEPS["goal"]),
        marketing_share=snap(params.marketing_share, STEPS["share"]),
        deal_size=max(STEPS["deal"], snap(params.deal_size, STEPS["deal"])),
        funnel=Funnel(
            f.stages,
            tuple(max(STEPS["rate"], snap(r, STEPS["rate"])) for r in f.conversion_rates),
            tuple(snap(d, STEPS["days"]) for d in f.days),
        ),
        sla=dataclasses.replace(
            sla,
            reps=max(STEPS["reps"], snap(sla.reps, STEPS["reps"])),
            touches_per_rep_per_day=max(1, snap(sla.touches_per_rep_per_day, STEPS["touches"])),
            first_touch_minutes=max(1, snap(sla.first_touch_minutes, STEPS["minutes"])),
        ),
    )


def binding_constraint(plan: Plan, coverage: Coverage | None) -> str:
    """What limits the plan, in a sentence (HTML): reps short of the busiest month's
    hand-offs (in whole reps, as the report judges capacity), open pipeline short of the
    coverage the win rate needs (`coverage`: the report's, for the plan's goal and win rate),
    or neither."""
    sla = plan.sla
    peak, reps = sla.reps_needed_peak, sla.terms.reps
    busiest = int(np.argmax(sla.reps_needed))  # its whole reps are the peak
    limits = []
    if peak > reps:
        limits.append(
            f"<b>sales is short by {sla.rep_shortfall[busiest]:g} reps</b> in "
            f"{sla.periods[busiest]} ({peak:g} needed for "
            f"{int(sla.handoffs_whole[busiest]):,} hand-offs, {reps:g} on the team)"
        )
    if coverage is not None and not coverage.enough:
        limits.append(
            f"<b>the open pipeline is {multiple(coverage.ratio)}</b> what is left of the goal, "
            f"{multiple(coverage.needed)} needed at a {percent(coverage.win_rate, 1)} win rate"
        )
    if limits:
        return "Binding: " + "; and ".join(limits) + "."
    covered = (
        f"; the open pipeline is {multiple(coverage.ratio)} what is left, enough"
        if coverage is not None
        else ""
    )
    return (
        f"Nothing binds: {reps:g} reps follow up every hand-off (the busiest month needs "
        f"{peak:g}){covered}."
    )


SLIDER_SPAN = 3.0  # a slider reaches this many times the larger of the plan's and history's value
SLIDER_FLOOR = 10.0  # ... and at least this far, so a small value is not pinned at the left


def slider_top(value: float, step: float) -> float:
    """A slider's upper end for a value: SLIDER_SPAN times it (at least SLIDER_FLOOR), on the
    slider's step."""
    return snap(max(SLIDER_FLOOR, SLIDER_SPAN * value) + step / 2, step)


def _slider(
    value: float, low: float, high: float, step: float, fmt: str, label: str
) -> w.FloatSlider:
    return w.FloatSlider(
        value=value,
        min=low,
        max=high,
        step=step,
        readout_format=fmt,
        description=label,
        continuous_update=True,
        style={"description_width": DESCRIPTION_WIDTH},
        layout=w.Layout(width=CONTROL_WIDTH),
    )


class ScenarioExplorer:
    """Widgets to move a plan's drivers and see its targets, charts and SLA follow."""

    def __init__(
        self,
        start: PlanParams,
        save_dir: str | Path,
        history: PlanParams | None = None,
        throttle_seconds: float = THROTTLE_SECONDS,
        coverage: Coverage | None = None,
        won: float = 0.0,
    ) -> None:
        self.start = on_slider_grid(start)  # the plan opened: where the controls start
        self.start_plan = build_plan(self.start)
        self.history = None if history is None else on_slider_grid(history)
        self.save_dir = Path(save_dir)
        self.throttle_seconds = throttle_seconds
        self.coverage, self.won = coverage, won  # the report's coverage; revenue won so far
        self.plan = self.start_plan
        self._held = False
        self.redraws: dict[str, int] = dict.fromkeys(("headline", "targets", *TABS), 0)
        self._drawn: dict[str, object] = {}  # view -> the inputs it was last drawn for
        self._last_refresh = 0.0
        self._pending: asyncio.TimerHandle | None = None
        self._build_controls()
        self._build_views()
        self.refresh()

    @classmethod
    def from_params_file(cls, params_file: str | Path, **kwargs) -> ScenarioExplorer:
        """An explorer on a plan's parameters file, starting at the plan, with its export's
        baseline to reset to (when it names an export); scenarios are saved beside the file."""
        data = load_plan_data(params_file)
        history = baseline_params(data) if data.baselines is not None else None
        as_of = data.table.as_of.normalize() if data.table is not None else None
        won = won_so_far(data.plan, data.table, as_of)
        return cls(
            data.params,
            Path(params_file).parent,
            history,
            coverage=data.coverage,
            won=won,
            **kwargs,
        )

    # controls -------------------------------------------------------------------------
    def _build_controls(self) -> None:
        b = self.start
        f = b.funnel
        self.goal = _slider(
            b.revenue_goal,
            0,
            b.revenue_goal * 3,
            STEPS["goal"],
            ",.0f",
            f"revenue goal ({b.currency})",
        )
        self.share = _slider(b.marketing_share, 0, 1, STEPS["share"], ".1%", "marketing share")
        self.deal = _slider(
            b.deal_size,
            snap(b.deal_size / 4, STEPS["deal"]),
            b.deal_size * 3,
            STEPS["deal"],
            ",.0f",
            f"deal size ({b.currency})",
        )
        self.rates = [
            _slider(r, STEPS["rate"], 1, STEPS["rate"], ".1%", f"{step} rate")
            for step, r in zip(f.steps, f.conversion_rates, strict=True)
        ]
        seen = self.history.funnel.days if self.history is not None else f.days
        self.days = [  # up to three times the longer of the plan's and history's days
            _slider(
                d, 0, slider_top(max(d, h), STEPS["days"]), STEPS["days"], ".1f", f"{step} days"
            )
            for step, d, h in zip(f.steps, f.days, seen, strict=True)
        ]
        s = b.sla
        needed = self.start_plan.sla.reps_needed_peak
        self.reps = _slider(  # up to three times the team or the busiest month's need
            s.reps,
            STEPS["reps"],
            slider_top(max(s.reps, needed), STEPS["reps"]),
            STEPS["reps"],
            ".1f",
            "reps",
        )
        self.touches = _slider(
            s.touches_per_rep_per_day,
            1,
            max(150.0, s.touches_per_rep_per_day * 2),
            STEPS["touches"],
            ".0f",
            "touches a rep a day",
        )
        self.minutes = _slider(
            s.first_touch_minutes,
            1,
            slider_top(s.first_touch_minutes, STEPS["minutes"]),
            STEPS["minutes"],
            ".0f",
            "first touch (minutes)",
        )
        self.cadence = w.Textarea(  # wraps: a week's cadence is longer than one line
            value=cadence_text(s.cadence),
            description="cadence",
            placeholder="day channel, …: 0 call, 0 email, 1 call",
            tooltip="touches as 'day channel', separated by commas",
            rows=4,
            continuous_update=False,
            style={"description_width": DESCRIPTION_WIDTH},
            layout=w.Layout(width=CONTROL_WIDTH),
        )
        self.name = w.Text(
            value=f"{b.name}-scenario",
            description="scenario name",
            style={"description_width": DESCRIPTION_WIDTH},
            layout=w.Layout(width=CONTROL_WIDTH),
        )
        self.reset_button = w.Button(
            description="Reset to plan", icon="undo", layout=w.Layout(width="auto")
        )
        self.history_button = w.Button(
            description="Reset to history",
            icon="history",
            layout=w.Layout(width="auto"),
            disabled=self.history is None,
            tooltip="the funnel, deal size and marketing share measured on the plan's export"
            if self.history is not None
            else "the plan names no CRM export to measure history on",
        )
        self.save_button = w.Button(
            description="Save scenario",
            icon="save",
            button_style="primary",
            layout=w.Layout(width="auto"),
        )
        self.replace = w.Checkbox(
            value=False,
            description="replace a file of that name (kept as .bak)",
            indent=False,
            layout=w.Layout(width="auto"),
        )
        self.status = w.HTML()
        self.reset_button.on_click(lambda _: self.reset())
        self.history_button.on_click(lambda _: self.reset("history"))
        self.save_button.on_click(lambda _: self.save())
        for control in self.inputs:
            control.observe(self._changed, names="value")
        for name, control in self.named_inputs().items():
            control.add_class(f"funnelkit-{name}")

    @property
    def inputs(self) -> list[w.ValueWidget]:
        """Every control whose value is part of the scenario."""
        return list(self.named_inputs().values())

    def named_inputs(self) -> dict[str, w.ValueWidget]:
        """Every scenario control by a short name ('goal', 'rate-0', 'days-1', …)."""
        named = {"goal": self.goal, "share": self.share, "deal": self.deal}
        named |= {f"rate-{i}": s for i, s in enumerate(self.rates)}
        named |= {f"days-{i}": s for i, s in enumerate(self.days)}
        return named | {
            "reps": self.reps,
            "touches": self.touches,
            "minutes": self.minutes,
            "cadence": self.cadence,
        }

    def scenario(self) -> PlanParams:
        """The parameters the controls describe (checked by Funnel and SlaTerms), on the
        sliders' steps: a browser's slider may send 9.999999999999998 for 10."""
        b = self.start
        funnel = Funnel(
            b.funnel.stages,
            tuple(s.value for s in self.rates),
            tuple(s.value for s in self.days),
        )
        sla = SlaTerms(
            handoff_stage=b.sla.handoff_stage,
            first_touch_minutes=self.minutes.value,
            cadence=parse_cadence(self.cadence.value),
            touches_per_rep_per_day=self.touches.value,
            reps=self.reps.value,
            holidays=b.sla.holidays,
        )
        moved = dataclasses.replace(
            b,
            revenue_goal=self.goal.value,
            marketing_share=self.share.value,
            deal_size=self.deal.value,
            funnel=funnel,
            sla=sla,
        )
        return on_slider_grid(moved)

    def reset(self, to: str = "plan") -> None:
        """Put every control back to the plan (`to='plan'`) or to the baseline measured on
        the export (`to='history'`), and redraw."""
        if to not in ("plan", "history"):
            raise ParamsError(f"'to' must be 'plan' or 'history' (got {short(to)})")
        b = self.start if to == "plan" or self.history is None else self.history
        with self.hold():
            self.goal.value, self.share.value, self.deal.value = (
                b.revenue_goal,
                b.marketing_share,
                b.deal_size,
            )
            for slider, value in zip(self.rates, b.funnel.conversion_rates, strict=True):
                slider.value = value
            for slider, value in zip(self.days, b.funnel.days, strict=True):
                slider.value = value
            self.reps.value = b.sla.reps
            self.touches.value = b.sla.touches_per_rep_per_day
            self.minutes.value = b.sla.first_touch_minutes
            self.cadence.value = cadence_text(b.sla.cadence)
        self.refresh()
        self.status.value = (
            f"Back at the plan {html.escape(self.start.name)}."
            if b is self.start
            else "At the baseline measured on the plan's export (goal, period and SLA: the plan's)."
        )

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """A context in which control changes do not redraw (the caller refreshes after)."""
        self._held = True
        try:
            yield
        finally:
            self._held = False

    def save(self) -> Path | None:
        """Write the scenario as a parameters file in `save_dir`, checked as the render
        command checks it; returns its path (None when the scenario breaks a rule)."""
        try:
            params = dataclasses.replace(
                self.scenario(),
                name=self.name.value.strip(),
                title=f"Scenario {self.name.value.strip()}",
            )
            self.save_dir.mkdir(parents=True, exist_ok=True)
            params_from_dict(params_to_dict(params, self.save_dir), "scenario", self.save_dir)
            path = save_params(
                params,
                self.save_dir / f"{params.name}.yaml",
                note=f"Scenario saved from the scenario explorer, based on {self.start.name}.\n"
                f"Render it from the folder above {self.save_dir.name}/ with: "
                f"{render_command(self.save_dir / f'{params.name}.yaml')}",
                overwrite=self.replace.value,
            )
        except (FunnelkitError, OSError) as err:
            reason = (
                str(err)
                if isinstance(err, FunnelkitError)
                else f"cannot write {err.filename or self.save_dir}: {err.strerror or err}"
            )
            self.status.value = (
                f'<span style="color:#D55E00">✗ Not saved: {html.escape(reason)}</span>'
            )
            return None
        self.status.value = (
            f"✓ Saved <code>{html.escape(str(path))}</code>: render it from "
            f"<code>{html.escape(str(path.parent.parent))}</code> with "
            f"<code>{html.escape(render_command(path))}</code>"
        )
        return path

    # views ----------------------------------------------------------------------------
    def _build_views(self) -> None:
        self.targets = w.HTML()
        self.funnel_chart = w.HTML()
        self.phasing_chart = w.HTML()
        self.sla_html = w.HTML()
        self.tornado_chart = w.HTML()
        self.tabs = w.Tab(
            children=[self.funnel_chart, self.phasing_chart, self.sla_html, self.tornado_chart]
        )
        for i, title in enumerate(TABS):
            self.tabs.set_title(i, title)
        self.tabs.observe(lambda _: self.refresh(), names="selected_index")
        self.headline = w.HTML()
        controls = w.VBox(
            [
                w.HTML("<b>Goal</b>"),
                self.goal,
                self.share,
                self.deal,
                w.HTML("<b>Funnel</b>"),
                *self.rates,
                *self.days,
                w.HTML("<b>SLA</b>"),
                self.minutes,
                self.reps,
                self.touches,
                self.cadence,
                w.HTML("<b>Scenario</b>"),
                w.HBox([self.reset_button, self.history_button]),
                self.name,
                self.save_button,
                self.replace,
                self.status,
            ],
            layout=w.Layout(
                width="28em", max_height=CONTROLS_HEIGHT, overflow="hidden auto", flex="0 0 auto"
            ),
        )
        results = w.VBox(
            [self.headline, self.targets, self.tabs],
            layout=w.Layout(flex="1 1 auto", min_width="22em", padding="0 0 0 1em"),
        )
        for view, name in (
            (self.headline, "headline"),
            (self.targets, "targets"),
            (self.funnel_chart, "chart-funnel"),
            (self.phasing_chart, "chart-month"),
            (self.sla_html, "sla"),
            (self.tornado_chart, "chart-sensitivity"),
            (self.status, "status"),
            (self.name, "name"),
            (self.save_button, "save"),
            (self.replace, "replace"),
            (self.reset_button, "reset"),
            (self.history_button, "reset-history"),
            (controls, "controls"),
            (results, "results"),
        ):
            view.add_class(f"funnelkit-{name}")
        self.widget = w.VBox(
            [
                w.HTML(TABLE_STYLE),
                w.HBox([controls, results], layout=w.Layout(align_items="flex-start")),
            ]
        )

    def _changed(self, _change) -> None:
        if self._held:
            return
        if self.throttle_seconds <= 0:
            self.refresh()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not in a kernel's event loop (e.g. a script): redraw now
            self.refresh()
            return
        if self._pending is not None:
            return  # a redraw is already due; it will read the latest values
        wait = max(0.0, self._last_refresh + self.throttle_seconds - time.monotonic())
        self._pending = loop.call_later(wait, self._due)

    def _due(self) -> None:
        self._pending = None
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the plan from the controls and redraw the views whose inputs changed."""
        self._last_refresh = time.monotonic()
        try:
            self.plan = build_plan(self.scenario())
        except FunnelkitError as err:
            self.status.value = f'<span style="color:#D55E00">✗ {html.escape(str(err))}</span>'
            return
        if self.status.value.startswith('<span style="color:#D55E00">'):
            self.status.value = ""
        p = self.plan.params
        volumes = (p.revenue_goal, p.marketing_share, p.deal_size, p.funnel.conversion_rates)
        timing = (*volumes, p.funnel.days)
        views: dict[str, tuple[object, Callable[[], None]]] = {
            "headline": ((timing, p.sla), self._draw_headline),  # reps and coverage
            "targets": (volumes, self._draw_targets),
            "Funnel": (
                volumes,
                lambda: self._draw_chart(
                    self.funnel_chart, svg_charts.funnel_svg(self.plan, self.start_plan)
                ),
            ),
            "By month": (
                timing,
                lambda: self._draw_chart(self.phasing_chart, svg_charts.phasing_svg(self.plan)),
            ),
            "SLA and capacity": ((timing, p.sla), self._draw_sla),
            "Sensitivity": (
                volumes,
                lambda: self._draw_chart(self.tornado_chart, svg_charts.tornado_svg(self.plan)),
            ),
        }
        shown = TABS[self.tabs.selected_index or 0]
        for view, (inputs, draw) in views.items():
            if view in ("headline", "targets", shown) and self._drawn.get(view) != inputs:
                draw()
                self._drawn[view] = inputs
                self.redraws[view] += 1

    def _draw_chart(self, view: w.HTML, svg: str) -> None:
        view.value = svg

    def _draw_targets(self) -> None:
        plan, base = self.plan, self.start_plan
        t, bt = plan.targets, base.targets
        frame = pd.DataFrame(
            {
                "stage": t.funnel.stages,
                "needed": [f"{int(v):,}" for v in t.whole],
                "exact": [f"{v:,.2f}" for v in t.volumes],
                "plan": [f"{int(v):,}" for v in bt.whole],
                "change": [f"{int(v):+,}" for v in t.whole - bt.whole],
            }
        )
        marks = {"needed": need_tags(plan, "scenario_need"), "plan": need_tags(base)}
        self.targets.value = tagged_table(frame, marks, "funnelkit-table")

    def _draw_headline(self) -> None:
        plan = self.plan
        t, cur, names = plan.targets, plan.params.currency, plan.params.names
        needs = (
            f"<p><b>{money(plan.params.revenue_goal, cur)}</b> needs "
            f"<b>{html.escape(names.count(t.funnel.stages[-1], t.whole[-1]))}</b> and "
            f"<b>{html.escape(names.count(t.funnel.stages[0], t.whole[0]))}</b>; marketing's part of "
            f"the revenue is {money(t.marketing_revenue_goal, cur)}.</p>"
        )
        coverage = None if self.coverage is None else self.coverage.for_plan(plan, self.won)
        self.headline.value = needs + f"<p>{binding_constraint(plan, coverage)}</p>"

    def _draw_sla(self) -> None:
        s = self.plan.sla
        short = float(np.max(s.rep_shortfall))
        verdict = (
            f"{s.terms.reps:g} reps can follow up every hand-off."
            if short == 0
            else f"<b>Short by {short:g} reps</b> in the busiest month."
        )
        self.sla_html.value = f"<p>{verdict}</p>" + sla_frame(self.plan).to_html(
            index=False, border=0, classes="funnelkit-table"
        )
