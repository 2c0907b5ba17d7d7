"""Render plans to reports: each parameters file's quarterly plan (and its monthly review, when
the plan's months hold the export's as-of day) run with papermill and written to
``reports/<plan name>/<notebook>.ipynb``, ``.html`` and, with a Chromium, ``.pdf``.

Everything that can be checked is checked before any kernel starts (parameters, the files
they name, the CRM exports, the goals, the previous plan): a bad input stops the whole run
with a `FunnelkitError`. A notebook that fails while running leaves the previous report in
place, is saved beside it as ``<notebook>.failed.ipynb``, and is reported with its cell and
error. Files are written into a temporary folder and moved into place only when all of a
notebook's outputs are ready.
"""

from __future__ import annotations

import concurrent.futures as futures
import importlib.resources
import logging
import multiprocessing
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from funnelkit.actuals.review import months_with_actuals
from funnelkit.core.exceptions import InputError, ParamsError, RenderError
from funnelkit.core.validation import short
from funnelkit.model.loader import TableCache, load_plan_data
from funnelkit.plan.params import load_params

PLAN_NOTEBOOK = "20-quarterly-plan"
REVIEW_NOTEBOOK = "30-monthly-review"
# Shipped as package data (in a source checkout, funnelkit/present/notebooks links to notebooks/)
NOTEBOOKS = Path(str(importlib.resources.files("funnelkit.present") / "notebooks"))
TEMPLATES = Path(str(importlib.resources.files("funnelkit.present") / "templates"))
HIDDEN_TAGS = ("analyst-note", "parameters", "injected-parameters")  # cells left out of HTML
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_ENV = "FUNNELKIT_CHROMIUM"  # the path of a Chromium to print PDFs with
KERNEL = "python3"
KERNEL_START_SECONDS = 120
PDF_SECONDS = 120
log = logging.getLogger("funnelkit.present.render")


@dataclass(frozen=True)
class Job:
    """One notebook to run for one plan."""

    params_file: Path  # absolute
    plan: str  # the plan's name: reports go to <reports>/<plan>/
    notebook: Path  # the notebook to run
    parameters: dict[str, object]  # the notebook parameters to inject
    out_dir: Path
    footer: str = ""  # what runs along the foot of each printed page

    @property
    def stem(self) -> str:
        """The report files' name: the notebook's, with the month a monthly review covers, so
        one month's review does not overwrite another's."""
        month = self.parameters.get("month")
        return f"{self.notebook.stem}-{month}" if month else self.notebook.stem

    @property
    def label(self) -> str:
        return f"{self.plan}/{self.stem}"


@dataclass(frozen=True)
class Outcome:
    """What rendering one job did."""

    job: Job
    ok: bool
    seconds: float
    files: tuple[Path, ...] = ()  # the report files written (on success)
    message: str = ""  # on failure: where and what
    warnings: tuple[str, ...] = ()  # what the kernel wrote to stderr, kept out of the report


@dataclass
class Batch:
    """The jobs to run, and the notes on what was left out and why."""

    jobs: list[Job] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _notebook_parameters(path: Path) -> set[str]:
    import papermill

    if not path.is_file():
        raise ParamsError(f"{path}: the notebook to render does not exist")
    return set(papermill.inspect_notebook(str(path)))


def _check_parameters(notebook: Path, given: dict[str, object], declared: set[str]) -> None:
    unknown = sorted(set(given) - declared)
    if unknown:
        raise ParamsError(
            f"{notebook}: parameters {', '.join(map(repr, unknown))} must be declared in its "
            f"'parameters' cell (it declares {', '.join(sorted(declared))})"
        )


def prepare(
    params_files: list[str | Path],
    reports_dir: str | Path = "reports",
    notebooks_dir: str | Path = NOTEBOOKS,
    as_of: str = "",
    month: str = "",
    show_lead_rows: bool = False,
) -> Batch:
    """Check every parameters file and what it names, and list the notebooks to run.

    Raises a FunnelkitError naming the file, field, rule and value on the first bad input."""
    notebooks_dir = Path(notebooks_dir).resolve()
    plan_nb = notebooks_dir / f"{PLAN_NOTEBOOK}.ipynb"
    review_nb = notebooks_dir / f"{REVIEW_NOTEBOOK}.ipynb"
    declared = {nb: _notebook_parameters(nb) for nb in (plan_nb, review_nb)}
    batch = Batch()
    seen: dict[str, Path] = {}  # plan name -> the parameters file naming it
    tables: TableCache = {}  # plans on one export read it once
    for path in params_files:
        path = Path(path)
        data = load_plan_data(path, tables)
        params, table = data.params, data.table
        if params.name in seen:
            raise ParamsError(
                f"{seen[params.name]} and {path}: 'name' must differ between plans rendered "
                f"together, since reports go to reports/<name>/ (got {short(params.name)} twice)"
            )
        seen[params.name] = path
        common = {"params_file": str(path.resolve()), "as_of": as_of}
        out_dir = Path(reports_dir) / params.name
        jobs = [(plan_nb, {**common, "show_lead_rows": show_lead_rows})]
        if table is None:
            batch.notes.append(f"{path}: no monthly review: the parameters name no actuals")
        else:
            months = months_with_actuals(data.plan, table)
            wanted = month or f"{table.as_of:%Y-%m}"
            if wanted in months:
                jobs.append(
                    (review_nb, {**common, "month": wanted, "show_lead_rows": show_lead_rows})
                )
            else:
                batch.notes.append(
                    f"{path}: no monthly review: {wanted} is not among the plan's months with "
                    f"actuals ({', '.join(months) or 'none'}; actuals to {table.as_of:%Y-%m-%d})"
                )
        actuals = f"actuals to {table.as_of:%d %b %Y}" if table is not None else "no actuals"
        for notebook, parameters in jobs:
            _check_parameters(notebook, parameters, declared[notebook])
            what = (
                f"monthly review {pd.Period(str(parameters['month']), 'M'):%B %Y}"
                if "month" in parameters
                else "quarterly plan"
            )
            footer = f"{params.title} · {what} · {actuals}"
            batch.jobs.append(
                Job(path.resolve(), params.name, notebook, parameters, out_dir, footer)
            )
    return batch


def find_chromium() -> str | None:
    """A Chromium to print PDFs with: $FUNNELKIT_CHROMIUM, else one on the PATH, else None."""
    given = os.environ.get(CHROMIUM_ENV)
    if given:
        if not (Path(given).is_file() and os.access(given, os.X_OK)):
            raise InputError(
                f"'{CHROMIUM_ENV}' must name an executable Chromium (got {short(given)})"
            )
        return given
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def css_string(text: str) -> str:
    """`text` as the inside of a CSS string: quotes, backslashes, line ends and '<' escaped."""
    return (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", " ")
        .replace("\r", " ")
        .replace("<", "\\3c ")
    )


def kernel_warnings(notebook) -> list[str]:
    """Take the kernel's stderr output (warnings raised while computing or drawing) out of a
    run notebook, and return it: it belongs in the render log, not in the report."""
    found = []
    for cell in notebook.cells:
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                found += [line for line in out.get("text", "").splitlines() if line.strip()]
            else:
                kept.append(out)
        if "outputs" in cell:
            cell["outputs"] = kept
    return found


def html_report(notebook_path: Path, title: str, footer: str = "") -> tuple[str, list[str]]:
    """A run notebook as a meeting report: no code, no prompts, analyst notes left out, the
    kernel's warnings taken out; `footer` runs along the foot of every printed page. Returns
    the HTML and the warnings."""
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(
        template_name="report",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags=set(HIDDEN_TAGS)), enabled=True
    )
    notebook = nbformat.read(notebook_path, as_version=4)
    warnings = kernel_warnings(notebook)
    body, _ = exporter.from_notebook_node(
        notebook, resources={"metadata": {"name": title}, "funnelkit_footer": css_string(footer)}
    )
    return body, warnings


def print_pdf(chromium: str, html_file: Path, pdf_file: Path) -> None:
    """Print an HTML file to PDF with headless Chromium."""
    with tempfile.TemporaryDirectory(prefix="funnelkit-chromium-") as profile:
        command = [
            chromium,
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            # no network while printing: every request goes to a proxy that does not exist,
            # loopback included, and no host name resolves
            "--proxy-server=http://0.0.0.0:9",
            "--proxy-bypass-list=<-loopback>",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--print-to-pdf={pdf_file}",
            html_file.resolve().as_uri(),
        ]
        if os.geteuid() == 0:
            command.insert(2, "--no-sandbox")  # Chromium refuses to run as root with a sandbox
        done = subprocess.run(command, capture_output=True, text=True, timeout=PDF_SECONDS)
    if done.returncode != 0 or not pdf_file.is_file() or pdf_file.stat().st_size == 0:
        raise RenderError(
            f"printing {html_file.name} to PDF with {chromium} failed "
            f"(exit status {done.returncode}: {done.stderr.strip()[-300:]})"
        )


def _ipc_kernel_manager(folder: Path) -> type:
    """A kernel manager whose kernel talks over Unix sockets in `folder` (readable by this
    user only) instead of unencrypted TCP ports on the machine, its own log silenced."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class IpcKernelManager(AsyncKernelManager):
        @default("transport")
        def _default_transport(self) -> str:
            return "ipc"

        @default("ip")
        def _default_ip(self) -> str:
            return str(folder / "kernel")

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: object) -> None:
            # the kernel process's own log ("KeyboardInterrupt caught in kernel" on shutdown)
            # is not the report's nor the reader's; cell output reaches the notebook anyway
            kw.setdefault("stdout", subprocess.DEVNULL)
            kw.setdefault("stderr", subprocess.DEVNULL)
            await super()._async_launch_kernel(kernel_cmd, **kw)

    return IpcKernelManager


OWNER_FILE = ".owner"  # in a temporary report folder: the process id of the run writing it
SOCKETS_STEM = "funnelkit-kernel"  # the system temporary folder's .funnelkit-kernel.* folders


def _alive(pid: int) -> bool:
    """Whether process `pid` runs (a zombie, ended but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc to ask: it answered the signal
    return state != "Z"


def remove_stale(out_dir: Path, stem: str) -> list[Path]:
    """Remove the temporary folders `.<stem>.*` in `out_dir` that earlier runs left behind
    (their process is gone: killed, or the machine stopped); a running render's are left."""
    removed = []
    for folder in out_dir.glob(f".{stem}.*"):
        owner = folder / OWNER_FILE
        try:
            pid = int(owner.read_text())
        except (OSError, ValueError):
            pid = 0
        if not (pid and _alive(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def render_job(job: Job, chromium: str | None) -> Outcome:
    """Run one notebook and publish its report files; never raises for a failed run, nor for
    a report folder that cannot be written (the message names the path and the reason)."""
    started = time.perf_counter()
    try:
        return _render_job(job, chromium, started)
    except OSError as err:
        where = err.filename or job.out_dir
        return Outcome(
            job,
            False,
            time.perf_counter() - started,
            message=f"{job.params_file}: {job.stem}: cannot write {where}: "
            f"{err.strerror or err}; the previous report is kept",
        )


def _render_job(job: Job, chromium: str | None, started: float) -> Outcome:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    logging.getLogger("papermill").setLevel(logging.WARNING)
    stem = job.stem
    job.out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale(job.out_dir, stem)
    tmp = Path(tempfile.mkdtemp(prefix=f".{stem}.", dir=job.out_dir))
    (tmp / OWNER_FILE).write_text(str(os.getpid()))
    remove_stale(Path(tempfile.gettempdir()), SOCKETS_STEM)  # left by runs that were killed
    sockets = Path(tempfile.mkdtemp(prefix=f".{SOCKETS_STEM}."))  # short: a socket path's limit
    (sockets / OWNER_FILE).write_text(str(os.getpid()))
    run = tmp / f"{stem}.ipynb"
    failed = job.out_dir / f"{stem}.failed.ipynb"
    try:
        try:
            papermill.execute_notebook(
                str(job.notebook),
                str(run),
                parameters=job.parameters,
                kernel_name=KERNEL,
                cwd=str(job.notebook.parent),
                progress_bar=False,
                start_timeout=KERNEL_START_SECONDS,
                kernel_manager_class=_ipc_kernel_manager(sockets),
            )
        except PapermillExecutionError as err:
            where = f"cell {err.exec_count}" if err.exec_count else f"cell #{err.cell_index + 1}"
            reason = f"{where} raised {err.ename}: {err.evalue}"
        except Exception as err:  # kernel died, timed out...: reported, never hidden
            reason = f"the run stopped: {type(err).__name__}: {err}"
        else:
            reason = ""
        if reason:
            if run.is_file():
                os.replace(run, failed)
            kept = (
                "the previous report is kept"
                if (job.out_dir / f"{stem}.html").is_file()
                else "no earlier report"
            )
            return Outcome(
                job,
                False,
                time.perf_counter() - started,
                message=f"{job.params_file}: {stem} failed: {reason} (failed notebook: "
                f"{failed if failed.is_file() else 'not written'}; {kept})",
            )
        title = load_params(job.params_file).title
        html_file = tmp / f"{stem}.html"
        body, warnings = html_report(run, title, job.footer)
        html_file.write_text(body, encoding="utf-8")
        if chromium is not None:
            print_pdf(chromium, html_file, tmp / f"{stem}.pdf")
        files = []
        for made in sorted(tmp.iterdir()):
            if made.name == OWNER_FILE:
                continue
            os.replace(made, job.out_dir / made.name)
            files.append(job.out_dir / made.name)
        failed.unlink(missing_ok=True)
        if chromium is None:  # an earlier PDF would no longer match the report
            (job.out_dir / f"{stem}.pdf").unlink(missing_ok=True)
        return Outcome(
            job, True, time.perf_counter() - started, tuple(files), warnings=tuple(warnings)
        )
    except RenderError as err:
        return Outcome(
            job, False, time.perf_counter() - started, message=f"{job.params_file}: {stem}: {err}"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(sockets, ignore_errors=True)


PARENT_POLL_SECONDS = 0.5
THREADS_ENV = "OMP_NUM_THREADS"  # threads Arrow, DuckDB and backtests take (pa.cpu_count)


def start_worker(parent: int, threads: int) -> None:
    """In a worker: give its kernels `threads` threads each (unless the caller's environment
    sets its own), so workers side by side do not each take every core; and end this process
    as soon as `parent` (the render) is gone, even killed with SIGKILL, so no worker goes on
    rendering or publishing; its kernel follows it (a kernel watches its own parent)."""
    import threading

    os.environ.setdefault(THREADS_ENV, str(threads))

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="funnelkit-parent-watch").start()


def render(batch: Batch, workers: int = 1, chromium: str | None = None) -> list[Outcome]:
    """Run a batch's jobs, `workers` at a time (separate processes when more than one, each
    kernel given its share of the cores: `start_worker`), logging each start and finish;
    returns the outcomes in the batch's order. Without a `chromium` no PDF is printed."""
    for note in batch.notes:
        log.info(note)
    total = len(batch.jobs)
    outcomes: dict[int, Outcome] = {}

    def finished(i: int, outcome: Outcome) -> None:
        outcomes[i] = outcome
        for line in outcome.warnings:
            log.warning("%s: the kernel warned: %s", outcome.job.label, line)
        what = (
            f"{', '.join(str(f) for f in outcome.files if f.suffix != '.ipynb')}"
            if outcome.ok
            else outcome.message
        )
        log.log(
            logging.INFO if outcome.ok else logging.ERROR,
            "[%d/%d] %s %s in %.1f s: %s",
            len(outcomes),
            total,
            outcome.job.label,
            "done" if outcome.ok else "FAILED",
            outcome.seconds,
            what,
        )

    if workers <= 1 or total <= 1:
        for i, job in enumerate(batch.jobs):
            log.info("started %s", job.label)
            finished(i, render_job(job, chromium))
    else:
        context = multiprocessing.get_context("spawn")  # no fork of a process holding threads
        workers = min(workers, total)
        pool = futures.ProcessPoolExecutor(
            workers,
            mp_context=context,
            initializer=start_worker,
            initargs=(os.getpid(), max(1, (os.cpu_count() or 1) // workers)),
        )
        try:
            running = {}
            for i, job in enumerate(batch.jobs):
                log.info("queued %s", job.label)
                running[pool.submit(render_job, job, chromium)] = i
            for done in futures.as_completed(running):
                finished(running[done], done.result())
        except BaseException:  # interrupted: stop the workers now, publish nothing more
            workers_left = list(getattr(pool, "_processes", {}).values())
            pool.shutdown(wait=False, cancel_futures=True)
            for process in workers_left:
                process.terminate()
            for process in workers_left:
                process.join(timeout=5)
                if process.is_alive():
                    process.kill()
            # with its workers gone the pool's own thread ends at once; waiting for it here
            # keeps it from racing the interpreter's exit (an OSError traceback at shutdown)
            pool.shutdown(wait=True)
            raise
        pool.shutdown()
    return [outcomes[i] for i in range(total)]
