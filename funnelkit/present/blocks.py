"""The HTML a report section is made of. Sections build their output from these blocks and
`funnelkit.present.tags.tag`, never through a Markdown renderer: Markdown would turn a user's
`[x](javascript:…)` or `![](http://…)` into a live link or a remote image even after HTML
escaping. The rule: every piece of user or data text goes in through `text` (escaped); the
blocks add only their own tags, and their arguments are markup already."""

from __future__ import annotations

import html
from collections.abc import Iterable

from IPython.display import HTML


def text(words: object) -> str:
    """User or data text, escaped for HTML."""
    return html.escape(str(words))


def para(*parts: str, cls: str = "") -> str:
    """A paragraph of markup."""
    attr = f' class="{cls}"' if cls else ""
    return f"<p{attr}>{''.join(parts)}</p>"


def note(*parts: str) -> str:
    """A paragraph saying why a section shows less than it could, set apart in italics."""
    return f'<p class="fk-note"><em>{"".join(parts)}</em></p>'


def strong(*parts: str) -> str:
    """Markup in bold."""
    return f"<strong>{''.join(parts)}</strong>"


def heading(level: int, *parts: str) -> str:
    """A heading of markup, level 1 to 4."""
    return f"<h{level}>{''.join(parts)}</h{level}>"


def bullets(items: Iterable[str]) -> str:
    """A bulleted list of markup items."""
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>"


def numbered(items: Iterable[str]) -> str:
    """A numbered list of markup items."""
    return "<ol>" + "".join(f"<li>{item}</li>" for item in items) + "</ol>"


def code(words: object) -> str:
    """A command or file name, escaped."""
    return f"<code>{text(words)}</code>"


def block(*parts: str) -> HTML:
    """Markup as one displayable block of a section."""
    return HTML("".join(parts))
