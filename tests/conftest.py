"""Shared fixtures (the default funnel, the bundled example parameters, the rendered reports)
and the test lanes: tests are marked `browser`, `notebooks` (nbval), `render` (papermill runs)
or `realdata` (../shared/data/real); `make test-fast` leaves out the first three."""

from __future__ import annotations

import math
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from funnelkit import Funnel

ROOT = Path(__file__).resolve().parent.parent
# backtests are kept in a folder of this run's own (the kernels that render inherit it), never
# in the user's cache: every run starts without them
os.environ["FUNNELKIT_CACHE"] = tempfile.mkdtemp(prefix="funnelkit-test-cache-")


FIGURE_TAG = re.compile(r'<span class="fk-q" data-q="([^"]+)" data-v="([^"]+)">([^<]*)</span>')


def figures_in(folder: Path) -> dict[str, set[float]]:
    """Each tagged figure name in a plan's HTML reports -> the values it carries."""
    found: dict[str, set[float]] = {}
    for report in sorted(folder.glob("*.html")):
        for name, value, _ in FIGURE_TAG.findall(report.read_text(encoding="utf-8")):
            found.setdefault(name, set()).add(float(value))
    return found


def untagged(markup: str) -> str:
    """Report text with the figure tags taken out (they wrap figures, invisible to readers)."""
    return re.sub(r'<span class="fk-q"[^>]*>([^<]*)</span>', r"\1", markup)


@pytest.fixture
def root() -> Path:
    """The project's top folder."""
    return ROOT


@pytest.fixture(scope="session")
def funnel_002() -> Funnel:
    """Five stages whose lead close rate is exactly 2 %: 0.25 × 0.4 × 0.5 × 0.4 (immutable)."""
    return Funnel(
        stages=("lead", "mql", "sql", "opportunity", "won"),
        conversion_rates=(0.25, 0.4, 0.5, 0.4),
        days=(5, 10, 15, 30),
    )


REAL = ROOT.parent / "shared" / "data" / "real"
REAL_ABSENT = f"the public data folder {REAL} is absent (it sits beside the project, not in it)"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the notebooks nbval runs and the tests on rendered reports; skip the real-data
    tests, saying why, when the public data is absent."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.notebooks)
        if "rendered" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.render)
        if item.get_closest_marker("realdata") and not REAL.is_dir():
            item.add_marker(pytest.mark.skip(reason=REAL_ABSENT))


SAMPLE = ROOT / "data" / "sample" / "hubspot-contacts.csv"

HUBSPOT_HEADER = [
    "Record ID",
    "Create Date",
    "Became a Marketing Qualified Lead Date",
    "Became a Sales Qualified Lead Date",
    "Became an Opportunity Date",
    "Became a Customer Date",
    "Lead Status",
    "Original Source",
    "Contact owner",
    "Date of first engagement",
    "Number of Sales Activities",
    "Recent Deal Amount",
]
# Six leads worked through by hand in the tests (all times 2026, local):
TINY_ROWS = [
    # id, created,          mql,              sql,              opportunity,      customer,         status,        source,           owner,  first touch,      touches, amount
    [
        "1",
        "2026-01-05 09:00",
        "2026-01-06 09:00",
        "2026-01-10 09:00",
        "2026-01-20 09:00",
        "2026-02-19 09:00",
        "",
        "Organic Search",
        "Ann",
        "2026-01-06 09:05",
        "7",
        "10000",
    ],
    [
        "2",
        "2026-01-07 10:00",
        "2026-01-09 10:00",
        "2026-01-15 10:00",
        "2026-01-25 10:00",
        "",
        "Open Deal",
        "Paid Search",
        "Ann",
        "2026-01-09 11:10",
        "5",
        "",
    ],
    [
        "3",
        "2026-01-20 12:00",
        "2026-01-21 12:00",
        "",
        "",
        "",
        "Unqualified",
        "Paid Search",
        "Bob",
        "2026-01-21 12:30",
        "2",
        "",
    ],
    [
        "4",
        "2026-02-02 08:00",
        "2026-02-03 08:00",
        "2026-02-05 08:00",
        "2026-02-10 08:00",
        "2026-03-12 08:00",
        "",
        "Offline Sources",
        "Bob",
        "",
        "8",
        "$20,000.00",
    ],
    ["5", "2026-02-14 15:00", "", "", "", "", "Unqualified", "Organic Search", "", "", "", ""],
    [
        "6",
        "2026-03-01 09:00",
        "2026-03-31 23:00",
        "",
        "",
        "",
        "Attempted to Contact",
        "Organic Search",
        "Ann",
        "2026-04-01 00:30",
        "1",
        "",
    ],
]


def write_export(path, header, rows, delimiter=",", eol="\r\n", encoding="utf-8"):
    """Write rows as a CSV export, quoting every cell as CRMs do."""
    lines = [delimiter.join(f'"{c}"' for c in row) for row in [header, *rows]]
    path.write_bytes((eol.join(lines) + eol).encode(encoding))
    return path


SF_LEADS_WITH_DEAL = {  # a Salesforce lead report whose converted leads name their deal
    "name": "sf-leads-with-deal",
    "preset": "salesforce-leads",
    "stages": ["lead", "converted", "won"],
    "values": {"outcome": {"Closed - Converted": "open"}},
    "attributes": {"deal_id": "Converted Opportunity ID"},
}


def write_salesforce_split(folder: Path) -> tuple[Path, Path]:
    """A Salesforce lead report and its opportunity report: one deal won, one lost, one lead
    not converted, one naming a deal the opportunity report lacks. (leads.csv, opps.csv)"""
    leads = write_export(
        folder / "leads.csv",
        ["Lead ID", "Created Date", "Lead Source", "Lead Status", "Converted Date", "Lead Owner", "Converted Opportunity ID"],
        [
            ["00Q1", "1/5/2026", "Web", "Closed - Converted", "1/20/2026", "Kim", "006A"],
            ["00Q2", "1/6/2026", "Web", "Closed - Converted", "1/25/2026", "Kim", "006B"],
            ["00Q3", "1/7/2026", "Trade Show", "Working - Contacted", "", "Lee", ""],
            ["00Q4", "1/8/2026", "Web", "Closed - Converted", "2/1/2026", "Lee", "006Z"],
        ],
    )  # fmt: skip
    opps = write_export(
        folder / "opps.csv",
        ["Opportunity ID", "Stage", "Amount", "Close Date", "Created Date", "Opportunity Owner"],
        [
            ["006A", "Closed Won", "$12,000.00", "3/1/2026", "1/20/2026 10:00 AM", "Ana"],
            ["006B", "Closed Lost", "$8,000.00", "3/5/2026", "1/25/2026 9:00 AM", "Ana"],
        ],
    )
    return leads, opps


@pytest.fixture
def tiny_export(tmp_path):
    """A six-lead HubSpot export whose figures the tests work out by hand."""
    return write_export(tmp_path / "tiny.csv", HUBSPOT_HEADER, TINY_ROWS)


ESCAPING_TITLE = "<script>alert('goal')</script> & more"


def escaping_plan(folder: Path) -> Path:
    """The Q3 2026 plan with goals whose title is markup, to check reports show it as text."""
    goals = (ROOT / "params" / "goals" / "example.yaml").read_text()
    old = "title: Grow revenue 5% in Q1 2027"
    assert old in goals
    (folder / "goals.yaml").write_text(goals.replace(old, f'title: "{ESCAPING_TITLE}"'))
    text = (ROOT / "params" / "2026-q3.yaml").read_text()
    text = text.replace("name: 2026-q3", "name: escaping").replace("../data/", f"{ROOT}/data/")
    path = folder / "escaping.yaml"
    path.write_text(text + "goals: goals.yaml\n")
    return path


LABELS = {  # display names with nothing in common with the stage ids
    "lead": ("Inquiry", "Inquiries"),
    "mql": ("Marketing-ready contact", "Marketing-ready contacts"),
    "sql": ("Sales-accepted contact", "Sales-accepted contacts"),
    "opportunity": ("Deal", "Deals"),
    "won": ("Client", "Clients"),
}


def example_with_goals(folder: Path, goals: str) -> Path:
    """The example plan in `folder` with its own goals file holding `goals`, every other path
    pointing back into the project."""
    (folder / "goals.yaml").write_text(goals)
    plan = (ROOT / "params" / "example.yaml").read_text()
    plan = plan.replace("goals: goals/example.yaml", f"goals: {folder / 'goals.yaml'}")
    plan = plan.replace("definitions: definitions/", f"definitions: {ROOT}/params/definitions/")
    plan = plan.replace("../data/", f"{ROOT}/data/").replace(
        "previous_plan: 2026-q4.yaml", f"previous_plan: {ROOT}/params/2026-q4.yaml"
    )
    path = folder / "plan.yaml"
    path.write_text(plan)
    return path


def labelled_plan(folder: Path) -> Path:
    """The Q4 2026 plan with its own names for every stage, to check reports use them."""
    raw = yaml.safe_load((ROOT / "params" / "2026-q4.yaml").read_text())
    raw["name"] = "labelled"
    for entry in raw["funnel"]:
        entry["label"], entry["plural"] = LABELS[entry["stage"]]
    raw["actuals"]["export"] = str(SAMPLE)
    raw["previous_plan"] = str(ROOT / "params" / "2026-q3.yaml")
    raw["next_plan"] = str(ROOT / "params" / "example.yaml")
    path = folder / "labelled.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True))
    return path


@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    """Every bundled plan, one whose goal title is markup and one with its own stage names,
    rendered once (two notebooks at a time, PDFs when a Chromium is present): (reports
    folder, outcomes)."""
    from funnelkit.present.render import find_chromium, prepare, render

    folder = tmp_path_factory.mktemp("plans")
    plans = [
        *sorted((ROOT / "params").glob("*.yaml")),
        escaping_plan(folder),
        labelled_plan(folder),
    ]
    reports = tmp_path_factory.mktemp("reports")
    outcomes = render(prepare(plans, reports), workers=2, chromium=find_chromium())
    return reports, outcomes


def whole_by_hand(goal, share, deal, rates) -> list[int]:
    """Whole volumes per stage computed in the tests, independently of funnelkit: customers
    from marketing's revenue, then up the funnel divided by each rate, each rounded up
    (ignoring float noise)."""
    volumes = [goal * share / deal]
    for rate in reversed(rates):
        volumes.insert(0, volumes[0] / rate)
    return [math.ceil(v * (1 - 1e-12)) for v in volumes]


ONE_CALL_SLA = {  # the smallest valid SLA, for plans whose SLA a test does not look at
    "handoff_stage": "mql",
    "first_touch_minutes": 60,
    "cadence": [{"day": 0, "channel": "call"}],
    "touches_per_rep_per_day": 40,
    "reps": 1,
}


SALESFORCE_SOURCES = {  # the sample's HubSpot sources as Salesforce's standard Lead Sources
    "Organic Search": "Web",
    "Direct Traffic": "Web",
    "Email Marketing": "Web",
    "Paid Search": "Advertisement",
    "Paid Social": "Advertisement",
    "Offline Sources": "Trade Show",
    "Referrals": "External Referral",
}


def write_sample_split(folder: Path) -> tuple[Path, Path, Path]:
    """The bundled sample as a CRM that exports deals separately: contacts without deal
    figures but naming their deal, and a Salesforce-style opportunity report holding each
    opportunity's stage, amount, created and close dates. (contacts.csv, mapping.yaml,
    deals.csv)"""
    frame = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    opportunity = frame["Became an Opportunity Date"] != ""
    won = frame["Became a Customer Date"] != ""
    lost = opportunity & ~won & (frame["Lead Status"] == "Unqualified")
    deal_id = ("006" + frame["Record ID"]).where(opportunity, "")
    stage = np.select([won, lost], ["Closed Won", "Closed Lost"], "Proposal/Price Quote")
    deals = pd.DataFrame(
        {
            "Opportunity ID": deal_id,
            "Stage": stage,
            "Amount": frame["Recent Deal Amount"],
            "Close Date": frame["Recent Deal Close Date"].str[:10],
            "Created Date": frame["Became an Opportunity Date"],
            "Opportunity Owner": frame["Contact owner"],
            "Lead Source": frame["Original Source"].replace(SALESFORCE_SOURCES),
        }
    )[opportunity]
    contacts = frame.drop(
        columns=["Recent Deal Amount", "Recent Deal Close Date", "Became a Customer Date"]
    ).assign(**{"Deal ID": deal_id})
    contacts.to_csv(folder / "contacts.csv", index=False)
    deals.to_csv(folder / "deals.csv", index=False)
    mapping = folder / "mapping.yaml"
    mapping.write_text(
        "name: contacts-with-deal\npreset: hubspot\nattributes: {deal_id: Deal ID}\n",
        encoding="utf-8",
    )
    return folder / "contacts.csv", mapping, folder / "deals.csv"
