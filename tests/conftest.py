"""Shared test helpers: a fixed monitoring time point and where test output goes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

# A fixed T keeps the simulated province's dates, and so every expected verdict, reproducible.
AT = date(2024, 3, 20)
OUTPUT = Path(__file__).resolve().parent.parent / "test-output"


@pytest.fixture
def at() -> date:
    return AT


@pytest.fixture
def output_dir(request: pytest.FixtureRequest) -> Path:
    """A per-test folder under test-output/ that is kept after the run, for screenshots and reports."""
    path = OUTPUT / request.node.name
    path.mkdir(parents=True, exist_ok=True)
    return path
