"""The workbook as people use it, in Debian's Chromium driven by Playwright: the scenario
explorer in a real JupyterLab (sliders moved with the keyboard and by dragging, the targets
checked against funnelkit, a scenario saved), and the rendered reports opened as a reader
would. Screenshots go to build/screenshots/ (git-ignored). Without a Chromium every test
here is skipped with a message saying how to enable them."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess

import pytest
from browser_support import (
    HOW_TO_ENABLE,
    accessibility_problems,
    browser,
    chromium_or_none,
    dial_value,
    jupyterlab,
    open_explorer,
    open_notebook,
    project_copy,
    shown_targets,
    slider,
    slider_latency_ms,
    type_into,
)
from conftest import ESCAPING_TITLE, ROOT, whole_by_hand

from funnelkit import build_plan, load_params
from funnelkit.model.loader import load_plan_data
from funnelkit.present.explorer import on_grid

CHROMIUM = chromium_or_none()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(CHROMIUM is None, reason=HOW_TO_ENABLE)]
SHOTS = ROOT / "build" / "screenshots"


@pytest.fixture(scope="module")
def chromium():
    with browser(CHROMIUM) as launched:
        yield launched


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with jupyterlab(project_copy(tmp_path_factory.mktemp("lab"))) as running:
        yield running


@pytest.fixture(scope="module")
def explorer(lab, chromium):
    """The explorer open in JupyterLab with all cells run; console errors collected."""
    page = chromium.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_explorer(page, lab)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(".funnelkit-rate-0").scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "explorer-controls.png")
    yield page, errors
    page.close()


@pytest.fixture(scope="module")
def start(lab):
    """The parameters the explorer starts from: the plan it is opened on, to the dials'
    precision."""
    return on_grid(load_plan_data(lab.folder / "params" / "example.yaml").params)


def expected_with(start, **moved) -> list[int]:
    rates = list(start.funnel.conversion_rates)
    for i in range(len(rates)):
        rates[i] = moved.get(f"rate-{i}", rates[i])
    return whole_by_hand(
        moved.get("goal", start.revenue_goal),
        moved.get("share", start.marketing_share),
        moved.get("deal", start.deal_size),
        rates,
    )


def wait_for_targets(page, expected: list[int]) -> None:
    page.wait_for_function(
        """expected => {
            const rows = document.querySelectorAll('.funnelkit-targets table tbody tr');
            const shown = Array.from(rows).map(r => parseInt(r.cells[1].innerText.replace(/,/g, '')));
            return JSON.stringify(shown) === JSON.stringify(expected);
        }""",
        arg=expected,
        timeout=15_000,
    )


def test_the_explorer_starts_at_the_plan(explorer, start):
    page, _ = explorer
    assert shown_targets(page) == build_plan(start).targets.whole.astype(int).tolist()
    assert shown_targets(page) == expected_with(start)


def test_a_slider_moved_with_the_keyboard_updates_the_targets(explorer, start):
    page, _ = explorer
    before = shown_targets(page)
    slider(page, "rate-1").focus()
    for _ in range(20):  # 20 steps of 0.1 %: +2 points of mql→sql
        page.keyboard.press("ArrowRight")
    rate = dial_value(page, "rate-1")
    assert rate == pytest.approx(start.funnel.conversion_rates[1] + 0.02, abs=0.0011)
    expected = expected_with(start, **{"rate-1": rate})
    wait_for_targets(page, expected)
    assert shown_targets(page) != before
    page.locator(".funnelkit-targets").scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "explorer-keyboard.png")


def test_a_slider_dragged_updates_the_targets_and_the_chart(explorer, start):
    page, _ = explorer
    chart_before = page.locator(".funnelkit-chart-funnel").inner_html()
    track = slider(page, "goal")
    track.scroll_into_view_if_needed()
    box = track.bounding_box()  # the goal starts in the middle of its log scale: grab it there
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y, steps=8)
    page.mouse.up()
    page.wait_for_function(
        "before => document.querySelector('.funnelkit-goal .funnelkit-dial-typed').value"
        " !== before",
        arg=f"{start.revenue_goal:.0f}",
    )
    goal = dial_value(page, "goal")
    assert goal > start.revenue_goal
    moved = {"goal": goal, "rate-1": dial_value(page, "rate-1")}
    wait_for_targets(page, expected_with(start, **moved))
    page.wait_for_function(
        "before => document.querySelector('.funnelkit-chart-funnel').innerHTML !== before",
        arg=chart_before,
        timeout=15_000,
    )
    svg = page.locator(".funnelkit-chart-funnel svg")
    assert f"what ${goal:,.0f} needs" in svg.locator("title").text_content()
    page.locator(".funnelkit-chart-funnel").scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "explorer-drag.png")


def test_save_scenario_writes_the_shown_scenario(explorer, lab, start):
    page, _ = explorer
    name = page.locator(".funnelkit-name input")
    name.fill("browser-scenario")
    name.press("Enter")
    page.locator(".funnelkit-save").click()
    page.wait_for_function(
        "() => document.querySelector('.funnelkit-status').innerText.includes('Saved')",
        timeout=15_000,
    )
    saved = load_params(lab.folder / "params" / "browser-scenario.yaml")
    assert saved.name == "browser-scenario"
    assert saved.revenue_goal == pytest.approx(dial_value(page, "goal"))
    assert saved.funnel.conversion_rates[1] == pytest.approx(dial_value(page, "rate-1"))
    assert saved.funnel.conversion_rates[0] == pytest.approx(start.funnel.conversion_rates[0])
    assert build_plan(saved).targets.whole.astype(int).tolist() == shown_targets(page)
    expected = dataclasses.replace(start, name="browser-scenario")
    assert saved.sla == expected.sla


def shown_columns(page) -> dict[str, list[str]]:
    """The explorer's targets table by column header, as shown."""
    return page.evaluate(
        """() => {
            const table = document.querySelector('.funnelkit-targets table');
            const heads = Array.from(table.querySelectorAll('thead th')).map(h => h.innerText);
            const rows = Array.from(table.querySelectorAll('tbody tr'));
            return Object.fromEntries(heads.map((h, i) => [h, rows.map(r => r.cells[i].innerText)]));
        }"""
    )


def expected_shown(page, start) -> list[int]:
    """The targets by hand for the money, share and rates the dials show now."""
    names = ["goal", "share", "deal", *(f"rate-{i}" for i in range(len(start.funnel.steps)))]
    return expected_with(start, **{n: dial_value(page, n) for n in names})


def test_a_typed_value_moves_the_slider_and_the_targets(explorer, start):
    page, _ = explorer
    type_into(page, "rate-0", "41.27")  # percent; kept to a tenth of a point
    page.wait_for_function(
        "() => document.querySelector('.funnelkit-rate-0 .funnelkit-dial-typed').value === '41.3'"
    )
    assert slider(page, "rate-0").input_value() == str(round((0.413 - 0.001) / 0.001))
    assert slider(page, "rate-0").get_attribute("aria-valuetext") == "41.3 %"
    wait_for_targets(page, expected_shown(page, start))
    assert shown_targets(page) == expected_with(
        start, **{"rate-0": 0.413, "rate-1": dial_value(page, "rate-1"), "goal": dial_value(page, "goal")}
    )  # fmt: skip
    type_into(page, "reps", "0.3")  # part-time by typing; the slider moves in whole people
    page.wait_for_function(  # too few for any month's hand-offs: the headline says so
        "() => document.querySelector('.funnelkit-headline').innerText.includes('0.3 on the team')"
    )
    assert slider(page, "reps").input_value() == "0"  # below its whole first person: its end
    assert slider(page, "reps").get_attribute("aria-valuetext") == "0.3 people"
    type_into(page, "reps", "-4")  # below what can be typed: held at the least
    page.wait_for_function(
        "() => document.querySelector('.funnelkit-reps .funnelkit-dial-typed').value === '0.1'"
    )
    page.locator(".funnelkit-controls").evaluate("el => el.scrollTo(0, 0)")
    page.screenshot(path=SHOTS / "explorer-typed.png")


def test_a_pinned_scenario_stays_beside_the_next(explorer, start):
    page, _ = explorer
    before = shown_targets(page)
    page.locator(".funnelkit-pin").click()
    page.wait_for_selector(".funnelkit-targets th:has-text('pinned')", timeout=15_000)
    type_into(page, "deal", f"{start.deal_size * 2:.0f}")
    wait_for_targets(page, expected_shown(page, start))
    columns = shown_columns(page)
    assert list(columns) == ["stage", "needed", "pinned", "plan", "history", "vs plan"]
    assert [int(v.replace(",", "")) for v in columns["pinned"]] == before
    assert [int(v.replace(",", "")) for v in columns["plan"]] == expected_with(start)
    assert shown_targets(page) != before
    legend = page.locator(".funnelkit-chart-funnel svg text").all_text_contents()
    assert {"pinned", "plan", "history"} <= set(legend)
    page.locator(".funnelkit-results").scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "explorer-pinned.png")
    page.locator(".funnelkit-unpin").click()
    page.wait_for_function(
        "() => !document.querySelector('.funnelkit-targets').innerText.includes('pinned')"
    )


def test_every_control_is_reached_by_tab_and_moved_with_the_keyboard(explorer):
    page, _ = explorer
    slider(page, "goal").focus()
    active = (
        "() => [...document.activeElement.closest('.funnelkit-dial').classList]"
        ".find(c => /^funnelkit-(goal|share|deal)$/.test(c)) + ' ' + document.activeElement.type"
    )
    seen = [page.evaluate(active)]
    for _ in range(3):
        page.keyboard.press("Tab")
        seen.append(page.evaluate(active))
    assert seen == ["funnelkit-goal range", "funnelkit-goal number", "funnelkit-share range",
                    "funnelkit-share number"]  # fmt: skip
    share = dial_value(page, "share")
    page.keyboard.press("ArrowUp")  # a typed input steps by its precision: 0.1 point
    page.keyboard.press("Enter")
    page.wait_for_function(
        "before => document.querySelector('.funnelkit-share .funnelkit-dial-typed').value"
        " !== before",
        arg=f"{share * 100:g}",
    )
    assert dial_value(page, "share") == pytest.approx(share + 0.001)


def test_the_channels_tab_keeps_the_shares_whole(explorer):
    page, _ = explorer
    page.locator(".funnelkit-results .lm-TabBar-tab:has-text('Channels')").click()
    page.wait_for_selector(".funnelkit-channels table", timeout=15_000)
    before = page.locator(".funnelkit-channels").inner_text()
    slider(page, "share-0").focus()
    for _ in range(50):  # +5 points
        page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "before => document.querySelector('.funnelkit-channels').innerText !== before",
        arg=before,
        timeout=15_000,
    )
    page.wait_for_timeout(500)  # the other dials follow in the same message
    shares = page.eval_on_selector_all(
        "[class*='funnelkit-share-'] .funnelkit-dial-typed", "boxes => boxes.map(b => +b.value)"
    )
    assert sum(shares) == pytest.approx(100, abs=0.1 * len(shares))
    page.locator(".funnelkit-results").scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "explorer-channels.png")
    page.locator(".funnelkit-results .lm-TabBar-tab:has-text('Funnel')").click()


def test_every_control_has_a_name_and_text_has_contrast(explorer):
    """axe-core, the accessibility checker, on the explorer: WCAG 2 A and AA rules."""
    page, _ = explorer
    problems, _ = accessibility_problems(page, ".funnelkit-explorer")
    assert problems == []


REPORTS = [  # plans still running have a forecast fan chart; 2026-q3 (and escaping) ended
    ("example", "20-quarterly-plan", 7),  # the program plan's spend chart, the gap's waterfall
    ("2026-q3", "20-quarterly-plan", 3),  # no previous plan, so no gap to split
    ("2026-q4", "20-quarterly-plan", 6),  # the previous plan's gap waterfall too
    ("2026-q4", "30-monthly-review-2026-10", 4),  # the month's gap waterfall too
    ("escaping", "20-quarterly-plan", 3),
]


@pytest.mark.parametrize(("plan", "notebook", "charts"), REPORTS, ids=lambda v: str(v))
def test_a_report_reads_right_in_the_browser(rendered, chromium, plan, notebook, charts):
    reports, _ = rendered
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto((reports / plan / f"{notebook}.html").as_uri())
    text = page.locator("body").inner_text()
    if notebook == "20-quarterly-plan":
        params = load_params(
            ROOT / "params" / f"{plan}.yaml"
            if plan != "escaping"
            else ROOT / "params" / "2026-q3.yaml"
        )
        whole = build_plan(params).targets.whole.astype(int)
        assert f"The shared goal: ${params.revenue_goal:,.0f} of revenue" in text
        assert re.search(
            rf"Marketing owns\s+Sales owns\s+{whole[0]:,} leads\s+{whole[1]:,} MQLs", text
        )
    else:
        assert "Monthly review: October 2026" in text
    if plan in ("2026-q3", "escaping"):
        assert "The period ended on 30 Sep 2026: $325,190 won" in text
    else:
        assert "chance of reaching the goal of" in text
        alts = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.alt)")
        assert any(alt.startswith("Revenue forecast to") for alt in alts), alts
    images = page.locator("img")
    assert images.count() == charts
    widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
    assert all(w > 300 for w in widths)
    alts = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.alt)")
    assert all(alt and "No description" not in alt for alt in alts), alts
    code = (
        ".jp-CodeCell .jp-InputArea, .jp-InputPrompt, .jp-OutputPrompt"  # headings are inputs too
    )
    assert page.locator(code).count() == 0
    for code in ("Traceback", "open_workbook", "wb.show", "params_file"):
        assert code not in text
    if plan == "escaping":
        assert ESCAPING_TITLE in text  # the goal's title shown as text, not run
    assert dialogs == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"report-{plan}-{notebook}.png", full_page=True)
    page.close()


def test_results_stay_in_view_beside_the_controls(lab, chromium):
    """At 1280x800, with the first slider focused, the headline, the targets and the active
    chart are on screen beside it; the last control is reached by scrolling the controls."""
    page = chromium.new_page(viewport={"width": 1280, "height": 800})
    open_explorer(page, lab)
    # the analyst scrolls the explorer up to the top of the window, then takes the first slider
    page.locator(".funnelkit-controls").evaluate("el => el.scrollIntoView({block: 'start'})")
    slider(page, "goal").focus()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "explorer-1280x800.png")
    inside = """el => { const r = el.getBoundingClientRect();
        return r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0
            && r.right <= window.innerWidth && r.height > 0; }"""
    for part in (".funnelkit-goal", ".funnelkit-headline", ".funnelkit-targets table"):
        assert page.locator(part).evaluate(inside), f"{part} is not on screen"
    chart = page.locator(".funnelkit-chart-funnel svg")
    box = chart.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] / 2 <= 800, "the chart is below the fold"
    page.locator(".funnelkit-save").scroll_into_view_if_needed()
    assert page.locator(".funnelkit-targets table").evaluate(inside)  # the results stayed
    page.screenshot(path=SHOTS / "explorer-1280x800-scrolled.png")
    page.close()


def test_the_definition_explorer_switches_stage_in_the_widget(lab, chromium):
    page = chromium.new_page(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    open_notebook(page, lab, "15-definition-explorer.ipynb", ".funnelkit-definition-result p")
    sentence = page.locator(".funnelkit-definition-sentence")
    assert "counts as SQL" in sentence.inner_text()
    assert page.locator("text=A lead counts as SQL").count() == 1  # the sentence, once
    page.locator(".funnelkit-definition-stage select").select_option(label="MQL")
    page.wait_for_function(  # the figures follow the sentence: wait for both
        "() => document.querySelector('.funnelkit-definition-sentence').innerText"
        ".includes('counts as MQL') && document.querySelector('.funnelkit-definition-result')"
        ".innerText.includes('of the leads (3,999) qualify')",
        timeout=15_000,
    )
    page.locator(".funnelkit-definition-stage select").select_option(label="SQL")
    page.wait_for_selector(".funnelkit-dial-typed", timeout=15_000)
    assert page.locator(".funnelkit-dial-typed").first.input_value() == "3"  # a count: "3"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "definition-explorer.png")
    problems, _ = accessibility_problems(page, ".jp-OutputArea-output")
    assert problems == []
    assert errors == []
    page.close()


def test_slider_latency_can_be_measured(explorer):
    # the benchmark (make bench) reports the median; here only that each move is measured
    page, _ = explorer
    page.locator(".funnelkit-chart-funnel").scroll_into_view_if_needed()
    for key in ("PageUp", "PageDown", "PageUp"):
        assert slider_latency_ms(page, "rate-1", key) > 0


def test_no_cell_raised_and_the_console_is_clean(explorer):
    # last in the module: covers every move above
    page, errors = explorer
    assert page.locator(".jp-OutputArea-output[data-mime-type*='stderr']").count() == 0
    assert page.locator(".jp-OutputArea-output[data-mime-type*='error']").count() == 0
    assert errors == []


PRINT_WIDTH = 726  # CSS px inside a US Letter page's 12 mm margins (A4 is wider)


@pytest.mark.parametrize(("plan", "notebook", "charts"), REPORTS, ids=lambda v: str(v))
def test_a_report_fits_the_printed_page(rendered, chromium, plan, notebook, charts):
    reports, _ = rendered
    page = chromium.new_page(viewport={"width": PRINT_WIDTH, "height": 1000})
    page.emulate_media(media="print")
    page.goto((reports / plan / f"{notebook}.html").as_uri())
    wide = page.eval_on_selector_all(
        "body *",
        f"""els => els.filter(e => e.getBoundingClientRect().right > {PRINT_WIDTH} + 1)
                     .map(e => e.tagName + '.' + e.className + ': ' + (e.innerText || '').slice(0, 40))""",
    )
    page.close()
    assert wide == []


HEADINGS = {  # the sections' headings, as the notebooks give them to wb.show
    title
    for name in ("20-quarterly-plan", "30-monthly-review")
    for cell in json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text())["cells"]
    for title in re.findall(r'^wb\.show\(.*, "(.+)"\)$', "".join(cell["source"]), re.M)
}


@pytest.mark.parametrize(("plan", "notebook", "charts"), REPORTS, ids=lambda v: str(v))
def test_every_printed_page_has_its_footer_and_no_page_ends_with_a_heading(
    rendered, plan, notebook, charts
):
    reports, _ = rendered
    pdf = reports / plan / f"{notebook}.pdf"
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = [p for p in text.split("\f") if p.strip()]
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        footer = lines[-1]
        assert footer.endswith(f"page {number} of {len(pages)}"), (number, footer)
        assert " · actuals to 31 Oct 2026" in footer
        body = lines[:-1]
        assert body, number
        last = body[-1]
        assert len(HEADINGS) >= 10
        assert not any(last.startswith(h[:30]) for h in HEADINGS), (number, last)
