"""`funnelkit explore`: the scenario explorer (and the definition explorer, when the plan agrees
stage definitions) as a page for leaders, served by Voilà on this machine: no code, no
notebook, nothing to run by hand.

The page is a small notebook written for the plan (the explorers' lines of code, which Voilà
does not show), served with funnelkit's Voilà template: Voilà's own page without the style
sheets it would fetch from a CDN. Scenarios are saved beside the plan's parameters, as in
JupyterLab.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from funnelkit.model.loader import PlanData

DATA = Path(__file__).parent / "jupyter"  # a Jupyter data folder: voila/templates/funnelkit
TEMPLATE = "funnelkit"
HOST = "127.0.0.1"  # served to this machine only


def app_notebook(data: PlanData, params_file: Path) -> nbformat.NotebookNode:
    """The page's notebook: a line for the reader, the scenario explorer, and the definition
    explorer on the first defined stage when the plan has definitions and an export."""
    path = str(params_file.resolve())
    title = data.params.title
    cells = [
        nbformat.v4.new_markdown_cell(
            f"# {title}: what the goal asks of each team\n\n"
            "Move a slider, or type an exact value beside it, and the targets, the charts and "
            "what binds the plan follow. **Pin to compare** keeps a scenario beside the next "
            "ones; **Reset to plan** goes back to the plan; **Save scenario** keeps the "
            "scenario beside the plan's parameters, with your note of why, ready to render."
        ),
        nbformat.v4.new_code_cell(
            "from funnelkit.present.explorer import ScenarioExplorer\n\n"
            f"ScenarioExplorer.from_params_file({path!r}).widget"
        ),
    ]
    defined = data.definitions.stages if data.definitions is not None else {}
    middle = [s for s in data.params.funnel.stages[1:-1] if s in defined]
    if middle and data.table is not None:
        cells += [
            nbformat.v4.new_markdown_cell(
                "## The agreed stage definitions\n\n"
                "Switch a definition's criteria on and off and move its thresholds: how many "
                "leads would qualify, how they converted, and what the plan would then need."
            ),
            nbformat.v4.new_code_cell(
                "from funnelkit.present.definition_explorer import DefinitionExplorer\n\n"
                f"DefinitionExplorer.from_params_file({path!r}, {middle[0]!r}).widget"
            ),
        ]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    return notebook


def free_port() -> int:
    """A port no program on this machine listens on now."""
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def serve(data: PlanData, params_file: Path, port: int) -> int:
    """Serve the page on `port` until the server stops (its exit status) or this process is
    interrupted (the server is then stopped and the interrupt raised on)."""
    with tempfile.TemporaryDirectory(prefix="funnelkit-explore-") as folder:
        page = Path(folder) / f"{data.params.name}.ipynb"
        nbformat.write(app_notebook(data, params_file), page)
        paths = [str(DATA), os.environ.get("JUPYTER_PATH", "")]
        env = {**os.environ, "JUPYTER_PATH": os.pathsep.join(p for p in paths if p)}
        command = [
            sys.executable,
            "-m",
            "voila",
            str(page),
            "--no-browser",
            f"--port={port}",
            f"--Voila.ip={HOST}",
            f"--template={TEMPLATE}",
            "--Voila.log_level=WARN",
        ]
        server = subprocess.Popen(command, env=env)
        print(
            f"Serving the scenario explorer of {data.params.name} at http://{HOST}:{port}/ "
            "(open it in a browser; Ctrl-C stops it)",
            flush=True,
        )
        try:
            return server.wait()
        finally:
            if server.poll() is None:
                server.terminate()
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
