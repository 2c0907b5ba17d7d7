"""Reports safe by construction: a plan whose every piece of user text (title, currency, stage
labels, cadence channels, goal and definition text, sources and owners in the export) holds
script, event handlers, a `javascript:` Markdown link and a Markdown image pointing at a
server this test runs on 127.0.0.1. Rendered to HTML and PDF and opened in Chromium: no
dialog, no script, no request to the server while printing or viewing, and every payload
shown as literal text."""

from __future__ import annotations

import http.server
import subprocess
import threading
from typing import ClassVar

import pandas as pd
import pytest
import yaml
from browser_support import HOW_TO_ENABLE, browser, chromium_or_none, free_port
from conftest import ROOT, SAMPLE

from funnelkit.present.render import find_chromium, prepare, render

CHROMIUM = chromium_or_none()
pytestmark = [
    pytest.mark.browser,
    pytest.mark.render,
    pytest.mark.skipif(CHROMIUM is None, reason=HOW_TO_ENABLE),
]


class Counting(http.server.BaseHTTPRequestHandler):
    """Answers every GET with a 1×1 PNG and counts it."""

    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Counting.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    port = free_port()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Counting)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    httpd.shutdown()


def payloads(url: str, where: str) -> list[str]:
    """The attacks, each marked with the field it sits in."""
    return [
        f"<script>alert('{where}')</script>",
        f"<img src=x onerror=\"alert('{where}')\">",
        f"<svg onload=alert('{where}')>",
        f"[{where}](javascript:alert(1))",
        f"![{where}]({url}/{where}.png)",
    ]


@pytest.fixture(scope="module")
def corpus(server, tmp_path_factory):
    """The plan with the payloads in every text field, rendered to HTML and PDF:
    (reports folder, the payloads by field)."""
    folder = tmp_path_factory.mktemp("corpus")
    planted: dict[str, list[str]] = {}

    def plant(where: str) -> str:
        planted[where] = payloads(server, where)
        return " ".join(planted[where])

    export = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    export.loc[export.index[:1500], "Original Source"] = plant("source")  # a top source
    export.loc[export.index[:400], "Contact owner"] = plant("owner")
    export.to_csv(folder / "export.csv", index=False)

    goals = yaml.safe_load((ROOT / "params" / "goals" / "example.yaml").read_text())
    goals["goals"][0]["title"] = plant("goal-title")
    goals["goals"][1]["owner"] = plant("goal-owner")
    (folder / "goals.yaml").write_text(yaml.safe_dump(goals, allow_unicode=True))

    definitions = yaml.safe_load((ROOT / "params" / "definitions" / "example.yaml").read_text())
    definitions["version"] = plant("version")
    definitions["agreed_by"] = [plant("agreed-by")]
    definitions["stages"]["mql"]["fit"]["all"][0]["label"] = plant("label")
    (folder / "definitions.yaml").write_text(yaml.safe_dump(definitions, allow_unicode=True))

    plan = yaml.safe_load((ROOT / "params" / "2026-q4.yaml").read_text())
    plan["name"] = "corpus"
    plan["title"] = plant("title")
    plan["currency"] = plant("currency")
    plan["funnel"][1]["label"] = plant("stage-label")
    plan["funnel"][1]["plural"] = plant("stage-plural")
    plan["sla"]["cadence"][0]["channel"] = plant("channel")
    plan["goals"] = "goals.yaml"
    plan["definitions"] = "definitions.yaml"
    plan["actuals"] = {"export": "export.csv", "mapping": "hubspot"}
    del plan["previous_plan"], plan["next_plan"]
    (folder / "corpus.yaml").write_text(yaml.safe_dump(plan, allow_unicode=True))

    reports = folder / "reports"
    before = len(Counting.hits)
    outcomes = render(prepare([folder / "corpus.yaml"], reports), chromium=find_chromium())
    assert all(o.ok for o in outcomes), [o.message for o in outcomes]
    assert Counting.hits[before:] == []  # printing the PDFs fetched nothing
    return reports / "corpus", planted


def test_no_payload_runs_or_fetches_and_each_reads_as_text(corpus):
    folder, planted = corpus
    pages = sorted(folder.glob("*.html"))
    assert [p.stem for p in pages] == ["20-quarterly-plan", "30-monthly-review-2026-10"]
    with browser(CHROMIUM) as chromium:
        for report in pages:
            page = chromium.new_page(viewport={"width": 1280, "height": 900})
            dialogs: list[str] = []
            errors: list[str] = []
            page.on("dialog", lambda d, seen=dialogs: (seen.append(d.message), d.dismiss()))
            page.on("pageerror", lambda e, seen=errors: seen.append(str(e)))
            before = len(Counting.hits)
            page.goto(report.as_uri())
            page.wait_for_load_state("networkidle")
            text = page.locator("body").inner_text()
            scripts = page.eval_on_selector_all("script", "s => s.length")
            links = page.eval_on_selector_all(
                "a[href^='javascript']", "a => a.map(x => x.outerHTML)"
            )
            handlers = page.eval_on_selector_all("[onerror], [onload]", "e => e.length")
            page.close()
            assert dialogs == [], report.name
            assert errors == [], report.name
            assert Counting.hits[before:] == [], report.name  # viewing fetched nothing
            assert scripts == 0
            assert links == []
            assert handlers == 0
            shown = {
                where: [p for p in attacks if p not in text]
                for where, attacks in planted.items()
                if report.stem == "20-quarterly-plan" or where in ("source", "owner")
            }
            missing = {w: p for w, p in shown.items() if p and w not in ABSENT[report.stem]}
            assert missing == {}, report.name


# fields a report does not show at all (the review has no goals or definitions sections, and
# the plan lists no owners)
ABSENT = {
    "20-quarterly-plan": {"owner", "source"},
    "30-monthly-review-2026-10": set(),
}


def test_the_pdf_holds_the_payloads_as_text(corpus):
    folder, _ = corpus
    text = subprocess.run(
        ["pdftotext", str(folder / "20-quarterly-plan.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "<script>alert('title')</script>" in text  # the title, as text
    assert "[title](javascript:alert(1))" in text
