"""Shared fixtures: paths to the committed fixture regions and to ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # pragma: no cover - the test extra installs it
    pass
else:
    # The fuzz suite (tests/test_fuzz_*.py) asks for these profiles by name; nothing else
    # changes Hypothesis' defaults.  No example database (nothing written into the
    # repository), a bounded budget, and the same examples on every run so that CI cannot
    # fail at random; ``COVERAGE_FUZZ=explore`` draws new random examples, ten times as many.
    _FUZZ = dict(database=None, deadline=2000, print_blob=True,
                 suppress_health_check=[HealthCheck.too_slow])
    settings.register_profile("coverage-fuzz", max_examples=200, derandomize=True, **_FUZZ)
    settings.register_profile("coverage-fuzz-explore", max_examples=2000, derandomize=False,
                              **_FUZZ)
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


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ``coverage demo`` run shared by every test that reads its output folder."""
    from coverage.cli import main

    out = tmp_path_factory.mktemp("demo") / "out"
    assert main(["-q", "demo", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="session")
def city_batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic city of five counties (``coverage.datasets.city``), generated once per
    session (~20 s): its ``batch.toml``."""
    from coverage.datasets.city import write_city

    return write_city(tmp_path_factory.mktemp("city") / "city")
