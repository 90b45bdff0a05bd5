"""Exact chain contraction and the nearest-source search on the contracted graph.

Road graphs from OSM carry many intermediate nodes along curvy roads: nodes with two
neighbours that only bend the line. :func:`contract` removes them once per graph (as
osmnx's ``simplify_graph`` does), keeping for each removed ("interior") node where it lies
on its chain and the exact along-chain times and lengths to both chain ends.
:func:`nearest_source` then runs a single Dijkstra on the contracted ("core") graph and
recovers every interior node's time from the two chain ends, so results equal a search on
the full graph (up to float rounding of the prefix sums).

A node is *interior* when it has exactly two distinct neighbours and either both edges
are two-way (in- and out-degree 2) or it is passed through by a one-way road (in- and
out-degree 1, from one neighbour to the other). Everything else — junctions, dead ends,
direction changes — is *core*. A chain is a maximal path of interior nodes between its
core ends ``a`` (tail) and ``b`` (head); along it every edge is two-way, or every edge is
one-way from ``a`` to ``b``. A closed loop of interior nodes gets one node promoted to core.

Direction convention as in :mod:`coverage.network`: times run from a node **to** a source,
so the search runs from the sources on the transposed core graph.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import breadth_first_order, connected_components, dijkstra

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


def nearest_source_full(
    time_rev: sp.csr_array,
    length_rev: sp.csr_array,
    sources: IntArray,
    targets: IntArray,
    limit: float,
) -> tuple[FloatArray, FloatArray, IntArray]:
    """:func:`nearest_source` on an uncontracted graph: one ``min_only`` Dijkstra.

    Parameters
    ----------
    time_rev, length_rev
        The transposed graph.
    sources, targets, limit
        As for :func:`nearest_source`.

    Returns
    -------
    time, length, source
        As for :func:`nearest_source`.
    """
    n = time_rev.shape[0]
    dist, pred, origin = dijkstra(
        time_rev,
        directed=True,
        indices=sources,
        return_predecessors=True,
        limit=limit,
        min_only=True,
    )
    pred = np.asarray(pred, dtype=np.int64)
    cols = np.asarray(time_rev.indices, dtype=np.int64)
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(time_rev.indptr))
    tree = pred[cols] == rows  # the shortest-path tree's edges (no parallel edges)
    step = np.zeros(n)
    step[cols[tree]] = np.asarray(length_rev.data)[tree]
    length, _ = tree_sums(pred, step)
    reached = np.isfinite(dist)
    length[~reached] = math.inf
    node_to_pos = np.full(n, -1, dtype=np.int64)
    node_to_pos[sources[::-1]] = np.arange(len(sources) - 1, -1, -1)
    org = origin[targets]
    source = np.where(org >= 0, node_to_pos[np.maximum(org, 0)], -1)
    return dist[targets], length[targets], source


def nearest_source(
    con: Contraction, sources: IntArray, targets: IntArray, limit: float
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Time, route length and nearest source from each target, on a contracted graph.

    One :func:`scipy.sparse.csgraph.dijkstra` from a virtual node linked to the core
    nodes nearest each source: at zero cost to a core source, at the along-chain cost to
    the chain ends of an interior source. Interior targets then take the best of leaving
    their chain through ``a``, through ``b``, or reaching a source on their own chain.

    Parameters
    ----------
    con
        The contracted graph.
    sources
        Full-graph nodes (all valid, ≥ 0).
    targets
        Full-graph nodes (all valid, ≥ 0).
    limit
        Results above this time are ``inf`` (and source -1).

    Returns
    -------
    time, length, source
        Per target; ``source`` is a position in ``sources`` (the first, for repeated
        nodes), -1 when no source is within reach.
    """
    k = con.n_core
    pos = np.arange(len(sources), dtype=np.int64)
    on_core = con.core[sources]
    # virtual edges: (core node, time, length, source position)
    s_in = sources[~on_core]
    p_in = pos[~on_core]
    tw = con.two_way[s_in]
    v_node = np.concatenate([sources[on_core], con.a[s_in], con.b[s_in[tw]]])
    v_time = np.concatenate([np.zeros(int(on_core.sum())), con.from_a[s_in], con.from_b[s_in[tw]]])
    v_len = np.concatenate(
        [np.zeros(int(on_core.sum())), con.from_a_len[s_in], con.from_b_len[s_in[tw]]]
    )
    v_pos = np.concatenate([pos[on_core], p_in, p_in[tw]])
    order = np.lexsort((v_pos, v_time, v_node))
    v_node, v_time, v_len, v_pos = v_node[order], v_time[order], v_len[order], v_pos[order]
    first = np.ones(len(v_node), dtype=bool)
    first[1:] = v_node[1:] != v_node[:-1]
    v_node, v_time, v_len, v_pos = v_node[first], v_time[first], v_len[first], v_pos[first]
    v_core = con.core_id[v_node]

    rev = con.time_rev
    graph = sp.csr_array(
        (
            np.concatenate([rev.data, v_time]),
            np.concatenate([rev.indices, v_core.astype(rev.indices.dtype)]),
            np.concatenate([rev.indptr, [rev.indptr[-1] + len(v_core)]]),
        ),
        shape=(k + 1, k + 1),
    )
    dist, pred = dijkstra(graph, directed=True, indices=k, return_predecessors=True, limit=limit)
    dist, pred = dist[:k], np.asarray(pred[:k], dtype=np.int64)
    # route lengths and origins along the shortest-path tree; the virtual node's children
    # are the roots, carrying the along-chain length and position of their source
    cols = np.asarray(rev.indices, dtype=np.int64)
    tree = pred[cols] == con.rev_rows
    step = np.zeros(k)
    step[cols[tree]] = np.asarray(con.length_rev.data)[tree]
    off_len = np.zeros(k)
    off_pos = np.full(k, -1, dtype=np.int64)
    off_len[v_core] = v_len
    off_pos[v_core] = v_pos
    step += np.where(pred == k, off_len, 0.0)
    parent = np.where(pred == k, -1, pred)
    core_len, root = tree_sums(parent, step)
    reached = np.isfinite(dist)
    core_len[~reached] = math.inf
    core_src = np.where(reached, off_pos[root], -1)

    time_t = np.full(len(targets), math.inf)
    len_t = np.full(len(targets), math.inf)
    src_t = np.full(len(targets), -1, dtype=np.int64)
    t_core = con.core[targets]
    cid = con.core_id[targets[t_core]]
    time_t[t_core], len_t[t_core], src_t[t_core] = dist[cid], core_len[cid], core_src[cid]

    x = targets[~t_core]
    if x.size:
        ca, cb = con.core_id[con.a[x]], con.core_id[con.b[x]]
        cand_t = [con.to_a[x] + dist[ca], con.to_b[x] + dist[cb]]
        cand_l = [con.to_a_len[x] + core_len[ca], con.to_b_len[x] + core_len[cb]]
        cand_s = [core_src[ca], core_src[cb]]
        # sources on the same chain: the next one towards b, the previous one towards a
        s_key = con.key[s_in]
        s_order = np.argsort(s_key, kind="stable")
        s_key, s_node, s_pos = s_key[s_order], s_in[s_order], p_in[s_order]
        chain_of = con.key[x] // (len(con.core) + 1)
        if s_key.size:
            i = np.searchsorted(s_key, con.key[x], side="left")
            j = np.minimum(i, len(s_key) - 1)
            ok = (i < len(s_key)) & (s_key[j] // (len(con.core) + 1) == chain_of)
            sj = s_node[j]
            cand_t.append(np.where(ok, con.from_a[sj] - con.from_a[x], math.inf))
            cand_l.append(np.where(ok, con.from_a_len[sj] - con.from_a_len[x], math.inf))
            cand_s.append(np.where(ok, s_pos[j], -1))
            i = np.searchsorted(s_key, con.key[x], side="right") - 1
            j = np.maximum(i, 0)
            ok = (i >= 0) & (s_key[j] // (len(con.core) + 1) == chain_of) & con.two_way[x]
            sj = s_node[j]
            with np.errstate(invalid="ignore"):  # inf - inf on one-way chains, masked
                cand_t.append(np.where(ok, con.to_a[x] - con.to_a[sj], math.inf))
                cand_l.append(np.where(ok, con.to_a_len[x] - con.to_a_len[sj], math.inf))
            cand_s.append(np.where(ok, s_pos[j], -1))
        ts = np.stack(cand_t)
        best = np.argmin(ts, axis=0)
        col = np.arange(len(x))
        time_t[~t_core] = ts[best, col]
        len_t[~t_core] = np.stack(cand_l)[best, col]
        src_t[~t_core] = np.stack(cand_s)[best, col]
    beyond = ~np.isfinite(time_t) | (time_t > limit)
    time_t[beyond] = math.inf
    len_t[beyond] = math.inf
    src_t[beyond] = -1
    return time_t, len_t, src_t


def _same_chain_pairs(
    con: Contraction, sources: IntArray, targets: IntArray
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """Along-chain routes between interior sources and targets on the same chain.

    Returns ``(source position, target position, time, length)`` for every such pair the
    chain itself connects: towards ``b`` always, towards ``a`` on two-way chains only.
    """
    n1 = len(con.core) + 1
    s_pos = np.flatnonzero(~con.core[sources])
    t_pos = np.flatnonzero(~con.core[targets])
    empty = np.zeros(0, dtype=np.int64)
    if not (s_pos.size and t_pos.size):
        return empty, empty, np.zeros(0), np.zeros(0)
    s_chain = con.key[sources[s_pos]] // n1
    order = np.argsort(s_chain, kind="stable")
    s_pos, s_chain = s_pos[order], s_chain[order]
    t_chain = con.key[targets[t_pos]] // n1
    lo = np.searchsorted(s_chain, t_chain, side="left")
    hi = np.searchsorted(s_chain, t_chain, side="right")
    count = hi - lo
    col = np.repeat(t_pos, count)
    start = np.repeat(lo - np.cumsum(count) + count, count)
    row = s_pos[start + np.arange(int(count.sum()))]
    s, x = sources[row], targets[col]
    ahead = con.key[s] >= con.key[x]  # the source lies towards b (or is the target)
    back = ~ahead & con.two_way[x]
    time = np.full(len(row), math.inf)
    length = np.full(len(row), math.inf)
    time[ahead] = con.from_a[s[ahead]] - con.from_a[x[ahead]]
    length[ahead] = con.from_a_len[s[ahead]] - con.from_a_len[x[ahead]]
    time[back] = con.to_a[x[back]] - con.to_a[s[back]]
    length[back] = con.to_a_len[x[back]] - con.to_a_len[s[back]]
    ok = ahead | back
    return row[ok], col[ok], time[ok], length[ok]


def pair_times(
    con: Contraction,
    sources: IntArray,
    targets: IntArray,
    limit: float,
    *,
    with_length: bool = True,
    max_bytes: int = 256 * 2**20,
) -> tuple[IntArray, IntArray, FloatArray, FloatArray | None]:
    """Every source × target pair within ``limit``, on a contracted graph.

    Each source gets a virtual node on the transposed core graph, linked at zero cost to
    itself when it is a core node, else at the along-chain costs to its chain ends; one
    :func:`scipy.sparse.csgraph.dijkstra` with ``limit`` then runs from a chunk of these
    virtual nodes at a time. Interior targets take the best of leaving their chain through
    ``a``, through ``b``, or reaching a source on their own chain directly, as in
    :func:`nearest_source`, so times equal a search on the full graph.

    Parameters
    ----------
    con
        The contracted graph.
    sources, targets
        Full-graph nodes (all valid, ≥ 0; repeats allowed).
    limit
        Keep the pairs with a finite time ≤ ``limit`` (seconds; may be ``inf``).
    with_length
        Also return the length of each fastest route (costs the predecessor arrays).
    max_bytes
        Memory budget for one chunk of dense per-source rows.

    Returns
    -------
    row, col
        Positions in ``sources`` and ``targets`` of the pairs within the limit, sorted by
        row then column.
    time
        Time from target ``col`` to source ``row``.
    length
        Length of that fastest route; None unless ``with_length``.
    """
    k = con.n_core
    m = len(sources)
    idx = np.arange(m, dtype=np.int64)
    on_core = con.core[sources]
    s_in, i_in = sources[~on_core], idx[~on_core]
    tw = con.two_way[s_in]
    # virtual edges (source position, core node, time, length); fastest first per pair
    e_src = np.concatenate([idx[on_core], i_in, i_in[tw]])
    e_node = con.core_id[np.concatenate([sources[on_core], con.a[s_in], con.b[s_in[tw]]])]
    e_time = np.concatenate([np.zeros(int(on_core.sum())), con.from_a[s_in], con.from_b[s_in[tw]]])
    e_len = np.concatenate(
        [np.zeros(int(on_core.sum())), con.from_a_len[s_in], con.from_b_len[s_in[tw]]]
    )
    order = np.lexsort((e_len, e_time, e_node, e_src))
    e_src, e_node, e_time, e_len = e_src[order], e_node[order], e_time[order], e_len[order]
    first = np.ones(len(e_src), dtype=bool)
    first[1:] = (e_src[1:] != e_src[:-1]) | (e_node[1:] != e_node[:-1])
    e_src, e_node, e_time, e_len = e_src[first], e_node[first], e_time[first], e_len[first]

    rev = con.time_rev
    n_all = k + m
    indptr = np.concatenate(
        [rev.indptr, rev.indptr[-1] + np.cumsum(np.bincount(e_src, minlength=m))]
    )
    index_dtype = np.int32 if max(n_all, len(indptr)) < np.iinfo(np.int32).max else np.int64
    indices = np.concatenate([rev.indices, e_node]).astype(index_dtype)
    indptr = indptr.astype(index_dtype)
    search = sp.csr_array(
        (np.concatenate([rev.data, e_time]), indices, indptr), shape=(n_all, n_all)
    )
    edge_len = np.concatenate([con.length_rev.data, e_len])
    edge_row = np.repeat(np.arange(n_all, dtype=np.int64), np.diff(indptr))
    edge_col = np.asarray(indices, dtype=np.int64)

    t_core = con.core[targets]
    tc = np.flatnonzero(t_core)
    tc_id = con.core_id[targets[tc]]
    ti = np.flatnonzero(~t_core)
    x = targets[ti]
    xa, xb = con.core_id[con.a[x]], con.core_id[con.b[x]]
    d_row, d_col, d_time, d_len = _same_chain_pairs(con, sources, targets)

    # dense bytes per source row: distances, targets' times (and predecessors, tree-edge
    # look-up, steps and sums, targets' lengths)
    per_row = n_all * 8 + len(targets) * 16
    if with_length:
        per_row += n_all * 24 + len(edge_col) * 9 + len(targets) * 8
    chunk = max(1, int(max_bytes // per_row))
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    times: list[FloatArray] = []
    lengths: list[FloatArray] = []
    for lo in range(0, m, chunk):
        pos = idx[lo : lo + chunk]
        if with_length:
            dist, pred = dijkstra(
                search, directed=True, indices=k + pos, limit=limit, return_predecessors=True
            )
        else:
            dist = dijkstra(search, directed=True, indices=k + pos, limit=limit)
        c = len(pos)
        t = np.empty((c, len(targets)))
        t[:, tc] = dist[:, tc_id]
        via_a = con.to_a[x] + dist[:, xa]
        via_b = con.to_b[x] + dist[:, xb]
        t[:, ti] = np.minimum(via_a, via_b)
        if with_length:
            # route lengths along each row's shortest-path tree (virtual roots: length 0)
            pred = np.asarray(pred, dtype=np.int64)
            tree_r, tree_e = np.nonzero(pred[:, edge_col] == edge_row)
            step = np.zeros((c, n_all))
            step[tree_r, edge_col[tree_e]] = edge_len[tree_e]
            offset = (np.arange(c, dtype=np.int64) * n_all)[:, None]
            parent = np.where(pred >= 0, pred + offset, -1).reshape(-1)
            core_len = tree_sums(parent, step.reshape(-1))[0].reshape(c, n_all)
            ln = np.empty((c, len(targets)))
            ln[:, tc] = core_len[:, tc_id]
            ln[:, ti] = np.where(
                via_b < via_a,
                con.to_b_len[x] + core_len[:, xb],
                con.to_a_len[x] + core_len[:, xa],
            )
        in_chunk = (d_row >= lo) & (d_row < lo + c)
        if in_chunk.any():
            r, cc = d_row[in_chunk] - lo, d_col[in_chunk]
            better = d_time[in_chunk] < t[r, cc]
            t[r[better], cc[better]] = d_time[in_chunk][better]
            if with_length:
                ln[r[better], cc[better]] = d_len[in_chunk][better]
        rr, cc = np.nonzero(np.isfinite(t) & (t <= limit))
        rows.append(pos[rr])
        cols.append(cc)
        times.append(t[rr, cc])
        if with_length:
            lengths.append(ln[rr, cc])
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    time = np.concatenate(times) if times else np.zeros(0)
    length = (np.concatenate(lengths) if lengths else np.zeros(0)) if with_length else None
    return row, col, time, length
