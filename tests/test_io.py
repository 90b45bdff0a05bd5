"""Readers (coverage.readers, coverage.coordinates) and atomic output (coverage.outputs)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from coverage import coordinates as ccoord
from coverage import outputs as cout
from coverage import readers as cio
from coverage.problems import InputError

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "io"


# --- encodings ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("table_utf8.csv", "utf-8"),
        ("table_utf8_bom.csv", "utf-8-sig"),
        ("table_gbk.csv", "gbk"),
        ("table_gb18030.csv", "gb18030"),
    ],
)
def test_detect_encoding(name: str, expected: str) -> None:
    assert cio.detect_encoding(FIXTURES / name) == expected


def test_detect_encoding_utf16(tmp_path: Path) -> None:
    path = tmp_path / "u16.csv"
    path.write_bytes("名称\n东关\n".encode("utf-16"))
    assert cio.detect_encoding(path) == "utf-16"
    assert cio.read_table(path).frame["名称"].tolist() == ["东关"]


def test_detect_encoding_refuses_latin1_with_offset() -> None:
    # "code,name\n1,Caf" is 15 bytes; byte 15 (0xE9, then a newline) is on line 2.
    with pytest.raises(InputError) as info:
        cio.detect_encoding(FIXTURES / "table_latin1.csv")
    problem = info.value.problems[0]
    assert problem.file is not None
    assert problem.file.endswith("table_latin1.csv")
    assert "byte offset 15 (line 2)" in problem.message
    assert "UTF-8" in problem.fix
    assert "encoding" in problem.fix


# --- CSV tables -----------------------------------------------------------------------

EXPECTED_ROWS = [
    ["370831001001", "济河街道东关社区", "117.2583", "35.6512"],
    ["370831102203", "星村镇柘沟村", "117°23′33″", "N35°41′15.7″"],
    ["370831104210", "金庄镇后峪村", "117.1743", "35.5991"],
]


@pytest.mark.parametrize(
    "name", ["table_utf8.csv", "table_utf8_bom.csv", "table_gbk.csv", "table_gb18030.csv"]
)
def test_read_table_csv_encodings(name: str) -> None:
    table = cio.read_table(FIXTURES / name)
    assert list(table.frame.columns) == ["村居代码", "村居名称", "经度", "纬度"]
    assert table.frame.to_numpy().tolist()[:3] == EXPECTED_ROWS
    assert all(isinstance(v, str) for v in table.frame.to_numpy().ravel())
    assert table.sheet is None
    assert table.excel_row(0) == 2
    if name == "table_gb18030.csv":
        assert table.encoding == "gb18030"
        assert table.frame["村居名称"].iloc[3] == "㙍𪚥村"


def test_read_table_explicit_wrong_encoding_reports_offset() -> None:
    with pytest.raises(InputError) as info:
        cio.read_table(FIXTURES / "table_gbk.csv", encoding="utf-8")
    assert "byte offset" in str(info.value)
    explicit = cio.read_table(FIXTURES / "table_gbk.csv", encoding="gbk")
    assert explicit.frame.to_numpy().tolist() == EXPECTED_ROWS


def test_read_table_csv_header_row_blank_rows_and_tabs(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text(
        "某县台账\n代码\t名称\t人口\n001\t东关\t\n\t\t\n002\t西关\t12\n\n\t\t\n", encoding="utf-8"
    )
    table = cio.read_table(path, header_row=2)
    assert list(table.frame.columns) == ["代码", "名称", "人口"]
    # the blank row in between is skipped (one warning naming it), trailing blanks dropped
    assert table.frame.to_numpy().tolist() == [["001", "东关", ""], ["002", "西关", "12"]]
    assert table.excel_row(1) == 5  # title 1, header 2, rows 3, (4 blank), 5
    (note,) = table.notes
    assert note.severity == "warning" and note.code == "blank_rows"
    assert "rows 4" in note.message
    assert table.letters == {"代码": "A", "名称": "B", "人口": "C"}


def test_read_table_csv_short_and_long_rows(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("a,b,c\n1,2\n1,2,3,4\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        cio.read_table(path)
    problem = info.value.problems[0]
    assert problem.row == 3
    assert "column D" in problem.message
    path.write_text("a,b,c\n1,2\n", encoding="utf-8")
    assert cio.read_table(path).frame.to_numpy().tolist() == [["1", "2", ""]]


def test_read_table_bad_headers_name_the_letters() -> None:
    with pytest.raises(InputError) as info:
        cio.read_table(FIXTURES / "table_bad_headers.csv")
    messages = [p.message for p in info.value.problems]
    assert any("column D" in m and "empty" in m for m in messages)
    assert any("B, C" in m and "duplicate" in m for m in messages)


def test_read_table_missing_and_unsupported(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        cio.read_table(tmp_path / "nope.csv")
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputError, match="xlsx"):
        cio.read_table(old)


def test_read_table_header_only(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("代码,名称\n", encoding="utf-8")
    table = cio.read_table(path)
    assert list(table.frame.columns) == ["代码", "名称"]
    assert len(table.frame) == 0


# --- Excel ----------------------------------------------------------------------------


def test_read_table_xlsx_title_row_and_sheet() -> None:
    table = cio.read_table(FIXTURES / "table.xlsx", sheet="村居", header_row=2)
    frame = table.frame
    assert list(frame.columns) == [
        "村居代码",
        "村居名称",
        "常住人口",
        "经度",
        "建成日期",
        "是否示范",
    ]
    assert table.sheet == "村居"
    assert table.encoding is None
    assert len(frame) == 3  # blank row in the middle skipped, trailing blanks dropped
    assert frame["村居代码"].tolist() == ["370831001001", "370831102203", "370831104210"]
    assert frame["常住人口"].tolist() == ["3250", "1280", "980.5"]
    assert frame["经度"].tolist() == ["117.2583", "117.3925", "117°10′27″"]
    assert frame["建成日期"].tolist() == ["2024-06-30", "2023-12-01", ""]
    assert frame["是否示范"].tolist() == ["TRUE", "FALSE", ""]
    assert table.excel_row(2) == 6
    assert [n.code for n in table.notes] == ["blank_rows"] and table.notes[0].sheet == "村居"


def test_read_table_xlsx_default_first_sheet() -> None:
    table = cio.read_table(FIXTURES / "table.xlsx")
    assert table.sheet == "说明"
    assert list(table.frame.columns) == ["本表为测试数据"]
    assert len(table.frame) == 0


def test_read_table_xlsx_missing_sheet_lists_sheets() -> None:
    with pytest.raises(InputError) as info:
        cio.read_table(FIXTURES / "table.xlsx", sheet="学校")
    text = str(info.value)
    assert "'说明'" in text
    assert "'村居'" in text


def test_read_table_blank_header_row(tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text("\n代码\n1\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        cio.read_table(path)
    assert info.value.problems[0].row == 1
    assert "no headers in row 1" in info.value.problems[0].message
    assert cio.read_table(path, header_row=2).frame["代码"].tolist() == ["1"]


# --- vector files ---------------------------------------------------------------------


def test_read_vector_geojson() -> None:
    gdf = cio.read_vector(FIXTURES / "points.geojson")
    assert gdf.crs.to_epsg() == 4326
    assert gdf["名称"].tolist()[0] == "泉林镇卫生院"


def test_read_vector_gpkg_layers() -> None:
    towns = cio.read_vector(FIXTURES / "layers.gpkg", layer="townships")
    assert towns["名称"].tolist() == ["济河街道"]
    assert towns.crs.to_epsg() == 4490
    with pytest.raises(InputError) as info:
        cio.read_vector(FIXTURES / "layers.gpkg")
    assert "sites" in str(info.value)
    assert "townships" in str(info.value)
    with pytest.raises(InputError, match="no layer 'roads'"):
        cio.read_vector(FIXTURES / "layers.gpkg", layer="roads")


def test_read_vector_shapefile_gbk_without_cpg() -> None:
    shp = FIXTURES / "gk_gbk" / "sites_gk39.shp"
    assert not shp.with_suffix(".cpg").exists()
    dbf = shp.with_suffix(".dbf").read_bytes()
    assert dbf[29] == 0  # no language-driver hint either
    gdf = cio.read_vector(shp)
    assert gdf["名称"].tolist() == [
        "泉林镇卫生院",
        "星村镇综治中心",
        "柘沟镇张家庄村",
        "济河街道心灵驿站",
    ]
    assert gdf.crs.to_epsg() == 4527
    assert cio.read_vector(shp, encoding="gbk")["名称"].tolist() == gdf["名称"].tolist()


def test_read_vector_zipped_shapefile() -> None:
    gdf = cio.read_vector(FIXTURES / "sites_gk39.zip")
    assert gdf["名称"].iloc[3] == "济河街道心灵驿站"
    assert gdf.crs.to_epsg() == 4527


def test_read_vector_zip_with_several_shapefiles() -> None:
    path = FIXTURES / "two_shapefiles.zip"
    with pytest.raises(InputError) as info:
        cio.read_vector(path)
    assert "sites_gk39.shp" in str(info.value)
    assert "copy.shp" in str(info.value)
    assert len(cio.read_vector(path, layer="copy")) == 4
    assert len(cio.read_vector(path, layer="sites_gk39.shp")) == 4
    with pytest.raises(InputError, match="no 'other' in the zip"):
        cio.read_vector(path, layer="other")


def test_read_vector_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        cio.read_vector(tmp_path / "missing.shp")
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="cannot read"):
        cio.read_vector(broken)
    notzip = tmp_path / "b.zip"
    notzip.write_bytes(b"PK junk")
    with pytest.raises(InputError, match="zip"):
        cio.read_vector(notzip)
    with pytest.raises(InputError, match="unsupported"):
        cio.read_vector(FIXTURES / "table_utf8.csv")


# --- coordinates ----------------------------------------------------------------------

DMS = 117 + 15 / 60 + 30 / 3600


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("117.2583", 117.2583),
        ("117.2583°", 117.2583),
        (" 117.2583 ", 117.2583),
        ("-117.5", -117.5),
        ("+35", 35.0),
        ("117°15′30″", DMS),
        ("117°15'30\"", DMS),
        ("117°15′30.5″E", 117 + 15 / 60 + 30.5 / 3600),
        ("117度15分30秒", DMS),
        ("东经117°15′30″", DMS),
        ("北纬35°39′", 35 + 39 / 60),
        ("N35°39′", 35 + 39 / 60),
        ("35°39.5′", 35 + 39.5 / 60),
        ("35°39.5′S", -(35 + 39.5 / 60)),
        ("W122°16′", -(122 + 16 / 60)),
        ("117 15 30", DMS),
        ("117 15.5", 117 + 15.5 / 60),
        ("117°15′", 117.25),
        ("１１７．２５", 117.25),  # full-width digits from a Chinese IME
        ("117°15’30”", DMS),  # typographic quotes
    ],
)
def test_parse_coordinate_accepts(text: str, expected: float) -> None:
    assert ccoord.parse_coordinate(text) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("117,2583", "comma"),
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "unrecognised"),
        ("117°60′", "minutes must be < 60"),
        ("117°15′60″", "seconds must be < 60"),
        ("35.5°30′", "fractional degrees"),
        ("117°15.5′30″", "fractional minutes"),
        ("-117.5W", "both a sign and a hemisphere"),
        ("N95°", "beyond 90"),
        ("181", "beyond 180"),
        ("117.25.3", "unrecognised"),
        ("N35°E", "two hemisphere"),
    ],
)
def test_parse_coordinate_rejects(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        ccoord.parse_coordinate(text)


def test_parse_coordinates_series() -> None:
    series = pd.Series(
        ["117.25", "117°15′30″", "117,25", "", "200", "35.6"], index=[10, 11, 12, 13, 14, 15]
    )
    values, errors = ccoord.parse_coordinates(series)
    np.testing.assert_allclose(values[[0, 1, 5]], [117.25, DMS, 35.6])
    assert np.isnan(values[[2, 3, 4]]).all()
    assert [index for index, _ in errors] == [12, 13, 14]
    assert "comma" in errors[0][1]
    assert "empty" in errors[1][1]
    assert "180" in errors[2][1]


def test_parse_wkt_column() -> None:
    series = pd.Series(
        ["POINT (117.25 35.65)", "POINT (1)", "", " POINT(1 2) "], index=list("abcd")
    )
    geoms, errors = ccoord.parse_wkt_column(series)
    assert geoms.loc["a"].equals(Point(117.25, 35.65))
    assert geoms.loc["d"].equals(Point(1, 2))
    assert geoms.loc[["b", "c"]].isna().all()
    assert [index for index, _ in errors] == ["b", "c"]
    assert "invalid WKT" in errors[0][1]


# --- atomic output --------------------------------------------------------------------


def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_atomic_write_replaces_on_success(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    path.write_text("old", encoding="utf-8")
    with cout.atomic_write(path) as handle:
        handle.write("新内容")
        assert path.read_text(encoding="utf-8") == "old"  # not visible until the block ends
    assert path.read_text(encoding="utf-8") == "新内容"
    assert _leftovers(tmp_path, {"out.txt"}) == []
    with cout.atomic_write(tmp_path / "b.bin", "wb") as handle:
        handle.write(b"\x00\x01")
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"


def test_atomic_write_keeps_old_file_on_exception(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    path.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), cout.atomic_write(path) as handle:
        handle.write("half")
        raise RuntimeError("boom")
    assert path.read_text(encoding="utf-8") == "old"
    assert _leftovers(tmp_path, {"out.txt"}) == []


def test_atomic_path(tmp_path: Path) -> None:
    path = tmp_path / "map.html"
    path.write_text("old", encoding="utf-8")
    with cout.atomic_path(path) as tmp:
        assert tmp.suffix == ".html"
        assert tmp.parent == tmp_path
        tmp.write_text("new", encoding="utf-8")
    assert path.read_text(encoding="utf-8") == "new"
    with pytest.raises(ValueError, match="lib failed"), cout.atomic_path(path) as tmp:
        tmp.write_text("partial", encoding="utf-8")
        raise ValueError("lib failed")
    assert path.read_text(encoding="utf-8") == "new"
    with pytest.raises(FileNotFoundError), cout.atomic_path(path):
        pass
    assert _leftovers(tmp_path, {"map.html"}) == []


def test_write_csv_round_trips_chinese(tmp_path: Path) -> None:
    df = pd.DataFrame({"代码": ["370831001001", "007"], "名称": ["东关社区", "西关"]})
    path = cout.write_csv(df, tmp_path / "out.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    table = cio.read_table(path)
    assert table.encoding == "utf-8-sig"
    assert table.frame.to_numpy().tolist() == [["370831001001", "东关社区"], ["007", "西关"]]


def test_write_json_and_sha256(tmp_path: Path) -> None:
    obj = {
        "名称": "泗水县",
        "n": np.int64(3),
        "x": np.float64(0.5),
        "nan": float("nan"),
        "a": np.array([1, 2]),
        "p": Path("a/b"),
    }
    path = cout.write_json(obj, tmp_path / "out.json")
    text = path.read_text(encoding="utf-8")
    assert "泗水县" in text
    assert json.loads(text) == {
        "名称": "泗水县",
        "n": 3,
        "x": 0.5,
        "nan": None,
        "a": [1, 2],
        "p": "a/b",
    }
    (tmp_path / "abc").write_bytes(b"abc")
    assert cout.sha256_file(tmp_path / "abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )
    assert cout.sha256_file(path) == hashlib.sha256(path.read_bytes()).hexdigest()
