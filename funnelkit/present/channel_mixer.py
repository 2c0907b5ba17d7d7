"""The scenario explorer's channel tab: a dial per marketing channel's share of the leads, kept
summing to 100 % (moving one moves the others in proportion), and what those shares need and
cost for the scenario's marketing revenue, beside the least-cost mix's spend."""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w
import numpy as np
import pandas as pd

from funnelkit.core.exceptions import InputError
from funnelkit.core.formats import count, money
from funnelkit.core.rounding import whole_units
from funnelkit.model.program import ProgramPlan, need_by_lead_month
from funnelkit.plan.build import Plan
from funnelkit.plan.mix import least_cost_mix, shares_mix
from funnelkit.present.dials import Dial

SHARE_PRECISION = 0.001  # a share's step: 0.1 point


class ChannelMixer:
    """Dials for marketing's channels' shares and the plan those shares make."""

    def __init__(self, program: ProgramPlan, changed: Callable[[object], None]) -> None:
        team = program.teams["marketing"]
        if team.plan is None:
            raise InputError("the program plan has no marketing channel to mix")
        self.channels = team.plan.channels
        leads = team.plan.leads.sum(axis=1)
        self.start = leads / leads.sum()  # the program plan's own mix
        self.dials = [
            Dial(float(s), 0.0, 1.0, label=c.name, unit="%", precision=SHARE_PRECISION, scale=100)
            for c, s in zip(self.channels, self.start, strict=True)
        ]
        self._balancing = False
        self._changed = changed
        for i, dial in enumerate(self.dials):
            dial.add_class(f"funnelkit-share-{i}")
            dial.observe(lambda change, i=i: self._moved(i, change), names="value")
        self.view = w.HTML()
        self.view.add_class("funnelkit-channels")
        intro = w.HTML(
            "<p>Each marketing channel's share of the leads; moving one moves the others in "
            "proportion, so they add up to 100 %.</p>"
        )
        self.widget = w.VBox([intro, *self.dials, self.view])

    def reset(self) -> None:
        """Every share back to the program plan's mix (no redraw: the caller refreshes)."""
        self._balancing = True
        try:
            for dial, share in zip(self.dials, self.start, strict=True):
                dial.value = float(share)
        finally:
            self._balancing = False

    @property
    def shares(self) -> np.ndarray:
        """The dials' shares, as fractions summing to 1 (their rounding taken out)."""
        values = np.array([d.value for d in self.dials])
        return values / values.sum() if values.sum() > 0 else np.full(len(values), 1 / len(values))

    def _moved(self, i: int, change: dict) -> None:
        if self._balancing:
            return
        others = [j for j in range(len(self.dials)) if j != i]
        rest = sum(self.dials[j].value for j in others)
        left = 1.0 - change["new"]
        self._balancing = True
        try:
            for j in others:
                share = self.dials[j].value / rest if rest > 0 else 1 / len(others)
                self.dials[j].value = left * share
        finally:
            self._balancing = False
        self._changed(change)

    def draw(self, plan: Plan) -> None:
        """Show what the shares need and cost for `plan`'s marketing revenue, phased by its
        first stage's months, beside the least-cost mix's spend."""
        cur = plan.params.currency
        need = need_by_lead_month(plan, plan.targets.marketing_revenue_goal)
        months = tuple(plan.monthly.labels)
        mixed = shares_mix(self.channels, months, need, self.shares)
        try:
            cheapest = least_cost_mix(self.channels, months, need)
            against = f"the least-cost mix would spend {money(cheapest.spend.sum(), cur)}"
        except InputError:
            against = "no mix within the channels' capacities brings it"
        frame = pd.DataFrame(
            {
                "channel": [c.name for c in self.channels],
                "share": [f"{s:.1%}" for s in self.shares],
                "leads": [count(whole_units(v)) for v in mixed.leads.sum(axis=1)],
                "spend": [money(v, cur) for v in mixed.spend.sum(axis=1)],
                "CAC": [money(v, cur) if np.isfinite(v) else "–" for v in mixed.cac],
            }
        )
        breaches = mixed.breaches()
        warning = (
            f"<p><b>Beyond what a channel can give:</b> {html.escape('; '.join(breaches[:3]))}"
            f"{'; …' if len(breaches) > 3 else ''}.</p>"
            if breaches
            else ""
        )
        one_funnel = count(plan.targets.whole[0])
        self.view.value = (
            f"<p>These shares bring marketing's {money(plan.targets.marketing_revenue_goal, cur)}"
            f" with {count(whole_units(mixed.leads.sum()))} leads (the scenario's one funnel "
            f"asks {one_funnel}; each channel converts at its own rates, measured on history) "
            f"for <b>{money(mixed.spend.sum(), cur)}</b>; {against}.</p>"
            + warning
            + frame.to_html(index=False, border=0, classes="funnelkit-table", escape=True)
        )
