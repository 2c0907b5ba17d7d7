"""Notebook hygiene: committed clean, one parameters cell followed by the call that checks
it, and no arithmetic in any cell (the numbers come from funnelkit). The notebooks run under
`pytest --nbval-lax` (collected from notebooks/ by the pytest configuration)."""

from __future__ import annotations

import ast
import json

import nbformat
import pytest
from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CLEAN = "run `make clean-notebooks` to strip outputs and execution counts before committing"


def test_the_notebooks_exist():
    assert [p.name for p in NOTEBOOKS] == [
        "10-scenario-explorer.ipynb",
        "15-definition-explorer.ipynb",
        "20-quarterly-plan.ipynb",
        "30-monthly-review.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebooks_are_clean(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {i} holds outputs: {CLEAN}"
            assert cell.execution_count is None, f"{path.name} cell {i} has a count: {CLEAN}"
        assert "execution" not in cell.metadata, f"{path.name} cell {i}: {CLEAN}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_one_parameters_cell_then_the_call_that_checks_it(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    after = nb.cells[tagged[0] + 1]
    assert after.cell_type == "code"
    assert (
        "wb.open_workbook(" in after.source
        or "ScenarioExplorer.from_params_file(" in after.source
        or "DefinitionExplorer.from_params_file(" in after.source
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_arithmetic_in_cells(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            assert not isinstance(node, ast.BinOp | ast.AugAssign | ast.UnaryOp), cell.source
            assert not isinstance(node, ast.FunctionDef | ast.ClassDef | ast.Lambda), cell.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_cell_has_an_id_and_the_notebook_is_valid(path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    missing = [i for i, cell in enumerate(raw["cells"]) if "id" not in cell]
    assert missing == [], (
        f"{path.name}: cells {missing} have no id (nbformat.validator.normalize adds them)"
    )
    nbformat.validate(raw)  # raises nbformat.ValidationError naming the field
