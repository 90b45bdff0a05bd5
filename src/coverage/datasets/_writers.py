"""Byte-reproducible writers for the demo files (GeoJSON, CSV, XLSX) and a GCJ-02 encoder.

Reproducibility rules: coordinates are formatted with a fixed number of decimals, JSON keys
are sorted, XLSX archives get constant timestamps (both the zip entries and the document
properties), and nothing depends on set/dict iteration order of unordered containers.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import math
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
from numpy.typing import NDArray
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from shapely.geometry import Point, Polygon

#: Constant timestamp stamped into generated workbooks.
FIXED_TIME = _dt.datetime(2025, 12, 31, 0, 0, 0)
_ZIP_TIME = (2025, 12, 31, 0, 0, 0)

# --------------------------------------------------------------------------- GCJ-02

_A = 6378245.0
_EE = 0.00669342162296594323


def _transform_lat(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * math.pi) + 40.0 * np.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * math.pi) + 320 * np.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * math.pi) + 20.0 * np.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * math.pi) + 40.0 * np.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * math.pi) + 300.0 * np.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Forward WGS84 → GCJ-02 (the public Krasovsky-ellipsoid formula; points inside China)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * math.pi)
    return lon + dlon, lat + dlat


# --------------------------------------------------------------------------- GeoJSON


def fmt_coord(v: float) -> str:
    """Six-decimal coordinate text (1e-6 degree ≈ 0.1 m); never ``-0.000000``."""
    s = f"{v:.6f}"
    return "0.000000" if s == "-0.000000" else s


def _ring(coords: Iterable[tuple[float, ...]]) -> str:
    return "[" + ",".join(f"[{fmt_coord(c[0])},{fmt_coord(c[1])}]" for c in coords) + "]"


def _geometry_json(geom: Point | Polygon) -> str:
    if isinstance(geom, Point):
        return f'{{"coordinates":[{fmt_coord(geom.x)},{fmt_coord(geom.y)}],"type":"Point"}}'
    if isinstance(geom, Polygon):
        rings = [_ring(geom.exterior.coords)] + [_ring(r.coords) for r in geom.interiors]
        return '{"coordinates":[' + ",".join(rings) + '],"type":"Polygon"}'
    raise TypeError(f"unsupported geometry {geom.geom_type}")


def write_geojson(
    path: Path,
    features: Sequence[tuple[Mapping[str, Any], Point | Polygon]],
    *,
    name: str,
    description: str,
) -> None:
    """Write a FeatureCollection with sorted keys, one feature per line, 6-decimal coordinates.

    Parameters
    ----------
    path
        Output file.
    features
        ``(properties, geometry)`` pairs in lon/lat.
    name, description
        Top-level ``name`` and ``description`` members (the description carries the
        虚构示例数据 note).
    """
    lines = [
        "{",
        f'"description":{json.dumps(description, ensure_ascii=False)},',
        f'"name":{json.dumps(name, ensure_ascii=False)},',
        '"type":"FeatureCollection",',
        '"features":[',
    ]
    body = []
    for props, geom in features:
        p = json.dumps(dict(props), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        body.append(f'{{"geometry":{_geometry_json(geom)},"properties":{p},"type":"Feature"}}')
    lines.append(",\n".join(body))
    lines.append("]")
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")


# --------------------------------------------------------------------------- CSV


def write_csv(
    path: Path, header: Sequence[str], rows: Sequence[Sequence[object]], *, encoding: str
) -> None:
    """Write a CSV with CRLF line ends (as Excel saves it) in ``encoding``."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    path.write_bytes(buf.getvalue().encode(encoding))


# --------------------------------------------------------------------------- XLSX


def add_sheet(
    wb: openpyxl.Workbook,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    caption: str | None = None,
) -> None:
    """Add a sheet; with ``caption`` a merged title row sits above the header (header row 2)."""
    ws = wb.create_sheet(title)
    r0 = 1
    if caption:
        ws.cell(row=1, column=1, value=caption).font = Font(bold=True, size=14)
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
        r0 = 2
    for j, h in enumerate(header, start=1):
        ws.cell(row=r0, column=j, value=h).font = Font(bold=True)
    for i, row in enumerate(rows, start=r0 + 1):
        for j, v in enumerate(row, start=1):
            if v is not None and v != "":
                ws.cell(row=i, column=j, value=v)
    for j, h in enumerate(header, start=1):
        width = max([len(str(h)) * 2 + 2] + [len(str(r[j - 1])) * 2 for r in rows[:50]])
        ws.column_dimensions[get_column_letter(j)].width = min(max(width, 8), 40)
    ws.freeze_panes = ws.cell(row=r0 + 1, column=1)


def new_workbook(*, title: str) -> openpyxl.Workbook:
    """An empty workbook with fixed document properties."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "coverage 项目（虚构示例数据生成器）"
    wb.properties.lastModifiedBy = "coverage"
    wb.properties.title = title
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    return wb


_CORE_TIME = re.compile(
    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:(created|modified)>)"
)


def save_workbook(wb: openpyxl.Workbook, path: Path) -> None:
    """Save ``wb`` with constant zip timestamps and document times (byte-reproducible)."""
    raw = io.BytesIO()
    wb.save(raw)
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _CORE_TIME.sub(lambda m: m.group(1) + stamp + m.group(3), data)
            zi = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            # Stored (uncompressed) entries: the bytes then do not depend on the zlib build.
            zi.compress_type = zipfile.ZIP_STORED
            zi.external_attr = 0o600 << 16
            zi.create_system = 0
            zout.writestr(zi, data)
    path.write_bytes(out.getvalue())
