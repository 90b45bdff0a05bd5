"""Vertex p-center: minimize the worst travel from any demand point to its nearest open site.

Exact by binary search over the sorted distinct travel costs ``r`` between a lower bound
(the largest distance from a demand point to its nearest allowed site) and an upper bound
(the worst travel of the greedy + interchange p-median solution).  Radius ``r`` is
feasible when the demand can be covered within ``r`` by at most ``p`` new sites: a greedy
cover answers "yes" quickly, otherwise a set-covering MILP (minimum number of sites,
``<= p``) decides.  The optimum is the smallest feasible radius, proven by the infeasibility
of the next smaller distinct value (Minieka 1970; Daskin 1995, ch. 5).  A radius whose
set-covering MILP ends without an answer (time limit) is *not* taken as infeasible: the
search stops there and reports the last proven lower bound.

p-center is unweighted: every demand row must be served, whatever its weight (note
``weights_unused`` when weights other than one are given).  Without a budget ``p`` is
exact (the optimal cover is padded to ``p`` sites, largest travel saving first); with one
it is a maximum.
"""

from __future__ import annotations

import logging
import time
from types import MappingProxyType

import numpy as np
import scipy.sparse as sp

from coverage.optimize._count import limited, plan_count
from coverage.optimize._finish import verdict
from coverage.optimize._problem import SiteRules, rules_for
from coverage.optimize.heuristics import greedy_coverage, pmedian_heuristic
from coverage.optimize.lscp import cover_model
from coverage.optimize.problem import LocationProblem
from coverage.optimize.results import (
    LocationResult,
    Note,
    StopReason,
    infeasible_result,
    no_solution_result,
    note,
    reason,
)

__all__ = ["pcenter_model"]

logger = logging.getLogger(__name__)


def pcenter_model(
    problem: LocationProblem,
    p: int | None,
    *,
    time_limit: float | None,
    warm_start: bool,
) -> LocationResult:
    """Minimize the worst travel from any demand point to its nearest open site.

    Parameters
    ----------
    problem
        The validated problem (``travel`` set).
    p
        New sites: exact without a budget, a maximum with one; ``None`` with a budget: as
        many as it allows.
    time_limit
        Seconds for the whole search; on expiry the best radius found and the proven
        lower bound are returned.
    warm_start
        Start the search from the greedy + interchange p-median solution (its worst
        travel is the first upper bound).

    Returns
    -------
    LocationResult
        ``objective`` is the worst travel; ``assignment`` the nearest open site.
    """
    t0 = time.perf_counter()
    D = problem.travel
    assert D is not None
    plan = plan_count(problem, p)
    rules = rules_for(problem, plan.p, plan.sense)
    notes: list[Note] = list(plan.notes)
    if not np.all(problem.weights == 1.0):
        notes.append(note("weights_unused", "p-center is unweighted: every demand point "
                          "counts, whatever its weight"))
    reasons = rules.infeasibility()
    allowed = ~rules.excluded
    near = D[:, allowed].min(axis=1) if allowed.any() else np.full(D.shape[0], np.inf)
    bad = np.nonzero(~np.isfinite(near))[0]
    if bad.size:
        reasons.append(reason("unreachable_demand", f"{bad.size} demand point(s) (rows "
                              f"{bad[:5].tolist()}) cannot reach any allowed site",
                              rows=bad, count=bad.size,
                              weight=float(problem.weights[bad].sum())))
    if reasons:
        return infeasible_result("pcenter", reasons, seconds=time.perf_counter() - t0,
                                 p=plan.requested, uncoverable=bad, notes=tuple(notes))
    n = D.shape[0]
    finite_max = float(D[np.isfinite(D)].max())
    Dh = np.where(np.isfinite(D), D, finite_max * (n + 1) + 1.0)
    lower = float(near.max())
    checks = 0
    stop: StopReason = "completed"
    if plan.build_all:
        best_open = rules.fixed | rules.free
        bound = float(_nearest(D, best_open).max())
    else:
        start = None
        if warm_start:
            h_limit = 30.0 if time_limit is None else max(0.1 * time_limit, 0.5)
            start = pmedian_heuristic(Dh, np.ones(n), rules, time_limit=h_limit)
            if start is not None and not np.isfinite(_nearest(D, start).max()):
                start = None  # it leaves demand unserved: not an upper bound
        fixed_d = D[:, rules.fixed].min(axis=1) if rules.fixed.any() else np.full(n, np.inf)
        best_open = start
        best_r = finite_max if start is None else float(_nearest(D, start).max())
        vals = np.unique(D[np.isfinite(D) & (lower <= D) & (best_r >= D)])
        # vals[hi] is feasible when a start exists (else proven below); answer in [lo, hi]
        lo, hi = 0, vals.size - 1
        le_rules = rules.with_p(plan.p, "le")
        if start is None:
            # no heuristic answer: the largest radius decides feasibility first
            opened, proven = _cover_within(D, fixed_d, float(vals[hi]), le_rules,
                                           time_limit, t0)
            checks += 1
            if opened is None:
                if proven:
                    return infeasible_result("pcenter", [reason(
                        "rules_conflict", "the MILP solver proved that no selection meets "
                        "the budget and group rules together")],
                        seconds=time.perf_counter() - t0, p=plan.requested,
                        notes=tuple(notes))
                return no_solution_result("pcenter", seconds=time.perf_counter() - t0,
                                          stop="time_limit", bound=lower, p=plan.requested)
            best_open, best_r = opened, float(_nearest(D, opened).max())
        while lo < hi:
            if time_limit is not None and time.perf_counter() - t0 > time_limit:
                stop = "time_limit"
                break
            mid = (lo + hi) // 2
            r = float(vals[mid])
            checks += 1
            opened, proven = _cover_within(D, fixed_d, r, le_rules, time_limit, t0)
            logger.info("p-center: radius %.6g feasible: %s", r, opened is not None)
            if opened is not None:
                hi = mid
                best_open, best_r = opened, float(_nearest(D, opened).max())
            elif proven:
                lo = mid + 1
            else:  # the radius test ran out of time: vals[lo] is the last proven bound
                stop = "time_limit"
                break
        bound = float(vals[lo])
    assert best_open is not None
    if rules.budget is None and not plan.build_all:
        best_open = _pad(Dh, best_open, rules)
    d = _nearest(D, best_open)
    objective = float(d.max())
    v = verdict("pcenter", objective, bound, maximize=False, stop=stop,
                violations=rules.violations(best_open))
    if v.status == "no_solution":
        return no_solution_result("pcenter", seconds=time.perf_counter() - t0, stop=v.stop,
                                  p=plan.requested)
    open_idx = np.nonzero(best_open)[0]
    assign = open_idx[D[:, open_idx].argmin(axis=1)] if open_idx.size else np.full(
        D.shape[0], -1)
    selected = np.nonzero(best_open & ~rules.fixed)[0]
    limited_by, lim_notes = limited(rules, best_open, plan.requested)
    notes += lim_notes
    return LocationResult(
        model="pcenter", selected=selected, open_sites=open_idx, objective=objective,
        bound=v.bound, gap=v.gap, status=v.status, solve_seconds=time.perf_counter() - t0,
        message=(f"{selected.size} new site(s): every demand point within {objective:.6g} "
                 f"of an open site; status {v.status}, gap {v.gap:.2e}."
                 + "".join(f" {x.message}." for x in notes)),
        stop=v.stop, p=plan.requested, n_new=int(selected.size), limited_by=limited_by,
        notes=tuple(notes), assignment=assign, n_reduced_demand=n,
        n_reduced_candidates=int(rules.free.sum()),
        details=MappingProxyType({"max_distance": objective, "mean_distance": float(d.mean()),
                                  "radius_checks": float(checks), "lower_bound_start": lower}),
    )


def _nearest(D: np.ndarray, is_open: np.ndarray) -> np.ndarray:
    """Travel to the nearest open site per row (``inf`` with no site open)."""
    if not is_open.any():
        return np.full(D.shape[0], np.inf)
    return D[:, is_open].min(axis=1)


def _cover_within(
    D: np.ndarray, fixed_d: np.ndarray, r: float, rules: SiteRules,
    time_limit: float | None, t0: float,
) -> tuple[np.ndarray | None, bool]:
    """Open-site mask covering every demand point within ``r`` under the rules.

    Returns ``(mask, True)`` when found, ``(None, True)`` when proven impossible and
    ``(None, False)`` when the MILP ended without an answer (time limit).
    """
    need = fixed_d > r
    C = sp.csr_matrix((r >= D) & need[:, None])
    reach = np.asarray(C[np.nonzero(need)[0]][:, np.nonzero(~rules.excluded)[0]].sum(axis=1))
    if (reach.ravel() == 0).any():
        return None, True
    greedy = greedy_coverage(C.tocsc(), need.astype(float), rules)
    if greedy is not None and (
        (C @ greedy.astype(float))[need] > 0
    ).all():
        return greedy, True
    remaining = None if time_limit is None else time_limit - (time.perf_counter() - t0)
    if remaining is not None and remaining <= 0:
        return None, False
    res = cover_model(C, need.astype(float), rules, share=1.0, by_cost=False,
                      time_limit=remaining, mip_gap=0.0, warm_start=False,
                      t0=time.perf_counter(), model="pcenter")
    if res.status == "infeasible":
        return None, True
    if res.status == "no_solution":
        return None, False
    if res.uncoverable.size and need[res.uncoverable].any():
        return None, True
    is_open = np.zeros(D.shape[1], dtype=bool)
    is_open[res.open_sites] = True
    return is_open, True


def _pad(Dh: np.ndarray, is_open: np.ndarray, rules: SiteRules) -> np.ndarray:
    """Add sites (largest travel saving first) until exactly p new sites are open."""
    is_open = is_open.copy()
    d1 = Dh[:, is_open].min(axis=1) if is_open.any() else np.full(Dh.shape[0], np.inf)
    while rules.p is not None and int((is_open & ~rules.fixed).sum()) < rules.p:
        cand = rules.free & ~is_open
        if not cand.any():
            break
        idx = np.nonzero(cand)[0]
        gain = np.maximum(np.where(np.isfinite(d1), d1, Dh.max() * 2)[:, None] - Dh[:, idx],
                          0.0).sum(axis=0)
        j = int(idx[int(np.argmax(gain))])
        is_open[j] = True
        d1 = np.minimum(d1, Dh[:, j])
    return is_open
