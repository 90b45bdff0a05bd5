"""The road graph on scipy sparse matrices, and building it from edge arrays.

The numeric core works on arrays and :class:`scipy.sparse.csr_array` only:
:func:`build_graph` turns edge arrays (``u, v, length_m, speed_kmh, oneway``) into a
:class:`RoadGraph` — parallel edges keep the *fastest* one (a plain
``csr_array((w, (u, v)))`` would add them up).  The graph keeps, built once on first use,
its contracted form for routing (:attr:`RoadGraph.contraction`) and its straight
segments for snapping (:attr:`RoadGraph.segments`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyproj
import scipy.sparse as sp
import shapely
from numpy.typing import ArrayLike, NDArray

from coverage.network._contract import Contraction, contract
from coverage.network._sparse import csr, dedupe_min
from coverage.network.profiles import Profile

__all__ = ["RoadGraph", "Segments", "build_graph"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class RoadGraph:
    """A directed road graph on scipy sparse matrices.

    Attributes
    ----------
    x, y
        Node coordinates in ``crs`` (metres), shape ``(n,)``.
    time
        ``time[a, b]`` = travel time in seconds on edge ``a -> b`` (CSR, sorted indices,
        explicit zeros are zero-time edges).
    length
        Edge lengths in metres, same sparsity structure as ``time``.
    time_rev, length_rev
        The transposes (CSR) for "from everywhere to the sources" searches.
    profile
        ``"walk"`` or ``"drive"``.
    crs
        Metric CRS of ``x, y``; None for abstract graphs.
    node_id
        OSM node id of each node (``-1`` for the nodes
        :func:`~coverage.network.attach.attach_points` adds); None for graphs not read from OSM.
    """

    x: FloatArray
    y: FloatArray
    time: sp.csr_array
    length: sp.csr_array
    time_rev: sp.csr_array
    length_rev: sp.csr_array
    profile: Profile
    crs: pyproj.CRS | None = None
    node_id: IntArray | None = None

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.time.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of directed edges (parallel edges already merged)."""
        return int(self.time.nnz)

    @cached_property
    def contraction(self) -> Contraction | None:
        """The graph with its chains of two-neighbour nodes contracted (built once, exact).

        None when too few nodes lie inside chains for it to pay off (a plain grid). Used by
        :func:`~coverage.network.routing.nearest_site`; see :mod:`coverage.network._contract`.
        """
        return contract(self.time, self.length, self.time_rev, self.length_rev)

    @cached_property
    def segments(self) -> Segments:
        """The undirected straight segments with their directed costs and an STRtree
        (built once, shared by :func:`~coverage.network.attach.attach_points` and
        :func:`~coverage.network.fit.check_network_fit`)."""
        return _segments(self)

    def edges(self) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
        """Return ``(u, v, time_s, length_m)`` of every directed edge, in CSR order."""
        coo = self.time.tocoo()
        u = np.asarray(coo.row, dtype=np.int64)
        v = np.asarray(coo.col, dtype=np.int64)
        return (
            u,
            v,
            np.asarray(self.time.data, dtype=float),
            np.asarray(self.length.data, dtype=float),
        )


def build_graph(
    u: ArrayLike,
    v: ArrayLike,
    length_m: ArrayLike,
    speed_kmh: ArrayLike,
    oneway: ArrayLike,
    *,
    x: ArrayLike,
    y: ArrayLike,
    profile: Profile = "drive",
    crs: pyproj.CRS | None = None,
    node_id: ArrayLike | None = None,
) -> RoadGraph:
    """Build a :class:`RoadGraph` from edge arrays.

    Parameters
    ----------
    u, v
        Edge end nodes (0-based positions in ``x``/``y``).
    length_m
        Edge lengths in metres (≥ 0).
    speed_kmh
        Travel speed on each edge (> 0).
    oneway
        True: only ``u -> v``; False: both directions.
    x, y
        Node coordinates (metres), used for snapping and isochrones.
    profile
        Recorded on the graph.
    crs
        Metric CRS of the coordinates.
    node_id
        OSM id of each node, kept on the graph (:attr:`RoadGraph.node_id`).

    Returns
    -------
    RoadGraph
        Parallel edges collapsed to the fastest; self-loops dropped.

    Raises
    ------
    ValueError
        On negative lengths, non-positive speeds or node indices out of range.
    """
    u_arr = np.asarray(u, dtype=np.int64)
    v_arr = np.asarray(v, dtype=np.int64)
    length = np.asarray(length_m, dtype=np.float64)
    speed = np.broadcast_to(np.asarray(speed_kmh, dtype=np.float64), length.shape)
    one = np.broadcast_to(np.asarray(oneway, dtype=bool), length.shape)
    x_arr = np.asarray(x, dtype=np.float64)
    y_arr = np.asarray(y, dtype=np.float64)
    n = len(x_arr)
    ids = None if node_id is None else np.asarray(node_id, dtype=np.int64)
    if not (len(u_arr) == len(v_arr) == len(length)) or len(y_arr) != n:
        raise ValueError("u, v, length_m must have one value per edge and x, y one per node")
    if ids is not None and len(ids) != n:
        raise ValueError("node_id must have one value per node")
    if len(u_arr) and (min(u_arr.min(), v_arr.min()) < 0 or max(u_arr.max(), v_arr.max()) >= n):
        raise ValueError("edge end nodes must be positions in x/y")
    if np.any(~np.isfinite(length) | (length < 0)):
        raise ValueError("edge lengths must be finite and >= 0")
    if np.any(~np.isfinite(speed) | (speed <= 0)):
        raise ValueError("edge speeds must be finite and > 0")
    time = length / (speed / 3.6)
    two = ~one
    uu = np.concatenate([u_arr, v_arr[two]])
    vv = np.concatenate([v_arr, u_arr[two]])
    tt = np.concatenate([time, time[two]])
    ll = np.concatenate([length, length[two]])
    keep = uu != vv
    uu, vv, tt, ll = dedupe_min(uu[keep], vv[keep], tt[keep], ll[keep])
    ru, rv, rt, rl = dedupe_min(vv, uu, tt, ll)  # already unique: just re-sorted
    return RoadGraph(
        x=x_arr,
        y=y_arr,
        time=csr(uu, vv, tt, n),
        length=csr(uu, vv, ll, n),
        time_rev=csr(ru, rv, rt, n),
        length_rev=csr(ru, rv, rl, n),
        profile=profile,
        crs=crs,
        node_id=ids,
    )


@dataclass(frozen=True)
class Segments:
    """The undirected straight segments of a :class:`RoadGraph`, for snapping.

    Attributes
    ----------
    a, b
        End nodes of each segment, ``a < b``.
    t_ab, l_ab, t_ba, l_ba
        Time and length of ``a -> b`` and of ``b -> a`` (NaN where that direction is not
        allowed, e.g. against a one-way street).
    tree
        STRtree over the segment lines (positions match ``a``, ``b``).
    """

    a: IntArray
    b: IntArray
    t_ab: FloatArray
    l_ab: FloatArray
    t_ba: FloatArray
    l_ba: FloatArray
    tree: shapely.STRtree

    def nearest(self, x: FloatArray, y: FloatArray) -> tuple[IntArray, FloatArray]:
        """Nearest segment of each point and its distance (-1 and NaN without segments).

        Equidistant segments: the first one; :func:`~coverage.network.attach.attach_points` then
        links a point whose nearest road point is a segment end to the node itself.
        """
        seg = np.full(len(x), -1, dtype=np.int64)
        dist = np.full(len(x), np.nan)
        if len(self.a) and len(x):
            hit, d = self.tree.query_nearest(shapely.points(x, y), return_distance=True)
            _, first = np.unique(hit[0], return_index=True)
            seg[hit[0, first]] = hit[1, first]
            dist[hit[0, first]] = d[first]
        return seg, dist


def _segments(graph: RoadGraph) -> Segments:
    u, v, t_uv, l_uv = graph.edges()
    n = max(graph.n_nodes, 1)
    key, index = np.unique(np.minimum(u, v) * n + np.maximum(u, v), return_inverse=True)
    a, b = key // n, key % n
    fwd = u < v
    costs = np.full((4, len(key)), np.nan)
    costs[0, index[fwd]], costs[1, index[fwd]] = t_uv[fwd], l_uv[fwd]
    costs[2, index[~fwd]], costs[3, index[~fwd]] = t_uv[~fwd], l_uv[~fwd]
    ends = np.stack(
        [np.column_stack([graph.x[a], graph.y[a]]), np.column_stack([graph.x[b], graph.y[b]])],
        axis=1,
    )
    lines = shapely.linestrings(ends) if len(key) else np.zeros(0, dtype=object)
    return Segments(
        a=a,
        b=b,
        t_ab=costs[0],
        l_ab=costs[1],
        t_ba=costs[2],
        l_ba=costs[3],
        tree=shapely.STRtree(lines),
    )

