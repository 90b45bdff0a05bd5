"""Location set covering (LSCP) and backup covering (LSCP-B).

LSCP (Toregas et al. 1971)::

    min  sum_j c_j x_j                      (c_j = 1 unless site costs are given)
    s.t. sum_{j in N_r} x_j >= 1            for every coverable merged demand row r
         (share < 1: y_r <= sum_{j in N_r} x_j, sum_r w_r y_r >= target, y binary)
         side rows (budget, group minimums), x binary

LSCP-B (as PySAL spopt's ``LSCPB``): first the LSCP minimum ``P*``; then with exactly
``P*`` sites maximize the weight covered at least twice::

    max  sum_r w_r u_r
    s.t. f_r + sum_{j in N_r} x_j >= 1 + u_r   (f_r = coverage by existing sites, capped at 2)
         sum_j x_j = P*,  x, u binary

Demand that no allowed site can cover is reported, never silently dropped.
"""

from __future__ import annotations

import logging
import time
from types import MappingProxyType

import numpy as np
import scipy.sparse as sp

from coverage._errors import InputError
from coverage.optimize._highs import gap_of, solve_milp
from coverage.optimize._problem import IndexLike, SiteRules, as_coverage, as_weights, site_rules
from coverage.optimize.heuristics import greedy_coverage
from coverage.optimize.reductions import dominated_columns, merge_identical_rows
from coverage.optimize.results import LocationResult, Status, infeasible_result

__all__ = ["solve_lscp", "solve_lscpb"]

logger = logging.getLogger(__name__)


def _uncoverable_text(idx: np.ndarray, w: np.ndarray) -> str:
    if idx.size == 0:
        return ""
    shown = ", ".join(str(i) for i in idx[:10]) + (" …" if idx.size > 10 else "")
    return (
        f" {idx.size} demand point(s) (rows {shown}; weight {w[idx].sum():g}) have no "
        "existing or candidate site within the service standard and can never be covered."
    )


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
    """Fewest new sites (or least cost) covering all coverable demand or a given share.

    Parameters
    ----------
    coverage
        Boolean matrix (demand x sites), dense or scipy.sparse.
    share
        Share of the *total* demand weight to cover, in ``(0, 1]``.  With ``share=1`` every
        demand point that some allowed site can reach is covered; the others are listed in
        ``uncoverable`` and named in the message.
    weights
        Demand weights (only used when ``share < 1``); default all ones.
    fixed, forced, excluded
        Existing sites (open, free of charge), must-open sites, never-open sites.
    cost
        Cost per site: when given, the total cost of new sites is minimized.
    budget
        Upper bound on the total cost of new sites.
    time_limit, mip_gap, warm_start
        Solver controls (seconds, relative gap, greedy warm start).

    Returns
    -------
    LocationResult
        ``objective`` is the number (or cost) of new sites.
    """
    t0 = time.perf_counter()
    C = as_coverage(coverage)
    w = as_weights(weights, C.shape[0])
    if not 0.0 < share <= 1.0:
        raise InputError.single(
            f"share must be in (0, 1], got {share}", fix="e.g. share=0.95 for 95 % of demand"
        )
    rules = site_rules(C.shape[1], fixed=fixed, forced=forced, excluded=excluded, cost=cost,
                       budget=budget)
    return _lscp_core(C, w, rules, share=share, weighted_cost=cost is not None,
                      time_limit=time_limit, mip_gap=mip_gap, warm_start=warm_start, t0=t0)


def _prepare(C: sp.csr_matrix, rules: SiteRules) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(uncoverable rows, rows covered by fixed sites, candidate columns)."""
    allowed = np.nonzero(~rules.excluded)[0]
    reach = np.diff(C[:, allowed].tocsr().indptr) > 0
    fixed_idx = np.nonzero(rules.fixed)[0]
    by_fixed = np.diff(C[:, fixed_idx].tocsr().indptr) > 0
    return np.nonzero(~reach)[0], by_fixed, np.nonzero(rules.free)[0]


def _lscp_core(
    C: sp.csr_matrix,
    w: np.ndarray,
    rules: SiteRules,
    *,
    share: float,
    weighted_cost: bool,
    time_limit: float | None,
    mip_gap: float,
    warm_start: bool,
    t0: float,
) -> LocationResult:
    model = "lscp"
    reasons = rules.infeasibility()
    uncoverable, by_fixed, cand = _prepare(C, rules)
    w_total = float(w.sum())
    w_fixed = float(w[by_fixed].sum())
    coverable = np.ones(C.shape[0], dtype=bool)
    coverable[uncoverable] = False
    target = share * w_total
    if share < 1.0 and target > float(w[coverable].sum()) * (1 + 1e-12):
        reasons.append(
            f"covering {100 * share:g}% of demand needs weight {target:g} but only "
            f"{w[coverable].sum():g} is within reach of any allowed site"
        )
    if reasons:
        return infeasible_result(model, reasons, seconds=time.perf_counter() - t0,
                                 uncoverable=uncoverable)
    sub = C[:, cand].tocsr()
    rows = np.nonzero(~by_fixed & coverable)[0]
    sub = sp.csr_matrix(sub[rows])
    removable = ~rules.forced[cand]
    if rules.group is not None and rules.min_new is not None:
        g = rules.group[cand]
        removable &= (g < 0) | (rules.min_new[np.maximum(g, 0)] == 0)
    dom = dominated_columns(sub, rules.cost[cand], removable=removable,
                            dominators=np.ones(cand.size, dtype=bool))
    keep = cand[~dom]
    sub = sp.csr_matrix(sub[:, np.nonzero(~dom)[0]])
    merged, mw, _ = merge_identical_rows(sub, w[rows])
    n_r, n_k = merged.shape
    sub_rules = rules.subset(keep)
    obj_c = sub_rules.cost if weighted_cost else np.ones(n_k)
    S, s_lo, s_hi = sub_rules.rows()
    if share >= 1.0:
        A = sp.vstack([merged.astype(float), S], format="csr")
        lo = np.concatenate([np.ones(n_r), s_lo])
        hi = np.concatenate([np.full(n_r, np.inf), s_hi])
        c = obj_c
        col_lo, col_hi = sub_rules.lower(), sub_rules.upper()
        integer = np.ones(n_k, dtype=bool)
    else:
        need = max(target - w_fixed, 0.0)
        A_cov = sp.hstack([-merged.astype(float), sp.identity(n_r, format="csr")])
        A_w = sp.hstack([sp.csr_matrix((1, n_k)), sp.csr_matrix(mw[None, :])])
        A = sp.vstack([A_cov, A_w, sp.hstack([S, sp.csr_matrix((S.shape[0], n_r))])],
                      format="csr")
        lo = np.concatenate([np.full(n_r, -np.inf), [need * (1 - 1e-12)], s_lo])
        hi = np.concatenate([np.zeros(n_r), [np.inf], s_hi])
        c = np.concatenate([obj_c, np.zeros(n_r)])
        col_lo = np.concatenate([sub_rules.lower(), np.zeros(n_r)])
        col_hi = np.concatenate([sub_rules.upper(), np.ones(n_r)])
        integer = np.ones(n_k + n_r, dtype=bool)
    start = None
    if warm_start and n_k > 0:
        g_open = greedy_coverage(merged.tocsc(), mw, sub_rules.with_p(None, "le"))
        if g_open is not None and (merged @ g_open.astype(float) > 0).all():
            start = g_open.astype(float)
            if share < 1.0:
                start = np.concatenate([start, np.minimum(merged @ start, 1.0)])
    out = solve_milp(c=c, A=A, row_lower=lo, row_upper=hi, col_lower=col_lo,
                     col_upper=col_hi, integer=integer, time_limit=time_limit,
                     mip_gap=mip_gap, start=start)
    if out.x is None:
        why = ["no selection covers the demand within the budget/quota rules"]
        if out.status == "no_solution":
            why = ["no covering selection was found within the time limit"]
        return infeasible_result(model, why, seconds=time.perf_counter() - t0,
                                 uncoverable=uncoverable)
    is_open = rules.fixed.copy()
    is_open[keep[out.x[:n_k] > 0.5]] = True
    open_idx = np.nonzero(is_open)[0]
    covered = np.diff(C[:, open_idx].tocsr().indptr) > 0
    selected = np.nonzero(is_open & ~rules.fixed)[0]
    objective = float(rules.cost[selected].sum()) if weighted_cost else float(selected.size)
    bound = min(out.bound, objective)
    if not weighted_cost:
        bound = float(np.ceil(bound - 1e-6))
    gap = gap_of(objective, bound)
    status: Status = "optimal" if gap == 0.0 else out.status  # type: ignore[assignment]
    cw = float(w[covered].sum())
    what = f"total cost {objective:g}" if weighted_cost else f"{selected.size} new site(s)"
    msg = (
        f"{what} cover {100 * cw / max(w_total, 1e-300):.2f}% of demand weight; status "
        f"{status}, gap {gap:.2e}." + _uncoverable_text(uncoverable, w)
    )
    return LocationResult(
        model=model, selected=selected, open_sites=open_idx, objective=objective, bound=bound,
        gap=gap, status=status, solve_seconds=time.perf_counter() - t0, message=msg,
        covered=covered, coverage_weight=cw, uncoverable=uncoverable, n_reduced_demand=n_r,
        n_reduced_candidates=n_k,
        details=MappingProxyType({"covered_share": cw / max(w_total, 1e-300),
                                  "milp_seconds": out.seconds}),
    )


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
    """Backup coverage: fewest sites covering all coverable demand, then most demand twice.

    Parameters
    ----------
    coverage
        Boolean matrix (demand x sites), dense or scipy.sparse.
    weights
        Demand weights for the backup objective; default all ones (spopt's ``backup_perc``
        is the share of demand points).
    fixed, forced, excluded
        Existing sites (count towards coverage and backup), must-open, never-open sites.
    time_limit, mip_gap
        Solver controls for each of the two stages.

    Returns
    -------
    LocationResult
        ``objective`` is the backup-covered weight; ``details["backup_share"]`` its share of
        the total weight and ``details["n_sites"]`` the LSCP minimum used.
        ``details["backup_share_spopt"]`` is spopt's ``backup_perc / 100``: spopt leaves the
        backup variable of a demand point with fewer than two sites in reach unconstrained,
        so it counts those points as backed up (on the San Francisco data 145 of 205 tracts
        are truly covered twice; spopt reports 167 = 145 + 22 single-site tracts).
    """
    t0 = time.perf_counter()
    C = as_coverage(coverage)
    w = as_weights(weights, C.shape[0])
    rules = site_rules(C.shape[1], fixed=fixed, forced=forced, excluded=excluded)
    first = _lscp_core(C, w, rules, share=1.0, weighted_cost=False, time_limit=time_limit,
                       mip_gap=0.0, warm_start=True, t0=t0)
    if first.status == "infeasible":
        return infeasible_result("lscpb", [first.message], seconds=time.perf_counter() - t0,
                                 uncoverable=first.uncoverable)
    n_sites = int(first.selected.size)
    uncoverable, _, cand = _prepare(C, rules)
    coverable = np.ones(C.shape[0], dtype=bool)
    coverable[uncoverable] = False
    fixed_idx = np.nonzero(rules.fixed)[0]
    f = np.minimum(np.asarray(C[:, fixed_idx].sum(axis=1)).ravel(), 2).astype(np.int64)
    rows = np.nonzero(coverable)[0]
    sub = C[rows][:, cand].tocsr()
    tag = sp.csr_matrix((np.ones(rows.size, dtype=bool), (np.arange(rows.size), f[rows])),
                        shape=(rows.size, 3))
    merged_t, mw, inv = merge_identical_rows(sp.hstack([sub, tag], format="csr"), w[rows])
    merged = merged_t[:, : cand.size].tocsr()
    fr = np.zeros(merged.shape[0], dtype=np.int64)
    fr[inv] = f[rows]
    n_r, n_k = merged.shape
    deg = np.diff(merged.indptr) + fr
    can_backup = deg >= 2
    sub_rules = rules.subset(cand).with_p(n_sites, "eq")
    S, s_lo, s_hi = sub_rules.rows()
    # rows: sum a x - u >= 1 - f  (u fixed at 0 where backup is impossible)
    A = sp.vstack([
        sp.hstack([merged.astype(float), -sp.identity(n_r, format="csr")]),
        sp.hstack([S, sp.csr_matrix((S.shape[0], n_r))]),
    ], format="csr")
    lo = np.concatenate([1.0 - fr, s_lo])
    hi = np.concatenate([np.full(n_r, np.inf), s_hi])
    c = np.concatenate([np.zeros(n_k), mw])
    col_lo = np.concatenate([sub_rules.lower(), np.zeros(n_r)])
    col_hi = np.concatenate([sub_rules.upper(), can_backup.astype(float)])
    x0 = np.zeros(n_k)
    x0[np.searchsorted(cand, first.selected)] = 1.0
    u0 = np.minimum(np.maximum(merged @ x0 + fr - 1.0, 0.0), col_hi[n_k:])
    out = solve_milp(c=c, A=A, row_lower=lo, row_upper=hi, col_lower=col_lo, col_upper=col_hi,
                     integer=np.ones(n_k + n_r, dtype=bool), maximize=True,
                     time_limit=time_limit, mip_gap=mip_gap, start=np.concatenate([x0, u0]))
    if out.x is None:
        return infeasible_result("lscpb", ["the backup stage found no solution in time"],
                                 seconds=time.perf_counter() - t0, uncoverable=uncoverable)
    is_open = rules.fixed.copy()
    is_open[cand[out.x[:n_k] > 0.5]] = True
    open_idx = np.nonzero(is_open)[0]
    times = np.asarray(C[:, open_idx].sum(axis=1)).ravel()
    objective = float(w[times >= 2].sum())
    bound = max(out.bound, objective)
    gap = gap_of(objective, bound)
    status: Status = "optimal" if gap == 0.0 else out.status  # type: ignore[assignment]
    w_total = float(w.sum())
    share = objective / max(w_total, 1e-300)
    allowed_deg = np.asarray(C[:, np.nonzero(~rules.excluded)[0]].sum(axis=1)).ravel()
    single = allowed_deg < 2
    share_spopt = (objective + float(w[single].sum())) / max(w_total, 1e-300)
    msg = (
        f"{n_sites} new site(s) (the LSCP minimum) cover all coverable demand; "
        f"{100 * share:.4f}% of demand weight is covered at least twice; status {status}."
        + _uncoverable_text(uncoverable, w)
    )
    return LocationResult(
        model="lscpb", selected=np.nonzero(is_open & ~rules.fixed)[0], open_sites=open_idx,
        objective=objective, bound=bound, gap=gap, status=status,
        solve_seconds=time.perf_counter() - t0, message=msg, covered=times >= 1,
        coverage_weight=float(w[times >= 1].sum()), uncoverable=uncoverable,
        n_reduced_demand=n_r, n_reduced_candidates=n_k,
        details=MappingProxyType({
            "backup_share": share,
            "backup_share_spopt": share_spopt,
            "n_sites": float(n_sites),
        }),
    )
