"""Package hygiene: a sorted, complete __all__, and nothing done at import time."""

import ast
import subprocess
import sys

import funnelkit
import funnelkit.core.exceptions


def test_all_is_unique():
    # its order (constants, classes, functions, each alphabetical) is ruff's RUF022, run by `make test`
    assert len(funnelkit.__all__) == len(set(funnelkit.__all__))


def test_every_public_name_is_in_all():
    public = {n for n in vars(funnelkit) if not n.startswith("_")}
    modules = {n for n, v in vars(funnelkit).items() if type(v).__name__ == "module"}
    assert public - modules == set(funnelkit.__all__)


def test_every_all_name_exists():
    for name in funnelkit.__all__:
        assert hasattr(funnelkit, name), name


def test_importing_funnelkit_reads_no_files_sets_up_no_logging_and_loads_no_chart_library(
    tmp_path,
):
    # one fresh interpreter for both checks: starting one costs seconds
    code = (
        "import builtins, logging, sys\n"
        "opened = []\n"
        "real_open = builtins.open\n"
        "builtins.open = lambda f, *a, **k: (opened.append(str(f)), real_open(f, *a, **k))[1]\n"
        "import funnelkit\n"
        "mine = [f for f in opened if 'funnelkit' in f and not f.endswith('.py')]\n"
        "assert mine == [], mine\n"
        "assert logging.getLogger().handlers == []\n"
        "import funnelkit.present.svg_charts, funnelkit.present.explorer\n"
        "loaded = sorted(m for m in ('matplotlib', 'nbconvert', 'papermill') if m in sys.modules)\n"
        "assert loaded == [], loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)


def test_no_module_uses_bare_except_or_star_imports(root):
    for path in sorted((root / "funnelkit").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            assert not (isinstance(node, ast.ExceptHandler) and node.type is None), (
                f"bare except in {path.name}"
            )
            assert not (
                isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names)
            ), path.name


def test_every_raise_in_funnelkit_raises_a_funnelkit_error(root):
    allowed = {
        name
        for name, value in vars(funnelkit.core.exceptions).items()
        if isinstance(value, type) and issubclass(value, funnelkit.core.exceptions.FunnelkitError)
    }
    for path in sorted((root / "funnelkit").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and node.exc is not None:
                exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                name = getattr(exc, "id", None)
                assert name in allowed, f"{path.name}:{node.lineno} raises {name}"
