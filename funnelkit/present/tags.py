"""Figures in reports, tagged with the quantity they show: `<span data-q="coverage.ratio"
data-v="2.6354">2.6×</span>`. The reader sees only the text; a test reads the tags to check
that one name carries one value across a plan's reports."""

from __future__ import annotations

import html

from funnelkit.model.figures import check_name


class HtmlMarks:
    """Figures tagged and everything else from the user escaped: for reports (Markdown or HTML)."""

    def figure(self, name: str, value: float, text: str) -> str:
        """`text` tagged with the quantity it shows."""
        return tag(name, value, text)

    def text(self, words: str) -> str:
        """`words` escaped."""
        return html.escape(words)


HTML_MARKS = HtmlMarks()


def tag(name: str, value: float, text: str) -> str:
    """`text` (escaped) marked as showing the glossary quantity `name` with exact `value`."""
    return (
        f'<span class="fk-q" data-q="{html.escape(check_name(name))}" '
        f'data-v="{float(value)!r}">{html.escape(text)}</span>'
    )
