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


def test_targets_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["targets", "list"]) == 0
    out = capsys.readouterr().out
    for preset in ("national_2018", "wujiang_2019", "wuzhong_2023", "changning_2021",
                   "sishui_2023"):
        assert preset in out
    assert main(["targets", "show", "national_2018.village_room_rate"]) == 0
    out = capsys.readouterr().out
    assert "以村（社区）为单位，心理咨询室或社会工作室建成率达 80%以上" in out


def test_targets_show_unknown_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["targets", "show", "no_such_indicator"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_stage_commands_on_tiny_region(tiny_toml: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gaps", str(tiny_toml), "--out", str(tmp_path / "g")]) == 0
    out = capsys.readouterr().out
    assert "村(社区)心理咨询室或社会工作室建成率" in out and "未达标" in out
    assert (tmp_path / "g" / "gaps.xlsx").is_file()
    assert main(["access", str(tiny_toml), "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert "覆盖人口" in out and "直线距离估算" in out  # the tiny region has no road network
    assert (tmp_path / "a" / "access_points.csv").is_file()
    assert main(["suggest", str(tiny_toml), "--model", "quota", "--p", "4",
                 "--out", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    assert "建议新建 4 处" in out
    assert (tmp_path / "s" / "suggested_sites.csv").is_file()


def test_suggest_bad_model_is_a_usage_error(tiny_toml: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["suggest", str(tiny_toml), "--model", "kmeans"])
    assert info.value.code == 2


def test_unwritable_output_is_a_user_error(tiny_toml: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(tmp_path / "g" / "gaps.csv"))

    monkeypatch.setattr("coverage.present.gaps.write_csv", refuse)
    assert main(["gaps", str(tiny_toml), "--out", str(tmp_path / "g")]) == 2
    err = capsys.readouterr().err
    assert "gaps.csv" in err and "Permission denied" in err and "Traceback" not in err
