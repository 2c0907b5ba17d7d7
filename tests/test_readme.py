"""The README's promises hold: its Python example runs and its make targets exist."""

import re

import pytest


def python_blocks(root):
    return re.findall(r"```python\n(.*?)```", (root / "README.md").read_text(), re.S)


def run_block(block, root, monkeypatch):
    monkeypatch.chdir(root)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    return namespace


def test_readme_actuals_example_runs(root, monkeypatch):
    block = next(b for b in python_blocks(root) if "measure_baselines" in b)
    namespace = run_block(block, root, monkeypatch)
    assert len(namespace["table"].leads) == 3999
    assert namespace["baselines"].deal_size > 0


def test_readme_plan_example_runs(root, monkeypatch):
    block = next(b for b in python_blocks(root) if "reverse_plan(revenue_goal" in b)
    namespace = run_block(block, root, monkeypatch)
    assert namespace["plan"].whole[0] == 1340
    assert len(namespace["grid"]) == 6


def test_readme_channel_example_runs(root, monkeypatch):
    block = next(b for b in python_blocks(root) if "least_cost_mix" in b)
    namespace = run_block(block, root, monkeypatch)
    cheapest, usual = namespace["cheapest"], namespace["usual"]
    assert cheapest.revenue.sum() == pytest.approx(sum(namespace["need"]))
    assert usual.revenue.sum() == pytest.approx(sum(namespace["need"]))
    assert cheapest.spend.sum() < usual.spend.sum() / 2  # the sample's trade-off
    frontier = namespace["budget_frontier"](namespace["channels"], [20_000.0], months=3)
    assert frontier.revenue[0] > 0


def test_readme_make_targets_exist(root):
    readme = (root / "README.md").read_text()
    makefile = (root / "Makefile").read_text()
    for target in set(re.findall(r"`make (\w+)", readme)) | set(
        re.findall(r"^make (\w+)", readme, re.M)
    ):
        assert re.search(rf"^{target}:", makefile, re.M), target


def test_readme_first_commands_are_plan_and_test(root):
    commands = re.findall(r"^make (\w+)", (root / "README.md").read_text(), re.M)
    assert commands[:2] == ["plan", "test"]
