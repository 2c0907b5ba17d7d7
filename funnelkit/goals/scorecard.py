"""The goal scorecard: every goal's SMART and FAST verdicts as a table, as HTML for reports,
and as a short text.

Status reads without colour too: each cell carries a symbol and a word (✓ pass, ! warn,
✗ fail) beside a colour from the Okabe–Ito palette, which colour-blind readers can tell
apart and which prints legibly in grey. Goal text is data: in HTML it is escaped, so a title
holding `<script>` shows as text.
"""

from __future__ import annotations

import html

import pandas as pd

from funnelkit.core.marks import PLAIN, Marks
from funnelkit.goals.checks import FAST, SMART, Check, Context, check_goal, position, target_text
from funnelkit.goals.metrics import catalog
from funnelkit.goals.records import GoalSet

SYMBOLS = {"pass": "✓", "warn": "!", "fail": "✗"}  # the statuses a check gives, in order
COLOURS = {
    "pass": "#009E73",
    "warn": "#E69F00",
    "fail": "#D55E00",
}  # Okabe–Ito: green, orange, vermillion
LETTERS: tuple[tuple[str, str], ...] = tuple(("SMART", x) for x in SMART) + tuple(
    ("FAST", x) for x in FAST
)


def checks_frame(goal_set: GoalSet, context: Context) -> pd.DataFrame:
    """Every verdict, one row per goal and letter: goal, framework, letter, status, sentence."""
    checks: list[Check] = [c for g in goal_set.goals for c in check_goal(g, context)]
    return pd.DataFrame([c.__dict__ for c in checks])


def scorecard(goal_set: GoalSet, context: Context) -> pd.DataFrame:
    """One row per goal: who, what, the target, where it sits in history, and each letter's status."""
    checks = checks_frame(goal_set, context)
    units = catalog(context.table.stages)
    rows = []
    for goal in goal_set.goals:
        mine = checks[checks["goal_id"] == goal.id]
        status = {(r.framework, r.letter): r.status for r in mine.itertuples()}
        where = position(goal, context.table) if goal.metric and goal.target else None
        rows.append(
            {
                "goal": goal.id,
                "title": goal.title,
                "team": goal.team,
                "owner": goal.owner or "",
                "metric": goal.metric or "",
                "target": ""
                if goal.target is None
                else target_text(goal, units[goal.metric].unit if goal.metric else ""),
                "target_kind": None if goal.target is None else goal.target.kind,
                "target_amount": float("nan") if goal.target is None else goal.target.amount,
                "history_rank": float("nan") if where is None else where.rank,
                **{
                    f"{framework} {letter}": status[(framework, letter)]
                    for framework, letter in LETTERS
                },
                "fails": int((mine["status"] == "fail").sum()),
                "warns": int((mine["status"] == "warn").sum()),
            }
        )
    return pd.DataFrame(rows)


def status_cell(status: str) -> str:
    """A status as HTML: symbol and word on its colour, readable without the colour."""
    return (
        f'<td class="status {status}" style="background:{COLOURS[status]};color:#000;'
        f'font-weight:600;text-align:center">{SYMBOLS[status]} {status}</td>'
    )


def scorecard_html(table: pd.DataFrame, marks: Marks | None = None) -> str:
    """The scorecard as an HTML table for reports; every text from the goals is escaped, and
    with `marks` each target is marked as the figure it is ('goal_target.<id>' for a level,
    'goal_change.<id>' for a change on history)."""
    letters = [f"{framework} {letter}" for framework, letter in LETTERS]
    head = "".join(
        f"<th>{html.escape(c)}</th>" for c in ["goal", "title", "team", "owner", "target", *letters]
    )
    body = []
    for row in table.to_dict("records"):
        cells = "".join(
            f"<td>{html.escape(str(row[c]))}</td>" for c in ("goal", "title", "team", "owner")
        )
        target = html.escape(str(row["target"]))
        if marks is not None and pd.notna(row["target_amount"]):
            family = "goal_change" if row["target_kind"] == "change" else "goal_target"
            target = marks.figure(
                f"{family}.{row['goal']}", float(row["target_amount"]), str(row["target"])
            )
        cells += f"<td>{target}</td>"
        cells += "".join(status_cell(row[c]) for c in letters)
        body.append(f"<tr>{cells}</tr>")
    return f'<table class="funnelkit-scorecard"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def findings(checks: pd.DataFrame, goal_id: str, marks: Marks = PLAIN) -> list[str]:
    """Each letter of one goal that warned or failed, in words: '! SMART attainable: …';
    `marks` marks the figures each sentence states and the goals' text."""
    mine = checks[(checks["goal_id"] == goal_id) & checks["status"].isin(["warn", "fail"])]
    lines = []
    for status, framework, letter, sentence, figures in zip(
        mine["status"],
        mine["framework"],
        mine["letter"],
        mine["sentence"],
        mine["figures"],
        strict=True,
    ):
        text = marks.text(str(sentence))
        for name, value, shown, after in figures:
            said = marks.text(shown + after)
            text = text.replace(said, marks.figure(name, value, shown) + marks.text(after), 1)
        lines.append(f"{SYMBOLS[str(status)]} {framework} {letter}: {text}")
    return lines


def scorecard_text(goal_set: GoalSet, context: Context) -> str:
    """A short summary: per goal its counts, and the sentence of each letter that warned or
    failed."""
    checks = checks_frame(goal_set, context)
    lines = []
    for goal in goal_set.goals:
        mine = checks[checks["goal_id"] == goal.id]
        counts = ", ".join(f"{(mine['status'] == s).sum()} {s}" for s in ("pass", "warn", "fail"))
        lines.append(f"{goal.id} ({goal.team}): {counts}")
        lines += [f"  {line}" for line in findings(checks, goal.id)]
    return "\n".join(lines) + "\n"
