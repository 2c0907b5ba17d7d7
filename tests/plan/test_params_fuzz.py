"""Any parameters file, valid or not: `funnelkit plan` prints figures that are finite and
non-negative, or exits 2 with one message; never a traceback, whatever the types, sizes or
values (hypothesis writes the files)."""

from __future__ import annotations

import contextlib
import copy
import io
import math
from typing import Any

import numpy as np
import yaml
from conftest import ROOT
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from funnelkit import build_plan, load_params
from funnelkit.cli import main

EXAMPLE = yaml.safe_load((ROOT / "params" / "example.yaml").read_text())
for key in ("goals", "definitions", "actuals", "previous_plan"):
    EXAMPLE.pop(key)

PATHS = [  # where a value can be replaced
    ["revenue_goal"],
    ["marketing_share"],
    ["deal_size"],
    ["currency"],
    ["title"],
    ["period", "start"],
    ["period", "months"],
    ["period", "weights"],
    ["funnel", 0, "conversion_rate"],
    ["funnel", 1, "days"],
    ["funnel", 2, "stage"],
    ["funnel", 1, "label"],
    ["sla", "reps"],
    ["sla", "first_touch_minutes"],
    ["sla", "touches_per_rep_per_day"],
    ["sla", "handoff_stage"],
    ["sla", "cadence", 0, "day"],
    ["pipeline", "open_value"],
    ["pipeline", "win_rate"],
    ["history_multiple"],
]

VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**20), 10**20),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([0, 1, 1e-300, 1e300, 0.5, 2, 36, 37, 1e-7, 1e9, -1]),
        st.text(max_size=40),
        st.sampled_from(["341500", "0.45", "2027-01", "mql", "lead", ""]),
    ),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def replaced(raw: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(raw)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(changes=st.lists(st.tuples(st.sampled_from(PATHS), VALUES), min_size=1, max_size=3))
def test_plan_prints_sound_figures_or_one_message(tmp_path, changes):
    raw = EXAMPLE
    for path, value in changes:
        raw = replaced(raw, path, value)
    params = tmp_path / "fuzz.yaml"
    params.write_text(yaml.safe_dump(raw, allow_unicode=True))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["plan", str(params)])
    assert "Traceback" not in err.getvalue()
    event(f"exit {code}")
    if code == 0:
        plan = build_plan(load_params(params))
        volumes = np.concatenate([plan.targets.volumes, plan.monthly.volumes.ravel()])
        assert np.isfinite(volumes).all()
        assert (volumes >= 0).all()
        assert math.isfinite(plan.sla.lead_value.sum())
    else:
        assert code == 2
        lines = err.getvalue().splitlines()
        assert len(lines) == 1
        assert lines[0].startswith(f"funnelkit: error: {params}: ")
        assert len(lines[0]) < 600  # values in messages are bounded
