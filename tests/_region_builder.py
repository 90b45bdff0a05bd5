"""Build small test regions in a temporary folder: boundaries, a village table, a TOML.

The default county is the box 117.0–117.2°E, 35.0–35.2°N (code 370999) split at 117.1 into
西山镇 (370999101, west) and 东河镇 (370999102, east), as in ``tests/fixtures/tiny``.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import shapely
from openpyxl import Workbook
from shapely.geometry import box, mapping

COUNTY = box(117.0, 35.0, 117.2, 35.2)
WEST = ("370999101", "西山镇", box(117.0, 35.0, 117.1, 35.2))
EAST = ("370999102", "东河镇", box(117.1, 35.0, 117.2, 35.2))
HEADER = ("村居代码", "村居名称", "经度", "纬度", "所属乡镇", "常住人口", "心理咨询室")
COLUMNS = {"id": "村居代码", "name": "村居名称", "lon": "经度", "lat": "纬度",
           "township": "所属乡镇", "population": "常住人口", "status": "心理咨询室"}
ROWS = [
    ["370999101201", "甲村", "117.05", "35.05", "西山镇", "1200", "是"],
    ["370999101202", "乙村", "117.06", "35.15", "西山镇", "800", "否"],
    ["370999102201", "丙村", "117.15", "35.05", "东河镇", "900", "是"],
    ["370999102202", "丁村", "117.18", "35.12", "东河镇", "700", "否"],
]


def write_polygons(path: Path, units: Sequence[tuple[str, str, shapely.Geometry]]) -> Path:
    features = [{"type": "Feature", "properties": {"代码": code, "名称": name},
                 "geometry": mapping(geom)} for code, name, geom in units]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False), encoding="utf-8")
    return path


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]],
              encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_xlsx(path: Path, sheets: Mapping[str, Sequence[Sequence[object]]],
               hidden: Sequence[str] = ()) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(list(row))
        if title in hidden:
            ws.sheet_state = "hidden"
    wb.save(path)
    return path


def _value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    return json.dumps(str(v), ensure_ascii=False)


def _table(name: str, items: Mapping[str, object]) -> str:
    return f"[{name}]\n" + "".join(f"{k} = {_value(v)}\n" for k, v in items.items())


def write_region(
    folder: Path,
    *,
    rows: Sequence[Sequence[object]] | None = None,
    header: Sequence[str] = HEADER,
    columns: Mapping[str, str] | None = None,
    layer: Mapping[str, object] | None = None,
    region: Mapping[str, object] | None = None,
    county: shapely.Geometry | None = COUNTY,
    townships: Sequence[tuple[str, str, shapely.Geometry]] | None = (WEST, EAST),
    file: str = "villages.csv",
    kind: str = "village",
    extra: str = "",
) -> Path:
    """Write a region folder and return its TOML (the layer file is written unless it exists)."""
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / file).exists() and file.endswith(".csv"):
        write_csv(folder / file, header, ROWS if rows is None else rows)
    text = _table("region", {"name": "测试县", "code": "370999", **(region or {})})
    if county is not None:
        write_polygons(folder / "county.geojson", [("370999", "测试县", county)])
        text += "\n[[admin]]\n" + "".join(f"{k} = {_value(v)}\n" for k, v in {
            "level": "county", "file": "county.geojson", "code_column": "代码",
            "name_column": "名称"}.items())
    if townships is not None:
        write_polygons(folder / "townships.geojson", townships)
        text += "\n[[admin]]\n" + "".join(f"{k} = {_value(v)}\n" for k, v in {
            "level": "township", "file": "townships.geojson", "code_column": "代码",
            "name_column": "名称"}.items())
    text += "\n" + _table(f"layers.{kind}", {"file": file, **(layer or {})})
    text += "\n" + _table(f"layers.{kind}.columns", dict(COLUMNS if columns is None
                                                         else columns))
    text += "\n" + extra
    toml = folder / "region.toml"
    toml.write_text(text, encoding="utf-8")
    return toml
