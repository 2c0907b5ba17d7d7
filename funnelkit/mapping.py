"""Column mappings: how one CRM export's columns and values become the lead table.

A mapping names, for each canonical field (`funnelkit.fields`), the export columns that may
hold it (the first one present is used, so a preset accepts both HubSpot's labels and its
internal names), the column holding the time each stage was reached, value maps (export
value → canonical value; null means missing), placeholder values that mean missing, date
formats and the export's time zone. Built-in presets (`funnelkit.presets`) cover HubSpot
contacts and Salesforce lead and opportunity reports; any other export gets a mapping YAML
in `params/mappings/`, whole or as a preset with changes.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from funnelkit.exceptions import InputError, ParamsError
from funnelkit.fields import FIELDS, ID, OUTCOMES
from funnelkit.schema import check_keys, load_yaml, text
from funnelkit.validation import check_choice

ISO_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%d",
)
DURATION_UNITS: dict[str, float] = {"ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
VALUE_MAPPED = ("source", "owner", "account_owner", "status", "outcome", "stage")


@dataclass(frozen=True)
class Mapping:
    """How one export's columns and values map onto the lead table."""

    name: str
    stages: tuple[str, ...]  # the funnel stages this export records, first to last
    columns: dict[str, tuple[str, ...]]  # canonical field -> candidate export columns
    stage_columns: dict[str, tuple[str, ...]]  # stage -> candidate columns for when it was reached
    values: dict[str, dict[str, str | None]] = field(default_factory=dict)  # field -> value map
    attributes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # kept as-is, by name
    missing_values: tuple[str, ...] = ()  # cell texts that mean "missing", besides empty cells
    date_formats: tuple[str, ...] = ISO_FORMATS  # tried in order
    timezone: str = "UTC"  # the export's time zone; times are kept as its wall-clock times
    response_time_unit: str = "ms"  # unit of the response_time column
    decimal: str = "."  # the amounts' decimal mark
    marketing_sources: tuple[str, ...] = ()  # source values that count as marketing-sourced
    required: tuple[str, ...] = (ID,)  # fields the export must have
    encoding: str | None = None  # None: detect (BOM, else UTF-8, else Windows-1252, noted)
    delimiter: str | None = None  # None: detect from the first lines

    def __post_init__(self) -> None:
        if len(self.stages) < 2 or len(set(self.stages)) != len(self.stages):
            raise InputError(
                f"'stages' must name at least 2 unique stages (got {list(self.stages)})"
            )
        for key in self.columns:
            if key.endswith("_at") and key[:-3] in self.stages:
                raise InputError(
                    f"'columns' must not map stage times ({key!r}): use 'stage_columns'"
                )
            check_choice("columns", key, tuple(FIELDS), where=" key")
        for stage in self.stage_columns:
            check_choice("stage_columns", stage, self.stages, where=" key")
        for name, mapping in self.values.items():
            check_choice("values", name, VALUE_MAPPED, where=" key")
            allowed = {"outcome": OUTCOMES, "stage": self.stages}.get(name)
            for raw, value in mapping.items():
                if allowed is not None and value is not None:
                    check_choice(f"values.{name}", value, allowed, where=f" for {raw!r}")
        check_choice("response_time_unit", self.response_time_unit, tuple(DURATION_UNITS))
        check_choice("decimal", self.decimal, (".", ","))
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise InputError(
                f"'timezone' must be an IANA time zone such as 'Europe/Berlin' (got {self.timezone!r})"
            ) from None
        for name in self.required:
            known = (*FIELDS, *(f"{s}_at" for s in self.stages))
            check_choice("required", name, known, where=" entry")


MAPPING_KEYS = {
    "name": True,
    "preset": False,
    "stages": False,
    "columns": False,
    "stage_columns": False,
    "values": False,
    "attributes": False,
    "missing_values": False,
    "date_formats": False,
    "timezone": False,
    "response_time_unit": False,
    "decimal": False,
    "marketing_sources": False,
    "required": False,
    "encoding": False,
    "delimiter": False,
}


def _candidates(value: Any, key: str) -> tuple[str, ...]:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise InputError(f"'{key}' must name an export column or a list of them (got {value!r})")
    return tuple(names)


def _names(raw: dict[str, Any], key: str) -> dict[str, tuple[str, ...]]:
    section = raw.get(key) or {}
    if not isinstance(section, dict):
        raise InputError(f"'{key}' must map names to export columns (got {section!r})")
    return {str(k): _candidates(v, f"{key}.{k}") for k, v in section.items()}


def _strings(raw: dict[str, Any], key: str) -> tuple[str, ...]:
    value = raw[key]
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise InputError(f"'{key}' must be a list of texts (got {value!r})")
    return tuple(str(v) for v in value)


def _value_maps(raw: dict[str, Any]) -> dict[str, dict[str, str | None]]:
    values = raw["values"]
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise InputError(f"'values' must map fields to value maps (got {values!r})")
    return {
        str(name): {str(k): v for k, v in value_map.items()} for name, value_map in values.items()
    }


def mapping_from_dict(raw: Any, source: str = "<mapping>") -> Mapping:
    """Check a parsed mapping and build it: a whole mapping, or a preset with changes.

    With `preset`, `columns`, `stage_columns` and `values` add to (and override) the
    preset's entries; every other key replaces the preset's value.
    """
    from funnelkit.presets import PRESETS  # the presets are Mappings themselves

    try:
        raw = check_keys(raw, MAPPING_KEYS, "the mapping file")
        base: dict[str, Any] = {}
        if "preset" in raw:
            preset = PRESETS[check_choice("preset", raw["preset"], tuple(PRESETS))]
            base = {name: getattr(preset, name) for name in preset.__dataclass_fields__}
        elif "stages" not in raw or "columns" not in raw:
            raise InputError("the mapping file must give 'stages' and 'columns', or a 'preset'")
        merged = dict(base)
        merged["name"] = text(raw, "name")
        if "stages" in raw:
            merged["stages"] = _strings(raw, "stages")
        for key in ("columns", "stage_columns"):
            if key in raw:
                merged[key] = {**base.get(key, {}), **_names(raw, key)}
        merged.setdefault("stage_columns", {})
        if "values" in raw:
            base_values = base.get("values", {})
            merged["values"] = {**base_values}
            for name, value_map in _value_maps(
                raw
            ).items():  # a preset's map gains or changes entries
                merged["values"][name] = {**base_values.get(name, {}), **value_map}
        if "attributes" in raw:
            merged["attributes"] = _names(raw, "attributes")
        for key in ("missing_values", "date_formats", "marketing_sources", "required"):
            if key in raw:
                merged[key] = _strings(raw, key)
        for key in ("timezone", "response_time_unit", "decimal", "encoding", "delimiter"):
            if key in raw:
                merged[key] = text(raw, key)
        return Mapping(**merged)
    except InputError as err:
        raise ParamsError(f"{source}: {err}") from None


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping YAML file."""
    return mapping_from_dict(load_yaml(path, "mapping file"), source=str(path))


def resolve_mapping(mapping: Mapping | str | Path) -> Mapping:
    """A Mapping as given, a preset by name ('hubspot', …), or a mapping YAML file's path."""
    from funnelkit.presets import PRESETS  # the presets are Mappings themselves

    if isinstance(mapping, Mapping):
        return mapping
    if isinstance(mapping, str) and mapping in PRESETS:
        return PRESETS[mapping]
    if isinstance(mapping, str) and not mapping.endswith((".yaml", ".yml")):
        check_choice("preset", mapping, tuple(PRESETS))
    return load_mapping(mapping)
