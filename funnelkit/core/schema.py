"""Checks for mappings read from YAML: known and required keys, text, lists, sections.

Shared by plan parameters and CRM column mappings, so both speak the same way:
``'marketing_shar' is not a known key (did you mean 'marketing_share'?)``.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

import yaml

from funnelkit.core.exceptions import InputError, ParamsError
from funnelkit.core.validation import short


def closest_key(key: str, known: dict[str, bool]) -> str:
    """The tail of an unknown-key message: the closest known key, or all of them."""
    match = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else f"; known keys are {', '.join(known)}"


def check_keys(raw: Any, known: dict[str, bool], what: str) -> dict[str, Any]:
    """Check a mapping's keys: none unknown, every required one present."""
    if not isinstance(raw, dict):
        raise InputError(f"{what} must be a mapping of keys to values (got {short(raw)})")
    for key in raw:
        if key not in known:
            raise InputError(f"'{key}' is not a known key{closest_key(str(key), known)}")
    missing = [k for k, required in known.items() if required and k not in raw]
    if missing:
        raise InputError(f"{what} must give {', '.join(repr(k) for k in missing)}")
    return raw


def text(raw: dict[str, Any], key: str) -> str:
    """The non-empty text at `key`."""
    value = raw[key]
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"'{key}' must be non-empty text (got {short(value)})")
    return value


def nonempty_list(raw: dict[str, Any], key: str) -> list[Any]:
    """The non-empty list at `key`."""
    value = raw[key]
    if not isinstance(value, list) or not value:
        raise InputError(f"'{key}' must be a non-empty list (got {short(value)})")
    return value


def in_section(section: str, build, *args, **kwargs):
    """Run a section's builder, prefixing its error with the section's name."""
    try:
        return build(*args, **kwargs)
    except InputError as err:
        raise InputError(f"{section}: {err}") from None


MAX_ALIASES = 100  # YAML aliases a file may use
# libyaml's safe loader where PyYAML was built with it (ten times quicker), else PyYAML's own
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: str | Path, what: str) -> Any:
    """Parse a YAML file; errors name the file and, for bad YAML, the line and column."""
    path = Path(path)
    try:
        content = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParamsError(f"{path}: no such {what}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ParamsError(f"{path}: cannot be read as UTF-8 text ({err})") from None
    try:
        events = yaml.parse(content, Loader=LOADER)
        aliases = sum(isinstance(e, yaml.AliasEvent) for e in events)
        if aliases > MAX_ALIASES:
            raise ParamsError(
                f"{path}: uses {aliases:,} YAML aliases (*name); at most {MAX_ALIASES} are "
                "allowed, since aliases of aliases can expand without bound"
            )
        return yaml.load(content, Loader=LOADER)  # a safe loader, C or Python
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ParamsError(f"{path}: is not valid YAML{where}: {problem}") from None
