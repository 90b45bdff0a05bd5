"""Boundaries that do not tile, and townships from codes (issue 12, items 1 and 2).

The county is the box 117.0–117.2°E × 35.0–35.2°N split at 117.1 (see ``_region_builder``);
0.001° of longitude is about 91 m there, and a strip 0.001° wide is 0.5 % of the county.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely
from shapely.geometry import box

from _region_builder import COUNTY, EAST, ROWS, WEST, write_csv, write_polygons, write_region
from coverage import InputError, load_region
from coverage.problems import Problem


def _only(problems: tuple[Problem, ...] | list[Problem], code: str) -> list[Problem]:
    return [p for p in problems if p.code == code]


def _row(code: str, lon: float, lat: float, town: str = "") -> list[object]:
    return [code, f"村{code[-3:]}", f"{lon}", f"{lat}", town, "500", "否"]


def test_gap_within_tolerance_is_a_warning_and_points_go_to_the_nearest(tmp_path: Path) -> None:
    west = ("370999101", "西山镇", box(117.0, 35.0, 117.097, 35.2))  # 1.5 % uncovered
    rows = [*ROWS, _row("370999101205", 117.098, 35.1)]
    toml = write_region(tmp_path, rows=rows, townships=[west, EAST])
    region = load_region(toml)
    (gap,) = _only(region.problems, "tiling_gap")
    assert gap.severity == "warning" and "(1.50% of the county)" in gap.message
    assert "near 117.0985, 35.1000" in gap.message
    diag = region.diagnostics
    assert len(diag.gaps) == 1 and diag.gaps["share"].iloc[0] == pytest.approx(0.015, rel=1e-3)
    assert diag.gaps["area_km2"].iloc[0] == pytest.approx(
        0.015 * diag.county_area_km2, rel=1e-6)
    (near,) = _only(region.problems, "township_by_nearest")
    assert near.row == 6 and near.value.startswith("西山镇 (9") and "m away" in near.value
    v = region.layer("village").set_index("id")
    assert v.loc["370999101205", "township_code"] == "370999101"
    assert v.loc["370999101205", "township_source"] == "nearest"
    (assigned,) = diag.assigned.itertuples()
    assert assigned.rule == "nearest" and 80 < assigned.distance_m < 100
    assert assigned.candidates.split(";")[:2] == ["370999101", "370999102"]


def test_gap_above_tolerance_is_an_error_saying_how_to_raise_it(tmp_path: Path) -> None:
    west = ("370999101", "西山镇", box(117.0, 35.0, 117.097, 35.2))
    toml = write_region(tmp_path, townships=[west, EAST], region={"tiling_tolerance": 0.01})
    with pytest.raises(InputError) as info:
        load_region(toml)
    (err,) = _only(info.value.problems, "tiling_gap")
    assert err.severity == "error" and "more than the tolerance of 1.0%" in err.message
    assert "tiling_tolerance = 0.02" in err.fix and "km²" in err.message


def test_overlap_point_goes_to_the_township_its_code_names(tmp_path: Path) -> None:
    east = ("370999102", "东河镇", box(117.098, 35.0, 117.2, 35.2))  # 1 % overlap
    rows = [*ROWS, _row("370999101205", 117.0995, 35.05), _row("370999102205", 117.0985, 35.15)]
    region = load_region(write_region(tmp_path, rows=rows, townships=[WEST, east]))
    (ov,) = _only(region.problems, "tiling_overlap")
    assert ov.severity == "warning" and "(1.00% of the county)" in ov.message
    assert "西山镇/东河镇" in ov.message
    v = region.layer("village").set_index("id")
    assert v.loc["370999101205", "township_code"] == "370999101"
    assert v.loc["370999102205", "township_code"] == "370999102"
    assert set(v.loc[["370999101205", "370999102205"], "township_source"]) == {"overlap"}
    reports = _only(region.problems, "township_by_overlap")
    assert [p.row for p in reports] == [6, 7]
    assert "its code names it" in reports[0].value and "also in 东河镇" in reports[0].value
    overlaps = region.diagnostics.overlaps
    assert overlaps[["township_a", "township_b"]].iloc[0].tolist() == ["370999101", "370999102"]


def test_overlap_resolved_by_siblings_then_by_margin(tmp_path: Path) -> None:
    # polygon codes that are not the villages' prefixes: only siblings and margins can decide
    west = ("W1", "西山镇", WEST[2])
    east = ("E1", "东河镇", box(117.098, 35.0, 117.2, 35.2))
    rows = [*ROWS, _row("370999101205", 117.0995, 35.05)]  # nearer EAST's edge than WEST's
    toml = write_region(tmp_path, rows=rows, townships=[west, east],
                        extra='[layers.school]\nfile = "schools.csv"\n[layers.school.columns]\n'
                              'id = "代码"\nname = "名称"\nlon = "经度"\nlat = "纬度"\n')
    write_csv(tmp_path / "schools.csv", ["代码", "名称", "经度", "纬度"],
              [["S1", "小学", "117.0995", "35.1"]])
    region = load_region(toml)
    v = region.layer("village").set_index("id")
    assert v.loc["370999101205", "township_code"] == "W1"  # its two siblings lie in W1
    school = region.layer("school").set_index("id")
    assert school.loc["S1", "township_code"] == "E1"  # no code: the larger margin
    why = {p.row: p.value for p in _only(region.problems, "township_by_overlap")}
    assert "siblings" in why[6] and "larger margin" in why[2]
    assert _only(region.problems, "township_codes_unmatched")


def test_code_prefix_disagreeing_with_the_polygon_is_a_warning(tmp_path: Path) -> None:
    rows = [*ROWS, _row("370999102209", 117.05, 35.10)]  # code says 东河镇, lies in 西山镇
    region = load_region(write_region(tmp_path, rows=rows))
    (warn,) = _only(region.problems, "township_code_mismatch")
    assert warn.row == 6 and "东河镇" in warn.message and "西山镇" in warn.message
    assert region.diagnostics.code_mismatches["code_township"].tolist() == ["370999102"]


def test_county_prefix_of_the_codes_is_checked(tmp_path: Path) -> None:
    rows = [*ROWS, _row("370998101205", 117.05, 35.1)]
    region = load_region(write_region(tmp_path, rows=rows))
    (warn,) = _only(region.problems, "county_code_mismatch")
    assert "county 370998" in warn.message and warn.severity == "warning"


def test_no_county_outline_is_the_union_of_townships(tmp_path: Path) -> None:
    region = load_region(write_region(tmp_path, county=None))
    (note,) = _only(region.problems, "county_from_townships")
    assert "union of the township polygons" in note.message
    assert region.diagnostics.county_source == "townships"
    assert region.county.geometry.iloc[0].equals(COUNTY)


def test_point_just_outside_the_county_is_placed_with_a_warning(tmp_path: Path) -> None:
    rows = [*ROWS, _row("370999102205", 117.205, 35.1)]  # ~450 m east of the outline
    region = load_region(write_region(tmp_path, rows=rows))
    (warn,) = _only(region.problems, "point_outside_county")
    assert warn.severity == "warning" and "东河镇 (45" in warn.value
    assert region.layer("village").set_index("id").loc["370999102205", "township_code"] \
        == "370999102"
    out = region.diagnostics.points_outside
    assert out["severity"].tolist() == ["warning"] and 400 < out["distance_m"].iloc[0] < 500


# --- townships from codes ---------------------------------------------------------------


def _coded_rows() -> list[list[object]]:
    return [*[list(r) for r in ROWS],
            _row("370999101206", 117.02, 35.18, ""),
            ["370999102206", "壬村", "", "", "", "300", "是"],
            ["370999103201", "癸村", "", "", "", "100", "否"]]


def test_townships_from_codes_with_approximate_areas(tmp_path: Path) -> None:
    write_csv(tmp_path / "codes.csv", ["code", "name"],
              [["370999000000", "测试县"], ["370999101000", "西山镇"], ["370999102", "东河镇"],
               ["370999103", "北岭乡"], ["370999104", "南湖开发区"], ["370998101", "邻县某镇"]])
    toml = write_region(tmp_path, rows=_coded_rows(), townships=None,
                        region={"division_codes": "codes.csv"})
    region = load_region(toml)
    assert region.approximate_townships and region.diagnostics.township_source == "code"
    towns = region.townships.set_index("code")
    assert towns["name"].to_dict() == {"370999101": "西山镇", "370999102": "东河镇",
                                       "370999103": "北岭乡"}
    assert set(towns["parent_code"]) == {"370999"}
    # areas: Voronoi cells grouped by code tile the county; every point lies in its own area
    assert towns.loc["370999103"].geometry.is_empty  # no located village: no area
    west, east = towns.loc["370999101"].geometry, towns.loc["370999102"].geometry
    assert shapely.union_all([west, east]).symmetric_difference(COUNTY).area < 1e-12
    assert west.intersection(east).area < 1e-12
    v = region.layer("village").set_index("id")
    assert (v["township_source"] == "code").all()
    assert v.loc["370999103201", "township_code"] == "370999103"
    located = v[~v.geometry.is_empty]
    for code, geom in zip(located["township_code"], located.geometry, strict=True):
        assert towns.loc[code].geometry.covers(geom)
    codes = {p.code for p in region.problems}
    assert {"township_without_area", "division_codes_unused", "unlocated_rows"} <= codes
    unused = _only(region.problems, "division_codes_unused")[0]
    assert "南湖开发区" in unused.message and "邻县" not in unused.message


def test_townships_from_codes_named_from_the_table(tmp_path: Path) -> None:
    rows = _coded_rows()
    rows[1][4] = "西山"  # a short form of the same name: no conflict
    rows[3][4] = "东湖镇"  # another name for 370999102: reported (东河乡 would be the same)
    region = load_region(write_region(tmp_path, rows=rows, townships=None))
    names = region.townships.set_index("code")["name"].to_dict()
    assert names["370999101"] == "西山镇" and names["370999102"] == "东河镇"
    assert names["370999103"] == "370999103"
    (conflict,) = _only(region.problems, "township_name_conflict")
    assert "东湖镇" in conflict.message
    (missing,) = _only(region.problems, "township_name_missing")
    assert "division_codes" in missing.fix


def test_codes_of_another_county_and_non_codes_without_polygons(tmp_path: Path) -> None:
    rows = _coded_rows()
    rows[0][0] = "370998101201"
    rows[1][0] = "V-17"
    with pytest.raises(InputError) as info:
        load_region(write_region(tmp_path, rows=rows, townships=None))
    errors = {p.code: p for p in info.value.problems if p.severity == "error"}
    assert "county 370998" in errors["county_code_mismatch"].message
    assert errors["not_a_division_code"].row == 3
    assert "township polygons" in errors["not_a_division_code"].fix


def test_region_code_that_matches_no_code_says_so(tmp_path: Path) -> None:
    toml = write_region(tmp_path, rows=_coded_rows(), townships=None,
                        region={"code": "370998"})
    with pytest.raises(InputError) as info:
        load_region(toml)
    (err,) = _only(info.value.problems, "county_code_mismatch")
    assert "set it to 370999" in err.fix


def test_townships_dissolved_from_village_polygons(tmp_path: Path) -> None:
    villages = [("370999101201", "甲村", box(117.0, 35.0, 117.1, 35.1)),
                ("370999101202", "乙村", box(117.0, 35.1, 117.1, 35.2)),
                ("370999102201", "丙村", box(117.1, 35.0, 117.2, 35.1)),
                ("370999102202", "丁村", box(117.1, 35.1, 117.2, 35.2))]
    write_polygons(tmp_path / "villages.geojson", villages)
    extra = ('[[admin]]\nlevel = "village"\nfile = "villages.geojson"\ncode_column = "代码"\n'
             'name_column = "名称"\n')
    toml = write_region(tmp_path, townships=None)
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text.replace("[layers.village]", extra + "\n[layers.village]"),
                    encoding="utf-8")
    region = load_region(toml)
    assert not region.approximate_townships
    assert region.diagnostics.township_source == "village"
    towns = region.townships.set_index("code")
    assert towns.loc["370999101"].geometry.equals(WEST[2])
    assert region.layer("village")["village_code"].tolist() == [r[0] for r in ROWS]
