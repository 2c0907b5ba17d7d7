"""The built wheel is enough to render: installed (not editable) into a fresh virtual
environment, it renders the default plan from a folder outside the source tree, finding its
notebooks and report template as package data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT

pytestmark = pytest.mark.render

UV = Path(sys.executable).parent / "uv"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    if not UV.exists():
        pytest.skip(f"uv is not installed beside {sys.executable} (`make setup` installs it)")
    out = tmp_path_factory.mktemp("dist")
    source = tmp_path_factory.mktemp("source") / "funnelkit"  # the build writes build/ beside it
    shutil.copytree(
        ROOT,
        source,
        symlinks=True,
        ignore=shutil.ignore_patterns(".*", "build", "reports", "__pycache__", "*.egg-info"),
    )
    subprocess.run(
        [str(UV), "build", "--wheel", "--quiet", "--out-dir", str(out), str(source)],
        check=True,
        capture_output=True,
    )
    (found,) = out.glob("funnelkit-*.whl")
    return found


def test_the_wheel_holds_the_notebooks_and_the_report_template(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"funnelkit/present/notebooks/{notebook.name}" in names
    assert "funnelkit/present/templates/report/index.html.j2" in names
    assert "funnelkit/model/loader.py" in names


def test_an_installed_wheel_renders_the_default_plan_outside_the_source_tree(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # a real install with its dependencies, at the locked versions (uv links them from its cache)
    subprocess.run(
        [
            str(UV), "pip", "install", "--quiet", "--python", str(python),
            "--constraint", str(ROOT / "requirements.lock"), str(wheel),
        ],
        check=True,
    )  # fmt: skip
    work = tmp_path / "elsewhere"
    shutil.copytree(ROOT / "params", work / "params")
    shutil.copytree(ROOT / "data" / "sample", work / "data" / "sample")
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    where = subprocess.run(
        [str(python), "-c", "import funnelkit; print(funnelkit.__file__)"],
        check=True,
        capture_output=True,
        text=True,
        cwd=work,
        env=env,
    ).stdout.strip()
    assert Path(where).is_relative_to(venv), where
    result = subprocess.run(
        [str(venv / "bin" / "funnelkit"), "render", "params/example.yaml", "--no-pdf"],
        capture_output=True,
        text=True,
        cwd=work,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    report = work / "reports" / "example" / "20-quarterly-plan.html"
    assert report.is_file(), result.stderr
    assert "Traceback" not in report.read_text(encoding="utf-8")
