"""The notebooks' side of funnelkit: open a plan with its data once, then one function per
report section, each returning what the notebook displays (Markdown, HTML tables, PNG charts).

Notebooks call these and show the result; every figure is computed in the modules they
call. Goal texts and other data are HTML-escaped. Reports show aggregates only: lead-level
rows (the SLA breach list) appear only when the `show_lead_rows` parameter asks for them.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from IPython.display import HTML, Markdown, display

from funnelkit.actuals import review
from funnelkit.actuals.followup import SLA_WINDOW_MINUTES, sla_breaches, touches_recorded
from funnelkit.actuals.qualification import qualification
from funnelkit.core.exceptions import InputError, ParamsError
from funnelkit.crm.leads import LeadTable
from funnelkit.forecast import early_warnings
from funnelkit.forecast import simulation as forecast
from funnelkit.forecast.coverage import coverage_sentence
from funnelkit.goals.alignment import (
    alignment_text,
    loose_ends,
    shared_alignments,
    two_goals_sentence,
    volume_goals_sentences,
)
from funnelkit.goals.checks import Context
from funnelkit.goals.scorecard import checks_frame, findings, scorecard, scorecard_html
from funnelkit.model.loader import PlanData, load_plan_data
from funnelkit.present import charts, plan_tables
from funnelkit.present.plan_tables import money
from funnelkit.present.tags import HTML_MARKS, tag, tagged_table


@dataclass(frozen=True)
class Workbook(PlanData):
    """One plan with its data (see `funnelkit.model.loader`), and how its reports are to show it."""

    as_of: dt.date  # the day goal reviews are checked against
    show_lead_rows: bool  # whether lead-level rows (ids, owners, times) may be shown


def _parameter_rule(name: str, rule: str, value: object) -> str:
    return f"notebook parameter '{name}' must be {rule} (got {value!r})"


def open_workbook(params_file: str, as_of: str = "", show_lead_rows: bool = False) -> Workbook:
    """Check the notebook's parameters and open the plan they name, with its data.

    `as_of` ('YYYY-MM-DD' or '' for the export's as-of day) is the day goal reviews are
    checked against; `show_lead_rows` lets lead-level rows into the report."""
    if not isinstance(params_file, str) or not params_file.strip():
        raise ParamsError(
            _parameter_rule("params_file", "the path of a parameters YAML file", params_file)
        )
    if not isinstance(show_lead_rows, bool):
        raise ParamsError(_parameter_rule("show_lead_rows", "True or False", show_lead_rows))
    if not isinstance(as_of, str):
        raise ParamsError(_parameter_rule("as_of", "a date written YYYY-MM-DD, or ''", as_of))
    try:
        day = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise ParamsError(
            _parameter_rule("as_of", "a date written YYYY-MM-DD, or ''", as_of)
        ) from None
    data = load_plan_data(params_file)
    if day is None:
        day = data.table.as_of.date() if data.table is not None else dt.date.today()
    return Workbook(
        **{f.name: getattr(data, f.name) for f in dataclasses.fields(data)},
        as_of=day,
        show_lead_rows=show_lead_rows,
    )


def show(items: list[object]) -> None:
    """Display a section's items in the notebook."""
    display(*items)


def table_html(
    frame: pd.DataFrame,
    caption: str = "",
    tagged: Mapping[str, Sequence[tuple[str, float] | None]] | None = None,
) -> HTML:
    """A table for a report: no index, every cell escaped, an optional caption; the columns
    in `tagged` have their cells tagged with the quantity each shows (name, exact value)."""
    body = tagged_table(frame, tagged or {}, "funnelkit-table")
    if caption:
        body = body.replace(
            ">\n  <thead>", f">\n  <caption>{html.escape(caption)}</caption>\n  <thead>", 1
        )
    return HTML(body)


Marks = list[tuple[str, float] | None]


def column_marks(
    raw: pd.DataFrame, family: str, keys: Sequence[str], columns: dict[str, str]
) -> dict[str, Marks]:
    """The tags of a shown table's cells from the raw frame it was formatted from: each shown
    column's cell named '<family>.<raw column>.<row key>' with the raw value (none if missing)."""
    return {
        shown: [
            None if pd.isna(v) else (f"{family}.{column}.{key}", float(v))
            for key, v in zip(keys, raw[column], strict=True)
        ]
        for shown, column in columns.items()
    }


def chart(fig) -> HTML:
    """A chart as an embedded PNG image whose alternative text is its titles."""
    alt = " / ".join(ax.get_title() for ax in fig.axes if ax.get_title()) or "chart"
    data = base64.b64encode(charts.png(fig)).decode("ascii")
    return HTML(
        f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}" style="max-width:100%">'
    )


def headline(book: Workbook) -> list[object]:
    """The plan's title, the shared goal, and what marketing and sales each own."""
    plan = book.plan
    p = plan.params
    t = plan.targets
    stages = p.funnel.stages
    handoff = p.sla.handoff_stage
    i = stages.index(handoff)
    cur = p.currency
    whole = dict(zip(stages, (int(v) for v in t.whole), strict=True))

    def owned(names: tuple[str, ...]) -> str:
        return ", ".join(
            f"{tag(f'need.{s}', whole[s], f'{whole[s]:,}')} {html.escape(s)}" for s in names
        )

    data = (
        f"Actuals from `{Path(book.table.source).name}`, as of {book.table.as_of:%Y-%m-%d}."
        if book.table is not None
        else "No actuals named in the parameters."
    )
    text = f"""# {html.escape(p.title)}

**Plan period {p.period_label}.** {data}

## The shared goal: {tag("plan.revenue_goal", p.revenue_goal, money(p.revenue_goal, cur))} of revenue

- **Marketing owns** {owned(stages[: i + 1])}: the
  {tag("plan.marketing_share", p.marketing_share, f"{p.marketing_share:.0%}")} of revenue that
  comes from marketing-sourced leads
  ({tag("plan.marketing_revenue_goal", t.marketing_revenue_goal, money(t.marketing_revenue_goal, cur))}),
  handed to sales as {html.escape(handoff)}.
- **Sales owns** {owned(stages[i + 1 :])}: every {html.escape(handoff)} called within
  {tag("sla.first_touch_minutes", p.sla.first_touch_minutes, f"{p.sla.first_touch_minutes:g}")}
  minutes and followed up on a
  {tag("sla.touches_per_lead", p.sla.touches_per_lead, str(p.sla.touches_per_lead))}-touch
  cadence, closing deals of {tag("plan.deal_size", p.deal_size, money(p.deal_size, cur))} on
  average.
- Each figure is the whole number needed, rounded up from its exact value; the funnel turns
  {tag("plan.lead_close_rate", p.funnel.overall_rate, f"{p.funnel.overall_rate:.2%}")} of
  {html.escape(stages[0])} into {html.escape(stages[-1])}.
"""
    return [Markdown(text)]


def targets(book: Workbook) -> list[object]:
    """Targets by stage for the period, then by month, as tables and charts."""
    plan = book.plan
    items: list[object] = [
        table_html(
            plan_tables.stages_frame(plan),
            "Targets by stage for the whole period",
            plan_tables.stages_tags(plan),
        ),
        chart(charts.funnel_chart(plan)),
        table_html(
            plan_tables.phasing_frame(plan),
            f"When each stage's volume must arrive, by {plan.phasing.granularity} "
            "(* = before the plan period, feeding it through the stage lags)",
            plan_tables.phasing_tags(plan),
        ),
    ]
    lead_in = plan_tables.next_lead_in_frame(plan)
    if len(lead_in):
        items.append(
            table_html(
                lead_in,
                plan_tables.next_lead_in_caption(plan),
                plan_tables.lead_in_tags(plan),
            )
        )
    items.append(chart(charts.phasing_chart(plan)))
    return items


def sla(book: Workbook) -> list[object]:
    """The SLA: marketing's commitment and its value, sales' window, cadence and capacity."""
    plan = book.plan
    s = plan.sla
    terms = s.terms
    cur = plan.params.currency
    cadence = ", ".join(f"day {t.day:g} {html.escape(t.channel)}" for t in terms.cadence)
    peak = s.reps_needed_peak
    reps = tag("sla.reps", terms.reps, f"{terms.reps:g}")
    per_day = tag(
        "sla.touches_per_rep_per_day",
        terms.touches_per_rep_per_day,
        f"{terms.touches_per_rep_per_day:g}",
    )
    needs = tag("sla.reps_needed_peak", peak, f"{peak:g}")
    capacity = (
        f"{reps} reps at {per_day} touches a day can follow up every hand-off (the busiest "
        f"month needs {needs})."
        if peak <= terms.reps
        else f"**{reps} reps are not enough**: the busiest month needs {needs} to follow up "
        "every hand-off on the cadence."
    )
    handoffs = float(s.handoffs_whole.sum())
    handoff = html.escape(terms.handoff_stage)
    need = int(plan.targets.whole[plan.targets.funnel.stages.index(terms.handoff_stage)])
    text = f"""- **Marketing commits** to {tag("sla.handoffs", handoffs, f"{handoffs:,.0f}")} {handoff}
  handed over from {s.periods[0]} to {s.periods[-1]} (each month rounded up, lead-in months
  before the plan included; the period's deals need
  {tag(f"need.{terms.handoff_stage}", need, f"{need:,}")}),
  worth {tag("sla.lead_value", s.lead_value.sum(), money(s.lead_value.sum(), cur))} of expected revenue.
- **Sales commits** to a first touch within
  {tag("sla.first_touch_minutes", terms.first_touch_minutes, f"{terms.first_touch_minutes:g}")}
  minutes of each hand-off, then the cadence: {cadence}.
- **Capacity:** {capacity}
"""
    return [
        Markdown(text),
        table_html(plan_tables.sla_frame(plan), "The SLA by month", plan_tables.sla_tags(plan)),
    ]


def goal_scorecard(book: Workbook) -> list[object]:
    """Every goal's SMART and FAST verdicts, and whether the team goals add up to the shared one."""
    if book.goals is None or book.table is None:
        return [Markdown("*The parameters name no goals file, so there is no scorecard.*")]
    context = Context(
        book.table, book.plan, book.as_of, book.goals.thresholds, book.goals, book.outcomes
    )
    items: list[object] = [
        Markdown(f"Goals checked on {book.as_of:%Y-%m-%d} (✓ pass, ! warn, ✗ fail)."),
        HTML(scorecard_html(scorecard(book.goals, context), HTML_MARKS)),
    ]
    checks = checks_frame(book.goals, context)
    why = [
        f"- **{html.escape(goal.id)}** {line}"
        for goal in book.goals.goals
        for line in findings(checks, goal.id, HTML_MARKS)
    ]
    if why:
        items.append(Markdown("**Why a goal warns or fails:**\n\n" + "\n".join(why)))
    p = book.plan.params
    volumes = volume_goals_sentences(book.goals, book.plan, HTML_MARKS)
    if volumes:
        items.append(Markdown("\n".join(f"- {line}" for line in volumes)))
    for a in shared_alignments(book.goals, book.table, book.plan):
        two = two_goals_sentence(a, p.revenue_goal, p.currency, HTML_MARKS)
        if two is not None:
            items.append(Markdown(two))
        lines = alignment_text(a, p.currency, HTML_MARKS).splitlines()
        items.append(
            Markdown(
                "\n".join(
                    [lines[0], ""] + [f"- {line.strip().removeprefix('- ')}" for line in lines[1:]]
                )
            )
        )
    for label, ids in loose_ends(book.goals):
        items.append(Markdown(f"**{label}:** {html.escape(', '.join(ids))}"))
    return items


def agreed_definitions(book: Workbook) -> list[object]:
    """The stage definitions both teams agreed, in words from the rules, with their version
    and who agreed; on history, how many leads each qualifies and how those converted."""
    d = book.definitions
    if d is None:
        return [Markdown("*The parameters name no stage definitions.*")]
    stages = book.plan.params.funnel.stages
    lines = [
        f"Version **{html.escape(d.version)}**, agreed by {html.escape(', '.join(d.agreed_by))} "
        f"on {d.agreed_on:%Y-%m-%d}.",
        "",
        *(f"- **{html.escape(s.upper())}**: {html.escape(x.text())}" for s, x in d.stages.items()),
    ]
    items: list[object] = [Markdown("\n".join(lines))]
    if book.table is not None:
        rows, raw = [], []
        for stage, definition in d.stages.items():
            if stage not in stages[1:-1]:
                continue
            k = stages.index(stage)
            among, outcome = stages[k - 1], stages[k + 1]
            if among not in book.table.stages or outcome not in book.table.stages:
                continue
            r = qualification(book.table, definition, outcome, among=among).iloc[0]
            raw.append(r.rename(stage))
            rows.append(
                {
                    "definition": stage,
                    "judged among": among,
                    "leads": f"{int(r['leads']):,}",
                    "qualify": f"{int(r['qualified']):,}",
                    "share": f"{r['qualified_share']:.0%}",
                    "went on to": outcome,
                    "qualified": f"{r['qualified_rate']:.1%}",
                    "the others": f"{r['others_rate']:.1%}",
                    "lift": f"{r['lift']:.2f}×",
                }
            )
        if rows:
            measured = pd.DataFrame(raw)
            items.append(
                table_html(
                    pd.DataFrame(rows),
                    "Each definition on history: the leads it qualifies and how they went on",
                    column_marks(
                        measured,
                        "definition",
                        list(measured.index),
                        {
                            "leads": "leads",
                            "qualify": "qualified",
                            "share": "qualified_share",
                            "qualified": "qualified_rate",
                            "the others": "others_rate",
                            "lift": "lift",
                        },
                    ),
                )
            )
    return items


def _format_review(frame: pd.DataFrame, currency: str) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "line": frame["line"],
            "team": frame["team"],
            "counted from": frame["counted_from"].dt.strftime("%Y-%m-%d"),
        }
    )
    is_money = frame["line"] == "revenue"
    out["planned to date"] = [
        money(v, currency) if m else f"{int(w):,}"
        for v, w, m in zip(frame["planned"], frame["planned_whole"], is_money, strict=True)
    ]
    out["actual"] = [
        money(v, currency) if m else f"{int(v):,}"
        for v, m in zip(frame["actual"], is_money, strict=True)
    ]
    out["attainment"] = [f"{v:.0%}" if pd.notna(v) else "–" for v in frame["attainment"]]
    return out


def previous_period(book: Workbook) -> list[object]:
    """The previous period's plan against its actuals so far."""
    prev = book.previous
    if prev is None or book.table is None:
        return [Markdown("*The parameters name no previous plan to compare actuals against.*")]
    frame = review.plan_vs_actuals(prev, book.table)
    as_of = book.table.as_of
    title = f"{prev.params.title}: actuals against plan to {as_of:%Y-%m-%d}"
    if not (frame["planned"] > 0).any():
        return [
            Markdown(
                f"*{html.escape(prev.params.title)} has no planned volume before {as_of:%Y-%m-%d}.*"
            )
        ]
    start, end = forecast.plan_period(prev)
    if end <= as_of:
        status = "ended: its whole period is in the actuals"
    else:
        months = prev.params.months
        done = min(max((as_of.year - start.year) * 12 + as_of.month - start.month + 1, 0), months)
        status = (
            f"**in progress**: actuals to {as_of:%Y-%m-%d}, {done} of its {months} months "
            "begun, so the comparison is to date, not final"
        )
    return [
        Markdown(
            f"**{html.escape(prev.params.title)}** ({prev.params.period_label}), {status}. Each "
            "stage is counted from the day its planned volume starts to arrive (the plan start "
            "less the stage's lag) to the export's as-of day; revenue is won amounts within the "
            "plan period."
        ),
        table_html(
            _format_review(frame, prev.params.currency),
            title,
            column_marks(
                frame.assign(  # whole volumes as shown; revenue in money
                    planned=frame["planned"].where(
                        frame["line"] == "revenue", frame["planned_whole"]
                    )
                ),
                "previous",
                list(frame["line"]),
                {
                    "planned to date": "planned",
                    "actual": "actual",
                    "attainment": "attainment",
                },
            ),
        ),
        chart(charts.attainment_chart(frame, "Previous plan: actual as % of plan to date")),
    ]


def _risks_table(
    r: pd.DataFrame, currency: str, leads_measured: dict[str, int]
) -> tuple[pd.DataFrame, str, dict[str, list[tuple[str, float] | None]]]:
    """Each assumption against history as a table: the plan's figure and history's side by
    side, formatted by kind and tagged with their names; with its caption."""
    kinds = r["figure"].str.split(".").str[0]
    fmt = {
        "rate": "{:.1%}".format,
        "days": "{:.0f} days".format,
        "deal_size": lambda v: money(v, currency),
        "marketing_share": "{:.1%}".format,
        "reps": lambda v: f"{v:g} rep" + ("" if v == 1 else "s"),
    }

    def shown(value: float, kind: str) -> str:
        return "–" if pd.isna(value) else fmt[kind](value)

    plan_names = {"deal_size": "plan.deal_size", "marketing_share": "plan.marketing_share"}
    plan_names["reps"] = "sla.reps"
    plan_marks: list[tuple[str, float] | None] = [
        (plan_names.get(f, f), float(v)) for f, v in zip(r["figure"], r["plan"], strict=True)
    ]
    history_marks: list[tuple[str, float] | None] = [
        None
        if pd.isna(v)
        else ("sla.reps_needed_peak" if f == "reps" else f"baseline.{f}", float(v))
        for f, v in zip(r["figure"], r["history"], strict=True)
    ]
    change = [
        "–" if k == "reps" or pd.isna(h) else f"{p / h - 1:+.0%}"
        for k, p, h in zip(kinds, r["plan"], r["history"], strict=True)
    ]
    frame = pd.DataFrame(
        {
            "assumption": r["driver"],
            "plan": [shown(v, k) for v, k in zip(r["plan"], kinds, strict=True)],
            "history": [shown(v, k) for v, k in zip(r["history"], kinds, strict=True)],
            "change": change,
            "history from": r["basis"],
            "verdict": r["verdict"],
        }
    )
    change_marks: list[tuple[str, float] | None] = [
        None if c == "–" else (f"baseline.change.{f}", float(p / h - 1))
        for c, f, p, h in zip(change, r["figure"], r["plan"], r["history"], strict=True)
    ]
    basis_marks: list[tuple[str, float] | None] = [
        (f"baseline.leads.{f[5:]}", float(leads_measured[f[5:]])) if f.startswith("rate.") else None
        for f in r["figure"]
    ]
    caption = (
        "Each assumption against history (for sales capacity: the reps the busiest month needs)"
    )
    marks = {"plan": plan_marks, "history": history_marks, "change": change_marks}
    return frame, caption, marks | {"history from": basis_marks}


def plan_risks(book: Workbook) -> list[object]:
    """Where history says the plan is a stretch, then the sensitivity of the first stage."""
    plan = book.plan
    items: list[object] = []
    if book.baselines is not None:
        r = review.risks(plan, book.baselines)
        stretch = r.loc[r["verdict"] == "stretch", "sentence"]
        lines = "\n".join(f"- {html.escape(s)}" for s in stretch) or "- none"
        items += [
            Markdown(
                f"**Stretches against history** (more than {review.STRETCH:.0%} beyond it):\n\n{lines}"
            ),
            table_html(*_risks_table(r, plan.params.currency, book.baselines.leads_measured)),
        ]
    else:
        items.append(
            Markdown("*No actuals, so the plan's assumptions are not checked against history.*")
        )
    items.append(Markdown(_coverage_text(book)))
    items.append(chart(charts.tornado_chart(plan)))
    return items


def _coverage_text(book: Workbook) -> str:
    """The pipeline coverage of what is left of the goal, or why there is none."""
    if book.coverage is None:
        return f"*No pipeline coverage: {html.escape(book.coverage_note)}.*"
    return coverage_sentence(book.coverage, book.plan.params.currency, HTML_MARKS)


def _sla_goal(book: Workbook, month: str) -> tuple[str, float, float] | None:
    """The first goal on the SLA share with an absolute target: its id, its target and the
    month's share measured as the goal measures it."""
    for goal in book.goals.goals if book.goals is not None else ():
        if goal.metric == "sla_share" and goal.target is not None and goal.target.kind == "value":
            handoff = book.plan.sla.terms.handoff_stage
            share = review.sla_share(_table(book), handoff, month, SLA_WINDOW_MINUTES)
            return goal.id, goal.target.amount, share
    return None


NO_TOUCHES = (
    "*The export records no first touches (no first-touch time or response time is mapped), "
    "so follow-up within the SLA cannot be measured. Map them in the export's mapping to see "
    "it here.*"
)


def _table(book: Workbook) -> LeadTable:
    """The plan's lead table, which a monthly review needs."""
    if book.table is None:
        raise ParamsError(f"{book.params_file}: 'actuals' must name an export for a monthly review")
    return book.table


def month_under_review(book: Workbook, month: str = "") -> str:
    """The month the review covers: `month` ('YYYY-MM') or the export's as-of month."""
    if not isinstance(month, str):
        raise ParamsError(_parameter_rule("month", "a month written YYYY-MM, or ''", month))
    table = _table(book)
    try:
        return review.review_month(book.plan, table, month)
    except InputError as err:
        raise ParamsError(f"{book.params_file}: {err}") from None


def _format_pacing(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stage": frame["stage"],
            "team": frame["team"],
            "month goal": frame["goal"].map("{:,}".format),
            "expected to date": frame["expected_whole"].map("{:,}".format),
            "actual to date": frame["actual_to_date"].map("{:,.0f}".format),
            "gap": frame["gap"].map("{:+,.0f}".format),
            "projected": frame["projection"].map("{:,.0f}".format),
            "projected vs goal": frame["projected_attainment"].map("{:.0%}".format),
        }
    )


def month_against_goals(book: Workbook, month: str) -> list[object]:
    """This month's stage goals against the entries so far, and each team's daily pacing."""
    plan, table = book.plan, _table(book)
    frame = review.month_pacing(plan, table, month)
    as_of = min(table.as_of, pd.Period(month, "M").end_time)
    keys = [f"{stage}.{month}" for stage in frame["stage"]]
    marks = column_marks(
        frame.assign(expected=frame["expected_whole"]),
        "pacing",
        keys,
        {
            "expected to date": "expected",
            "gap": "gap",
            "projected": "projection",
            "projected vs goal": "projected_attainment",
        },
    )
    marks["month goal"] = [
        (f"month.{k}", float(v)) for k, v in zip(keys, frame["goal"], strict=True)
    ]
    marks["actual to date"] = [
        (f"actual.{k}", float(v)) for k, v in zip(keys, frame["actual_to_date"], strict=True)
    ]
    return [
        Markdown(
            f"# Monthly review: {month}\n\n**{html.escape(plan.params.title)}**, "
            f"actuals to {as_of:%Y-%m-%d}. Goals are the plan's whole volumes for the month; "
            "the projection runs the month's pace to its end."
        ),
        table_html(
            _format_pacing(frame),
            f"{month}: each stage against its month goal",
            marks,
        ),
        *_undated_note(table),
        chart(charts.pacing_chart(review.team_pacing(plan, table, month))),
    ]


def _undated_note(table: LeadTable) -> list[object]:
    """A sentence naming the stages the export gives no times for, when there are any."""
    if not table.undated_stages:
        return []
    names = ", ".join(html.escape(s) for s in table.undated_stages)
    return [
        Markdown(
            f"*The export gives no times for {names}, so entries into it cannot be counted by "
            "month: it is left out of the pacing.*"
        )
    ]


def month_sla(book: Workbook, month: str) -> list[object]:
    """SLA compliance by owner in the month, and the late follow-ups: counted per owner, or
    listed lead by lead when `show_lead_rows` is set."""
    plan, table = book.plan, _table(book)
    terms = plan.sla.terms
    if not touches_recorded(table):
        return [Markdown(NO_TOUCHES)]
    frame = review.month_sla(plan, table, month)
    shown = frame.assign(
        owner=frame["owner"].astype("string").fillna("(no owner)"),
        share_within=frame["share_within"].map(lambda v: f"{v:.0%}" if pd.notna(v) else "–"),
    ).rename(columns=lambda c: c.replace("_", " "))
    window = f"{terms.first_touch_minutes:g} minutes"
    owners = list(shown["owner"])
    items: list[object] = [
        table_html(
            shown,
            f"{month}: hand-offs touched within {window}, by owner",
            column_marks(
                frame,
                "owner_sla",
                owners,
                {c.replace("_", " "): c for c in frame.columns if c != "owner"},
            ),
        )
    ]
    breaches = sla_breaches(table, terms.first_touch_minutes, terms.handoff_stage, table.as_of)
    breaches = breaches.loc[breaches["handed_off_at"].dt.strftime("%Y-%m") == month]
    if book.show_lead_rows:
        items.append(table_html(breaches, f"{month}: every late or missing first touch"))
    else:
        counts = (
            breaches.assign(owner=breaches["owner"].astype("string").fillna("(no owner)"))
            .groupby("owner")
            .agg(late=("minutes_late", "size"), median_minutes_late=("minutes_late", "median"))
            .reset_index()
            .sort_values("late", ascending=False)
        )
        marks = column_marks(
            counts,
            "owner_late",
            list(counts["owner"]),
            {"late": "late", "median minutes late": "median_minutes_late"},
        )
        counts["median_minutes_late"] = counts["median_minutes_late"].map("{:,.0f}".format)
        items += [
            table_html(
                counts.rename(columns=lambda c: c.replace("_", " ")),
                f"{month}: late or missing first touches per owner",
                marks,
            ),
            Markdown(
                "*Lead-level rows are left out of this report; render with "
                "`--show-lead-rows` to list them.*"
            ),
        ]
    return items


def month_leakage(book: Workbook, month: str) -> list[object]:
    """Where the leads created in the months to `month` stopped, by stage and by source."""
    table = _table(book)
    if table.stages[0] in table.undated_stages:
        return [
            Markdown(
                f"*The export gives no times for {html.escape(table.stages[0])}, the first "
                "stage, so leads cannot be grouped by when they were created: no leakage by "
                "creation month.*"
            )
        ]
    leaks = review.month_leakage(table, month)
    first = (pd.Period(month, "M") - (review.LEAKAGE_MONTHS - 1)).strftime("%Y-%m")
    by_source = leaks.assign(
        stopped=leaks["lost"] + leaks["stalled"],
        stopped_share=((leaks["lost"] + leaks["stalled"]) / leaks["reached"]).map(
            lambda v: f"{v:.0%}" if pd.notna(v) else "–"
        ),
    )
    return [
        Markdown(f"Leads created from {first} to {month}, followed to today."),
        chart(charts.leakage_chart(leaks)),
        table_html(
            by_source.drop(columns="stage").rename(columns=lambda c: c.replace("_", " ")),
            "Leakage by step and source (stopped = lost + stalled)",
            column_marks(
                leaks.assign(
                    stopped=leaks["lost"] + leaks["stalled"],
                    stopped_share=(leaks["lost"] + leaks["stalled"]) / leaks["reached"],
                ),
                "leakage",
                [f"{a}.{b}" for a, b in zip(leaks["step"], leaks["source"], strict=True)],
                {
                    c.replace("_", " "): c
                    for c in ("reached", "advanced", "lost", "stalled", "in_progress", "stopped")
                }
                | {"stopped share": "stopped_share"},
            ),
        ),
    ]


def to_discuss(book: Workbook, month: str) -> list[object]:
    """What the meeting should talk about, most pressing first."""
    plan, table = book.plan, _table(book)
    sla = review.month_sla(plan, table, month)
    points = review.discussion_points(
        review.month_pacing(plan, table, month),
        sla if touches_recorded(table) else sla.iloc[0:0],  # nothing measured, nothing to say
        review.month_leakage(table, month),
        plan.sla.terms.first_touch_minutes,
        _sla_goal(book, month),
        HTML_MARKS,
    )
    if book.baselines is not None:
        r = review.risks(plan, book.baselines)
        points += [f"Plan: {html.escape(s)}" for s in r.loc[r["verdict"] == "stretch", "sentence"]]
    return [Markdown("\n".join(f"1. {p}" for p in points))]


def outlook(book: Workbook) -> list[object]:
    """Will the period make its goal: the forecast's chance and range, the warnings in plain
    words (behind since when, what to do by when, pipeline coverage) and the fan chart."""
    plan, table = book.plan, book.table
    if table is None:
        return [Markdown("*No CRM export, so there is no forecast.*")]
    as_of = table.as_of.normalize()
    start, end = forecast.plan_period(plan)
    try:
        outcome = book.forecast
    except InputError as err:
        return [Markdown(f"*No forecast: {html.escape(str(err))}.*")]
    if outcome is None:  # the period has ended: what it won
        won, customers = forecast.won_in(table, start, end)
        return [
            Markdown(
                f"The period ended on {end:%d %b %Y}: "
                f"{tag('ended.revenue', won, money(won, plan.params.currency))} won from "
                f"{tag('ended.customers', customers, f'{customers:,}')} customers against the "
                "goal of "
                f"{tag('plan.revenue_goal', plan.params.revenue_goal, money(plan.params.revenue_goal, plan.params.currency))}."
            )
        ]
    history = forecast.measure_history(table, as_of)
    pipeline = forecast.open_pipeline(table, as_of)
    arrivals = forecast.plan_arrivals(plan, as_of)
    late = early_warnings.behind(plan, table, as_of)
    lines = early_warnings.warnings_text(
        outcome,
        late,
        early_warnings.actions(plan, outcome, history, pipeline, arrivals),
        book.coverage,
        early_warnings.last_saving_day(history, end),
        plan.params.currency,
        review.planned_to_date(plan, as_of)[1] if as_of >= start else float("nan"),
        HTML_MARKS,
    )
    at_history = float(forecast.run_rate_arrivals(table, as_of, len(arrivals)).sum())
    open_leads, new = float(len(pipeline.ids)), outcome.expected_new_leads
    trials = float(len(outcome.revenue))
    method = (
        f"From {tag('forecast.open_leads', open_leads, f'{open_leads:,.0f}')} open leads and "
        f"{tag('forecast.new_leads', new, f'{new:,.0f}')} new leads expected at the plan's "
        f"volume, in {tag('forecast.trials', trials, f'{trials:,.0f}')} simulated periods "
        "drawing conversion rates, stage times and deal amounts from the export's history. New "
        "leads are assumed to arrive as the plan says (the forecast asks: if marketing delivers "
        f"the plan, will we make it?); at the rate of the last {forecast.RUN_RATE_DAYS} days, "
        f"{tag('forecast.new_leads_at_history_rate', at_history, f'{at_history:,.0f}')} would "
        "arrive in the same time."
    )
    short = late.loc[late["actual"] <= late["planned"] - 1]
    items: list[object] = [
        Markdown("\n".join(f"- {line}" for line in lines) + f"\n\n*{method}*"),
        chart(
            charts.fan_chart(
                outcome.fan,
                forecast.cumulative_won(table, start, as_of) if as_of >= start else pd.Series(),
                plan.params.revenue_goal,
                plan.params.currency,
            )
        ),
    ]
    if len(short):
        frame = pd.DataFrame(
            {
                "stage": short["stage"],
                "team": short["team"],
                "month": short["month"],
                "planned to date": short["planned_whole"].map("{:,}".format),
                "actual": short["actual"].map("{:,}".format),
                "short by": (-short["gap"]).map("{:,}".format),
            }
        )
        keys = [f"{st}.{mo}" for st, mo in zip(short["stage"], short["month"], strict=True)]
        items.append(
            table_html(
                frame,
                f"Stages and months behind their phased target to {as_of:%Y-%m-%d}",
                {
                    "planned to date": [
                        (f"behind.planned.{k}", float(v))
                        for k, v in zip(keys, short["planned_whole"], strict=True)
                    ],
                    "actual": [
                        (f"behind.actual.{k}", float(v))
                        for k, v in zip(keys, short["actual"], strict=True)
                    ],
                    "short by": [
                        (f"behind.gap.{k}", float(v))
                        for k, v in zip(keys, short["gap"], strict=True)
                    ],
                },
            )
        )
    return items
