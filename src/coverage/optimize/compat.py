"""The per-model functions of the first API, kept as thin wrappers over :func:`solve`.

Each builds a :class:`~coverage.optimize.problem.LocationProblem` from its arguments and
calls :func:`~coverage.optimize.solve.solve`; semantics, checks and results are those of
the new API (``p`` exact without a budget and a maximum with one, ``p`` at least the
number of candidates builds them all, statuses ``optimal``/``feasible``/``infeasible``/
``no_solution`` with a separate ``stop`` code).  Old argument names map as follows:

* ``fixed`` -> ``existing``;
* ``cost`` -> ``site_cost`` in :func:`solve_mclp`, :func:`solve_lscp` and
  :func:`solve_quota` (a site's build cost); in :func:`solve_pmedian` and
  :func:`solve_pcenter` the first argument ``cost`` is the *travel* matrix and the build
  cost is ``site_cost``.  New code should use :func:`solve`, where the names mean one
  thing everywhere.
* a ``budget`` without build costs counts sites (every site costs 1), as before.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from coverage.optimize._problem import IndexLike
from coverage.optimize.problem import LocationProblem
from coverage.optimize.results import LocationResult
from coverage.optimize.solve import solve
from coverage.problems import InputError

__all__ = [
    "solve_lscp",
    "solve_lscpb",
    "solve_mclp",
    "solve_pcenter",
    "solve_pmedian",
    "solve_quota",
]


def _site_cost(
    cost: np.ndarray | None, budget: float | None, n_sites: int
) -> np.ndarray | None:
    if cost is None and budget is not None:
        return np.ones(n_sites)
    return cost


def _n_sites(matrix: object) -> int:
    shape = getattr(matrix, "shape", None)
    if shape is None:
        shape = np.asarray(matrix).shape
    return int(shape[1]) if len(shape) == 2 else 0


def solve_mclp(
    coverage: object,
    weights: object = None,
    *,
    p: int,
    fixed: IndexLike | None = None,
    forced: IndexLike | None = None,
    excluded: IndexLike | None = None,
    cost: np.ndarray | None = None,
    budget: float | None = None,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    warm_start: bool = True,
) -> LocationResult:
    """Maximal covering: ``solve(problem, model="mclp", p=p)`` (``cost`` = build cost)."""
    problem = LocationProblem(
        coverage=coverage, weights=weights, existing=fixed, forced=forced,  # type: ignore[arg-type]
        excluded=excluded, site_cost=_site_cost(cost, budget, _n_sites(coverage)),  # type: ignore[arg-type]
        budget=budget,
    )
    return solve(problem, model="mclp", p=p, time_limit=time_limit, mip_gap=mip_gap,
                 warm_start=warm_start)


def solve_lscp(
    coverage: object,
    *,
    share: float = 1.0,
    weights: object = None,
    fixed: IndexLike | None = None,
    forced: IndexLike | None = None,
    excluded: IndexLike | None = None,
    cost: np.ndarray | None = None,
    budget: float | None = None,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    warm_start: bool = True,
) -> LocationResult:
    """Set covering: ``solve(problem, model="lscp")``; with ``cost`` the build cost is
    minimized (``objective="cost"``)."""
    problem = LocationProblem(
        coverage=coverage, weights=weights, existing=fixed, forced=forced,  # type: ignore[arg-type]
        excluded=excluded, site_cost=_site_cost(cost, budget, _n_sites(coverage)),  # type: ignore[arg-type]
        budget=budget,
    )
    return solve(problem, model="lscp", share=share, objective="cost" if cost is not None
                 else "sites", time_limit=time_limit, mip_gap=mip_gap, warm_start=warm_start)


def solve_lscpb(
    coverage: object,
    *,
    weights: object = None,
    fixed: IndexLike | None = None,
    forced: IndexLike | None = None,
    excluded: IndexLike | None = None,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
) -> LocationResult:
    """Backup covering: ``solve(problem, model="lscpb")``."""
    problem = LocationProblem(coverage=coverage, weights=weights, existing=fixed,  # type: ignore[arg-type]
                              forced=forced, excluded=excluded)  # type: ignore[arg-type]
    return solve(problem, model="lscpb", time_limit=time_limit, mip_gap=mip_gap)


def solve_pmedian(
    cost: object,
    weights: object = None,
    *,
    p: int,
    capacity: np.ndarray | None = None,
    fixed: IndexLike | None = None,
    forced: IndexLike | None = None,
    excluded: IndexLike | None = None,
    site_cost: np.ndarray | None = None,
    budget: float | None = None,
    time_limit: float | None = None,
    mip_gap: float = 0.0,
    warm_start: bool = True,
) -> LocationResult:
    """p-median: ``solve(problem, model="pmedian", p=p)``; ``cost`` is the *travel* matrix."""
    problem = LocationProblem(
        travel=cost, weights=weights, existing=fixed, forced=forced, excluded=excluded,  # type: ignore[arg-type]
        site_cost=_site_cost(site_cost, budget, _n_sites(cost)), budget=budget,
        capacity=capacity,
    )
    return solve(problem, model="pmedian", p=p, time_limit=time_limit, mip_gap=mip_gap,
                 warm_start=warm_start)


def solve_pcenter(
    cost: object,
    *,
    p: int,
    fixed: IndexLike | None = None,
    forced: IndexLike | None = None,
    excluded: IndexLike | None = None,
    site_cost: np.ndarray | None = None,
    budget: float | None = None,
    time_limit: float | None = None,
) -> LocationResult:
    """p-center: ``solve(problem, model="pcenter", p=p)``; ``cost`` is the *travel* matrix."""
    problem = LocationProblem(
        travel=cost, existing=fixed, forced=forced, excluded=excluded,  # type: ignore[arg-type]
        site_cost=_site_cost(site_cost, budget, _n_sites(cost)), budget=budget,
    )
    return solve(problem, model="pcenter", p=p, time_limit=time_limit)


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
    """Township quotas: ``solve(problem, model="quota", objective=...)``; ``matrix`` is the
    coverage matrix (``objective="coverage"``) or the travel matrix (``"travel"``) and
    ``cost`` the build cost."""
    if objective not in ("coverage", "travel"):  # the matrix's meaning depends on it
        raise InputError.single(f"unknown objective {objective!r}", column="objective",
                                fix='use "coverage" or "travel"', value=objective)
    key = "coverage" if objective == "coverage" else "travel"
    problem = LocationProblem(
        **{key: matrix},  # type: ignore[arg-type]
        weights=weights, existing=fixed, forced=forced, excluded=excluded,  # type: ignore[arg-type]
        site_cost=_site_cost(cost, budget, _n_sites(matrix)), budget=budget,
        group=group, min_new=min_new,
    )
    return solve(problem, model="quota", p=p, objective=objective, time_limit=time_limit,
                 mip_gap=mip_gap, warm_start=warm_start)
