"""Display geometry of access: the road pieces within a time limit and their footprint.

For maps only — coverage figures always come from travel times.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from coverage.network import RoadGraph

__all__ = ["reachable_lines", "road_footprint"]


def reachable_lines(graph: RoadGraph, node_time: ArrayLike, limit: float) -> NDArray[np.object_]:
    """Pieces of edges from which a source is reachable within ``limit``.

    Parameters
    ----------
    graph
        Graph with straight edges between node coordinates.
    node_time
        Time from each node to its nearest source (``inf`` if none), e.g. from
        :func:`coverage.network.nearest_site` with all nodes as targets.
    limit
        Time limit, same unit.

    Returns
    -------
    numpy.ndarray
        Shapely LineStrings: for each directed edge ``a -> b`` with ``t_b <= limit``, the
        part of the edge nearer to ``b`` than the remaining time ``limit - t_b``.
    """
    t = np.asarray(node_time, dtype=np.float64)
    u, v, w, _ = graph.edges()
    ok = t[v] <= limit
    u, v, w = u[ok], v[ok], w[ok]
    with np.errstate(divide="ignore", invalid="ignore"):
        start = np.where(w > 0, 1.0 - (limit - t[v]) / w, 0.0)
    start = np.clip(start, 0.0, 1.0)
    x0 = graph.x[u] + start * (graph.x[v] - graph.x[u])
    y0 = graph.y[u] + start * (graph.y[v] - graph.y[u])
    coords = np.stack([np.column_stack([x0, y0]), np.column_stack([graph.x[v], graph.y[v]])], 1)
    return np.asarray(shapely.linestrings(coords), dtype=object)


def road_footprint(
    lines: NDArray[np.object_], *, buffer_m: float, fill_holes_km2: float = 1.0
) -> shapely.Geometry:
    """Display polygon of the area within about ``buffer_m`` of ``lines`` (straight segments).

    A raster footprint instead of a union of buffers (which takes seconds for the tens of
    thousands of road pieces of a county): the segments are sampled every quarter cell,
    marked on a grid of ``buffer_m / 2`` cells, dilated by a disk of ``buffer_m``, turned
    into one polygon with :func:`shapely.coverage_union_all` and simplified by half a cell.
    Holes smaller than ``fill_holes_km2`` (the blocks between reachable roads) are filled, so
    the polygon reads as an area, not a web.  For display only: coverage figures always
    come from travel times.
    """
    if len(lines) == 0:
        return shapely.Polygon()
    cell = buffer_m / 2.0
    c = shapely.get_coordinates(lines).reshape(-1, 2, 2)
    p0, p1 = c[:, 0], c[:, 1]
    n = np.maximum(np.ceil(np.hypot(*(p1 - p0).T) / (cell / 4)).astype(np.int64), 1)
    idx = np.repeat(np.arange(len(c)), n + 1)
    first = np.repeat(np.cumsum(n + 1) - (n + 1), n + 1)
    t = (np.arange(idx.size) - first) / np.repeat(n, n + 1)
    xy = p0[idx] + t[:, None] * (p1 - p0)[idx]
    ij = np.unique(np.floor(xy / cell).astype(np.int64), axis=0)
    r = 2
    disk = np.array([(a, b) for a in range(-r, r + 1) for b in range(-r, r + 1)
                     if a * a + b * b <= r * r])
    ij = np.unique((ij[:, None, :] + disk[None]).reshape(-1, 2), axis=0)
    boxes = shapely.box(ij[:, 0] * cell, ij[:, 1] * cell, (ij[:, 0] + 1) * cell,
                        (ij[:, 1] + 1) * cell)
    merged = shapely.coverage_union_all(boxes)
    polys = []
    for poly in shapely.get_parts(merged):
        holes = [ring for ring in poly.interiors
                 if shapely.Polygon(ring).area > fill_holes_km2 * 1e6]
        polys.append(shapely.Polygon(poly.exterior, holes))
    return shapely.simplify(shapely.MultiPolygon(polys), cell / 2)
