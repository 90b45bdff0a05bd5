"""The nearest-source and pair searches on a contracted road graph.

:func:`nearest_source` runs a single Dijkstra on the contracted ("core") graph of
:mod:`coverage.network._contract` and recovers every interior node's time from the two
chain ends, so results equal a search on the full graph (up to float rounding of the
prefix sums); :func:`pair_times` does the same for every source × target pair within a
limit, and :func:`nearest_source_full` is the search on a graph not worth contracting.

Direction convention as in :mod:`coverage.network`: times run from a node **to** a source,
so the search runs from the sources on the transposed core graph.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.sparse.csgraph import dijkstra

from coverage.network._contract import Contraction, tree_sums

__all__ = ["nearest_source", "nearest_source_full", "pair_times"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


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
