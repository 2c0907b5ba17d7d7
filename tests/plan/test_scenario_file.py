"""Writing parameters back to YAML: every bundled plan survives the round trip."""

from __future__ import annotations

import dataclasses

import pytest
import yaml
from conftest import ROOT

from funnelkit import load_params
from funnelkit.plan.scenario_file import params_to_dict, save_params

PLANS = sorted((ROOT / "params").glob("*.yaml"))


@pytest.mark.parametrize("path", PLANS, ids=lambda p: p.stem)
def test_saved_parameters_load_back_equal(path, tmp_path):
    params = load_params(path)
    out = save_params(params, tmp_path / "deep" / "copy.yaml", note="line one\nline two")
    again = load_params(out)
    for field in dataclasses.fields(params):
        a, b = getattr(params, field.name), getattr(again, field.name)
        if field.name in (
            "goals_file",
            "export_file",
            "previous_plan",
            "next_plan",
            "definitions_file",
        ):
            assert (a is None and b is None) or a.resolve() == b.resolve(), field.name
        elif field.name == "program":  # its costs file: the same file, named from elsewhere
            same = (dataclasses.replace(t, costs_file=t.costs_file.resolve()) for t in (a, b))
            assert (a is None and b is None) or next(same) == next(same)
        elif field.name == "following":  # the next plan's parameters, read from the same file
            assert (a is None and b is None) or (a.name, a.revenue_goal) == (b.name, b.revenue_goal)
        else:
            assert str(a) == str(b), field.name
    text = out.read_text()
    assert text.startswith("# line one\n# line two\nname: ")
    assert list(tmp_path.joinpath("deep").iterdir()) == [out]  # no temporary file left


def test_paths_are_written_relative_to_the_file(tmp_path):
    raw = params_to_dict(load_params(ROOT / "params" / "example.yaml"), ROOT / "params")
    assert raw["goals"] == "goals/example.yaml"
    assert raw["actuals"] == {"export": "../data/sample/hubspot-contacts.csv", "mapping": "hubspot"}
    assert raw["previous_plan"] == "2026-q4.yaml"
    assert yaml.safe_load(yaml.safe_dump(raw)) == raw


def test_a_forecast_without_trends_stays_so_when_saved(tmp_path):
    params = dataclasses.replace(
        load_params(ROOT / "params" / "example.yaml"), forecast_trend=False
    )
    out = save_params(params, tmp_path / "flat.yaml")
    assert "forecast:\n  trend: false\n" in out.read_text()
    assert load_params(out).forecast_trend is False
