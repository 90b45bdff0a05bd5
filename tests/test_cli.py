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


# ------------------------------------------------------------------ exit codes (issue 19)


def _tiny_copy(tmp_path: Path, extra: str = "") -> Path:
    import shutil

    folder = tmp_path / "tiny"
    shutil.copytree(Path(__file__).parent / "fixtures" / "tiny", folder)
    toml = folder / "region.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return toml


def test_busy_output_folder_exits_2(tiny_toml: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    from coverage._outdir import OutputLock

    out = tmp_path / "out"
    with OutputLock(out):
        assert main(["-q", "run", str(tiny_toml), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert "another run is writing" in err and "another --out folder" in err
        assert main(["gaps", str(tiny_toml), "--out", str(out)]) == 2
        assert "another run is writing" in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())


def test_infeasible_plan_exits_3_with_the_reason(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # the townships' quotas need 4 new rooms; a budget of 0.5 (万元, 1 per site) buys none
    toml = _tiny_copy(tmp_path, '\n[optimize]\nmodel = "quota"\nbudget = 0.5\n')
    out = tmp_path / "out"
    assert main(["-q", "run", str(toml), "--out", str(out)]) == 3
    captured = capsys.readouterr()
    assert "✓" not in captured.out
    assert "选址优化无可行方案 (no feasible plan)" in captured.err
    assert "预算只有 0.5 万元" in captured.err  # why, in the words of the suggest stage
    assert (out / "run.json").is_file() and (out / "report.html").is_file()  # done, written
    assert main(["suggest", str(toml)]) == 3


def test_internal_error_exits_1_without_traceback(tiny_toml: Path,
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("coverage.pipeline.gaps_stage", broken)
    assert main(["gaps", str(tiny_toml)]) == 1
    err = capsys.readouterr().err
    assert "internal error: ZeroDivisionError" in err and "--verbose" in err
    assert "Traceback" not in err


class _GoneReader:
    """A stdout whose reader has gone away, as under ``| head -1``."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")


def test_broken_pipe_finishes_the_files_and_exits_0(
        tiny_toml: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setattr(sys, "stdout", _GoneReader())
    assert main(["gaps", str(tiny_toml), "--out", str(tmp_path / "g")]) == 0
    err = capsys.readouterr().err
    assert "Excel" not in err and "Broken pipe" not in err and "Traceback" not in err
    assert (tmp_path / "g" / "gaps.xlsx").is_file()  # the reader left, the work is done


@pytest.mark.slow
def test_piped_into_head_exits_quietly(tiny_toml: Path, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    import coverage

    env = dict(os.environ, PYTHONPATH=str(Path(coverage.__file__).resolve().parents[1]))
    cmd = [sys.executable, "-m", "coverage.cli", "gaps", str(tiny_toml),
           "--out", str(tmp_path / "g")]
    with subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()  # `| head -1`
        err = proc.stderr.read()
        proc.wait(timeout=120)
    assert "测试县" in first
    assert proc.returncode == 0, err
    assert "Excel" not in err and "BrokenPipe" not in err and "Traceback" not in err
    assert (tmp_path / "g" / "gaps.csv").is_file()


def test_quiet_prints_no_warning_lines(tiny_toml: Path, capsys: pytest.CaptureFixture[str]
                                       ) -> None:
    import re

    assert main(["access", str(tiny_toml)]) == 0
    err = capsys.readouterr().err
    # the warnings are reported, grouped, once each, and not in the logging format
    assert "警告 (warnings)" in err and "no 'community' layer" in err
    assert not re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING", err)
    assert main(["-q", "access", str(tiny_toml)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "覆盖人口" in captured.out  # the result is still printed


def test_quiet_still_prints_errors(broken_toml: Path, capsys: pytest.CaptureFixture[str]
                                   ) -> None:
    assert main(["-q", "validate", str(broken_toml)]) == 2
    assert "6 个错误" in capsys.readouterr().err


def test_targets_show_takes_a_preset_or_an_indicator(capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    assert main(["targets", "show", "wuzhong_2023"]) == 0
    out = capsys.readouterr().out
    assert "wuzhong_2023" in out and "village_room_rate" in out
    assert main(["targets", "show", "village_room_rate"]) == 0
    out = capsys.readouterr().out
    assert "national_2018" in out and "wuzhong_2023" in out  # the indicator in every preset
    assert main(["targets", "show", "no_such"]) == 2
    err = capsys.readouterr().err
    assert "national_2018" in err and "village_room_rate" in err  # the fix lists both kinds


def test_validate_prints_warnings_grouped_by_file(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    toml = _tiny_copy(tmp_path)
    villages = toml.parent / "villages.csv"
    text = villages.read_bytes().decode("gbk")
    text = text.replace("117.05,35.05,西山镇", "117.05,35.05,东河镇")
    text = text.replace("117.15,35.05,东河镇", "117.15,35.05,西山镇")
    villages.write_bytes(text.encode("gbk"))
    assert main(["validate", str(toml)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    head = lines.index("警告 (warnings): 2")
    assert lines[head + 1] == f"{villages}: 2"
    assert "第2行" in lines[head + 2] and "the point lies in 西山镇" in lines[head + 2]
    assert "第5行" in lines[head + 3] and str(villages) not in lines[head + 3]


def test_grouped_warnings_fold_the_same_kind() -> None:
    from coverage.cli import grouped_warnings
    from coverage.problems import Problem

    many = [Problem("a.csv", r, "经度", "1e6", "beyond 180°", "set crs", "warning")
            for r in range(2, 40)]
    other = [Problem("b.xlsx", 3, "名称", "", "empty name", "fill it", "warning", sheet="村居"),
             Problem(None, None, None, None, "access: no 'community' layer", "", "warning")]
    text = grouped_warnings([*many, *other])
    assert text.splitlines()[0] == "警告 (warnings): 40"
    assert "a.csv: 38" in text and "b.xlsx — 工作表 '村居': 1" in text
    assert "运行 (run): 1" in text
    assert "另有 30 处同类问题" in text  # 38 of one kind: 8 shown, the rest folded
    assert text.count("beyond 180°") == 8


def test_map_per_township_sheets(tiny_toml: Path, tmp_path: Path) -> None:
    out = tmp_path / "m"
    assert main(["-q", "map", str(tiny_toml), "--per-township", "--out", str(out)]) == 0
    sheets = sorted(p.name for p in out.glob("township_*.png"))
    assert len(sheets) == 2, sheets  # one A4 sheet per township of the tiny region
    assert (out / "resource_map.html").is_file()
