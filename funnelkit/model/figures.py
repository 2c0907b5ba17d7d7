"""The figures reports and tools show, each with one name and one meaning.

Reports tag every figure they print with its name and exact value, so a test can check that
one name never carries two values in a plan's reports. Names are dotted: the first part is
the family. Two different things always have two names: what the plan needs (`need.mql`)
against a goal's target (`goal_target.<id>`), MQLs the period's deals need against the
hand-offs committed month by month (`sla.handoffs`)."""

from __future__ import annotations

from funnelkit.core.exceptions import InputError

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
    "baseline.*": "history's measure on the export: 'rate.<step>', 'days.<step>' (median), 'deal_size' (mean won amount), 'marketing_share' (of won revenue)",
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
    "forecast.chance": "fraction 0–1 of simulated periods reaching the revenue goal",
    "forecast.expected": "mean simulated revenue for the period (money)",
    "forecast.low": "10th percentile of simulated revenue (money)",
    "forecast.high": "90th percentile of simulated revenue (money)",
    "forecast.won_to_date": "revenue won in the period up to the export's as-of day (money)",
    "goal_target.*": "a goal's target, in its metric's unit, from the goals file (by goal id)",
    "shared_goal.*": "revenue a shared revenue goal asks for, from the goals file (by goal id, money)",
}


def check_name(name: str) -> str:
    """`name` when the glossary defines it (or its family, for the families marked '*')."""
    family = name.split(".", 1)[0] + ".*"
    if name in GLOSSARY or (family in GLOSSARY and name.count(".") >= 1 and name != family):
        return name
    raise InputError(
        f"figure name {name!r} is not in the glossary (funnelkit.model.figures.GLOSSARY)"
    )
