"""Faults during a render leave nothing behind and say what happened in one line: a killed
render takes its workers and kernels with it, its temporary folders are cleared by the next
run, a report folder that cannot be written is named, SIGTERM ends with status 143."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import ROOT

from funnelkit.cli import main
from funnelkit.present.render import OWNER_FILE, SOCKETS_STEM, remove_stale

pytestmark = pytest.mark.render
FUNNELKIT = [sys.executable, "-m", "funnelkit"]
PLANS = [str(ROOT / "params" / "2026-q4.yaml"), str(ROOT / "params" / "example.yaml")]


def children(pid: int) -> set[int]:
    """Every process descended from `pid` (from /proc)."""
    found, frontier = set(), {pid}
    while frontier:
        parents, frontier = frontier, set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid in parents and int(entry.name) not in found:
                found.add(int(entry.name))
                frontier.add(int(entry.name))
    return found


def alive(pids: set[int]) -> set[int]:
    out = set()
    for pid in pids:
        try:
            state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            out.add(pid)
    return out


def start_render(tmp_path: Path) -> subprocess.Popen:
    command = [*FUNNELKIT, "render", *PLANS, "--reports", str(tmp_path), "--no-pdf", "--jobs", "2"]
    return subprocess.Popen(
        command, stderr=subprocess.PIPE, text=True, start_new_session=True, cwd=ROOT
    )


def wait_for_workers(render: subprocess.Popen) -> set[int]:
    for _ in range(100):
        spawned = children(render.pid)
        if len(spawned) >= 3:  # two workers and the resource tracker, at least
            return spawned
        time.sleep(0.1)
    pytest.fail("the render started no workers")


def test_a_killed_render_takes_its_workers_and_kernels_with_it(tmp_path):
    render = start_render(tmp_path)
    workers = wait_for_workers(render)
    for _ in range(300):  # until both workers have set up their kernels' socket folders
        sockets = {
            p
            for p in Path(tempfile.gettempdir()).glob(f".{SOCKETS_STEM}.*")
            if (p / OWNER_FILE).exists() and (p / OWNER_FILE).read_text() in map(str, workers)
        }
        if len(sockets) >= 2:
            break
        time.sleep(0.1)
    spawned = children(render.pid)
    render.kill()
    render.wait()
    for _ in range(100):
        if not alive(spawned):
            break
        time.sleep(0.1)
    assert alive(spawned) == set()
    # its kernels' socket folders and temporary report folders go at the next run
    # (another run, e.g. a test beside this one, may clear them first: either way they go)
    left = remove_stale(Path(tempfile.gettempdir()), SOCKETS_STEM)
    assert len(sockets) >= 2  # the killed run's workers each had one
    assert not any(p.exists() for p in [*sockets, *left])
    for plan in ("2026-q4", "example"):
        for folder in (tmp_path / plan).glob(".*"):
            remove_stale(tmp_path / plan, folder.name.split(".")[1])
        assert not list((tmp_path / plan).glob(".*")), plan


def test_sigterm_ends_the_render_with_143_and_one_line(tmp_path):
    render = start_render(tmp_path)
    wait_for_workers(render)
    render.send_signal(signal.SIGTERM)
    assert render.wait(timeout=60) == 143
    err = render.stderr.read() if render.stderr else ""
    assert (
        "funnelkit: terminated: reports already finished are kept; unfinished ones were not written"
    ) in err
    assert "Traceback" not in err


def test_temporary_folders_of_dead_runs_are_removed_and_a_live_run_s_kept(tmp_path):
    out = tmp_path / "example"
    dead, unowned, live = (out / f".20-quarterly-plan.{n}" for n in ("dead", "none", "live"))
    for folder in (dead, unowned, live):
        folder.mkdir(parents=True)
    (dead / OWNER_FILE).write_text("999999999")  # no such process
    (live / OWNER_FILE).write_text(str(os.getpid()))
    assert sorted(p.name for p in remove_stale(out, "20-quarterly-plan")) == [
        dead.name,
        unowned.name,
    ]
    assert [p.name for p in out.iterdir()] == [live.name]


def test_a_report_folder_that_cannot_be_written_is_named_in_one_line(tmp_path, capsys):
    blocked = tmp_path / "reports"
    blocked.write_text("a file where the reports folder should be")
    code = main(["render", PLANS[1], "--reports", str(blocked), "--no-pdf"])
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"funnelkit: error: {PLANS[1]}: 20-quarterly-plan: cannot write {blocked / 'example'}: "
        "Not a directory; the previous report is kept"
    ]
