import datetime as dt

import pytest
from conftest import SAMPLE

from funnelkit import build_plan, load_params
from funnelkit.crm.leads import read_export
from funnelkit.goals.checks import Context
from funnelkit.goals.records import Goal, GoalSet, Target
from funnelkit.goals.scorecard import LETTERS, scorecard, scorecard_html, scorecard_text


@pytest.fixture(scope="module")
def context(request):
    plan = build_plan(load_params(request.config.rootpath / "params" / "example.yaml"))
    return Context(read_export(SAMPLE), plan, dt.date(2026, 11, 22))


def goals():
    return GoalSet(
        (
            Goal(
                id="a",
                title="<script>alert(1)</script> & more",
                team="shared",
                owner="CRO",
                metric="revenue",
                target=Target("change", 0.05),
                start=dt.date(2027, 1, 1),
                end=dt.date(2027, 3, 31),
            ),
            Goal(id="b", title="Do better", team="marketing"),
        )
    )


def test_scorecard_has_a_row_per_goal_and_a_column_per_letter(context):
    table = scorecard(goals(), context)
    assert list(table["goal"]) == ["a", "b"]
    assert [f"{f} {x}" for f, x in LETTERS] == [
        c for c in table.columns if c.startswith(("SMART ", "FAST "))
    ]
    assert table.loc[1, "SMART specific"] == "fail"
    assert table.loc[1, "fails"] == 6
    assert table.loc[0, "target"] == "+5%"


def test_html_escapes_goal_text_and_shows_status_in_symbols_with_a_legend(context):
    page = scorecard_html(scorecard(goals(), context))
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    # one-letter headers, explained by the legend above the table; each cell a symbol whose
    # title names the letter and the status
    assert "SMART: <b>S</b> specific, <b>M</b> measurable, <b>A</b> attainable" in page
    assert "Each cell: ✓ pass, ! warn, ✗ fail." in page
    assert 'title="SMART specific: fail"' in page
    assert '<th class="fk-letter" title="FAST transparent">T</th>' in page
    assert page.count("<tr>") == 4  # two header rows, two goals


def test_text_summary_lists_counts_and_failed_sentences(context):
    text = scorecard_text(goals(), context)
    assert text.splitlines()[0] == "a (shared): 6 pass, 1 warn, 2 fail"
    assert "b (marketing): 0 pass, 3 warn, 6 fail" in text.splitlines()
    assert "  ✗ SMART specific: It does not name a metric or a numeric target" in text
