"""The layer contract: each subpackage imports only the layers below it, peers never import
each other, no import cycles, and only `present` and `cli` import the notebook and chart
libraries. Read from the source with `ast` (imports inside functions count too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "funnelkit"

# layer -> rank; a module may import a layer of lower rank, or its own layer
RANKS = {
    "core": 0,
    "plan": 1,
    "crm": 1,
    "actuals": 2,
    "goals": 3,
    "forecast": 3,
    "model": 4,
    "present": 5,
    "cli": 6,
    "__main__": 7,
}
FRONT = "funnelkit"  # the package root re-exports the public names of the layers below `model`
FRONT_RANK = 3
PRESENTATION_LIBRARIES = (
    "matplotlib",
    "ipywidgets",
    "IPython",
    "nbconvert",
    "nbformat",
    "papermill",
)
PRESENTATION_LAYERS = ("present", "cli", "__main__")


def module_name(path: Path, root: Path) -> str:
    """'funnelkit.plan.build' for root/funnelkit/plan/build.py; a package is its __init__."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str | None:
    """The layer a funnelkit module belongs to, None for the package root."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def imports_of(path: Path, modules: set[str]) -> list[tuple[int, str]]:
    """Every import in the file, anywhere in it, as (line, module): funnelkit modules by their
    full name (a submodule where `from package import submodule`), others by their top name."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.append((node.lineno, sub if sub in modules else node.module))
    return found


def import_graph(root: Path) -> dict[str, list[tuple[Path, int, str]]]:
    """Each funnelkit module -> the imports in it, with file and line."""
    files = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    modules = set(files)
    return {
        name: [(path, line, target) for line, target in imports_of(path, modules)]
        for name, path in files.items()
    }


def layer_violations(root: Path) -> list[str]:
    """Each import that breaks the layer contract, as 'file:line: what and which rule'."""
    problems = []
    for module, imports in import_graph(root).items():
        layer = layer_of(module)
        rank = FRONT_RANK if layer is None else RANKS.get(layer)
        if rank is None:
            problems.append(f"{module}: is in no layer (known layers: {', '.join(RANKS)})")
            continue
        for path, line, target in imports:
            where = f"{path.relative_to(root.parent)}:{line}: {module} imports {target}"
            top = target.split(".")[0]
            if top in PRESENTATION_LIBRARIES and layer not in PRESENTATION_LAYERS:
                problems.append(f"{where}: only present and cli may import {top}")
            if top != FRONT:
                continue
            other = layer_of(target)
            if other is None:
                if layer is not None:
                    problems.append(
                        f"{where}: import from the layer that holds the name, not the package root"
                    )
                continue
            if other == layer:
                continue
            other_rank = RANKS.get(other, len(RANKS))
            if other_rank >= rank:
                below = sorted(n for n, r in RANKS.items() if r < rank and not n.startswith("_"))
                problems.append(
                    f"{where}: {layer or 'the package root'} may import only the layers below it "
                    f"({', '.join(below) or 'none'}), not {other}"
                )
    return problems


def import_cycles(root: Path) -> list[list[str]]:
    """The cycles among funnelkit modules, each as the list of modules around it."""
    graph = {
        module: sorted({t for _, _, t in imports if t.split(".")[0] == FRONT and t != module})
        for module, imports in import_graph(root).items()
    }
    cycles, state = [], {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for target in graph.get(module, ()):
            # a module imports its package's __init__ first; that edge is Python's, not ours
            if module.startswith(f"{target}."):
                continue
            if state.get(target) == "open":
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = "done"

    for module in graph:
        if module not in state:
            visit(module, [module])
    return cycles


def test_every_import_respects_the_layers():
    assert layer_violations(PACKAGE) == []


def test_no_import_cycles():
    assert import_cycles(PACKAGE) == []


@pytest.fixture
def small_package(tmp_path) -> Path:
    """A small package laid out as funnelkit is: each layer's folder with an empty module."""
    root = tmp_path / "funnelkit"
    for layer in ("core", "plan", "crm", "actuals", "goals", "forecast", "present"):
        (root / layer).mkdir(parents=True)
        (root / layer / "__init__.py").write_text('"""A layer."""\n')
    (root / "__init__.py").write_text("from funnelkit.plan import build\n")
    (root / "plan" / "build.py").write_text("from funnelkit.core import first\n")
    (root / "present" / "charts.py").write_text("import matplotlib\n")
    assert layer_violations(root) == []
    assert import_cycles(root) == []
    return root


def test_an_upward_import_is_named_with_its_file_line_and_rule(small_package):
    (small_package / "plan" / "wrong.py").write_text(
        '"""A plan module that reaches up."""\n\nfrom funnelkit.present import charts\n'
    )
    assert layer_violations(small_package) == [
        "funnelkit/plan/wrong.py:3: funnelkit.plan.wrong imports funnelkit.present.charts: "
        "plan may import only the layers below it (core), not present"
    ]


def test_peer_layers_may_not_import_each_other(small_package):
    (small_package / "crm" / "wrong.py").write_text(
        "def f():\n    from funnelkit.plan.build import build_plan\n    return build_plan\n"
    )
    assert layer_violations(small_package) == [
        "funnelkit/crm/wrong.py:2: funnelkit.crm.wrong imports funnelkit.plan.build: "
        "crm may import only the layers below it (core), not plan"
    ]


def test_a_chart_library_below_present_is_named(small_package):
    (small_package / "actuals" / "wrong.py").write_text("import matplotlib.pyplot as plt\n")
    assert layer_violations(small_package) == [
        "funnelkit/actuals/wrong.py:1: funnelkit.actuals.wrong imports matplotlib.pyplot: "
        "only present and cli may import matplotlib"
    ]


def test_a_cycle_is_found(small_package):
    (small_package / "core" / "first.py").write_text("from funnelkit.core import second\n")
    (small_package / "core" / "second.py").write_text("from funnelkit.core.first import x\n")
    assert import_cycles(small_package) == [
        ["funnelkit.core.first", "funnelkit.core.second", "funnelkit.core.first"]
    ]
