"""Shared fixtures: the default funnel and the bundled example parameters."""

from __future__ import annotations

from pathlib import Path

import pytest

from funnelkit import Funnel

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def root() -> Path:
    """The project's top folder."""
    return ROOT


@pytest.fixture(scope="session")
def funnel_002() -> Funnel:
    """Five stages whose lead close rate is exactly 2 %: 0.25 × 0.4 × 0.5 × 0.4 (immutable)."""
    return Funnel(
        stages=("lead", "mql", "sql", "opportunity", "won"),
        conversion_rates=(0.25, 0.4, 0.5, 0.4),
        days=(5, 10, 15, 30),
    )
