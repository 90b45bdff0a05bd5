"""Thin wrapper around HiGHS (highspy): one sparse MILP in, a checked solution and bound out.

Trust but verify: every solution HiGHS returns is rechecked in numpy against the model as
built (bounds, integrality, rows) and its objective recomputed (:func:`check_solution`);
``optimal`` is reported only when HiGHS says so, the check passes, the recomputed objective
is the one HiGHS claims and it equals HiGHS's ``mip_dual_bound``.

The MILP solve lives here; the instances and LPs in :mod:`~coverage.optimize._highs_lp`,
the solution check in :mod:`~coverage.optimize._highs_check` and the substitution of fixed
columns in :mod:`~coverage.optimize._highs_compact`, re-exported here for the models.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from typing import Literal

import highspy
import numpy as np
import scipy.sparse as sp

from coverage.optimize._highs_check import SolutionCheck, check_solution
from coverage.optimize._highs_compact import CompactModel, compact_fixed
from coverage.optimize._highs_lp import LpOutcome, build_lp, lp_dual_bound, new_highs, solve_lp
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


def gap_of(objective: float, bound: float) -> float:
    """Relative gap ``|objective - bound| / max(|objective|, 1e-9)`` (0 when equal)."""
    if not np.isfinite(objective) or not np.isfinite(bound):
        return float("inf")
    diff = abs(objective - bound)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return diff / max(abs(objective), 1e-9)


_OBJ_TOL = 1e-9
"""Relative tolerance between HiGHS's claimed objective and the one recomputed from its
solution vector (both are sums of the same products; a real mismatch is a whole cost)."""


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
    lp = build_lp(c, model["A"], model["row_lower"], model["row_upper"],  # type: ignore[arg-type]
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

