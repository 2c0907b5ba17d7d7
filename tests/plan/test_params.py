"""Plan parameters: the bundled files load, and every rule's message names file, field and value."""

import copy

import numpy as np
import pytest
import yaml
from conftest import ROOT

from funnelkit import ParamsError, load_params, params_from_dict

PARAMS = ROOT / "params"


@pytest.fixture
def example(root):
    return yaml.safe_load((root / "params" / "example.yaml").read_text())


def error_for(raw):
    with pytest.raises(ParamsError) as err:
        params_from_dict(raw, source="q1.yaml", folder=PARAMS)
    return str(err.value)


def changed(example, path, value):
    raw = copy.deepcopy(example)
    *parents, last = path
    node = raw
    for key in parents:
        node = node[key]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return raw


DELETE = object()


def test_every_bundled_parameters_file_loads(root):
    files = sorted((root / "params").glob("*.yaml"))
    assert files
    for path in files:
        if path.name.startswith("bad-"):
            continue
        assert load_params(path).name


def test_example_loads_into_funnelkit_objects(root):
    p = load_params(root / "params" / "example.yaml")
    assert p.name == "example"
    assert str(p.start) == "2027-01-01"
    assert p.months == 3
    assert p.funnel.stages == ("lead", "mql", "sql", "opportunity", "won")
    assert p.funnel.steps[1] == "mql→sql"
    assert p.sla.touches_per_lead == 7
    assert p.weights == (0.30, 0.32, 0.38)
    assert p.open_pipeline == 820_000
    assert p.win_rate is None


def test_optional_keys_have_documented_defaults(example):
    raw = changed(
        changed(changed(example, ["title"], DELETE), ["currency"], DELETE), ["pipeline"], DELETE
    )
    del raw["period"]["weights"], raw["period"]["granularity"]
    p = params_from_dict(raw, folder=PARAMS)
    assert (p.title, p.currency, p.weights, p.granularity) == ("example", "USD", None, "month")
    assert (p.open_pipeline, p.win_rate) == (None, None)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            ["marketing_shar"],
            0.5,
            "q1.yaml: 'marketing_shar' is not a known key (did you mean 'marketing_share'?)",
        ),
        (
            ["zzz"],
            1,
            "q1.yaml: 'zzz' is not a known key; known keys are name, title, currency, period, revenue_goal, marketing_share, deal_size, funnel, sla, pipeline, goals, actuals, previous_plan, next_plan, history_multiple, definitions, forecast, program",
        ),
        (["deal_size"], DELETE, "q1.yaml: the parameters file must give 'deal_size'"),
        (["deal_size"], "12k", "q1.yaml: 'deal_size' must be a number (got '12k')"),
        (["deal_size"], 0, "q1.yaml: 'deal_size' must be > 0 (got 0)"),
        (
            ["revenue_goal"],
            "341500",
            "q1.yaml: 'revenue_goal' must be a number written without quotes (got '341500', "
            "which is text)",
        ),
        (
            ["revenue_goal"],
            [1e5, 2e5],
            "q1.yaml: 'revenue_goal' must be a single number (got [100000.0, 200000.0])",
        ),
        (
            ["revenue_goal"],
            1e300,
            "q1.yaml: 'revenue_goal' must be at most 1,000,000,000,000, beyond which whole-unit "
            "figures lose precision (got 1e+300)",
        ),
        (["deal_size"], 1e-300, "q1.yaml: 'deal_size' must be at least 0.01 (got 1e-300)"),
        (
            ["funnel", 0, "conversion_rate"],
            "0.45",
            "q1.yaml: funnel: 'conversion_rate' of stage 'lead' must be a number written without "
            "quotes (got '0.45', which is text)",
        ),
        (
            ["funnel", 0, "conversion_rate"],
            0.000001 / 10,
            "q1.yaml: funnel: 'conversion_rate' of stage 'lead' must be at least 1e-06: at 1e-07 "
            "the plan would need more than a million leads per customer (got 1e-07)",
        ),
        (
            ["funnel", 1, "days"],
            1e9,
            "q1.yaml: funnel: 'days' of stage 'mql' must be at most 3,650 (ten years) "
            "(got 1000000000.0)",
        ),
        (
            ["period", "months"],
            100000,
            "q1.yaml: period: 'months' must be at most 36: plan a longer span as several plans "
            "(got 100000)",
        ),
        (
            ["sla", "reps"],
            "2",
            "q1.yaml: sla: 'reps' must be a number written without quotes (got '2', which is text)",
        ),
        (
            ["title"],
            "x" * 300,
            None,
        ),
        (["marketing_share"], 55, "q1.yaml: 'marketing_share' must be in [0, 1] (got 55)"),
        (["revenue_goal"], -1, "q1.yaml: 'revenue_goal' must be > 0 (got -1)"),
        (["revenue_goal"], 0, "q1.yaml: 'revenue_goal' must be > 0 (got 0)"),
        (
            ["name"],
            "q1/../../etc",
            "q1.yaml: 'name' must be letters, digits, '.', '_' or '-', starting with a letter or digit, since reports are written to reports/<name>/ (got 'q1/../../etc')",
        ),
        (["name"], "", "q1.yaml: 'name' must be non-empty text (got '')"),
        (
            ["period", "start"],
            "Jan 2027",
            "q1.yaml: period: 'start' must be a month written YYYY-MM, e.g. '2026-01' (got 'Jan 2027')",
        ),
        (["period", "months"], 0, "q1.yaml: period: 'months' must be a whole number >= 1 (got 0)"),
        (
            ["period", "weights"],
            [0.5, 0.5],
            "q1.yaml: period: 'weights' must list one fraction per month (3) (got [0.5, 0.5])",
        ),
        (
            ["period", "weights"],
            [0.5, 0.3, 0.3],
            "q1.yaml: period: 'weights' must sum to 1 (got 1.1)",
        ),
        (
            ["period", "granularity"],
            "day",
            "q1.yaml: period: 'granularity' must be one of month, week (got 'day')",
        ),
        (
            ["period", "monts"],
            3,
            "q1.yaml: period: 'monts' is not a known key (did you mean 'months'?)",
        ),
        (
            ["period"],
            "2027Q1",
            "q1.yaml: period: 'period' must be a mapping of keys to values (got '2027Q1')",
        ),
        (
            ["funnel", 1, "conversion_rate"],
            1.4,
            "q1.yaml: funnel: 'conversion_rate' for step 'mql→sql' must be in (0, 1] (got 1.4)",
        ),
        (
            ["funnel", 2, "days"],
            -3,
            "q1.yaml: funnel: 'days' for step 'sql→opportunity' must be >= 0 (got -3)",
        ),
        (
            ["funnel", 1, "conversion_rate"],
            DELETE,
            "q1.yaml: funnel: stage 'mql' must give 'conversion_rate' (for the step to 'sql')",
        ),
        (
            ["funnel", 4, "conversion_rate"],
            0.5,
            "q1.yaml: funnel: the last stage 'won' must not give 'conversion_rate' (no stage follows it)",
        ),
        (
            ["funnel", 0, "rate"],
            0.5,
            "q1.yaml: funnel: 'rate' is not a known key; known keys are stage, conversion_rate, days, label, plural",
        ),
        (
            ["funnel", 3, "stage"],
            "mql",
            "q1.yaml: funnel: 'stages' must be unique (got 'mql' twice)",
        ),
        (
            ["funnel"],
            [{"stage": "lead"}],
            "q1.yaml: funnel: 'funnel' must list at least 2 stages, first to last (got [{'stage': 'lead'}])",
        ),
        (["sla", "reps"], -1, "q1.yaml: sla: 'reps' must be >= 0 (got -1)"),
        (
            ["sla", "handoff_stage"],
            "marketing",
            "q1.yaml: sla: 'handoff_stage' must be one of lead, mql, sql, opportunity, won (got 'marketing')",
        ),
        (["sla", "cadence"], [], "q1.yaml: sla: 'cadence' must be a non-empty list (got [])"),
        (
            ["sla", "cadence", 0, "channel"],
            "",
            "q1.yaml: sla: 'channel' of a cadence touch must be a non-empty name (got '')",
        ),
        (
            ["sla", "cadence", 0, "when"],
            1,
            "q1.yaml: sla: 'when' is not a known key; known keys are day, channel",
        ),
        (
            ["sla", "holidays"],
            ["25 Dec"],
            "q1.yaml: sla: 'holidays' must hold dates written YYYY-MM-DD (got '25 Dec')",
        ),
        (
            ["sla", "touches_per_rep_per_day"],
            DELETE,
            "q1.yaml: sla: 'sla' must give 'touches_per_rep_per_day'",
        ),
        (
            ["sla", "holidays"],
            "2026-12-25",
            "q1.yaml: sla: 'holidays' must be a list of dates (got '2026-12-25')",
        ),
        (
            ["funnel", 1],
            "mql",
            "q1.yaml: funnel: each stage must be a mapping of keys to values (got 'mql')",
        ),
        (
            ["sla", "cadence", 0],
            "call",
            "q1.yaml: sla: each cadence touch must be a mapping of keys to values (got 'call')",
        ),
        (["title"], 42, "q1.yaml: 'title' must be non-empty text (got 42)"),
        (
            ["pipeline"],
            [1],
            "q1.yaml: pipeline: 'pipeline' must be a mapping of keys to values (got [1])",
        ),
        (["pipeline", "win_rate"], 0, "q1.yaml: pipeline: 'win_rate' must be in (0, 1] (got 0)"),
        (["pipeline", "open_value"], -5, "q1.yaml: pipeline: 'open_value' must be >= 0 (got -5)"),
        (
            ["pipeline", "open_vaule"],
            5,
            "q1.yaml: pipeline: 'open_vaule' is not a known key (did you mean 'open_value'?)",
        ),
    ],
)
def test_each_rule_names_file_section_field_and_value(example, path, value, message):
    if message is None:  # a valid value: no error
        params_from_dict(changed(example, path, value), folder=PARAMS)
        return
    assert error_for(changed(example, path, value)) == message


def test_an_alias_bomb_is_refused_quickly_with_a_short_message(tmp_path):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 13):  # 9**13 strings if expanded
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]")
    lines.append("title: *a12")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    with pytest.raises(ParamsError) as err:
        load_params(bomb)
    assert str(err.value) == (
        f"{bomb}: uses 109 YAML aliases (*name); at most 100 are allowed, since aliases of "
        "aliases can expand without bound"
    )


def test_a_file_that_is_not_a_mapping_is_named():
    assert (
        error_for([1, 2])
        == "q1.yaml: the parameters file must be a mapping of keys to values (got [1, 2])"
    )


def test_missing_file(tmp_path):
    with pytest.raises(ParamsError) as err:
        load_params(tmp_path / "nope.yaml")
    assert str(err.value) == f"{tmp_path / 'nope.yaml'}: no such parameters file"


def test_invalid_yaml_names_line_and_column(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nperiod: [unclosed\n")
    with pytest.raises(ParamsError) as err:
        load_params(path)
    assert str(err.value).startswith(f"{path}: is not valid YAML at line 3, column 1: ")


def test_non_utf8_file_is_named(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ParamsError, match=r"latin1.yaml: cannot be read as UTF-8 text"):
        load_params(path)


def test_dates_in_yaml_are_dates_not_strings(example):
    p = params_from_dict(
        changed(example, ["period", "start"], __import__("datetime").date(2027, 1, 1)),
        folder=PARAMS,
    )
    assert p.start == np.datetime64("2027-01-01")
    assert all(hasattr(h, "isoformat") for h in p.sla.holidays)


def test_goals_and_actuals_paths_are_relative_to_the_parameters_file(root):
    p = load_params(root / "params" / "example.yaml")
    assert p.goals_file.resolve() == (root / "params" / "goals" / "example.yaml").resolve()
    assert p.export_file.resolve() == (root / "data" / "sample" / "hubspot-contacts.csv").resolve()
    assert p.export_mapping == "hubspot"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            ["goals"],
            "goals/nope.yaml",
            "q1.yaml: 'goals' names a file that does not exist: {root}/params/goals/nope.yaml",
        ),
        (["goals"], 5, "q1.yaml: 'goals' must name a file (got 5)"),
        (
            ["actuals", "export"],
            "../data/none.csv",
            "q1.yaml: actuals: 'export' names a file that does not exist: {root}/params/../data/none.csv",
        ),
        (
            ["actuals", "mapping"],
            "pipedrive",
            "q1.yaml: actuals: 'mapping' must be one of hubspot, salesforce-leads, salesforce-opportunities (got 'pipedrive')",
        ),
        (
            ["actuals", "mapping"],
            "mappings/none.yaml",
            "q1.yaml: actuals: 'mapping' names a file that does not exist: {root}/params/mappings/none.yaml",
        ),
        (
            ["actuals", "file"],
            "x",
            "q1.yaml: actuals: 'file' is not a known key; known keys are export, engine, table, database, mapping, deals, as_of",
        ),
        (
            ["actuals", "table"],
            "leads",
            "q1.yaml: actuals: give either 'export' (a CRM export file) or 'table' with its 'engine' (a table in a database), not both",
        ),
        (
            ["actuals", "engine"],
            "duckdb",
            "q1.yaml: actuals: 'engine' goes with 'table', not with an 'export' file",
        ),
        (
            ["actuals", "as_of"],
            "30/11/2026",
            "q1.yaml: actuals: 'as_of' must hold dates written YYYY-MM-DD (got '30/11/2026')",
        ),
    ],
)
def test_goals_and_actuals_files_must_exist(example, root, path, value, message):
    with pytest.raises(ParamsError) as err:
        params_from_dict(changed(example, path, value), source="q1.yaml", folder=root / "params")
    assert str(err.value) == message.format(root=root)
