"""Will the period make its goal: the Monte Carlo attainment forecast, its backtest on
history, and early warnings in plain words.

May import: `funnelkit.core`, `plan`, `crm`, `actuals`. Never `goals` or any layer above."""

from funnelkit.forecast.simulation import Forecast, forecast_plan

__all__ = ["Forecast", "forecast_plan"]
