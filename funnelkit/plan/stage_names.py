"""What reports call the funnel's stages: a stage id ('mql') is configuration, its display
name ('MQL', plural 'MQLs') is what a reader sees. A plan's funnel may give each stage a
`label` and `plural`; otherwise well-known ids have their usual names and any other id is
written in words (underscores as spaces) with a regular English plural."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from funnelkit.plan.funnel import STEP_ARROW

KNOWN: dict[str, tuple[str, str]] = {
    "lead": ("lead", "leads"),
    "mql": ("MQL", "MQLs"),
    "sql": ("SQL", "SQLs"),
    "sal": ("SAL", "SALs"),
    "mqa": ("MQA", "MQAs"),
    "opportunity": ("opportunity", "opportunities"),
    "won": ("customer", "customers"),
    "customer": ("customer", "customers"),
    "contact": ("contact", "contacts"),
    "prospect": ("prospect", "prospects"),
}


def plural_of(label: str) -> str:
    """A regular English plural: 'opportunity' -> 'opportunities', 'MQL' -> 'MQLs'; words
    ending in 'ing' or 'ed' ('prospecting', 'converted') stay as they are."""
    if label.endswith(("ing", "ed")):
        return label
    if label.endswith("y") and label[-2:-1].lower() not in "aeiou":
        return label[:-1] + "ies"
    if label.endswith(("s", "x", "ch", "sh")):
        return label + "es"
    return label + "s"


def default_names(stage: str) -> tuple[str, str]:
    """A stage id's display name and plural by the rules above."""
    if stage.lower() in KNOWN:
        return KNOWN[stage.lower()]
    label = stage.replace("_", " ").strip()
    return label, plural_of(label)


@dataclass(frozen=True)
class StageNames:
    """Display names of a funnel's stages; ids not given fall back to `default_names`."""

    given: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # id -> (label, plural)

    def label(self, stage: str) -> str:
        """'MQL' for 'mql'."""
        return self.given.get(stage, default_names(stage))[0]

    def plural(self, stage: str) -> str:
        """'MQLs' for 'mql'."""
        return self.given.get(stage, default_names(stage))[1]

    def title(self, stage: str) -> str:
        """The label with a capital first letter, for a table row: 'Lead', 'MQL'."""
        label = self.label(stage)
        return label[:1].upper() + label[1:]

    def plural_title(self, stage: str) -> str:
        """The plural with a capital first letter, to open a sentence: 'Leads', 'MQLs'."""
        plural = self.plural(stage)
        return plural[:1].upper() + plural[1:]

    def step(self, step: str) -> str:
        """'lead→mql' as 'Lead → MQL'."""
        a, _, b = step.partition(STEP_ARROW)
        return f"{self.title(a)} → {self.label(b)}" if b else self.title(step)

    def count(self, stage: str, n: float) -> str:
        """'1 MQL', '238 MQLs'."""
        return f"{n:,.0f} {self.label(stage) if round(n) == 1 else self.plural(stage)}"


DEFAULT_NAMES = StageNames()
