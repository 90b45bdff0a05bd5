"""Geometry for the demo county: outline, river, exact admin tilings, local plane.

All construction happens in a local planar frame in kilometres (x east, y north) centred on
the county; :func:`to_lonlat` maps it affinely to WGS84 longitude/latitude.  The admin tiling
is built from *one* noded line network (county outline + village Voronoi ridges), snap-rounded
to a 1e-6 degree grid and polygonised, so that every shared edge is the same sequence of
vertices on both sides and the tiling is exact after writing the coordinates with six
decimals.  Townships are unions of their villages.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from shapely.geometry import LineString, MultiPoint, Polygon
from shapely.geometry.base import BaseGeometry

logger = logging.getLogger(__name__)

#: Centre of the local frame (WGS84).  Rural plain/hill country in the North China plain.
LON0 = 117.36
LAT0 = 35.53
#: Kilometres per degree at LAT0 (equirectangular; good to < 0.1 % over the county).
KM_PER_DEG_LAT = 110.95
KM_PER_DEG_LON = 111.32 * float(np.cos(np.radians(LAT0)))
#: Coordinate grid of every written geometry (degrees): 1e-6 deg ≈ 0.1 m.
GRID_DEG = 1e-6

FloatArray = NDArray[np.float64]


def to_lonlat(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Map local kilometres to (lon, lat) degrees."""
    return LON0 + np.asarray(x) / KM_PER_DEG_LON, LAT0 + np.asarray(y) / KM_PER_DEG_LAT


def to_local(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Map (lon, lat) degrees to local kilometres."""
    return (np.asarray(lon) - LON0) * KM_PER_DEG_LON, (np.asarray(lat) - LAT0) * KM_PER_DEG_LAT


def geom_to_lonlat(geom: BaseGeometry) -> BaseGeometry:
    """Transform a local-km geometry to lon/lat degrees."""

    def _f(xy: FloatArray) -> FloatArray:
        lon, lat = to_lonlat(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geom, _f)


def geom_to_local(geom: BaseGeometry) -> BaseGeometry:
    """Transform a lon/lat geometry to local kilometres."""

    def _f(xy: FloatArray) -> FloatArray:
        x, y = to_local(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, _f)


def county_outline(rng: np.random.Generator, *, area_km2: float = 1100.0) -> Polygon:
    """An irregular, star-shaped county outline of about ``area_km2`` (local km).

    A slightly east-west elongated ellipse modulated by random low-order harmonics (the broad
    shape) and a damped random walk (the jagged detail of a boundary following field edges
    and streams).
    """
    n = 900
    theta = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    a, b = 1.22, 1.0
    base = 1.0 / np.sqrt((np.cos(theta) / a) ** 2 + (np.sin(theta) / b) ** 2)
    log_r = np.zeros(n)
    for k in range(2, 16):
        amp = 0.16 / k**1.15 * rng.normal()
        log_r += amp * np.cos(k * theta + rng.uniform(0.0, 2.0 * np.pi))
    walk = np.cumsum(rng.normal(0.0, 0.012, n))
    walk -= np.linspace(0.0, walk[-1], n)  # close the loop
    kernel = np.ones(5) / 5.0
    walk = np.convolve(np.concatenate([walk[-2:], walk, walk[:2]]), kernel, mode="valid")
    r = base * np.exp(log_r + walk - walk.mean())
    poly = Polygon(np.column_stack([r * np.cos(theta), r * np.sin(theta)]))
    scale = float(np.sqrt(area_km2 / poly.area))
    poly = Polygon(np.column_stack([scale * r * np.cos(theta), scale * r * np.sin(theta)]))
    if not poly.is_valid:  # pragma: no cover - star-shaped by construction
        raise RuntimeError("county outline is not a valid polygon")
    return poly


def river_line(county: Polygon, rng: np.random.Generator, *, y0: float) -> LineString:
    """A meandering west-east river (local km) crossing the whole county near ``y = y0``."""
    minx, _, maxx, _ = county.bounds
    x = np.linspace(minx - 3.0, maxx + 3.0, 400)
    y = np.full_like(x, y0)
    for k, amp in ((1, 2.2), (2, 1.2), (5, 0.5), (11, 0.25)):
        y += amp * np.sin(k * np.pi * (x - minx) / (maxx - minx) + rng.uniform(0, 2 * np.pi))
    y += 0.35 * (x - x.mean()) / (maxx - minx) * 4.0
    return LineString(np.column_stack([x, y]))


def poisson_points(
    poly: BaseGeometry,
    n: int,
    rng: np.random.Generator,
    *,
    margin: float = 0.25,
    existing: FloatArray | None = None,
) -> FloatArray:
    """``n`` well-spread random points inside ``poly`` (dart throwing with a shrinking radius).

    Parameters
    ----------
    poly
        Polygon in local km.
    n
        Number of points wanted.
    rng
        Random generator.
    margin
        Minimum distance (km) from the polygon boundary.
    existing
        Points already placed (kept at distance from new points).

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` array of local km coordinates.
    """
    inner = poly.buffer(-margin) if margin > 0 else poly
    if inner.is_empty:
        inner = poly
    minx, miny, maxx, maxy = inner.bounds
    cand = rng.uniform((minx, miny), (maxx, maxy), size=(max(60 * n, 400), 2))
    cand = cand[shapely.contains_xy(inner, cand[:, 0], cand[:, 1])]
    radius = 0.95 * float(np.sqrt(inner.area / max(n, 1)))
    fixed = np.empty((0, 2)) if existing is None else np.asarray(existing, dtype=float)
    while True:
        chosen: list[int] = []
        pts = list(fixed)
        for i in range(len(cand)):
            if len(chosen) == n:
                break
            p = cand[i]
            if pts:
                d = np.min(np.hypot(*(np.asarray(pts) - p).T))
                if d < radius:
                    continue
            chosen.append(i)
            pts.append(p)
        if len(chosen) == n:
            return cand[chosen]
        radius *= 0.9


def lloyd(
    seeds: FloatArray, poly: Polygon, n_iter: int, *, fixed: int = 0
) -> FloatArray:
    """Lloyd relaxation of ``seeds`` inside ``poly``; the first ``fixed`` seeds do not move."""
    pts = seeds.copy()
    for _ in range(n_iter):
        cells = voronoi_cells(pts, poly)
        for i in range(fixed, len(pts)):
            c = cells[i].centroid
            pts[i] = (c.x, c.y)
    return pts


def voronoi_cells(points: FloatArray, clip: BaseGeometry) -> list[BaseGeometry]:
    """Voronoi cells of ``points`` clipped to ``clip``, in the order of ``points``."""
    mp = MultiPoint([tuple(p) for p in points])
    minx, miny, maxx, maxy = clip.bounds
    env = shapely.box(minx - 50, miny - 50, maxx + 50, maxy + 50)
    cells = list(shapely.voronoi_polygons(mp, extend_to=env, ordered=True).geoms)
    return [shapely.intersection(c, clip) for c in cells]


def voronoi_ridges(points: FloatArray, clip: BaseGeometry) -> BaseGeometry:
    """The Voronoi ridges of ``points`` (cell boundaries) intersected with ``clip``."""
    if len(points) < 2:
        return shapely.LineString()
    mp = MultiPoint([tuple(p) for p in points])
    minx, miny, maxx, maxy = clip.bounds
    env = shapely.box(minx - 50, miny - 50, maxx + 50, maxy + 50)
    cells = shapely.get_parts(shapely.voronoi_polygons(mp, extend_to=env))
    ridges = shapely.union_all(shapely.boundary(cells))
    return shapely.intersection(ridges, clip)


@dataclass(frozen=True)
class Tiling:
    """The exact admin tiling in lon/lat (snapped to :data:`GRID_DEG`)."""

    county: Polygon
    townships: list[Polygon]
    villages: list[Polygon]


def _single_polygon(geom: BaseGeometry, what: str) -> Polygon:
    if isinstance(geom, Polygon):
        return shapely.geometry.polygon.orient(geom, 1.0)
    parts = sorted(shapely.get_parts(geom), key=lambda g: -g.area)
    small = sum(p.area for p in parts[1:])
    raise RuntimeError(
        f"{what} is not a single polygon ({len(parts)} parts, {small:.3g} deg² extra)"
    )


def exact_tiling(
    county_km: Polygon,
    village_pts: FloatArray,
    village_township: NDArray[np.int64],
) -> Tiling:
    """Tile the county by villages and the villages into townships, exactly.

    Village polygons are the Voronoi cells of the village points clipped to the county;
    a township is the union of its villages, so township boundaries follow village
    boundaries (as they do in reality) instead of running as straight lines.

    Parameters
    ----------
    county_km
        County outline (local km).
    village_pts
        ``(V, 2)`` village/community points (local km).
    village_township
        Township index of each village (townships must come out contiguous).

    Returns
    -------
    Tiling
        County, township and village polygons in lon/lat, snapped to :data:`GRID_DEG`.
    """
    lines = [county_km.boundary, voronoi_ridges(village_pts, county_km)]
    net = shapely.union_all([geom_to_lonlat(g) for g in lines], grid_size=GRID_DEG)
    faces = list(shapely.get_parts(shapely.polygonize(list(shapely.get_parts(net)))))
    logger.debug("polygonised %d faces", len(faces))
    rep = np.array([geom_to_local(f.representative_point()).coords[0] for f in faces])
    v_of_face = cKDTree(village_pts).query(rep)[1]
    villages: list[Polygon] = []
    for v in range(len(village_pts)):
        parts = [faces[i] for i in np.flatnonzero(v_of_face == v)]
        if not parts:
            raise RuntimeError(f"village {v} received no face")
        villages.append(_single_polygon(shapely.union_all(parts, grid_size=GRID_DEG),
                                        f"village {v}"))
    n_t = int(village_township.max()) + 1
    townships = [
        _single_polygon(
            shapely.union_all([villages[v] for v in np.flatnonzero(village_township == t)],
                              grid_size=GRID_DEG),
            f"township {t}",
        )
        for t in range(n_t)
    ]
    county = _single_polygon(shapely.union_all(townships, grid_size=GRID_DEG), "county")
    return Tiling(county=county, townships=townships, villages=villages)
