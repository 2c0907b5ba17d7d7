"""Measures on the six-lead export, worked by hand (see TINY_ROWS in conftest), and
properties on the sample."""

import dataclasses

import pandas as pd
import pytest
from conftest import SAMPLE

from funnelkit.actuals import followup
from funnelkit.actuals import measures as actuals
from funnelkit.core.exceptions import InputError
from funnelkit.crm.leads import read_export


@pytest.fixture
def tiny(tiny_export):
    return read_export(tiny_export)


@pytest.fixture(scope="module")
def sample():
    return read_export(SAMPLE)


def counts(frame, stage):
    rows = frame[frame["stage"] == stage]
    return {str(p): int(n) for p, n in zip(rows["period"], rows["count"], strict=True)}


def test_stage_volumes_by_month_by_hand(tiny):
    v = actuals.stage_volumes(tiny)
    assert counts(v, "lead") == {"2026-01": 3, "2026-02": 2, "2026-03": 1}
    assert counts(v, "mql") == {"2026-01": 3, "2026-02": 1, "2026-03": 1}
    assert counts(v, "sql") == {"2026-01": 2, "2026-02": 1}
    assert counts(v, "won") == {"2026-02": 1, "2026-03": 1}


def test_stage_volumes_by_source_and_by_quarter(tiny):
    v = actuals.stage_volumes(tiny, period="quarter", by="source")
    lead = v[v["stage"] == "lead"].set_index("source")["count"].to_dict()
    assert lead == {"Offline Sources": 1, "Organic Search": 3, "Paid Search": 2}


def test_flow_conversion_by_hand(tiny):
    f = actuals.flow_conversion(tiny).set_index(["period", "step"])
    row = f.loc[(pd.Period("2026-01", "M"), "mql→sql")]
    assert (row["entered"], row["entered_next"], row["rate"]) == (3, 2, 2 / 3)


def test_cohort_conversion_by_hand(tiny):
    c = actuals.cohort_conversion(tiny).set_index(["period", "step"])
    jan = c.loc[(pd.Period("2026-01", "M"), "mql→sql")]
    assert (jan["entered"], jan["converted"], jan["mature"]) == (3, 2, True)
    feb = c.loc[(pd.Period("2026-02", "M"), "lead→mql")]
    assert (feb["entered"], feb["converted"]) == (2, 1)
    # mql→sql takes 2, 4 and 6 days: maturity is their 90th percentile, 5.6 days, so the
    # March cohort (lead 6, MQL on the 31st) is not mature on April 1st
    assert actuals.maturity_days(tiny)["mql→sql"] == pytest.approx(5.6)
    mar = c.loc[(pd.Period("2026-03", "M"), "mql→sql")]
    assert (mar["entered"], mar["converted"], mar["mature"]) == (1, 0, False)


def test_velocity_by_hand(tiny):
    v = actuals.velocity(tiny).set_index("step")
    assert v.loc["lead→mql", "count"] == 5
    assert v.loc["lead→mql", "median_days"] == 1.0
    assert v.loc["lead→mql", "mean_days"] == pytest.approx((1 + 2 + 1 + 1 + 30 + 14 / 24) / 5)
    assert v.loc["mql→sql", "median_days"] == 4.0
    assert v.loc["sql→opportunity", "mean_days"] == pytest.approx(25 / 3)
    assert v.loc["lead→won", "median_days"] == (45 + 38) / 2


def test_win_rate_and_reached_counts_by_hand(tiny):
    w = actuals.win_rate(tiny).iloc[0]
    assert (w["won"], w["lost"], w["leads"]) == (2, 2, 6)
    assert w["won_among_closed"] == 0.5
    r = actuals.reached_counts(tiny).set_index("stage")
    assert r["reached"].to_dict() == {"lead": 6, "mql": 5, "sql": 3, "opportunity": 3, "won": 2}
    assert r.loc["mql", "rate_to_next"] == 3 / 5


def test_leakage_by_hand(tiny):
    leak = actuals.leakage(tiny, by=None).set_index("stage")
    assert leak.loc["lead"].to_dict() == {
        "step": "lead→mql",
        "reached": 6,
        "advanced": 5,
        "lost": 1,
        "stalled": 0,
        "in_progress": 0,
    }
    # MQL: 5 reached, 3 went on; lead 3 was lost; lead 6 is open, 1.5 hours in the stage
    assert leak.loc["mql", ["reached", "advanced", "lost", "in_progress"]].tolist() == [5, 3, 1, 1]
    # opportunity: 3 reached, 2 won; lead 2 open since Jan 25, longer than 30 days' maturity
    assert leak.loc["opportunity", ["advanced", "stalled"]].tolist() == [2, 1]


def test_leakage_accounts_for_every_lead_that_reached_a_stage(sample):
    leak = actuals.leakage(sample)
    parts = leak[["advanced", "lost", "stalled", "in_progress"]].sum(axis=1)
    assert (parts == leak["reached"]).all()


def test_cohorts_never_convert_more_than_entered_and_recent_ones_are_immature(sample):
    c = actuals.cohort_conversion(sample)
    assert (c["converted"] <= c["entered"]).all()
    last = c["period"].max()
    assert not c.loc[(c["period"] == last) & (c["step"] == "opportunity→won"), "mature"].any()
    assert c.loc[c["period"] == c["period"].min(), "mature"].all()


def test_volumes_count_every_dated_stage_time(sample):
    v = actuals.stage_volumes(sample, period="week")
    for stage in sample.stages:
        assert (
            v.loc[v["stage"] == stage, "count"].sum() == sample.leads[f"{stage}_at"].notna().sum()
        )


def test_unknown_period_and_group_are_named(tiny):
    with pytest.raises(
        InputError, match=r"^'period' must be one of day, week, month, quarter \(got 'year'\)$"
    ):
        actuals.stage_volumes(tiny, period="year")
    with pytest.raises(InputError, match=r"^'by' must be one of .* \(got 'region'\)$"):
        actuals.stage_volumes(tiny, by="region")


@pytest.mark.parametrize("period", ["day", "week", "month", "quarter"])
def test_period_floors_name_the_same_periods_as_pandas(period):
    import numpy as np

    rng = np.random.default_rng(1)
    seconds = rng.integers(-(10**9), 3 * 10**9, 5_000)
    times = pd.Series(seconds.astype("datetime64[s]"))
    times[::97] = pd.NaT
    ours = actuals.as_periods(pd.Series(actuals.period_floor(times, period)), period)
    expected = times.dt.to_period(actuals.PERIODS[period])
    assert list(ours.astype(str)) == list(expected.astype(str))


def test_cumulative_conversion_per_creation_cohort_by_hand(tiny):
    r = actuals.reached_counts(tiny, period="month")
    jan = r[r["period"] == pd.Period("2026-01", "M")].set_index("stage")
    # January's leads 1, 2, 3: all MQLs, 1 and 2 SQLs and opportunities, 1 won
    assert jan["reached"].tolist() == [3, 3, 2, 2, 1]
    assert jan["rate_from_first"].tolist() == [1, 1, 2 / 3, 2 / 3, 1 / 3]
    feb = r[r["period"] == pd.Period("2026-02", "M")].set_index("stage")
    assert feb.loc["won", "rate_from_first"] == 0.5


def test_cumulative_cohorts_add_up_to_the_dated_leads(sample):
    r = actuals.reached_counts(sample, by="source", period="quarter")
    dated = sample.leads["lead_at"].notna().sum()
    assert r.loc[r["stage"] == "lead", "reached"].sum() == dated
    assert (r["rate_from_first"] <= 1).all()


def test_an_empty_table_counts_zero_everywhere(tiny):
    """SQL sums nothing to null; the measures count nothing as 0, as pandas does."""
    empty = dataclasses.replace(tiny, leads=tiny.leads.iloc[:0], taken_at=tiny.as_of)
    assert actuals.reached_counts(empty)["reached"].tolist() == [0] * len(tiny.stages)
    assert actuals.win_rate(empty)[["won", "lost", "leads"]].iloc[0].tolist() == [0, 0, 0]
    leak = actuals.leakage(empty, by=None)
    assert (leak[["reached", "advanced", "lost", "stalled", "in_progress"]] == 0).all().all()
    assert actuals.velocity(empty)["count"].tolist() == [0] * len(tiny.stages)
    assert actuals.stage_volumes(empty).empty


GROUPED = {  # every measure with a 'by': called with one, and the columns it makes
    "stage_volumes": (lambda t, by: actuals.stage_volumes(t, by=by), actuals.VOLUME_COLUMNS),
    "flow_conversion": (lambda t, by: actuals.flow_conversion(t, by=by), actuals.FLOW_COLUMNS),
    "cohort_conversion": (
        lambda t, by: actuals.cohort_conversion(t, by=by),
        actuals.COHORT_COLUMNS,
    ),
    "reached_counts": (
        lambda t, by: actuals.reached_counts(t, by=by, period="quarter"),
        actuals.REACHED_COLUMNS,
    ),
    "win_rate": (lambda t, by: actuals.win_rate(t, by=by), actuals.WIN_COLUMNS),
    "leakage": (lambda t, by: actuals.leakage(t, by=by), actuals.LEAK_COLUMNS),
    "sla_compliance": (
        lambda t, by: followup.sla_compliance(t, 60, by=by),
        followup.SLA_COLUMNS,
    ),
    "cadence_adherence": (
        lambda t, by: followup.cadence_adherence(t, 3, by=by),
        followup.CADENCE_COLUMNS,
    ),
}


def source_as(table, name):
    """The table with each lead's source also in a column named `name`."""
    return dataclasses.replace(table, leads=table.leads.assign(**{name: table.leads["source"]}))


@pytest.mark.parametrize("measure", GROUPED)
def test_every_column_a_measure_makes_of_its_own_is_one_no_group_may_be_named(sample, measure):
    call, made = GROUPED[measure]
    assert set(call(sample, "source").columns) - {"source"} <= set(made)


@pytest.mark.parametrize("measure", GROUPED)
@pytest.mark.parametrize("name", ["reached_0", "reached_1", "mql", "group:source", "GROUP:x"])
def test_a_group_named_as_a_query_s_own_column_is_measured_as_any_other(sample, measure, name):
    # queries make 'reached_<i>' columns and one per stage ('mql') on the way to their counts
    call, _ = GROUPED[measure]
    expected = call(sample, "source").rename(columns={"source": name})
    pd.testing.assert_frame_equal(call(source_as(sample, name), name), expected)


@pytest.mark.parametrize("measure", GROUPED)
def test_a_group_named_as_a_column_the_measure_gives_is_refused_and_others_not(sample, measure):
    call, made = GROUPED[measure]
    for name in made:
        with pytest.raises(InputError) as err:
            call(source_as(sample, name), name)
        assert str(err.value) == (
            f"'by' cannot be '{name}': the measure gives a column of that name of its own "
            f"({', '.join(made)})"
        )
    others = {"period", "stage", "leads", "count"} - set(made)  # another measure's: fine here
    for name in others:
        expected = call(sample, "source").rename(columns={"source": name})
        pd.testing.assert_frame_equal(call(source_as(sample, name), name), expected)


@pytest.mark.parametrize(
    ("measure", "keys", "counts"),
    [
        (actuals.stage_volumes, ["period", "stage"], ["count"]),
        (actuals.flow_conversion, ["period", "step"], ["entered", "entered_next"]),
        (actuals.cohort_conversion, ["period", "step"], ["entered", "converted"]),
    ],
)
def test_groups_add_up_to_the_whole_leads_without_a_value_included(sample, measure, keys, counts):
    assert sample.leads["owner"].isna().any()  # leads no owner has taken yet
    grouped = measure(sample, by="owner")
    assert grouped["owner"].isna().any()
    summed = grouped.groupby(keys, observed=True)[counts].sum()
    whole = measure(sample).set_index(keys)[counts]
    pd.testing.assert_frame_equal(summed.loc[whole.index], whole, check_dtype=False)


@pytest.mark.parametrize(
    ("measure", "keys", "counts"),
    [
        (actuals.stage_volumes, ["period", "stage"], ["count"]),
        (actuals.cohort_conversion, ["period", "step"], ["entered", "converted"]),
        (actuals.win_rate, [], ["won", "lost", "leads"]),
        (
            lambda t, by: followup.sla_compliance(t, 60, period="month", by=by),
            ["period"],
            ["handed_off", "touched", "within_window"],
        ),
    ],
)
def test_a_column_with_no_value_in_any_lead_groups_them_all_as_one(sample, measure, keys, counts):
    """An export whose owner column is empty throughout: one group, no owner, the whole."""
    empty = sample.leads.assign(owner=sample.leads["owner"].cat.set_categories([]))
    blank = dataclasses.replace(sample, leads=empty)
    grouped = measure(blank, by="owner")
    assert grouped["owner"].isna().all()
    whole = measure(sample, by=None)
    pd.testing.assert_frame_equal(
        grouped[keys + counts].reset_index(drop=True), whole[keys + counts], check_dtype=False
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda t: actuals.leakage(t, by="sourse"),
            "'by' must be one of lead_id, source, owner, status, touches, amount, outcome "
            "(got 'sourse')",
        ),
        (
            lambda t: actuals.win_rate(t, by=["owner"]),
            "'by' must name a column of the lead table (got ['owner'])",
        ),
        (
            lambda t: actuals.stage_volumes(t, by=pd.NA),
            "'by' must name a column of the lead table (got <NA>)",
        ),
        (
            lambda t: actuals.leakage(t, stall_days={"lead->mql": 5}),
            "'stall_days' keys must be one of lead→mql, mql→sql, sql→opportunity, "
            "opportunity→won (got 'lead->mql')",
        ),
        (
            lambda t: actuals.cohort_conversion(t, maturity={"lead→mql": -5}),
            "'maturity' for step 'lead→mql' must be a number of days >= 0 (got -5)",
        ),
        (
            lambda t: actuals.leakage(t, stall_days={"lead→mql": "x"}),
            "'stall_days' for step 'lead→mql' must be a number of days >= 0 (got 'x')",
        ),
        (
            lambda t: actuals.cohort_conversion(t, as_of="garbage"),
            "'as_of' must be a date or a time without a zone (got 'garbage')",
        ),
        (
            lambda t: actuals.leakage(t, as_of=2026),
            "'as_of' must be a date or a time without a zone (got 2026)",
        ),
        (
            lambda t: actuals.leakage(t, as_of="NaT"),
            "'as_of' must be a date or a time without a zone (got 'NaT')",
        ),
        (
            lambda t: followup.sla_compliance(t, 60, as_of="someday"),
            "'as_of' must be a date or a time without a zone (got 'someday')",
        ),
    ],
)
def test_arguments_a_measure_cannot_use_are_refused_never_ignored(sample, call, message):
    # a wrong 'by' once measured without groups, a step spelt otherwise counted for nothing
    with pytest.raises(InputError) as err:
        call(sample)
    assert str(err.value) == message


def test_whole_numbers_group_leads_and_fractions_do_not(sample):
    table = dataclasses.replace(
        sample, leads=sample.leads.assign(tier=sample.leads["touches"] % 3, share=0.5)
    )
    tiers = actuals.win_rate(table, by="tier")
    assert tiers["leads"].sum() == len(table.leads)
    with pytest.raises(InputError, match=r"^'by' must be one of .* \(got 'share'\)$"):
        actuals.win_rate(table, by="share")


def test_maturity_days_own_result_is_taken_back_a_step_without_history_never_mature(sample):
    maturity = {**actuals.maturity_days(sample), "opportunity→won": float("nan")}
    cohorts = actuals.cohort_conversion(sample, maturity=maturity)
    assert not cohorts.loc[cohorts["step"] == "opportunity→won", "mature"].any()
    leaks = actuals.leakage(sample, by=None, stall_days=maturity).set_index("step")
    assert leaks.loc["opportunity→won", "stalled"] == 0


def test_leakage_groups_only_when_asked_so_an_export_without_sources_measures_it(sample):
    sourceless = dataclasses.replace(sample, leads=sample.leads.drop(columns="source"))
    pd.testing.assert_frame_equal(actuals.leakage(sourceless), actuals.leakage(sample))
    assert "source" in actuals.leakage(sample, by="source")
