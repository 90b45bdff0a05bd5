"""Isochrones as areas: the land within a travel-time limit of a service, for maps.

An isochrone drawn as thin road corridors makes a served area look empty and spills past the
county.  :func:`isochrone_area` draws the area a planner means instead: the reachable road
pieces (found from travel times on the road graph), widened by ``buffer_m`` (a short walk off
the road), with the gaps between nearby reachable roads closed and small enclosed holes
filled, clipped to the county and simplified.

The geometry is for display only: coverage figures always come from travel times
(:mod:`coverage.access`).  The work is done on a raster of ``buffer_m / 2`` cells with
:mod:`scipy.ndimage` (dilation, closing, hole filling) and turned back into polygons with
:func:`shapely.coverage_union_all`, which takes well under a second for a county where a
union of tens of thousands of road buffers takes many seconds.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from scipy import ndimage

from coverage.network import RoadGraph

__all__ = ["isochrone_area", "reachable_segments"]


def reachable_segments(graph: RoadGraph, node_time_s: ArrayLike, limit_s: float
                       ) -> NDArray[np.float64]:
    """Road pieces from which a source is reachable within ``limit_s``.

    Parameters
    ----------
    graph
        Road graph with straight edges between node coordinates (metric CRS).
    node_time_s
        Time in seconds from each node to its nearest source (``inf`` when none), e.g.
        ``nearest_site(graph, sources=..., targets=np.arange(graph.n_nodes)).time_s``.
    limit_s
        Time limit in seconds.

    Returns
    -------
    numpy.ndarray
        ``(k, 2, 2)`` segment end points ``[[x0, y0], [x1, y1]]``: for each edge ``a -> b``
        with ``t_b <= limit_s``, the part of the edge within the remaining time of ``b``
        (the whole edge when ``t_a + w <= limit_s``).
    """
    t = np.asarray(node_time_s, dtype=np.float64)
    if t.shape != (graph.n_nodes,):
        raise ValueError(f"node_time_s has shape {t.shape}, expected ({graph.n_nodes},)")
    u, v, w, _ = graph.edges()
    ok = t[v] <= limit_s
    u, v, w = u[ok], v[ok], w[ok]
    with np.errstate(divide="ignore", invalid="ignore"):
        start = np.where(w > 0, 1.0 - (limit_s - t[v]) / w, 0.0)
    start = np.clip(start, 0.0, 1.0)
    x0 = graph.x[u] + start * (graph.x[v] - graph.x[u])
    y0 = graph.y[u] + start * (graph.y[v] - graph.y[u])
    return np.stack([np.column_stack([x0, y0]), np.column_stack([graph.x[v], graph.y[v]])], 1)


def isochrone_area(
    graph: RoadGraph,
    node_time_s: ArrayLike,
    limit_s: float,
    *,
    clip: shapely.Geometry | None = None,
    buffer_m: float = 300.0,
    close_m: float = 600.0,
    fill_holes_km2: float = 2.0,
    simplify_m: float | None = None,
) -> shapely.Geometry:
    """The area within ``limit_s`` of the sources, as (multi)polygons in the graph's CRS.

    Parameters
    ----------
    graph
        Road graph in a metric CRS.
    node_time_s
        Time in seconds from each node to its nearest source (``inf`` when none).
    limit_s
        Time limit in seconds (e.g. 15 minutes = 900).
    clip
        Polygon in the graph's CRS (the county) the area is clipped to; None = no clip.
    buffer_m
        Distance off the reachable roads that counts as reached (a short walk).
    close_m
        Gaps narrower than about this between reached areas are closed (morphological
        closing), so the blocks between reachable village roads read as served; 0 = off.
    fill_holes_km2
        Enclosed unreached holes smaller than this are filled.
    simplify_m
        Douglas–Peucker tolerance of the result (default ``buffer_m / 4``).

    Returns
    -------
    shapely.Geometry
        A Polygon or MultiPolygon (empty when nothing is reachable).

    Raises
    ------
    ValueError
        ``buffer_m`` not positive or ``node_time_s`` of the wrong length.
    """
    if not buffer_m > 0:
        raise ValueError(f"buffer_m must be positive, got {buffer_m}")
    seg = reachable_segments(graph, node_time_s, limit_s)
    t = np.asarray(node_time_s, dtype=np.float64)
    lone = np.flatnonzero(t <= limit_s)  # reached nodes count even without an edge
    pts = np.concatenate([seg.reshape(-1, 2),
                          np.column_stack([graph.x[lone], graph.y[lone]])])
    if not len(pts):
        return shapely.Polygon()
    cell = buffer_m / 2.0
    r_buf = 2  # cells of buffer_m / 2
    r_close = round(close_m / 2 / cell) if close_m > 0 else 0
    margin = r_buf + 2 * r_close + 2
    origin = np.floor(pts.min(axis=0) / cell).astype(np.int64) - margin
    shape = tuple(np.floor(pts.max(axis=0) / cell).astype(np.int64) - origin + margin + 1)
    grid = np.zeros(shape, dtype=bool)  # grid[i, j]: column i (x), row j (y)

    # mark every cell a reachable segment passes through (sampled every quarter cell)
    if len(seg):
        p0, p1 = seg[:, 0], seg[:, 1]
        n = np.maximum(np.ceil(np.hypot(*(p1 - p0).T) / (cell / 4)).astype(np.int64), 1)
        idx = np.repeat(np.arange(len(seg)), n + 1)
        first = np.repeat(np.cumsum(n + 1) - (n + 1), n + 1)
        frac = (np.arange(idx.size) - first) / np.repeat(n, n + 1)
        xy = p0[idx] + frac[:, None] * (p1 - p0)[idx]
        ij = np.floor(xy / cell).astype(np.int64) - origin
        grid[ij[:, 0], ij[:, 1]] = True
    ij = np.floor(pts[len(seg) * 2:] / cell).astype(np.int64) - origin
    grid[ij[:, 0], ij[:, 1]] = True

    grid = ndimage.binary_dilation(grid, structure=_disk(r_buf))
    if r_close:
        grid = ndimage.binary_closing(grid, structure=_disk(r_close))
    if fill_holes_km2 > 0:
        holes, count = ndimage.label(~grid)
        if count:
            sizes = np.bincount(holes.ravel(), minlength=count + 1) * cell * cell / 1e6
            border = np.unique(np.concatenate([holes[0], holes[-1], holes[:, 0],
                                               holes[:, -1]]))
            small = sizes <= fill_holes_km2
            small[border] = False
            small[0] = False
            grid |= small[holes]
    area = _polygonize(grid, origin, cell)
    tol = buffer_m / 4 if simplify_m is None else simplify_m
    if tol > 0:
        area = shapely.simplify(area, tol)
    if clip is not None:
        area = shapely.intersection(shapely.make_valid(area), shapely.make_valid(clip))
        area = _polygons_only(area)
    return area


def _disk(r: int) -> NDArray[np.bool_]:
    a = np.arange(-r, r + 1)
    return (a[:, None] ** 2 + a[None, :] ** 2) <= r * r + r  # slightly round, not diamond


def _polygonize(grid: NDArray[np.bool_], origin: NDArray[np.int64], cell: float
                ) -> shapely.Geometry:
    """The union of the marked cells (equal boxes form a valid coverage: an exact union)."""
    i, j = np.nonzero(grid)
    if not len(i):
        return shapely.Polygon()
    x0 = (i + origin[0]) * cell
    y0 = (j + origin[1]) * cell
    boxes = shapely.box(x0, y0, x0 + cell, y0 + cell)
    return _polygons_only(shapely.coverage_union_all(boxes))


def _polygons_only(geom: shapely.Geometry) -> shapely.Geometry:
    parts = [p for p in shapely.get_parts(geom)
             if p.geom_type in ("Polygon", "MultiPolygon") and not p.is_empty]
    if not parts:
        return shapely.Polygon()
    merged = shapely.union_all(parts) if len(parts) > 1 else parts[0]
    return merged
