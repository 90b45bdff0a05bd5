"""Trust but verify: a solution HiGHS returns, rechecked in numpy against the model as
built (bounds, integrality, rows) with its objective recomputed (:func:`check_solution`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["FEAS_TOL", "SolutionCheck", "check_solution"]

FEAS_TOL = 1e-6
"""Absolute feasibility tolerance of the solution check (HiGHS's ``mip_feasibility_tolerance``
default), scaled by ``max(1, |bound|)`` for rows and column bounds."""


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
    tol: float = FEAS_TOL,
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

