"""Fixtures every test may use."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.clock import FakeClock

SHARED = Path(os.environ.get("SSNOC_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
"""../shared: test data from public projects, read in place, never copied into the repository."""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"{SHARED} is missing: the shared test data must sit beside the checkout")
    return SHARED
