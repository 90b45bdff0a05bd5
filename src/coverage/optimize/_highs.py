"""Thin wrapper around HiGHS (highspy): one sparse MILP in, solution and proven bound out."""

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

__all__ = [
    "CompactModel",
    "LpOutcome",
    "MilpOutcome",
    "compact_fixed",
    "gap_of",
    "new_highs",
    "solve_lp",
    "solve_milp",
]

logger = logging.getLogger(__name__)

MilpStatus = Literal["optimal", "gap_limit", "time_limit", "infeasible", "no_solution"]


@dataclass(frozen=True)
class MilpOutcome:
    """Raw outcome of one MILP solve.

    ``x`` is ``None`` when no feasible solution is known.  ``bound`` is the proven dual
    bound in the model's own sense (upper bound when maximizing).
    """

    x: np.ndarray | None
    objective: float
    bound: float
    gap: float
    status: MilpStatus
    seconds: float


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


def gap_of(objective: float, bound: float) -> float:
    """Relative gap ``|objective - bound| / max(|objective|, 1e-9)`` (0 when equal)."""
    if not np.isfinite(objective) or not np.isfinite(bound):
        return float("inf")
    diff = abs(objective - bound)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return diff / max(abs(objective), 1e-9)


def _highs_lp(
    c: np.ndarray,
    A: sp.spmatrix,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    maximize: bool,
    offset: float,
) -> highspy.HighsLp:
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
    """Optimal basic solution of an LP relaxation with its reduced costs.

    ``x`` is ``None`` unless HiGHS proved optimality.  ``reduced_cost`` is HiGHS's column
    dual: for a maximization, ``<= 0`` at a lower bound and ``>= 0`` at an upper bound.
    """

    x: np.ndarray | None
    objective: float
    reduced_cost: np.ndarray | None
    seconds: float


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
    optimal solution, so the reduced costs are exact at the optimum.
    """
    t0 = time.perf_counter()
    lp = _highs_lp(c, A, row_lower, row_upper, col_lower, col_upper, maximize, offset)
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
    return LpOutcome(
        np.asarray(sol.col_value, dtype=float),
        float(h.getInfo().objective_function_value),
        np.asarray(sol.col_dual, dtype=float),
        time.perf_counter() - t0,
    )


def solve_milp(
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
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    start: np.ndarray | None = None,
    threads: int | None = None,
    options: dict[str, float | int | bool | str] | None = None,
) -> MilpOutcome:
    """Solve ``opt c@x + offset  s.t.  row_lower <= A x <= row_upper, bounds, integrality``.

    Parameters
    ----------
    c, A, row_lower, row_upper, col_lower, col_upper
        The model; ``A`` is converted to CSC. Infinite bounds may be ``±inf``.
    integer
        Boolean mask of integer columns.
    maximize
        Maximize instead of minimize.
    offset
        Constant added to the objective.
    time_limit
        Seconds; ``None`` for no limit.
    mip_gap
        Relative MIP gap at which HiGHS may stop.
    start
        A feasible solution to warm-start from (passed with ``setSolution``).
    threads
        HiGHS threads (``None``: HiGHS default).
    options
        Extra HiGHS options (e.g. ``{"mip_heuristic_effort": 0.0}`` when a strong warm
        start is given).
    """
    t0 = time.perf_counter()
    has_int = bool(np.any(integer))
    lp = _highs_lp(c, A, row_lower, row_upper, col_lower, col_upper, maximize, offset)
    if has_int:
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
            for flag in integer
        ]
    h = new_highs()
    h.passModel(lp)
    if time_limit is not None:
        h.setOptionValue("time_limit", float(max(time_limit, 0.01)))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.setOptionValue("mip_abs_gap", 1e-9)
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    for key, value in (options or {}).items():
        h.setOptionValue(key, value)
    if start is not None and has_int:
        sol = highspy.HighsSolution()
        sol.col_value = np.asarray(start, dtype=float)
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    seconds = time.perf_counter() - t0
    ms = highspy.HighsModelStatus
    if status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
        return MilpOutcome(None, float("nan"), float("nan"), float("inf"), "infeasible", seconds)
    has_sol = info.primal_solution_status == highspy.kSolutionStatusFeasible
    if not has_sol:
        logger.info("HiGHS stopped (%s) without a feasible solution", h.modelStatusToString(status))
        return MilpOutcome(None, float("nan"), float("nan"), float("inf"), "no_solution", seconds)
    x = np.asarray(h.getSolution().col_value, dtype=float)
    obj = float(info.objective_function_value)
    bound = float(info.mip_dual_bound) if has_int else obj
    if not np.isfinite(bound):
        bound = obj if status == ms.kOptimal else (np.inf if maximize else -np.inf)
    gap = gap_of(obj, bound)
    if status == ms.kOptimal:
        st: MilpStatus = "optimal" if gap <= 1e-9 else "gap_limit"
    else:
        st = "time_limit"
    logger.debug("HiGHS %s obj=%.6g bound=%.6g gap=%.3g in %.2fs", st, obj, bound, gap, seconds)
    return MilpOutcome(x, obj, bound, gap, st, seconds)


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
