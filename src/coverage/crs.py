"""The one CRS policy of the package, and the Chinese map offsets (GCJ-02, BD-09).

Every module asks this one for coordinate reference systems:

* storage and maps are WGS84 (``EPSG:4326``): :func:`to_wgs84` brings any input there —
  an EPSG CRS (including CGCS2000 ``EPSG:4490`` and its Gauss-Krüger zones), or longitude /
  latitude in the GCJ-02 (高德/腾讯, "火星坐标") or BD-09 (百度) systems;
* distances and areas are computed in one metric CRS chosen by :func:`metric_crs_for` — the
  CGCS2000 3-degree Gauss-Krüger zone (with the zone number prefixed to the easting) inside
  China, UTM elsewhere — and :func:`assert_metric` refuses degrees.

GCJ-02 is a published forward obfuscation of WGS84; its inverse has no closed form, so
:func:`gcj02_to_wgs84` iterates the forward transform until it reproduces the input within
1e-9 degrees (about 0.1 mm).  BD-09 is a closed-form distortion of GCJ-02 whose textbook
inverse is approximate; it is refined the same way.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj.exceptions import CRSError

from coverage.offsets import (
    as_arrays,
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    out_of_china,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from coverage.problems import InputError

__all__ = [
    "WGS84",
    "CRSSpec",
    "assert_metric",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "looks_swapped",
    "metric_crs_for",
    "out_of_china",
    "parse_crs",
    "project_points",
    "to_metric",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

logger = logging.getLogger(__name__)

WGS84 = pyproj.CRS.from_epsg(4326)
"""The storage CRS of every layer."""

CRSKind = Literal["epsg", "gcj02", "bd09"]
FloatArray = NDArray[np.float64]

_ALLOWED_FORMS = (
    '"EPSG:4490" 或 "4490" (any EPSG code, e.g. "EPSG:4527" for CGCS2000 3-degree GK zone 39), '
    '"wgs84", "cgcs2000", "gcj02" (高德/腾讯 火星坐标), "bd09" (百度)'
)

_ALIASES: dict[str, tuple[CRSKind, int | None]] = {
    "wgs84": ("epsg", 4326),
    "wgs1984": ("epsg", 4326),
    "cgcs2000": ("epsg", 4490),
    "gcj02": ("gcj02", None),
    "火星坐标": ("gcj02", None),
    "火星坐标系": ("gcj02", None),
    "高德": ("gcj02", None),
    "bd09": ("bd09", None),
    "bd09ll": ("bd09", None),
    "百度": ("bd09", None),
    "百度坐标": ("bd09", None),
    "百度坐标系": ("bd09", None),
}

# China box used to pick the Gauss-Krüger metric CRS.
_CHINA_LON = (73.0, 136.0)
_CHINA_LAT = (3.0, 54.0)

@dataclass(frozen=True)
class CRSSpec:
    """A parsed coordinate system.

    Parameters
    ----------
    kind
        ``"epsg"`` for a CRS pyproj knows; ``"gcj02"`` or ``"bd09"`` for longitude/latitude
        in the Chinese offset systems (no pyproj CRS exists for them).
    crs
        The pyproj CRS for ``kind == "epsg"``, else ``None``.
    """

    kind: CRSKind
    crs: pyproj.CRS | None = None

    @property
    def label(self) -> str:
        """Short human label, e.g. ``"EPSG:4527"`` or ``"gcj02"``."""
        if self.crs is None:
            return self.kind
        code = self.crs.to_epsg()
        return f"EPSG:{code}" if code is not None else self.crs.name


def parse_crs(text: str) -> CRSSpec:
    """Parse a CRS as written in a region TOML.

    Parameters
    ----------
    text
        ``"EPSG:4490"``, ``"4490"``, ``"epsg:4526"``, ``"wgs84"``/``"WGS 84"``,
        ``"cgcs2000"``, ``"gcj02"``/``"GCJ-02"``/``"火星坐标"``, ``"bd09"``/``"BD-09"``/``"百度"``.

    Returns
    -------
    CRSSpec

    Raises
    ------
    InputError
        Unknown text or an EPSG code pyproj does not know; the message lists the allowed forms.

    Examples
    --------
    >>> parse_crs("GCJ-02").kind
    'gcj02'
    >>> parse_crs("4527").label
    'EPSG:4527'
    """
    raw = str(text).strip()
    key = re.sub(r"[\s_\-/]", "", raw).lower()
    if key in _ALIASES:
        kind, code = _ALIASES[key]
        return CRSSpec(kind, pyproj.CRS.from_epsg(code) if code is not None else None)
    match = re.fullmatch(r"(?:epsg:?)?(\d{4,6})", key)
    if match:
        code_num = int(match.group(1))
        try:
            return CRSSpec("epsg", pyproj.CRS.from_epsg(code_num))
        except CRSError:
            raise InputError.single(
                f"未知的 EPSG 代码 (unknown EPSG code) {code_num}",
                value=raw,
                fix=f"use one of: {_ALLOWED_FORMS}",
            ) from None
    raise InputError.single(
        "无法识别的坐标系 (unrecognised coordinate system)",
        value=raw,
        fix=f"use one of: {_ALLOWED_FORMS}",
    )


# --- GeoDataFrames ----------------------------------------------------------------------


def _coerce_spec(source: CRSSpec | str | pyproj.CRS | None) -> CRSSpec | None:
    if source is None or isinstance(source, CRSSpec):
        return source
    if isinstance(source, pyproj.CRS):
        return CRSSpec("epsg", source)
    if not str(source).strip():
        return None
    return parse_crs(source)


def _file_label(file: str | Path | None) -> str | None:
    return None if file is None else str(file)


def _gk_params(crs: pyproj.CRS) -> tuple[float, float] | None:
    """Return (central meridian, false easting) of a Gauss-Krüger CRS, else None.

    Gauss-Krüger here: Transverse Mercator with scale factor 1 on a whole-degree central
    meridian (the Chinese 3- and 6-degree grids); UTM and others are left alone.
    """
    if not crs.is_projected or crs.coordinate_operation is None:
        return None
    op = crs.coordinate_operation
    if "transverse mercator" not in op.method_name.lower():
        return None
    params = {p.name.lower(): float(p.value) for p in op.params}
    cm = params.get("longitude of natural origin")
    fe = params.get("false easting")
    scale = params.get("scale factor at natural origin", 1.0)
    if cm is None or fe is None or scale != 1.0 or not float(cm).is_integer():
        return None
    return cm, fe


def _with_false_easting(crs: pyproj.CRS, false_easting: float) -> pyproj.CRS:
    """Return ``crs`` with another false easting, as an EPSG CRS when one matches."""
    doc = crs.to_json_dict()
    doc.pop("id", None)
    doc.pop("name", None)
    doc["name"] = f"{crs.name} (false easting {false_easting:.0f})"
    for param in doc["conversion"]["parameters"]:
        if param["name"].lower() == "false easting":
            param["value"] = false_easting
    doc["conversion"].pop("id", None)
    new = pyproj.CRS.from_json_dict(doc)
    code = _cgcs2000_gk_lookup(crs, false_easting)
    return pyproj.CRS.from_epsg(code) if code is not None else new


def _cgcs2000_gk_lookup(crs: pyproj.CRS, false_easting: float) -> int | None:
    """EPSG code of the CGCS2000 Gauss-Krüger CRS like ``crs`` with ``false_easting``."""
    params = _gk_params(crs)
    geodetic = crs.geodetic_crs
    if params is None or geodetic is None or geodetic.to_epsg() != 4490:
        return None
    cm = params[0]
    six_degree_cm = (cm + 3) % 6 == 0
    three_degree = "3-degree" in crs.name or not six_degree_cm
    three_degree = three_degree and cm % 3 == 0 and 75 <= cm <= 135
    if three_degree:
        zone = round(cm / 3)
        if false_easting == 500_000:
            return 4534 + zone - 25
        if false_easting == zone * 1_000_000 + 500_000:
            return 4513 + zone - 25
    elif six_degree_cm and 75 <= cm <= 135:
        zone = round((cm + 3) / 6)
        if false_easting == 500_000:
            return 4502 + zone - 13
        if false_easting == zone * 1_000_000 + 500_000:
            return 4491 + zone - 13
    return None


def _cgcs2000_gk_epsg(zone_prefix: int) -> int | None:
    """EPSG code of the CGCS2000 GK CRS whose eastings start with ``zone_prefix``."""
    if 25 <= zone_prefix <= 45:
        return 4513 + zone_prefix - 25
    if 13 <= zone_prefix <= 23:
        return 4491 + zone_prefix - 13
    return None


def _fix_zone_prefix(crs: pyproj.CRS, bounds: FloatArray, file: str | None) -> pyproj.CRS:
    """Match a Gauss-Krüger CRS to the eastings actually in the data.

    Chinese GK data comes both with the zone number prefixed to the easting
    (39 500 000 m at the central meridian of zone 39) and without (500 000 m), and the
    declared CRS often says the other one.  The data decide.
    """
    params = _gk_params(crs)
    if params is None or not np.all(np.isfinite(bounds)):
        return crs
    cm, fe = params
    minx, maxx = float(bounds[0]), float(bounds[2])
    prefixed = fe >= 1_000_000
    if prefixed and minx >= 0 and maxx < 1_000_000:
        new = _with_false_easting(crs, 500_000.0)
        logger.warning(
            "%s: CRS %s expects eastings with a zone prefix but the data has none; using %s",
            file or "data",
            crs.name,
            new.name,
        )
        return new
    prefix = int(minx // 1_000_000) if minx >= 1_000_000 else 0
    if _cgcs2000_gk_epsg(prefix) is None or int(maxx // 1_000_000) != prefix:
        return crs  # no zone prefix in the data (or far outside any zone): nothing to fix
    if not prefixed:
        width = 3 if abs(cm / 3 - prefix) < 1e-9 else 6 if abs((cm + 3) / 6 - prefix) < 1e-9 else 0
        if width == 0:
            raise InputError.single(
                f"东坐标以 {prefix} 开头 (eastings start with zone {prefix}) but the CRS "
                f"{crs.name} has central meridian {cm:g}°E",
                file=file,
                fix=_crs_fix(_cgcs2000_gk_epsg(prefix), file),
            )
        new = _with_false_easting(crs, prefix * 1_000_000 + fe)
        logger.warning(
            "%s: eastings carry zone prefix %d but CRS %s has none; using %s",
            file or "data",
            prefix,
            crs.name,
            new.name,
        )
        return new
    if prefix != int(fe // 1_000_000):
        raise InputError.single(
            f"东坐标以 {prefix} 开头 (eastings start with zone {prefix}) but the CRS "
            f"{crs.name} is zone {int(fe // 1_000_000)}",
            file=file,
            fix=_crs_fix(_cgcs2000_gk_epsg(prefix), file),
        )
    return crs


def _crs_fix(code: int | None, file: str | None) -> str:
    where = f" for {file}" if file else ""
    example = f"EPSG:{code}" if code is not None else "EPSG:…"
    return f'set crs = "{example}" in the region TOML{where}'


def _check_lonlat_bounds(bounds: FloatArray, spec_label: str, file: str | None) -> None:
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    if not np.all(np.isfinite(bounds)):
        return
    if minx >= -180.0 and maxx <= 180.0 and miny >= -90.0 and maxy <= 90.0:
        return
    guess: int | None = None
    hint = ""
    if minx >= 1_000_000:
        guess = _cgcs2000_gk_epsg(int(minx // 1_000_000))
        if guess is not None:
            hint = f" (eastings start with {int(minx // 1_000_000)}: a CGCS2000 GK zone)"
    raise InputError.single(
        f"坐标不是经纬度 (coordinates are not longitude/latitude: x {minx:.6g}..{maxx:.6g}, "
        f"y {miny:.6g}..{maxy:.6g}) but the CRS is {spec_label}{hint}",
        file=file,
        fix=_crs_fix(guess, file),
    )


def to_wgs84(
    gdf: gpd.GeoDataFrame,
    *,
    source: CRSSpec | str | None = None,
    file: str | Path | None = None,
) -> gpd.GeoDataFrame:
    """Return ``gdf`` in WGS84 (EPSG:4326), the storage CRS.

    Parameters
    ----------
    gdf
        Any geometries.
    source
        The CRS the coordinates are really in (the ``crs`` key of the region TOML); it
        overrides ``gdf.crs``.  ``"gcj02"``/``"bd09"`` mean longitude/latitude in those
        offset systems.  ``None`` or ``""``: use ``gdf.crs``.
    file
        The file the data came from, named in error messages.

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame in EPSG:4326 (the input is not modified).

    Raises
    ------
    InputError
        No CRS at all; longitude/latitude declared but the coordinates are metres; a
        Gauss-Krüger zone that contradicts the eastings; a projected CRS combined with
        ``gcj02``/``bd09``.

    Notes
    -----
    CGCS2000 (EPSG:4490) and WGS84 differ by a few centimetres; pyproj's null
    transformation between them is used.  For Gauss-Krüger CRSs the eastings decide
    whether the zone-number prefix is present (see the module notes).
    """
    label = _file_label(file)
    spec = _coerce_spec(source)
    out = gdf.copy()
    if spec is None:
        if gdf.crs is None:
            raise InputError.single(
                "文件没有坐标系信息 (the file has no CRS: no .prj / crs member)",
                file=label,
                fix=_crs_fix(None, label)
                + ' (e.g. "EPSG:4490" for CGCS2000 lon/lat, "gcj02" for 高德 points)',
            )
        spec = CRSSpec("epsg", pyproj.CRS.from_user_input(gdf.crs))
    bounds = np.asarray(out.total_bounds, dtype=np.float64) if len(out) else np.full(4, np.nan)

    if spec.kind in ("gcj02", "bd09"):
        if gdf.crs is not None and not pyproj.CRS.from_user_input(gdf.crs).is_geographic:
            raise InputError.single(
                f"{spec.kind} 只适用于经纬度 (applies to longitude/latitude only) but the file "
                f"is in the projected CRS {gdf.crs.name}",
                file=label,
                fix=f'remove crs = "{spec.kind}" from the region TOML for this file',
            )
        _check_lonlat_bounds(bounds, spec.kind, label)
        convert = gcj02_to_wgs84 if spec.kind == "gcj02" else bd09_to_wgs84

        def _xy(coords: FloatArray) -> FloatArray:
            lon, lat = convert(coords[:, 0], coords[:, 1])
            return np.column_stack([lon, lat])

        geoms = shapely.transform(np.asarray(out.geometry.values), _xy)
        return out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=WGS84))

    assert spec.crs is not None
    crs = spec.crs
    if crs.is_geographic:
        _check_lonlat_bounds(bounds, spec.label, label)
    else:
        crs = _fix_zone_prefix(crs, bounds, label)
    out = out.set_crs(crs, allow_override=True)
    if out.crs is not None and out.crs.equals(WGS84):
        return out
    return out.to_crs(WGS84)


def _lonlat_bounds(obj: object) -> tuple[float, float, float, float]:
    b: tuple[Any, ...]
    if isinstance(obj, gpd.GeoDataFrame | gpd.GeoSeries):
        frame = obj
        if frame.crs is not None and not pyproj.CRS.from_user_input(frame.crs).is_geographic:
            frame = frame.to_crs(WGS84)
        b = tuple(frame.total_bounds)
    elif isinstance(obj, shapely.Geometry):
        b = tuple(obj.bounds)
    elif isinstance(obj, Iterable):
        b = tuple(obj)
        if len(b) == 2:
            b = (b[0], b[1], b[0], b[1])
        if len(b) != 4:
            raise TypeError("bounds must be (minx, miny, maxx, maxy) or (lon, lat)")
    else:
        raise TypeError(f"cannot take bounds of {type(obj).__name__}")
    minx, miny, maxx, maxy = (float(v) for v in b)
    if not all(map(math.isfinite, (minx, miny, maxx, maxy))):
        raise InputError.single("没有坐标 (no coordinates: empty geometry)")
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise InputError.single(
            "坐标不是 WGS84 经纬度 (coordinates are not WGS84 longitude/latitude)",
            value=(minx, miny, maxx, maxy),
            fix="convert with coverage.crs.to_wgs84 first",
        )
    return minx, miny, maxx, maxy


def metric_crs_for(obj: object) -> pyproj.CRS:
    """Choose the metric working CRS for data in WGS84.

    Parameters
    ----------
    obj
        A GeoDataFrame/GeoSeries (projected ones are converted to WGS84 first), a shapely
        geometry, bounds ``(minx, miny, maxx, maxy)`` or a point ``(lon, lat)``.

    Returns
    -------
    pyproj.CRS
        Inside China (lon 73–136, lat 3–54): the CGCS2000 3-degree Gauss-Krüger zone with
        the zone prefix, EPSG:4513 + (zone − 25) where zone = round(lon / 3) of the centre of
        the bounding box (zone 39, EPSG:4527, for lon 117.3).  Elsewhere: WGS84 UTM
        (EPSG:32600 + zone north, 32700 + zone south).

    Examples
    --------
    >>> metric_crs_for((117.3, 35.6)).to_epsg()
    4527
    """
    minx, miny, maxx, maxy = _lonlat_bounds(obj)
    lon = (minx + maxx) / 2.0
    lat = (miny + maxy) / 2.0
    if _CHINA_LON[0] <= lon <= _CHINA_LON[1] and _CHINA_LAT[0] <= lat <= _CHINA_LAT[1]:
        zone = min(max(round(lon / 3.0), 25), 45)
        return pyproj.CRS.from_epsg(4513 + zone - 25)
    utm_zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + utm_zone)


def assert_metric(crs: pyproj.CRS | str | int | None) -> pyproj.CRS:
    """Return ``crs`` as a pyproj CRS if it is projected in metres, else raise.

    Raises
    ------
    InputError
        ``crs`` is missing, geographic (degrees) or not in metres.
    """
    if crs is None:
        raise InputError.single(
            "缺少坐标系 (no CRS): distances need a metric CRS",
            fix='leave metric_crs = "auto" in the region TOML or give a projected EPSG code',
        )
    parsed = pyproj.CRS.from_user_input(crs)
    units = {axis.unit_name.lower() for axis in parsed.axis_info}
    if parsed.is_geographic or not units <= {"metre", "meter"}:
        raise InputError.single(
            f"距离不能用度计算 (distances cannot be computed in {parsed.name}: units "
            f"{', '.join(sorted(units)) or 'unknown'})",
            value=str(parsed.to_epsg() or parsed.name),
            fix='use metric_crs = "auto" (CGCS2000 Gauss-Krüger / UTM) or a projected EPSG code '
            "in metres",
        )
    return parsed


class _HasMetricCRS(Protocol):
    @property
    def metric_crs(self) -> pyproj.CRS: ...


def to_metric(
    gdf: gpd.GeoDataFrame,
    crs: pyproj.CRS | str | int | _HasMetricCRS | None = None,
) -> gpd.GeoDataFrame:
    """Project ``gdf`` to a metric CRS for distances and areas.

    Parameters
    ----------
    gdf
        Geometries with a CRS (normally WGS84).
    crs
        The target: a CRS, an EPSG string/code, an object with ``metric_crs`` (a Region),
        or ``None`` for :func:`metric_crs_for` of ``gdf``.

    Raises
    ------
    InputError
        ``gdf`` has no CRS or the target is not metric.
    """
    if gdf.crs is None:
        raise InputError.single(
            "数据没有坐标系 (data has no CRS)", fix="convert with coverage.crs.to_wgs84 first"
        )
    if crs is None:
        target = metric_crs_for(gdf)
    elif hasattr(crs, "metric_crs"):
        target = crs.metric_crs
    else:
        target = crs  # type: ignore[assignment]
    return gdf.to_crs(assert_metric(target))


def project_points(
    lon: ArrayLike, lat: ArrayLike, crs: pyproj.CRS | str | int
) -> tuple[FloatArray, FloatArray]:
    """Project WGS84 longitude/latitude to ``crs`` (x = easting, y = northing)."""
    transformer = pyproj.Transformer.from_crs(WGS84, crs, always_xy=True)
    x, y = transformer.transform(
        np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    )
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def looks_swapped(
    lon: ArrayLike,
    lat: ArrayLike,
    bounds: tuple[float, float, float, float] | ArrayLike,
) -> NDArray[np.bool_]:
    """Return True where (lon, lat) looks like (lat, lon) entered the wrong way round.

    Parameters
    ----------
    lon, lat
        The values as given.
    bounds
        The region's (minx, miny, maxx, maxy) in longitude/latitude (or rows of them,
        e.g. ``GeoDataFrame.bounds``: their union is used).

    Returns
    -------
    numpy.ndarray of bool
        True where the swapped pair falls inside ``bounds`` and the given pair does not.
    """
    x, y = as_arrays(lon, lat)
    box = np.asarray(bounds, dtype=np.float64).reshape(-1, 4)  # also GeoDataFrame.bounds
    minx, miny = float(box[:, 0].min()), float(box[:, 1].min())
    maxx, maxy = float(box[:, 2].max()), float(box[:, 3].max())

    def inside(px: FloatArray, py: FloatArray) -> NDArray[np.bool_]:
        return np.asarray((px >= minx) & (px <= maxx) & (py >= miny) & (py <= maxy))

    return inside(y, x) & ~inside(x, y)
