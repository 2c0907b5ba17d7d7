"""Write a plan's parameters back to YAML, so a scenario explored with widgets can be rendered.

The file has the layout `funnelkit.plan.params` reads, with the paths it names (goals, the
export, a mapping file, the previous plan) made relative to the file's own folder. It is
written atomically: a reader never sees half a file.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml

from funnelkit.core.exceptions import InputError
from funnelkit.core.vocabulary import PRESET_NAMES
from funnelkit.plan.params import (
    DEFAULT_CAPACITY_MULTIPLE,
    DEFAULT_HISTORY_MULTIPLE,
    PlanParams,
    ProgramTerms,
)


def _number(value: Any) -> int | float:
    """A plain Python number (YAML cannot write numpy scalars); whole floats become ints."""
    value = float(value)
    return int(value) if value.is_integer() else value


def _relative(path: Path, folder: Path) -> str:
    return Path(os.path.relpath(Path(path).resolve(), folder.resolve())).as_posix()


def params_to_dict(params: PlanParams, folder: Path) -> dict[str, Any]:
    """The parameters as the mapping a parameters file holds; paths relative to `folder`."""
    p = params
    f = p.funnel
    period: dict[str, Any] = {"start": str(p.start)[:7], "months": p.months}
    if p.weights is not None:
        period["weights"] = [_number(w) for w in p.weights]
    period["granularity"] = p.granularity
    stages: list[dict[str, Any]] = [
        {"stage": s, "conversion_rate": _number(r), "days": _number(d)}
        for s, r, d in zip(f.stages, f.conversion_rates, f.days, strict=False)
    ]
    stages.append({"stage": f.stages[-1]})
    for entry in stages:
        if entry["stage"] in p.names.given:
            entry["label"], entry["plural"] = p.names.given[entry["stage"]]
    sla = p.sla
    out: dict[str, Any] = {
        "name": p.name,
        "title": p.title,
        "currency": p.currency,
        "period": period,
        "revenue_goal": _number(p.revenue_goal),
        "marketing_share": _number(p.marketing_share),
        "deal_size": _number(p.deal_size),
        "funnel": stages,
        "sla": {
            "handoff_stage": sla.handoff_stage,
            "first_touch_minutes": _number(sla.first_touch_minutes),
            "cadence": [{"day": _number(t.day), "channel": t.channel} for t in sla.cadence],
            "touches_per_rep_per_day": _number(sla.touches_per_rep_per_day),
            "reps": _number(sla.reps),
            "holidays": [dt.date.fromisoformat(str(h)) for h in sla.holidays],
        },
    }
    pipeline = {}
    if p.open_pipeline is not None:
        pipeline["open_value"] = _number(p.open_pipeline)
    if p.win_rate is not None:
        pipeline["win_rate"] = _number(p.win_rate)
    if pipeline:
        out["pipeline"] = pipeline
    if p.goals_file is not None:
        out["goals"] = _relative(p.goals_file, folder)
    if p.has_actuals:
        mapping = p.export_mapping
        if p.export_file is not None:
            out["actuals"] = {"export": _relative(p.export_file, folder)}
        elif p.export_table is not None:
            t = p.export_table
            out["actuals"] = {"engine": t.engine, "table": t.table}
            if t.database is not None:
                out["actuals"]["database"] = _relative(t.database, folder)
        out["actuals"]["mapping"] = (
            mapping if mapping in PRESET_NAMES else _relative(Path(mapping), folder)
        )
        if p.deals is not None:
            d = p.deals
            out["actuals"]["deals"] = {
                "export": _relative(d.export_file, folder),
                "mapping": d.mapping
                if d.mapping in PRESET_NAMES
                else _relative(Path(d.mapping), folder),
                "key": d.key,
                "stages": dict(d.stages),
            }
        if p.export_as_of is not None:
            out["actuals"]["as_of"] = p.export_as_of
    if p.previous_plan is not None:
        out["previous_plan"] = _relative(p.previous_plan, folder)
    if p.history_multiple != DEFAULT_HISTORY_MULTIPLE:
        out["history_multiple"] = _number(p.history_multiple)
    if p.next_plan is not None:
        out["next_plan"] = _relative(p.next_plan, folder)
    if p.definitions_file is not None:
        out["definitions"] = _relative(p.definitions_file, folder)
    if not p.forecast_trend:
        out["forecast"] = {"trend": False}
    if p.program is not None:
        out["program"] = _program(p.program, folder)
    return out


def _program(terms: ProgramTerms, folder: Path) -> dict[str, Any]:
    """The program section, with only what differs from the defaults."""
    out: dict[str, Any] = {"costs": _relative(terms.costs_file, folder)}
    if terms.by != "source":
        out["by"] = terms.by
    out["mix"] = (
        {k: _number(v) for k, v in terms.mix.items()} if isinstance(terms.mix, dict) else terms.mix
    )
    if terms.capacity_multiple != DEFAULT_CAPACITY_MULTIPLE:
        out["capacity_multiple"] = _number(terms.capacity_multiple)
    if terms.minimums:
        out["minimums"] = {k: _number(v) for k, v in terms.minimums.items()}
    for key in ("budget", "gross_margin", "monthly_revenue"):
        if getattr(terms, key) is not None:
            out[key] = _number(getattr(terms, key))
    if terms.marketing_channels is not None:
        out["marketing_channels"] = list(terms.marketing_channels)
    if terms.lookup is not None:
        out["lookup"] = {
            "file": _relative(terms.lookup.file, folder),
            "from": terms.lookup.source_column,
            "key": terms.lookup.key,
            "value": terms.lookup.value,
        }
    return out


def save_params(
    params: PlanParams, path: str | Path, note: str = "", overwrite: bool = False
) -> Path:
    """Write the parameters to `path` (YAML) atomically, `note` as a comment at the top. An
    existing file is replaced only with `overwrite`, and then kept as `<name>.bak`; the new
    file gets the old one's permissions (else the usual ones for a new file)."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise InputError(
            f"{path} already exists: choose another name, or ask to replace it (the old file "
            "is then kept beside it as .bak)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "".join(f"# {line}\n" for line in note.splitlines())
    body = yaml.safe_dump(
        params_to_dict(params, path.parent), sort_keys=False, allow_unicode=True, width=100
    )
    umask = os.umask(0)
    os.umask(umask)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(header + body)
        os.chmod(tmp, mode)
        if path.exists():
            shutil.copy2(path, path.with_name(path.name + ".bak"))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
