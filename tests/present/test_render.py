"""Rendering: bad inputs stop the run before any kernel starts (exit 2, no report written);
every bundled plan renders through papermill to a clean meeting report; a notebook that
fails keeps the previous report and saves the failed run beside it (exit 1)."""

from __future__ import annotations

import base64
import json
import logging
import re
import shutil

import nbformat
import pytest
from conftest import ROOT, example_with_goals, untagged

from funnelkit import ParamsError, build_plan, load_params
from funnelkit.cli import main
from funnelkit.present import render as render_module
from funnelkit.present.render import find_chromium, prepare

PLANS = sorted((ROOT / "params").glob("*.yaml"))


def edited(tmp_path, old: str, new: str, source: str = "2026-q3.yaml"):
    """A copy of a bundled plan with one text replaced, its paths still pointing home."""
    text = (ROOT / "params" / source).read_text()
    assert old in text
    text = text.replace(old, new).replace("../data/", f"{ROOT}/data/")
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("deal_size:", "deal_sise:", "'deal_sise' is not a known key (did you mean 'deal_size'?)"),
        (
            "revenue_goal: 300000",
            "revenue_goal: lots",
            "'revenue_goal' must be a number (got 'lots')",
        ),
        (
            "marketing_share: 0.82",
            "marketing_share: 1.5",
            "'marketing_share' must be in [0, 1] (got 1.5)",
        ),
        (
            "hubspot-contacts.csv",
            "missing.csv",
            "actuals: 'export' names a file that does not exist: {root}/data/sample/missing.csv",
        ),
        (
            "revenue_goal: 300000",
            'revenue_goal: "300000"',
            "'revenue_goal' must be a number written without quotes (got '300000', which is text)",
        ),
        ("months: 3", "months: 100000", "period: 'months' must be at most 36: plan a longer span"),
        (
            "conversion_rate: 0.33",
            "conversion_rate: 0.0000001",
            "funnel: 'conversion_rate' of stage 'lead' must be at least 1e-06",
        ),
        ("  start: 2026-07", "  start: 2026-13", "period: 'start'"),
    ],
)
def test_bad_parameters_exit_2_before_any_kernel_and_write_nothing(
    tmp_path, capsys, monkeypatch, old, new, message
):
    kernels: list[object] = []
    monkeypatch.setattr(render_module, "render_job", lambda *a: kernels.append(a))
    path = edited(tmp_path, old, new)
    reports = tmp_path / "reports"
    status = main(["render", str(path), "--reports", str(reports)])
    assert status == 2
    err = capsys.readouterr().err
    assert f"funnelkit: error: {path}: {message.format(root=ROOT)}" in err
    assert err.count("\n") == 1  # one line
    assert not reports.exists()
    assert kernels == []  # no notebook was started


def test_a_goal_scope_the_export_cannot_match_stops_before_any_kernel(
    tmp_path, capsys, monkeypatch
):
    kernels: list[object] = []
    monkeypatch.setattr(render_module, "render_job", lambda *a: kernels.append(a))
    goals = (ROOT / "params" / "goals" / "example.yaml").read_text()
    goals = goals.replace(
        "    metric: volume:mql\n", "    metric: volume:mql\n    scope: {region: EMEA}\n", 1
    )
    path = example_with_goals(tmp_path, goals)
    assert main(["render", str(path), "--reports", str(tmp_path / "reports")]) == 2
    err = capsys.readouterr().err
    assert (
        f"funnelkit: error: {path}: actuals: {tmp_path / 'goals.yaml'}: goal marketing-mqls: "
        "'scope' key must be one of"
    ) in err
    assert "(got 'region')" in err
    assert kernels == []


def test_plans_rendered_together_must_have_different_names():
    with pytest.raises(ParamsError) as err:
        prepare([ROOT / "params" / "example.yaml", ROOT / "params" / "example.yaml"])
    assert str(err.value) == (
        f"{ROOT / 'params' / 'example.yaml'} and {ROOT / 'params' / 'example.yaml'}: 'name' "
        "must differ between plans rendered together, since reports go to reports/<name>/ "
        "(got 'example' twice)"
    )


def test_a_malformed_export_stops_the_run_with_its_rule(tmp_path):
    export = tmp_path / "export.csv"
    export.write_text('"Record ID","Created on"\n"1","2026-01-01"\n')
    path = edited(tmp_path, "../data/sample/hubspot-contacts.csv", str(export))
    with pytest.raises(ParamsError) as err:
        prepare([path])
    assert str(err.value).startswith(f"{path}: actuals: {export}: ")
    assert "'Create Date'" in str(err.value)


def test_the_monthly_review_is_planned_only_where_the_plan_holds_the_actuals():
    batch = prepare(PLANS)
    labels = [job.label for job in batch.jobs]
    assert labels == [
        "2026-q3/20-quarterly-plan",
        "2026-q4/20-quarterly-plan",
        "2026-q4/30-monthly-review-2026-10",
        "example/20-quarterly-plan",
    ]
    assert batch.notes[-1] == (
        f"{ROOT / 'params' / 'example.yaml'}: no monthly review: 2026-10 is not among the plan's "
        "months with actuals (none; actuals to 2026-10-31)"
    )


def test_every_plan_renders_through_papermill(rendered):
    reports, outcomes = rendered
    assert [o.message for o in outcomes if not o.ok] == []
    for outcome in outcomes:
        stem = outcome.job.stem
        names = {f.name for f in outcome.files}
        assert {f"{stem}.ipynb", f"{stem}.html"} <= names
        run = nbformat.read(outcome.job.out_dir / f"{stem}.ipynb", as_version=4)
        for cell in run.cells:
            for out in cell.get("outputs", []):
                assert out["output_type"] != "error", outcome.job.label
                assert out.get("name") != "stderr", (outcome.job.label, out.get("text"))
    assert not list(reports.rglob(".*"))  # no temporary folder left


def test_the_report_is_meeting_ready(rendered):
    reports, _ = rendered
    html = untagged((reports / "example" / "20-quarterly-plan.html").read_text())
    plan = build_plan(load_params(ROOT / "params" / "example.yaml"))
    assert "<title>Example plan: Q1 2027, all regions</title>" in html
    assert "The shared goal: <strong>$341,450</strong> of revenue" in html
    assert f"{int(plan.targets.whole[0]):,} leads" in html
    for code in ("open_workbook", "wb.show(", "params_file =", "analyst&#39;s note", "Traceback"):
        assert code not in html, code
    assert not re.search(r"In&nbsp;\[|Out\[\d", html)
    assert (
        html.count('src="data:image/png;base64,') == 7
    )  # forecast fan, funnel, months, program spend, last quarter, its gap waterfall, tornado
    assert "cdnjs" not in html  # opens offline
    assert "<script src=" not in html
    review = (reports / "2026-q4" / "30-monthly-review-2026-10.html").read_text()
    assert "Monthly review: October 2026" in review


def test_the_headline_cell_shows_the_plan_figures(rendered):
    reports, _ = rendered
    run = nbformat.read(reports / "2026-q4" / "20-quarterly-plan.ipynb", as_version=4)
    plan = build_plan(load_params(ROOT / "params" / "2026-q4.yaml"))
    headline = next(c for c in run.cells if c.source == "wb.show(wb.headline(book))")
    assert "text/markdown" not in headline.outputs[0]["data"]  # HTML, never Markdown
    text = untagged(headline.outputs[0]["data"]["text/html"])
    whole = dict(zip(plan.targets.funnel.stages, plan.targets.whole, strict=True))
    assert "The shared goal: <strong>$340,000</strong> of revenue" in text
    assert f"{int(whole['mql']):,} MQLs" in text
    assert f"{int(whole['won']):,} customers" in text
    injected = [c for c in run.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert json.dumps(str(ROOT / "params" / "2026-q4.yaml")) in injected[0].source


def test_the_pdf_is_printed_when_a_chromium_is_present(rendered):
    reports, _ = rendered
    if find_chromium() is None:
        pytest.skip("no Chromium: install Debian's chromium package to print PDF reports")
    pdf = (reports / "example" / "20-quarterly-plan.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 50_000  # text and charts, not an empty page


def test_a_failed_run_keeps_the_last_good_report(rendered, tmp_path, capsys):
    reports_before, _ = rendered
    reports = tmp_path / "reports"
    shutil.copytree(reports_before / "example", reports / "example")
    good = (reports / "example" / "20-quarterly-plan.html").read_bytes()
    notebooks = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks)
    nb = nbformat.read(notebooks / "20-quarterly-plan.ipynb", as_version=4)
    target = next(c for c in nb.cells if c.source.startswith("wb.show(wb.sla(book)"))
    target.source = 'raise RuntimeError("the SLA table broke")'
    nbformat.write(nb, notebooks / "20-quarterly-plan.ipynb")
    status = main(
        [
            "render",
            str(ROOT / "params" / "example.yaml"),
            "--reports",
            str(reports),
            "--notebooks",
            str(notebooks),
            "--no-pdf",
        ]
    )
    assert status == 1
    err = capsys.readouterr().err
    failed = reports / "example" / "20-quarterly-plan.failed.ipynb"
    # code cell 7: parameters, injected parameters, open, headline, outlook, targets, SLA
    assert (
        f"funnelkit: error: {ROOT / 'params' / 'example.yaml'}: 20-quarterly-plan failed: cell "
        f"7 raised RuntimeError: the SLA table broke (failed notebook: {failed}; the previous "
        "report is kept)"
    ) in err
    assert (reports / "example" / "20-quarterly-plan.html").read_bytes() == good
    assert failed.is_file()
    assert not [p for p in (reports / "example").iterdir() if p.name.startswith(".")]


def test_images_in_the_report_are_real_pngs(rendered):
    reports, _ = rendered
    html = (reports / "2026-q4" / "30-monthly-review-2026-10.html").read_text()
    blobs = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(blobs) >= 2
    assert all(base64.b64decode(b).startswith(b"\x89PNG") for b in blobs)


def test_a_render_without_pdf_removes_the_pdf_it_no_longer_matches(tmp_path, caplog, capfd):
    caplog.set_level(logging.INFO)
    folder = tmp_path / "reports" / "2026-q3"
    folder.mkdir(parents=True)
    (folder / "20-quarterly-plan.pdf").write_bytes(b"%PDF-1.4 an older report")
    params = str(ROOT / "params" / "2026-q3.yaml")
    assert main(["render", params, "--reports", str(tmp_path / "reports"), "--no-pdf"]) == 0
    assert sorted(p.name for p in folder.iterdir()) == [
        "20-quarterly-plan.html",
        "20-quarterly-plan.ipynb",
    ]
    logged = caplog.text
    assert "PDF not asked for (--no-pdf): an earlier PDF of each report is removed" in logged
    assert "Input Notebook" not in logged  # no papermill chatter without --verbose
    assert "IPKernelApp" not in capfd.readouterr().err  # nor the kernel process's own log


def test_reports_call_stages_by_their_display_names(rendered):
    """A plan naming its stages 'Inquiry', 'Deal', …: no report shows an id instead (the ids
    stay only inside the figure tags' names), neither in the text nor in the charts' titles."""
    reports, _ = rendered
    pages = sorted((reports / "labelled").glob("*.html"))
    assert [p.stem for p in pages] == ["20-quarterly-plan", "30-monthly-review-2026-10"]
    for page in pages:
        html = untagged(page.read_text(encoding="utf-8"))
        body = html[html.index("<body") :]
        visible = re.sub(r'data-q="[^"]*"', "", body)
        ids = re.findall(r"\b(?:mql|sql|opportunit\w*)\b", visible, flags=re.IGNORECASE)
        assert ids == [], (page.name, ids[:5])
        assert "Inquiries" in visible
        assert "Marketing-ready contacts" in visible


def _thread_probe(tmp_path, name: str) -> render_module.Job:
    """A job whose one cell prints the threads its kernel was given."""
    from nbformat.v4 import new_code_cell, new_notebook

    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb = new_notebook(metadata={"kernelspec": kernel})
    nb.cells.append(
        new_code_cell(
            'import os, pyarrow\nprint(os.environ.get("OMP_NUM_THREADS"), pyarrow.cpu_count())'
        )
    )
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, path)
    return render_module.Job(ROOT / "params" / "example.yaml", name, path, {}, tmp_path / name)


def _threads_seen(outcome) -> str:
    run = nbformat.read(next(f for f in outcome.files if f.suffix == ".ipynb"), as_version=4)
    return run.cells[0].outputs[0]["text"].strip()


def test_workers_side_by_side_share_the_cores_and_a_set_thread_count_is_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(render_module.os, "cpu_count", lambda: 4)  # the share workers get
    jobs = [_thread_probe(tmp_path, f"probe{i}") for i in range(2)]
    together = render_module.render(render_module.Batch(jobs), workers=2)
    assert [_threads_seen(o) for o in together] == ["2 2", "2 2"]
    alone = render_module.render(render_module.Batch(jobs[:1]), workers=1)
    assert _threads_seen(alone[0]).startswith("None ")  # one at a time: nothing set
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    kept = render_module.render(render_module.Batch(jobs), workers=2)
    assert [_threads_seen(o) for o in kept] == ["3 3", "3 3"]
