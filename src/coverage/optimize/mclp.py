"""Maximal covering location problem (MCLP) and its township-quota variant.

Formulation (Church & ReVelle 1974) on the reduced problem::

    max  sum_r w_r y_r
    s.t. y_r <= sum_{j in N_r} x_j      for each merged demand row r
         side rows on x: count <= p, budget, per-group minimums
         x_j in {0,1} (forced: 1),  0 <= y_r <= 1 (continuous: integral at any optimum)

Reductions (exact): demand covered by existing (fixed) sites and demand no candidate can
reach are removed; candidates dominated by another (subset coverage, no lower cost) are
dropped; rows with identical coverage sets are merged.  The greedy solution warm-starts
HiGHS.  If fewer than ``p`` sites are useful, the selection is padded to ``p`` sites.
"""

from __future__ import annotations

import logging
import time
from types import MappingProxyType

import numpy as np
import scipy.sparse as sp

from coverage.optimize._highs import gap_of, solve_milp
from coverage.optimize._problem import IndexLike, SiteRules, as_coverage, as_weights, site_rules
from coverage.optimize.heuristics import greedy_coverage
from coverage.optimize.reductions import dominated_columns, merge_identical_rows
from coverage.optimize.results import LocationResult, Status, infeasible_result

__all__ = ["solve_mclp"]

logger = logging.getLogger(__name__)


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
    """Choose ``p`` new sites maximizing the demand weight covered.

    Parameters
    ----------
    coverage
        Boolean matrix (demand x sites), dense or scipy.sparse: ``True`` where the site
        covers the demand point within the service standard.
    weights
        Demand weights (e.g. population); default all ones.
    p
        Number of new sites.
    fixed
        Existing sites (indices or mask): open, not counted in ``p``.
    forced
        Sites that must be among the new sites.
    excluded
        Sites that must not be opened.
    cost
        Cost per site (used with ``budget``).
    budget
        Upper bound on the summed cost of new sites.
    time_limit
        Seconds for the MILP; the best solution and its proven gap are returned.
    mip_gap
        Relative optimality gap at which to stop (0 = prove optimality).
    warm_start
        Start HiGHS from the greedy solution.

    Returns
    -------
    LocationResult
        ``objective`` is the total covered weight (existing sites included).
    """
    t0 = time.perf_counter()
    C = as_coverage(coverage)
    w = as_weights(weights, C.shape[0])
    rules = site_rules(
        C.shape[1], fixed=fixed, forced=forced, excluded=excluded, cost=cost, budget=budget,
        p=p, p_sense="eq",
    )
    return coverage_core(
        "mclp", C, w, rules, time_limit=time_limit, mip_gap=mip_gap, warm_start=warm_start,
        t0=t0,
    )


def coverage_core(
    model: str,
    C: sp.csr_matrix,
    w: np.ndarray,
    rules: SiteRules,
    *,
    time_limit: float | None,
    mip_gap: float,
    warm_start: bool,
    t0: float,
) -> LocationResult:
    """Shared MCLP engine (also used by the coverage quota model)."""
    reasons = rules.infeasibility()
    if reasons:
        return infeasible_result(model, reasons, seconds=time.perf_counter() - t0)
    n, m = C.shape
    csc = C.tocsc()
    allowed = ~rules.excluded
    reach_allowed = np.asarray(C[:, np.nonzero(allowed)[0]].sum(axis=1)).ravel() > 0
    uncoverable = np.nonzero(~reach_allowed)[0]
    fixed_idx = np.nonzero(rules.fixed)[0]
    by_fixed = np.asarray(csc[:, fixed_idx].sum(axis=1)).ravel() > 0
    w_fixed = float(w[by_fixed].sum())
    cand = np.nonzero(rules.free)[0]
    sub = C[:, cand]
    rows = np.nonzero(~by_fixed & (np.diff(sub.tocsr().indptr) > 0))[0]
    sub = sp.csr_matrix(sub[rows])
    # dominated candidates
    removable = ~rules.forced[cand]
    if rules.group is not None and rules.min_new is not None:
        g = rules.group[cand]
        removable &= (g < 0) | (rules.min_new[np.maximum(g, 0)] == 0)
    dom = dominated_columns(
        sub, rules.cost[cand], removable=removable, dominators=np.ones(cand.size, dtype=bool)
    )
    keep = cand[~dom]
    sub = sp.csr_matrix(sub[:, np.nonzero(~dom)[0]])
    merged, mw, _ = merge_identical_rows(sub, w[rows])
    n_r, n_k = merged.shape
    sub_rules = rules.subset(keep).with_p(rules.p, "le")
    A_cov = sp.hstack([-merged.astype(float), sp.identity(n_r, format="csr")], format="csr")
    S, s_lo, s_hi = sub_rules.rows()
    A = sp.vstack([A_cov, sp.hstack([S, sp.csr_matrix((S.shape[0], n_r))])], format="csr")
    row_lo = np.concatenate([np.full(n_r, -np.inf), s_lo])
    row_hi = np.concatenate([np.zeros(n_r), s_hi])
    c = np.concatenate([np.zeros(n_k), mw])
    col_lo = np.concatenate([sub_rules.lower(), np.zeros(n_r)])
    col_hi = np.concatenate([sub_rules.upper(), np.ones(n_r)])
    integer = np.concatenate([np.ones(n_k, dtype=bool), np.zeros(n_r, dtype=bool)])
    start = None
    heur_obj = float("nan")
    if warm_start and n_k > 0:
        g_open = greedy_coverage(merged.tocsc(), mw, sub_rules)
        if g_open is not None:
            y0 = np.minimum(merged @ g_open.astype(float), 1.0)
            start = np.concatenate([g_open.astype(float), y0])
            heur_obj = float(mw @ y0) + w_fixed
    logger.info(
        "%s: %d x %d reduced to %d demand rows x %d candidates", model, n, m, n_r, n_k
    )
    out = solve_milp(
        c=c, A=A, row_lower=row_lo, row_upper=row_hi, col_lower=col_lo, col_upper=col_hi,
        integer=integer, maximize=True, offset=w_fixed, time_limit=time_limit,
        mip_gap=mip_gap, start=start,
    )
    if out.x is None:
        why = reasons or ["the MILP solver found no selection meeting the budget/quota rules"]
        if out.status == "no_solution":
            why = ["no feasible selection was found within the time limit"]
        return infeasible_result(model, why, seconds=time.perf_counter() - t0,
                                 uncoverable=uncoverable)
    is_open = rules.fixed.copy()
    is_open[keep[out.x[:n_k] > 0.5]] = True
    n_useful = int((is_open & ~rules.fixed).sum())
    if rules.p is not None and n_useful < rules.p:
        padded = greedy_coverage(csc, w, rules, start=is_open)
        if padded is not None:
            is_open = padded
    open_idx = np.nonzero(is_open)[0]
    covered = np.asarray(csc[:, open_idx].sum(axis=1)).ravel() > 0
    objective = float(w[covered].sum())
    bound = max(out.bound, objective)
    gap = gap_of(objective, bound)
    status: Status = "optimal" if gap == 0 else (
        "time_limit" if out.status == "no_solution" else out.status
    )
    selected = np.nonzero(is_open & ~rules.fixed)[0]
    msg = (
        f"{selected.size} new site(s) cover {objective:g} of {w.sum():g} demand weight "
        f"({100 * objective / max(w.sum(), 1e-300):.2f}%); status {status}, gap {gap:.2e}."
    )
    if n_useful < selected.size:
        msg += f" Only {n_useful} of the new sites add coverage; the rest were padded to p."
    if uncoverable.size:
        msg += (
            f" {uncoverable.size} demand point(s) (weight {w[uncoverable].sum():g}) are "
            "beyond the service standard of every allowed site and can never be covered."
        )
    return LocationResult(
        model=model,
        selected=selected,
        open_sites=open_idx,
        objective=objective,
        bound=bound,
        gap=gap,
        status=status,
        solve_seconds=time.perf_counter() - t0,
        message=msg,
        covered=covered,
        coverage_weight=objective,
        uncoverable=uncoverable,
        n_reduced_demand=n_r,
        n_reduced_candidates=n_k,
        details=MappingProxyType(
            {
                "covered_share": objective / max(float(w.sum()), 1e-300),
                "covered_count": float(covered.sum()),
                "heuristic_objective": heur_obj,
                "milp_seconds": out.seconds,
            }
        ),
    )
