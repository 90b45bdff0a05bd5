"""Thin wrapper around HiGHS (highspy): one sparse MILP in, a checked solution and bound out.

Trust but verify: every solution HiGHS returns is rechecked in numpy against the model as
built (bounds, integrality, rows) and its objective recomputed (:func:`check_solution`);
``optimal`` is reported only when HiGHS says so, the check passes, the recomputed objective
is the one HiGHS claims and it equals HiGHS's ``mip_dual_bound``.
"""

from __future__ import annotations

import dataclasses
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

from coverage.optimize.results import StopReason

__all__ = [
    "CompactModel",
    "LpOutcome",
    "MilpOutcome",
    "SolutionCheck",
    "check_solution",
    "compact_fixed",
    "gap_of",
    "lp_dual_bound",
    "new_highs",
    "solve_lp",
    "solve_milp",
]

logger = logging.getLogger(__name__)

MilpStatus = Literal["optimal", "feasible", "infeasible", "no_solution"]


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


_FEAS_TOL = 1e-6
"""Absolute feasibility tolerance of the solution check (HiGHS's ``mip_feasibility_tolerance``
default), scaled by ``max(1, |bound|)`` for rows and column bounds."""

_OBJ_TOL = 1e-9
"""Relative tolerance between HiGHS's claimed objective and the one recomputed from its
solution vector (both are sums of the same products; a real mismatch is a whole cost)."""


@dataclass(frozen=True)
class SolutionCheck:
    """Result of :func:`check_solution`.

    Attributes
    ----------
    feasible
        Whether every bound, integrality requirement and row holds within the tolerance.
    objective
        ``c @ x + offset`` with integer columns rounded (the value of the checked solution).
    raw_objective
        ``c @ x + offset`` of the vector as given (comparable to the solver's claim).
    violation
        Largest violation found (0 when feasible).
    where
        What the largest violation is (e.g. ``"row 12"``), empty when feasible.
    x
        The checked vector with integer columns rounded to integers.
    """

    feasible: bool
    objective: float
    raw_objective: float
    violation: float
    where: str
    x: np.ndarray


def check_solution(
    x: np.ndarray,
    *,
    c: np.ndarray,
    A: sp.spmatrix,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    integer: np.ndarray,
    offset: float = 0.0,
    tol: float = _FEAS_TOL,
) -> SolutionCheck:
    """Check a MILP solution against the model as built, in numpy.

    Every column bound, every integrality requirement and every row is rechecked with the
    absolute tolerance ``tol`` scaled by ``max(1, |bound|)``; the objective is recomputed.

    Parameters
    ----------
    x
        Candidate solution (one value per column).
    c, A, row_lower, row_upper, col_lower, col_upper, integer, offset
        The model, as passed to :func:`solve_milp`.
    tol
        Absolute feasibility tolerance.

    Returns
    -------
    SolutionCheck
    """
    x = np.asarray(x, dtype=float)
    c = np.asarray(c, dtype=float)
    raw = float(c @ x) + float(offset) if x.size else float(offset)
    worst, where = 0.0, ""
    if x.shape != c.shape or not np.isfinite(x).all():
        return SolutionCheck(False, float("nan"), raw, float("inf"), "shape or non-finite values",
                             x)
    integer = np.asarray(integer, dtype=bool)
    xr = x.copy()
    frac = np.abs(x[integer] - np.round(x[integer]))
    if frac.size and frac.max() > tol:
        k = int(np.argmax(frac))
        worst, where = float(frac[k]), f"column {int(np.nonzero(integer)[0][k])} integrality"
    xr[integer] = np.round(x[integer]) + 0.0  # no -0.0
    lo = np.asarray(col_lower, dtype=float)
    hi = np.asarray(col_upper, dtype=float)
    below = (lo - xr) - tol * np.maximum(1.0, np.abs(np.where(np.isfinite(lo), lo, 0.0)))
    above = (xr - hi) - tol * np.maximum(1.0, np.abs(np.where(np.isfinite(hi), hi, 0.0)))
    for viol, kind in ((below, "lower"), (above, "upper")):
        if viol.size and viol.max() > 0 and viol.max() + tol > worst:
            k = int(np.argmax(viol))
            worst, where = float(viol[k] + tol), f"column {k} {kind} bound"
    if A.shape[0]:
        act = sp.csr_matrix(A) @ xr
        rl = np.asarray(row_lower, dtype=float)
        ru = np.asarray(row_upper, dtype=float)
        r_below = (rl - act) - tol * np.maximum(1.0, np.abs(np.where(np.isfinite(rl), rl, 0.0)))
        r_above = (act - ru) - tol * np.maximum(1.0, np.abs(np.where(np.isfinite(ru), ru, 0.0)))
        for viol, kind in ((r_below, "below its lower bound"), (r_above, "above its upper bound")):
            if viol.max() > 0 and viol.max() + tol > worst:
                k = int(np.argmax(viol))
                worst, where = float(viol[k] + tol), f"row {k} {kind}"
    feasible = where == ""
    return SolutionCheck(feasible, float(c @ xr) + float(offset), raw,
                         0.0 if feasible else worst, where, xr)


@dataclass(frozen=True)
class MilpOutcome:
    """Checked outcome of one MILP solve.

    Attributes
    ----------
    x
        The best solution that passed :func:`check_solution` (integer columns rounded), or
        ``None``.
    objective
        Its objective recomputed in numpy (``nan`` without ``x``).
    bound
        Proven bound in the model's own sense (upper bound when maximizing): HiGHS's
        ``mip_dual_bound``, trusted only when HiGHS's own solution passed the check or it
        returned none; ``±inf`` when nothing is proven.
    gap
        ``gap_of(objective, bound)``.
    status
        ``optimal`` (HiGHS says optimal, its solution passed the check, its objective is the
        one claimed and equals the bound), ``feasible``, ``infeasible`` (proven, and no
        checked start contradicts it) or ``no_solution``.
    stop
        Why the solve ended (see :data:`~coverage.optimize.results.StopReason`).
    seconds
        Wall-clock seconds (including a re-solve).
    claimed
        HiGHS's ``objective_function_value`` of the last run (``nan`` without one).
    resolves
        Number of re-solves without the warm start after a failed check.
    check_seconds
        Seconds spent checking solutions in numpy (included in ``seconds``).
    """

    x: np.ndarray | None
    objective: float
    bound: float
    gap: float
    status: MilpStatus
    stop: StopReason
    seconds: float
    claimed: float = float("nan")
    resolves: int = 0
    check_seconds: float = 0.0


def _better(a: float, b: float, maximize: bool) -> bool:
    return a > b if maximize else a < b


def _tighter(a: float, b: float, maximize: bool) -> float:
    """The tighter of two valid bounds (smaller upper bound / larger lower bound)."""
    if not np.isfinite(a):
        return b
    if not np.isfinite(b):
        return a
    return min(a, b) if maximize else max(a, b)


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
    start_to_highs: bool = True,
    threads: int | None = None,
    options: dict[str, float | int | bool | str] | None = None,
) -> MilpOutcome:
    """Solve ``opt c@x + offset  s.t.  row_lower <= A x <= row_upper, bounds, integrality``.

    Nothing HiGHS returns is taken on trust: its solution is rechecked in numpy
    (:func:`check_solution`) and its objective recomputed.  HiGHS 1.16 can return, after a
    warm start (``setSolution``) and with presolve on, status optimal with the objective of
    the start *as presolve mapped it* while ``getSolution()`` returns the start itself: an
    8 x 7 set cover started from all 7 sites comes back "optimal, objective 3" with the
    7-site vector (``tests/test_optimize_verify.py``).  When the recomputed objective
    differs from the claim and a start was given, the model is solved again without the
    start (HiGHS then returns the solution it reports); a checked start is always kept as a
    fallback answer, and a claim that cannot be repaired is returned as ``feasible`` with
    ``stop="solver_mismatch"`` and the true gap.

    Parameters
    ----------
    c, A, row_lower, row_upper, col_lower, col_upper
        The model; ``A`` is converted to CSC.  Infinite bounds may be ``±inf``.
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
        A feasible solution: checked, kept as a fallback answer and (``start_to_highs``)
        passed to HiGHS with ``setSolution``.
    start_to_highs
        Pass ``start`` to HiGHS (otherwise it is only the fallback).
    threads
        HiGHS threads (``None``: HiGHS default).
    options
        Extra HiGHS options (e.g. ``{"mip_heuristic_effort": 0.0}`` when a strong warm
        start is given).

    Returns
    -------
    MilpOutcome
    """
    t0 = time.perf_counter()
    model = dict(c=np.asarray(c, dtype=float), A=sp.csr_matrix(A, dtype=float),
                 row_lower=np.asarray(row_lower, dtype=float),
                 row_upper=np.asarray(row_upper, dtype=float),
                 col_lower=np.asarray(col_lower, dtype=float),
                 col_upper=np.asarray(col_upper, dtype=float),
                 integer=np.asarray(integer, dtype=bool), offset=float(offset))
    start_chk: SolutionCheck | None = None
    t_check = time.perf_counter()
    if start is not None:
        start_chk = check_solution(start, **model)
        if not start_chk.feasible:
            logger.info("warm start breaks the model (%s by %.3g); not used",
                           start_chk.where, start_chk.violation)
            start_chk = None
    give = start_chk is not None and start_to_highs
    checking = time.perf_counter() - t_check
    run = _run_highs(model, maximize, time_limit, mip_gap,
                     start_chk.x if give and start_chk is not None else None, threads, options)
    ms = highspy.HighsModelStatus
    worst = -np.inf if maximize else np.inf
    if run.searched and run.status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
        if start_chk is None:
            return MilpOutcome(None, float("nan"), float("nan"), float("inf"), "infeasible",
                               "completed", time.perf_counter() - t0)
        logger.warning("HiGHS reports the model infeasible but the warm start passes the "
                       "check; keeping the start")
        return MilpOutcome(start_chk.x, start_chk.objective, -worst, float("inf"), "feasible",
                           "solver_mismatch", time.perf_counter() - t0)
    t_check = time.perf_counter()
    x_chk = None if run.x is None else check_solution(run.x, **model)
    checking += time.perf_counter() - t_check
    if x_chk is not None and not x_chk.feasible:
        logger.warning("HiGHS solution (%s) breaks %s by %.3g; not used",
                       h_status_name(run.status), x_chk.where, x_chk.violation)
    trusted = run.searched and (x_chk is None or x_chk.feasible)
    bound = run.bound if trusted and np.isfinite(run.bound) else -worst
    mismatch = (
        x_chk is not None and x_chk.feasible and np.isfinite(run.claimed)
        and abs(x_chk.raw_objective - run.claimed)
        > _OBJ_TOL * max(1.0, abs(run.claimed), float(np.abs(model["c"] * x_chk.x).sum()))
    )
    if mismatch:
        logger.info("HiGHS claims objective %.12g but its solution has %.12g (%s)",
                       run.claimed, x_chk.raw_objective if x_chk else float("nan"),
                       "after a warm start" if give else "no warm start")
    if mismatch and give:
        remaining = None if time_limit is None else time_limit - (time.perf_counter() - t0)
        if remaining is None or remaining > 0.05:
            # options that switch HiGHS's own heuristics off assume the start: drop them
            kept = {k: v for k, v in (options or {}).items()
                    if not k.startswith("mip_heuristic")}
            again = solve_milp(**model, maximize=maximize, time_limit=remaining,
                               mip_gap=mip_gap, start=start_chk.x if start_chk else None,
                               start_to_highs=False, threads=threads, options=kept)
            both = _tighter(bound, again.bound, maximize)
            gap = gap_of(again.objective, both) if again.x is not None else float("inf")
            status: MilpStatus = again.status
            if again.x is not None and gap == 0.0:
                status = "optimal"
            return dataclasses.replace(again, bound=both, gap=gap, status=status,
                                       resolves=again.resolves + 1,
                                       check_seconds=again.check_seconds + checking,
                                       seconds=time.perf_counter() - t0)
    # the best checked candidate: HiGHS's solution, else the start
    best: SolutionCheck | None = x_chk if x_chk is not None and x_chk.feasible else None
    if start_chk is not None and (
        best is None or _better(start_chk.objective, best.objective, maximize)
    ):
        best = start_chk
    seconds = time.perf_counter() - t0
    stop: StopReason = "completed"
    if run.status == ms.kTimeLimit:
        stop = "time_limit"
    elif run.status != ms.kOptimal or mismatch or not trusted:
        stop = "solver_mismatch"
    if mismatch or not trusted:
        logger.warning("HiGHS's answer is not usable (it failed the check, or HiGHS did not "
                       "search): the best checked solution is returned as feasible")
    if best is None:
        return MilpOutcome(None, float("nan"), bound, float("inf"), "no_solution",
                           stop if stop != "completed" else "solver_mismatch", seconds,
                           run.claimed, check_seconds=checking)
    if not np.any(model["integer"]):
        bound = best.objective if run.status == ms.kOptimal and not mismatch else bound
    # a proven bound cannot be beaten by a checked solution: within float noise it is
    # clamped; beyond it, it proves nothing
    beaten = best.objective - bound if maximize else bound - best.objective
    if beaten > _OBJ_TOL * max(1.0, abs(best.objective)) * 1e3:
        logger.warning("HiGHS's bound %.12g is beaten by a checked solution %.12g; dropped",
                       bound, best.objective)
        bound, trusted = -worst, False
    elif np.isfinite(bound):
        bound = max(bound, best.objective) if maximize else min(bound, best.objective)
    gap = gap_of(best.objective, bound)
    proven = run.status == ms.kOptimal and trusted and not mismatch
    status = "optimal" if gap == 0.0 and proven else "feasible"
    if status == "feasible" and stop == "completed":
        stop = "gap_limit"
    if status == "optimal":
        stop = "completed"
    logger.debug("HiGHS %s -> %s/%s obj=%.6g bound=%.6g gap=%.3g in %.2fs",
                 h_status_name(run.status), status, stop, best.objective, bound, gap, seconds)
    return MilpOutcome(best.x, best.objective, bound, gap, status, stop, seconds, run.claimed,
                       check_seconds=checking)


@dataclass(frozen=True)
class _Run:
    status: highspy.HighsModelStatus
    x: np.ndarray | None
    claimed: float
    bound: float
    searched: bool = True


def h_status_name(status: highspy.HighsModelStatus) -> str:
    """HiGHS's name of a model status (for logs)."""
    return str(status).rsplit(".", 1)[-1]


def _run_highs(
    model: dict[str, object],
    maximize: bool,
    time_limit: float | None,
    mip_gap: float,
    start: np.ndarray | None,
    threads: int | None,
    options: dict[str, float | int | bool | str] | None,
) -> _Run:
    c = model["c"]
    integer = model["integer"]
    assert isinstance(c, np.ndarray) and isinstance(integer, np.ndarray)
    lp = _highs_lp(c, model["A"], model["row_lower"], model["row_upper"],  # type: ignore[arg-type]
                   model["col_lower"], model["col_upper"], maximize,  # type: ignore[arg-type]
                   float(model["offset"]))  # type: ignore[arg-type]
    has_int = bool(np.any(integer))
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
    ran = h.run()
    status = h.getModelStatus()
    nobound = np.inf if maximize else -np.inf
    if ran == highspy.HighsStatus.kError or status not in _SEARCHED:
        # HiGHS did not search (an option it refused, a model or solver error): nothing
        # it reports is a proof, and any solution is left to the caller's check
        logger.warning("HiGHS run returned %s with model status %s", ran,
                       h_status_name(status))
        info = h.getInfo()
        has_sol = info.primal_solution_status == highspy.kSolutionStatusFeasible
        x = np.asarray(h.getSolution().col_value, dtype=float) if has_sol else None
        return _Run(status, x, float("nan"), nobound, searched=False)
    info = h.getInfo()
    has_sol = info.primal_solution_status == highspy.kSolutionStatusFeasible
    x = np.asarray(h.getSolution().col_value, dtype=float) if has_sol else None
    claimed = float(info.objective_function_value) if has_sol else float("nan")
    if has_int:
        bound = float(info.mip_dual_bound)
    else:
        bound = claimed if status == highspy.HighsModelStatus.kOptimal else float("nan")
    if not np.isfinite(bound):
        bound = nobound
    return _Run(status, x, claimed, bound)


_SEARCHED = frozenset({
    highspy.HighsModelStatus.kOptimal,
    highspy.HighsModelStatus.kInfeasible,
    highspy.HighsModelStatus.kUnboundedOrInfeasible,
    highspy.HighsModelStatus.kTimeLimit,
    highspy.HighsModelStatus.kIterationLimit,
    highspy.HighsModelStatus.kSolutionLimit,
    highspy.HighsModelStatus.kInterrupt,
})
"""Model statuses after which HiGHS's ``mip_dual_bound`` comes from a real search (any other
status, e.g. ``kNotset`` after a refused option, proves nothing)."""


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
