"""The p-median's radius model and the root LP that fixes its sites.

:class:`RadiusModel` builds the truncated radius formulation described in
:mod:`coverage.optimize.pmedian`; :func:`root_fixing` solves its LP relaxation and fixes
sites by reduced costs (models with a budget or quotas); :func:`milp_options` are the
HiGHS options its MILPs run with.
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.sparse as sp

from coverage.optimize._highs import solve_lp
from coverage.optimize._problem import SiteRules
from coverage.optimize.reductions import reduced_cost_fixing

__all__ = [
    "IPM_COLS",
    "TRUNC_FACTOR",
    "TRUNC_FACTOR_SMALL_P",
    "TRUSTED_START",
    "RadiusModel",
    "milp_options",
    "root_fixing",
]

logger = logging.getLogger(__name__)

TRUNC_FACTOR = 2.0
"""Initial truncation: each row keeps about this many times its fair share m/p of sites."""

TRUNC_FACTOR_SMALL_P = 1.0
"""Truncation factor for ``p <= 10``: with the heuristic radius as a floor, pmed26 needs a
single round either way and the smaller model solved faster (same process: 23 s vs 36 s,
and 33 s vs 49 s on a busier machine).  Not measured for larger ``p``, which keeps 2.0."""


class RadiusModel:
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


TRUSTED_START: dict[str, float | int | bool | str] = {
    "mip_heuristic_effort": 0.0,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_heuristic_run_feasibility_jump": False,
}
"""HiGHS options when the greedy + interchange start is given: it is usually optimal on
p-median instances, so primal heuristics (sub-MIPs) only cost time (pmed26: 6 of 24 s)."""

IPM_COLS = 5000
"""Columns from which root LPs are solved by interior point (+ crossover for ours).

pmed26 (600 sites, p = 5, 12,000 columns): HiGHS's simplex root LP takes about 13 s, its
interior point method under 2 s."""


def milp_options(trusted_start: bool, n_cols: int) -> dict[str, float | int | bool | str]:
    options: dict[str, float | int | bool | str] = dict(TRUSTED_START) if trusted_start else {}
    if n_cols >= IPM_COLS:
        options["mip_lp_solver"] = "ipm"
    return options


def root_fixing(
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
        method="ipm" if c.size >= IPM_COLS else "simplex",
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

