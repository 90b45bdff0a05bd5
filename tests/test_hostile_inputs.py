"""Hostile command lines and files at the command's door: exit codes and the words of the fix.

What a new user (or an attacker) types: a data file or the root as ``--out``, ``--out .
--overwrite`` inside the data folder, a folder or a device as the region TOML.  Each ends with
exit 2, a message naming the path and the fix, no traceback and every input unchanged.
Crashes found in the loader's modules are kept as regular tests.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from coverage.cli import main


def _digests(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def tiny_copy(tmp_path: Path) -> Path:
    shutil.copytree(Path(__file__).parent / "fixtures" / "tiny", tmp_path / "tiny")
    return tmp_path / "tiny" / "region.toml"


def test_out_that_is_a_file(tiny_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _digests(tiny_copy.parent)
    villages = tiny_copy.parent / "villages.csv"
    assert main(["-q", "run", str(tiny_copy), "--out", str(villages), "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert "the output path is a file, not a folder" in err and str(villages) in err
    assert "Traceback" not in err and _digests(tiny_copy.parent) == before


def test_overwrite_in_the_data_folder_keeps_the_data(tiny_copy: Path,
                                                     capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    before = _digests(tiny_copy.parent)
    monkeypatch.chdir(tiny_copy.parent)
    assert main(["-q", "run", "region.toml", "--out", ".", "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert "not the output of a previous run" in err and "choose another --out" in err
    assert _digests(tiny_copy.parent) == before
    assert sorted(p.name for p in tiny_copy.parent.parent.iterdir()) == ["tiny"]


def test_root_as_out(tiny_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-q", "gaps", str(tiny_copy), "--out", "/"]) == 2
    assert "cannot be the root" in capsys.readouterr().err


def test_region_toml_that_is_a_folder_or_a_device(tiny_copy: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tiny_copy.parent)]) == 2
    err = capsys.readouterr().err
    assert "this is a folder" in err and "the .toml file inside it" in err
    if Path("/dev/zero").exists():
        assert main(["validate", "/dev/zero"]) == 2  # not read: an endless file
        assert "not a regular file" in capsys.readouterr().err


def test_region_toml_with_a_bom_runs(tiny_copy: Path, capsys: pytest.CaptureFixture[str]
                                     ) -> None:
    tiny_copy.write_bytes(b"\xef\xbb\xbf" + tiny_copy.read_bytes())
    assert main(["validate", str(tiny_copy)]) == 0
    assert "数据检查通过" in capsys.readouterr().out


def test_five_digit_region_code_is_refused(tiny_copy: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    text = tiny_copy.read_text(encoding="utf-8").replace('code = "370999"', 'code = "37099"')
    tiny_copy.write_text(text, encoding="utf-8")
    assert main(["validate", str(tiny_copy)]) == 2
    err = capsys.readouterr().err
    assert "region.code" in err and "6-digit county code" in err and "Traceback" not in err


def test_wkt_polygon_and_empty_points_in_a_table(tiny_copy: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    text = tiny_copy.read_text(encoding="utf-8")
    text = text.replace('file = "villages.csv"', 'file = "villages_wkt.csv"', 1)
    text = text.replace('lon = "经度"\nlat = "纬度"\ntownship', 'wkt = "WKT"\ntownship', 1)
    tiny_copy.write_text(text, encoding="utf-8")
    (tiny_copy.parent / "villages_wkt.csv").write_text(
        "村居代码,村居名称,WKT,所属乡镇,常住人口,城乡分类代码,心理咨询室\n"
        "370999101201,甲村,POINT (117.05 35.05),西山镇,1200,220,是\n"
        '370999101202,乙村,"POLYGON ((117.06 35.06, 117.07 35.06, 117.07 35.07, 117.06 35.06))"'
        ",西山镇,800,220,否\n"
        "370999101003,西山社区,POINT EMPTY,西山镇,3500,121,已建成\n"
        "370999102201,丙村,POINT (1e400 35),东河镇,900,220,在建\n", encoding="utf-8")
    code = main(["validate", str(tiny_copy)])
    err = capsys.readouterr().err
    assert code == 2, err
    for row in (4, 5):
        assert f"第{row}行" in err
