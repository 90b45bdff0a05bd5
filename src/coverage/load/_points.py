"""A layer's locations: lon/lat cells, WKT or vector geometries into WGS84 points.

A row without coordinates is 未定位, not an error: it keeps an empty geometry and counts in
the completion rates.  What is wrong is reported per cell with the value as typed — half a
coordinate, text that is not a coordinate, a swapped pair, a point outside China — except
Gauss-Krüger metres typed into lon/lat columns, which are one error naming the CRS to set.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage import coordinates
from coverage import crs as crs_mod
from coverage._clean import is_missing_token
from coverage.config import LayerConfig
from coverage.load._frame import LayerFrame, LoadContext
from coverage.problems import InputError, Problems

__all__ = ["parse_points"]

_CHINA = (73.0, 3.0, 136.0, 54.0)
_DEGREE_FIX = "use decimal degrees (117.2583) or degrees-minutes-seconds (117°15′30″)"


def parse_points(lc: LayerConfig, fr: LayerFrame, ctx: LoadContext, problems: Problems
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """WGS84 points per row (empty where 未定位 or wrong), located and failed masks."""
    n = len(fr)
    empty = shapely.Point()
    geoms = np.full(n, empty, dtype=object)
    failed = np.zeros(n, dtype=bool)
    if fr.geometry is not None:
        return _vector_points(fr, problems, geoms)
    try:
        spec = crs_mod.parse_crs(lc.crs)
    except InputError as exc:
        for p in exc.problems:
            problems.add(p.message, file=fr.file, column=f"layers.{lc.kind}.crs",
                         value=p.value, fix=p.fix, code="bad_crs")
        return geoms, np.zeros(n, dtype=bool), np.ones(n, dtype=bool)
    if "wkt" in fr.data:
        series, errs = coordinates.parse_wkt_column(fr.data["wkt"])
        blank = fr.data["wkt"].astype(str) == ""
        for i, msg in errs:
            if not blank.iloc[int(i)]:
                fr.report(problems, "wkt", int(i), f"cannot read the geometry: {msg}",
                          "use WKT such as POINT (117.25 35.65)", code="bad_wkt")
                failed[int(i)] = True
        areas = [i for i, g in enumerate(series) if g is not None and g.geom_type != "Point"]
        if areas:
            problems.add(
                f"{len(areas)} WKT cells are polygons or lines, not points; a point inside "
                "each is used for distances and maps",
                file=fr.file, sheet=fr.sheet, column=fr.sources["wkt"].header,
                fix="give the rows point locations (e.g. the village committee) if you have "
                    "them", severity="warning", code="not_points")
            series = series.copy()
            for i in areas:
                series.iloc[i] = series.iloc[i].representative_point()
        xs = np.array([g.x if g is not None else np.nan for g in series])
        ys = np.array([g.y if g is not None else np.nan for g in series])
    elif "lon" in fr.data and "lat" in fr.data:
        xs, ys, failed = _lonlat(lc, fr, ctx, spec, problems)
    else:
        problems.add("no coordinates: map lon and lat (经度, 纬度) or wkt", file=fr.file,
                     sheet=fr.sheet, column=f"layers.{lc.kind}.columns", code="no_coordinates",
                     fix='add lon = "经度" and lat = "纬度" to the columns table')
        return geoms, np.zeros(n, dtype=bool), np.ones(n, dtype=bool)
    ok = np.isfinite(xs) & np.isfinite(ys) & ~failed
    if ok.any():
        pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xs[ok], ys[ok]),
                               crs=spec.crs if spec.kind == "epsg" else None)
        try:
            wgs = crs_mod.to_wgs84(pts, source=spec, file=fr.file).geometry.to_numpy()
        except InputError as exc:
            problems.extend(exc.problems)
            return geoms, np.zeros(n, dtype=bool), failed | ok
        geoms[ok] = wgs
        if ctx.chinese:
            lon, lat = shapely.get_x(wgs), shapely.get_y(wgs)
            out = (lon < _CHINA[0]) | (lon > _CHINA[2]) | (lat < _CHINA[1]) | (lat > _CHINA[3])
            for k, i in enumerate(np.flatnonzero(ok)):
                if out[k]:
                    fr.report(problems, "lon" if "lon" in fr.data else "wkt", int(i),
                              f"the point lies outside China ({lon[k]:.4f}, {lat[k]:.4f}) but "
                              f"the region code {ctx.region_code} is Chinese",
                              "check the sign and order of the numbers and the layer's crs",
                              value=_pair(fr, int(i)), code="outside_china")
                    failed[i] = True
                    geoms[i] = empty
    located = ok & ~failed
    return geoms, located, failed


def _pair(fr: LayerFrame, i: int) -> str:
    if "lon" in fr.data:
        return f"{fr.typed('lon', i)}, {fr.typed('lat', i)}"
    return fr.typed("wkt", i)


def _vector_points(fr: LayerFrame, problems: Problems, geoms: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    assert fr.geometry is not None
    source = fr.geometry.to_numpy()
    n_areas = 0
    for i, g in enumerate(source):
        if g is None or g.is_empty:
            continue
        if g.geom_type == "Point":
            geoms[i] = g
        else:
            geoms[i] = g.representative_point()
            n_areas += 1
    if n_areas:
        problems.add(
            f"{n_areas} features are polygons or lines, not points; a point inside each "
            "is used for distances and maps",
            file=fr.file, column="geometry", severity="warning", code="not_points",
            fix="give the layer point locations (e.g. the village committee) if you have them",
        )
    located = np.array([not g.is_empty for g in geoms], dtype=bool)
    return geoms, located, np.zeros(len(geoms), dtype=bool)


def _lonlat(lc: LayerConfig, fr: LayerFrame, ctx: LoadContext, spec: crs_mod.CRSSpec,
            problems: Problems) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Numbers of the lon and lat columns (NaN where empty/wrong) and the failed mask."""
    n = len(fr)
    failed = np.zeros(n, dtype=bool)
    texts = {f: fr.data[f].astype(str).copy() for f in ("lon", "lat")}
    for f, col in texts.items():
        token = np.flatnonzero([v != "" and is_missing_token(v) for v in col])
        if len(token):
            fr.report_column(
                problems, f, token,
                f"{len(token)} 个坐标写为 {fr.typed(f, int(token[0]))!r}，按空值读取 "
                f"({len(token)} cells hold a missing-value text such as NaN or null; they are "
                "read as empty: 未定位)",
                "leave the cell empty, or fill in the coordinate", code="missing_token",
                example=fr.typed(f, int(token[0])))
            col.iloc[token] = ""
    blank_x, blank_y = (texts["lon"] == "").to_numpy(), (texts["lat"] == "").to_numpy()
    half = [("lon", int(k)) for k in np.flatnonzero(blank_x & ~blank_y)] + \
           [("lat", int(k)) for k in np.flatnonzero(blank_y & ~blank_x)]
    for f, k in half:
        fr.report(problems, f, k, "empty coordinate",
                  f"fill in {fr.sources[f].header} (decimal degrees such as 117.2583 or "
                  "117°15′30″), or empty both cells if the place is not located",
                  code="empty_coordinate")
        failed[k] = True
    degrees = spec.kind != "epsg" or bool(spec.crs and spec.crs.is_geographic)
    vals = {}
    errs = {}
    for f in ("lon", "lat"):
        v, e = coordinates.parse_coordinates(texts[f], degrees=degrees)
        vals[f], errs[f] = np.asarray(v, dtype=float), dict(e)
    filled = ~blank_x & ~blank_y & ~failed
    if degrees:
        gk = _gauss_kruger(lc, fr, ctx, texts, filled, problems)
        if gk is not None:  # one error names the CRS; no row-by-row noise
            return np.full(n, np.nan), np.full(n, np.nan), failed | filled
    for f in ("lon", "lat"):
        for label, msg in errs[f].items():
            if not filled[int(label)]:
                continue
            fr.report(problems, f, int(label), f"not a coordinate: {msg}", _DEGREE_FIX
                      if degrees else "enter the coordinate in metres as a plain number",
                      code="not_a_coordinate")
            failed[int(label)] = True
    xs, ys = vals["lon"], vals["lat"]
    if degrees:
        ok = filled & ~failed & np.isfinite(xs) & np.isfinite(ys)
        swapped = np.zeros(n, dtype=bool)
        if ok.any():
            swapped[ok] = crs_mod.looks_swapped(xs[ok], ys[ok], ctx.county.bounds)
        for i in map(int, np.flatnonzero(swapped)):
            fr.report(problems, "lon", i, "longitude and latitude look swapped (the swapped "
                      "pair falls inside the region)",
                      f"swap the values of '{fr.sources['lon'].header}' and "
                      f"'{fr.sources['lat'].header}'", value=_pair(fr, i), code="swapped")
        failed |= swapped
        bad_lat = ok & ~swapped & (np.abs(ys) > 90.0)
        for i in map(int, np.flatnonzero(bad_lat)):
            fr.report(problems, "lat", i, "out of range [-90, 90]",
                      "check the number (degrees, not metres?)", code="not_a_coordinate")
        failed |= bad_lat
    xs = np.where(failed, np.nan, xs)
    ys = np.where(failed, np.nan, ys)
    return xs, ys, failed


def _gauss_kruger(lc: LayerConfig, fr: LayerFrame, ctx: LoadContext,
                  texts: dict[str, pd.Series], filled: np.ndarray, problems: Problems
                  ) -> np.ndarray | None:
    """One error when the lon/lat columns hold Gauss-Krüger metres; the rows it covers."""
    nums = {f: pd.to_numeric(texts[f], errors="coerce").to_numpy(dtype=float)
            for f in ("lon", "lat")}
    metres = filled & np.isfinite(nums["lon"]) & np.isfinite(nums["lat"]) & (
        (np.abs(nums["lon"]) > 180) | (np.abs(nums["lat"]) > 180))
    if not metres.any():
        return None
    guess = coordinates.guess_gauss_kruger(nums["lon"][metres], nums["lat"][metres],
                                           lon_hint=ctx.centre_lon)
    if guess is None:
        return None
    first = int(np.flatnonzero(metres)[0])
    n_rows = int(metres.sum())
    swap = (f"; the eastings are in '{fr.sources['lat'].header}' and the northings in "
            f"'{fr.sources['lon'].header}': swap the columns" if guess.swapped else "")
    fr.report(
        problems, "lon", first,
        f"{n_rows} 行坐标是高斯-克吕格投影米制坐标，不是经纬度 ({n_rows} rows of "
        f"'{fr.sources['lon'].header}'/'{fr.sources['lat'].header}' hold Gauss-Krüger metres, "
        f"not degrees: {guess.describe()}{swap})",
        f'set crs = "EPSG:{guess.epsg}" in [layers.{lc.kind}] of the region TOML'
        + ("" if guess.prefixed else " (if the data use 6-degree zones, the CRS differs: ask "
           "the surveyor)"),
        value=_pair(fr, first), code="gauss_kruger_as_degrees")
    return metres
