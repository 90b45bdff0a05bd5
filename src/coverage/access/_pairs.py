"""Numeric helpers shared by the access computations: straight lines and travel pairs."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from coverage.access.context import Stacked
from coverage.network import AttachedPoints, travel_matrix

__all__ = ["column", "label_of", "straight_line", "travel_pairs"]

FloatArray = NDArray[np.float64]


def column(frame: pd.DataFrame, name: str | None) -> FloatArray:
    if name is None or name not in frame:
        return np.full(len(frame), np.nan)
    return np.asarray(pd.to_numeric(frame[name], errors="coerce"), dtype=np.float64)


def straight_line(
    points: Stacked, sites: pd.DataFrame, demand: pd.DataFrame
) -> tuple[FloatArray, NDArray[np.int64]]:
    if not len(sites) or not len(demand):
        return np.full(len(demand), np.nan), np.full(len(demand), -1, dtype=np.int64)
    s = sites["_global"].to_numpy()
    d = demand["_global"].to_numpy()
    tree = cKDTree(np.column_stack([points.x[s], points.y[s]]))
    dist, idx = tree.query(np.column_stack([points.x[d], points.y[d]]))
    return np.asarray(dist, dtype=np.float64), np.asarray(idx, dtype=np.int64)


def label_of(sites: pd.DataFrame, idx: NDArray[np.int64], column: str) -> pd.Series:
    values = sites[column].to_numpy(dtype=object) if len(sites) else np.zeros(0, dtype=object)
    out = np.full(len(idx), None, dtype=object)
    ok = idx >= 0
    out[ok] = values[idx[ok]]
    return pd.Series(out, dtype="string")


def travel_pairs(
    attached: Mapping[str, AttachedPoints],
    points: Stacked,
    sites: pd.DataFrame,
    demand: pd.DataFrame,
    modes: NDArray[np.object_],
    threshold_s: FloatArray,
    line_speed_ms: Mapping[str, float],
) -> sp.csr_array:
    """Sites × demand times (s) within each demand point's threshold, per its mode."""
    shape = (len(sites), len(demand))
    blocks = []
    for mode in ("walk", "drive"):
        cols = np.flatnonzero(modes == mode)
        if not cols.size or not len(sites):
            continue
        limit = float(threshold_s[cols].max())
        s_glob = sites["_global"].to_numpy()
        d_glob = demand["_global"].to_numpy()[cols]
        if mode in attached:
            att = attached[mode]
            mat = travel_matrix(
                att.graph, sources=att.node[s_glob], targets=att.node[d_glob], limit_s=limit,
                with_distance=False,
            ).time_s.tocoo()
            r, c, t = mat.row, mat.col, mat.data
        else:
            tree_s = cKDTree(np.column_stack([points.x[s_glob], points.y[s_glob]]))
            tree_d = cKDTree(np.column_stack([points.x[d_glob], points.y[d_glob]]))
            dm = tree_s.sparse_distance_matrix(
                tree_d, limit * line_speed_ms[mode], output_type="ndarray"
            )  # keeps zero distances (a site at the demand point)
            r, c, t = dm["i"], dm["j"], dm["v"] / line_speed_ms[mode]
        blocks.append((np.asarray(r), cols[np.asarray(c, dtype=np.int64)], np.asarray(t)))
    if not blocks:
        return sp.csr_array(shape)
    r = np.concatenate([b[0] for b in blocks])
    c = np.concatenate([b[1] for b in blocks])
    t = np.concatenate([b[2] for b in blocks])
    return sp.csr_array(sp.coo_array((t, (r, c)), shape=shape).tocsr(copy=False))
