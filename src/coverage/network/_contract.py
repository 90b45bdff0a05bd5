"""Exact chain contraction of a road graph.

Road graphs from OSM carry many intermediate nodes along curvy roads: nodes with two
neighbours that only bend the line. :func:`contract` removes them once per graph (as
osmnx's ``simplify_graph`` does), keeping for each removed ("interior") node where it lies
on its chain and the exact along-chain times and lengths to both chain ends; the searches
of :mod:`coverage.network._search` run on the result.

A node is *interior* when it has exactly two distinct neighbours and either both edges
are two-way (in- and out-degree 2) or it is passed through by a one-way road (in- and
out-degree 1, from one neighbour to the other). Everything else — junctions, dead ends,
direction changes — is *core*. A chain is a maximal path of interior nodes between its
core ends ``a`` (tail) and ``b`` (head); along it every edge is two-way, or every edge is
one-way from ``a`` to ``b``. A closed loop of interior nodes gets one node promoted to core.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import breadth_first_order, connected_components

__all__ = ["MIN_INTERIOR_SHARE", "Contraction", "contract", "edge_values", "tree_sums"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]


def edge_values(matrix: sp.csr_array, rows: IntArray, cols: IntArray) -> FloatArray:
    """Look up ``matrix[rows, cols]`` for existing entries of a sorted-index CSR matrix."""
    n = matrix.shape[1]
    row_of = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr))
    keys = row_of * n + matrix.indices
    pos = np.searchsorted(keys, rows.astype(np.int64) * n + cols)
    return np.asarray(matrix.data[pos], dtype=np.float64)


def tree_sums(parent: NDArray[np.integer[Any]], value: FloatArray) -> tuple[FloatArray, IntArray]:
    """Sum ``value`` over each node's path to its root, by pointer jumping.

    Parameters
    ----------
    parent
        Parent of each node in a forest; negative for roots (and unreached nodes).
    value
        Value of each node, included in the sums of the node and its descendants
        (roots included).

    Returns
    -------
    sums
        For each node, the sum of ``value`` from its root down to the node itself.
    root
        For each node, the root of its tree (itself for roots).
    """
    anc = np.asarray(parent, dtype=np.int64).copy()
    acc = np.asarray(value, dtype=np.float64).copy()
    root = np.arange(len(anc), dtype=np.int64)
    active = np.flatnonzero(anc >= 0)
    # invariant: acc[v] sums the path from root[v] down to v, and anc[v] is root[v]'s parent
    while active.size:
        up = anc[active]
        acc[active] += acc[up]
        root[active] = root[up]
        anc[active] = anc[up]
        active = active[anc[active] >= 0]
    return acc, root


def _entry(matrix: sp.csr_array, offset: int) -> IntArray:
    """Column of the ``offset``-th stored entry of each row (clamped; 0 if none)."""
    if not matrix.nnz:
        return np.zeros(matrix.shape[0], dtype=np.int64)
    pos = np.minimum(matrix.indptr[:-1] + offset, matrix.nnz - 1)
    return np.asarray(matrix.indices[pos], dtype=np.int64)


def _interior(time: sp.csr_array, time_rev: sp.csr_array) -> tuple[BoolArray, BoolArray]:
    """Masks of two-way and one-way interior nodes (see the module docstring).

    Rows hold no self-loops or parallel edges and sorted indices, so a node with in- and
    out-degree 2 has two neighbours exactly when its two out-neighbours are its two
    in-neighbours.
    """
    out_deg = np.diff(time.indptr)
    in_deg = np.diff(time_rev.indptr)
    first_out, second_out = _entry(time, 0), _entry(time, 1)
    first_in, second_in = _entry(time_rev, 0), _entry(time_rev, 1)
    two_way = (out_deg == 2) & (in_deg == 2) & (first_out == first_in)
    two_way &= second_out == second_in
    one_way = (out_deg == 1) & (in_deg == 1) & (first_out != first_in)
    return np.asarray(two_way), np.asarray(one_way)


@dataclass(frozen=True)
class Contraction:
    """A road graph with its chains of interior nodes contracted.

    Per-node arrays have one value per node of the full graph; chain fields are only
    meaningful where ``core`` is False. Times in seconds, lengths in metres.

    Attributes
    ----------
    core
        True for core nodes.
    core_id
        Position of each core node in the core graph, -1 for interior nodes.
    core_nodes
        Full-graph node of each core node.
    time_rev, length_rev
        Transposed core graph: each chain is one edge ``a -> b`` (and ``b -> a`` if
        two-way) with its total time and length; parallel edges keep the fastest.
    rev_rows
        Row of each stored entry of ``time_rev`` (for tree-edge look-ups).
    a, b
        Tail and head core node (full-graph ids) of the chain of each interior node.
    two_way
        Whether the node's chain can be travelled both ways.
    key
        ``chain * (n + 1) + position along the chain``: sorts interior nodes by chain,
        then from ``a`` to ``b``.
    to_a, to_a_len
        Time and length from the node back to ``a`` (``inf`` on one-way chains).
    to_b, to_b_len
        From the node on to ``b``.
    from_a, from_a_len
        From ``a`` to the node (cumulative along the chain).
    from_b, from_b_len
        From ``b`` back to the node (``inf`` on one-way chains).
    """

    core: BoolArray
    core_id: IntArray
    core_nodes: IntArray
    time_rev: sp.csr_array
    length_rev: sp.csr_array
    rev_rows: IntArray
    a: IntArray
    b: IntArray
    two_way: BoolArray
    key: IntArray
    to_a: FloatArray
    to_a_len: FloatArray
    to_b: FloatArray
    to_b_len: FloatArray
    from_a: FloatArray
    from_a_len: FloatArray
    from_b: FloatArray
    from_b_len: FloatArray

    @property
    def n_core(self) -> int:
        """Number of nodes of the core graph."""
        return len(self.core_nodes)


def _csr_rev(
    u: IntArray, v: IntArray, time: FloatArray, length: FloatArray, n: int
) -> tuple[sp.csr_array, sp.csr_array]:
    """Transposed CSR (time, length) of edges ``u -> v``; parallel edges keep the fastest."""
    order = np.lexsort((length, time, u, v))
    rows, cols, time, length = v[order], u[order], time[order], length[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    rows, cols = rows[first], cols[first]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n))]).astype(np.int32)
    idx = cols.astype(np.int32)
    return (
        sp.csr_array((time[first], idx, indptr), shape=(n, n)),
        sp.csr_array((length[first], idx, indptr), shape=(n, n)),
    )


MIN_INTERIOR_SHARE = 0.25
"""Contract only graphs with at least this share of interior nodes: below it the saved
Dijkstra work does not pay for the chain look-ups (measured on a plain 250 000-node grid
with 4 % interior nodes: 10 % slower than the full-graph search)."""


def contract(
    time: sp.csr_array,
    length: sp.csr_array,
    time_rev: sp.csr_array,
    length_rev: sp.csr_array,
    *,
    min_share: float = MIN_INTERIOR_SHARE,
) -> Contraction | None:
    """Contract the chains of interior nodes of a road graph (exact).

    Parameters
    ----------
    time, length
        ``[a, b]`` = time and length of edge ``a -> b`` (CSR, sorted indices, no
        self-loops, no parallel edges), as held by ``coverage.network.RoadGraph``.
    time_rev, length_rev
        Their transposes.
    min_share
        Return None when fewer nodes than this share are interior.

    Returns
    -------
    Contraction or None
    """
    n = time.shape[0]
    two_way, one_way = _interior(time, time_rev)
    if not n or (two_way | one_way).mean() < min_share:
        return None
    nodes = np.arange(n, dtype=np.int64)
    # neighbours of interior nodes: two-way -> both out-neighbours, one-way -> in and out
    first_out, second_out = _entry(time, 0), _entry(time, 1)
    first_in = _entry(time_rev, 0)
    nb0 = np.where(two_way, first_out, first_in)  # one-way: the in-neighbour (towards a)
    nb1 = np.where(two_way, second_out, first_out)
    while True:  # a second pass only after promoting a node of each closed loop
        interior = two_way | one_way
        both = interior & interior[nb0] & interior[nb1]
        ends = interior & ~both
        link = interior[nb0] & interior
        rows = np.concatenate([nodes[link], nb0[link]])
        cols = np.concatenate([nb0[link], nodes[link]])
        link = interior[nb1] & interior
        rows = np.concatenate([rows, nodes[link], nb1[link]])
        cols = np.concatenate([cols, nb1[link], nodes[link]])
        chains = sp.csr_array((np.ones(len(rows)), (rows, cols)), shape=(n, n))
        _, label = connected_components(chains, directed=False)
        has_end = np.zeros(n, dtype=bool)
        has_end[label[ends]] = True
        loops = interior & ~has_end[label]
        if not loops.any():
            break
        # promote the lowest node of each closed loop to core
        _, first = np.unique(label[loops], return_index=True)
        promoted = np.flatnonzero(loops)[first]
        two_way[promoted] = False
        one_way[promoted] = False
    core = ~interior

    # chain starts: the end whose tail-side neighbour (nb0 if core) is core; one-way chains
    # must start at the node entered from the core
    start_ok = interior & ~interior[nb0]
    start_ok |= two_way & ~interior[nb1]
    cand = np.flatnonzero(start_ok)
    _, first = np.unique(label[cand], return_index=True)
    starts = cand[first]
    # tail core node of each start: nb0 if it is core (always for one-way), else nb1
    start_tail = np.where(~interior[nb0[starts]], nb0[starts], nb1[starts])

    # order along each chain: BFS from a virtual node linked to every start
    sup = n
    r = np.concatenate([rows, np.full(len(starts), sup)])
    c = np.concatenate([cols, starts])
    walk = sp.csr_array((np.ones(len(r)), (r, c)), shape=(n + 1, n + 1))
    _, bfs_pred = breadth_first_order(walk, sup, directed=True, return_predecessors=True)
    pred = np.asarray(bfs_pred[:n], dtype=np.int64)
    pred[pred == sup] = -1
    prev = pred.copy()
    prev[starts] = start_tail
    prev[core] = -1
    nxt = np.where(nb0 == prev, nb1, nb0)
    nxt[core] = -1

    inner = np.flatnonzero(interior)
    tf = np.zeros(n)
    lf = np.zeros(n)
    tb = np.zeros(n)
    lb = np.zeros(n)
    tf[inner] = edge_values(time, prev[inner], inner)
    lf[inner] = edge_values(length, prev[inner], inner)
    tw = inner[two_way[inner]]
    tb[tw] = edge_values(time, tw, prev[tw])
    lb[tw] = edge_values(length, tw, prev[tw])
    from_a, root = tree_sums(pred, tf)
    from_a_len, _ = tree_sums(pred, lf)
    to_a, _ = tree_sums(pred, tb)
    to_a_len, _ = tree_sums(pred, lb)
    hop, _ = tree_sums(pred, np.ones(n))

    # chain totals, from the last node of each chain (its next node is core)
    last = inner[~interior[nxt[inner]]]
    total = np.zeros(n)
    total_len = np.zeros(n)
    back = np.full(n, math.inf)
    back_len = np.full(n, math.inf)
    chain_b = np.full(n, -1, dtype=np.int64)
    total[root[last]] = from_a[last] + edge_values(time, last, nxt[last])
    total_len[root[last]] = from_a_len[last] + edge_values(length, last, nxt[last])
    chain_b[root[last]] = nxt[last]
    lt = last[two_way[last]]
    back[root[lt]] = to_a[lt] + edge_values(time, nxt[lt], lt)
    back_len[root[lt]] = to_a_len[lt] + edge_values(length, nxt[lt], lt)
    chain_a = np.full(n, -1, dtype=np.int64)
    chain_a[starts] = start_tail

    rt = root[inner]
    a = np.full(n, -1, dtype=np.int64)
    b = np.full(n, -1, dtype=np.int64)
    a[inner], b[inner] = chain_a[rt], chain_b[rt]
    to_b = total[root] - from_a
    to_b_len = total_len[root] - from_a_len
    from_b = np.where(two_way, back[root] - to_a, math.inf)
    from_b_len = np.where(two_way, back_len[root] - to_a_len, math.inf)
    to_a = np.where(two_way, to_a, math.inf)
    to_a_len = np.where(two_way, to_a_len, math.inf)
    key = np.where(interior, root * (n + 1) + hop.astype(np.int64), -1)

    # core graph: direct core-core edges plus one edge per chain direction
    core_nodes = np.flatnonzero(core)
    core_id = np.full(n, -1, dtype=np.int64)
    core_id[core_nodes] = np.arange(len(core_nodes))
    eu = np.repeat(nodes, np.diff(time.indptr))
    ev = np.asarray(time.indices, dtype=np.int64)
    direct = core[eu] & core[ev]
    tw_starts = starts[two_way[starts]]
    cu = np.concatenate([eu[direct], chain_a[starts], chain_b[tw_starts]])
    cv = np.concatenate([ev[direct], chain_b[starts], chain_a[tw_starts]])
    ct = np.concatenate([np.asarray(time.data)[direct], total[starts], back[tw_starts]])
    cl = np.concatenate([np.asarray(length.data)[direct], total_len[starts], back_len[tw_starts]])
    keep = cu != cv
    crev_t, crev_l = _csr_rev(
        core_id[cu[keep]], core_id[cv[keep]], ct[keep], cl[keep], len(core_nodes)
    )
    rev_rows = np.repeat(np.arange(len(core_nodes), dtype=np.int64), np.diff(crev_t.indptr))
    return Contraction(
        core=core,
        core_id=core_id,
        core_nodes=core_nodes,
        time_rev=crev_t,
        length_rev=crev_l,
        rev_rows=rev_rows,
        a=a,
        b=b,
        two_way=two_way,
        key=key,
        to_a=to_a,
        to_a_len=to_a_len,
        to_b=to_b,
        to_b_len=to_b_len,
        from_a=from_a,
        from_a_len=from_a_len,
        from_b=from_b,
        from_b_len=from_b_len,
    )

