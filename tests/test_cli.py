"""The command line: exit codes and messages, never a traceback for a user error."""

from __future__ import annotations

from pathlib import Path

import pytest

from coverage.cli import main


def test_validate_ok(tiny_toml: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tiny_toml)]) == 0
    out = capsys.readouterr().out
    assert "数据检查通过" in out and "行政村" in out


def test_validate_broken_exits_2_with_all_rows(
    broken_toml: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(broken_toml)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for row in (3, 4, 5, 6, 7):
        assert f"第{row}行" in err
    assert "6 个错误" in err


def test_missing_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "none.toml")]) == 2
    assert "not found" in capsys.readouterr().err


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    assert "coverage demo" in capsys.readouterr().out
