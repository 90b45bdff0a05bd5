"""Output folders: a second run never clobbers the first unless asked to."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from coverage._outdir import prepare_output_dir, replace_dir


def test_new_and_empty_folders_are_used(tmp_path: Path) -> None:
    assert prepare_output_dir(tmp_path / "a") == tmp_path / "a"
    (tmp_path / "b").mkdir()
    assert prepare_output_dir(tmp_path / "b") == tmp_path / "b"


def test_existing_run_gets_timestamped_sibling(tmp_path: Path) -> None:
    base = tmp_path / "out"
    base.mkdir()
    (base / "run.json").write_text("{}")
    now = datetime(2026, 11, 23, 18, 45, 1)
    first = prepare_output_dir(base, now=now)
    assert first.name == "out-20261123-184501"
    second = prepare_output_dir(base, now=now)
    assert second.name == "out-20261123-184501-2"
    assert (base / "run.json").exists()
    assert prepare_output_dir(base, overwrite=True) == base


def test_replace_dir_swaps_only_at_the_end(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "old.txt").write_text("old")
    staging = tmp_path / ".staging"
    staging.mkdir()
    (staging / "new.txt").write_text("new")
    replace_dir(staging, target)
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
    assert not staging.exists()
