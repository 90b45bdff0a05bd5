"""A MILP with its fixed columns substituted out, before HiGHS sees it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["CompactModel", "compact_fixed"]


@dataclass(frozen=True)
class CompactModel:
    """A MILP with its fixed columns substituted out and its emptied rows dropped.

    ``model`` holds the keyword arguments of :func:`solve_milp` (without options);
    :meth:`expand` maps a solution of the compact model back to the full column space.
    """

    model: dict[str, object]
    keep: np.ndarray
    fixed_values: np.ndarray

    def expand(self, x: np.ndarray) -> np.ndarray:
        """Full-length solution: fixed columns at their values, the rest from ``x``."""
        full = self.fixed_values.copy()
        full[self.keep] = x
        return full


def compact_fixed(
    *,
    c: np.ndarray,
    A: sp.spmatrix,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    integer: np.ndarray,
    maximize: bool = False,
    offset: float = 0.0,
) -> CompactModel:
    """Substitute the columns with ``col_lower == col_upper`` and drop rows left empty.

    Done before handing HiGHS a model after our own reductions (reduced-cost fixing), so
    that its presolve, which would do the same, can be switched off.  Rows left without a
    free column are dropped when the fixed values satisfy them (checked with a tolerance;
    a violated row is kept).
    """
    A_csc = sp.csc_matrix(A, dtype=float)
    fixed = np.asarray(col_lower == col_upper)
    keep = np.nonzero(~fixed)[0]
    values = np.where(fixed, col_lower, 0.0).astype(float)
    const = A_csc @ values
    lo = row_lower - const
    hi = row_upper - const
    A_keep = A_csc[:, keep].tocsr()
    tol = 1e-9 * np.maximum(1.0, np.abs(const))
    # an emptied row is dropped only when the fixed values satisfy it; a violated one is
    # kept, so that HiGHS reports the model infeasible instead of it being lost here
    live = (np.diff(A_keep.indptr) > 0) | (lo > tol) | (hi < -tol)
    model: dict[str, object] = dict(
        c=np.asarray(c, dtype=float)[keep],
        A=A_keep[live],
        row_lower=lo[live],
        row_upper=hi[live],
        col_lower=np.asarray(col_lower, dtype=float)[keep],
        col_upper=np.asarray(col_upper, dtype=float)[keep],
        integer=np.asarray(integer)[keep],
        maximize=maximize,
        offset=float(offset + np.asarray(c, dtype=float) @ values),
    )
    return CompactModel(model=model, keep=keep, fixed_values=values)
