"""The command line, run as a user runs it: a real process, its output and exit status."""

import subprocess
import sys
from pathlib import Path

import pytest

from funnelkit import build_plan, load_params


def run(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "funnelkit", *args], capture_output=True, text=True, cwd=cwd
    )


def test_plan_prints_the_example_plan_figures(root):
    result = run("plan", "params/example.yaml", cwd=root)
    assert result.returncode == 0, result.stderr
    plan = build_plan(load_params(root / "params" / "example.yaml"))
    out = result.stdout
    assert plan.params.title in out
    assert f"{int(plan.targets.whole[0]):,}" in out  # leads needed
    assert f"{plan.targets.volumes[0]:,.2f}" in out
    assert f"{plan.targets.marketing_revenue_goal:,.0f} USD" in out
    for label in plan.phasing.labels:
        assert label in out
    assert result.stderr == ""


def test_a_typo_exits_2_with_one_clear_message_and_no_plan(root, tmp_path):
    bad = tmp_path / "typo.yaml"
    bad.write_text(
        (root / "params" / "example.yaml")
        .read_text()
        .replace("marketing_share:", "marketing_shar:")
    )
    result = run("plan", "params/example.yaml", str(bad), cwd=root)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"funnelkit: error: {bad}: 'marketing_shar' is not a known key (did you mean 'marketing_share'?)\n"
    )


def test_a_missing_file_exits_2(root):
    result = run("plan", "params/nope.yaml", cwd=root)
    assert result.returncode == 2
    assert result.stderr == "funnelkit: error: params/nope.yaml: no such parameters file\n"


def test_no_command_is_a_usage_error(root):
    result = run(cwd=root)
    assert result.returncode == 2
    assert "usage: funnelkit" in result.stderr


SCRIPT = Path(sys.executable).parent / "funnelkit"


@pytest.mark.skipif(
    not SCRIPT.exists(), reason="the funnelkit script is not installed beside this Python"
)
def test_the_installed_script_runs(root):
    result = subprocess.run(
        [str(SCRIPT), "plan", "params/example.yaml"], capture_output=True, text=True, cwd=root
    )
    assert result.returncode == 0, result.stderr
    assert "Targets by stage" in result.stdout
