import pytest

from funnelkit.core.exceptions import InputError, ParamsError
from funnelkit.core.vocabulary import PRESET_NAMES
from funnelkit.crm.mapping_file import load_mapping, mapping_from_dict, resolve_mapping
from funnelkit.crm.presets import HUBSPOT_CONTACTS, PRESETS


def test_presets_are_valid_and_named():
    assert set(PRESETS) == {"hubspot", "salesforce-leads", "salesforce-opportunities"}
    assert resolve_mapping("hubspot") is HUBSPOT_CONTACTS


def test_hubspot_preset_accepts_labels_and_internal_names():
    assert HUBSPOT_CONTACTS.stage_columns["mql"] == (
        "Became a Marketing Qualified Lead Date",
        "hs_lifecyclestage_marketingqualifiedlead_date",
    )
    assert "hs_analytics_source" in HUBSPOT_CONTACTS.columns["source"]
    assert "hubspot_owner_id" in HUBSPOT_CONTACTS.columns["owner"]


def test_bundled_mapping_files_load(root):
    for path in sorted((root / "params" / "mappings").glob("*.yaml")):
        assert load_mapping(path).name == path.stem


def test_a_preset_with_changes():
    m = mapping_from_dict(
        {
            "name": "ours",
            "preset": "hubspot",
            "timezone": "Europe/Berlin",
            "columns": {"owner": "SDR"},
        }
    )
    assert m.timezone == "Europe/Berlin"
    assert m.columns["owner"] == ("SDR",)
    assert m.columns["source"] == HUBSPOT_CONTACTS.columns["source"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"name": "x", "preset": "pipedrive"},
            "m.yaml: 'preset' must be one of hubspot, salesforce-leads, salesforce-opportunities (got 'pipedrive')",
        ),
        (
            {"name": "x", "stages": ["a", "b"]},
            "m.yaml: the mapping file must give 'stages' and 'columns', or a 'preset'",
        ),
        (
            {"name": "x", "preset": "hubspot", "timezon": "UTC"},
            "m.yaml: 'timezon' is not a known key (did you mean 'timezone'?)",
        ),
        (
            {"name": "x", "preset": "hubspot", "timezone": "Mars/Olympus"},
            "m.yaml: 'timezone' must be an IANA time zone such as 'Europe/Berlin' (got 'Mars/Olympus')",
        ),
        (
            {"name": "x", "preset": "hubspot", "response_time_unit": "weeks"},
            "m.yaml: 'response_time_unit' must be one of ms, s, min, h, d (got 'weeks')",
        ),
        (
            {"name": "x", "stages": ["a", "b"], "columns": {"lead_id": "id", "colour": "c"}},
            "m.yaml: 'columns' key must be one of lead_id, source, owner, account_owner, status, stage, assigned_at, first_touch_at, response_time, touches, amount, close_date, outcome (got 'colour')",
        ),
        (
            {
                "name": "x",
                "stages": ["a", "b"],
                "columns": {"lead_id": "id", "outcome": "o"},
                "values": {"outcome": {"W": "victory"}},
            },
            "m.yaml: 'values.outcome' for 'W' must be one of won, lost, open (got 'victory')",
        ),
        (
            {"name": "x", "stages": ["a", "b"], "columns": {"lead_id": []}},
            "m.yaml: 'columns.lead_id' must name an export column or a list of them (got [])",
        ),
        (
            {"name": "x", "stages": ["a"], "columns": {"lead_id": "id"}},
            "m.yaml: 'stages' must name at least 2 unique stages (got ['a'])",
        ),
        (
            {
                "name": "x",
                "stages": ["a", "b"],
                "columns": {"lead_id": "id"},
                "stage_columns": {"c": "C"},
            },
            "m.yaml: 'stage_columns' key must be one of a, b (got 'c')",
        ),
    ],
)
def test_mapping_errors_name_file_field_rule_and_value(raw, message):
    with pytest.raises(ParamsError) as err:
        mapping_from_dict(raw, source="m.yaml")
    assert str(err.value) == message


OWN_COLUMN = (
    "is the lead table's own column {} (names are matched ignoring case): "
    "name the attribute otherwise"
)
NO_MARKS = (
    "must not end in '_at' or start with 'attribute:' (a stage's time and funnelkit's own "
    "marks): name the attribute otherwise"
)


@pytest.mark.parametrize(
    ("attributes", "rule"),
    [
        ({" ": "R"}, "key must name the attribute without surrounding spaces (got ' ')"),
        (
            {"notes\t": "N"},
            "key must name the attribute without surrounding spaces (got 'notes\\t')",
        ),
        ({None: "R"}, "keys must be names (got None)"),
        ({"Row_Position": "R"}, f"key 'Row_Position' {OWN_COLUMN.format(repr('row_position'))}"),
        ({"Outcome": "R"}, f"key 'Outcome' {OWN_COLUMN.format(repr('outcome'))}"),
        ({"MQL_at": "R"}, f"key 'MQL_at' {OWN_COLUMN.format(repr('mql_at'))}"),
        ({"signup_at": "S"}, f"key 'signup_at' {NO_MARKS}"),
        ({"attribute:x": "R"}, f"key 'attribute:x' {NO_MARKS}"),
        (
            {"Region": "R", "region": "r"},
            "keys 'Region' and 'region' differ only in case (a database matches names "
            "ignoring case): name one otherwise",
        ),
    ],
)
def test_attribute_names_that_cannot_be_a_column_of_their_own_are_refused(attributes, rule):
    raw = {"name": "x", "preset": "hubspot", "attributes": attributes}
    with pytest.raises(ParamsError) as err:
        mapping_from_dict(raw, source="m.yaml")
    assert str(err.value) == f"m.yaml: 'attributes' {rule}"


def test_an_unknown_preset_name_is_named():
    with pytest.raises(
        InputError,
        match=r"^'preset' must be one of hubspot, salesforce-leads, salesforce-opportunities \(got 'hubspt'\)$",
    ):
        resolve_mapping("hubspt")


def test_a_preset_value_map_gains_and_changes_entries():
    m = mapping_from_dict(
        {
            "name": "x",
            "preset": "salesforce-leads",
            "values": {"outcome": {"Closed - Converted": "open", "Nurture": "open"}},
        }
    )
    assert m.values["outcome"]["Closed - Converted"] == "open"
    assert m.values["outcome"]["Nurture"] == "open"
    assert m.values["outcome"]["Closed - Not Converted"] == "lost"


def test_the_preset_names_a_plan_may_give_are_the_presets():
    assert tuple(PRESETS) == PRESET_NAMES
