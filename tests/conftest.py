"""Shared fixtures: paths to the committed fixture regions and to ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
SHARED = REPO.parent / "shared"


@pytest.fixture
def tiny_toml() -> Path:
    """A valid two-township region (GBK village CSV, GCJ-02 school CSV)."""
    return FIXTURES / "tiny" / "region.toml"


@pytest.fixture
def broken_toml() -> Path:
    """The same county with one planner mistake per row."""
    return FIXTURES / "broken" / "region.toml"


@pytest.fixture
def shared_dir() -> Path:
    """../shared, or skip when this clone has none beside it."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present beside the repository")
    return SHARED
