"""Exact problem reductions for coverage models.

* :func:`merge_identical_rows` — demand rows with the same coverage set become one row whose
  weight is their sum (MCLP, LSCP).
* :func:`dominated_columns` — a candidate whose coverage set is contained in another allowed
  site's set at no lower cost can be dropped without losing optimality.

* :func:`reduced_cost_fixing` — binaries whose LP reduced cost proves that flipping them
  cannot beat the incumbent are fixed at their LP value.
* :func:`lagrangian_pmedian_fixing` — p-median sites closed or opened in every solution
  better than the incumbent, from a Lagrangian bound (subgradient), plus how often each
  site was chosen (the kernel of the p-median's restricted solve).

The first two keep every optimum: a solution of the reduced model maps back to a solution of the
original one with the same objective.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = [
    "LagrangianFixing",
    "dominated_columns",
    "lagrangian_pmedian_fixing",
    "merge_identical_rows",
    "reduced_cost_fixing",
]


def merge_identical_rows(
    coverage: sp.csr_matrix, weights: np.ndarray
) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Merge demand rows with identical coverage sets.

    Parameters
    ----------
    coverage
        Boolean CSR matrix (demand x sites) with sorted indices.
    weights
        Weight per demand row.

    Returns
    -------
    merged : scipy.sparse.csr_matrix
        One row per distinct coverage set.
    merged_weights : numpy.ndarray
        Summed weights per merged row.
    inverse : numpy.ndarray
        For each original row, the index of its merged row.
    """
    csr = sp.csr_matrix(coverage)
    csr.sort_indices()
    indptr, indices = csr.indptr, csr.indices
    keys: dict[bytes, int] = {}
    inverse = np.empty(csr.shape[0], dtype=np.int64)
    first: list[int] = []
    for i in range(csr.shape[0]):
        key = indices[indptr[i] : indptr[i + 1]].tobytes()
        k = keys.get(key)
        if k is None:
            k = len(first)
            keys[key] = k
            first.append(i)
        inverse[i] = k
    merged = csr[np.asarray(first, dtype=np.int64)]
    merged_w = np.bincount(inverse, weights=weights, minlength=len(first))
    return sp.csr_matrix(merged), merged_w, inverse


def dominated_columns(
    coverage: sp.spmatrix,
    cost: np.ndarray,
    *,
    removable: np.ndarray,
    dominators: np.ndarray,
) -> np.ndarray:
    """Find candidate columns dominated by another column.

    Column ``j`` is dominated by column ``k != j`` when ``cover(j) ⊆ cover(k)`` and
    ``cost[k] <= cost[j]``; among identical columns of equal cost the lowest index survives.
    Columns covering nothing are always dropped (the models allow fewer new sites and pad
    the selection afterwards).

    Parameters
    ----------
    coverage
        Boolean matrix (demand x sites).
    cost
        Cost per site.
    removable
        Mask of columns that may be dropped (free, not forced, not needed by a quota).
    dominators
        Mask of columns that may dominate (any column that can be open).

    Returns
    -------
    numpy.ndarray
        Boolean mask of dominated (droppable) columns.
    """
    csc = sp.csc_matrix(coverage, dtype=np.int32)
    size = np.diff(csc.indptr)
    n = csc.shape[1]
    inter = (csc.T @ csc).tocoo()
    j, k, v = inter.row, inter.col, inter.data
    keep = (j != k) & (v == size[j]) & removable[j] & dominators[k] & (cost[k] <= cost[j])
    j, k = j[keep], k[keep]
    # equal sets and equal cost: only the higher index is dominated
    tie = (size[j] == size[k]) & (cost[k] == cost[j])
    ok = ~tie | (k < j)
    out = np.zeros(n, dtype=bool)
    out[j[ok]] = True
    # empty columns never add coverage (every model here allows fewer new sites and pads)
    out |= (size == 0) & removable
    return out


def reduced_cost_fixing(
    x: np.ndarray,
    reduced_cost: np.ndarray,
    lp_bound: float,
    incumbent: float,
    *,
    integer: np.ndarray,
    maximize: bool,
    rel_tol: float = 1e-7,
) -> tuple[np.ndarray, np.ndarray]:
    """Binaries that an LP optimum's reduced costs fix (classical reduced-cost fixing).

    For a maximization with LP optimum ``U`` and a binary ``x_j`` at a bound with reduced
    cost ``d_j``, every solution with ``x_j`` moved to the other bound has objective at most
    ``U - |d_j|`` (the LP dual stays feasible).  When that is below the incumbent (by a
    relative tolerance), no solution better than the incumbent moves ``x_j``: it is fixed.
    The incumbent itself must be kept as a candidate answer by the caller.

    Parameters
    ----------
    x, reduced_cost
        Optimal basic LP solution and its reduced costs (HiGHS ``col_dual``).
    lp_bound, incumbent
        LP optimum and the best known integer objective.
    integer
        Mask of binary columns (others are never fixed).
    maximize
        Objective sense.
    rel_tol
        Safety margin relative to ``max(1, |incumbent|)``.

    Returns
    -------
    at_zero, at_one : numpy.ndarray
        Masks of columns fixed to 0 and to 1.
    """
    if not maximize:
        lp_bound, incumbent, reduced_cost = -lp_bound, -incumbent, -reduced_cost
    margin = rel_tol * max(1.0, abs(incumbent))
    limit = lp_bound - incumbent + margin  # a flip costing more than this cannot pay
    at_zero = integer & (x <= 1e-9) & (-reduced_cost > limit)
    at_one = integer & (x >= 1.0 - 1e-9) & (reduced_cost > limit)
    return at_zero, at_one


@dataclass(frozen=True)
class LagrangianFixing:
    """Outcome of :func:`lagrangian_pmedian_fixing`.

    Attributes
    ----------
    bound
        Best Lagrangian lower bound found.
    closed, opened
        Masks of choosable sites fixed closed and fixed open in every solution better
        than the incumbent.
    multipliers
        Multipliers ``u`` of the best bound (a warm start for a later pass).
    chosen_share
        Per site, the share of iterations in which the Lagrangian subproblem opened it:
        the sites a good solution is likely to use (a "kernel" for a restricted solve).
    """

    bound: float
    closed: np.ndarray
    opened: np.ndarray
    multipliers: np.ndarray
    chosen_share: np.ndarray


def lagrangian_pmedian_fixing(
    C: np.ndarray,
    always_open: np.ndarray,
    choosable: np.ndarray,
    n_choose: int,
    incumbent: float,
    u0: np.ndarray,
    *,
    iterations: int = 1000,
    rel_tol: float = 1e-7,
    keep: int | None = None,
    time_limit: float | None = None,
) -> LagrangianFixing:
    """Lagrangian bound and variable fixing for the p-median (Beasley 1993 style).

    Relaxing the assignment rows ``sum_j x_ij = 1`` with multipliers ``u_i`` gives::

        L(u) = sum_i u_i + sum_{j open} rho_j,   rho_j = sum_i min(0, C_ij - u_i)

    where the open sites are ``always_open`` plus the ``n_choose`` choosable sites of
    smallest ``rho``.  Every ``L(u)`` is a lower bound.  A choosable site ``j`` outside
    that choice gives every solution opening it a bound ``L + rho_j - rho_(k)`` (``rho_(k)``
    the largest chosen value): when this exceeds the incumbent, ``j`` is closed in every
    better solution.  Symmetrically a chosen site is fixed open when ``L - rho_j +
    rho_(k+1)`` exceeds the incumbent.  Multipliers follow the subgradient method
    (Held-Wolfe-Crowder step ``lambda (incumbent - L) / |g|^2``, ``lambda`` halved after 30
    iterations without improvement); fixings found at any iterate are valid and are
    accumulated.

    With ``keep`` only the ``keep`` cheapest sites of each row enter the iterations and
    ``u_i`` is capped at the largest kept cost ``U_i``: a dropped entry then has
    ``C_ij >= U_i >= u_i`` and contributes nothing, so every ``L(u)`` is still exact and
    the fixings stay valid, on ``n x keep`` numbers instead of ``n x m``.

    Parameters
    ----------
    C
        Weighted costs ``w_i d_ij`` (rows with positive weight, all finite).
    always_open
        Mask of sites open in every solution (existing and forced sites).
    choosable
        Mask of sites the solver may still choose.
    n_choose
        Number of choosable sites to open.
    incumbent
        Objective of the best known solution (kept as a candidate answer by the caller).
    u0
        Starting multipliers, e.g. each row's cost in the incumbent.
    iterations
        Subgradient iterations.
    rel_tol
        Safety margin relative to ``max(1, |incumbent|)``.
    keep
        Cheapest sites kept per row (``None``: all; for large matrices).
    time_limit
        Seconds after which the iterations stop (the best bound so far is returned).

    Returns
    -------
    LagrangianFixing
        Bound, fixings, the best multipliers and how often each site was chosen.
    """
    t0 = time.perf_counter()
    m = C.shape[1]
    closed = np.zeros(m, dtype=bool)
    opened = np.zeros(m, dtype=bool)
    cand = np.nonzero(choosable)[0]
    cols: np.ndarray | None = None
    vals, cap = C, np.full(C.shape[0], np.inf)
    if keep is not None and keep < m:
        kept = np.argpartition(C, keep - 1, axis=1)[:, :keep]
        vals = np.take_along_axis(C, kept, axis=1)
        cap = vals.max(axis=1)
        flat_cols = kept.ravel()
        cols = kept
    u = np.minimum(np.asarray(u0, dtype=float), cap)
    times_chosen = np.zeros(m)
    if n_choose <= 0 or n_choose >= cand.size:
        return LagrangianFixing(-np.inf, closed, opened, u, times_chosen)
    base = np.nonzero(always_open)[0]
    margin = rel_tol * max(1.0, abs(incumbent))
    best = -np.inf
    best_u = u.copy()
    step, stall = 2.0, 0
    n_iter = 0
    is_open = np.zeros(m, dtype=bool)
    for _ in range(iterations):
        n_iter += 1
        red = np.minimum(vals - u[:, None], 0.0)
        if cols is None:
            rho = red.sum(axis=0)
        else:
            rho = np.bincount(flat_cols, weights=red.ravel(), minlength=m)
        rc = rho[cand]
        order = np.argpartition(rc, n_choose)
        chosen = cand[order[:n_choose]]
        kth = float(rc[order[:n_choose]].max())
        nxt = float(rc[order[n_choose:]].min())
        bound = float(u.sum() + rho[base].sum() + rho[chosen].sum())
        times_chosen[chosen] += 1.0
        limit = incumbent + margin
        closed[cand[bound + rc - kth > limit]] = True
        opened[chosen[bound - rho[chosen] + nxt > limit]] = True
        if bound > best + margin:
            best, stall = bound, 0
            best_u = u.copy()
        else:
            stall += 1
            if stall >= 30:
                step, stall = step / 2, 0
        if best >= incumbent - margin or step < 1e-4:
            break
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            break
        is_open[:] = False
        is_open[base] = True
        is_open[chosen] = True
        if cols is None:
            g = 1.0 - (red[:, is_open] < 0).sum(axis=1)
        else:
            g = 1.0 - ((red < 0) & is_open[cols]).sum(axis=1)
        norm = float(g @ g)
        if norm == 0.0:
            break
        u = np.minimum(u + step * (incumbent - bound) / norm * g, cap)
    # a site both closed and opened would mean no solution beats the incumbent at all
    both = closed & opened
    closed &= ~both
    opened &= ~both
    return LagrangianFixing(best, closed, opened, best_u, times_chosen / max(n_iter, 1))

