"""Mapping files: a mapping YAML (whole, or a preset with changes) checked and built, and a
mapping named by preset or path resolved to a `Mapping`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from funnelkit.core.exceptions import InputError, ParamsError
from funnelkit.core.schema import check_keys, load_yaml, text
from funnelkit.core.validation import check_choice, short
from funnelkit.crm.fields import stage_field
from funnelkit.crm.mapping import Mapping
from funnelkit.crm.presets import PRESETS

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
        raise InputError(
            f"'{key}' must name an export column or a list of them (got {short(value)})"
        )
    return tuple(names)


def _names(raw: dict[str, Any], key: str) -> dict[str, tuple[str, ...]]:
    section = raw.get(key) or {}
    if not isinstance(section, dict):
        raise InputError(f"'{key}' must map names to export columns (got {short(section)})")
    return {str(k): _candidates(v, f"{key}.{k}") for k, v in section.items()}


def _strings(raw: dict[str, Any], key: str) -> tuple[str, ...]:
    value = raw[key]
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise InputError(f"'{key}' must be a list of texts (got {short(value)})")
    return tuple(str(v) for v in value)


def _value_maps(raw: dict[str, Any]) -> dict[str, dict[str, str | None]]:
    values = raw["values"]
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise InputError(f"'values' must map fields to value maps (got {short(values)})")
    maps: dict[str, dict[str, str | None]] = {}
    for name, value_map in values.items():
        maps[str(name)] = {}
        for key, value in value_map.items():  # cells are read trimmed: so are the keys
            trimmed = str(key).strip()
            if trimmed in maps[str(name)]:
                raise InputError(
                    f"values.{name}: {short(trimmed)} is given twice (keys are matched trimmed)"
                )
            maps[str(name)][trimmed] = value
    return maps


def mapping_from_dict(raw: Any, source: str = "<mapping>") -> Mapping:
    """Check a parsed mapping and build it: a whole mapping, or a preset with changes.

    With `preset`, `columns`, `stage_columns` and `values` add to (and override) the
    preset's entries; every other key replaces the preset's value.
    """
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
            for name in raw["attributes"] if isinstance(raw["attributes"], dict) else ():
                if not isinstance(name, str):  # YAML reads `~`, `yes` and `1` as no text
                    raise InputError(f"'attributes' keys must be names (got {short(name)})")
            merged["attributes"] = _names(raw, "attributes")
        for key in ("missing_values", "date_formats", "marketing_sources", "required"):
            if key in raw:
                merged[key] = _strings(raw, key)
        for key in ("missing_values", "marketing_sources"):  # matched against trimmed cells
            merged[key] = tuple(v.strip() for v in merged.get(key, ()))
        for key in ("timezone", "response_time_unit", "decimal", "encoding", "delimiter"):
            if key in raw:
                merged[key] = text(raw, key)
        if "preset" in raw:  # what the file names itself, apart from the preset's optional ones
            named = {k: _names(raw, k) if k in raw else {} for k in ("columns", "stage_columns")}
            attributes = _names(raw, "attributes") if "attributes" in raw else {}
            merged["given"] = frozenset(
                [
                    *named["columns"],
                    *map(stage_field, named["stage_columns"]),
                    *(f"attribute:{a}" for a in attributes),
                ]
            )
        return Mapping(**merged)
    except InputError as err:
        raise ParamsError(f"{source}: {err}") from None


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping YAML file."""
    return mapping_from_dict(load_yaml(path, "mapping file"), source=str(path))


def resolve_mapping(mapping: Mapping | str | Path) -> Mapping:
    """A Mapping as given, a preset by name ('hubspot', …), or a mapping YAML file's path."""
    if isinstance(mapping, Mapping):
        return mapping
    if isinstance(mapping, str) and mapping in PRESETS:
        return PRESETS[mapping]
    if isinstance(mapping, str) and not mapping.endswith((".yaml", ".yml")):
        check_choice("preset", mapping, tuple(PRESETS))
    return load_mapping(mapping)
