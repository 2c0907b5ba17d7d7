"""Rendering a plan in a process of its own and reading its kernels' peak memory: shared by
the kernel-memory test and the scaling benchmark (benchmarks/bench_scale.py)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import psutil
import yaml

from funnelkit.crm.sample import generate_leads, write_csv

ROOT = Path(__file__).resolve().parents[2]
DONE = re.compile(r"\] \S+/(\S+) done in ([0-9.]+) s")  # the render's line for a notebook


def peak_bytes(pid: int) -> int:
    """A process's peak resident memory so far (VmHWM), 0 once it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def kernel_peaks(params: Path, reports: Path) -> tuple[list[int], float, dict[str, float]]:
    """The peak resident memory of each kernel `funnelkit render PARAMS` starts (in the order
    they started), sampled every 50 ms until the render ends (the peak only grows, so the last
    sample before a kernel exits holds nearly all of it), the render's wall time (s), and each
    notebook's time as the render logs it (s)."""
    command = [sys.executable, "-m", "funnelkit.cli", "render", str(params), "--reports"]
    start = time.perf_counter()
    render = subprocess.Popen(
        [*command, str(reports), "--no-pdf", "--jobs", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    peaks: dict[int, int] = {}
    parent = psutil.Process(render.pid)
    while render.poll() is None:
        for child in parent.children(recursive=True):
            try:
                if "ipykernel" in " ".join(child.cmdline()):
                    peaks[child.pid] = max(peaks.get(child.pid, 0), peak_bytes(child.pid))
            except psutil.Error:
                continue
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    _, errors = render.communicate()
    if render.returncode != 0:
        raise RuntimeError(f"render of {params} failed: {errors[-2000:]}")
    if not peaks:
        raise RuntimeError(f"render of {params}: no kernel was seen")
    notebooks = {name: float(t) for name, t in DONE.findall(errors)}
    return [peaks[pid] for pid in sorted(peaks)], seconds, notebooks


def plan_on(leads: int, folder: Path, plan: str = "example", export: Path | None = None) -> Path:
    """A bundled plan (`plan`.yaml) on a generated export of `leads` leads (written to `export`,
    default inside `folder`, unless it exists), its files made absolute."""
    export = export or folder / f"leads-{leads}.csv"
    if not export.exists():
        export.parent.mkdir(parents=True, exist_ok=True)
        write_csv(generate_leads(leads, seed=7), export)
    raw = yaml.safe_load((ROOT / "params" / f"{plan}.yaml").read_text())
    for key in ("goals", "previous_plan", "definitions", "next_plan"):
        if key in raw:
            raw[key] = str(ROOT / "params" / raw[key])
    raw["actuals"]["export"] = str(export)
    if "program" in raw:
        raw["program"]["costs"] = str((ROOT / "params" / raw["program"]["costs"]).resolve())
    raw["name"] = f"{plan}-{leads}"
    path = folder / f"{plan}-{leads}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path
