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

Demand that no allowed site can cover is reported (note ``uncoverable_demand``), never
silently dropped.  Both models accept the site rules (existing, forced, excluded sites, a
budget on the build cost, township minimums); ``p`` is not theirs to take.

HiGHS gets no warm start here: on set covering models HiGHS 1.16 presolves the start,
proves the presolved start's objective optimal and then returns the *unpresolved* start
(7 sites labelled "optimal, 6"), and without the start it was faster on every benchmark
size (2,000 x 200 at 3 km 0.05 -> 0.03 s; 20,000 x 2,000 at 1 km 0.36 -> 0.20 s).  The
greedy cover is kept only as a fallback answer when HiGHS finds nothing in time.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from types import MappingProxyType

import numpy as np
import scipy.sparse as sp

from coverage.optimize._count import limited
from coverage.optimize._finish import verdict
from coverage.optimize._highs import MilpOutcome, solve_milp
from coverage.optimize._problem import SiteRules, rules_for
from coverage.optimize.heuristics import greedy_coverage
from coverage.optimize.problem import LocationProblem
from coverage.optimize.reductions import dominated_columns, merge_identical_rows
from coverage.optimize.results import (
    InfeasibilityReason,
    LocationResult,
    Note,
    infeasible_result,
    no_solution_result,
    note,
    reason,
)

__all__ = ["cover_model", "lscp_model", "lscpb_model"]

logger = logging.getLogger(__name__)


def _uncoverable_notes(idx: np.ndarray, w: np.ndarray) -> list[Note]:
    if idx.size == 0:
        return []
    shown = ", ".join(str(i) for i in idx[:10]) + (" …" if idx.size > 10 else "")
    weight = float(w[idx].sum())
    return [note("uncoverable_demand",
                 f"{idx.size} demand point(s) (rows {shown}; weight {weight:g}) have no "
                 "existing or candidate site within the service standard and can never be "
                 "covered", rows=idx, count=idx.size, weight=weight)]


def _prepare(C: sp.csr_matrix, rules: SiteRules) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(uncoverable rows, rows covered by fixed sites, candidate columns)."""
    allowed = np.nonzero(~rules.excluded)[0]
    reach = np.diff(C[:, allowed].tocsr().indptr) > 0
    fixed_idx = np.nonzero(rules.fixed)[0]
    by_fixed = np.diff(C[:, fixed_idx].tocsr().indptr) > 0
    return np.nonzero(~reach)[0], by_fixed, np.nonzero(rules.free)[0]


def lscp_model(
    problem: LocationProblem,
    *,
    share: float,
    by_cost: bool,
    time_limit: float | None,
    mip_gap: float,
    warm_start: bool,
) -> LocationResult:
    """Fewest new sites (or least build cost) covering all coverable demand or a share.

    Parameters
    ----------
    problem
        The validated problem (``coverage`` set).
    share
        Share of the *total* demand weight to cover, in ``(0, 1]``.  With ``share=1``
        every demand point that some allowed site can reach is covered, whatever its
        weight; the others are listed in ``uncoverable`` (note ``uncoverable_demand``).
    by_cost
        Minimize the summed ``site_cost`` of the new sites instead of their number.
    time_limit, mip_gap, warm_start
        Solver controls (seconds, relative gap, greedy fallback cover).

    Returns
    -------
    LocationResult
        ``objective`` is the number (or build cost) of new sites.
    """
    t0 = time.perf_counter()
    C = problem.coverage
    assert C is not None
    rules = rules_for(problem, None, "le")
    out = cover_model(C, problem.weights, rules, share=share, by_cost=by_cost,
                      time_limit=time_limit, mip_gap=mip_gap, warm_start=warm_start, t0=t0)
    if out.status == "infeasible" and rules.budget is not None and not out.reasons:
        out = dataclasses.replace(out, reasons=(_budget_reason(
            problem, share, time_limit=None if time_limit is None
            else time_limit - (time.perf_counter() - t0)),))
        out = dataclasses.replace(out, message=f"No feasible selection: {out.reasons[0].message}.",
                                  solve_seconds=time.perf_counter() - t0)
    return out


def _budget_reason(
    problem: LocationProblem, share: float, *, time_limit: float | None
) -> InfeasibilityReason:
    """Why a budget admits no cover: the cheapest cover (same rules, no budget) costs more."""
    assert problem.budget is not None
    budget = problem.budget
    cheapest = float("nan")
    if time_limit is None or time_limit > 0.1:
        free = dataclasses.replace(problem, budget=None)
        C = free.coverage
        assert C is not None
        res = cover_model(C, free.weights, rules_for(free, None, "le"), share=share,
                          by_cost=True, time_limit=time_limit, mip_gap=0.0, warm_start=True,
                          t0=time.perf_counter())
        if res.status == "optimal":
            cheapest = res.objective
        elif res.status == "feasible":
            cheapest = res.bound  # at least this much
    text = (f"the cheapest cover costs {cheapest:g}" if np.isfinite(cheapest)
            else "no cover was found")
    return reason("cover_over_budget", f"covering the demand within the rules needs more "
                  f"than the budget {budget:g} ({text})", budget=budget, cost=cheapest)


def cover_model(
    C: sp.csr_matrix,
    w: np.ndarray,
    rules: SiteRules,
    *,
    share: float,
    by_cost: bool,
    time_limit: float | None,
    mip_gap: float,
    warm_start: bool,
    t0: float,
    model: str = "lscp",
) -> LocationResult:
    """The LSCP engine on a coverage matrix and site rules (also p-center's radius test).

    ``rules.p`` (if set) bounds the number of new sites (``le``).
    """
    uncoverable, by_fixed, cand = _prepare(C, rules)
    notes = _uncoverable_notes(uncoverable, w)
    reasons = rules.infeasibility()
    w_total = float(w.sum())
    w_fixed = float(w[by_fixed].sum())
    coverable = np.ones(C.shape[0], dtype=bool)
    coverable[uncoverable] = False
    target = share * w_total
    if share < 1.0 and target > float(w[coverable].sum()) * (1 + 1e-12):
        reasons.append(reason(
            "share_unreachable",
            f"covering {100 * share:g}% of demand needs weight {target:g} but only "
            f"{w[coverable].sum():g} is within reach of any allowed site",
            share=share, target=target, reachable=float(w[coverable].sum())))
    if reasons:
        return infeasible_result(model, reasons, seconds=time.perf_counter() - t0,
                                 uncoverable=uncoverable, notes=tuple(notes))
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
    obj_c = sub_rules.cost if by_cost else np.ones(n_k)
    S, s_lo, s_hi = sub_rules.rows()
    need = max(target - w_fixed, 0.0)
    if share >= 1.0:
        A = sp.vstack([merged.astype(float), S], format="csr")
        lo = np.concatenate([np.ones(n_r), s_lo])
        hi = np.concatenate([np.full(n_r, np.inf), s_hi])
        c = obj_c
        col_lo, col_hi = sub_rules.lower(), sub_rules.upper()
        integer = np.ones(n_k, dtype=bool)
    else:
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
    fallback = None
    if warm_start and n_k > 0:
        g_open = greedy_coverage(merged.tocsc(), mw if share < 1.0 else np.ones(n_r),
                                 sub_rules)
        if g_open is not None:
            fallback = g_open.astype(float)
            if share < 1.0:
                fallback = np.concatenate([fallback, np.minimum(merged @ fallback, 1.0)])
    out = solve_milp(c=c, A=A, row_lower=lo, row_upper=hi, col_lower=col_lo,
                     col_upper=col_hi, integer=integer, time_limit=time_limit,
                     mip_gap=mip_gap, start=fallback, start_to_highs=False)
    if out.x is None:
        if out.status == "infeasible":
            why = [] if rules.budget is not None else [reason(
                "rules_conflict", "the MILP solver proved that no selection covers the "
                "demand under the group rules")]
            return infeasible_result(model, why, seconds=time.perf_counter() - t0,
                                     uncoverable=uncoverable, notes=tuple(notes))
        return no_solution_result(model, seconds=time.perf_counter() - t0, stop=out.stop,
                                  bound=out.bound, uncoverable=uncoverable)
    is_open = rules.fixed.copy()
    is_open[keep[out.x[:n_k] > 0.5]] = True
    return _finish_cover(model, C, w, rules, is_open, out, share=share, by_cost=by_cost,
                         coverable=coverable, uncoverable=uncoverable, notes=notes,
                         n_r=n_r, n_k=n_k, t0=t0)


def _finish_cover(
    model: str,
    C: sp.csr_matrix,
    w: np.ndarray,
    rules: SiteRules,
    is_open: np.ndarray,
    out: MilpOutcome,
    *,
    share: float,
    by_cost: bool,
    coverable: np.ndarray,
    uncoverable: np.ndarray,
    notes: list[Note],
    n_r: int,
    n_k: int,
    t0: float,
) -> LocationResult:
    """Re-evaluate a cover on the original input and decide its status."""
    t_check = time.perf_counter()
    open_idx = np.nonzero(is_open)[0]
    covered = np.diff(C[:, open_idx].tocsr().indptr) > 0
    selected = np.nonzero(is_open & ~rules.fixed)[0]
    objective = float(rules.cost[selected].sum()) if by_cost else float(selected.size)
    w_total = float(w.sum())
    cw = float(w[covered].sum())
    violations = rules.violations(is_open)
    if share >= 1.0 and (coverable & ~covered).any():
        violations.append(f"{int((coverable & ~covered).sum())} coverable rows uncovered")
    if share < 1.0 and cw < share * w_total * (1 - 1e-9) - 1e-9:
        violations.append(f"covered weight {cw:g} below the share target")
    bound = out.bound
    if not by_cost and np.isfinite(bound):
        bound = float(np.ceil(bound - 1e-6))
    v = verdict(model, objective, bound, maximize=False, stop=out.stop, violations=violations)
    check_seconds = out.check_seconds + time.perf_counter() - t_check
    if v.status == "no_solution":
        return no_solution_result(model, seconds=time.perf_counter() - t0, stop=v.stop,
                                  uncoverable=uncoverable)
    limited_by, lim_notes = (None, ()) if rules.p is None else limited(rules, is_open, None)
    what = f"total cost {objective:g}" if by_cost else f"{selected.size} new site(s)"
    msg = (
        f"{what} cover {100 * cw / max(w_total, 1e-300):.2f}% of demand weight; status "
        f"{v.status}, gap {v.gap:.2e}." + "".join(f" {x.message}." for x in notes)
    )
    return LocationResult(
        model=model, selected=selected, open_sites=open_idx, objective=objective,
        bound=v.bound, gap=v.gap, status=v.status, solve_seconds=time.perf_counter() - t0,
        message=msg, stop=v.stop, n_new=int(selected.size), limited_by=limited_by,
        notes=tuple(notes) + tuple(lim_notes), covered=covered, coverage_weight=cw,
        uncoverable=uncoverable, n_reduced_demand=n_r, n_reduced_candidates=n_k,
        details=MappingProxyType({"covered_share": cw / max(w_total, 1e-300),
                                  "milp_seconds": out.seconds,
                                  "milp_resolves": float(out.resolves),
                                  "check_seconds": check_seconds}),
    )


def lscpb_model(
    problem: LocationProblem,
    *,
    time_limit: float | None,
    mip_gap: float,
    warm_start: bool,
) -> LocationResult:
    """Backup coverage: fewest sites covering all coverable demand, then most demand twice.

    Parameters
    ----------
    problem
        The validated problem (``coverage`` set).  ``weights`` weight the backup objective
        (spopt's ``backup_perc`` is the share of demand points: all weights one).
    time_limit, mip_gap, warm_start
        Solver controls for the two stages together.

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
    C = problem.coverage
    assert C is not None
    w = problem.weights
    rules = rules_for(problem, None, "le")
    first = lscp_model(problem, share=1.0, by_cost=False, time_limit=time_limit, mip_gap=0.0,
                       warm_start=warm_start)
    if first.status in ("infeasible", "no_solution"):
        return dataclasses.replace(first, model="lscpb", solve_seconds=time.perf_counter() - t0)
    n_sites = int(first.selected.size)
    notes = list(first.notes)
    if first.status != "optimal":
        notes.append(note("stage_one_not_optimal",
                          f"the minimum number of sites was not proven ({n_sites} found, at "
                          f"least {first.bound:g}); the backup stage used {n_sites}",
                          n_sites=n_sites, bound=first.bound))
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
    remaining = None if time_limit is None else time_limit - (time.perf_counter() - t0)
    out = solve_milp(c=c, A=A, row_lower=lo, row_upper=hi, col_lower=col_lo, col_upper=col_hi,
                     integer=np.ones(n_k + n_r, dtype=bool), maximize=True,
                     time_limit=remaining, mip_gap=mip_gap, start=np.concatenate([x0, u0]),
                     start_to_highs=False)
    if out.x is None:
        return no_solution_result("lscpb", seconds=time.perf_counter() - t0, stop=out.stop,
                                  uncoverable=uncoverable)
    is_open = rules.fixed.copy()
    is_open[cand[out.x[:n_k] > 0.5]] = True
    open_idx = np.nonzero(is_open)[0]
    times = np.asarray(C[:, open_idx].sum(axis=1)).ravel()
    objective = float(w[times >= 2].sum())
    violations = rules.with_p(n_sites, "eq").violations(is_open)
    if (coverable & (times == 0)).any():
        violations.append("a coverable demand row is uncovered")
    stop = out.stop
    if first.status != "optimal":
        stop = first.stop
    v = verdict("lscpb", objective, out.bound, maximize=True, stop=stop,
                violations=violations)
    if v.status == "no_solution":
        return no_solution_result("lscpb", seconds=time.perf_counter() - t0, stop=v.stop,
                                  uncoverable=uncoverable)
    status, vstop = v.status, v.stop
    if first.status != "optimal" and status == "optimal":
        status, vstop = "feasible", first.stop
    w_total = float(w.sum())
    share = objective / max(w_total, 1e-300)
    allowed_deg = np.asarray(C[:, np.nonzero(~rules.excluded)[0]].sum(axis=1)).ravel()
    single = allowed_deg < 2
    share_spopt = (objective + float(w[single].sum())) / max(w_total, 1e-300)
    msg = (
        f"{n_sites} new site(s) (the LSCP minimum) cover all coverable demand; "
        f"{100 * share:.4f}% of demand weight is covered at least twice; status {status}."
        + "".join(f" {x.message}." for x in notes)
    )
    return LocationResult(
        model="lscpb", selected=np.nonzero(is_open & ~rules.fixed)[0], open_sites=open_idx,
        objective=objective, bound=v.bound, gap=v.gap, status=status,
        solve_seconds=time.perf_counter() - t0, message=msg, stop=vstop, n_new=n_sites,
        notes=tuple(notes), covered=times >= 1, coverage_weight=float(w[times >= 1].sum()),
        uncoverable=uncoverable, n_reduced_demand=n_r, n_reduced_candidates=n_k,
        details=MappingProxyType({
            "backup_share": share,
            "backup_share_spopt": share_spopt,
            "n_sites": float(n_sites),
            "milp_resolves": float(out.resolves) + first.details.get("milp_resolves", 0.0),
        }),
    )
