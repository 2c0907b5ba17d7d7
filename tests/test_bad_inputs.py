"""The corpus of bad inputs in tests/bad_inputs/: each file says on its first line the words
its error must hold. Rendered, each stops with exit status 2 and that one message, before any
notebook starts, and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT

from funnelkit.cli import main
from funnelkit.present import render as render_module

CORPUS = sorted((ROOT / "tests" / "bad_inputs").glob("*.yaml"))


def test_the_corpus_is_there():
    assert len(CORPUS) >= 18


@pytest.mark.parametrize("case", CORPUS, ids=lambda p: p.stem)
def test_a_bad_input_stops_before_any_kernel_with_one_message(
    case: Path, tmp_path, capsys, monkeypatch
):
    expect = case.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect: ")
    started: list[object] = []
    monkeypatch.setattr(render_module, "render_job", lambda *args: started.append(args))
    reports = tmp_path / "reports"
    assert main(["render", str(case), "--reports", str(reports)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"funnelkit: error: {case}: ")
    assert expect in err
    assert err.count("\n") == 1
    assert len(err) < 600
    assert started == []
    assert not reports.exists()
