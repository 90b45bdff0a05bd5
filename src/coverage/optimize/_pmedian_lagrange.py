"""Lagrangian fixing of p-median sites before the MILP (plain models only).

The subgradient bound of :func:`~coverage.optimize.reductions.lagrangian_pmedian_fixing`
closes the sites that cannot be in any solution better than the incumbent and opens those
every such solution needs; with integer costs and weights :func:`round_up` rounds the
bound up.  :mod:`coverage.optimize.pmedian` runs it after the heuristic and again after
the kernel search.
"""

from __future__ import annotations

import dataclasses
import logging
import math

import numpy as np

from coverage.optimize._pmedian_eval import nearest_open
from coverage.optimize._problem import SiteRules
from coverage.optimize.reductions import LagrangianFixing, lagrangian_pmedian_fixing

__all__ = [
    "LAGRANGE_KEEP",
    "LAGRANGE_MAX_ENTRIES",
    "LAGRANGE_TIME_SHARE",
    "integral_objective",
    "lagrangian_reduction",
    "round_up",
]

logger = logging.getLogger(__name__)

LAGRANGE_MAX_ENTRIES = 4_000_000
"""Largest dense ``n x m`` cost matrix on which the Lagrangian iterations use every entry;
larger ones keep the cheapest ``LAGRANGE_KEEP x m / p`` sites per row (at least 20)."""

LAGRANGE_KEEP = 3.0
"""Kept sites per row on large matrices, in multiples of the fair share ``m / p``: with the
open sites spread evenly, a row's ``3 m / p`` nearest candidates hold about three of them,
and a row's multiplier typically ends between its nearest and second-nearest open cost."""

LAGRANGE_TIME_SHARE = 0.2
"""Share of the remaining time the subgradient iterations may use (at most 60 s)."""


def integral_objective(D: np.ndarray, w: np.ndarray) -> bool:
    """Whether every objective value is an integer (integer weights and finite costs)."""
    finite = D[np.isfinite(D)]
    return bool(np.array_equal(w, np.round(w)) and np.array_equal(finite, np.round(finite)))


def round_up(bound: float, integral: bool) -> float:
    """A lower bound on an integer objective may be rounded up (after a float margin)."""
    if not integral or not np.isfinite(bound):
        return bound
    return float(math.ceil(bound - 1e-6 * max(1.0, abs(bound))))


def lagrangian_reduction(
    D: np.ndarray,
    w: np.ndarray,
    rules: SiteRules,
    best_open: np.ndarray,
    incumbent: float,
    u0: np.ndarray | None = None,
    *,
    time_limit: float | None = None,
) -> tuple[SiteRules, LagrangianFixing | None]:
    """Close (exclude) and open (force) sites by Lagrangian fixing before the MILP.

    Only for the plain model (exactly ``p`` new sites, no budget or quotas, every pair
    allowed); above :data:`LAGRANGE_MAX_ENTRIES` matrix entries each row keeps its
    ``LAGRANGE_KEEP x m / p`` cheapest sites (exact, see ``keep`` in
    :func:`~coverage.optimize.reductions.lagrangian_pmedian_fixing`); see
    :func:`~coverage.optimize.reductions.lagrangian_pmedian_fixing`.  The returned rules
    describe the problem restricted to solutions that could beat ``best_open``; the
    incumbent stays a candidate answer, so the caller's bound is ``min(bound, incumbent)``.
    ``u0`` restarts the subgradient from earlier multipliers (weighted rows only).

    Returns ``(rules, outcome)``; the outcome is ``None`` when the reduction does not apply.
    """
    plain = (
        rules.budget is None and rules.group is None and rules.p is not None
        and rules.p_sense == "eq" and bool(np.isfinite(D).all())
    )
    if not plain or rules.p is None:
        return rules, None
    rows = w > 0
    C = w[rows, None] * D[rows]
    always = rules.fixed | rules.forced
    choosable = rules.free & ~rules.forced
    n_choose = rules.p - int((rules.forced & ~rules.fixed).sum())
    if u0 is None:
        u0 = w[rows] * nearest_open(D, best_open)[0][rows]
    keep = None
    if D.size > LAGRANGE_MAX_ENTRIES:
        p_total = max(1, n_choose + int(always.sum()))
        keep = max(20, math.ceil(LAGRANGE_KEEP * rules.n_sites / p_total))
    lag = lagrangian_pmedian_fixing(C, always, choosable, n_choose, incumbent, u0,
                                    keep=keep, time_limit=time_limit)
    closed = lag.closed & ~best_open  # float safety: the incumbent satisfies every fixing
    opened = lag.opened & best_open
    logger.info("Lagrangian bound %.6g (incumbent %.6g): %d sites closed, %d opened",
                lag.bound, incumbent, int(closed.sum()), int(opened.sum()))
    lag = dataclasses.replace(lag, closed=closed, opened=opened)
    if not (closed.any() or opened.any()):
        return rules, lag
    return (
        dataclasses.replace(rules, excluded=rules.excluded | closed,
                            forced=rules.forced | opened),
        lag,
    )

