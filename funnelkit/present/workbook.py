"""The notebooks' side of funnelkit: open a plan with its data once, then one function per
report section, each returning what the notebook displays: HTML built from
`funnelkit.present.blocks` (never Markdown, so no user text is read as markup), tables and
PNG charts.

Notebooks call these and show the result; every figure is computed in the modules they
call. Goal texts and other data are HTML-escaped. Reports show aggregates only: lead-level
rows (the SLA breach list) appear only when the `show_lead_rows` parameter asks for them.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import HTML, display

from funnelkit.actuals import review
from funnelkit.actuals.followup import SLA_WINDOW_MINUTES, sla_breaches, touches_recorded
from funnelkit.actuals.gap import CANNOT_SPLIT, PRIOR_ENTRIES, gap_drivers
from funnelkit.actuals.qualification import qualification
from funnelkit.actuals.swings import QUARTERS
from funnelkit.core.exceptions import InputError, ParamsError
from funnelkit.core.formats import compact_money, count, duration, money, multiple, percent
from funnelkit.core.rounding import whole_units
from funnelkit.core.validation import short
from funnelkit.crm.leads import LeadTable
from funnelkit.crm.sourcing import sourcing_note, tells_sources
from funnelkit.forecast import early_warnings
from funnelkit.forecast import simulation as forecast
from funnelkit.forecast.chances import brier
from funnelkit.forecast.coverage import coverage_sentence
from funnelkit.forecast.trends import MONTHS as TREND_MONTHS
from funnelkit.forecast.trends import Trends
from funnelkit.goals.alignment import (
    alignment_text,
    loose_ends,
    shared_alignments,
    two_goals_sentence,
    volume_goals_sentences,
)
from funnelkit.goals.checks import Context
from funnelkit.goals.records import Goal
from funnelkit.goals.scorecard import checks_frame, findings, scorecard, scorecard_html
from funnelkit.model.goal_levels import Together, goal_levels, together
from funnelkit.model.loader import PlanData, earlier_plans, load_plan_data
from funnelkit.model.program import program_channels
from funnelkit.plan.build import Plan
from funnelkit.plan.sensitivity import Sensitivity
from funnelkit.plan.stage_names import StageNames
from funnelkit.present import charts, plan_tables, program_tables
from funnelkit.present.blocks import (
    block,
    bullets,
    code,
    heading,
    note,
    numbered,
    para,
    strong,
    text,
)
from funnelkit.present.gap_text import (
    GapView,
    counterfactual,
    days,
    gap_table,
    gap_view,
    signed,
    summary,
)
from funnelkit.present.tags import HTML_MARKS, tag, tagged_table


@dataclass(frozen=True)
class Workbook(PlanData):
    """One plan with its data (see `funnelkit.model.loader`), and how its reports are to show it."""

    as_of: dt.date  # the day goal reviews are checked against
    show_lead_rows: bool  # whether lead-level rows (ids, owners, times) may be shown


def _parameter_rule(name: str, rule: str, value: object) -> str:
    return f"notebook parameter '{name}' must be {rule} (got {short(value)})"


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


def _markup(item: object) -> str | None:
    """An item's HTML, or None when it is not HTML."""
    return item.data if isinstance(item, HTML) and isinstance(item.data, str) else None


def _is_exhibit(item: object) -> bool:
    """Whether an item is a chart or a table (not a sentence introducing one)."""
    return (_markup(item) or "").startswith(("<img", "<table"))


def kept(*items: object) -> HTML:
    """HTML items as one block a printed page does not split: a heading or an introduction
    with the chart or table it introduces."""
    return HTML(f'<div class="fk-keep">{"".join(_markup(i) or "" for i in items)}</div>')


def show(items: list[object], title: str = "") -> None:
    """Display a section's items in the notebook, under its `title` when given: the heading
    and the first item are one block (with the chart or table after it, when the first item
    introduces one), so a printed page never ends with the heading or an introduction alone."""
    if title and items:
        if _markup(items[0]) is not None:
            opens = len(items) > 1 and _is_exhibit(items[1]) and not _is_exhibit(items[0])
            lead = 2 if opens else 1
            items = [kept(HTML(heading(2, text(title))), *items[:lead]), *items[lead:]]
        else:
            items = [HTML(heading(2, text(title))), *items]
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


def _period_words(start: object, months: int) -> str:
    """A plan period as 'Jan 2027 – Mar 2027'."""
    first = pd.Period(str(start)[:7], "M")
    return f"{first:%b %Y} – {first + months - 1:%b %Y}"


def _forecast(book: Workbook) -> forecast.Forecast | None:
    """The plan's forecast, or None when the period has ended or the export cannot give one
    (the outlook section says why)."""
    try:
        return book.forecast
    except InputError:
        return None


def _revenue_short(book: Workbook) -> tuple[float, pd.Timestamp] | None:
    """How far revenue won is behind what the plan called for by the export's as-of day, and
    that day; None when it is not behind by a currency unit or more, or the day is outside
    the period."""
    f = _forecast(book)
    if f is None or book.table is None:
        return None
    start, end = forecast.plan_period(book.plan)
    as_of = book.table.as_of.normalize()
    if not start <= as_of <= end:
        return None
    gap = review.planned_to_date(book.plan, as_of)[1] - f.revenue_to_date
    return (gap, as_of) if gap >= 1 else None


def _revenue_short_words(book: Workbook) -> str | None:
    """'revenue is $31,890 behind plan to 31 Oct 2026' (markup), or None when not behind."""
    short = _revenue_short(book)
    if short is None:
        return None
    gap, as_of = short
    cur = book.plan.params.currency
    return (
        f"revenue is {tag('pace.revenue_short', gap, money(gap, cur))} behind plan "
        f"to {as_of:%d %b %Y}"
    )


def _chance_sentence(book: Workbook) -> str:
    """The forecast's chance of the goal and its 80 % range, and how often such ranges held on
    the export; '' without a forecast."""
    f = _forecast(book)
    if f is None:
        return ""
    cur = book.plan.params.currency
    low, high = f.interval
    return (
        f"{strong(tag('forecast.chance', f.probability, percent(f.probability)), ' chance')} of "
        f"reaching it (80% range {tag('forecast.low', low, compact_money(low, cur))} to "
        f"{tag('forecast.high', high, compact_money(high, cur))}). {_track_record_line(book)}"
    )


def _periods_word(months: int, n: int) -> str:
    """'quarter(s)', 'month(s)' or 'period(s)' for `n` periods of `months` months."""
    word = {1: "month", 3: "quarter", 12: "year"}.get(months, "period")
    return word if n == 1 else f"{word}s"


def _track_record_line(book: Workbook) -> str:
    """One sentence: how often the forecast's 80 % range held on the export's past periods,
    and what that suggests; or why that cannot be told."""
    record = book.track_record
    if isinstance(record, str):
        return f"How often such ranges have held cannot be told yet: {text(_public(book, record))}."
    measure = record.measures[0]
    r = record.rows(measure)
    held, n = record.held(measure, 80), len(r)
    periods = r["start"].nunique()
    what = "revenue" if measure == "revenue" else "customers won"
    return (
        f"Run every Monday of {r['start'].min():%b %Y} – {r['end'].max():%b %Y} on what the "
        f"export knew that day ({tag('track.forecasts', n, count(n))} runs), this forecast saw the "
        f"final {what} fall inside its 80% range {tag('track.held_80', held, count(held))} times: "
        f"{_held_words(held / n, 0.8)} (with {tag('track.periods', periods, count(periods))} "
        f"{_periods_word(book.params.months, periods)} behind it, a rough guide)."
    )


def _held_words(share: float, level: float) -> str:
    """What a range that held `share` of the time says about a `level` range, in words."""
    advice = _range_advice(share, level)
    if advice is None:
        return "about as often as it claims"
    more = "more" if share > level else "less"
    return f"{more} often than it claims, so {advice}"


def _range_advice(share: float, level: float) -> str | None:
    """What to make of a `level` range that held `share` of the time, when that is more than
    10 points away from `level`; None when it is about right."""
    off = round(share - level, 9)  # 10 points exactly is still about right
    if off > 0.1:
        return "the range may be wider than it needs to be"
    if off < -0.1:
        return "treat the range as too narrow"
    return None


def _planned_starts(book: Workbook) -> set[pd.Timestamp]:
    """The first days of the past periods a plan's goal scores (the previous plan's, its
    previous plan's and so on, those as long as this one); the others are scored at the
    middle of what earlier periods won."""
    return {pd.Timestamp(p.start) for p in earlier_plans(book.params)}


def _measure_text(book: Workbook, measure: str) -> Callable[[float], str]:
    """How a backtested measure's figures are shown: money for revenue, else a count."""
    cur = book.params.currency
    return (lambda v: money(v, cur)) if measure == "revenue" else count


def _start_record(book: Workbook) -> list[object]:
    """Each past period's chance as the forecast gave it on the period's first day, against
    what happened, and the Brier score over them: has '70 %' meant 70 %?"""
    record = book.start_record
    if isinstance(record, str):
        return [block(note(f"No chances at past periods' starts: {text(_public(book, record))}."))]
    months = book.params.months
    measure = record.measures[0]
    r = record.rows(measure)
    shown = _measure_text(book, measure)
    planned = _planned_starts(book)
    period = _periods_word(months, 1)
    rows = pd.DataFrame(
        {
            period: [f"{a:%b %Y} – {b:%b %Y}" for a, b in zip(r["start"], r["end"], strict=True)],
            "goal": [shown(g) for g in r["goal"]],
            "scored against": [
                "its plan's goal" if s in planned else "the middle of earlier ones"
                for s in r["start"]
            ],
            "chance given": [percent(c) for c in r["chance"]],
            "won": [shown(a) for a in r["actual"]],
            "met": ["yes" if m else "no" for m in r["met"]],
        }
    )
    keys = [f"{s:%Y-%m}" for s in r["start"]]
    marks: dict[str, Marks] = {
        "goal": [(f"track_goal.{k}", float(g)) for k, g in zip(keys, r["goal"], strict=True)],
        "chance given": [
            (f"start_chance.{k}", float(c)) for k, c in zip(keys, r["chance"], strict=True)
        ],
        "won": [(f"start_won.{k}", float(a)) for k, a in zip(keys, r["actual"], strict=True)],
    }
    score = brier(list(r["chance"]), list(r["met"].astype(bool)))
    n = len(r)
    return [
        block(
            para(
                f"{strong('At each ' + period + chr(39) + 's start.')} The forecast run on the "
                f"first day of each past {period}, from what the export knew that day, gave "
                f"these chances of the {period}'s goal (its plan's, else the middle of what "
                f"earlier {_periods_word(months, 2)} won: a goal known that day). Over them its "
                f"Brier score is {tag('start.brier', score, f'{score:.2f}')} (0 is perfect; "
                f"saying 50/50 every time scores 0.25){_brier_words(score)}. Runs late in a "
                f"{period} know most of its outcome, so the weekly runs above score better than "
                f"these. With {count(n)} {_periods_word(months, n)}, whether its chances can be "
                "taken at face value is a rough guide, not a verdict."
            )
        ),
        table_html(rows, f"Past {_periods_word(months, 2)}: the chance given at the start", marks),
    ]


def _brier_words(score: float) -> str:
    """What a Brier score says against always saying 50/50, as a clause ('' when close)."""
    if score > 0.25 + 0.02:
        return ": worse than saying 50/50 every time, so read its chances with care"
    if score < 0.25 - 0.02:
        return ": better than saying 50/50 every time"
    return ": about what saying 50/50 every time scores"


def _track_record(book: Workbook) -> list[object]:
    """The forecast's track record on the export, in a paragraph: how often both ranges held
    against how often they should, the accuracy of its chances, its bias, what those runs
    assumed, and what follows for today's forecast."""
    record = book.track_record
    if isinstance(record, str):
        return [block(note(f"No track record: {text(_public(book, record))}."))]
    months = book.params.months
    measure = record.measures[0]
    r = record.rows(measure)
    n, periods = len(r), r["start"].nunique()
    held_80, held_50 = record.held(measure, 80), record.held(measure, 50)
    brier, bias = record.brier(measure), record.bias(measure)
    what = "revenue" if measure == "revenue" else "customers won"
    shown = _measure_text(book, measure)
    by_period = r.groupby("start").agg(end=("end", "first"), goal=("goal", "first"))
    planned = _planned_starts(book)
    middle = f"the middle of what the export's earlier {_periods_word(months, 2)} won"
    goals = [
        (start, end, goal, tag(f"track_goal.{start:%Y-%m}", goal, shown(goal)))
        for start, end, goal in zip(
            pd.DatetimeIndex(by_period.index), by_period["end"], by_period["goal"], strict=True
        )
    ]
    if all(start not in planned for start, *_ in goals):
        scored = f"Its chances of reaching {goals[0][3]} ({middle}) scored"
    else:
        own = "its plan's goal"
        each = "; ".join(
            f"{figure}, {own if start in planned else middle}, for {start:%b %Y} – {end:%b %Y}"
            for start, end, _, figure in goals
        )
        scored = f"Its chances of reaching each {_periods_word(months, 1)}'s goal ({each}) scored"
    direction = "above" if bias >= 0 else "below"
    advice = _range_advice(held_80 / n, 0.8)
    today = [] if advice is None else [advice]
    if abs(bias) >= 0.05:
        today.append(
            "the chance may be "
            + ("understated" if bias > 0 else "overstated")
            + f" ({what} came in {direction} the runs' expectation)"
        )
    followed = f" For today's forecast: {'; '.join(today)}." if today else ""
    return [
        block(
            para(
                f"{strong('Track record.')} The forecast was re-run every Monday from "
                f"{r['as_of'].min():%d %b %Y} to {r['as_of'].max():%d %b %Y}, each time on what "
                f"the export knew that day, for the {_periods_word(months, 1)} that Monday fell "
                f"in ({tag('track.forecasts', n, count(n))} runs, "
                f"{tag('track.periods', periods, count(periods))} "
                f"{_periods_word(months, periods)}). The final {what} fell inside the 80% range "
                f"{tag('track.held_80', held_80, count(held_80))} times and inside the 50% "
                f"range {tag('track.held_50', held_50, count(held_50))} times; ranges that hold "
                f"as often as they say would hold about {count(0.8 * n)} and {count(0.5 * n)} "
                f"times. {scored} "
                f"{tag('track.brier', brier, f'{brier:.2f}')} for accuracy (the Brier score: 0 "
                "is perfect, saying 50/50 every time scores 0.25). On average the final "
                f"{what} came in {tag('track.bias', bias, percent(abs(bias)))} {direction} what "
                f"the runs expected. The runs took new {text(_first_plural(book))} at the pace "
                f"of the {forecast.RUN_RATE_DAYS} days before each Monday, since a past "
                f"{_periods_word(months, 1)} has no plan; runs within one "
                f"{_periods_word(months, 1)} rise and fall together, so these counts are a "
                f"rough guide.{followed}"
            )
        )
    ]


def _trend_words(book: Workbook, trends: Trends) -> str:
    """What the forecast assumes about trends in new leads and deal size, in a sentence."""
    if not book.params.forecast_trend:
        return "Trends in history are left out: the plan switches them off."
    months = TREND_MONTHS
    parts = []
    for name, slope, what in (
        ("trend.volume", trends.volume, f"new {text(_first_plural(book))} per month"),
        ("trend.amount", trends.amount, "the mean deal size"),
    ):
        if slope:
            growth = float(np.expm1(slope))
            parts.append(
                f"{what} {'grew' if growth > 0 else 'fell'} "
                f"{tag(name, growth, percent(abs(growth)))} a month"
            )
    if not parts:
        return (
            f"Over the last {months} months neither new {text(_first_plural(book))} nor deal "
            "size show a clear rise or fall, so the forecast assumes none."
        )
    said = " and ".join(parts)
    return (
        f"Over the last {months} months {said}; the forecast carries "
        f"{'that trend' if len(parts) == 1 else 'both trends'} on."
    )


def _first_plural(book: Workbook) -> str:
    """What the plan calls its first stage's leads, plural."""
    return book.params.names.plural(book.params.funnel.stages[0])


def top_risks(book: Workbook, limit: int = 3) -> list[str]:
    """The plan's most pressing risks as sentences of markup, most pressing first: a chance
    below even odds, revenue behind plan, pipeline short of what is left, too few reps, the
    largest stretches against history, an agreed definition whose leads convert worse."""
    plan, p = book.plan, book.plan.params
    n = p.names
    out: list[str] = []
    threshold = book.goals.thresholds.min_chance if book.goals is not None else 0.5
    f = _forecast(book)
    if f is not None and f.probability < threshold:
        out.append(
            f"The forecast gives the goal a {tag('forecast.chance', f.probability, percent(f.probability))} "
            f"chance, below {percent(threshold)}."
        )
    short = _revenue_short_words(book)
    if short is not None:
        out.append(f"{short[:1].upper()}{short[1:]}.")
    out += _beyond_history_lines(book)
    c = book.coverage
    if c is not None and not c.enough and c.remaining > 0:
        out.append(
            f"Open pipeline covers {tag('coverage.ratio', c.ratio, multiple(c.ratio))} of what is "
            f"left to win; {tag('coverage.needed', c.needed, multiple(c.needed))} is needed."
        )
    peak, reps = plan.sla.reps_needed_peak, p.sla.reps
    if peak > reps:
        out.append(
            f"The busiest month needs {tag('sla.reps_needed_peak', peak, f'{peak:g}')} reps to "
            f"follow up every {text(n.label(p.sla.handoff_stage))}; the plan has "
            f"{tag('sla.reps', reps, f'{reps:g}')}."
        )
    if book.baselines is not None:
        r = review.risks(plan, book.baselines)
        stretch = r[r["verdict"] == "stretch"].assign(
            size=lambda x: (x["plan"] / x["history"] - 1).abs()
        )
        for row in stretch.sort_values("size", ascending=False).itertuples():
            out.append(f"A stretch against history: {text(row.sentence)}.")
    if book.definitions is not None and book.table is not None:
        for stage, lift in _definition_lifts(book).items():
            if lift < 1:
                out.append(
                    f"The agreed {text(n.label(stage))} definition picks leads that convert worse "
                    f"than the rest (lift {tag(f'definition.lift.{stage}', lift, multiple(lift))})."
                )
    return out[:limit]


def _beyond_history_lines(book: Workbook) -> list[str]:
    """Each stage whose busiest month asks for more than `history_multiple`× the busiest
    month history has seen, as a sentence of markup."""
    if book.table is None:
        return []
    n = book.plan.params.names
    flags = review.beyond_history(book.plan, book.table)
    numbers = flags[["target", "multiple", "busiest"]].to_numpy(dtype=float)
    return [
        f"The plan asks for {tag(f'month.{stage}.{month}', target, count(target))} "
        f"{text(n.plural(stage))} in {month}, "
        f"{tag(f'beyond_history.multiple.{stage}', times, multiple(times))} the busiest month "
        f"history has seen ({tag(f'beyond_history.busiest.{stage}', busiest, count(busiest))}): "
        "check the rates and the goal."
        for stage, month, (target, times, busiest) in zip(
            flags["stage"].astype(str), flags["month"].astype(str), numbers, strict=True
        )
    ]


def headline(book: Workbook) -> list[object]:
    """The first page: the plan's title, the shared goal and the chance of reaching it, the
    three figures each team owns, the top risks; then the SLA in one line."""
    plan = book.plan
    p = plan.params
    t = plan.targets
    n = p.names
    stages = p.funnel.stages
    handoff = p.sla.handoff_stage
    i = stages.index(handoff)
    cur = p.currency
    whole = dict(zip(stages, (float(v) for v in t.whole), strict=True))

    def owned(stage: str) -> str:
        return f"{tag(f'need.{stage}', whole[stage], count(whole[stage]))} {text(n.plural(stage) if whole[stage] != 1 else n.label(stage))}"

    data = (
        f"Actuals from {code(Path(book.table.source).name)} to {book.table.as_of:%d %b %Y}."
        if book.table is not None
        else "No actuals named in the parameters."
    )
    goal = tag("plan.revenue_goal", p.revenue_goal, money(p.revenue_goal, cur))
    marketing = [owned(s) for s in stages[: i + 1][-2:]] + [
        f"{tag('plan.marketing_revenue_goal', t.marketing_revenue_goal, money(t.marketing_revenue_goal, cur))} "
        f"of revenue from marketing-sourced leads "
        f"({tag('plan.marketing_share', p.marketing_share, percent(p.marketing_share))})"
    ]
    sales = [owned(s) for s in stages[i + 1 :][-3:]]
    owns = (
        '<table class="fk-owns"><thead><tr><th>Marketing owns</th><th>Sales owns</th></tr>'
        f"</thead><tbody><tr><td>{bullets(marketing)}</td><td>{bullets(sales)}</td></tr>"
        "</tbody></table>"
    )
    risks = top_risks(book)
    sla_line = (
        f"Every {text(n.label(handoff))} is called within "
        f"{tag('sla.first_touch_minutes', p.sla.first_touch_minutes, f'{p.sla.first_touch_minutes:g}')} "
        f"minutes and followed up on a "
        f"{tag('sla.touches_per_lead', p.sla.touches_per_lead, str(p.sla.touches_per_lead))}-touch "
        f"cadence; deals close at {tag('plan.deal_size', p.deal_size, money(p.deal_size, cur))} "
        f"on average, and the funnel turns "
        f"{tag('plan.lead_close_rate', p.funnel.overall_rate, percent(p.funnel.overall_rate, 2))} "
        f"of {text(n.plural(stages[0]))} into {text(n.plural(stages[-1]))}. Each figure is the "
        "whole number needed, rounded up; the exact values are in the appendix."
    )
    return [
        block(
            '<div class="fk-first-page">',
            heading(1, text(p.title)),
            para(f"Plan period {_period_words(p.start, p.months)}. {data}", cls="fk-meta"),
            '<div class="fk-summary">',
            para(
                f"The shared goal: {strong(goal)} of revenue. {_chance_sentence(book)}",
                cls="fk-goal",
            ),
            owns,
            heading(3, "Top risks"),
            numbered(risks)
            if risks
            else para(
                "No risk stands out against history and the forecast."
                if _forecast(book) is not None
                else "No risk stands out against history."
            ),
            "</div>",
            para(sla_line),
            "</div>",
        )
    ]


def targets(book: Workbook) -> list[object]:
    """Targets by stage for the period, then by month, as tables and charts."""
    plan = book.plan
    ph = plan.phasing
    before = plan.phasing.whole[~ph.in_plan, 0].sum()
    first = plan.params.funnel.stages[0]
    total = plan.targets.whole[0]
    items: list[object] = []
    if before > 0:
        items.append(
            block(
                para(
                    strong(
                        f"{tag(f'lead_in_before.{first}', before, count(before))} of the "
                        f"{tag(f'need.{first}', total, count(total))} "
                        f"{text(plan.params.names.plural(first))} must arrive before the period "
                        "starts"
                    ),
                    ": the stage lags mean this period's deals begin as earlier months' "
                    f"{text(plan.params.names.plural(first))} (the rows marked *).",
                )
            )
        )
    items += [
        table_html(
            plan_tables.stages_frame(plan),
            "Targets by stage for the whole period",
            plan_tables.stages_tags(plan),
        ),
        chart(charts.funnel_chart(plan)),
        table_html(
            plan_tables.phasing_frame(plan),
            f"When each stage's volume must arrive, by {ph.granularity} "
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


def appendix(book: Workbook) -> list[object]:
    """The exact values behind the whole numbers the report asks for."""
    plan = book.plan
    return [
        block(
            para(
                "Every volume in this report is the whole number needed, each rounded up from "
                "its own exact value; these are the exact values of the period's targets."
            )
        ),
        table_html(
            plan_tables.exact_frame(plan),
            "Exact volumes for the whole period",
            plan_tables.exact_tags(plan),
        ),
    ]


def sla(book: Workbook) -> list[object]:
    """The SLA: marketing's commitment and its value, sales' window, cadence and capacity."""
    plan = book.plan
    s = plan.sla
    terms = s.terms
    n = plan.params.names
    cur = plan.params.currency
    cadence = ", ".join(f"day {t.day:g} {text(t.channel)}" for t in terms.cadence)
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
        else f"{strong(reps, ' reps are not enough')}: the busiest month needs {needs} to "
        "follow up every hand-off on the cadence."
    )
    handoffs = float(s.handoffs_whole.sum())
    handoff = text(n.plural(terms.handoff_stage))
    need = float(plan.targets.whole[plan.targets.funnel.stages.index(terms.handoff_stage)])
    value = float(s.lead_value.sum())
    lines = [
        f"{strong('Marketing commits')} to {tag('sla.handoffs', handoffs, count(handoffs))} "
        f"{handoff} handed over from {s.periods[0]} to {s.periods[-1]} (each month rounded up, "
        "lead-in months before the plan included; the period's deals need "
        f"{tag(f'need.{terms.handoff_stage}', need, count(need))}), worth "
        f"{tag('sla.lead_value', value, money(value, cur))} of expected revenue.",
        f"{strong('Sales commits')} to a first touch within "
        f"{tag('sla.first_touch_minutes', terms.first_touch_minutes, f'{terms.first_touch_minutes:g}')} "
        f"minutes of each hand-off, then the cadence: {cadence}.",
        f"{strong('Capacity:')} {capacity}",
    ]
    return [
        block(bullets(lines)),
        table_html(plan_tables.sla_frame(plan), "The SLA by month", plan_tables.sla_tags(plan)),
    ]


def program(book: Workbook) -> list[object]:
    """The program plan: the leads each channel must bring each month for each team's part of
    the goal, what they cost, what history measured, and what marketing's budget buys."""
    pp = book.program
    if pp is None:  # the parameters ask for none: no section
        return []
    p = book.plan.params
    cur, names, stages = p.currency, p.names, p.funnel.stages
    mix = {
        "least-cost": "the least-cost mix: the cheapest revenue first, each channel up to its "
        f"capacity ({pp.terms.capacity_multiple:g} × its best month's leads) and minimum",
        "history": "history's mix: each channel's share of the export's leads",
    }.get(pp.terms.mix if isinstance(pp.terms.mix, str) else "", "the shares the parameters give")
    lines = []
    for team in pp.teams.values():
        part = tag(f"program.revenue.{team.team}", team.revenue, money(team.revenue, cur))
        if team.plan is None:
            lines.append(
                f"{strong(text(team.team.capitalize()), '’s part')}, {part}, has no channel "
                "the costs file prices, so it is not planned by channel."
            )
            continue
        leads = float(whole_units(team.plan.leads.sum()))
        spend = float(team.plan.spend.sum())
        customers = float(team.plan.customers.sum())
        channels = len(team.plan.channels)
        first = text(names.plural(stages[0]))
        if team.team == "marketing":
            planned = float(book.plan.targets.whole[0])
            compared = (
                f" (the plan's one funnel asks {tag(f'need.{stages[0]}', planned, count(planned))}"
                " at its own rates; each channel here converts at its own)"
            )
        else:
            compared = " (the plan's funnel covers marketing's part only)"
        lines.append(
            f"{strong(text(team.team.capitalize()), '’s part')}, {part}, needs "
            f"{tag(f'program.leads.{team.team}', leads, count(leads))} {first} from "
            f"{channels} channel{'s' * (channels != 1)} over {pp.months[0]} to "
            f"{pp.months[-1]}{compared}, costing "
            f"{tag(f'program.spend.{team.team}', spend, money(spend, cur))}: "
            f"{money(spend / customers, cur)} per {text(names.label(stages[-1]))}."
        )
        breaches = team.plan.breaches()
        if breaches:
            more = f"; and {len(breaches) - 3} more" if len(breaches) > 3 else ""
            lines.append(
                f"{strong('This mix asks of a channel what it cannot give')}: "
                f"{text('; '.join(breaches[:3]))}{more}. The least-cost mix ('mix: least-cost') "
                "stays within every capacity and minimum."
            )
        if team.unpriced:
            lines.append(
                f"Not planned: {text(', '.join(team.unpriced))} (the costs file has no spend "
                "for them in the months it covers)."
            )
    if pp.budget is not None:
        budget, bought = float(pp.terms.budget or 0), float(pp.budget.revenue[0])
        plan = pp.teams["marketing"].plan
        needed = float(plan.spend.sum()) if plan is not None else 0.0
        verdict = "covers" if budget >= needed else strong("falls short of")
        lines.append(
            f"{strong('Marketing’s budget')} of {tag('program.budget', budget, money(budget, cur))} "
            f"{verdict} the {money(needed, cur)} its channels cost; spent in full on the best "
            f"revenue per unit of spend, within each channel's capacity, it buys at most "
            f"{tag('program.budget_revenue', bought, money(bought, cur))} of revenue."
        )
    left_out = [f.sentence() for f in pp.costs.quality.findings] + pp.measured.notes()
    if left_out:
        lines.append(
            f"{strong('The costs file')} {text(pp.costs.source.split('/')[-1])}: "
            f"{text('; '.join(left_out))}."
        )
    items: list[object] = [
        block(
            para(
                f"Each team's part of the goal comes from its own channels, mixed by {mix}. "
                "The leads arrive, and the spend falls, in the months before the deals close."
            ),
            bullets(lines),
        ),
        table_html(
            program_tables.channels_frame(pp, stages, cur, names),
            "What each channel must bring over the lead months, and what it costs",
        ),
    ]
    spend_table = program_tables.spend_frame(pp, cur)
    if len(spend_table):
        items.append(table_html(spend_table, "Spend by channel and the month the leads arrive"))
        by_channel = {
            c.name: row
            for team in pp.teams.values()
            if team.plan is not None
            for c, row in zip(team.plan.channels, team.plan.spend, strict=True)
        }
        items.append(chart(charts.spend_chart(pp.months, by_channel, cur)))
    items.append(
        table_html(
            program_tables.history_frame(pp, stages, cur, names),
            f"What history measured, {pp.measured.months[0]} to {pp.measured.months[-1]}: each "
            "channel's costs, and its rate to a customer pooled towards the overall funnel",
        )
    )
    return items


def goal_scorecard(book: Workbook) -> list[object]:
    """Every goal's SMART and FAST verdicts, and whether the team goals add up to the shared one."""
    if book.goals is None or book.table is None:
        return [block(note("The parameters name no goals file, so there is no scorecard."))]
    context = Context(
        book.table,
        book.plan,
        book.as_of,
        book.goals.thresholds,
        book.goals,
        book.outcomes,
        *program_channels(book.program),
    )
    items: list[object] = [
        block(para(f"Goals checked on {book.as_of:%d %b %Y}.")),
        HTML(scorecard_html(scorecard(book.goals, context), HTML_MARKS)),
    ]
    checks = checks_frame(book.goals, context)
    why = [
        f"{strong(text(goal.id))} {line}"
        for goal in book.goals.goals
        for line in findings(checks, goal.id, HTML_MARKS)
    ]
    if why:
        items.append(block(para(strong("Why a goal warns or fails:")), bullets(why)))
    items += _goal_chances(book)
    p = book.plan.params
    volumes = volume_goals_sentences(book.goals, book.plan, HTML_MARKS)
    if volumes:
        items.append(block(bullets(volumes)))
    for a in shared_alignments(book.goals, book.table, book.plan):
        two = two_goals_sentence(a, p.revenue_goal, p.currency, HTML_MARKS)
        if two is not None:
            items.append(block(para(two)))
        lines = alignment_text(a, p.currency, HTML_MARKS).splitlines()
        items.append(
            block(para(lines[0]), bullets(line.strip().removeprefix("- ") for line in lines[1:]))
        )
    for label, ids in loose_ends(book.goals):
        items.append(block(para(strong(text(label), ":"), " ", text(", ".join(ids)))))
    return items


def _goal_value(book: Workbook, goal: Goal, value: float) -> str:
    """A value of a goal's metric as shown: money for revenue, else a count."""
    return money(value, book.plan.params.currency) if goal.metric == "revenue" else count(value)


def _metric_words(book: Workbook, goal: Goal) -> str:
    """A metric the forecast simulates, as a report names it: 'Revenue', 'MQLs'."""
    kind, _, stage = (goal.metric or "").partition(":")
    if kind == "volume":
        return book.plan.params.names.plural_title(stage)
    return {"revenue": "Revenue", "new_customers": "New customers"}.get(kind, kind)


def _together_words(t: Together) -> str:
    """How often a shared goal's team goals are met together, and it with them, in words."""
    sid = t.shared.goal.id
    each = [
        f"{text(x.goal.id)} ({tag(f'goal_chance.{x.goal.id}', x.chance, percent(x.chance))} on "
        "its own)"
        for x in t.teams
        if x.chance is not None
    ]
    joint = tag(f"joint.teams.{sid}", t.all_teams, percent(t.all_teams))
    if len(t.teams) == 1:
        met = (
            f"The one team goal the forecast counts for {text(sid)}, {each[0]}, is met in "
            f"{joint} of the simulated periods"
        )
        odds = ""
    else:
        both = "both" if len(t.teams) == 2 else "all"
        met = f"Team goals {' and '.join(each)} are {both} met in {joint} of the same simulated periods"
        odds = " Goals each at even odds are not met together at even odds."
    alone = t.shared.chance or 0.0
    given = ""
    if t.shared_given_teams is not None:
        then = tag(
            f"joint.shared_given_teams.{sid}", t.shared_given_teams, percent(t.shared_given_teams)
        )
        overall = tag(f"goal_chance.{sid}", alone, percent(alone))
        given = (
            f"; in those periods the shared goal {text(sid)} is met {then} of the time "
            f"({overall} overall)"
        )
    left = ""
    if t.left_out:
        left = (
            " Not counted, as the forecast does not simulate their metrics (rates, the SLA "
            f"share) or their periods: {text(', '.join(g.id for g in t.left_out))}."
        )
    return f"{strong('Together.')} {met}{given}.{odds}{left}"


def _goal_chances(book: Workbook) -> list[object]:
    """The levels each goal the forecast covers could be set at, its chance, and how often
    team goals are met together with their shared goal, from the same trials."""
    outcomes, goals, table = book.outcomes, book.goals, book.table
    if outcomes is None or goals is None or table is None:
        return []
    found = goal_levels(goals, outcomes, table, book.plan.sla.terms.handoff_stage)
    if not found:
        return []
    columns = ("commit (P90)", "plan (P50)", "stretch (P25)")
    rows: list[dict[str, str]] = []
    marks: dict[str, Marks] = {c: [] for c in (*columns, "target", "chance")}
    for g in found:
        gid = g.goal.id
        row = {"goal": gid, "team": g.goal.team, "metric": _metric_words(book, g.goal)}
        for (name, value), column in zip(g.levels.items(), columns, strict=True):
            row[column] = _goal_value(book, g.goal, value)
            marks[column].append((f"goal_level.{name}.{gid}", value))
        row["target"] = "–" if g.target is None else _goal_value(book, g.goal, g.target)
        marks["target"].append(None if g.target is None else (f"goal_number.{gid}", g.target))
        row["chance"] = "–" if g.chance is None else percent(g.chance)
        marks["chance"].append(None if g.chance is None else (f"goal_chance.{gid}", g.chance))
        rows.append(row)
    n = len(outcomes.trials["revenue"])
    items: list[object] = [
        block(
            para(
                f"{strong('Goals as chances.')} The forecast's {count(n)} simulated periods give "
                "each goal on revenue, customers or a stage's volume the levels it could be set "
                "at: commit (reached in 9 periods of 10), plan (in half) and stretch (in 1 of 4). "
                "A goals file can set a target at one of them, e.g. as p50."
            )
        ),
        table_html(pd.DataFrame(rows), "Each goal's levels and chance, from the forecast", marks),
    ]
    items += [block(para(_together_words(t))) for t in together(found, goals, outcomes)]
    return items


def _definition_rows(book: Workbook) -> list[tuple[str, str, str, pd.Series]]:
    """Each agreed definition of a stage between the first and the last measured on history:
    (stage, the stage it is judged among, the stage it should lead to, its qualification)."""
    d, table = book.definitions, book.table
    if d is None or table is None:
        return []
    stages = book.plan.params.funnel.stages
    rows = []
    for stage, definition in d.stages.items():
        if stage not in stages[1:-1]:
            continue
        k = stages.index(stage)
        among, outcome = stages[k - 1], stages[k + 1]
        if among in table.stages and outcome in table.stages:
            r = qualification(table, definition, outcome, among=among).iloc[0]
            rows.append((stage, among, outcome, r))
    return rows


def _definition_lifts(book: Workbook) -> dict[str, float]:
    """Each measured definition's lift: its qualified leads' rate over the others'."""
    return {stage: float(r["lift"]) for stage, _, _, r in _definition_rows(book)}


def agreed_definitions(book: Workbook) -> list[object]:
    """The stage definitions both teams agreed, in words from the rules, with their version
    and who agreed; on history, how many leads each qualifies and how those converted, and a
    flag on a definition whose qualified leads convert worse than the rest."""
    d = book.definitions
    if d is None:
        return [block(note("The parameters name no stage definitions."))]
    n = book.plan.params.names
    items: list[object] = [
        block(
            para(
                f"Version {strong(text(d.version))}, agreed by {text(', '.join(d.agreed_by))} "
                f"on {d.agreed_on:%d %b %Y}."
            ),
            bullets(f"{strong(text(n.label(s)))}: {text(x.text(n))}" for s, x in d.stages.items()),
        )
    ]
    measured = _definition_rows(book)
    if not measured:
        return items
    rows = [
        {
            "definition": n.label(stage),
            "judged among": n.plural(among),
            "leads": count(r["leads"]),
            "qualify": count(r["qualified"]),
            "share": percent(r["qualified_share"]),
            "went on to": n.label(outcome),
            "qualified": percent(r["qualified_rate"], 1),
            "the others": percent(r["others_rate"], 1),
            "lift": multiple(r["lift"]) if r["lift"] >= 0.095 else f"{r['lift']:.2f}×",
        }
        for stage, among, outcome, r in measured
    ]
    raw = pd.DataFrame([r.rename(stage) for stage, _, _, r in measured])
    items.append(
        table_html(
            pd.DataFrame(rows),
            "Each definition on history: the leads it qualifies and how they went on",
            column_marks(
                raw,
                "definition",
                list(raw.index),
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
    worse = [(stage, float(r["lift"])) for stage, _, _, r in measured if r["lift"] < 1]
    for stage, lift in worse:
        items.append(
            block(
                para(
                    strong(f"The agreed {text(n.label(stage))} definition needs another look:"),
                    f" the leads it qualifies went on less often than the ones it leaves out "
                    f"(lift {tag(f'definition.lift.{stage}', lift, multiple(lift))}).",
                )
            )
        )
    return items


def _format_review(frame: pd.DataFrame, currency: str, names: StageNames) -> pd.DataFrame:
    is_money = frame["line"] == "revenue"
    out = pd.DataFrame(
        {
            "line": [
                "Revenue" if m else names.title(line)
                for line, m in zip(frame["line"], is_money, strict=True)
            ],
            "team": frame["team"],
            "counted from": frame["counted_from"].dt.strftime("%d %b %Y"),
            "counted to": frame["counted_to"].dt.strftime("%d %b %Y"),
        }
    )
    out["planned to date"] = [
        money(v, currency) if m else count(w)
        for v, w, m in zip(frame["planned"], frame["planned_whole"], is_money, strict=True)
    ]
    out["actual"] = [
        money(v, currency) if m else count(v)
        for v, m in zip(frame["actual"], is_money, strict=True)
    ]
    out["attainment"] = [percent(v) for v in frame["attainment"]]
    return out


def _whose_leads(table: LeadTable) -> str:
    """Which leads a plan's stages are counted on, in words."""
    if tells_sources(table):
        return "marketing-sourced leads (the plan's funnel is marketing's)"
    return f"every lead ({text(sourcing_note(table))})"


def previous_period(book: Workbook) -> list[object]:
    """The previous period's plan against its actuals so far."""
    prev = book.previous
    if prev is None or book.table is None:
        return [block(note("The parameters name no previous plan to compare actuals against."))]
    frame = review.plan_vs_actuals(prev, book.table)
    as_of = book.table.as_of
    title = f"{prev.params.title}: actuals against plan to {as_of:%d %b %Y}"
    if not (frame["planned"] > 0).any():
        return [
            block(note(f"{text(prev.params.title)} has no planned volume before {as_of:%d %b %Y}."))
        ]
    start, end = forecast.plan_period(prev)
    if end <= as_of:
        status = "ended: its whole period is in the actuals"
    else:
        months = prev.params.months
        done = min(max((as_of.year - start.year) * 12 + as_of.month - start.month + 1, 0), months)
        status = (
            f"{strong('in progress')}: actuals to {as_of:%d %b %Y}, {done} of its {months} "
            "months begun, so the comparison is to date, not final"
        )
    return [
        block(
            para(
                f"{strong(text(prev.params.title))} "
                f"({_period_words(prev.params.start, prev.params.months)}), {status}. Each stage "
                f"counts {_whose_leads(book.table)} from the day its planned volume starts to "
                "arrive (the plan start less the stage's lag) to the day it stops (the plan end "
                "less the lag) or the export's as-of day, whichever comes first; revenue is won "
                "amounts from every source within the plan period."
            )
        ),
        table_html(
            _format_review(frame, prev.params.currency, book.plan.params.names),
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
        chart(
            charts.attainment_chart(
                frame, "Previous plan: actual as % of plan to date", book.plan.params.names
            )
        ),
        *_gap_blocks(book, prev, None, titled=True, label=prev.params.title),
    ]


def _period_months(plan: Plan) -> list[str]:
    """The plan period's months, 'YYYY-MM' (lead-in months left out)."""
    first = pd.Period(str(plan.params.start)[:7], "M")
    return [str(m) for m in pd.period_range(first, periods=plan.params.months)]


def _gap(book: Workbook, plan: Plan, months: tuple[int, int] | None) -> GapView | str:
    """The gap bridge of `plan`'s months `months` (default its whole period) to the export's
    as-of day, or why there is none."""
    table = _table(book)
    p = plan.params
    first, end = (0, p.months) if months is None else months
    labels = _period_months(plan)
    scope = labels[first] if end - first == 1 else f"{labels[first]}..{labels[end - 1]}"
    try:
        gap = gap_drivers(plan, table, months)
    except InputError as err:
        return _public(book, str(err))
    return gap_view(
        gap,
        scope,
        p.currency,
        plan.sla.terms.first_touch_minutes,
        p.funnel.stages[0],
        book.plan.params.names,
    )


def _gap_blocks(
    book: Workbook, plan: Plan, months: tuple[int, int] | None, titled: bool, label: str
) -> list[object]:
    """Why revenue is off plan, clause by clause: the gap by clause (under its own heading
    when `titled`), the waterfall, the drivers' table, what would have been had each of the
    largest gone as planned, and how it is worked out. `label` names the window in titles."""
    view = _gap(book, plan, months)
    if isinstance(view, str):
        reason = view.split(f"{CANNOT_SPLIT}: ", 1)[-1]  # said once
        return [block(note(f"The gap to plan cannot be split: {text(reason)}."))]
    g, s = view.gap, view.scope
    frame, marks = gap_table(view)
    when = days(g.first, g.last)
    method = [
        "Revenue is worked out by the plan's own arithmetic: leads × source mix × each step's "
        "rate × follow-up × deal size × timing, with sales' own sources on top. Each stage is "
        "counted on the entries whose planned wins fall in these days (the stage's days earlier: "
        f"'counted'), a step's rate on those old enough to have taken it, the plan's rate "
        f"weighing as {PRIOR_ENTRIES:g} of them. A driver's part is the average of what putting "
        "its planned value back changes, over every order of doing so (its Shapley value)."
    ]
    if g.follow_up is not None:
        low, high = g.follow_up.interval
        fast, slow = g.follow_up.rates
        method.append(
            "Follow-up is planned at history's share touched in time, the share the plan's rates "
            f"were measured at, and valued by history: hand-offs touched within "
            f"{view.window_minutes:g} minutes went on to the next stage "
            f"{tag(f'gap_follow_up.in_time.{s}', fast, percent(fast, 1))} of the time, the "
            f"others {tag(f'gap_follow_up.others.{s}', slow, percent(slow, 1))} (a difference of "
            f"{tag(f'gap_follow_up.difference.{s}', fast - slow, signed((fast - slow) * 100))} "
            f"points, 95% interval {signed(low * 100)} to {signed(high * 100)}): history, not "
            "proof of cause."
        )
    names = book.plan.params.names
    method += [f"{text(n[:1].upper() + n[1:])}." for n in g.notes]
    method += [
        f"No {text(names.step(step))} entry counted has had {wait:.0f} days yet (the time most "
        "of that step's conversions take), so its rate is the plan's."
        for step, wait in g.unripe.items()
    ]
    return [  # the heading kept with the gap's sentences and its chart on one page in print
        kept(
            block(
                *([heading(3, "Why: the gap to plan, clause by clause")] if titled else []),
                para(summary(view, HTML_MARKS)),
            ),
            chart(charts.gap_chart(view, f"From plan to won: {label}")),
        ),
        table_html(frame, f"The gap to plan by driver: {label} (revenue {when})", marks),
        block(
            bullets([counterfactual(view, i, HTML_MARKS) for i in view.told()]),
            para(" ".join(method), cls="fk-meta"),
        ),
    ]


def gap_to_plan(book: Workbook, month: str) -> list[object]:
    """The month's gap to plan, split by clause: see `_gap_blocks`."""
    window = _month_window(book.plan, month)
    name = f"{pd.Period(month, 'M'):%B %Y}"
    if window is None:
        return [
            block(
                note(
                    f"{name} is a lead-in month: the plan asks no revenue of it, so there is no "
                    "gap to split."
                )
            )
        ]
    return _gap_blocks(book, book.plan, window, titled=False, label=name)


def _month_window(plan: Plan, month: str) -> tuple[int, int] | None:
    """The plan months (first, last + 1) of `month` ('YYYY-MM'); None for a lead-in month."""
    months = _period_months(plan)
    if month not in months:
        return None
    i = months.index(month)
    return i, i + 1


def _gap_points(book: Workbook, month: str) -> list[str]:
    """The two largest contributions to the month's gap, as the discussion's first points."""
    window = _month_window(book.plan, month)
    if window is None:
        return []
    view = _gap(book, book.plan, window)
    if isinstance(view, str):  # the gap section says why it cannot be split
        return []
    return [counterfactual(view, j, HTML_MARKS) for j in view.told()[:2]]


def _risks_table(
    r: pd.DataFrame, currency: str, leads_measured: dict[str, int], names: StageNames
) -> tuple[pd.DataFrame, str, dict[str, list[tuple[str, float] | None]]]:
    """Each assumption against history as a table, largest departure first: the plan's figure
    and history's side by side, formatted by kind and tagged with their names; with its
    caption."""
    r = r.assign(
        stretch=r["verdict"] != "stretch", size=(r["plan"] / r["history"] - 1).abs()
    ).sort_values(["stretch", "size"], ascending=[True, False], na_position="last", kind="stable")
    kinds = r["figure"].str.split(".").str[0]
    fmt = {
        "rate": lambda v: percent(v, 1),
        "days": "{:.0f} days".format,
        "deal_size": lambda v: money(v, currency),
        "marketing_share": lambda v: percent(v, 1),
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
        "–" if k == "reps" or pd.isna(h) or h == 0 else f"{p / h - 1:+.0%}"
        for k, p, h in zip(kinds, r["plan"], r["history"], strict=True)
    ]
    change_marks: list[tuple[str, float] | None] = [
        None if c == "–" else (f"baseline.change.{f}", float(p / h - 1))
        for c, f, p, h in zip(change, r["figure"], r["plan"], r["history"], strict=True)
    ]
    basis = [
        f"{count(leads_measured[f[5:]])} mature {names.plural(f[5:].split('→')[0])}"
        if f.startswith("rate.")
        else b
        for f, b in zip(r["figure"], r["basis"], strict=True)
    ]
    basis_marks: list[tuple[str, float] | None] = [
        (f"baseline.leads.{f[5:]}", float(leads_measured[f[5:]])) if f.startswith("rate.") else None
        for f in r["figure"]
    ]
    frame = pd.DataFrame(
        {
            "assumption": r["driver"],
            "plan": [shown(v, k) for v, k in zip(r["plan"], kinds, strict=True)],
            "history": [shown(v, k) for v, k in zip(r["history"], kinds, strict=True)],
            "change": change,
            "history from": basis,
            "verdict": r["verdict"],
        }
    )
    caption = (
        "Each assumption against history: stretches first, then the largest departures (for "
        "sales capacity: the reps the busiest month needs)"
    )
    marks = {"plan": plan_marks, "history": history_marks, "change": change_marks}
    return frame, caption, marks | {"history from": basis_marks}


def plan_risks(book: Workbook) -> list[object]:
    """Where history says the plan is a stretch, then the sensitivity of the first stage."""
    plan = book.plan
    items: list[object] = []
    if book.baselines is not None:
        r = review.risks(plan, book.baselines)
        stretch = [text(s) for s in r.loc[r["verdict"] == "stretch", "sentence"]]
        stretch += _beyond_history_lines(book)
        items += [
            block(
                para(
                    strong("Stretches against history"),
                    f" (more than {percent(review.STRETCH)} beyond it):",
                ),
                bullets(stretch) if stretch else para("None."),
            ),
            table_html(
                *_risks_table(
                    r, plan.params.currency, book.baselines.leads_measured, plan.params.names
                )
            ),
        ]
    else:
        items.append(
            block(
                note(
                    "The plan's assumptions are not checked against history: "
                    f"{text(_public(book, book.baselines_note))}."
                )
            )
        )
    items.append(block(para(_coverage_text(book))))
    swings = book.swings
    if swings is None:
        items += [
            block(
                note(
                    "The export has too little dated history to show how the drivers have "
                    "varied, so each is moved by "
                    f"±{percent(plan.sensitivity.change)}; every rate and the deal size then move "
                    "the volumes alike."
                )
            ),
            chart(charts.tornado_chart(plan)),
        ]
    else:
        items += [
            chart(charts.tornado_chart(plan, swings)),
            table_html(*_swings_table(book, swings)),
        ]
    return items


def _swings_table(
    book: Workbook, swings: Sensitivity
) -> tuple[pd.DataFrame, str, dict[str, list[tuple[str, float] | None]]]:
    """Each driver's lowest and highest recent quarter and the first stage's volume needed at
    each, the widest swing first; with its caption and tags."""
    plan = book.plan
    n, cur = plan.params.names, plan.params.currency
    first = plan.params.funnel.stages[0]
    order = np.argsort(-np.abs(swings.leads - swings.base_leads).max(axis=1), kind="stable")
    drivers = [swings.drivers[i] for i in order]

    def value(driver: str, v: float) -> str:
        return money(v, cur) if driver == "deal_size" else percent(v, 1)

    lows, highs = swings.values[order, 0], swings.values[order, 1]
    at_low, at_high = whole_units(swings.leads[order, 0]), whole_units(swings.leads[order, 1])
    frame = pd.DataFrame(
        {
            "driver": [plan_tables.driver_name(d, n) for d in drivers],
            "lowest quarter": [value(d, v) for d, v in zip(drivers, lows, strict=True)],
            "highest quarter": [value(d, v) for d, v in zip(drivers, highs, strict=True)],
            f"{n.plural(first)} needed at lowest": [count(v) for v in at_low],
            f"{n.plural(first)} needed at highest": [count(v) for v in at_high],
        }
    )
    tags: dict[str, list[tuple[str, float] | None]] = {
        "lowest quarter": [
            (f"swing.low.{d}", float(v)) for d, v in zip(drivers, lows, strict=True)
        ],
        "highest quarter": [
            (f"swing.high.{d}", float(v)) for d, v in zip(drivers, highs, strict=True)
        ],
        f"{n.plural(first)} needed at lowest": [
            (f"swing.need_at_low.{d}", float(v)) for d, v in zip(drivers, at_low, strict=True)
        ],
        f"{n.plural(first)} needed at highest": [
            (f"swing.need_at_high.{d}", float(v)) for d, v in zip(drivers, at_high, strict=True)
        ],
    }
    caption = (
        f"Each driver at its lowest and highest of the last {QUARTERS} quarters on the export, "
        f"the others as planned ({count(plan.targets.whole[0])} {n.plural(first)} needed as "
        "planned)"
    )
    return frame, caption, tags


def _public(book: Workbook, message: str) -> str:
    """A message with the export's path cut to its file name: reports name no server paths."""
    if book.table is not None:
        for source in book.table.source.split(" + "):
            message = message.replace(source, Path(source).name)
    return message


def _coverage_text(book: Workbook) -> str:
    """The pipeline coverage of what is left of the goal, or why there is none."""
    if book.coverage is None:
        return f"<em>No pipeline coverage: {text(_public(book, book.coverage_note))}.</em>"
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


LEAKAGE_ROWS = 12  # the step-and-source rows a review's leakage table shows, largest losses first
NO_TOUCHES = (
    "The export records no first touches (no first-touch time or response time is mapped), "
    "so follow-up within the SLA cannot be measured. Map them in the export's mapping to see "
    "it here."
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


def _month_ended(book: Workbook, month: str) -> bool:
    """Whether the reviewed month ended on or before the export's as-of day."""
    return pd.Period(month, "M").end_time.normalize() <= _table(book).as_of.normalize()


def _format_pacing(frame: pd.DataFrame, names: StageNames) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "stage": [names.title(s) for s in frame["stage"]],
            "team": frame["team"],
            "month goal": frame["goal"].map(count),
            "expected to date": frame["expected_whole"].map(count),
            "actual to date": frame["actual_to_date"].map(count),
            "gap": frame["gap"].map("{:+,.0f}".format),
            "projected": frame["projection"].map(count),
            "projected vs goal": frame["projected_attainment"].map(percent),
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
    label = f"{pd.Period(month, 'M'):%B %Y}"
    pace = (
        "the month has ended, so its figures are final"
        if _month_ended(book, month)
        else "the projection runs the month's pace to its end"
    )
    return [
        block(
            heading(1, f"Monthly review: {label}"),
            para(
                f"{strong(text(plan.params.title))}, actuals to {as_of:%d %b %Y}. Goals are the "
                f"plan's whole volumes for the month; actuals count {_whose_leads(table)}; "
                f"{pace}.",
                cls="fk-meta",
            ),
        ),
        table_html(
            _format_pacing(frame, plan.params.names),
            f"{label}: each stage against its month goal",
            marks,
        ),
        *_undated_note(table, plan.params.names),
        chart(charts.pacing_chart(review.team_pacing(plan, table, month), plan.params.names)),
    ]


def _undated_note(table: LeadTable, names: StageNames) -> list[object]:
    """A sentence naming the stages the export gives no times for, when there are any."""
    if not table.undated_stages:
        return []
    undated = ", ".join(text(names.plural(s)) for s in table.undated_stages)
    return [
        block(
            note(
                f"The export gives no times for {undated}, so entries cannot be counted by "
                "month: they are left out of the pacing."
            )
        )
    ]


WHOLE_TEAM = "(whole team)"  # the one row of a per-owner table when no lead has an owner
NO_OWNERS = "No lead has an owner in the CRM data"


def month_sla(book: Workbook, month: str) -> list[object]:
    """SLA compliance by owner in the month, and the late follow-ups: counted per owner, or
    listed lead by lead when `show_lead_rows` is set."""
    plan, table = book.plan, _table(book)
    terms = plan.sla.terms
    n = plan.params.names
    if not touches_recorded(table):
        return [block(note(text(NO_TOUCHES)))]
    frame = review.month_sla(plan, table, month).sort_values("share_within", kind="stable")
    shown = pd.DataFrame(
        {
            "owner": frame["owner"].astype("string").fillna("(no owner)"),
            f"{n.plural(terms.handoff_stage)} handed off": frame["handed_off"].map(count),
            "touched": frame["touched"].map(count),
            "within window": frame["within_window"].map(count),
            "pending": frame["pending"].map(count),
            "share within": frame["share_within"].map(percent),
        }
    )
    window = f"{terms.first_touch_minutes:g} minutes"
    owned = "owner" in table.leads and bool(table.leads["owner"].notna().any())
    if not owned:
        shown["owner"] = WHOLE_TEAM
    owners = list(shown["owner"])
    unowned = [block(note(f"{NO_OWNERS}: the SLA is counted for the whole team."))]
    items: list[object] = [
        *([] if owned else unowned),
        table_html(
            shown,
            f"{month}: hand-offs touched within {window}, "
            + ("by owner (lowest share first)" if owned else "for the whole team"),
            column_marks(
                frame,
                "owner_sla",
                owners,
                {
                    f"{n.plural(terms.handoff_stage)} handed off": "handed_off",
                    "touched": "touched",
                    "within window": "within_window",
                    "pending": "pending",
                    "share within": "share_within",
                },
            ),
        ),
    ]
    breaches = sla_breaches(table, terms.first_touch_minutes, terms.handoff_stage, table.as_of)
    breaches = breaches.loc[breaches["handed_off_at"].dt.strftime("%Y-%m") == month]
    if book.show_lead_rows:
        items.append(table_html(breaches, f"{month}: every late or missing first touch"))
    else:
        unnamed = "(no owner)" if owned else WHOLE_TEAM
        counts = (
            breaches.assign(owner=breaches["owner"].astype("string").fillna(unnamed))
            .groupby("owner")
            .agg(late=("minutes_late", "size"), median_minutes_late=("minutes_late", "median"))
            .reset_index()
            .sort_values("late", ascending=False)
        )
        marks = column_marks(
            counts,
            "owner_late",
            list(counts["owner"]),
            {"late or missing": "late", "median time late": "median_minutes_late"},
        )
        shown_counts = pd.DataFrame(
            {
                "owner": counts["owner"],
                "late or missing": counts["late"].map(count),
                "median time late": counts["median_minutes_late"].map(duration),
            }
        )
        items += [
            table_html(
                shown_counts,
                f"{month}: late or missing first touches "
                + ("per owner" if owned else "for the whole team"),
                marks,
            ),
            block(
                note(
                    "Lead-level rows are left out of this report; render with "
                    f"{code('--show-lead-rows')} to list them."
                )
            ),
        ]
    return items


def month_leakage(book: Workbook, month: str) -> list[object]:
    """Where the leads created in the months to `month` stopped, by stage and by source,
    the largest losses first."""
    table = _table(book)
    n = book.plan.params.names
    if table.stages[0] in table.undated_stages:
        return [
            block(
                note(
                    f"The export gives no times for {text(n.plural(table.stages[0]))}, the "
                    "first stage, so leads cannot be grouped by when they were created: no "
                    "leakage by creation month."
                )
            )
        ]
    leaks = review.month_leakage(table, month)
    leaks = leaks.assign(
        stopped=leaks["lost"] + leaks["stalled"],
        stopped_share=(leaks["lost"] + leaks["stalled"]) / leaks["reached"],
    ).sort_values(["stopped", "reached"], ascending=False, kind="stable")
    first = pd.Period(month, "M") - (review.LEAKAGE_MONTHS - 1)
    rest = leaks.iloc[LEAKAGE_ROWS:]
    leaks = leaks.iloc[:LEAKAGE_ROWS]
    shown = pd.DataFrame(
        {
            "step": [n.step(s) for s in leaks["step"]],
            "source": leaks["source"].astype("string").fillna("(no source)"),
            "reached": leaks["reached"].map(count),
            "advanced": leaks["advanced"].map(count),
            "lost": leaks["lost"].map(count),
            "stalled": leaks["stalled"].map(count),
            "in progress": leaks["in_progress"].map(count),
            "stopped": leaks["stopped"].map(count),
            "stopped share": leaks["stopped_share"].map(percent),
        }
    )
    left_out = (
        f" The {count(len(rest))} smaller losses left out of the table stopped "
        f"{tag('leakage.stopped_left_out', float(rest['stopped'].sum()), count(rest['stopped'].sum()))} "
        "leads between them."
        if len(rest)
        else ""
    )
    return [
        block(
            para(
                f"Leads created from {first:%b %Y} to {pd.Period(month, 'M'):%b %Y}, followed to "
                f"today; the steps and sources that lose the most come first.{left_out}"
            )
        ),
        chart(charts.leakage_chart(pd.concat([leaks, rest]), n)),
        table_html(
            shown,
            "Leakage by step and source (stopped = lost + stalled)",
            column_marks(
                leaks,
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


def _outlook_points(book: Workbook) -> list[str]:
    """The forecast's chance of the goal and the revenue shortfall so far, as the first
    points of a discussion; none without a forecast."""
    f = _forecast(book)
    if f is None:
        return []
    cur = book.plan.params.currency
    points = [
        f"Both teams: the forecast gives the goal of "
        f"{tag('plan.revenue_goal', f.goal, money(f.goal, cur))} a "
        f"{tag('forecast.chance', f.probability, percent(f.probability))} chance; "
        f"{tag('forecast.won_to_date', f.revenue_to_date, money(f.revenue_to_date, cur))} "
        "won so far."
    ]
    short = _revenue_short_words(book)
    if short is not None:
        points.append(f"Both teams: {short}.")
    return points


def to_discuss(book: Workbook, month: str) -> list[object]:
    """What the meeting should talk about, most pressing first: the chance of the goal and
    the shortfall, then the month's stages, follow-up and leakage, then the plan's stretches."""
    plan, table = book.plan, _table(book)
    sla = review.month_sla(plan, table, month)
    points = (
        _gap_points(book, month)
        + _outlook_points(book)
        + review.discussion_points(
            review.month_pacing(plan, table, month),
            sla if touches_recorded(table) else sla.iloc[0:0],  # nothing measured, nothing to say
            review.month_leakage(table, month),
            plan.sla.terms.first_touch_minutes,
            _sla_goal(book, month),
            HTML_MARKS,
            plan.params.names,
            ended=_month_ended(book, month),
        )
    )
    if book.baselines is not None:
        r = review.risks(plan, book.baselines)
        points += [f"Plan: {text(s)}" for s in r.loc[r["verdict"] == "stretch", "sentence"]]
    return [block(numbered(points))]


def outlook(book: Workbook) -> list[object]:
    """Will the period make its goal: the forecast's chance and range, the warnings in plain
    words (behind since when, what to do by when, pipeline coverage) and the fan chart."""
    plan, table = book.plan, book.table
    if table is None:
        return [block(note("No CRM export, so there is no forecast."))]
    as_of = table.as_of.normalize()
    start, end = forecast.plan_period(plan)
    try:
        outcome = book.forecast
    except InputError as err:
        return [block(note(f"No forecast: {text(_public(book, str(err)))}."))]
    if outcome is None:  # the period has ended: what it won
        won, customers = forecast.won_in(table, start, end)
        cur, last = plan.params.currency, plan.params.funnel.stages[-1]
        goal = plan.params.revenue_goal
        return [
            block(
                para(
                    f"The period ended on {end:%d %b %Y}: "
                    f"{tag('ended.revenue', won, money(won, cur))} won from "
                    f"{tag('ended.customers', customers, count(customers))} "
                    f"{text(plan.params.names.plural(last))} against the goal of "
                    f"{tag('plan.revenue_goal', goal, money(goal, cur))}."
                )
            )
        ]
    history = forecast.measure_history(table, as_of, plan.params.forecast_trend)
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
        plan.params.names,
    )
    at_history = float(
        forecast.run_rate_arrivals(table, as_of, len(arrivals), trends=history.trends).sum()
    )
    open_leads, new = float(len(pipeline.ids)), outcome.expected_new_leads
    trials = float(len(outcome.revenue))
    first = plan.params.names.plural(plan.params.funnel.stages[0])
    pace = new / len(arrivals)
    if at_history < 0.95 * new:
        compared = "fewer than at the plan's pace: if that pace holds, the chance is lower"
    elif at_history > 1.05 * new:
        compared = "more than at the plan's pace: if that pace holds, the chance is higher"
    else:
        compared = "about as many as at the plan's pace"
    method = (
        f"The forecast simulates the period {tag('forecast.trials', trials, count(trials))} "
        f"times, starting from {tag('forecast.open_leads', open_leads, count(open_leads))} open "
        f"{text(first)} and {tag('forecast.new_leads', new, count(new))} new ones arriving at "
        f"the plan's average pace ({tag('forecast.new_leads_per_day', pace, f'{pace:,.1f}')} a "
        "day: marketing's planned leads for its "
        f"{tag('plan.marketing_share', plan.params.marketing_share, percent(plan.params.marketing_share))} "
        "of revenue, and sales' own sources' for the rest, at the same funnel), and drawing "
        "conversion rates, stage "
        "times and deal amounts from the export's history: it asks, if both teams' sources "
        "deliver the plan, will we make it? At the pace of the "
        f"last {forecast.RUN_RATE_DAYS} days{' and its trend' if history.trends.volume else ''}, "
        f"{tag('forecast.new_leads_at_history_rate', at_history, count(at_history))} would "
        f"arrive in the same time, {compared}. {_trend_words(book, history.trends)}"
    )
    short = late.loc[late["actual"] <= late["planned"] - 1]
    items: list[object] = [
        block(bullets(lines), note(method)),
        *_track_record(book),
        *_start_record(book),
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
                "stage": [plan.params.names.title(st) for st in short["stage"]],
                "team": short["team"],
                "month": short["month"],
                "planned to date": short["planned_whole"].map(count),
                "actual": short["actual"].map(count),
                "short by": (-short["gap"]).map(count),
            }
        )
        keys = [f"{st}.{mo}" for st, mo in zip(short["stage"], short["month"], strict=True)]
        items.append(
            table_html(
                frame,
                f"Stages and months behind their phased target to {as_of:%d %b %Y}",
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
