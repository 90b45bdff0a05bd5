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
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import scipy.sparse as sp

from coverage.optimize._count import CountPlan, limited, plan_count
from coverage.optimize._finish import verdict
from coverage.optimize._highs import gap_of, solve_lp, solve_milp
from coverage.optimize._problem import SiteRules, rules_for
from coverage.optimize.heuristics import pmedian_heuristic
from coverage.optimize.problem import LocationProblem
from coverage.optimize.reductions import (
    LagrangianFixing,
    lagrangian_pmedian_fixing,
    reduced_cost_fixing,
)
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

_TRUNC_FACTOR = 2.0
"""Initial truncation: each row keeps about this many times its fair share m/p of sites."""

_TRUNC_FACTOR_SMALL_P = 1.0
"""Truncation factor for ``p <= 10``: with the heuristic radius as a floor, pmed26 needs a
single round either way and the smaller model solved faster (same process: 23 s vs 36 s,
and 33 s vs 49 s on a busier machine).  Not measured for larger ``p``, which keeps 2.0."""


def _nearest_open(D: np.ndarray, is_open: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    idx = np.nonzero(is_open)[0]
    if idx.size == 0:
        return np.full(D.shape[0], np.inf), np.full(D.shape[0], -1)
    sub = D[:, idx]
    arg = sub.argmin(axis=1)
    d = sub[np.arange(D.shape[0]), arg]
    assign = np.where(np.isfinite(d), idx[arg], -1)
    return d, assign



def _objective(D: np.ndarray, w: np.ndarray, is_open: np.ndarray) -> float:
    """Total weighted travel to the nearest open site over the rows with positive weight."""
    pos = w > 0
    d = _nearest_open(D, is_open)[0]
    return float(w[pos] @ d[pos])


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


class _RadiusModel:
    """Radius formulation over all sites with per-row truncation radii."""

    def __init__(self, D: np.ndarray, w: np.ndarray, rules: SiteRules) -> None:
        self.rules = rules
        allowed = np.nonzero(~rules.excluded)[0]
        self.allowed = allowed
        rows = np.nonzero(w > 0)[0]
        self.rows = rows
        Da = D[np.ix_(rows, allowed)]
        order = np.argsort(Da, axis=1, kind="stable")
        self.V = np.take_along_axis(Da, order, axis=1)
        self.S = allowed[order]
        self.w = w[rows]
        self.n_finite = np.isfinite(self.V).sum(axis=1)
        fixed_allowed = rules.fixed[allowed]
        # rank cap: a row is complete once its radius reaches an existing site, or the
        # (m - p_total + 1) nearest when exactly p new sites open
        cap = self.n_finite.copy()
        if fixed_allowed.any():
            fixed_rank = np.argmax(rules.fixed[self.S], axis=1)
            has = rules.fixed[self.S].any(axis=1)
            cap = np.where(has, np.minimum(cap, fixed_rank + 1), cap)
        if rules.p is not None and rules.p_sense == "eq":
            p_total = rules.p + int(rules.fixed.sum())
            cap = np.minimum(cap, max(1, allowed.size - p_total + 1))
        # extend the cap to the end of its tie group
        self.cap = self._extend_ties(np.maximum(cap, 1))

    def _extend_ties(self, r: np.ndarray) -> np.ndarray:
        """Smallest count >= r that does not split a group of equal distances."""
        r = np.minimum(r, self.n_finite)
        r = np.maximum(r, 1)
        rowsel = np.arange(self.V.shape[0])
        last = self.V[rowsel, r - 1]
        return (last[:, None] >= self.V).sum(axis=1).astype(np.int64)

    def ranks_for_radius(self, T: np.ndarray) -> np.ndarray:
        """Number of sorted entries within radius ``T`` per row (capped, at least 1)."""
        r = (T[:, None] >= self.V).sum(axis=1)
        r = self._extend_ties(np.maximum(r, 1))
        return np.minimum(r, self.cap)

    def build(
        self, r: np.ndarray
    ) -> tuple[np.ndarray, sp.csr_matrix, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
        """Build the truncated model for ranks ``r``; returns c, A, bounds, offset."""
        m = self.rules.n_sites
        n = self.V.shape[0]
        k = np.arange(self.V.shape[1])
        inside = k[None, :] < r[:, None]
        new_level = np.ones_like(inside)
        new_level[:, 1:] = self.V[:, 1:] != self.V[:, :-1]
        lvl = np.cumsum(new_level, axis=1) - 1  # level index within the row
        L = lvl[np.arange(n), r - 1] + 1  # levels per row
        first = np.zeros(n + 1, dtype=np.int64)
        first[1:] = np.cumsum(L)
        nz = int(first[-1])
        ii, kk = np.nonzero(inside)
        var_of_entry = first[ii] + lvl[ii, kk]
        # z variables: index nz per level; coefficient w_i (next - this)
        level_vals = np.empty(nz)
        level_vals[var_of_entry] = self.V[ii, kk]
        nxt = np.full(nz, np.nan)
        nxt[:-1] = level_vals[1:]
        row_of_var = np.repeat(np.arange(n), L)
        is_last = np.zeros(nz, dtype=bool)
        is_last[first[1:] - 1] = True
        complete = r >= self.cap
        width = self.V.shape[1]
        nxt_out = np.where(
            r < width, self.V[np.arange(n), np.minimum(r, width - 1)], np.inf
        )
        nxt[is_last] = nxt_out
        coef = self.w[row_of_var] * (nxt - level_vals)
        z_hi = np.ones(nz)
        last_idx = first[1:] - 1
        z_hi[last_idx[complete]] = 0.0
        coef = np.where(z_hi == 0.0, 0.0, coef)
        coef = np.nan_to_num(coef, nan=0.0, posinf=0.0)
        # rows: one per z variable
        rows_y = var_of_entry
        cols_y = self.S[ii, kk]
        rows_z = np.arange(nz)
        cols_z = m + np.arange(nz)
        not_first = np.ones(nz, dtype=bool)
        not_first[first[:-1]] = False
        rows_zp = np.nonzero(not_first)[0]
        cols_zp = m + rows_zp - 1
        data = np.concatenate([np.ones(rows_y.size), np.ones(nz), -np.ones(rows_zp.size)])
        A = sp.csr_matrix(
            (data, (np.concatenate([rows_y, rows_z, rows_zp]),
                    np.concatenate([cols_y, cols_z, cols_zp]))),
            shape=(nz, m + nz),
        )
        row_lo = np.where(not_first, 0.0, 1.0)
        offset = float(self.w @ self.V[:, 0])
        self._first, self._levels, self._nz = first, level_vals, nz
        return coef, A, row_lo, z_hi, first, level_vals, offset

    def z_values(self, d: np.ndarray) -> np.ndarray:
        """z start values for a solution whose nearest-open distances are ``d``."""
        row_of_var = np.repeat(np.arange(self.V.shape[0]), np.diff(self._first))
        return (d[row_of_var] > self._levels + 1e-12).astype(float)


_TRUSTED_START: dict[str, float | int | bool | str] = {
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_heuristic_run_feasibility_jump": False,
}
"""HiGHS options when the greedy + interchange start is given: it is usually optimal on
p-median instances, so primal heuristics (sub-MIPs) only cost time (pmed26: 6 of 24 s)."""

_IPM_COLS = 5000
"""Columns from which root LPs are solved by interior point (+ crossover for ours).

pmed26 (600 sites, p = 5, 12,000 columns): HiGHS's simplex root LP takes about 13 s, its
interior point method under 2 s."""


def _milp_options(trusted_start: bool, n_cols: int) -> dict[str, float | int | bool | str]:
    options: dict[str, float | int | bool | str] = dict(_TRUSTED_START) if trusted_start else {}
    if n_cols >= _IPM_COLS:
        options["mip_lp_solver"] = "ipm"
    return options


def _root_fixing(
    c: np.ndarray,
    A: sp.csr_matrix,
    row_lo: np.ndarray,
    row_hi: np.ndarray,
    col_lo: np.ndarray,
    col_hi: np.ndarray,
    integer: np.ndarray,
    offset: float,
    incumbent: float,
    time_limit: float | None,
) -> tuple[np.ndarray, np.ndarray, float, int]:
    """Root LP bound of the (truncated) radius model and reduced-cost fixing of sites.

    The truncated model is a relaxation of the true problem, so its LP optimum ``L`` is a
    valid lower bound, and a site whose reduced cost ``d_j`` gives ``L + |d_j| >`` the
    incumbent's true objective cannot change in any better solution.

    Returns ``(col_lo, col_hi, lp_objective, n_fixed)``; the LP objective is ``-inf`` (and
    nothing is fixed) when the LP is not solved to optimality within its time share.
    """
    lp = solve_lp(
        c=c, A=A, row_lower=row_lo, row_upper=row_hi, col_lower=col_lo, col_upper=col_hi,
        offset=offset, time_limit=None if time_limit is None else time_limit / 3,
        method="ipm" if c.size >= _IPM_COLS else "simplex",
    )
    if lp.x is None or lp.reduced_cost is None:
        return col_lo, col_hi, -float("inf"), 0
    # sites only: fixing the level variables z as well was tried and lost the optimum of
    # pmed10 (1263 instead of 1255), so it is not done
    fix0, fix1 = reduced_cost_fixing(
        lp.x, lp.reduced_cost, lp.objective, incumbent, integer=integer,
        maximize=False,
    )
    lo, hi = col_lo.copy(), col_hi.copy()
    hi[fix0] = lo[fix0]
    lo[fix1] = hi[fix1]
    n_fixed = int(((fix0 | fix1) & (col_lo < col_hi)).sum())
    logger.info("root LP %.6g, incumbent %.6g: %d of %d columns fixed by reduced costs",
                lp.objective, incumbent, n_fixed, c.size)
    return lo, hi, lp.objective, n_fixed


_KERNEL_TIME = 30.0
"""Upper limit (s) for the kernel search; at most a quarter of the remaining time."""

_LAGRANGE_MAX_ENTRIES = 4_000_000
"""Largest dense ``n x m`` cost matrix on which the Lagrangian iterations use every entry;
larger ones keep the cheapest ``_LAGRANGE_KEEP x m / p`` sites per row (at least 20)."""

_LAGRANGE_KEEP = 3.0
"""Kept sites per row on large matrices, in multiples of the fair share ``m / p``: with the
open sites spread evenly, a row's ``3 m / p`` nearest candidates hold about three of them,
and a row's multiplier typically ends between its nearest and second-nearest open cost."""

_LAGRANGE_TIME_SHARE = 0.2
"""Share of the remaining time the subgradient iterations may use (at most 60 s)."""


def _integral_objective(D: np.ndarray, w: np.ndarray) -> bool:
    """Whether every objective value is an integer (integer weights and finite costs)."""
    finite = D[np.isfinite(D)]
    return bool(np.array_equal(w, np.round(w)) and np.array_equal(finite, np.round(finite)))


def _round_up(bound: float, integral: bool) -> float:
    """A lower bound on an integer objective may be rounded up (after a float margin)."""
    if not integral or not np.isfinite(bound):
        return bound
    return float(math.ceil(bound - 1e-6 * max(1.0, abs(bound))))


def _lagrangian_reduction(
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
    allowed); above :data:`_LAGRANGE_MAX_ENTRIES` matrix entries each row keeps its
    ``_LAGRANGE_KEEP x m / p`` cheapest sites (exact, see ``keep`` in
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
        u0 = w[rows] * _nearest_open(D, best_open)[0][rows]
    keep = None
    if D.size > _LAGRANGE_MAX_ENTRIES:
        p_total = max(1, n_choose + int(always.sum()))
        keep = max(20, math.ceil(_LAGRANGE_KEEP * rules.n_sites / p_total))
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
                _objective(D, w, res.best_open), res.stop)
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
            heur_obj = _objective(D, w, best_open)
            if not np.isfinite(heur_obj):  # it leaves demand unserved: no incumbent
                best_open, heur_obj = None, float("nan")
    lag_bound = -float("inf")
    lag_fixed = 0
    kernel_obj = float("nan")
    full_rules = rules
    if best_open is not None and not restricted:
        integral = _integral_objective(D, w)
        lag_limit = 60.0 if time_limit is None else min(
            60.0, _LAGRANGE_TIME_SHARE * (time_limit - (time.perf_counter() - t0)))
        rules, lag = _lagrangian_reduction(D, w, rules, best_open, heur_obj,
                                           time_limit=lag_limit)
        p_new = rules.p or 0
        if lag is not None and p_new >= _KERNEL_MIN_P and gap_of(
            heur_obj, _round_up(lag.bound, integral)
        ) > mip_gap:
            # a better incumbent closes more sites: solve the problem restricted to the
            # sites the Lagrangian subproblems keep choosing, then fix again from there
            k_limit = _KERNEL_TIME if time_limit is None else min(
                _KERNEL_TIME, 0.25 * (time_limit - (time.perf_counter() - t0)))
            found = _kernel_search(D, w, rules, lag, best_open, time_limit=k_limit)
            if found is not None:
                kernel_obj = _objective(D, w, found)
                if kernel_obj < heur_obj * (1.0 - 1e-12):
                    best_open, incumbent = found, kernel_obj
                    rules, lag2 = _lagrangian_reduction(D, w, rules, best_open, incumbent,
                                                        u0=lag.multipliers,
                                                        time_limit=lag_limit)
                    if lag2 is not None:
                        lag = dataclasses.replace(lag2, bound=max(lag.bound, lag2.bound))
        if lag is not None:
            lag_bound = _round_up(lag.bound, integral)
            lag_fixed = int(((rules.excluded & ~full_rules.excluded)
                             | (rules.forced & ~full_rules.forced)).sum())
    model_obj = _RadiusModel(D, w, rules)
    n_rows = model_obj.V.shape[0]
    p_total = max(1, (rules.p or 0) + int(rules.fixed.sum()))
    factor = _TRUNC_FACTOR_SMALL_P if p_total <= 10 else _TRUNC_FACTOR
    # initial radius: the k0-th nearest allowed site of the *full* problem, so that sites
    # closed by the Lagrangian fixing shrink the model, not the radius (a smaller radius
    # costs extra truncation rounds: pmed36 took two rounds and twice the time)
    full_allowed = np.nonzero(~full_rules.excluded)[0]
    k0 = min(full_allowed.size, max(3, math.ceil(factor * full_allowed.size / p_total)))
    Df = D[np.ix_(model_obj.rows, full_allowed)]
    T = np.partition(Df, k0 - 1, axis=1)[:, k0 - 1]
    T = np.where(np.isfinite(T), T, model_obj.V[np.arange(n_rows), model_obj.n_finite - 1])
    if best_open is not None:
        dh = _nearest_open(D, best_open)[0][model_obj.rows]
        T = np.maximum(T, np.where(np.isfinite(dh), dh, T))
    r = model_obj.ranks_for_radius(T)
    best_obj = _objective(D, w, best_open) if best_open is not None else float("inf")
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
            d_best = _nearest_open(D, best_open)[0][model_obj.rows]
            start = np.concatenate([best_open.astype(float), model_obj.z_values(d_best)])
        remaining = None if time_limit is None else time_limit - (time.perf_counter() - t0)
        if remaining is not None and remaining <= 0 and best_open is not None:
            break
        lp_obj = -float("inf")
        # root-LP fixing only where the Lagrangian reduction does not apply: after it, the
        # LP fixed 0-2 more sites (pmed36, 2000 x 200) for 3 s per round
        if start is not None and not np.isfinite(lag_bound):
            col_lo, col_hi, lp_obj, n_fix = _root_fixing(
                c, A_all, lo, hi, col_lo, col_hi, integer, offset, best_obj, remaining
            )
            lp_fixed = max(lp_fixed, n_fix)
            remaining = None if time_limit is None else time_limit - (time.perf_counter() - t0)
        out = solve_milp(
            c=c, A=A_all, row_lower=lo, row_upper=hi, col_lower=col_lo, col_upper=col_hi,
            integer=integer, offset=offset, time_limit=remaining, mip_gap=mip_gap, start=start,
            options=_milp_options(start is not None, c.size),
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
        d_x = _nearest_open(D, x_open)[0]
        obj_x = _objective(D, w, x_open)
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
        return _capacitated(model, D, w, rules, problem.capacity, plan, notes,
                            time_limit=time_limit, mip_gap=mip_gap, t0=t0)
    if plan.build_all:
        best_open = rules.fixed | rules.free
        search = _Search(best_open, _objective(D, w, best_open), "completed", 0, {})
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
        best_open = _fill_travel(D, w, rules, best_open)
    return _finish_travel(model, D, w, rules, plan, best_open, search.bound, search.stop,
                          notes, unreachable, n_rows=search.n_rows, stats=search.stats, t0=t0)


def _fill_travel(
    D: np.ndarray, w: np.ndarray, rules: SiteRules, is_open: np.ndarray
) -> np.ndarray:
    """With a budget (``p`` a maximum): add affordable sites that still shorten travel."""
    is_open = is_open.copy()
    pos = w > 0
    Dp = D[pos]
    wp = w[pos]
    d = _nearest_open(Dp, is_open)[0]
    tol = 1e-12 * max(1.0, float(wp @ np.where(np.isfinite(d), d, 0.0)))
    while True:
        new = is_open & ~rules.fixed
        spent = float(rules.cost[new].sum())
        if rules.p is not None and int(new.sum()) >= rules.p:
            break
        cand = rules.free & ~is_open
        if rules.budget is not None:
            cand &= rules.cost <= rules.budget - spent + 1e-9 * max(1.0, rules.budget)
        idx = np.nonzero(cand)[0]
        if idx.size == 0:
            break
        gain = wp @ np.maximum(d[:, None] - Dp[:, idx], 0.0)
        k = int(np.argmax(gain))
        if not gain[k] > tol:
            break
        is_open[idx[k]] = True
        d = np.minimum(d, Dp[:, idx[k]])
    return is_open


def _finish_travel(
    model: str,
    D: np.ndarray,
    w: np.ndarray,
    rules: SiteRules,
    plan: CountPlan,
    best_open: np.ndarray,
    bound: float,
    stop: StopReason,
    notes: list[Note],
    unreachable: np.ndarray,
    *,
    n_rows: int,
    stats: dict[str, float],
    t0: float,
    assign: np.ndarray | None = None,
    capacity: np.ndarray | None = None,
) -> LocationResult:
    """Re-evaluate a selection on the full travel matrix, check the rules, decide status."""
    t_check = time.perf_counter()
    pos = w > 0
    violations = rules.violations(best_open)
    if assign is None:
        d, assign = _nearest_open(D, best_open)
    else:
        ok = assign >= 0
        d = np.full(D.shape[0], np.inf)
        d[ok] = D[np.nonzero(ok)[0], assign[ok]]
        if (~best_open[assign[ok]]).any():
            violations.append("a demand row is assigned to a closed site")
        if capacity is not None:
            load = np.bincount(assign[ok], weights=w[ok], minlength=D.shape[1])
            if (load > capacity * (1 + 1e-9) + 1e-9).any():
                violations.append("a site serves more than its capacity")
    if not np.isfinite(d[pos]).all():
        violations.append("a demand row with positive weight reaches no open site")
    objective = float(w[pos] @ d[pos]) if not violations else float("nan")
    v = verdict(model, objective, bound, maximize=False, stop=stop, violations=violations)
    stats = {**stats, "check_seconds": stats.get("check_seconds", 0.0)
             + time.perf_counter() - t_check}
    if v.status == "no_solution":
        return no_solution_result(model, seconds=time.perf_counter() - t0, stop=v.stop,
                                  p=plan.requested, uncoverable=unreachable)
    selected = np.nonzero(best_open & ~rules.fixed)[0]
    limited_by, lim_notes = limited(rules, best_open, plan.requested)
    notes = notes + list(lim_notes)
    total_w = float(w.sum())
    mean = objective / total_w if total_w > 0 else 0.0
    worst = float(d[pos].max()) if pos.any() else 0.0
    msg = (
        f"{selected.size} new site(s): mean travel {mean:.6g} per unit weight, worst "
        f"{worst:.6g}; status {v.status}, gap {v.gap:.2e}."
        + "".join(f" {x.message}." for x in notes)
    )
    return LocationResult(
        model=model,
        selected=selected,
        open_sites=np.nonzero(best_open)[0],
        objective=objective,
        bound=v.bound,
        gap=v.gap,
        status=v.status,
        solve_seconds=time.perf_counter() - t0,
        message=msg,
        stop=v.stop,
        p=plan.requested,
        n_new=int(selected.size),
        limited_by=limited_by,
        notes=tuple(notes),
        assignment=assign,
        uncoverable=unreachable,
        n_reduced_demand=n_rows,
        n_reduced_candidates=int(rules.free.sum()),
        details=MappingProxyType({"mean_distance": mean, "max_distance": worst, **stats}),
    )


def _capacitated(
    model: str,
    D: np.ndarray,
    w: np.ndarray,
    rules: SiteRules,
    cap: np.ndarray,
    plan: CountPlan,
    notes: list[Note],
    *,
    time_limit: float | None,
    mip_gap: float,
    t0: float,
) -> LocationResult:
    """Capacitated p-median with single assignment (classical formulation).

    Only rows with positive weight are assigned in the model; zero-weight rows are then
    shown at their nearest open site.
    """
    m = D.shape[1]
    usable = ~rules.excluded
    rows_pos = np.nonzero(w > 0)[0]
    n_pos = rows_pos.size
    Dp, wp = D[rows_pos], w[rows_pos]
    ii, jj = np.nonzero(np.isfinite(Dp) & usable[None, :] & (wp[:, None] <= cap[None, :]))
    npair = ii.size
    # variables: y (m), x (npair)
    c = np.concatenate([np.zeros(m), wp[ii] * Dp[ii, jj]])
    blocks_r: list[np.ndarray] = []
    blocks_c: list[np.ndarray] = []
    blocks_v: list[np.ndarray] = []
    lo: list[np.ndarray] = []
    hi: list[np.ndarray] = []
    base = 0
    # assignment rows
    blocks_r.append(base + ii)
    blocks_c.append(m + np.arange(npair))
    blocks_v.append(np.ones(npair))
    lo.append(np.ones(n_pos))
    hi.append(np.ones(n_pos))
    base += n_pos
    # capacity rows: sum_i w_i x_ij - cap_j y_j <= 0
    blocks_r += [base + jj, base + np.arange(m)]
    blocks_c += [m + np.arange(npair), np.arange(m)]
    blocks_v += [wp[ii], -cap]
    lo.append(np.full(m, -np.inf))
    hi.append(np.zeros(m))
    base += m
    # x_ij <= y_j
    blocks_r += [base + np.arange(npair), base + np.arange(npair)]
    blocks_c += [m + np.arange(npair), jj]
    blocks_v += [np.ones(npair), -np.ones(npair)]
    lo.append(np.full(npair, -np.inf))
    hi.append(np.zeros(npair))
    base += npair
    A = sp.csr_matrix(
        (np.concatenate(blocks_v), (np.concatenate(blocks_r), np.concatenate(blocks_c))),
        shape=(base, m + npair),
    )
    S, s_lo, s_hi = rules.rows()
    A = sp.vstack([A, sp.hstack([S, sp.csr_matrix((S.shape[0], npair))])], format="csr")
    out = solve_milp(
        c=c, A=A, row_lower=np.concatenate([*lo, s_lo]), row_upper=np.concatenate([*hi, s_hi]),
        col_lower=np.concatenate([rules.lower(), np.zeros(npair)]),
        col_upper=np.concatenate([rules.upper(), np.ones(npair)]),
        integer=np.ones(m + npair, dtype=bool), time_limit=time_limit, mip_gap=mip_gap,
    )
    unreachable = np.nonzero(~np.isfinite(D[:, usable]).any(axis=1))[0]
    if out.x is None:
        if out.status == "infeasible":
            return infeasible_result(model, [reason(
                "rules_conflict", "the sites' capacities cannot serve every demand point "
                "under the rules (single assignment)")], seconds=time.perf_counter() - t0,
                p=plan.requested, uncoverable=unreachable, notes=tuple(notes))
        return no_solution_result(model, seconds=time.perf_counter() - t0, stop=out.stop,
                                  bound=out.bound, p=plan.requested, uncoverable=unreachable)
    is_open = out.x[:m] > 0.5
    xs = out.x[m:] > 0.5
    assign = _nearest_open(D, is_open)[1]
    assign[rows_pos] = -1
    assign[rows_pos[ii[xs]]] = jj[xs]
    return _finish_travel(model, D, w, rules, plan, is_open, out.bound, out.stop, notes,
                          unreachable, n_rows=n_pos, t0=t0, assign=assign, capacity=cap,
                          stats={"milp_seconds": out.seconds,
                                 "milp_resolves": float(out.resolves),
                                 "check_seconds": out.check_seconds})
