"""The figures reports and tools show, each with one name and one meaning.

Reports tag every figure they print with its name and exact value, so a test can check that
one name never carries two values in a plan's reports. Names are dotted: the first part is
the family. Two different things always have two names: what the plan needs (`need.mql`)
against a goal's target (`goal_target.<id>`), MQLs the period's deals need against the
hand-offs committed month by month (`sla.handoffs`)."""

from __future__ import annotations

from funnelkit.core.exceptions import InputError
from funnelkit.core.validation import short

# family -> meaning; a name is '<family>' or '<family>.<member>' for the families marked '*'
GLOSSARY: dict[str, str] = {
    "plan.revenue_goal": "the plan's revenue goal for the period (money)",
    "plan.marketing_share": "fraction 0–1 of revenue from marketing-sourced leads",
    "plan.marketing_revenue_goal": "revenue goal × marketing share (money)",
    "plan.deal_size": "average deal size the plan assumes (money)",
    "plan.lead_close_rate": "fraction 0–1 of first-stage leads that become customers",
    "plan.win_rate": "fraction 0–1 the pipeline figures use (the parameters', or the funnel's last step)",
    "need.*": "whole volume a stage needs in the period, rounded up from its exact value (count)",
    "scenario_need.*": "whole volume a stage needs in the explorer's current scenario (count)",
    "need_exact.*": "exact volume a stage needs in the period, before rounding up (count)",
    "rate.*": "a step's conversion rate the plan assumes, by step ('lead→mql'; fraction 0–1)",
    "rate_to_last.*": "fraction 0–1 of a stage's volume that reaches the last stage, by stage",
    "days.*": "a step's typical days the plan assumes, by step",
    "days_to_last.*": "days from a stage to the last stage the plan assumes, by stage",
    "month.*": "whole volume a stage needs in a month, by '<stage>.<YYYY-MM>' (count)",
    "week.*": "whole volume a stage needs in an ISO week, by '<stage>.<week label>' (count)",
    "period_revenue.*": "revenue the phasing plans for a month or week, by its label (money)",
    "lead_in.*": "whole volume the next period needs in one of this period's months or weeks, by '<stage>.<label>' (count)",
    "sla_month.*": "the SLA table's figures for a month, by '<column>.<YYYY-MM>': lead_value (money), working_days, capacity (touches), reps_needed, reps_short",
    "baseline.*": "history's measure on the export: 'rate.<step>', 'days.<step>' (median), 'deal_size' (mean won amount), 'marketing_share' (of won revenue); 'leads.<step>' (mature leads a rate is measured on) and 'change.<figure>' (the plan's figure ÷ history's − 1)",
    "actual.*": "entries into a stage in a month up to the export's as-of day, by '<stage>.<YYYY-MM>' (count)",
    "definition_need.*": "whole volume a stage would need with the rates the definition explorer's current definition gives on history (count)",
    "agreed_definition_need.*": "the same with the agreed definition's rates on history (count)",
    "sla.handoffs": "hand-offs marketing commits to, month by month with the lead-in months, each month rounded up (count)",
    "sla.lead_value": "expected revenue of the committed hand-offs (money)",
    "sla.first_touch_minutes": "minutes within which sales touches each hand-off",
    "sla.touches_per_lead": "touches in the follow-up cadence (count)",
    "sla.reps": "reps the plan has for follow-up (full-time equivalents)",
    "sla.touches_per_rep_per_day": "touches one rep makes a working day (count)",
    "sla.reps_needed_peak": "whole reps needed in the busiest month",
    "coverage.pipeline": "open pipeline expected to close in the period, or the parameters' figure (money)",
    "coverage.remaining": "the revenue goal less revenue won in the period so far (money)",
    "coverage.ratio": "coverage.pipeline ÷ coverage.remaining",
    "coverage.needed": "1 ÷ plan.win_rate: the coverage the plan's win rate needs",
    "coverage.deals": "open deals expected to close within the period (count)",
    "coverage.later": "open deals expected to close after the period (count)",
    "coverage.stalled": "open deals history cannot time (count)",
    "lead_in_before.*": "whole volume a stage needs before the period starts, by stage (count)",
    "forecast.chance": "fraction 0–1 of simulated periods reaching the revenue goal",
    "forecast.expected": "mean simulated revenue for the period (money)",
    "forecast.low": "10th percentile of simulated revenue (money)",
    "forecast.high": "90th percentile of simulated revenue (money)",
    "forecast.won_to_date": "revenue won in the period up to the export's as-of day (money)",
    "forecast.open_leads": "open leads the forecast starts from (count)",
    "forecast.new_leads": "new leads the forecast expects from the as-of day to the period's end, at the plan's volume from every source: marketing's ÷ the marketing share (count)",
    "forecast.new_leads_at_history_rate": "new leads in the same days at the rate of the last RUN_RATE_DAYS days (count)",
    "forecast.trials": "simulated periods (count)",
    "forecast.new_leads_per_day": "the plan's average pace of new leads from the as-of day to the period's end (count a day)",
    "track.forecasts": "weekly forecasts of past periods in the forecast's backtest (count)",
    "track.periods": "past periods those forecasts cover (count)",
    "track.held_80": "backtested forecasts whose 80 % range held what was won (count)",
    "track.held_50": "backtested forecasts whose 50 % range held what was won (count)",
    "track.brier": "Brier score of the backtested chances of the goal (0–1, 0 is perfect)",
    "track.bias": "mean of (actual − expected) ÷ expected over the backtested forecasts (fraction)",
    "start_chance.*": "the chance of a past period's goal the forecast gave on the period's first day, from what the export knew then, by '<YYYY-MM>' of its first month (0–1)",
    "start_won.*": "what a past period won, by '<YYYY-MM>' of its first month (money, or customers)",
    "start.brier": "Brier score of the chances given at past periods' first days (0–1, 0 is perfect)",
    "track_goal.*": "the goal a backtested period was scored against, by '<YYYY-MM>' of its first month: its plan's (the previous plan's, and theirs in turn), else the median of what the export's earlier periods won (money, or customers)",
    "trend.volume": "growth of new leads a month over the last 12 months (fraction, negative when falling)",
    "trend.amount": "growth of the mean deal size a month over the last 12 months (fraction)",
    "forecast_rate.*": "the forecast's conversion rate from history (mean of its Beta): by step, or '<stage>_to_won' (fraction 0–1)",
    "pace.revenue_planned": "revenue the plan calls for by the as-of day (money)",
    "pace.revenue_short": "pace.revenue_planned less revenue won so far, when behind (money)",
    "behind.*": "a stage's month behind its phased target: 'planned.<stage>.<YYYY-MM>' (whole volume planned to date), 'actual.…' (entries), 'gap.…' (actual − planned, count)",
    "action.*": "what would close the gap: 'add.<stage>' (volume to add, count), 'in_time.<stage>' (fraction 0–1 of its wins closing in time), 'rate.<step>' (the rate needed from now on)",
    "ended.revenue": "revenue won in a period that has ended (money)",
    "ended.customers": "customers won in a period that has ended (count)",
    "previous.*": "the previous plan against its actuals to date: '<measure>.<stage or revenue>' for planned (whole volume, or money), actual, attainment (fraction)",
    "owner_sla.*": "the month's SLA by owner: '<measure>.<owner>' for handed_off, touched, within_window, pending, late (touched late or not at all; counts) and share_within (fraction 0–1)",
    "owner_late.*": "late or missing first touches by owner: 'late.<owner>' (count), 'median_minutes_late.<owner>'",
    "leakage.*": "where the leads created in the review's months stopped: '<measure>.<step>.<source>' for reached, advanced, lost, stalled, in_progress, stopped (counts) and stopped_share (fraction 0–1); 'stopped_left_out' for the rows the table leaves out",
    "pacing.*": "a stage's month in the review: '<measure>.<stage>.<YYYY-MM>' for expected (whole volume expected to date), gap (actual − expected), projection (count at the month's pace) and projected_attainment (fraction of the month goal)",
    "review_sla.share_within": "share 0–1 of the review month's hand-offs touched within the SLA's window",
    "review_sla.share_within_goal_window": "share 0–1 of the review month's hand-offs touched within the goals' window (60 minutes, whatever the SLA's first-touch minutes)",
    "definition.*": "an agreed definition on history, by '<measure>.<stage>': leads judged, qualified (counts), qualified_share, qualified_rate, others_rate (fractions 0–1), lift (times)",
    "goal_change.*": "a goal's target written as a change on history (fraction, e.g. 0.05 for +5%), by goal id",
    "goal_chance.*": "the forecast's chance (0–1) of a goal's target, by goal id",
    "goal_level.*": "a level a goal could be set at from the forecast's simulated periods, by '<commit|plan|stretch>.<goal id>': the most its metric reaches in 90 %, 50 % and 25 % of them (the metric's unit)",
    "goal_number.*": "a goal's target in its metric's unit (a change applied to its baseline; a level turned into its number), by goal id",
    "joint.*": "goals met together in the same simulated periods, by shared goal id: 'teams.<id>' (every team goal the forecast covers met, 0–1), 'shared_given_teams.<id>' (the shared goal met in those periods, 0–1)",
    "alignment.*": "whether the team goals add up to a shared goal: 'delivered.<shared id>' (revenue the team goals deliver, money), 'gap.<shared id>' (required − delivered), 'to_close.<goal id>' (the level a goal alone would need), 'goals_differ.<shared id>' (the goals file's shared goal − the plan's revenue goal, money)",
    "goal_history.*": "where a goal's target sits in history, by '<measure>.<goal id>': change (the target as a change on the last period, fraction) and did_as_well (fraction 0–1 of past periods that did as well)",
    "swing.*": "history's swings, by '<measure>.<driver>': low and high (the driver's lowest and highest recent quarter) and need_at_low, need_at_high (the first stage's whole volume needed at each, count)",
    "beyond_history.*": "a stage whose busiest planned month is beyond the plan's history_multiple: 'multiple.<stage>' (its target ÷ history's busiest month) and 'busiest.<stage>' (history's busiest month, count)",
    "goal_target.*": "a goal's target, in its metric's unit, from the goals file (by goal id)",
    "shared_goal.*": "revenue a shared revenue goal asks for, from the goals file (by goal id, money)",
    "gap.*": "the gap bridge of a window to date (a month 'YYYY-MM' or a period 'YYYY-MM..YYYY-MM'): a driver's Shapley contribution to revenue won − planned, by '<driver>.<window>' (money); the contributions add up to the gap",
    "gap_customers.*": "the same driver's contribution to customers won − planned, by '<driver>.<window>' (customers)",
    "gap_planned.*": "a gap driver's planned value, by '<driver>.<window>': leads (count), mix (1), a step's rate, follow_up (share touched in time), timing (fraction 0–1), deal_size and sales_sourced (sales' own sources' revenue) (money)",
    "gap_actual.*": "the same driver's actual value in the window, by '<driver>.<window>'",
    "gap_had.*": "revenue had the driver gone as planned (follow_up: had every hand-off been touched in time) and every other as it was, as a fraction of plan, by '<driver>.<window>'",
    "gap_owner.*": "the contributions added up per clause, by '<owner>.<window>' (marketing, sales, shared; money)",
    "gap_attainment.*": "revenue won as a fraction of revenue planned in the window, by '<window>'",
    "gap_planned_revenue.*": "revenue the plan calls for in the window to date, by '<window>' (money)",
    "gap_actual_revenue.*": "revenue won in the window to date, by '<window>' (money)",
    "gap_planned_customers.*": "customers from all sources the plan calls for in the window to date (its marketing-sourced customers ÷ the marketing share), by '<window>'",
    "gap_actual_customers.*": "customers won in the window to date, by '<window>'",
    "gap_total.*": "the whole gap, won − planned, by '<revenue|customers>.<window>' (money, or customers)",
    "gap_follow_up.*": "history's follow-up effect the bridge values follow-up by, by '<measure>.<window>': in_time and others (the next step's rate of hand-offs touched within the SLA's window and of the others, fractions 0–1), difference (in points)",
    "program.*": "the program plan: per team ('<figure>.marketing', '<figure>.sales') revenue (its part of the goal, money), leads (whole leads its channels must bring over the lead months, count) and spend (what they cost, money); budget (marketing's budget for the period, money) and budget_revenue (the most revenue it buys, money)",
}


def check_name(name: str) -> str:
    """`name` when the glossary defines it (or its family, for the families marked '*')."""
    family = name.split(".", 1)[0] + ".*"
    if name in GLOSSARY or (family in GLOSSARY and name.count(".") >= 1 and name != family):
        return name
    raise InputError(
        f"figure name {short(name)} is not in the glossary (funnelkit.model.figures.GLOSSARY)"
    )
