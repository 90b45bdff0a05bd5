"""The loader on imperfect cells: every message leads to the cell and says the fix.

Issue 12 (items 3 and 6: partly geocoded ledgers, messages that lead to the cell) and the
loader's part of issue 19 (plausibility, size guards, silence is a bug).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from _region_builder import COLUMNS, HEADER, ROWS, write_csv, write_region, write_xlsx
from coverage import InputError, load_region
from coverage.crs import wgs84_to_gcj02
from coverage.problems import Problem
from coverage.region import located_mask
from coverage.targets import gaps_for_region


def _errors(toml: Path) -> list[Problem]:
    with pytest.raises(InputError) as info:
        load_region(toml)
    return [p for p in info.value.problems if p.severity == "error"]


def _one(problems: list[Problem] | tuple[Problem, ...], code: str) -> Problem:
    found = [p for p in problems if p.code == code]
    assert len(found) == 1, (code, [p.format() for p in problems])
    return found[0]


# --- partly geocoded ledgers (issue 12, item 3) -----------------------------------------


def test_rows_without_coordinates_count_in_rates(tmp_path: Path) -> None:
    rows = [*ROWS,
            ["370999101203", "戊村", "", "", "西山镇", "500", "是"],
            ["370999102203", "己村", "", "", "", "400", "否"],
            ["370999102204", "庚村", "", "", "东河镇", "300", "否"]]
    region = load_region(write_region(tmp_path, rows=rows))
    v = region.layer("village").set_index("id")
    assert len(v) == 7
    assert located_mask(v).tolist() == [True] * 4 + [False] * 3
    # the township of a row without coordinates comes from its code (or 所属乡镇)
    assert v.loc["370999102203", "township_code"] == "370999102"
    assert v.loc["370999102203", "township_source"] == "code"
    warn = _one(region.problems, "unlocated_rows")
    assert warn.severity == "warning"
    assert "3 of 7 rows have no coordinates" in warn.message
    assert "东河镇 2" in warn.message and "西山镇 1" in warn.message
    assert warn.row == 6 and warn.cell == "C"
    diag = region.diagnostics.unlocated.set_index("township_code")["count"]
    assert diag.to_dict() == {"370999102": 2, "370999101": 1}
    gaps = gaps_for_region(region).table
    county = gaps[(gaps.indicator_id == "village_room_rate") & (gaps.unit_code == "370999")]
    assert county[["numerator", "denominator", "unlocated"]].iloc[0].tolist() == [3, 7, 3]


def test_half_a_coordinate_is_an_error_and_nan_is_missing(tmp_path: Path) -> None:
    rows = [*ROWS, ["370999101203", "戊村", "117.03", "", "西山镇", "500", "是"],
            ["370999101204", "己村", "NaN", "NaN", "西山镇", "400", "否"]]
    toml = write_region(tmp_path, rows=rows)
    (err,) = _errors(toml)
    assert err.code == "empty_coordinate" and err.row == 6 and err.column == "纬度"
    assert "empty both cells" in err.fix
    rows[4][2] = ""
    write_csv(tmp_path / "villages.csv", HEADER, rows)
    region = load_region(toml)
    nan = [p for p in region.problems if p.code == "missing_token"]
    assert {p.column for p in nan} == {"经度", "纬度"}
    assert "NaN" in nan[0].message and "未定位" in nan[0].message
    assert (~located_mask(region.layer("village"))).sum() == 2


def test_ledger_rows_without_points_become_unlocated_rows(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "台账.xlsx", {"村居": [
        ["某县村居台账"],
        ["村居代码", "村居名称", "心理咨询室建设情况"],
        *[[r[0], r[1], r[6]] for r in ROWS],
        ["370999101209", "新村", "是"],
    ]})
    toml = write_region(tmp_path, columns={k: v for k, v in COLUMNS.items() if k != "status"},
                        extra='[layers.village.ledger]\nfile = "台账.xlsx"\nsheet = "村居"\n'
                              'header_row = 2\nkey = "村居代码"\n[layers.village.ledger.columns]\n'
                              'status = "心理咨询室建设情况"\nname = "村居名称"\n')
    region = load_region(toml)
    v = region.layer("village").set_index("id")
    assert v.loc["370999101209", "status"] == "built"
    assert v.loc["370999101209", "name"] == "新村"
    assert v.loc["370999101209", "township_code"] == "370999101"
    assert v.loc["370999101209", "source_row"] == 7
    assert not located_mask(v.loc[["370999101209"]])[0]
    warn = _one(region.problems, "unlocated_rows")
    assert warn.file.endswith("台账.xlsx") and warn.sheet == "村居" and warn.row == 7


# --- messages that lead to the cell (issue 12, item 6) ----------------------------------


def test_workbook_problems_name_sheet_cell_and_typed_value(tmp_path: Path) -> None:
    lon, lat = wgs84_to_gcj02(117.5, 35.1)  # outside the county once converted
    write_xlsx(tmp_path / "v.xlsx", {"说明": [["本表说明"]], "村居": [
        list(HEADER), *ROWS[:3], ["370999102202", "丁村", f"{float(lon):.6f}",
                                  f"{float(lat):.6f}", "东河镇", "700", "待定"]]})
    toml = write_region(tmp_path, file="v.xlsx", layer={"sheet": "村居", "crs": "gcj02"})
    errors = _errors(toml)
    outside = _one(errors, "point_outside_county")
    assert outside.sheet == "村居" and outside.row == 5 and outside.cell == "C"
    assert outside.value == f"{float(lon):.6f}, {float(lat):.6f}"  # as typed, not WGS84
    status = _one(errors, "unknown_status")
    assert (status.sheet, status.row, status.cell, status.value) == ("村居", 5, "G", "待定")
    assert "工作表 '村居'" in status.format() and "(G列)" in status.format()


def test_codes_excel_turned_into_floats(tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[1][0] = "3.79999E+11"
    rows[2][0] = "3.79999E+11"
    errors = _errors(write_region(tmp_path, rows=rows))
    floats = [p for p in errors if p.code == "excel_float_code"]
    assert [p.row for p in floats] == [3, 4]
    assert "scientific notation" in floats[0].message and "lost" in floats[0].message
    assert "文本" in floats[0].fix and floats[0].value == "3.79999E+11"


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_header_on_another_row_names_the_row(tmp_path: Path, suffix: str) -> None:
    table = [["某县村居台账（2026年）"], [], list(HEADER), *ROWS]
    if suffix == "csv":
        write_csv(tmp_path / "v.csv", table[0], table[1:])
    else:
        write_xlsx(tmp_path / "v.xlsx", {"村居": table})
    toml = write_region(tmp_path, file=f"v.{suffix}", layer={"header_row": 2})
    (err,) = _errors(toml)
    assert err.code == "header_row_elsewhere" and err.row == 3
    assert "headers are on row 3, not on row 2" in err.message
    assert "header_row = 3" in err.fix


def test_gauss_kruger_metres_read_as_degrees_is_one_error(tmp_path: Path) -> None:
    from coverage.crs import project_points

    rows = [list(r) for r in ROWS]
    x, y = project_points([float(r[2]) for r in rows], [float(r[3]) for r in rows], 4527)
    for r, e, n in zip(rows, x, y, strict=True):
        r[2], r[3] = f"{e:.2f}", f"{n:.2f}"
    toml = write_region(tmp_path, rows=rows)
    (err,) = _errors(toml)
    assert err.code == "gauss_kruger_as_degrees" and "4 rows" in err.message
    assert "zone 39" in err.message
    assert 'crs = "EPSG:4527"' in err.fix
    # following the fix loads the same places
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        'file = "villages.csv"', 'file = "villages.csv"\ncrs = "EPSG:4527"'), encoding="utf-8")
    v = load_region(toml).layer("village")
    np.testing.assert_allclose(v.geometry.x, [float(r[2]) for r in ROWS], atol=1e-7)


def test_formulas_without_saved_values(tmp_path: Path) -> None:
    rows = [list(HEADER), *[list(r) for r in ROWS]]
    for k, r in enumerate(rows[1:], start=2):
        r[5] = f"=800+{k}"  # openpyxl writes the formula, never its value
    write_xlsx(tmp_path / "v.xlsx", {"村居": rows})
    (err,) = _errors(write_region(tmp_path, file="v.xlsx"))
    assert err.code == "formula_without_value" and err.cell == "F" and err.sheet == "村居"
    assert err.value == "=800+2" and "4 cells" in err.message
    assert "Excel or WPS" in err.fix and "save" in err.fix


# --- numbers, names, codes (issue 19) ---------------------------------------------------


def test_implausible_and_non_finite_numbers(tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[0][5], rows[1][5], rows[2][5], rows[3][5] = "1e309", "0", "2000000", "60000"
    toml = write_region(tmp_path, rows=rows)
    with pytest.raises(InputError) as info:
        load_region(toml)
    by_row = {p.row: p for p in info.value.problems}
    assert by_row[2].code == "non_finite" and by_row[2].severity == "error"
    assert "finite" in by_row[2].message
    assert by_row[3].code == "non_positive_number" and by_row[3].severity == "warning"
    assert by_row[4].code == "implausible_number" and by_row[4].severity == "error"
    assert "impossible" in by_row[4].message and "decimal point" in by_row[4].fix
    assert by_row[5].code == "implausible_number" and by_row[5].severity == "warning"


def test_decimal_comma_and_full_width_numbers(tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[0][5], rows[1][5], rows[2][5] = "1.234,5", "１２００", "1,200"
    toml = write_region(tmp_path, rows=rows)
    (err,) = _errors(toml)
    assert err.code == "decimal_comma" and err.row == 2 and "decimal point" in err.fix
    rows[0][5] = "1234.5"
    write_csv(tmp_path / "villages.csv", HEADER, rows)
    region = load_region(toml)
    assert region.layer("village")["population"].tolist()[:3] == [1234.5, 1200.0, 1200.0]
    warn = _one(region.problems, "number_normalised")
    assert warn.value == "１２００" and warn.row == 3


def test_codes_are_normalised_and_reported(tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[0][0] = "３７０９９９１０１２０１"  # full-width digits from a Chinese IME
    rows[1][0] = "370999101202\u00a0"     # a no-break space from a web page
    region = load_region(write_region(tmp_path, rows=rows))
    assert region.layer("village")["id"].tolist()[:2] == ["370999101201", "370999101202"]
    warn = _one(region.problems, "code_normalised")
    assert "2 codes" in warn.message and "NFKC" in warn.message and warn.cell == "A"


def test_empty_names_and_empty_layer_are_reported(tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[1][1], rows[2][1] = "  ", "NULL"
    region = load_region(write_region(tmp_path, rows=rows))
    warn = _one(region.problems, "empty_name")
    assert "2 rows" in warn.message and "rows 3, 4" in warn.message
    write_csv(tmp_path / "villages.csv", HEADER, [])
    region = load_region(tmp_path / "region.toml")
    warn = _one(region.problems, "empty_layer")
    assert "layer is empty" in warn.message and "remove [layers.village]" in warn.fix


def test_points_outside_china(tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[0][2] = "-117.05"
    err = _one(_errors(write_region(tmp_path, rows=rows)), "outside_china")
    assert err.row == 2 and "370999" in err.message and "sign" in err.fix


# --- files (issue 19) -------------------------------------------------------------------


def test_file_larger_than_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    rows = [*ROWS, *[[f"370999101{k:03d}", "村", "", "", "西山镇", "1", "否"]
                     for k in range(300, 999)] * 60]
    toml = write_region(tmp_path, rows=rows, region={"max_file_mb": 1})
    assert (tmp_path / "villages.csv").stat().st_size > 2**20
    err = _one(_errors(toml), "file_too_large")
    assert err.file.endswith("villages.csv") and "more than the limit of 1.0 MB" in err.message
    assert "max_file_mb to at least 2" in err.fix


@pytest.mark.parametrize("what", ["device", "fifo", "folder"])
def test_not_a_regular_file_is_refused(tmp_path: Path, what: str) -> None:
    toml = write_region(tmp_path)
    target = tmp_path / "villages.csv"
    target.unlink()
    if what == "device":
        target.symlink_to("/dev/zero")
    elif what == "fifo":
        os.mkfifo(target)
    else:
        target.mkdir()
    err = _errors(toml)[0]
    assert err.code == ("not_a_file" if what == "folder" else "not_a_regular_file")
    assert err.file == str(target)


def test_hidden_sheets_read_only_when_named(tmp_path: Path) -> None:
    stale = [list(HEADER), [*ROWS[0][:6], "否"]]
    current = [list(HEADER), *ROWS]
    write_xlsx(tmp_path / "v.xlsx", {"去年": stale, "村居": current}, hidden=["去年"])
    region = load_region(write_region(tmp_path, file="v.xlsx"))
    assert len(region.layer("village")) == 4  # the first visible sheet, not the stale one
    warn = _one(region.problems, "hidden_sheet_same_headers")
    assert "'去年'" in warn.message and warn.sheet == "村居" and 'sheet = "去年"' in warn.fix
    region = load_region(write_region(tmp_path, file="v.xlsx", layer={"sheet": "去年"}))
    assert len(region.layer("village")) == 1
    assert "hidden sheet '去年'" in _one(region.problems, "hidden_sheet_same_headers").message


def test_blank_rows_in_the_middle_are_one_warning(tmp_path: Path) -> None:
    rows = [ROWS[0], ["", "", "", "", "", "", ""], ROWS[1], [""] * 7, [""] * 7, *ROWS[2:]]
    region = load_region(write_region(tmp_path, rows=rows))
    assert len(region.layer("village")) == 4
    warn = _one(region.problems, "blank_rows")
    assert "3 blank rows" in warn.message and "rows 3, 5, 6" in warn.message
    v = region.layer("village").set_index("id")
    assert v.loc["370999102201", "source_row"] == 7  # Excel rows keep counting


def test_utf8_shapefile_with_a_name_cut_mid_character(tmp_path: Path) -> None:
    import warnings

    import geopandas as gpd

    gdf = gpd.GeoDataFrame({"代码": [r[0] for r in ROWS], "名称": [r[1] for r in ROWS],
                            "常住人口数": [1200, 800, 900, 700]},
                           geometry=gpd.points_from_xy([float(r[2]) for r in ROWS],
                                                       [float(r[3]) for r in ROWS]),
                           crs="EPSG:4326")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL says it laundered the long names
        gdf.to_file(tmp_path / "v.shp", encoding="utf-8")
    (tmp_path / "v.cpg").unlink()  # no .cpg: the cut name must not make it look like GBK
    cols = {"id": "代码", "name": "名称", "population": "常住人口数"}
    errors = _errors(write_region(tmp_path, file="v.shp", columns=cols))
    missing = _one(errors, "missing_column")
    assert "'常住人'" in missing.fix
    cols["population"] = "常住人"
    region = load_region(write_region(tmp_path, file="v.shp", columns=cols))
    assert region.layer("village")["population"].tolist() == [1200, 800, 900, 700]
    # the values are UTF-8 text too, not only the field names (pandas' string dtype)
    assert region.layer("village")["name"].tolist() == [r[1] for r in ROWS]
    warn = _one(region.problems, "dbf_field_name_cut")
    assert "'常住人'" in warn.message and "gbk" not in warn.fix.lower()
    assert "3 Chinese characters" in warn.fix
