"""Travel times on a road graph: nearest site and source × target matrices.

* :func:`nearest_site` runs **one** multi-source Dijkstra for all sources;
* :func:`travel_matrix` gives sparse source × target matrices within a cut-off.

Both search the graph's contraction (:mod:`coverage.network._contract`, searched by
:mod:`coverage.network._search`) when it has one, else the whole graph; results are equal.

Direction convention: times are from a target (the person, e.g. a village) **to** a source
(the service room). With one-way streets that is Dijkstra from the sources on the
transposed graph, which :class:`~coverage.network.graph.RoadGraph` keeps ready.

Distances reported next to times are the length of the *fastest* route (what the traveller
drives or walks), not the separately shortest distance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.csgraph import dijkstra

from coverage.network._contract import edge_values
from coverage.network._search import nearest_source, nearest_source_full, pair_times
from coverage.network.graph import RoadGraph

__all__ = ["NearestSites", "TravelMatrix", "nearest_site", "path_lengths", "travel_matrix"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def path_lengths(predecessors: NDArray[np.integer[Any]], step: FloatArray) -> FloatArray:
    """Sum ``step`` along predecessor chains (pointer jumping, O(n log depth)).

    Parameters
    ----------
    predecessors
        Predecessor of each node in a shortest-path forest (negative for roots and
        unreached nodes), shape ``(n,)`` or ``(r, n)`` with per-row forests.
    step
        Value of the edge ``predecessor -> node`` for each node (ignored for roots).

    Returns
    -------
    numpy.ndarray
        For each node, the sum of ``step`` over its path from its root.
    """
    pred = np.asarray(predecessors)
    shape = pred.shape
    n = shape[-1]
    flat_pred = pred.reshape(-1).astype(np.int64)
    offset = np.repeat(np.arange(flat_pred.size // max(n, 1), dtype=np.int64) * n, n)
    has = flat_pred >= 0
    anc = np.where(has, flat_pred + offset, -1)
    acc = np.where(has, np.asarray(step, dtype=np.float64).reshape(-1), 0.0)
    active = np.flatnonzero(anc >= 0)
    while active.size:
        up = anc[active]
        acc[active] += acc[up]
        anc[active] = anc[up]
        active = active[anc[active] >= 0]
    return acc.reshape(shape)


@dataclass(frozen=True)
class NearestSites:
    """Nearest source for every target.

    Attributes
    ----------
    time_s
        Travel time target -> nearest source (seconds); ``inf`` when unreachable, NaN
        when the target is not on the network (node -1).
    dist_m
        Length of that fastest route (metres), same conventions.
    source
        Position in the ``sources`` argument of the nearest source; -1 if none.
    """

    time_s: FloatArray
    dist_m: FloatArray
    source: IntArray


def _checked_nodes(graph: RoadGraph, nodes: ArrayLike, name: str) -> IntArray:
    arr = np.asarray(nodes, dtype=np.int64).reshape(-1)
    if arr.size and arr.max() >= graph.n_nodes:
        raise ValueError(f"{name} must be node positions < {graph.n_nodes}")
    return arr


def nearest_site(
    graph: RoadGraph,
    *,
    sources: ArrayLike,
    targets: ArrayLike,
    limit_s: float = math.inf,
) -> NearestSites:
    """Time and route length from every target to its nearest source, in one Dijkstra.

    Works on :attr:`~coverage.network.graph.RoadGraph.contraction` (chains of two-neighbour nodes
    contracted, built on the first call and kept with the graph): one
    :func:`scipy.sparse.csgraph.dijkstra` from a virtual node linked to every source on the
    transposed core graph, route lengths summed along the shortest-path tree, and nodes inside
    chains resolved from their chain ends. Graphs with few such nodes are searched whole (one
    ``min_only`` Dijkstra from all sources). Results equal a Dijkstra on the full graph either way.

    Parameters
    ----------
    graph
        The graph (typically ``AttachedPoints.graph``).
    sources, targets
        Node positions; negative entries (unattached points) are skipped / give NaN.
    limit_s
        Stop searching beyond this time (results beyond are ``inf``).

    Returns
    -------
    NearestSites
    """
    src = _checked_nodes(graph, sources, "sources")
    tgt = _checked_nodes(graph, targets, "targets")
    valid_src = np.flatnonzero(src >= 0)
    time_s = np.full(len(tgt), np.nan)
    dist_m = np.full(len(tgt), np.nan)
    source = np.full(len(tgt), -1, dtype=np.int64)
    on = tgt >= 0
    if not valid_src.size:
        time_s[on] = np.inf
        dist_m[on] = np.inf
        return NearestSites(time_s=time_s, dist_m=dist_m, source=source)
    t_on = np.flatnonzero(on)
    con = graph.contraction
    if con is None:
        found = nearest_source_full(
            graph.time_rev, graph.length_rev, src[valid_src], tgt[t_on], limit_s
        )
    else:
        found = nearest_source(con, src[valid_src], tgt[t_on], limit_s)
    time_s[t_on], dist_m[t_on], pos = found
    source[t_on] = np.where(pos >= 0, valid_src[np.maximum(pos, 0)], -1)
    return NearestSites(time_s=time_s, dist_m=dist_m, source=source)


@dataclass(frozen=True)
class TravelMatrix:
    """Sparse source × target travel times and route lengths within a cut-off.

    ``time_s[i, j]`` is the time from target ``j`` to source ``i`` (seconds) and
    ``dist_m[i, j]`` the length of that fastest route, stored only where target ``j`` reaches
    source ``i`` within ``limit_s`` (never for unreachable pairs, also when ``limit_s`` is
    ``inf``). Entries are explicit (a stored 0.0 means "at the same place"), so test
    membership with the sparsity pattern, not with ``!= 0``. ``dist_m`` is None when the
    matrix was computed with ``with_distance=False``; otherwise it has the sparsity pattern
    of ``time_s``.
    """

    time_s: sp.csr_array
    dist_m: sp.csr_array | None
    limit_s: float


def _full_graph_pairs(
    graph: RoadGraph,
    sources: IntArray,
    targets: IntArray,
    limit_s: float,
    *,
    with_distance: bool,
    max_bytes: int,
) -> tuple[IntArray, IntArray, FloatArray, FloatArray | None]:
    """Pairs within ``limit_s`` by chunked limited Dijkstra on the whole transposed graph.

    For graphs without a :attr:`~coverage.network.graph.RoadGraph.contraction`; same return as
    :func:`coverage.network._search.pair_times`.
    """
    n = graph.n_nodes
    chunk = max(1, int(max_bytes // max(1, n * (24 if with_distance else 8))))
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    times: list[FloatArray] = []
    dists: list[FloatArray] = []
    for lo in range(0, len(sources), chunk):
        pos = np.arange(lo, min(lo + chunk, len(sources)), dtype=np.int64)
        if with_distance:
            dist, pred = dijkstra(
                graph.time_rev,
                directed=True,
                indices=sources[pos],
                return_predecessors=True,
                limit=limit_s,
            )
        else:
            dist = dijkstra(graph.time_rev, directed=True, indices=sources[pos], limit=limit_s)
        sub_t = dist[:, targets]
        rr, cc = np.nonzero(np.isfinite(sub_t) & (sub_t <= limit_s))
        rows.append(pos[rr])
        cols.append(cc)
        times.append(sub_t[rr, cc])
        if with_distance:
            reached = pred >= 0
            step = np.zeros(dist.shape)
            r, c = np.nonzero(reached)
            step[r, c] = edge_values(graph.length_rev, pred[r, c].astype(np.int64), c)
            length = path_lengths(pred, step)
            dists.append(length[:, targets][rr, cc])
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    time = np.concatenate(times) if times else np.zeros(0)
    length_out = (np.concatenate(dists) if dists else np.zeros(0)) if with_distance else None
    return row, col, time, length_out


def travel_matrix(
    graph: RoadGraph,
    *,
    sources: ArrayLike,
    targets: ArrayLike,
    limit_s: float,
    with_distance: bool = True,
    max_bytes: int = 256 * 2**20,
) -> TravelMatrix:
    """Source × target times within ``limit_s`` as CSR matrices (for the optimizer).

    Works on :attr:`~coverage.network.graph.RoadGraph.contraction` when the graph has one: every
    source becomes a virtual node on the transposed core graph (linked to its chain ends when it
    lies inside a chain), :func:`scipy.sparse.csgraph.dijkstra` with ``limit=limit_s`` runs from
    chunks of them, and targets inside chains are resolved from their chain ends (see
    :func:`coverage.network._search.pair_times`). Other graphs are searched whole, in chunks of
    sources. Chunks are sized so their dense rows stay below ``max_bytes``. Results equal a Dijkstra
    on the full graph either way.

    Parameters
    ----------
    graph
        The graph.
    sources, targets
        Node positions; rows/columns of unattached points (-1) stay empty.
    limit_s
        Cut-off in seconds (``inf``: every reachable pair).
    with_distance
        Also compute the route lengths (``dist_m``); False leaves ``dist_m`` None and
        skips the shortest-path trees (faster, e.g. for the optimizer, which only needs
        times).
    max_bytes
        Memory budget for one chunk of dense rows.

    Returns
    -------
    TravelMatrix
    """
    src = _checked_nodes(graph, sources, "sources")
    tgt = _checked_nodes(graph, targets, "targets")
    valid = np.flatnonzero(src >= 0)
    tgt_cols = np.flatnonzero(tgt >= 0)
    shape = (len(src), len(tgt))
    if valid.size and tgt_cols.size:
        con = graph.contraction
        if con is None:
            r, c, t, d = _full_graph_pairs(
                graph,
                src[valid],
                tgt[tgt_cols],
                limit_s,
                with_distance=with_distance,
                max_bytes=max_bytes,
            )
        else:
            r, c, t, d = pair_times(
                con,
                src[valid],
                tgt[tgt_cols],
                limit_s,
                with_length=with_distance,
                max_bytes=max_bytes,
            )
        row, col = valid[r], tgt_cols[c]
    else:
        row = col = np.zeros(0, dtype=np.int64)
        t = np.zeros(0)
        d = np.zeros(0) if with_distance else None
    # rows ascending, columns ascending within a row: CSR straight from the pairs
    indptr = np.concatenate([[0], np.cumsum(np.bincount(row, minlength=shape[0]))])

    def _matrix(data: FloatArray) -> sp.csr_array:
        return sp.csr_array((data, col, indptr), shape=shape)

    return TravelMatrix(
        time_s=_matrix(t),
        dist_m=None if d is None else _matrix(d),
        limit_s=float(limit_s),
    )
