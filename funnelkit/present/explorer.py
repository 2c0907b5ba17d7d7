"""The scenario explorer: ipywidgets controls for a plan's drivers, live targets and charts.

It starts from the plan it is opened on, so it shows the report's figures; "Reset to plan"
goes back there and "Reset to history" moves the funnel, deal size and marketing share to the
baseline measured on the plan's CRM export (the goal, period and SLA stay the plan's). Each
value is a dial (`funnelkit.present.dials`): a slider to move it and a box to type it, to its
precision (`PRECISION`: rates to 0.1 point, reps to a tenth of a person). Each change rebuilds
the plan with `build_plan` (well under a millisecond) and redraws only the views whose inputs
changed; charts are drawn only when their tab is shown. Changes are coalesced: at most one
redraw every `throttle_seconds`, the first at once and the last always. "Pin to compare" keeps
a scenario's targets beside the next ones (with the plan's and, given an export, history's).
"Save scenario" writes a parameters file that `funnelkit render` can render, with a note of why.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import html
import math
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
from funnelkit.model.program import ProgramPlan
from funnelkit.plan.build import Plan, build_plan
from funnelkit.plan.funnel import Funnel
from funnelkit.plan.params import PlanParams, params_from_dict
from funnelkit.plan.scenario_file import params_to_dict, save_params
from funnelkit.plan.sla import SlaTerms, Touch
from funnelkit.present import svg_charts
from funnelkit.present.channel_mixer import ChannelMixer
from funnelkit.present.dials import LOG_STEP, TYPED_SPAN, Dial, snap
from funnelkit.present.plan_tables import need_tags, sla_frame
from funnelkit.present.tags import tagged_table

THROTTLE_SECONDS = 0.05  # at most one redraw this often while a slider moves
TABS = ("Funnel", "By month", "SLA and capacity", "Sensitivity")
CHANNELS_TAB = "Channels"  # with a program plan: each marketing channel's share
PRECISION = {  # each value's precision: what can be typed, and what a scenario holds
    "goal": 1.0,  # money
    "share": 0.001,  # fraction: 0.1 point
    "deal": 1.0,  # money
    "rate": 0.001,  # fraction: 0.1 point
    "days": 0.1,  # days (the slider moves in half days)
    "reps": 0.1,  # people: part-time typed (the slider moves in whole people)
    "touches": 1.0,  # per rep per day
    "minutes": 1.0,
}
TABLE_STYLE = (
    "<style>.funnelkit-table td, .funnelkit-table th {padding: 2px 8px; text-align: right;"
    " line-height: 1.3}"
    " .funnelkit-results svg {max-width: 100%; height: auto}"
    " .funnelkit-headline p {margin: 0 0 6px 0; line-height: 1.4}"
    " .funnelkit-controls > * {flex-shrink: 0}"
    # the widgets' grey on grey tab names fall short of 4.5:1 contrast; darker text passes
    " .funnelkit-results .lm-TabBar-tabLabel {color: #333}</style>"
)
LABEL_WIDTH, CONTROL_WIDTH = "12.5em", "32em"  # a text control's label; with the control, as
# wide as a dial (dial/dial.css)
CONTROLS_WIDTH, CONTROLS_HEIGHT = "34em", "600px"  # the controls scroll within this; the
# results stay in view beside them


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


def on_grid(params: PlanParams) -> PlanParams:
    """The parameters with every value the explorer controls rounded to its precision
    (`PRECISION`), as the dials hold them."""
    f, sla, p = params.funnel, params.sla, PRECISION
    return dataclasses.replace(
        params,
        revenue_goal=max(p["goal"], snap(params.revenue_goal, p["goal"])),
        marketing_share=snap(params.marketing_share, p["share"]),
        deal_size=max(p["deal"], snap(params.deal_size, p["deal"])),
        funnel=Funnel(
            f.stages,
            tuple(max(p["rate"], snap(r, p["rate"])) for r in f.conversion_rates),
            tuple(snap(d, p["days"]) for d in f.days),
        ),
        sla=dataclasses.replace(
            sla,
            reps=max(p["reps"], snap(sla.reps, p["reps"])),
            touches_per_rep_per_day=max(1, snap(sla.touches_per_rep_per_day, p["touches"])),
            first_touch_minutes=max(1, snap(sla.first_touch_minutes, p["minutes"])),
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
MONEY_SPAN = 2.0  # a money slider runs from half to twice the plan's value (log scale: about
# 1 % a pixel)


def slider_top(value: float, step: float) -> float:
    """A slider's upper end for a value: SLIDER_SPAN times it (at least SLIDER_FLOOR), on the
    slider's step."""
    return snap(max(SLIDER_FLOOR, SLIDER_SPAN * value) + step / 2, step)


def money_dial(value: float, label: str, currency: str, precision: float) -> Dial:
    """A dial for an amount: a log slider from about half to twice `value`, 1 % a
    step with `value` on a step (so the first step from it is 1 % too); any amount typed."""
    steps = round(math.log(MONEY_SPAN) / math.log(1 + LOG_STEP))
    reach = (1 + LOG_STEP) ** steps
    return Dial(
        value,
        precision,
        value * MONEY_SPAN * TYPED_SPAN,
        label=label,
        unit=currency,
        precision=precision,
        slider_range=(value / reach, value * reach),
        log=True,
    )


def rate_dial(value: float, label: str, low: float) -> Dial:
    """A dial for a fraction, typed and shown as a percentage in 0.1-point steps."""
    return Dial(value, low, 1.0, label=label, unit="%", precision=PRECISION["rate"], scale=100)


def counted_dial(
    value: float, low: float, top: float, label: str, unit: str, kind: str, slider_step: float
) -> Dial:
    """A dial for days, people or minutes: the slider from `low` to `top` in `slider_step`s,
    finer values (to PRECISION[kind]) and up to TYPED_SPAN times `top` typed."""
    return Dial(
        value,
        min(low, PRECISION[kind]),
        top * TYPED_SPAN,
        label=label,
        unit=unit,
        precision=PRECISION[kind],
        slider_step=slider_step,
        slider_range=(low, top),
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
        program: ProgramPlan | None = None,
    ) -> None:
        self.start = on_grid(start)  # the plan opened: where the controls start
        self.start_plan = build_plan(self.start)
        self.history = None if history is None else on_grid(history)
        self.save_dir = Path(save_dir)
        self.throttle_seconds = throttle_seconds
        self.coverage, self.won = coverage, won  # the report's coverage; revenue won so far
        self.plan = self.start_plan
        self.history_plan = None if self.history is None else build_plan(self.history)
        self.pinned: Plan | None = None  # a scenario kept to compare with
        self._held = False
        self.mixer = (
            ChannelMixer(program, self._changed)
            if program is not None and program.teams["marketing"].plan is not None
            else None
        )  # the channels tab, when the plan has a program
        self.tab_names = TABS if self.mixer is None else (*TABS, CHANNELS_TAB)
        self.redraws: dict[str, int] = dict.fromkeys(("headline", "targets", *self.tab_names), 0)
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
            program=data.program,
            **kwargs,
        )

    # controls -------------------------------------------------------------------------
    def _build_controls(self) -> None:
        b = self.start
        f, s, cur = b.funnel, b.sla, b.currency
        self.goal = money_dial(b.revenue_goal, "revenue goal", cur, PRECISION["goal"])
        self.share = Dial(
            b.marketing_share,
            0.0,
            1.0,
            label="marketing share",
            unit="%",
            precision=PRECISION["share"],
            scale=100,
        )
        self.deal = money_dial(b.deal_size, "deal size", cur, PRECISION["deal"])
        self.rates = [
            rate_dial(r, f"{step} rate", PRECISION["rate"])
            for step, r in zip(f.steps, f.conversion_rates, strict=True)
        ]
        seen = self.history.funnel.days if self.history is not None else f.days
        self.days = [  # up to three times the longer of the plan's and history's days
            counted_dial(d, 0.0, slider_top(max(d, h), 0.5), f"{step} days", "days", "days", 0.5)
            for step, d, h in zip(f.steps, f.days, seen, strict=True)
        ]
        needed = self.start_plan.sla.reps_needed_peak
        self.reps = counted_dial(  # whole people on the slider, part-time typed
            s.reps, 1.0, slider_top(max(s.reps, needed), 1.0), "reps", "people", "reps", 1.0
        )
        self.touches = counted_dial(
            s.touches_per_rep_per_day,
            1.0,
            max(150.0, s.touches_per_rep_per_day * 2),
            "touches a rep",
            "a day",
            "touches",
            1.0,
        )
        self.minutes = counted_dial(
            s.first_touch_minutes,
            1.0,
            slider_top(s.first_touch_minutes, 1.0),
            "first touch within",
            "min",
            "minutes",
            1.0,
        )
        self.cadence = w.Textarea(  # wraps: a week's cadence is longer than one line
            value=cadence_text(s.cadence),
            description="cadence",
            placeholder="day channel, …: 0 call, 0 email, 1 call",
            tooltip="touches as 'day channel', separated by commas",
            rows=4,
            continuous_update=False,
            style={"description_width": LABEL_WIDTH},
            layout=w.Layout(width=CONTROL_WIDTH),
        )
        self.name = w.Text(
            value=f"{b.name}-scenario",
            description="scenario name",
            style={"description_width": LABEL_WIDTH},
            layout=w.Layout(width=CONTROL_WIDTH),
        )
        self.why = w.Textarea(
            value="",
            description="why (saved with it)",
            placeholder="what this scenario tests, e.g. two more reps from March",
            rows=2,
            style={"description_width": LABEL_WIDTH},
            layout=w.Layout(width=CONTROL_WIDTH),
        )
        self.pin_button = w.Button(
            description="Pin to compare",
            icon="thumb-tack",
            layout=w.Layout(width="auto"),
            tooltip="keep this scenario's targets beside the ones you move to next",
        )
        self.unpin_button = w.Button(
            description="Clear pin", layout=w.Layout(width="auto"), disabled=True
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
        self.pin_button.on_click(lambda _: self.pin())
        self.unpin_button.on_click(lambda _: self.pin(False))
        for control in self.inputs:
            control.observe(self._changed, names="value")
        for name, control in self.named_inputs().items():
            control.add_class(f"funnelkit-{name}")

    @property
    def inputs(self) -> list[Dial | w.Textarea]:
        """Every control whose value is part of the scenario."""
        return list(self.named_inputs().values())

    def named_inputs(self) -> dict[str, Dial | w.Textarea]:
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
        """The parameters the controls describe (checked by Funnel and SlaTerms), each to its
        precision."""
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
        return on_grid(moved)

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
            if self.mixer is not None:
                self.mixer.reset()
        self.refresh()
        self.status.value = (
            f"Back at the plan {html.escape(self.start.name)}."
            if b is self.start
            else "At the baseline measured on the plan's export (goal, period and SLA: the plan's)."
        )

    def pin(self, keep: bool = True) -> None:
        """Keep the scenario shown now beside the next ones (targets and funnel chart), or
        with `keep=False` let the pinned one go."""
        self.pinned = self.plan if keep else None
        self.unpin_button.disabled = not keep
        p = self.plan.params
        self.status.value = (
            f"Pinned: {money(p.revenue_goal, p.currency)} at a "
            f"{money(p.deal_size, p.currency)} deal; move the controls to compare."
            if keep
            else "Pin cleared."
        )
        self.refresh()

    def comparisons(self) -> dict[str, Plan]:
        """The plans the scenario is compared with, by name: the pinned scenario (when one is),
        the plan opened, and the plan's goal at history's funnel (when there is an export)."""
        compared = {} if self.pinned is None else {"pinned": self.pinned}
        compared["plan"] = self.start_plan
        if self.history_plan is not None:
            compared["history"] = self.history_plan
        return compared

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
                + "".join(f"Why: {line}\n" for line in self.why.value.strip().splitlines())
                + f"Render it from the folder above {self.save_dir.name}/ with: "
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
        views = [self.funnel_chart, self.phasing_chart, self.sla_html, self.tornado_chart]
        self.tabs = w.Tab(children=views if self.mixer is None else [*views, self.mixer.widget])
        for i, title in enumerate(self.tab_names):
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
                w.HBox([self.pin_button, self.unpin_button]),
                self.name,
                self.why,
                self.save_button,
                self.replace,
                self.status,
            ],
            layout=w.Layout(
                width=CONTROLS_WIDTH,
                max_height=CONTROLS_HEIGHT,
                overflow="hidden auto",
                flex="0 0 auto",
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
            (self.pin_button, "pin"),
            (self.unpin_button, "unpin"),
            (self.why, "why"),
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
        self.widget.add_class("funnelkit-explorer")

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
        pinned = None if self.pinned is None else self.pinned.params
        volumes = (p.revenue_goal, p.marketing_share, p.deal_size, p.funnel.conversion_rates)
        compared = (volumes, pinned)
        timing = (*volumes, p.funnel.days)
        views: dict[str, tuple[object, Callable[[], None]]] = {
            "headline": ((timing, p.sla), self._draw_headline),  # reps and coverage
            "targets": (compared, self._draw_targets),
            "Funnel": (
                compared,
                lambda: self._draw_chart(
                    self.funnel_chart, svg_charts.funnel_svg(self.plan, self.comparisons())
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
        mixer = self.mixer
        if mixer is not None:
            shares = tuple(d.value for d in mixer.dials)
            views[CHANNELS_TAB] = ((timing, shares), lambda: mixer.draw(self.plan))
        shown = self.tab_names[self.tabs.selected_index or 0]
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
            }
        )
        for name, other in self.comparisons().items():
            frame[name] = [f"{int(v):,}" for v in other.targets.whole]
        frame["vs plan"] = [f"{int(v):+,}" for v in t.whole - bt.whole]
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
