"""`funnelkit explore`: the scenario explorer as a page for leaders, served by Voilà on
127.0.0.1 and opened in Debian's Chromium: no code on the page, the sliders work, a scenario
is saved beside the parameters, nothing is fetched from the internet and the console stays
clean; Ctrl-C stops the server."""

from __future__ import annotations

import signal
import urllib.error
import urllib.request

import pytest
import yaml
from browser_support import (
    HOW_TO_ENABLE,
    accessibility_problems,
    browser,
    chromium_or_none,
    dial_value,
    explore_app,
    project_copy,
    shown_targets,
    slider_latency_ms,
    type_into,
)
from conftest import ROOT, whole_by_hand

from funnelkit.model.loader import load_plan_data
from funnelkit.present.explorer import on_grid

CHROMIUM = chromium_or_none()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(CHROMIUM is None, reason=HOW_TO_ENABLE)]
SHOTS = ROOT / "build" / "screenshots"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`funnelkit explore params/example.yaml` running on a copy of the project."""
    folder = project_copy(tmp_path_factory.mktemp("app"))
    with explore_app(folder) as (url, first_line, server):
        yield folder, url, first_line, server


@pytest.fixture(scope="module")
def page(served):
    _, url, _, _ = served
    with browser(CHROMIUM) as launched:
        page = launched.new_page(viewport={"width": 1280, "height": 800})
        page.problems = []
        page.on("console", lambda m: page.problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: page.problems.append(str(e)))
        page.on("requestfailed", lambda r: page.problems.append(f"failed: {r.url}"))
        page.goto(url)
        page.wait_for_selector(".funnelkit-targets table", timeout=120_000)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / "explore-app.png")
        yield page


def test_the_command_says_where_it_serves(served):
    _, url, first_line, _ = served
    assert first_line.startswith("Serving the scenario explorer of example at ")
    assert url in first_line


def test_the_page_shows_the_plan_and_no_code(page, served):
    folder = served[0]
    start = on_grid(load_plan_data(folder / "params" / "example.yaml").params)
    rates = list(start.funnel.conversion_rates)
    expected = whole_by_hand(start.revenue_goal, start.marketing_share, start.deal_size, rates)
    assert shown_targets(page) == expected
    assert page.get_by_text("from_params_file").count() == 0  # the cells' code is not shown
    assert page.locator(".funnelkit-definition-result").count() == 1  # its definitions too


def test_a_slider_moves_the_targets_and_a_scenario_is_saved(page, served):
    folder = served[0]
    start = on_grid(load_plan_data(folder / "params" / "example.yaml").params)
    latency = slider_latency_ms(page, "goal", "ArrowRight")
    assert latency > 0
    goal = round(start.revenue_goal * 1.01)  # one step of the log scale: 1 %
    rates = list(start.funnel.conversion_rates)
    expected = whole_by_hand(goal, start.marketing_share, start.deal_size, rates)
    page.wait_for_function(
        """expected => {
            const rows = document.querySelectorAll('.funnelkit-targets table tbody tr');
            const shown = Array.from(rows).map(r => parseInt(r.cells[1].innerText.replace(/,/g, '')));
            return JSON.stringify(shown) === JSON.stringify(expected);
        }""",
        arg=expected,
        timeout=15_000,
    )
    page.locator(".funnelkit-save").click()
    saved = folder / "params" / "example-scenario.yaml"
    page.wait_for_selector(".funnelkit-status:has-text('Saved')", timeout=15_000)
    assert saved.exists()
    # one step up, to the whole unit: 341,450 × 1.01 is 344,864.5, exactly between two
    saved_goal = yaml.safe_load(saved.read_text())["revenue_goal"]
    assert abs(saved_goal - start.revenue_goal * 1.01) <= 0.5


def test_a_typed_value_works_there_too(page, served):
    start = on_grid(load_plan_data(served[0] / "params" / "example.yaml").params)
    type_into(page, "deal", f"{start.deal_size * 2:.0f}")
    rates = list(start.funnel.conversion_rates)
    goal = dial_value(page, "goal")
    expected = whole_by_hand(goal, start.marketing_share, start.deal_size * 2, rates)
    page.wait_for_function(
        "expected => JSON.stringify(Array.from(document.querySelectorAll("
        "'.funnelkit-targets table tbody tr')).map(r => parseInt(r.cells[1].innerText"
        ".replace(/,/g, '')))) === JSON.stringify(expected)",
        arg=expected,
        timeout=15_000,
    )


def test_every_control_has_a_name_and_text_has_contrast(page):
    """axe-core, the accessibility checker, on the whole page: WCAG 2 A and AA rules."""
    problems, passed = accessibility_problems(page)
    assert problems == []
    assert passed, "axe checked nothing"


def test_the_console_stays_clean(page):
    assert page.problems == []


def test_ctrl_c_stops_the_server(served, page):
    _, url, _, server = served
    server.send_signal(signal.SIGINT)
    assert server.wait(timeout=30) == 130
    assert "stopped serving the explorer" in server.stderr.read()
    with pytest.raises(urllib.error.URLError, match="Connection refused"):
        urllib.request.urlopen(url, timeout=2)
