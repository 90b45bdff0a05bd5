"""The demo's tables are pinned: values, not bytes (issue 14's golden test).

``tests/fixtures/golden/*.csv`` were extracted with ``make_golden.py`` from a demo run made
before the stage-contract redesign; the redesign must not change a single value.  When a bug
fix changes a value on purpose, regenerate the fixtures with that script and say why in the
commit message.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

HERE = Path(__file__).parent / "fixtures" / "golden"
_spec = importlib.util.spec_from_file_location("make_golden", HERE / "make_golden.py")
assert _spec is not None and _spec.loader is not None
make_golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_golden)

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", sorted(make_golden.PINNED))
def test_demo_table_values_unchanged(demo_run: Path, name: str) -> None:
    keys, _ = make_golden.PINNED[name]
    pinned = pd.read_csv(HERE / name, dtype=str, keep_default_na=False)
    # the pinned columns must all still be there with the same values; new columns may be added
    now = make_golden.canonical(demo_run / "tables" / name, keys,
                                [c for c in pinned.columns if c not in keys])
    assert list(now.columns) == list(pinned.columns), name
    assert len(now) == len(pinned), f"{name}: {len(now)} rows, pinned {len(pinned)}"
    diff = now.ne(pinned)
    if diff.any().any():
        rows = diff.any(axis=1)
        shown = pd.concat({"now": now[rows], "pinned": pinned[rows]}, axis=1).head(10)
        pytest.fail(f"{name}: {int(rows.sum())} rows differ\n{shown.to_string()}")
