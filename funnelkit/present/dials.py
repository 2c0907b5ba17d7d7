"""A dial: one number of a scenario, as a labelled slider paired with a typed input and its unit.

The typed input holds the value: bounded, on the dial's precision, in the unit shown beside it
(a rate as a percentage). The slider moves it quickly, on its own coarser steps (reps in whole
people) or on a log scale (money: each step 1 % of the value). A value typed between the
slider's steps stays as typed: 2.3 reps puts the slider at 2 and keeps 2.3.

The page's part (`dial/dial.js`, `dial/dial.css`) is plain HTML: a `<label>` for the typed
`<input type=number>`, an `<input type=range>` named by `aria-label` and read out with its unit
(`aria-valuetext`), so every part is labelled, reached by Tab and moved with the arrow keys.
The kernel's part checks every value it is given (`value` is clamped to [low, high] and put
on the precision), whatever sent it.
"""

from __future__ import annotations

import math
from pathlib import Path

import anywidget
import traitlets

from funnelkit.core.exceptions import InputError

LOG_STEP = 0.01  # a log slider's step: 1 % of the value
TYPED_SPAN = 10.0  # what can be typed reaches this many times a slider's top, by convention
HERE = Path(__file__).parent / "dial"


def snap(value: float, step: float) -> float:
    """`value` rounded to the nearest multiple of `step` (float noise removed)."""
    return float(round(round(value / step) * step, 10))


class Dial(anywidget.AnyWidget):
    """A label, a slider, a typed input and a unit; `value` is in the model's unit (a rate as
    a fraction), on `precision`, within [`low`, `high`]; the slider spans [`slider_low`,
    `slider_high`] in `slider_step`s, or on a log scale (`log`) in steps of LOG_STEP."""

    _esm = HERE / "dial.js"
    _css = HERE / "dial.css"
    value = traitlets.Float().tag(sync=True)
    label = traitlets.Unicode().tag(sync=True)
    unit = traitlets.Unicode().tag(sync=True)
    low = traitlets.Float().tag(sync=True)
    high = traitlets.Float().tag(sync=True)
    precision = traitlets.Float().tag(sync=True)
    scale = traitlets.Float(1.0).tag(sync=True)  # the typed unit per model unit (100: percent)
    decimals = traitlets.Int().tag(sync=True)  # shown after the point: precision × scale's
    slider_low = traitlets.Float().tag(sync=True)
    slider_high = traitlets.Float().tag(sync=True)
    slider_step = traitlets.Float().tag(sync=True)
    log = traitlets.Bool(False).tag(sync=True)
    log_step = traitlets.Float(LOG_STEP).tag(sync=True)

    def __init__(
        self,
        value: float,
        low: float,
        high: float,
        *,
        label: str,
        unit: str,
        precision: float,
        slider_step: float | None = None,
        slider_range: tuple[float, float] | None = None,
        log: bool = False,
        scale: float = 1.0,
    ) -> None:
        """`low`/`high` bound what can be typed; `slider_range` (default the same) is where
        the slider reaches, `slider_step` (default the precision) how far a step moves it."""
        s_low, s_high = slider_range or (low, high)
        if log and s_low <= 0:
            raise InputError(f"a log slider must start above zero (got {s_low})")
        super().__init__(
            label=label,
            unit=unit,
            low=low,
            high=high,
            precision=precision,
            scale=scale,
            decimals=max(0, -math.floor(math.log10(precision * scale) + 1e-9)),
            slider_low=s_low,
            slider_high=s_high,
            slider_step=slider_step or precision,
            log=log,
        )
        self.value = value

    @traitlets.validate("value")
    def _on_grid(self, proposal: traitlets.Bunch) -> float:
        return snap(min(max(proposal["value"], self.low), self.high), self.precision)

    @property
    def position(self) -> float:
        """Where the value sits along the slider, 0 (its low end) to 1 (its high end)."""
        low, high, v = (
            self.slider_low,
            self.slider_high,
            min(max(self.value, self.slider_low), self.slider_high),
        )
        if self.log:
            return math.log(v / low) / math.log(high / low)
        return (v - low) / (high - low)
