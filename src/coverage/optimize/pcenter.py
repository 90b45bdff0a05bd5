"""Vertex p-center: minimize the worst travel from any demand point to its nearest open site.

Exact by binary search over the sorted distinct travel costs ``r`` between a lower bound
(the largest distance from a demand point to its nearest allowed site) and an upper bound
(the worst travel of the greedy + interchange p-median solution).  Radius ``r`` is
feasible when the demand can be covered within ``r`` by at most ``p`` new sites: a greedy
cover answers "yes" quickly, otherwise a set-covering MILP (minimum number of sites,
``<= p``) decides.  The optimum is the smallest feasible radius, proven by the infeasibility
of the next smaller distinct value (Minieka 1970; Daskin 1995, ch. 5).
"""

from __future__ import annotations

import logging
import time
from types import MappingProxyType

import numpy as np
import scipy.sparse as sp

from coverage.optimize._highs import gap_of
from coverage.optimize._problem import IndexLike, SiteRules, as_cost, site_rules
from coverage.optimize.heuristics import greedy_coverage, pmedian_heuristic
from coverage.optimize.lscp import _lscp_core
from coverage.optimize.results import LocationResult, Status, infeasible_result

__all__ = ["solve_pcenter"]

logger = logging.getLogger(__name__)


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
    """Choose ``p`` new sites minimizing the worst travel to the nearest open site.

    Parameters
    ----------
    cost
        Travel cost (demand x sites): dense (``inf`` = not allowed) or scipy.sparse.
    p
        Number of new sites.
    fixed, forced, excluded
        Existing sites (open, not counted), must-open sites, never-open sites.
    site_cost, budget
        Cost per site and a budget on new sites.
    time_limit
        Seconds for the whole search; on expiry the best radius found and the proven
        lower bound are returned.

    Returns
    -------
    LocationResult
        ``objective`` is the worst travel; ``assignment`` the nearest open site.
    """
    t0 = time.perf_counter()
    D = as_cost(cost)
    rules = site_rules(D.shape[1], fixed=fixed, forced=forced, excluded=excluded,
                       cost=site_cost, budget=budget, p=p, p_sense="eq")
    reasons = rules.infeasibility()
    allowed = ~rules.excluded
    near = D[:, allowed].min(axis=1)
    if not np.isfinite(near).all():
        bad = np.nonzero(~np.isfinite(near))[0]
        reasons.append(f"{bad.size} demand point(s) (rows {bad[:5].tolist()}) cannot reach "
                       "any allowed site")
    if reasons:
        return infeasible_result("pcenter", reasons, seconds=time.perf_counter() - t0)
    n = D.shape[0]
    w1 = np.ones(n)
    finite_max = float(D[np.isfinite(D)].max())
    Dh = np.where(np.isfinite(D), D, finite_max * (n + 1) + 1.0)
    h_limit = 30.0 if time_limit is None else max(0.1 * time_limit, 0.5)
    start = pmedian_heuristic(Dh, w1, rules, time_limit=h_limit)
    lower = float(near.max())
    fixed_d = D[:, rules.fixed].min(axis=1) if rules.fixed.any() else np.full(n, np.inf)
    best_open = start
    best_r = finite_max if start is None else float(_nearest(D, start).max())
    vals = np.unique(D[np.isfinite(D) & (lower <= D) & (best_r >= D)])
    lo, hi = 0, vals.size - 1  # vals[hi] feasible (if start exists); answer in [lo, hi]
    if start is None:
        hi = vals.size - 1
    checks = 0
    status: Status = "optimal"
    le_rules = rules.with_p(p, "le")
    while lo < hi:
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            status = "time_limit"
            break
        mid = (lo + hi) // 2
        r = float(vals[mid])
        checks += 1
        opened = _cover_within(D, fixed_d, r, le_rules, time_limit, t0)
        logger.info("p-center: radius %.6g feasible: %s", r, opened is not None)
        if opened is not None:
            hi = mid
            best_open, best_r = opened, float(_nearest(D, opened).max())
        else:
            lo = mid + 1
    if best_open is None:
        return infeasible_result("pcenter", ["no selection meets the budget rules"],
                                 seconds=time.perf_counter() - t0)
    best_open = _pad(Dh, best_open, rules)
    d = _nearest(D, best_open)
    objective = float(d.max())
    bound = float(vals[lo])
    bound = min(bound, objective)
    gap = gap_of(objective, bound)
    if gap > 0 and status == "optimal":
        status = "time_limit"
    open_idx = np.nonzero(best_open)[0]
    sub = D[:, open_idx]
    assign = open_idx[sub.argmin(axis=1)]
    selected = np.nonzero(best_open & ~rules.fixed)[0]
    return LocationResult(
        model="pcenter", selected=selected, open_sites=open_idx, objective=objective,
        bound=bound, gap=gap, status=status, solve_seconds=time.perf_counter() - t0,
        message=(f"{selected.size} new site(s): every demand point within {objective:.6g} "
                 f"of an open site; status {status}, gap {gap:.2e}."),
        assignment=assign, n_reduced_demand=n, n_reduced_candidates=int(rules.free.sum()),
        details=MappingProxyType({"max_distance": objective, "mean_distance": float(d.mean()),
                                  "radius_checks": float(checks), "lower_bound_start": lower}),
    )


def _nearest(D: np.ndarray, is_open: np.ndarray) -> np.ndarray:
    return D[:, is_open].min(axis=1)


def _cover_within(
    D: np.ndarray, fixed_d: np.ndarray, r: float, rules: SiteRules,
    time_limit: float | None, t0: float,
) -> np.ndarray | None:
    """Open-site mask covering every demand point within ``r`` using <= p new sites."""
    need = fixed_d > r
    C = sp.csr_matrix((r >= D) & need[:, None])
    reach = np.asarray(C[np.nonzero(need)[0]][:, np.nonzero(~rules.excluded)[0]].sum(axis=1))
    if (reach.ravel() == 0).any():
        return None
    greedy = greedy_coverage(C.tocsc(), need.astype(float), rules)
    if greedy is not None and (
        (C @ greedy.astype(float))[need] > 0
    ).all():
        return greedy
    remaining = None if time_limit is None else time_limit - (time.perf_counter() - t0)
    res = _lscp_core(C, need.astype(float), rules, share=1.0, weighted_cost=False,
                     time_limit=remaining, mip_gap=0.0, warm_start=False, t0=time.perf_counter())
    if res.status == "infeasible" or (res.uncoverable.size and need[res.uncoverable].any()):
        return None
    is_open = np.zeros(D.shape[1], dtype=bool)
    is_open[res.open_sites] = True
    return is_open


def _pad(Dh: np.ndarray, is_open: np.ndarray, rules: SiteRules) -> np.ndarray:
    """Add sites (largest travel saving first) until exactly p new sites are open."""
    is_open = is_open.copy()
    d1 = Dh[:, is_open].min(axis=1)
    spent = float(rules.cost[is_open & ~rules.fixed].sum())
    while rules.p is not None and int((is_open & ~rules.fixed).sum()) < rules.p:
        cand = rules.free & ~is_open
        if rules.budget is not None:
            cand &= rules.cost <= rules.budget - spent + 1e-9
        if not cand.any():
            break
        idx = np.nonzero(cand)[0]
        gain = np.maximum(d1[:, None] - Dh[:, idx], 0.0).sum(axis=0)
        j = int(idx[int(np.argmax(gain))])
        is_open[j] = True
        spent += float(rules.cost[j])
        d1 = np.minimum(d1, Dh[:, j])
    return is_open
