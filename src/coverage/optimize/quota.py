"""The planner's problem: township quotas of new sites, then best coverage or travel.

Each candidate belongs to a group (township); group ``g`` must receive at least
``min_new[g]`` new sites.  Among the selections meeting the quotas (and an optional total
``p`` and budget) the model maximizes covered weight (MCLP objective) or minimizes
weighted travel (p-median objective).  It is the MCLP / p-median MILP with one extra row
per group; infeasible quotas are explained in words before any solving.
"""

from __future__ import annotations

import time
from typing import Literal

import numpy as np

from coverage._errors import InputError
from coverage.optimize._problem import IndexLike, as_cost, as_coverage, as_weights, site_rules
from coverage.optimize.mclp import coverage_core
from coverage.optimize.pmedian import median_core
from coverage.optimize.results import LocationResult

__all__ = ["solve_quota"]


def solve_quota(
    matrix: object,
    weights: object = None,
    *,
    group: np.ndarray,
    min_new: np.ndarray,
    objective: Literal["coverage", "travel"] = "coverage",
    p: int | None = None,
    budget: float | None = None,
    cost: np.ndarray | None = None,
    fixed: IndexLike | None = None,
    forced: IndexLike | None = None,
    excluded: IndexLike | None = None,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    warm_start: bool = True,
) -> LocationResult:
    """Meet per-township minimums of new sites, then maximize coverage or minimize travel.

    Parameters
    ----------
    matrix
        Coverage matrix (``objective="coverage"``) or travel cost matrix
        (``objective="travel"``), demand x sites, dense or scipy.sparse.
    weights
        Demand weights (population); default all ones.
    group
        Group (township) index ``0..k-1`` per site, ``-1`` for none.
    min_new
        Minimum number of new sites per group (length ``k``).
    objective
        ``"coverage"`` (covered weight, MCLP) or ``"travel"`` (weighted travel, p-median).
    p
        Total number of new sites; default ``max(sum(min_new), forced count)`` when no
        budget is given, otherwise unlimited (the budget binds).
    budget, cost
        Budget on the summed cost of new sites, and cost per site.
    fixed, forced, excluded
        Existing sites, must-open new sites, never-open sites.
    time_limit, mip_gap, warm_start
        Solver controls.

    Returns
    -------
    LocationResult
        ``model == "quota"``; infeasible quotas give ``status="infeasible"`` with reasons
        such as "group 3 needs 5 new site(s) but has only 2 candidate(s)".
    """
    t0 = time.perf_counter()
    if objective not in ("coverage", "travel"):
        raise InputError.single(f"unknown objective {objective!r}",
                                fix='use "coverage" or "travel"')
    n_sites = (as_coverage(matrix) if objective == "coverage" else as_cost(matrix)).shape[1]
    rules = site_rules(n_sites, fixed=fixed, forced=forced, excluded=excluded, cost=cost,
                       budget=budget, group=group, min_new=min_new)
    if p is None and budget is None:
        assert rules.min_new is not None
        p = max(int(rules.min_new.sum()), int(rules.forced.sum()))
    rules = site_rules(n_sites, fixed=fixed, forced=forced, excluded=excluded, cost=cost,
                       budget=budget, group=group, min_new=min_new, p=p,
                       p_sense="eq" if p is not None else "le")
    if objective == "coverage":
        C = as_coverage(matrix)
        w = as_weights(weights, C.shape[0])
        return coverage_core("quota", C, w, rules, time_limit=time_limit, mip_gap=mip_gap,
                             warm_start=warm_start, t0=t0)
    D = as_cost(matrix)
    w = as_weights(weights, D.shape[0])
    return median_core("quota", D, w, rules, time_limit=time_limit, mip_gap=mip_gap,
                       warm_start=warm_start, t0=t0)
