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
        handoff = context.plan.sla.terms.handoff_stage if context.plan is not None else None
        where = position(goal, context.table, handoff) if goal.metric and goal.target else None
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


def status_cell(status: str, letter: str) -> str:
    """A status as HTML: its symbol on its colour (readable without the colour), the letter's
    name and the status in the cell's title."""
    return (
        f'<td class="status {status}" title="{html.escape(letter)}: {status}" '
        f'style="background:{COLOURS[status]};color:#000;font-weight:600;text-align:center">'
        f"{SYMBOLS[status]}</td>"
    )


def scorecard_legend() -> str:
    """What the scorecard's one-letter headers and symbols mean."""
    smart = ", ".join(f"<b>{x[0].upper()}</b> {x}" for x in SMART)
    fast = ", ".join(f"<b>{x[0].upper()}</b> {x}" for x in FAST)
    symbols = ", ".join(f"{SYMBOLS[s]} {s}" for s in SYMBOLS)
    return (
        f'<p class="fk-legend">SMART: {smart}. FAST: {fast}. Each cell: {html.escape(symbols)}.</p>'
    )


def scorecard_html(table: pd.DataFrame, marks: Marks | None = None) -> str:
    """The scorecard as an HTML table for reports, narrow enough for a printed page: the goal
    (id over title), team and owner, target, then one column per letter headed by its initial
    (see `scorecard_legend`). Every text from the goals is escaped, and with `marks` each target
    is marked as the figure it is ('goal_target.<id>' for a level, 'goal_change.<id>' for a
    change on history)."""
    head = (
        '<tr><th rowspan="2">goal</th><th rowspan="2">team, owner</th>'
        '<th rowspan="2">target</th>'
        f'<th colspan="{len(SMART)}" class="fk-framework">SMART</th>'
        f'<th colspan="{len(FAST)}" class="fk-framework">FAST</th></tr><tr>'
        + "".join(
            f'<th class="fk-letter" title="{framework} {letter}">{letter[0].upper()}</th>'
            for framework, letter in LETTERS
        )
        + "</tr>"
    )
    body = []
    for row in table.to_dict("records"):
        goal = (
            f'<td class="fk-goal-cell"><b>{html.escape(str(row["goal"]))}</b><br>'
            f"{html.escape(str(row['title']))}</td>"
        )
        who = html.escape(str(row["team"])) + (
            f"<br>{html.escape(str(row['owner']))}" if row["owner"] else ""
        )
        target = html.escape(str(row["target"]))
        if marks is not None and pd.notna(row["target_amount"]):
            family = "goal_change" if row["target_kind"] == "change" else "goal_target"
            target = marks.figure(
                f"{family}.{row['goal']}", float(row["target_amount"]), str(row["target"])
            )
        cells = goal + f"<td>{who}</td><td>{target}</td>"
        cells += "".join(
            status_cell(row[f"{framework} {letter}"], f"{framework} {letter}")
            for framework, letter in LETTERS
        )
        body.append(f"<tr>{cells}</tr>")
    return (
        f'{scorecard_legend()}<table class="funnelkit-scorecard"><thead>{head}</thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


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
