"""Goals: goal records and their file, the metric catalog goals can name, the SMART and FAST
checks, team goals aligned with the shared goal through the plan arithmetic, the scorecard.

May import: `funnelkit.core`, `plan`, `crm`, `actuals`. Never `forecast` or any layer above."""

from funnelkit.goals.records import SHARED_TEAM, Goal, GoalSet, load_goals

__all__ = ["SHARED_TEAM", "Goal", "GoalSet", "load_goals"]
