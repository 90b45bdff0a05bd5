"""Boundaries that do not tile: gaps and overlaps measured, and points placed anyway.

Township polygons and a county outline from two sources never coincide exactly.  What they
leave uncovered, cover twice, or draw beyond the outline is measured (area, share of the
county, a point inside the largest piece) and reported as a warning up to
``[region] tiling_tolerance`` (default 2 % of the county's area), as an error above it.
Pieces under one square metre are digitising noise and ignored.

The topology (intersections, differences) is computed in the polygons' own lon/lat
coordinates, where shared boundaries were drawn to coincide; only the resulting areas and
distances are measured in the metric CRS.  (Projecting first would bend a two-vertex edge
away from the same edge drawn with three vertices and report a sliver that is not there.)

A point is placed in the township whose polygon holds it; in an overlap, in the township its
own code names (first 9 digits), else the one that holds most of its code's siblings, else
the one that covers it with the larger margin; in a gap or just outside the county (within
1 km), in the nearest township, with the distance.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from coverage.problems import Problems, Severity
from coverage.region import DIAGNOSTIC_COLUMNS

__all__ = ["EDGE_M", "NOISE_M2", "Assignment", "Tiling", "assign_points", "measure_tiling",
           "township_code_key"]

#: Pieces smaller than this (m²) are digitising noise.
NOISE_M2 = 1.0
#: A point outside the county outline by at most this many metres goes to the nearest
#: township with a warning; farther, it is an error.
EDGE_M = 1000.0


def township_code_key(code: object) -> str:
    """The 9-digit form of a township code (``370831001000`` → ``370831001``)."""
    text = "" if code is None or pd.isna(code) else str(code)
    return text[:9] if len(text) == 12 and text.endswith("000") else text


@dataclass(frozen=True)
class Tiling:
    """The measured pieces (frames as in :class:`~coverage.region.LoadDiagnostics`)."""

    county_area_km2: float
    gaps: gpd.GeoDataFrame
    overlaps: gpd.GeoDataFrame
    beyond: gpd.GeoDataFrame


def _areas_m2(geoms: list[shapely.Geometry], metric: pyproj.CRS) -> np.ndarray:
    if not geoms:
        return np.zeros(0)
    return gpd.GeoSeries(geoms, crs="EPSG:4326").to_crs(metric).area.to_numpy()


def _polygonal(geom: shapely.Geometry) -> list[shapely.Geometry]:
    return [p for p in shapely.get_parts(geom)
            if p.geom_type in ("Polygon", "MultiPolygon") and not p.is_empty]


def _pieces(records: list[dict[str, object]], geoms: list[shapely.Geometry], name: str
            ) -> gpd.GeoDataFrame:
    cols = DIAGNOSTIC_COLUMNS[name]
    frame = pd.DataFrame(records, columns=list(cols))
    for c in cols:
        frame[c] = frame[c].astype("float64" if c in ("area_km2", "share", "lon", "lat")
                                   else "string")
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"),
                           crs="EPSG:4326")
    return gdf.sort_values("area_km2", ascending=False, ignore_index=True)


def _record(geom: shapely.Geometry, area: float, county_area: float) -> dict[str, object]:
    p = shapely.point_on_surface(geom)
    return {"area_km2": area / 1e6, "share": area / county_area, "lon": p.x, "lat": p.y}


def _suggest(share: float) -> float:
    """A tolerance that accepts ``share``: the half percent above it (with some room)."""
    return math.ceil(share * 200 + 0.2) / 200


def _area(km2: float) -> str:
    return f"{km2:.3f} km²" if km2 >= 0.01 else f"{km2 * 1e6:,.0f} m²"


def _judge(problems: Problems, pieces: gpd.GeoDataFrame, *, what: str, county_area: float,
           tolerance: float, file: str | None, code: str, fix_warning: str, fix_error: str,
           label: Callable[[pd.Series], str]) -> None:
    if pieces.empty:
        return
    total = float(pieces["area_km2"].sum())
    share = total * 1e6 / county_area
    top = pieces.iloc[0]
    where = f"{top['lon']:.4f}, {top['lat']:.4f}"
    largest = ([f"{label(r)} {_area(r['area_km2'])} near {r['lon']:.4f}, {r['lat']:.4f}"
                for _, r in pieces.head(3).iterrows()])
    message = (f"{what} {_area(total)} ({share:.2%} of the county) in {len(pieces)} "
               f"piece(s); the largest: {'; '.join(largest)}")
    severity: Severity = "warning"
    fix = fix_warning
    if share > tolerance:
        severity = "error"
        message += f" — more than the tolerance of {tolerance:.1%}"
        fix = (f"{fix_error}; or accept it with [region] tiling_tolerance = "
               f"{_suggest(share):g} in the region TOML")
    problems.add(message, file=file, column="geometry", value=where, fix=fix,
                 severity=severity, code=code)


def measure_tiling(county: shapely.Geometry, towns: gpd.GeoDataFrame, *, metric: pyproj.CRS,
                   tolerance: float, file: str | None, problems: Problems) -> Tiling:
    """Measure gaps, overlaps and pieces beyond the outline; report them.

    Parameters
    ----------
    county
        The county outline (EPSG:4326).
    towns
        Township polygons (``code``, ``name``, geometry in EPSG:4326).
    metric
        The metric CRS areas are measured in.
    tolerance
        ``[region] tiling_tolerance``: the share of the county area above which a kind of
        piece (gaps, overlaps, beyond the outline) is an error.
    file
        The township file, named in the problems.
    problems
        Receives one warning (or error) per kind of piece.
    """
    county_area = float(_areas_m2([county], metric)[0])
    geoms = towns.geometry.to_numpy()
    codes = towns["code"].astype(str).to_numpy()
    names = dict(zip(codes, towns["name"].astype(str), strict=True))

    rec: list[dict[str, object]] = []
    pieces: list[shapely.Geometry] = []
    left, right = towns.sindex.query(geoms, predicate="intersects")
    for i, j in zip(left, right, strict=True):
        if i >= j:
            continue
        parts = _polygonal(shapely.intersection(geoms[i], geoms[j]))
        for part, area in zip(parts, _areas_m2(parts, metric), strict=True):
            if area >= NOISE_M2:
                rec.append({"township_a": codes[i], "township_b": codes[j],
                            **_record(part, area, county_area)})
                pieces.append(part)
    overlaps = _pieces(rec, pieces, "overlaps")

    union = shapely.union_all(geoms)
    parts = _polygonal(shapely.difference(county, union))
    areas = _areas_m2(parts, metric)
    keep = [k for k, a in enumerate(areas) if a >= NOISE_M2]
    gaps = _pieces([_record(parts[k], areas[k], county_area) for k in keep],
                   [parts[k] for k in keep], "gaps")

    rec, pieces = [], []
    for code, geom in zip(codes, geoms, strict=True):
        parts = _polygonal(shapely.difference(geom, county))
        for part, area in zip(parts, _areas_m2(parts, metric), strict=True):
            if area >= NOISE_M2:
                rec.append({"township": code, **_record(part, area, county_area)})
                pieces.append(part)
    beyond = _pieces(rec, pieces, "beyond")

    _judge(problems, gaps, what="township polygons leave uncovered", county_area=county_area,
           tolerance=tolerance, file=file, code="tiling_gap", label=lambda r: "gap",
           fix_warning="points in a gap are given to the nearest township (each reported); to "
                       "silence this, make the township polygons cover the county outline",
           fix_error="make the township polygons cover the county outline")
    _judge(problems, overlaps, what="township polygons overlap on", county_area=county_area,
           tolerance=tolerance, file=file, code="tiling_overlap",
           label=lambda r: f"{names[r['township_a']]}/{names[r['township_b']]}",
           fix_warning="a point in an overlap goes to the township its code names, else to "
                       "the one holding most of its code's siblings (each reported); to "
                       "silence this, fix the shared boundaries",
           fix_error="fix the shared boundaries so each place lies in one township")
    _judge(problems, beyond, what="township polygons extend beyond the county outline by",
           county_area=county_area, tolerance=tolerance, file=file, code="tiling_beyond",
           label=lambda r: names[r["township"]],
           fix_warning="points there are counted in their township and reported as outside "
                       "the county; clip the township polygons to the outline to silence this",
           fix_error="clip the township polygons to the county outline (or check that both "
                     "files are for the same county and CRS)")
    return Tiling(county_area / 1e6, gaps, overlaps, beyond)


@dataclass(frozen=True)
class Assignment:
    """The township of every point, and how it was found.

    Attributes
    ----------
    town
        Index into the township frame, -1 where none (outside, or not located).
    rule
        ``polygon``, ``overlap``, ``nearest`` or None (not placed).
    distance_m
        For ``nearest``: the distance to that township; else 0 (NaN when not placed).
    outside_m
        Distance to the county outline (0 inside; NaN for points not located).
    candidates
        Per point, the townships that were possible (indices), for overlaps and gaps.
    why
        For ``overlap``: ``code`` (its own code names the township), ``siblings`` (most of
        its code's siblings lie there) or ``margin`` (it covers the point with the larger
        margin); else None.
    """

    town: np.ndarray
    rule: np.ndarray
    distance_m: np.ndarray
    outside_m: np.ndarray
    candidates: list[tuple[int, ...]]
    why: np.ndarray


def assign_points(points: np.ndarray, located: np.ndarray, prefix: np.ndarray,
                  towns: gpd.GeoDataFrame, county: shapely.Geometry, *, metric: pyproj.CRS
                  ) -> Assignment:
    """Place every located point in a township (see the module notes for the rules).

    Parameters
    ----------
    points
        Shapely points in EPSG:4326 (any geometry where not located).
    located
        Which points to place.
    prefix
        The first 9 digits of each point's code when it is a 12-digit division code, else "".
    towns
        Township polygons (``code``; geometries in EPSG:4326; empty ones are skipped).
    county
        The county outline.
    metric
        The metric CRS distances are measured in.
    """
    n = len(points)
    town = np.full(n, -1, dtype=int)
    rule = np.full(n, None, dtype=object)
    dist = np.full(n, np.nan)
    outside = np.full(n, np.nan)
    cands: list[tuple[int, ...]] = [() for _ in range(n)]
    why = np.full(n, None, dtype=object)
    idx = np.flatnonzero(located)
    if not len(idx):
        return Assignment(town, rule, dist, outside, cands, why)
    pts = points[idx]
    keys = np.array([township_code_key(c) for c in towns["code"]], dtype=object)
    to_m = pyproj.Transformer.from_crs("EPSG:4326", metric, always_xy=True)
    xy = shapely.get_coordinates(pts)
    mx, my = to_m.transform(xy[:, 0], xy[:, 1])
    pts_m = shapely.points(mx, my)
    county_m = shapely.transform(county, lambda c: np.column_stack(to_m.transform(c[:, 0],
                                                                                  c[:, 1])))
    shapely.prepare(county)
    inside = shapely.contains_xy(county, xy[:, 0], xy[:, 1])
    outside[idx] = np.where(inside, 0.0, shapely.distance(county_m, pts_m))

    found: list[list[int]] = [[] for _ in idx]
    # the polygons query a tree of the points: each polygon is prepared once (a tree of the
    # polygons would test every point against unprepared, many-vertex polygons)
    ti, pi = shapely.STRtree(pts).query(towns.geometry.to_numpy(), predicate="intersects")
    for t, p in sorted(zip(ti.tolist(), pi.tolist(), strict=True)):
        found[p].append(int(t))
    towns_m = towns.geometry.to_crs(metric).to_numpy()
    siblings: dict[str, Counter[int]] = {}
    for k, f in enumerate(found):
        if len(f) == 1:
            town[idx[k]], rule[idx[k]], dist[idx[k]] = f[0], "polygon", 0.0
            if prefix[idx[k]]:
                siblings.setdefault(prefix[idx[k]], Counter())[f[0]] += 1
    for k, f in enumerate(found):
        if len(f) < 2:
            continue
        i = idx[k]
        interior = [t for t in f if shapely.contains(towns.geometry.iloc[t], pts[k])]
        if len(interior) == 1:
            town[i], rule[i], dist[i] = interior[0], "polygon", 0.0
            continue
        options = interior or f
        own = [t for t in options if prefix[i] and keys[t] == prefix[i]]
        counts = siblings.get(prefix[i], Counter()) if prefix[i] else Counter()
        best = max((counts[t] for t in options), default=0)
        leaders = [t for t in options if counts[t] == best]
        if own:
            chosen, why[i] = own[0], "code"
        elif best > 0 and len(leaders) == 1:
            chosen, why[i] = leaders[0], "siblings"
        else:
            margin = [shapely.distance(shapely.boundary(towns_m[t]), pts_m[k]) for t in options]
            chosen, why[i] = options[int(np.argmax(margin))], "margin"
        town[i], dist[i] = chosen, 0.0
        rule[i] = "overlap" if len(interior) >= 2 else "polygon"
        cands[i] = tuple(options)
    empty = np.array([g is None or g.is_empty for g in towns_m], dtype=bool)
    usable = np.flatnonzero(~empty)
    for k, f in enumerate(found):
        i = idx[k]
        if f or outside[i] > EDGE_M or not len(usable):
            continue
        d = shapely.distance(towns_m[usable], pts_m[k])
        order = np.argsort(d)
        town[i], rule[i], dist[i] = int(usable[order[0]]), "nearest", float(d[order[0]])
        cands[i] = tuple(int(usable[o]) for o in order[:3])
    return Assignment(town, rule, dist, outside, cands, why)
