"""Column mappings: how one CRM export's columns and values become the lead table.

A mapping names, for each canonical field (`funnelkit.crm.fields`), the export columns that may
hold it (the first one present is used, so a preset accepts both HubSpot's labels and its
internal names), the column holding the time each stage was reached, value maps (export
value → canonical value; null means missing), placeholder values that mean missing, date
formats and the export's time zone. Built-in presets (`funnelkit.crm.presets`) cover HubSpot
contacts and Salesforce lead and opportunity reports; any other export gets a mapping YAML
in `params/mappings/`, whole or as a preset with changes.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field

from funnelkit.core.exceptions import InputError
from funnelkit.core.validation import check_choice, short
from funnelkit.crm.fields import FIELDS, ID, OUTCOMES, ROW

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
    # the lead columns (fields, '<stage>_at', attributes) this mapping names itself, as against
    # those a preset it changes lists as optional; None: every one (a whole mapping)
    given: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if len(self.stages) < 2 or len(set(self.stages)) != len(self.stages):
            raise InputError(
                f"'stages' must name at least 2 unique stages (got {list(self.stages)})"
            )
        for key in self.columns:
            if key.endswith("_at") and key[:-3] in self.stages:
                raise InputError(
                    f"'columns' must not map stage times ({short(key)}): use 'stage_columns'"
                )
            check_choice("columns", key, tuple(FIELDS), where=" key")
        for stage in self.stage_columns:
            check_choice("stage_columns", stage, self.stages, where=" key")
        self._check_attribute_names()
        for name, mapping in self.values.items():
            check_choice("values", name, VALUE_MAPPED, where=" key")
            allowed = {"outcome": OUTCOMES, "stage": self.stages}.get(name)
            for raw, value in mapping.items():
                if allowed is not None and value is not None:
                    check_choice(f"values.{name}", value, allowed, where=f" for {short(raw)}")
        check_choice("response_time_unit", self.response_time_unit, tuple(DURATION_UNITS))
        check_choice("decimal", self.decimal, (".", ","))
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise InputError(
                f"'timezone' must be an IANA time zone such as 'Europe/Berlin' (got {short(self.timezone)})"
            ) from None
        for name in self.required:
            known = (*FIELDS, *(f"{s}_at" for s in self.stages))
            check_choice("required", name, known, where=" entry")

    def _check_attribute_names(self) -> None:
        """An attribute's name is a lead table column of its own: not blank nor padded, no
        field's name nor a time's ('…_at') nor the measures' row position, none of them twice;
        in any case, as a database matches names."""
        fields = {f.lower(): f for f in (*FIELDS, *(f"{s}_at" for s in self.stages), ROW)}
        seen: dict[str, str] = {}
        for name in self.attributes:
            if not name.strip() or name != name.strip():
                raise InputError(
                    f"'attributes' key must name the attribute without surrounding spaces "
                    f"(got {short(name)})"
                )
            folded = name.lower()
            if folded in fields:
                raise InputError(
                    f"'attributes' key {short(name)} is the lead table's own column "
                    f"{short(fields[folded])} (names are matched ignoring case): "
                    "name the attribute otherwise"
                )
            if folded.endswith("_at") or folded.startswith("attribute:"):
                raise InputError(
                    f"'attributes' key {short(name)} must not end in '_at' or start with "
                    "'attribute:' (a stage's time and funnelkit's own marks): "
                    "name the attribute otherwise"
                )
            if folded in seen:
                raise InputError(
                    f"'attributes' keys {short(seen[folded])} and {short(name)} differ only in "
                    "case (a database matches names ignoring case): name one otherwise"
                )
            seen[folded] = name
