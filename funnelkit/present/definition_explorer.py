"""The definition explorer: ipywidgets to switch a stage definition's criteria on and off and
move its thresholds, and see how many leads qualify and how they converted, against the
agreed definition. Every figure comes from `funnelkit.actuals.qualification`."""

from __future__ import annotations

import dataclasses
import html
from pathlib import Path

import ipywidgets as w
import numpy as np

from funnelkit.actuals.definitions import NUMBER_OPS, Definition, check_columns
from funnelkit.actuals.qualification import plan_effect, qualification, variant
from funnelkit.core.exceptions import ParamsError
from funnelkit.core.rounding import whole_units
from funnelkit.core.validation import short
from funnelkit.crm.leads import LeadTable
from funnelkit.model.loader import load_plan_data
from funnelkit.plan.build import build_plan
from funnelkit.plan.params import PlanParams
from funnelkit.plan.stage_names import DEFAULT_NAMES
from funnelkit.present.dials import TYPED_SPAN, Dial
from funnelkit.present.tags import tag

MAX_SLIDER_STEPS = 1000  # a threshold slider spans its range in at most this many steps
MAX_PLACES = 3  # decimal places a threshold is read out to, at most


def decimal_places(values: np.ndarray) -> int:
    """How many decimal places the values are written to (0 for whole numbers), at most
    MAX_PLACES."""
    for places in range(MAX_PLACES):
        scaled = values * 10**places
        if np.all(np.abs(scaled - np.round(scaled)) < 1e-9 * np.maximum(1.0, np.abs(scaled))):
            return places
    return MAX_PLACES


class DefinitionExplorer:
    """Widgets over one agreed definition at a time, judged on a lead table's history; with
    `choices`, a stage picker switches between the defined stages."""

    def __init__(
        self,
        table: LeadTable,
        agreed: Definition,
        outcome: str,
        among: str | None = None,
        params: PlanParams | None = None,
        choices: dict[str, tuple[Definition, str, str | None]] | None = None,
    ) -> None:
        self.table, self.params = table, params  # with a plan, each definition's targets show
        self.choices = choices or {agreed.stage: (agreed, outcome, among)}
        names = params.names if params is not None else DEFAULT_NAMES
        self.stage = w.Dropdown(
            options=[(names.label(stage), stage) for stage in self.choices],
            value=agreed.stage,
            description="stage",
            layout=w.Layout(width="16em"),
        )
        self.stage.add_class("funnelkit-definition-stage")
        self.stage.observe(lambda change: self.show(change["new"]), names="value")
        self.sentence = w.HTML()
        self.sentence.add_class("funnelkit-definition-sentence")
        self.result = w.HTML()
        self.result.add_class("funnelkit-definition-result")
        self.controls = w.VBox()
        self.widget = w.VBox([self.stage, self.sentence, self.controls, self.result])
        self.show(agreed.stage)

    def show(self, stage: str) -> None:
        """Explore the agreed definition of `stage` (one of `choices`) from its agreed values."""
        agreed, outcome, among = self.choices[stage]
        check_columns(agreed, self.table.leads, mapping=self.table.mapping)
        for old in self.controls.children:  # the previous stage's controls
            old.close()
        self.agreed, self.outcome, self.among = agreed, outcome, among
        self.agreed_figures = qualification(self.table, agreed, outcome, among=among).iloc[0]
        self.criteria = agreed.criteria()
        self.use = [
            w.Checkbox(value=True, description=c.text(), indent=False) for c in self.criteria
        ]
        self.thresholds: dict[int, Dial] = {}
        for i, c in enumerate(self.criteria):
            if c.op in NUMBER_OPS and c.op != "between":
                self.thresholds[i] = self._slider(c.column, c.value)
        rows = []
        for i, box in enumerate(self.use):
            box.layout = w.Layout(width="40em")
            rows.append(w.HBox([box, self.thresholds[i]]) if i in self.thresholds else box)
        for control in [*self.use, *self.thresholds.values()]:
            control.observe(lambda _: self.refresh(), names="value")
        self.controls.children = rows
        if self.stage.value != stage:
            self.stage.value = stage
        self.refresh()

    @classmethod
    def from_params_file(cls, params_file: str | Path, stage: str) -> DefinitionExplorer:
        """The explorer for a plan's agreed definitions on the plan's export, opening on
        `stage`: each judged among the leads that reached the plan's stage before it, by
        reaching the one after."""
        data = load_plan_data(params_file)
        params, table = data.params, data.table
        if data.definitions is None or table is None:
            raise ParamsError(
                f"{params_file}: 'definitions' and 'actuals' must be given to explore a definition"
            )
        stages = params.funnel.stages
        if stage not in stages[1:-1]:
            raise ParamsError(
                f"{params_file}: 'stage' must be a middle stage of the funnel "
                f"({', '.join(stages[1:-1])}) (got {short(stage)})"
            )
        data.definitions.definition(stage)  # the opening stage must be defined
        choices = {}
        for k, s in enumerate(stages):
            if 0 < k < len(stages) - 1 and s in data.definitions.stages:
                among = stages[k - 1] if stages[k - 1] in table.stages else None
                choices[s] = (data.definitions.definition(s), stages[k + 1], among)
        agreed, outcome, among = choices[stage]
        return cls(table, agreed, outcome, among, params, choices)

    def _slider(self, column: str, value: float) -> Dial:
        """A threshold dial over the column's values (a slider to the 99th percentile, or
        twice the threshold; typed up to TYPED_SPAN times that), to the data's own precision
        (whole numbers for counts)."""
        values = self.table.leads[column].to_numpy(dtype=float, na_value=np.nan)
        values = values[~np.isnan(values)]
        high = max(float(np.quantile(values, 0.99)) if len(values) else 0.0, value * 2, 1.0)
        places = decimal_places(values)
        step = 10.0**-places if places else 1.0
        if high / step > MAX_SLIDER_STEPS:  # fine data on a wide range: coarser steps
            step = high / MAX_SLIDER_STEPS
        return Dial(
            value,
            0.0,
            high * TYPED_SPAN,
            label=column,
            unit="",
            precision=step,
            slider_range=(0.0, high),
        )

    def current(self) -> Definition | None:
        """The definition the controls describe; None when every criterion is switched off."""
        d = self.agreed
        for i, c in enumerate(self.criteria):
            if not self.use[i].value:
                d = variant(d, c, None)
            elif i in self.thresholds and self.thresholds[i].value != c.value:
                d = variant(d, c, dataclasses.replace(c, value=self.thresholds[i].value, label=""))
        return d if d.parts else None

    def refresh(self) -> None:
        """Recompute the figures for the controls and show them beside the agreed ones."""
        d = self.current()
        if d is None:
            self.sentence.value = ""
            self.result.value = "<p>Every criterion is off: every lead would qualify.</p>"
            return
        changed = "" if d == self.agreed else " <i>(changed from the agreed definition)</i>"
        self.sentence.value = f"<p><b>{html.escape(d.text())}</b>{changed}</p>"
        r = qualification(self.table, d, self.outcome, among=self.among).iloc[0]
        a = self.agreed_figures
        pool = f"the {self.among}s" if self.among else "the leads"
        self.result.value = (
            f"<p><b>{int(r['qualified']):,}</b> of {pool} ({int(r['leads']):,}) qualify "
            f"({r['qualified_share']:.1%}; agreed: {int(a['qualified']):,}). "
            f"Of them <b>{r['qualified_rate']:.1%}</b> reached {html.escape(self.outcome)}, "
            f"against {r['others_rate']:.1%} of the others: lift <b>{r['lift']:.2f}x</b> "
            f"(agreed: {a['qualified_rate']:.1%}, {a['lift']:.2f}x).</p>"
        ) + self._targets(d)

    def _targets(self, d: Definition) -> str:
        """The plan's volumes with both rates next to the stage measured under `d`."""
        if self.params is None or self.among is None:
            return ""
        effect = plan_effect(self.params, self.table, {"agreed": self.agreed, "this": d})
        effect = effect.set_index("definition")
        first, stage = self.params.funnel.stages[0], d.stage
        needed = [(s, effect[f"{s}_needed"]) for s in (first, stage)]  # exact, per definition
        as_written = build_plan(self.params).targets
        cells = []
        for s, n in needed:
            this, agreed = float(whole_units(n["this"])), float(whole_units(n["agreed"]))
            written = float(whole_units(as_written.volume(s)))
            cells.append(
                f"{html.escape(s)}: <b>{tag(f'definition_need.{s}', this, f'{this:,.0f}')}</b> "
                f"(agreed definition: {tag(f'agreed_definition_need.{s}', agreed, f'{agreed:,.0f}')}; "
                f"the plan as written, with its own rates: {tag(f'need.{s}', written, f'{written:,.0f}')})"
            )
        return (
            f"<p>With the {html.escape(stage)} rates this definition gives on history, the plan "
            f"{html.escape(self.params.name)} would need {'; '.join(cells)}.</p>"
        )
