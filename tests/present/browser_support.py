"""A real JupyterLab and a real Chromium for the browser tests and the latency benchmark.

`jupyterlab(folder)` starts JupyterLab on 127.0.0.1 on a free port with a made-up token,
serving a copy of the project's notebooks, parameters and sample data, with its own config,
data and runtime folders so nothing of the user's leaks in; `browser()` launches Debian's
Chromium through Playwright (Playwright's own browser download does not work here).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from funnelkit.present.render import find_chromium

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM_FLAGS = [
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOW_TO_ENABLE = (
    "no Chromium found: install Debian's chromium package (apt-get install chromium) or set "
    "FUNNELKIT_CHROMIUM to a Chromium executable to run the browser tests"
)
START_SECONDS = 90
SETTINGS = {  # JupyterLab user settings: no news pop-up, the notebook's own kernel started
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false"},
    "@jupyterlab/docmanager-extension/plugin": {"autoStartDefaultKernel": True},
}


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: where it serves and the folder it serves."""

    url: str  # e.g. http://127.0.0.1:8899
    token: str
    folder: Path  # holds notebooks/, params/ and data/sample/

    def notebook_url(self, name: str) -> str:
        """The notebook in a workspace of its own, so JupyterLab opens it alone (not beside
        the notebooks earlier pages opened) and runs commands on it."""
        workspace = name.split(".")[0]
        return f"{self.url}/lab/workspaces/{workspace}/tree/notebooks/{name}?token={self.token}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def project_copy(folder: Path) -> Path:
    """The notebooks, parameters and sample data, copied so tests may write beside them."""
    for part in ("notebooks", "params", "data/sample"):
        shutil.copytree(ROOT / part, folder / part, ignore=shutil.ignore_patterns("*.md"))
    return folder


@contextlib.contextmanager
def jupyterlab(folder: Path) -> Iterator[Lab]:
    """JupyterLab serving `folder` (see `project_copy`) until the block ends."""
    token = secrets.token_hex(16)
    port = free_port()
    home = folder / ".jupyter-home"
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
    }
    for plugin, setting in SETTINGS.items():
        path = home / "settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(setting))
    command = [
        str(BIN / "jupyter"),
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={folder}",
        "--LabApp.news_url=",  # no announcements fetched from the internet
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp runs commands
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")  # JupyterLab refuses root without it
    log = (folder / "jupyterlab.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"JupyterLab did not start; its log: {folder / 'jupyterlab.log'}"
                    ) from None
                time.sleep(0.3)
        yield Lab(url, token, folder)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@contextlib.contextmanager
def browser(chromium: str):
    """A headless Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    args = [*CHROMIUM_FLAGS, *(["--no-sandbox"] if os.geteuid() == 0 else [])]
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, args=args)
        try:
            yield launched
        finally:
            launched.close()


def chromium_or_none() -> str | None:
    """The Chromium the render command would print with, or None."""
    return find_chromium()


def open_notebook(page, lab: Lab, name: str, ready: str, timeout_ms: int = 120_000) -> None:
    """Open notebook `name`, run all its cells once the kernel is ready, and wait for the
    element `ready` (a CSS selector) to show and the kernel to be idle."""
    page.goto(lab.notebook_url(name))
    page.wait_for_selector(".jp-Notebook", timeout=timeout_ms)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status=idle]", timeout=timeout_ms)
    page.wait_for_function(
        "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
        " && window.jupyterapp.shell.currentWidget.sessionContext"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel",
        timeout=timeout_ms,
    )
    page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.ready")
    dialog = page.locator(".jp-Dialog")
    if dialog.count():  # JupyterLab may still ask which kernel; a person would click Select
        dialog.locator("button", has_text="Select").click()
    page.evaluate(
        "() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); return true; }"
    )
    page.wait_for_selector(ready, timeout=timeout_ms)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status=idle]", timeout=timeout_ms)


def open_explorer(page, lab: Lab, timeout_ms: int = 120_000) -> None:
    """Open the scenario explorer, run all its cells, and wait for the targets to show."""
    open_notebook(page, lab, "10-scenario-explorer.ipynb", ".funnelkit-targets table", timeout_ms)


def shown_targets(page) -> list[int]:
    """The 'needed' column of the explorer's targets table, as shown."""
    cells = page.eval_on_selector_all(
        ".funnelkit-targets table tbody tr", "rows => rows.map(r => r.cells[1].innerText)"
    )
    return [int(c.replace(",", "")) for c in cells]


def dial_value(page, name: str) -> float:
    """A dial's value as its typed input shows it, in the model's unit (a percentage shown is
    read as a fraction)."""
    dial = page.locator(f".funnelkit-{name}")
    shown = float(dial.locator(".funnelkit-dial-typed").input_value())
    return shown / 100 if dial.locator(".funnelkit-dial-unit").inner_text() == "%" else shown


def type_into(page, name: str, text: str) -> None:
    """Type `text` into a dial's input as a person would: select what is there, type, Enter."""
    box = page.locator(f".funnelkit-{name} .funnelkit-dial-typed")
    box.fill(text)
    box.press("Enter")


def slider(page, name: str):
    """A dial's range input (its slider)."""
    return page.locator(f".funnelkit-{name} .funnelkit-dial-range")


AXE_RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}}  # WCAG 2 A and AA


def accessibility_problems(page, context: str | None = None) -> tuple[list, int]:
    """axe-core, the accessibility checker, on the page (or the elements `context` selects):
    each rule broken as (rule, what it asks, the elements), and how many rules passed."""
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page, context=context, options=AXE_RULES).response
    broken = [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in found["violations"]]
    return broken, len(found["passes"])


LATENCY_JS = """([slider, views]) => {
    const handle = document.querySelector(`.funnelkit-${slider} .funnelkit-dial-range`);
    const watched = views.map(v => document.querySelector(`.funnelkit-${v}`));
    const seen = watched.map(() => null);
    let start = null;
    window.__funnelkitLatency = new Promise(resolve => {
        const observer = new MutationObserver(records => {
            for (const record of records) {
                watched.forEach((view, i) => {
                    if (seen[i] === null && view.contains(record.target)) {
                        seen[i] = -1;  // changed: time it at the next frame painted
                        requestAnimationFrame(() => {
                            seen[i] = performance.now();
                            if (seen.every(t => t > 0)) {
                                observer.disconnect();
                                resolve(Math.max(...seen) - start);
                            }
                        });
                    }
                });
            }
        });
        watched.forEach(v => observer.observe(v, {childList: true, subtree: true, characterData: true}));
        handle.addEventListener('keydown', () => { start = performance.now(); }, {once: true, capture: true});
        setTimeout(() => { observer.disconnect(); resolve(null); }, 10000);
    });
    return true;
}"""


def slider_latency_ms(page, name: str, key: str, views=("targets", "chart-funnel")) -> float:
    """Milliseconds from a key press on a slider to the next painted frame after every view in
    `views` changed (the targets table and the chart by default); raises if one never does."""
    page.evaluate(LATENCY_JS, [name, list(views)])
    slider(page, name).press(key)
    latency = page.evaluate("() => window.__funnelkitLatency")
    if latency is None:
        raise AssertionError(f"pressing {key} on {name} did not update {', '.join(views)}")
    return latency


@contextlib.contextmanager
def explore_app(
    folder: Path, params: str = "params/example.yaml"
) -> Iterator[tuple[str, str, subprocess.Popen]]:
    """`funnelkit explore PARAMS` serving from `folder` (see `project_copy`) until the block
    ends: its address, the first line it printed, and its process."""
    port = free_port()
    command = [sys.executable, "-m", "funnelkit.cli", "explore", params, "--port", str(port)]
    server = subprocess.Popen(
        command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        assert server.stdout is not None
        first_line = server.stdout.readline()
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    assert server.stderr is not None
                    raise RuntimeError(f"explore did not serve: {server.stderr.read()}") from None
                time.sleep(0.3)
        yield url, first_line, server
    finally:
        if server.poll() is None:
            server.kill()
