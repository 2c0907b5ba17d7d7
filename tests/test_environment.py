"""The project's own files agree: environment.yml, requirements.lock and pyproject.toml; the
pre-commit hooks are valid and installed."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml
from packaging.markers import Marker

# conda-forge names that differ from the PyPI name
CONDA_TO_PYPI: dict[str, str] = {"python-duckdb": "duckdb"}


def direct_dependencies(root):
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    specs = project["dependencies"] + [
        d for extra in project["optional-dependencies"].values() for d in extra
    ]
    return {re.split(r"[<>=!~\[ ;]", spec)[0].lower() for spec in specs}


def locked(root):
    """Every pinned version for Python 3.11 (the version environment.yml asks for): the main
    lock's, and the Spark extra's lock (a superset)."""
    text = (root / "requirements.lock").read_text() + (root / "requirements-spark.lock").read_text()
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==([^\s;]+)(?: ; (.*))?$", text, re.M)
    python = {"python_full_version": "3.11.2", "python_version": "3.11"}
    return {
        name.lower(): version
        for name, version, marker in pins
        if not marker or Marker(marker).evaluate(python)
    }


def conda_pins(root):
    env = yaml.safe_load((root / "environment.yml").read_text())
    pins, pip_section = {}, None
    for item in env["dependencies"]:
        if isinstance(item, dict):  # from PyPI: what conda-forge lacks, then the package
            pip_section = item["pip"]
            for line in pip_section[:-1]:
                name, _, version = line.split("#")[0].strip().partition("==")
                pins[name.lower()] = version
            continue
        name, _, version = item.partition("=")
        if name not in ("python", "pip"):
            pins[CONDA_TO_PYPI.get(name, name).lower()] = version
    return env, pins, pip_section


def test_environment_lists_exactly_the_direct_dependencies(root):
    _, pins, _ = conda_pins(root)
    assert set(pins) == direct_dependencies(root)


def test_environment_pins_the_locked_versions(root):
    _, pins, _ = conda_pins(root)
    lock = locked(root)
    mismatched = {
        name: (version, lock.get(name))
        for name, version in pins.items()
        if lock.get(name) != version
    }
    assert mismatched == {}, "environment.yml and requirements.lock disagree: name -> (conda, lock)"


def test_environment_uses_conda_forge_and_ends_by_installing_the_package(root):
    env, _, pip_section = conda_pins(root)
    assert env["channels"] == ["conda-forge"]
    assert "python=3.11" in env["dependencies"]
    assert isinstance(env["dependencies"][-1], dict)
    assert pip_section[-1] == "-e ."


def test_lock_pins_every_direct_dependency(root):
    assert direct_dependencies(root) <= set(locked(root))


def test_pre_commit_config_is_valid_and_its_hooks_exist(root):
    config = root / ".pre-commit-config.yaml"
    pre_commit = Path(sys.executable).parent / "pre-commit"
    result = subprocess.run(
        [str(pre_commit), "validate-config", str(config)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    hooks = [h for repo in yaml.safe_load(config.read_text())["repos"] for h in repo["hooks"]]
    assert {h["id"] for h in hooks} >= {"ruff", "ruff-format", "clean-notebooks", "mypy"}
    for hook in hooks:
        program = hook["entry"].split()[0]
        assert (root / program).is_file(), f"{hook['id']}: {program} is not installed"


def test_spark_lock_agrees_with_the_main_lock(root):
    pins = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", re.M)
    main = dict(pins.findall((root / "requirements.lock").read_text()))
    spark = dict(pins.findall((root / "requirements-spark.lock").read_text()))
    assert {n: (v, spark.get(n)) for n, v in main.items() if spark.get(n) != v} == {}
    assert "pyspark" in spark
