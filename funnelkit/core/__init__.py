"""The bottom layer: exceptions, range checks and their messages, the rounding rule, YAML key
checks, shared names and type aliases. Imports nothing else from funnelkit."""

from funnelkit.core.exceptions import (
    CrmExportError,
    FunnelkitError,
    InputError,
    ParamsError,
    RenderError,
)
from funnelkit.core.rounding import whole_units

__all__ = [
    "CrmExportError",
    "FunnelkitError",
    "InputError",
    "ParamsError",
    "RenderError",
    "whole_units",
]
