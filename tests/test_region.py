"""Loading and validating a region: every rule reports file, Excel row, column and fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from coverage import InputError, load_region
from coverage.crs import wgs84_to_gcj02


def _problems(toml: Path) -> list:
    with pytest.raises(InputError) as info:
        load_region(toml)
    return info.value.problems


def test_tiny_region_loads_with_joins(tiny_toml: Path) -> None:
    region = load_region(tiny_toml)
    v = region.layer("village")
    assert len(v) == 6
    assert list(v.columns[:7]) == [
        "id",
        "name",
        "kind",
        "status",
        "township_code",
        "township_name",
        "village_code",
    ]
    by_id = v.set_index("id")
    # spatial join: 117.15 lies in the east township
    assert by_id.loc["370999102201", "township_code"] == "370999102"
    # status vocabulary: 是→built, 已建成→built, 在建, 规划, 未建→none
    assert by_id["status"].value_counts().to_dict() == {
        "built": 2,
        "none": 2,
        "under_construction": 1,
        "planned": 1,
    }
    # DMS text 117°03′36″ = 117.06
    assert by_id.loc["370999101202"].geometry.x == pytest.approx(117.06, abs=1e-9)
    assert by_id.loc["370999101202", "population"] == 800
    assert region.metric_crs.to_epsg() == 4527


def test_gcj02_layer_is_converted_back_to_wgs84(tiny_toml: Path) -> None:
    school = load_region(tiny_toml).layer("school").set_index("id")
    # the fixture wrote wgs84_to_gcj02(117.06, 35.06); loading must give 117.06, 35.06 back
    assert school.loc["S001"].geometry.x == pytest.approx(117.06, abs=5e-6)
    assert school.loc["S001"].geometry.y == pytest.approx(35.06, abs=5e-6)
    glon, _ = wgs84_to_gcj02(117.06, 35.06)
    assert abs(float(glon) - 117.06) > 1e-4  # the offset really was there
    assert school.loc["S001", "subtype"] == "primary"


def test_broken_region_lists_every_problem(broken_toml: Path) -> None:
    problems = _problems(broken_toml)
    errors = [p for p in problems if p.severity == "error"]
    by_row = {(Path(p.file).name, p.row): p for p in errors if p.row is not None}
    # Excel rows: header is row 1, so data row k is row k+1
    assert "swapped" in by_row[("villages.csv", 3)].message
    assert by_row[("villages.csv", 3)].fix.startswith("swap")
    assert by_row[("villages.csv", 4)].message == "empty coordinate"
    assert by_row[("villages.csv", 4)].column == "经度"
    unknown = by_row[("villages.csv", 5)]
    assert unknown.column == "所属乡镇" and unknown.value == "北河镇"
    assert "东河镇" in unknown.fix
    outside = by_row[("villages.csv", 6)]
    assert "outside the region" in outside.message
    dup = by_row[("villages.csv", 7)]
    assert "duplicate" in dup.message and dup.value == "370999101201"
    # self-intersecting township: repaired and reported (warning) + the gap it leaves (error)
    assert any("Self-intersection" in p.message and p.row == 2 for p in problems)
    assert any("uncovered" in p.message for p in errors)
    assert len(errors) == 6


def test_strict_promotes_warnings(tiny_toml: Path, tmp_path: Path) -> None:
    folder = tmp_path / "r"
    shutil.copytree(tiny_toml.parent, folder)
    # 所属乡镇 says 西山镇 for a point that lies in 东河镇: a warning
    csv = folder / "villages.csv"
    text = csv.read_text(encoding="gbk").replace("117.15,35.05,东河镇", "117.15,35.05,西山镇")
    csv.write_text(text, encoding="gbk")
    region = load_region(folder / "region.toml")
    warn = [p for p in region.problems if "lies in" in p.message]
    assert len(warn) == 1 and warn[0].row == 5
    with pytest.raises(InputError):
        load_region(folder / "region.toml", strict=True)


def test_unknown_status_value_names_allowed(tiny_toml: Path, tmp_path: Path) -> None:
    folder = tmp_path / "r"
    shutil.copytree(tiny_toml.parent, folder)
    csv = folder / "villages.csv"
    csv.write_text(csv.read_text(encoding="gbk").replace(",未建", ",待定"), encoding="gbk")
    (p,) = _problems(folder / "region.toml")
    assert p.row == 6 and p.column == "心理咨询室" and p.value == "待定"
    assert "已建成" in p.fix


def test_missing_column_suggests_header(tiny_toml: Path, tmp_path: Path) -> None:
    folder = tmp_path / "r"
    shutil.copytree(tiny_toml.parent, folder)
    toml = folder / "region.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace(
            'population = "常住人口"', 'population = "常驻人口"'
        ),
        encoding="utf-8",
    )
    (p,) = _problems(toml)
    assert p.column == "常驻人口" and "常住人口" in p.fix


def test_is_urban_uses_ur_code_then_kind(tiny_toml: Path) -> None:
    from coverage import is_urban

    v = load_region(tiny_toml).layer("village").set_index("id")
    urban = dict(zip(v.index, is_urban(v.reset_index()), strict=True))
    assert urban["370999101003"] and not urban["370999101201"]
    assert np.asarray(list(urban.values())).sum() == 1


def test_polygon_layer_uses_inner_points_with_a_warning(tiny_toml: Path, tmp_path: Path) -> None:
    folder = tmp_path / "r"
    shutil.copytree(tiny_toml.parent, folder)
    toml = folder / "region.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '''
[layers.service_site]
file = "townships.geojson"
[layers.service_site.columns]
id = "代码"
name = "名称"
''', encoding="utf-8")
    region = load_region(toml)
    sites = region.layer("service_site")
    assert (sites.geometry.geom_type == "Point").all() and len(sites) == 2
    assert sites.set_index("id").loc["370999102", "township_code"] == "370999102"
    (warn,) = [p for p in region.problems if "not points" in p.message]
    assert warn.message.startswith("2 features")
