"""HiGHS instances and LP relaxations: a silent ``Highs``, a sparse model handed to it as
a ``HighsLp``, and LPs whose bound and reduced costs are recomputed from the row duals.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import time
from dataclasses import dataclass
from typing import Literal

import highspy
import numpy as np
import scipy.sparse as sp

__all__ = ["LpOutcome", "build_lp", "lp_dual_bound", "new_highs", "solve_lp"]

logger = logging.getLogger(__name__)


@functools.cache
def _swallow_banner() -> None:
    """Construct the process's first ``Highs`` with the C-level stdout sent to /dev/null.

    highspy prints a two-line banner ("Running HiGHS ...") from the constructor of the first
    ``Highs`` object of a process, before any option (``output_flag``) can be set.  HiGHS
    flushes after logging, so redirecting file descriptor 1 around that one construction
    is enough; later instances are silent once ``output_flag`` is false.
    """
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no usable stdout: nothing to protect
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def new_highs() -> highspy.Highs:
    """A silent ``Highs`` instance (no banner, ``output_flag`` false)."""
    _swallow_banner()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("log_to_console", False)
    return h


def build_lp(
    c: np.ndarray,
    A: sp.spmatrix,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    maximize: bool,
    offset: float,
) -> highspy.HighsLp:
    """The model as a ``HighsLp`` (``A`` in CSC; infinite bounds as HiGHS's infinity)."""
    n_col = int(c.size)
    A_csc = sp.csc_matrix(A, dtype=float)
    A_csc.sort_indices()
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = n_col
    lp.num_row_ = int(A_csc.shape[0])
    lp.col_cost_ = np.asarray(c, dtype=float)
    lp.col_lower_ = np.where(np.isinf(col_lower), -inf, col_lower).astype(float)
    lp.col_upper_ = np.where(np.isinf(col_upper), inf, col_upper).astype(float)
    lp.row_lower_ = np.where(np.isinf(row_lower), -inf, row_lower).astype(float)
    lp.row_upper_ = np.where(np.isinf(row_upper), inf, row_upper).astype(float)
    lp.offset_ = float(offset)
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A_csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A_csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = A_csc.data
    lp.a_matrix_.num_col_ = n_col
    lp.a_matrix_.num_row_ = int(A_csc.shape[0])
    return lp


@dataclass(frozen=True)
class LpOutcome:
    """Optimal basic solution of an LP relaxation with a bound and reduced costs checked in
    numpy.

    ``x`` is ``None`` unless HiGHS proved optimality.  ``objective`` is not HiGHS's claim
    but the Lagrangian bound of HiGHS's row duals ``y`` recomputed here
    (:func:`lp_dual_bound`): valid for *any* ``y``, and equal to the LP optimum (up to
    rounding) when ``y`` is optimal.  ``reduced_cost`` is ``c - A^T y`` for that ``y``: for
    a maximization ``<= 0`` at a lower bound and ``>= 0`` at an upper bound, and any
    solution moving a column off its bound loses ``|reduced_cost|`` against ``objective``
    (so reduced-cost fixing from these numbers is exact).  ``claimed`` is HiGHS's own
    objective.
    """

    x: np.ndarray | None
    objective: float
    reduced_cost: np.ndarray | None
    seconds: float
    claimed: float = float("nan")


def lp_dual_bound(
    *,
    c: np.ndarray,
    A: sp.spmatrix,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    y: np.ndarray,
    maximize: bool,
    offset: float = 0.0,
) -> tuple[float, np.ndarray]:
    """A proven bound on ``opt c@x + offset`` over the LP from any row multipliers ``y``.

    For a minimization and any ``y``: ``c@x = y@(A x) + d@x`` with ``d = c - A^T y``; over
    the box and row ranges each term is at least its value at the right end, so
    ``sum_i min(y_i l_i, y_i u_i) + sum_j min(d_j lo_j, d_j hi_j) + offset`` bounds every
    feasible ``x`` from below (from above for a maximization, with max).  Multipliers that
    would need an infinite row bound are set to 0 (still valid).  Returns ``(bound, d)``;
    the bound is ``∓inf`` when a column with an infinite bound has a nonzero ``d``.
    """
    sign = 1.0 if maximize else -1.0  # work on min(-c) for a maximization
    cc = -sign * np.asarray(c, dtype=float)
    yy = -sign * np.asarray(y, dtype=float)
    rl = np.asarray(row_lower, dtype=float)
    ru = np.asarray(row_upper, dtype=float)
    yy = np.where((yy > 0) & ~np.isfinite(rl), 0.0, yy)
    yy = np.where((yy < 0) & ~np.isfinite(ru), 0.0, yy)
    d = cc - sp.csr_matrix(A).T @ yy
    row = np.where(yy > 0, yy * np.where(np.isfinite(rl), rl, 0.0),
                   np.where(yy < 0, yy * np.where(np.isfinite(ru), ru, 0.0), 0.0))
    lo = np.asarray(col_lower, dtype=float)
    hi = np.asarray(col_upper, dtype=float)
    with np.errstate(invalid="ignore"):
        col = np.where(d > 0, d * lo, np.where(d < 0, d * hi, 0.0))
    bound = float(row.sum() + col.sum())
    if not np.isfinite(bound):
        bound = -np.inf
    return -sign * bound + float(offset), -sign * d


def solve_lp(
    *,
    c: np.ndarray,
    A: sp.spmatrix,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    maximize: bool = False,
    offset: float = 0.0,
    time_limit: float | None = None,
    method: Literal["simplex", "ipm"] = "simplex",
) -> LpOutcome:
    """Solve the LP ``opt c@x + offset  s.t.  row_lower <= A x <= row_upper, bounds``.

    Same arguments as :func:`solve_milp` without integrality, plus ``method``: dual
    simplex, or HiGHS's interior point method followed by crossover (much faster on large
    covering LPs, whose simplex runs are long and degenerate).  Both return a basic
    optimal solution.  The bound and reduced costs returned are recomputed from HiGHS's row
    duals (:func:`lp_dual_bound`), so they hold whatever HiGHS got wrong.
    """
    t0 = time.perf_counter()
    lp = build_lp(c, A, row_lower, row_upper, col_lower, col_upper, maximize, offset)
    h = new_highs()
    h.passModel(lp)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(max(time_limit, 0.01)))
    if method == "ipm":
        h.setOptionValue("solver", "ipm")
        h.setOptionValue("run_crossover", "on")
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return LpOutcome(None, float("nan"), None, time.perf_counter() - t0)
    sol = h.getSolution()
    claimed = float(h.getInfo().objective_function_value)
    y = np.asarray(sol.row_dual, dtype=float)
    kw = dict(c=c, A=A, row_lower=row_lower, row_upper=row_upper, col_lower=col_lower,
              col_upper=col_upper, maximize=maximize, offset=offset)
    # the bound is valid for either sign of y; HiGHS's convention gives the tight one
    b1, d1 = lp_dual_bound(**kw, y=y)
    b2, d2 = lp_dual_bound(**kw, y=-y)
    better = (b1 <= b2) if maximize else (b1 >= b2)
    bound, d = (b1, d1) if better else (b2, d2)
    if abs(bound - claimed) > 1e-6 * max(1.0, abs(claimed)):
        logger.info("LP: HiGHS claims %.12g, its duals prove %.12g", claimed, bound)
    return LpOutcome(np.asarray(sol.col_value, dtype=float), bound, d,
                     time.perf_counter() - t0, claimed)

