"""The divisions file and provinces built from it, shared by the lab's unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.divisions import City, load_divisions
from lab.model import Province
from lab.province import build_province


@pytest.fixture(scope="session")
def divisions_path(shared_dir: Path) -> Path:
    return shared_dir / "data" / "guangdong_divisions.json"


@pytest.fixture(scope="session")
def cities(divisions_path: Path) -> tuple[City, ...]:
    return load_divisions(divisions_path)


@pytest.fixture(scope="session")
def small(cities: tuple[City, ...]) -> Province:
    return build_province(cities, "small", seed=7, network="127.20")


@pytest.fixture(scope="session")
def full(cities: tuple[City, ...]) -> Province:
    return build_province(cities, "full", seed=7, network="127.20")
