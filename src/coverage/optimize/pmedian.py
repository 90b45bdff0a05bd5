"""p-median: minimize total weighted travel to the nearest open site.

Uncapacitated formulation — the radius ("Elloumi 2010 / Cornuéjols–Nemhauser–Wolsey")
model on sorted distinct distances ``D_i^0 < D_i^1 < ...`` of each demand row::

    min  sum_i w_i (D_i^0 + sum_l (D_i^{l+1} - D_i^l) z_il)
    s.t. z_i0 + sum_{j: d_ij = D_i^0} y_j >= 1
         z_il - z_i,l-1 + sum_{j: d_ij = D_i^l} y_j >= 0
         side rows on y (count p, budget, group minimums),  y binary, z >= 0

(``z_il`` = 1 when no open site lies within ``D_i^l``.)  Its LP relaxation equals the
classical assignment formulation's, with one row per distinct distance instead of one
column per pair and nonzeros linear in the pairs.

Sparse truncation with a certificate: each row keeps only levels up to a radius ``T_i``
(at least its distance in the heuristic solution).  The truncated model is a relaxation,
so its bound is valid.  When the solution reaches some row only beyond ``T_i`` the radius
of those rows is enlarged and the model re-solved (warm-started); the loop stops when no
row is truncated at its assignment (then the truncated optimum is the true optimum) or the
true objective is within ``mip_gap`` of the bound.

Before the MILP, a Lagrangian relaxation of the assignment rows (subgradient from the
heuristic's distances) gives a bound and closes the sites that cannot be in any solution
better than the heuristic one (plain models only; pmed36: 474 of 800 sites).  When the
heuristic is not proven optimal and ``p > 10``, a kernel search solves the problem
restricted to the sites the Lagrangian subproblems keep opening; its solution, usually
optimal, is the new incumbent and a second subgradient pass from the best multipliers
fixes again (2,000 x 200, p = 50: 0 sites closed after the heuristic, 94 after the kernel).
With integer costs and weights the Lagrangian bound is rounded up.  Models with
a budget or quotas instead solve the LP relaxation each round (interior point + crossover
on large models) and fix the sites whose reduced cost shows they cannot change in a better
solution.  HiGHS then runs without its primal sub-MIP heuristics, since the warm start is
usually already optimal.

Capacitated variant: classical assignment model with single sourcing, ``x_ij <= y_j`` and
``sum_i w_i x_ij <= capacity_j y_j``.

Demand rows with zero weight add nothing and are left out of every model (a zero-weight
row that reaches no allowed site is reported in ``uncoverable``, not as infeasibility).
Without a budget ``p`` is exact; with one it is a maximum and affordable sites that still
shorten travel are added after the search (a proven optimum never changes).  Every answer
is re-evaluated on the full travel matrix and checked against the rules before its status
is decided (:mod:`coverage.optimize._finish`); HiGHS's solutions are checked in
:func:`~coverage.optimize._highs.solve_milp`.

This module holds the engine (heuristic, Lagrangian fixing, kernel search, truncation
rounds) and the entry point; its parts live in private modules: the radius model and root
LP in :mod:`~coverage.optimize._pmedian_radius`, the Lagrangian fixing in
:mod:`~coverage.optimize._pmedian_lagrange`, the capacitated model in
:mod:`~coverage.optimize._pmedian_capacitated`, the evaluation of an answer in
:mod:`~coverage.optimize._pmedian_eval`.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from coverage.optimize._count import plan_count
from coverage.optimize._highs import gap_of, solve_milp
from coverage.optimize._pmedian_capacitated import capacitated
from coverage.optimize._pmedian_eval import fill_travel, finish_travel, nearest_open, total_travel
from coverage.optimize._pmedian_lagrange import (
    LAGRANGE_TIME_SHARE,
    integral_objective,
    lagrangian_reduction,
    round_up,
)
from coverage.optimize._pmedian_radius import (
    TRUNC_FACTOR,
    TRUNC_FACTOR_SMALL_P,
    RadiusModel,
    milp_options,
    root_fixing,
)
from coverage.optimize._problem import SiteRules, rules_for
from coverage.optimize.heuristics import pmedian_heuristic
from coverage.optimize.problem import LocationProblem
from coverage.optimize.reductions import LagrangianFixing
from coverage.optimize.results import (
    InfeasibilityReason,
    LocationResult,
    Note,
    StopReason,
    infeasible_result,
    no_solution_result,
    note,
    reason,
)

__all__ = ["median_model"]

logger = logging.getLogger(__name__)


def _unreachable(
    D: np.ndarray, w: np.ndarray, rules: SiteRules
) -> tuple[list[InfeasibilityReason], np.ndarray]:
    """Rows reaching no allowed site: a reason when any has positive weight."""
    allowed = ~rules.excluded
    reach = np.isfinite(D[:, allowed]).any(axis=1)
    bad = np.nonzero(~reach)[0]
    need = bad[w[bad] > 0]
    if need.size:
        weight = float(w[need].sum())
        return [reason("unreachable_demand",
                       f"{need.size} demand point(s) with positive weight (rows "
                       f"{need[:5].tolist()}) cannot reach any allowed site",
                       rows=need, count=need.size, weight=weight)], bad
    return [], bad


@dataclass(frozen=True)
class _Search:
    """Outcome of the p-median engine: best open mask, proven bound, why it stopped."""

    best_open: np.ndarray | None
    bound: float
    stop: StopReason
    n_rows: int
    stats: dict[str, float]


_KERNEL_TIME = 30.0
"""Upper limit (s) for the kernel search; at most a quarter of the remaining time."""

_KERNEL_SHARE = 0.1
"""A site belongs to the kernel when the Lagrangian subproblem opened it in at least this
share of the subgradient iterations.  2,000 x 200, p = 50 (benchmark family): the 68-site
kernel holds the optimum (the interchange heuristic is 0.57 % above it) and is solved in
1.2 s; a 0.5 share (62 sites) misses it by 0.04 %, a 0.02 share (118 sites) takes 3 s."""

_KERNEL_MIN_P = 11
"""No kernel search below this many new sites: the interchange heuristic is then nearly
always optimal already.  OR-Library with p <= 10 (15 instances): the kernel improved it
twice (pmed22 18.4 -> 10.3 s, pmed32 1.3 -> 2.2 s) and otherwise cost time (pmed36
44 -> 51 s, pmed38 17 -> 21 s, pmed26 2.7 -> 3.7 s); with p >= 18 it found the optimum
in every case where the heuristic missed it (pmed18-40, random 2,000 x 200)."""

_KERNEL_MAX_SHARE = 0.5
"""The kernel search is skipped when the kernel holds more than this share of the
choosable sites (the restricted problem would be nearly as hard as the whole one)."""


def _kernel_search(
    D: np.ndarray,
    w: np.ndarray,
    rules: SiteRules,
    lag: LagrangianFixing,
    best_open: np.ndarray,
    *,
    time_limit: float,
) -> np.ndarray | None:
    """Solve the p-median restricted to the sites the Lagrangian subproblems favour.

    The kernel is every site opened in at least :data:`_KERNEL_SHARE` of the subgradient
    iterations plus the incumbent's sites; the restricted problem is solved exactly (same
    engine, no further kernel step) within ``time_limit``.  Returns the open-site mask of
    the restricted optimum (or best found), ``None`` when the step does not apply.  The
    caller keeps it only if it beats the incumbent; nothing here weakens the final proof.
    """
    choosable = rules.free & ~rules.forced
    kernel = (lag.chosen_share >= _KERNEL_SHARE) | best_open | rules.fixed | rules.forced
    n_kernel = int((kernel & choosable).sum())
    if n_kernel >= _KERNEL_MAX_SHARE * int(choosable.sum()) or time_limit <= 0:
        return None
    sub = dataclasses.replace(rules, excluded=rules.excluded | ~kernel)
    res = _median_search(
        "pmedian", D, w, sub, time_limit=time_limit, mip_gap=0.0, warm_start=True,
        t0=time.perf_counter(), restricted=True,
    )
    if res is None or res.best_open is None:
        return None
    logger.info("kernel of %d sites: objective %.6g (%s)", n_kernel,
                total_travel(D, w, res.best_open), res.stop)
    return res.best_open


def _median_search(
    model: str,
    D: np.ndarray,
    w: np.ndarray,
    rules: SiteRules,
    *,
    time_limit: float | None,
    mip_gap: float,
    warm_start: bool,
    t0: float,
    restricted: bool = False,
) -> _Search | None:
    """The p-median engine: heuristic, Lagrangian fixing, kernel, truncated radius MILPs.

    ``restricted=True`` marks the kernel search's own solve: no Lagrangian step (its
    subgradient over the full demand would cost more than the small MILP) and no kernel.
    Returns ``None`` when the MILP proves that no selection meets the rules.
    """
    finite_max = float(np.max(D[np.isfinite(D)])) if np.isfinite(D).any() else 1.0
    penalty = finite_max * (D.shape[0] + 1) + 1.0
    Dh = np.where(np.isfinite(D), D, penalty)
    best_open: np.ndarray | None = None
    heur_obj = float("nan")
    if warm_start:
        h_limit = 60.0 if time_limit is None else max(0.1 * time_limit, 0.5)
        best_open = pmedian_heuristic(Dh, w, rules, time_limit=h_limit)
        if best_open is not None:
            heur_obj = total_travel(D, w, best_open)
            if not np.isfinite(heur_obj):  # it leaves demand unserved: no incumbent
                best_open, heur_obj = None, float("nan")
    lag_bound = -float("inf")
    lag_fixed = 0
    kernel_obj = float("nan")
    full_rules = rules
    if best_open is not None and not restricted:
        integral = integral_objective(D, w)
        lag_limit = 60.0 if time_limit is None else min(
            60.0, LAGRANGE_TIME_SHARE * (time_limit - (time.perf_counter() - t0)))
        rules, lag = lagrangian_reduction(D, w, rules, best_open, heur_obj,
                                           time_limit=lag_limit)
        p_new = rules.p or 0
        if lag is not None and p_new >= _KERNEL_MIN_P and gap_of(
            heur_obj, round_up(lag.bound, integral)
        ) > mip_gap:
            # a better incumbent closes more sites: solve the problem restricted to the
            # sites the Lagrangian subproblems keep choosing, then fix again from there
            k_limit = _KERNEL_TIME if time_limit is None else min(
                _KERNEL_TIME, 0.25 * (time_limit - (time.perf_counter() - t0)))
            found = _kernel_search(D, w, rules, lag, best_open, time_limit=k_limit)
            if found is not None:
                kernel_obj = total_travel(D, w, found)
                if kernel_obj < heur_obj * (1.0 - 1e-12):
                    best_open, incumbent = found, kernel_obj
                    rules, lag2 = lagrangian_reduction(D, w, rules, best_open, incumbent,
                                                        u0=lag.multipliers,
                                                        time_limit=lag_limit)
                    if lag2 is not None:
                        lag = dataclasses.replace(lag2, bound=max(lag.bound, lag2.bound))
        if lag is not None:
            lag_bound = round_up(lag.bound, integral)
            lag_fixed = int(((rules.excluded & ~full_rules.excluded)
                             | (rules.forced & ~full_rules.forced)).sum())
    model_obj = RadiusModel(D, w, rules)
    n_rows = model_obj.V.shape[0]
    p_total = max(1, (rules.p or 0) + int(rules.fixed.sum()))
    factor = TRUNC_FACTOR_SMALL_P if p_total <= 10 else TRUNC_FACTOR
    # initial radius: the k0-th nearest allowed site of the *full* problem, so that sites
    # closed by the Lagrangian fixing shrink the model, not the radius (a smaller radius
    # costs extra truncation rounds: pmed36 took two rounds and twice the time)
    full_allowed = np.nonzero(~full_rules.excluded)[0]
    k0 = min(full_allowed.size, max(3, math.ceil(factor * full_allowed.size / p_total)))
    Df = D[np.ix_(model_obj.rows, full_allowed)]
    T = np.partition(Df, k0 - 1, axis=1)[:, k0 - 1]
    T = np.where(np.isfinite(T), T, model_obj.V[np.arange(n_rows), model_obj.n_finite - 1])
    if best_open is not None:
        dh = nearest_open(D, best_open)[0][model_obj.rows]
        T = np.maximum(T, np.where(np.isfinite(dh), dh, T))
    r = model_obj.ranks_for_radius(T)
    best_obj = total_travel(D, w, best_open) if best_open is not None else float("inf")
    # the Lagrangian bound holds for the full problem; beyond the incumbent it says nothing
    bound = min(lag_bound, best_obj)
    stop: StopReason = "time_limit"
    rounds = 0
    milp_seconds = 0.0
    n_vars = 0
    lp_fixed = 0
    resolves = 0
    check_seconds = 0.0
    # the Lagrangian bound (rounded up for integer data) may already meet the incumbent
    proven = best_open is not None and gap_of(best_obj, bound) <= max(mip_gap, 0.0)
    if proven:
        stop = "completed" if gap_of(best_obj, bound) == 0.0 else "gap_limit"
    while not proven:
        rounds += 1
        c_z, A, row_lo, z_hi, _, _, offset = model_obj.build(r)
        m = rules.n_sites
        nz = c_z.size
        n_vars = nz
        S, s_lo, s_hi = rules.rows()
        A_all = sp.vstack([A, sp.hstack([S, sp.csr_matrix((S.shape[0], nz))])], format="csr")
        lo = np.concatenate([row_lo, s_lo])
        hi = np.concatenate([np.full(nz, np.inf), s_hi])
        c = np.concatenate([np.zeros(m), c_z])
        col_lo = np.concatenate([rules.lower(), np.zeros(nz)])
        col_hi = np.concatenate([rules.upper(), z_hi])
        integer = np.concatenate([np.ones(m, dtype=bool), np.zeros(nz, dtype=bool)])
        start = None
        if best_open is not None:
            d_best = nearest_open(D, best_open)[0][model_obj.rows]
            start = np.concatenate([best_open.astype(float), model_obj.z_values(d_best)])
        remaining = None if time_limit is None else time_limit - (time.perf_counter() - t0)
        if remaining is not None and remaining <= 0 and best_open is not None:
            break
        lp_obj = -float("inf")
        # root-LP fixing only where the Lagrangian reduction does not apply: after it, the
        # LP fixed 0-2 more sites (pmed36, 2000 x 200) for 3 s per round
        if start is not None and not np.isfinite(lag_bound):
            col_lo, col_hi, lp_obj, n_fix = root_fixing(
                c, A_all, lo, hi, col_lo, col_hi, integer, offset, best_obj, remaining
            )
            lp_fixed = max(lp_fixed, n_fix)
            remaining = None if time_limit is None else time_limit - (time.perf_counter() - t0)
        out = solve_milp(
            c=c, A=A_all, row_lower=lo, row_upper=hi, col_lower=col_lo, col_upper=col_hi,
            integer=integer, offset=offset, time_limit=remaining, mip_gap=mip_gap, start=start,
            options=milp_options(start is not None, c.size),
        )
        milp_seconds += out.seconds
        check_seconds += out.check_seconds
        resolves += out.resolves
        stop = out.stop
        if out.x is None:
            if out.status == "infeasible" and start is None:
                return None
            if out.status == "infeasible":
                # nothing better than the incumbent: the reduced-cost fixing left no room
                bound = max(bound, best_obj)
                stop = "completed"
            break
        # with reduced-cost fixing the MILP bound holds only for solutions better than
        # the incumbent, which stays a candidate: the valid bound is the smaller of the two
        bound = max(bound, lp_obj, min(out.bound, best_obj) if start is not None else out.bound)
        x_open = out.x[:m] > 0.5
        d_x = nearest_open(D, x_open)[0]
        obj_x = total_travel(D, w, x_open)
        if obj_x < best_obj:
            best_obj, best_open = obj_x, x_open
        d_rows = d_x[model_obj.rows]
        last_in = model_obj.V[np.arange(n_rows), r - 1]
        violated = (r < model_obj.cap) & (d_rows > last_in + 1e-12)
        logger.info(
            "%s round %d: %d level vars, obj %.6g, bound %.6g, %d truncated rows",
            model, rounds, nz, best_obj, bound, int(violated.sum()),
        )
        if not violated.any():
            break
        if gap_of(best_obj, bound) <= max(mip_gap, 0.0) and mip_gap > 0:
            stop = "gap_limit"
            break
        if out.stop != "completed" and out.stop != "gap_limit":
            break
        stop = "time_limit"  # until a later round completes
        T_new = np.where(violated, np.maximum(d_rows, model_obj.V[np.arange(n_rows),
                         np.minimum(2 * r, model_obj.n_finite) - 1]), last_in)
        r = np.maximum(r, model_obj.ranks_for_radius(T_new))
    return _Search(
        best_open=best_open, bound=float(bound), stop=stop, n_rows=int(n_rows),
        stats={
            "heuristic_objective": heur_obj,
            "rounds": float(rounds),
            "level_variables": float(n_vars),
            "milp_seconds": milp_seconds,
            "milp_resolves": float(resolves),
            "check_seconds": check_seconds,
            "lp_fixed_sites": float(lp_fixed),
            "lagrangian_bound": lag_bound,
            "lagrangian_fixed_sites": float(lag_fixed),
            "kernel_objective": kernel_obj,
        },
    )


def median_model(
    model: str,
    problem: LocationProblem,
    p: int | None,
    *,
    time_limit: float | None,
    mip_gap: float,
    warm_start: bool,
) -> LocationResult:
    """Minimize total weighted travel to the nearest open site (p-median; travel quota).

    Parameters
    ----------
    model
        ``"pmedian"`` or ``"quota"`` (the name on the result).
    problem
        The validated problem (``travel`` set); with ``capacity`` the capacitated model
        with single assignment is solved.
    p
        New sites: exact without a budget, a maximum with one; ``None`` with a budget: as
        many as it allows.
    time_limit, mip_gap, warm_start
        Solver controls (seconds for the whole run, relative gap, greedy + fast
        interchange start).

    Returns
    -------
    LocationResult
        ``objective`` is the total weighted travel; ``assignment`` the serving site.
    """
    t0 = time.perf_counter()
    D = problem.travel
    assert D is not None
    w = problem.weights
    plan = plan_count(problem, p)
    rules = rules_for(problem, plan.p, plan.sense)
    reasons = rules.infeasibility()
    extra, unreachable = _unreachable(D, w, rules)
    notes: list[Note] = list(plan.notes)
    ignored = unreachable[w[unreachable] == 0]
    if ignored.size:
        notes.append(note("uncoverable_demand", f"{ignored.size} demand point(s) with zero "
                          "weight reach no allowed site (ignored)", rows=ignored,
                          count=ignored.size, weight=0.0))
    if problem.capacity is not None:
        usable = ~rules.excluded
        cap = problem.capacity
        if w.sum() > cap[usable].sum() + 1e-9:
            extra.append(reason("capacity_short",
                                f"total demand {w.sum():g} exceeds the capacity of all "
                                f"allowed sites {cap[usable].sum():g}",
                                demand=float(w.sum()), capacity=float(cap[usable].sum())))
    if reasons or extra:
        return infeasible_result(model, reasons + extra, seconds=time.perf_counter() - t0,
                                 p=plan.requested, uncoverable=unreachable,
                                 notes=tuple(notes))
    if problem.capacity is not None:
        return capacitated(model, D, w, rules, problem.capacity, plan, notes,
                            time_limit=time_limit, mip_gap=mip_gap, t0=t0)
    if plan.build_all:
        best_open = rules.fixed | rules.free
        search = _Search(best_open, total_travel(D, w, best_open), "completed", 0, {})
    else:
        found = _median_search(model, D, w, rules, time_limit=time_limit, mip_gap=mip_gap,
                               warm_start=warm_start, t0=t0)
        if found is None:
            return infeasible_result(model, [reason(
                "rules_conflict", "the MILP solver proved that no selection meets the budget "
                "and group rules together")], seconds=time.perf_counter() - t0,
                p=plan.requested, uncoverable=unreachable, notes=tuple(notes))
        search = found
    if search.best_open is None:
        return no_solution_result(model, seconds=time.perf_counter() - t0, stop=search.stop,
                                  bound=search.bound, p=plan.requested,
                                  uncoverable=unreachable)
    best_open = search.best_open
    if rules.budget is not None:
        best_open = fill_travel(D, w, rules, best_open)
    return finish_travel(model, D, w, rules, plan, best_open, search.bound, search.stop,
                          notes, unreachable, n_rows=search.n_rows, stats=search.stats, t0=t0)

