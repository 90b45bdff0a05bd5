"""Points attached to the road graph: snapped onto the nearest road and linked to it.

:func:`attach_points` snaps points (villages, sites …) onto the nearest edge and splits it
with a virtual node, so travel from the snap point to each edge end is the proportional
part of the edge; a point whose nearest road point is a node (a junction, a road's end) is
linked to that node, so every road meeting there is open to it; the off-network leg is
walked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from coverage.network._sparse import csr, dedupe_min
from coverage.network.graph import RoadGraph
from coverage.network.profiles import DEFAULT_WALK_SPEED_KMH

__all__ = ["NODE_SNAP_TOLERANCE_M", "AttachedPoints", "attach_points"]

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

NODE_SNAP_TOLERANCE_M: Final = 1e-3
"""A snap point this close to a segment end (metres) *is* that node: the point is linked
to the node, so every road meeting there is open to it. OSM stores coordinates to 1e-7°
(about 1 cm), so nothing closer than 1 mm is a different place on the road."""


@dataclass(frozen=True)
class AttachedPoints:
    """A road graph with points attached, and how each point was attached.

    Point ``i`` is node ``node[i]`` of ``graph`` (its true location, linked to its snap
    point on the road by a walked leg), or ``-1`` when it is farther than the snap limit.

    Attributes
    ----------
    graph
        The base graph plus, per attached point, a snap node on the road and the point
        node.
    node
        Node of each point in ``graph``, ``-1`` where ``snap_ok`` is False.
    snap_dist_m
        Distance from the point to the nearest edge (NaN if the network is empty).
    snap_ok
        ``snap_dist_m <= snap_limit_m``.
    snap_x, snap_y
        The snap point on the road.
    snap_node
        Where the snap point is a node of the base graph (a junction or the end of a
        segment): that node, else ``-1``.
    """

    graph: RoadGraph
    node: IntArray
    snap_dist_m: FloatArray
    snap_ok: NDArray[np.bool_]
    snap_x: FloatArray
    snap_y: FloatArray
    snap_node: IntArray | None = None


def attach_points(
    graph: RoadGraph,
    x: ArrayLike,
    y: ArrayLike,
    *,
    snap_limit_m: float = 1000.0,
    walk_speed_kmh: float = DEFAULT_WALK_SPEED_KMH,
) -> AttachedPoints:
    """Snap points to the nearest road and add them to the graph as nodes.

    Each point is projected onto the nearest edge segment (STRtree on the edge lines in
    the metric CRS, :attr:`~coverage.network.graph.RoadGraph.segments`). Two cases:

    * the snap point ``p`` lies inside the segment ``a–b``, at fraction ``t`` from ``a``:
      the segment is split there, ``a -> p`` costs ``t`` of the edge and ``p -> b`` the
      rest, per direction the edge allows (several points on one segment are chained in
      order along it, so travel between them is exact);
    * the snap point is a segment end (within :data:`NODE_SNAP_TOLERANCE_M`), i.e. a
      junction or the end of a road: ``p`` is linked to that node both ways at no cost, so
      the point can use every road that meets there. (Splitting one of those segments
      instead, the first equidistant one, would leave a point on a one-way street only the
      way along it.)

    The point itself is a node ``q`` linked to ``p`` both ways by the off-network leg,
    walked at ``walk_speed_kmh`` over ``snap_dist_m``.

    Parameters
    ----------
    graph
        Road graph whose edges are straight segments between node coordinates.
    x, y
        Point coordinates in the graph's CRS.
    snap_limit_m
        Points farther from every edge are not attached (``snap_ok`` False, node -1).
    walk_speed_kmh
        Speed of the off-network leg.

    Returns
    -------
    AttachedPoints
    """
    px = np.asarray(x, dtype=np.float64)
    py = np.asarray(y, dtype=np.float64)
    k = len(px)
    u, v, t_uv, l_uv = graph.edges()
    segs = graph.segments
    sa, sb = segs.a, segs.b
    seg, snap_dist = segs.nearest(px, py)
    ok = (seg >= 0) & (snap_dist <= snap_limit_m)

    ax, ay = graph.x[sa[seg[ok]]], graph.y[sa[seg[ok]]]
    dx, dy = graph.x[sb[seg[ok]]] - ax, graph.y[sb[seg[ok]]] - ay
    norm = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(norm > 0, ((px[ok] - ax) * dx + (py[ok] - ay) * dy) / norm, 0.0)
    frac = np.clip(frac, 0.0, 1.0)
    seg_len = np.sqrt(norm)
    at_a = frac * seg_len <= NODE_SNAP_TOLERANCE_M
    at_b = ~at_a & ((1.0 - frac) * seg_len <= NODE_SNAP_TOLERANCE_M)
    end_node = np.where(at_a, sa[seg[ok]], np.where(at_b, sb[seg[ok]], -1))
    frac = np.where(at_a, 0.0, np.where(at_b, 1.0, frac))
    snap_x = np.full(k, np.nan)
    snap_y = np.full(k, np.nan)
    snap_x[ok] = ax + frac * dx
    snap_y[ok] = ay + frac * dy
    snap_node = np.full(k, -1, dtype=np.int64)
    snap_node[ok] = end_node

    n0 = graph.n_nodes
    m = int(ok.sum())
    points = np.flatnonzero(ok)
    p_node = n0 + np.arange(m)  # snap node on the road
    q_node = n0 + m + np.arange(m)  # the point itself
    node = np.full(k, -1, dtype=np.int64)
    node[points] = q_node

    # points inside a segment: chain their snap nodes along it, a -> p1 -> p2 ... -> b
    inside = end_node < 0
    s, f, pn = seg[ok][inside], frac[inside], p_node[inside]
    order = np.lexsort((f, s))
    s_sorted, f_sorted, p_sorted = s[order], f[order], pn[order]
    start = np.ones(len(s_sorted), dtype=bool)
    start[1:] = s_sorted[1:] != s_sorted[:-1]
    end = np.ones(len(s_sorted), dtype=bool)
    end[:-1] = s_sorted[1:] != s_sorted[:-1]
    prev_node = np.where(start, sa[s_sorted], np.roll(p_sorted, 1))
    prev_frac = np.where(start, 0.0, np.roll(f_sorted, 1))
    pu = np.concatenate([prev_node, p_sorted[end]])
    pv = np.concatenate([p_sorted, sb[s_sorted[end]]])
    ps = np.concatenate([s_sorted, s_sorted[end]])
    share = np.concatenate([f_sorted - prev_frac, 1.0 - f_sorted[end]])
    fa, fb = np.isfinite(segs.t_ab[ps]), np.isfinite(segs.t_ba[ps])

    # points at a node: their snap node is the node, linked both ways at no cost
    jn, jp = end_node[~inside], p_node[~inside]
    zero = np.zeros(len(jn))

    walk_ms = walk_speed_kmh / 3.6
    leg = snap_dist[points]
    new_u = [pu[fa], pv[fb], jn, jp, q_node, p_node]
    new_v = [pv[fa], pu[fb], jp, jn, p_node, q_node]
    new_t = [
        (share * segs.t_ab[ps])[fa],
        (share * segs.t_ba[ps])[fb],
        zero,
        zero,
        leg / walk_ms,
        leg / walk_ms,
    ]
    new_l = [(share * segs.l_ab[ps])[fa], (share * segs.l_ba[ps])[fb], zero, zero, leg, leg]
    all_u = np.concatenate([u, *new_u])
    all_v = np.concatenate([v, *new_v])
    all_t = np.concatenate([t_uv, *new_t])
    all_l = np.concatenate([l_uv, *new_l])
    n = n0 + 2 * m
    uu, vv, tt, ll = dedupe_min(all_u, all_v, all_t, all_l)
    ru, rv, rt, rl = dedupe_min(vv, uu, tt, ll)
    xs = np.concatenate([graph.x, snap_x[points], px[points]])
    ys = np.concatenate([graph.y, snap_y[points], py[points]])
    node_id = None
    if graph.node_id is not None:
        node_id = np.concatenate([graph.node_id, np.full(2 * m, -1, dtype=np.int64)])
    augmented = RoadGraph(
        x=xs,
        y=ys,
        time=csr(uu, vv, tt, n),
        length=csr(uu, vv, ll, n),
        time_rev=csr(ru, rv, rt, n),
        length_rev=csr(ru, rv, rl, n),
        profile=graph.profile,
        crs=graph.crs,
        node_id=node_id,
    )
    if k - m:
        logger.info(
            "%d of %d points farther than %.0f m from the %s network",
            k - m,
            k,
            snap_limit_m,
            graph.profile,
        )
    return AttachedPoints(
        graph=augmented,
        node=node,
        snap_dist_m=snap_dist,
        snap_ok=ok,
        snap_x=snap_x,
        snap_y=snap_y,
        snap_node=snap_node,
    )

