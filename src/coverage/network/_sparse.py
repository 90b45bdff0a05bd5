"""Sparse-matrix helpers shared by the graph builders: unique edges and their CSR."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

__all__ = ["csr", "dedupe_min"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def csr(u: IntArray, v: IntArray, data: FloatArray, n: int) -> sp.csr_array:
    """CSR from edges already unique per (u, v) and sorted by (u, v); keeps explicit zeros."""
    indptr = np.concatenate([[0], np.cumsum(np.bincount(u, minlength=n))])
    index_dtype = np.int32 if max(n, len(u)) < np.iinfo(np.int32).max else np.int64
    return sp.csr_array(
        (np.asarray(data, dtype=np.float64), v.astype(index_dtype), indptr.astype(index_dtype)),
        shape=(n, n),
    )


def dedupe_min(
    u: IntArray, v: IntArray, time: FloatArray, length: FloatArray
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """Keep, for each (u, v), the fastest parallel edge (ties: the shorter); sort by (u, v)."""
    order = np.lexsort((length, time, v, u))
    u, v, time, length = u[order], v[order], time[order], length[order]
    first = np.ones(len(u), dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    return u[first], v[first], time[first], length[first]

