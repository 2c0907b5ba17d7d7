"""How a sentence marks its figures and the user's text: plainly for the terminal, or as
tagged, escaped HTML for reports (`funnelkit.present.tags.HtmlMarks`). Sentence writers in
any layer take a `Marks`, so one function writes a sentence for both."""

from __future__ import annotations

from typing import Protocol


class Marks(Protocol):
    """Turns a figure or a piece of user text into the output's own form."""

    def figure(self, name: str, value: float, text: str) -> str:
        """`text` showing the glossary quantity `name` whose exact value is `value`."""
        ...

    def text(self, words: str) -> str:
        """Text from the user or the data (a title, a stage name, a currency)."""
        ...

    def strong(self, marked: str) -> str:
        """Already-marked text set in bold, where the output has bold."""
        ...


class PlainMarks:
    """Figures and text as they are: for the terminal."""

    def figure(self, name: str, value: float, text: str) -> str:
        """`text` unchanged."""
        return text

    def text(self, words: str) -> str:
        """`words` unchanged."""
        return words

    def strong(self, marked: str) -> str:
        """`marked` unchanged: the terminal has no bold."""
        return marked


PLAIN = PlainMarks()
