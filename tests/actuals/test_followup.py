"""SLA follow-up on the six-lead export, by hand: MQL→first touch is 5, 70, 30, none, 90
minutes for leads 1, 2, 3, 4 and 6; the export's 'now' is 2026-04-01 00:30."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from funnelkit.actuals import followup
from funnelkit.core.exceptions import InputError
from funnelkit.crm.leads import read_export


@pytest.fixture
def tiny(tiny_export):
    return read_export(tiny_export)


def test_response_minutes_by_hand(tiny):
    minutes = followup.response_minutes(tiny)
    assert minutes.tolist()[:3] == [5, 70, 30]
    assert np.isnan(minutes[3])
    assert np.isnan(minutes[4])
    assert minutes[5] == 90


def test_sla_compliance_by_hand(tiny):
    c = followup.sla_compliance(tiny, window_minutes=60).set_index(["period", "owner"])
    jan_ann = c.loc[(pd.Period("2026-01", "M"), "Ann")]
    assert jan_ann[["handed_off", "touched", "within_window", "pending"]].tolist() == [2, 2, 1, 0]
    assert jan_ann["share_within"] == 0.5
    assert c.loc[(pd.Period("2026-02", "M"), "Bob"), "share_within"] == 0
    overall = followup.sla_compliance(tiny, 60, by=None)
    assert overall["within_window"].sum() == 2


def test_a_lead_whose_window_is_still_open_is_pending(tiny):
    c = followup.sla_compliance(tiny, 60, by=None, as_of="2026-02-03 08:30")
    feb = c.set_index("period").loc[pd.Period("2026-02", "M")]
    assert (feb["pending"], np.isnan(feb["share_within"])) == (1, True)


def test_breaches_by_hand(tiny):
    b = followup.sla_breaches(tiny, 60)
    assert b["lead_id"].tolist() == ["4", "6", "2"]
    waited = (
        pd.Timestamp("2026-04-01 00:30") - pd.Timestamp("2026-02-03 08:00")
    ).total_seconds() / 60
    assert b["minutes_late"].tolist() == [waited - 60, 30, 10]
    assert b.loc[0, "owner"] == "Bob"
    assert np.isnan(b.loc[0, "minutes_to_touch"])


def test_followed_up_same_month_by_hand(tiny):
    f = followup.followed_up_same_month(tiny).set_index("month")
    assert f["passed"].tolist() == [3, 1, 1]
    assert f["followed_up"].tolist() == [3, 0, 0]  # lead 6: MQL Mar 31, touched Apr 1


def test_cadence_adherence_by_hand(tiny):
    c = followup.cadence_adherence(tiny, touches_per_lead=7).set_index("owner")
    assert c.loc["Ann", "mean_touches"] == pytest.approx(13 / 3)
    assert c.loc["Ann", "share_full_cadence"] == pytest.approx(1 / 3)
    assert c.loc["Bob", "share_full_cadence"] == 0.5


def test_stage_pacing_counts_entries_per_day(tiny):
    p = followup.stage_pacing(tiny, "lead", goal=4, month="2026-01", as_of="2026-01-10")
    assert p.actual_to_date == 2  # leads 1 and 2
    assert p.expected_to_date == pytest.approx(4 * 10 / 31)


def test_followup_errors_are_named(tiny):
    with pytest.raises(InputError, match=r"^'window_minutes' must be > 0 \(got 0\)$"):
        followup.sla_compliance(tiny, 0)
    with pytest.raises(
        InputError,
        match=r"^'handoff_stage' must be one of lead, mql, sql, opportunity, won \(got 'MQL'\)$",
    ):
        followup.sla_breaches(tiny, 60, handoff_stage="MQL")


def test_an_export_without_touch_times_counts_hand_offs_and_no_touches(tiny):
    untouched = dataclasses.replace(tiny, leads=tiny.leads.drop(columns=["first_touch_at"]))
    c = followup.sla_compliance(untouched, 60, by=None)
    mqls = tiny.leads["mql_at"].dropna().dt.to_period("M").value_counts().sort_index()
    assert c["handed_off"].tolist() == mqls.tolist()
    assert c["touched"].sum() == c["within_window"].sum() == 0
