"""Capacitated p-median: the classical assignment model with single sourcing.

``x_ij <= y_j`` and ``sum_i w_i x_ij <= capacity_j y_j``; the answer is re-evaluated and
checked as every p-median answer (:func:`~coverage.optimize._pmedian_eval.finish_travel`).
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from coverage.optimize._count import CountPlan
from coverage.optimize._highs import solve_milp
from coverage.optimize._pmedian_eval import finish_travel, nearest_open
from coverage.optimize._problem import SiteRules
from coverage.optimize.results import (
    LocationResult,
    Note,
    infeasible_result,
    no_solution_result,
    reason,
)

__all__ = ["capacitated"]


def capacitated(
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
    assign = nearest_open(D, is_open)[1]
    assign[rows_pos] = -1
    assign[rows_pos[ii[xs]]] = jj[xs]
    return finish_travel(model, D, w, rules, plan, is_open, out.bound, out.stop, notes,
                          unreachable, n_rows=n_pos, t0=t0, assign=assign, capacity=cap,
                          stats={"milp_seconds": out.seconds,
                                 "milp_resolves": float(out.resolves),
                                 "check_seconds": out.check_seconds})
