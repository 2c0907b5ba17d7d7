"""What reports call the stages: well-known ids, regular plurals, and names a plan gives."""

import pytest
import yaml
from conftest import ROOT

from funnelkit import params_from_dict
from funnelkit.plan.stage_names import DEFAULT_NAMES, default_names, plural_of


@pytest.mark.parametrize(
    ("stage", "label", "plural"),
    [
        ("mql", "MQL", "MQLs"),
        ("lead", "lead", "leads"),
        ("opportunity", "opportunity", "opportunities"),
        ("won", "customer", "customers"),
        ("qualification", "qualification", "qualifications"),
        ("demo_booked", "demo booked", "demo booked"),
        ("prospecting", "prospecting", "prospecting"),
        ("converted", "converted", "converted"),
        ("pass", "pass", "passes"),
        ("demo_day", "demo day", "demo days"),
    ],
)
def test_default_names(stage, label, plural):
    assert default_names(stage) == (label, plural)


def test_steps_counts_and_titles_read_as_words():
    n = DEFAULT_NAMES
    assert n.step("lead→mql") == "Lead → MQL"
    assert n.step("opportunity→won") == "Opportunity → customer"
    assert n.count("mql", 238) == "238 MQLs"
    assert n.count("won", 1) == "1 customer"
    assert n.title("opportunity") == "Opportunity"
    assert plural_of("Opportunity") == "Opportunities"


def test_a_plan_names_its_stages():
    raw = yaml.safe_load((ROOT / "params" / "example.yaml").read_text())
    raw["funnel"][0]["label"] = "Inquiry"
    raw["funnel"][1]["label"] = "Marketing-qualified lead"
    raw["funnel"][1]["plural"] = "marketing-qualified leads"
    p = params_from_dict(raw, folder=ROOT / "params")
    assert p.names.count("lead", 700) == "700 Inquiries"
    assert p.names.count("mql", 2) == "2 marketing-qualified leads"
    assert p.names.label("sql") == "SQL"
