"""The sample generator: reproducible, realistic in shape, and the source of the bundled file."""

import itertools

import numpy as np
import pandas as pd

from funnelkit.crm.sample import (
    SAMPLE_LEADS,
    SAMPLE_SEED,
    generate_costs,
    generate_leads,
    to_text,
    write_costs,
    write_csv,
)


def test_the_bundled_sample_is_what_the_generator_writes(root, tmp_path):
    out = tmp_path / "sample.csv"
    write_csv(generate_leads(SAMPLE_LEADS, SAMPLE_SEED, faults=True), out)
    assert out.read_bytes() == (root / "data" / "sample" / "hubspot-contacts.csv").read_bytes(), (
        "data/sample/hubspot-contacts.csv is stale: run `.venv/bin/python -m funnelkit.crm.sample`"
    )


def test_the_bundled_costs_are_what_the_generator_writes(root, tmp_path):
    out = tmp_path / "costs.csv"
    write_costs(generate_costs(generate_leads(SAMPLE_LEADS, SAMPLE_SEED), SAMPLE_SEED), out)
    assert out.read_bytes() == (root / "data" / "sample" / "costs.csv").read_bytes(), (
        "data/sample/costs.csv is stale: run `.venv/bin/python -m funnelkit.crm.sample`"
    )


def test_same_seed_same_leads_and_other_seed_other_leads():
    a, b, c = generate_leads(500, 1), generate_leads(500, 1), generate_leads(500, 2)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_sources_differ_in_quality_and_owners_in_speed():
    leads = generate_leads(20_000, 3)
    mql = leads["Became a Marketing Qualified Lead Date"].notna()
    by_source = mql.groupby(leads["Original Source"]).mean()
    assert by_source["Referrals"] > 2 * by_source["Paid Social"]
    minutes = leads["Lead response time"] / 60_000
    by_owner = minutes.groupby(leads["Contact owner"]).median()
    assert by_owner["Avery Stone"] < 10 < by_owner["Devon Patel"] < by_owner["Finley Brooks"]


def test_nothing_happens_after_the_export_date():
    leads = generate_leads(5_000, 4)
    times = leads.select_dtypes("datetime")
    assert (times.max() <= pd.Timestamp("2026-11-01")).all()


def test_stage_dates_follow_each_other_without_faults():
    leads = generate_leads(5_000, 5)
    stages = [
        "Create Date",
        "Became a Marketing Qualified Lead Date",
        "Became a Sales Qualified Lead Date",
        "Became an Opportunity Date",
        "Became a Customer Date",
    ]
    values = leads[stages].to_numpy(dtype="datetime64[m]")
    for a, b in itertools.pairwise(stages):
        both = leads[a].notna() & leads[b].notna()
        assert (leads.loc[both, b] >= leads.loc[both, a]).all()
    assert np.isnat(values[:, 1:]).any()


def test_text_form_writes_whole_numbers_and_blank_missing_values():
    text = to_text(generate_leads(50, 6))
    assert (text["Recent Deal Amount"].str.match(r"^(\d+|)$")).all()
    assert text["Create Date"].str.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d$").all()
