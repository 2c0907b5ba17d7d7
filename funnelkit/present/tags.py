"""Figures in reports, tagged with the quantity they show: `<span data-q="coverage.ratio"
data-v="2.6354">2.6×</span>`. The reader sees only the text; a test reads the tags to check
that one name carries one value across a plan's reports."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import pandas as pd

from funnelkit.model.figures import check_name


class HtmlMarks:
    """Figures tagged and everything else from the user escaped: for reports (Markdown or HTML)."""

    def figure(self, name: str, value: float, text: str) -> str:
        """`text` tagged with the quantity it shows."""
        return tag(name, value, text)

    def text(self, words: str) -> str:
        """`words` escaped."""
        return html.escape(words)

    def strong(self, marked: str) -> str:
        """`marked` (already escaped) in bold."""
        return f"<strong>{marked}</strong>"


HTML_MARKS = HtmlMarks()


def tag(name: str, value: float, text: str) -> str:
    """`text` (escaped) marked as showing the glossary quantity `name` with exact `value`."""
    return (
        f'<span class="fk-q" data-q="{html.escape(check_name(name))}" '
        f'data-v="{float(value)!r}">{html.escape(text)}</span>'
    )


def tagged_table(
    frame: pd.DataFrame,
    tagged: Mapping[str, Sequence[tuple[str, float] | None]],
    classes: str,
) -> str:
    """`frame` as an HTML table (no index) with every header and cell escaped; each cell of a
    column in `tagged` marked with the quantity given for its row as (name, exact value), or
    left untagged where the row's mark is None."""
    cells = frame.map(lambda v: html.escape(_cell(v)))
    for column, marks in tagged.items():
        cells[column] = [
            html.escape(_cell(text)) if mark is None else tag(mark[0], mark[1], _cell(text))
            for mark, text in zip(marks, frame[column], strict=True)
        ]
    cells.columns = [html.escape(str(c)) for c in frame.columns]
    return cells.to_html(index=False, escape=False, border=0, classes=classes)


def _cell(value: object) -> str:
    """A cell's text as pandas writes it in a table ('NaN' for a missing value)."""
    return "NaN" if value is None or (isinstance(value, float) and value != value) else str(value)
