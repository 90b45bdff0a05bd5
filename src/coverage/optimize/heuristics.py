"""Fast heuristics: warm starts for the MILPs and answers for very large instances.

* :func:`greedy_coverage` — greedy maximal covering (largest uncovered weight first, per unit
  cost when a budget binds) honouring fixed/forced/excluded sites, ``p``, budget and group
  minimums.
* :func:`interchange_coverage` — best-improvement swaps (one open site out, one closed in)
  for maximal covering with a plain count of sites, all swaps scored at once from the
  number of open sites covering each demand row.
* :func:`trim_useless` / :func:`fill_useful` — with a budget (``p`` a maximum): drop new
  sites that cover nothing uniquely, add affordable sites that still cover something.
* :func:`pmedian_heuristic` — greedy adding followed by Whitaker's fast interchange
  (best-improvement vertex substitution, Teitz–Bart neighbourhood evaluated with the
  nearest/second-nearest bookkeeping of Whitaker 1983 / Resende & Werneck 2003).

Both return an open-site mask over all sites, or ``None`` when they cannot find a
selection meeting every rule.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import scipy.sparse as sp

from coverage.optimize._problem import SiteRules

__all__ = [
    "fill_useful",
    "greedy_coverage",
    "interchange_coverage",
    "pmedian_heuristic",
    "trim_useless",
]

logger = logging.getLogger(__name__)


def _allowed_now(rules: SiteRules, is_open: np.ndarray, spent: float, count: int) -> np.ndarray:
    """Sites that may still be added right now (rules-aware, greedy-safe)."""
    cand = rules.free & ~is_open
    if rules.p is not None and count >= rules.p:
        return np.zeros_like(cand)
    if rules.budget is not None:
        cand &= rules.cost <= rules.budget - spent + 1e-9
    if rules.group is not None and rules.min_new is not None:
        new = is_open & ~rules.fixed
        have = np.bincount(rules.group[new & (rules.group >= 0)], minlength=rules.min_new.size)
        deficit = np.maximum(rules.min_new - have, 0)
        if deficit.sum() > 0:
            slots = None if rules.p is None else rules.p - count
            if slots is not None and slots <= deficit.sum():
                in_need = (rules.group >= 0) & (deficit[np.maximum(rules.group, 0)] > 0)
                cand &= in_need
            elif slots is None:
                in_need = (rules.group >= 0) & (deficit[np.maximum(rules.group, 0)] > 0)
                if (cand & in_need).any():
                    cand &= in_need
    return cand


def greedy_coverage(
    coverage: sp.csc_matrix,
    weights: np.ndarray,
    rules: SiteRules,
    *,
    start: np.ndarray | None = None,
) -> np.ndarray | None:
    """Greedy maximal covering that honours every site rule.

    Parameters
    ----------
    coverage
        Boolean CSC matrix (demand x sites).
    weights
        Demand weights.
    rules
        Site rules; ``rules.p`` (or the budget) limits the number of additions.
    start
        Open-site mask to extend (default: fixed and forced sites).

    Returns
    -------
    numpy.ndarray or None
        Open-site mask, or ``None`` if the greedy selection breaks a rule.
    """
    csc = sp.csc_matrix(coverage, dtype=float)
    csr = csc.tocsr()
    is_open = rules.fixed | rules.forced
    if start is not None:
        is_open = is_open | start
    covered = np.asarray(csr[:, np.nonzero(is_open)[0]].sum(axis=1)).ravel() > 0
    residual = np.where(covered, 0.0, weights)
    count = int((is_open & ~rules.fixed).sum())
    spent = float(rules.cost[is_open & ~rules.fixed].sum())
    limit = rules.p if rules.p is not None else rules.n_sites
    while count < limit:
        cand = _allowed_now(rules, is_open, spent, count)
        if not cand.any():
            break
        gain = csc.T @ residual
        score = gain / np.maximum(rules.cost, 1e-12) if rules.budget is not None else gain
        score = np.where(cand, score, -np.inf)
        j = int(np.argmax(score))
        if gain[j] <= 0 and rules.p is None and rules.min_new is None:
            break
        is_open[j] = True
        count += 1
        spent += float(rules.cost[j])
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        residual[rows] = 0.0
    return is_open if rules.is_feasible(is_open) else None


def interchange_coverage(
    coverage: sp.csr_matrix,
    weights: np.ndarray,
    rules: SiteRules,
    is_open: np.ndarray,
    *,
    max_passes: int = 1000,
) -> np.ndarray:
    """Improve a maximal-covering selection by best-improvement swaps.

    Each pass scores every (open ``r``, closed ``j``) swap at once: the weight ``j`` newly
    covers, minus the weight only ``r`` covers, plus the weight only ``r`` covers that
    ``j`` also covers.  Only for rules without a budget or group minimums (a swap keeps the
    count of new sites); fixed and forced sites never leave.

    Parameters
    ----------
    coverage
        Boolean CSR matrix (demand x sites).
    weights
        Demand weights.
    rules
        Site rules (``budget`` and ``group`` must be unset).
    is_open
        A feasible open-site mask to start from.
    max_passes
        Upper limit on the number of swaps.

    Returns
    -------
    numpy.ndarray
        The improved open-site mask (a local optimum for single swaps).
    """
    csr = sp.csr_matrix(coverage, dtype=float)
    csc = csr.tocsc()
    is_open = is_open.copy()
    w = np.asarray(weights, dtype=float)
    tol = 1e-9 * max(1.0, float(w.sum()))
    for _ in range(max_passes):
        outs = np.nonzero(is_open & ~rules.fixed & ~rules.forced)[0]
        ins = np.nonzero(rules.free & ~is_open)[0]
        if outs.size == 0 or ins.size == 0:
            break
        count = csr @ is_open.astype(float)
        gain = csc[:, ins].T @ np.where(count == 0, w, 0.0)
        once = np.nonzero(count == 1)[0]
        # the single open site covering each once-covered row, as a position in ``outs``
        sub = csr[once][:, outs].tocoo()
        keep = np.zeros(once.size, dtype=bool)
        keep[sub.row] = True
        owner = np.full(once.size, -1)
        owner[sub.row] = sub.col
        rows1, own = once[keep], owner[keep]
        loss = np.bincount(own, weights=w[rows1], minlength=outs.size)
        back = sp.csr_matrix((w[rows1], (own, np.arange(rows1.size))),
                             shape=(outs.size, rows1.size))
        regain = (back @ csr[rows1][:, ins]).toarray()
        delta = gain[None, :] - loss[:, None] + regain
        flat = int(np.argmax(delta))
        r_i, j_i = divmod(flat, ins.size)
        if not delta[r_i, j_i] > tol:
            break
        is_open[outs[r_i]] = False
        is_open[ins[j_i]] = True
    return is_open


def trim_useless(
    coverage: sp.csc_matrix, weights: np.ndarray, rules: SiteRules, is_open: np.ndarray
) -> np.ndarray:
    """Close new sites whose removal loses no covered weight (most expensive first).

    Forced sites and sites a group minimum still needs stay open.  Used with a budget,
    where ``p`` is a maximum and a site adding nothing only spends money.
    """
    csc = sp.csc_matrix(coverage, dtype=float)
    csr = csc.tocsr()
    w = np.asarray(weights, dtype=float)
    is_open = is_open.copy()
    count = csr @ is_open.astype(float)
    movable = np.nonzero(is_open & ~rules.fixed & ~rules.forced)[0]
    for j in movable[np.argsort(-rules.cost[movable], kind="stable")]:
        rows = csc.indices[csc.indptr[j] : csc.indptr[j + 1]]
        if float(w[rows][count[rows] == 1].sum()) > 0:
            continue
        is_open[j] = False
        if not rules.is_feasible(is_open):
            is_open[j] = True
            continue
        count[rows] -= 1
    return is_open


def fill_useful(
    coverage: sp.csc_matrix, weights: np.ndarray, rules: SiteRules, is_open: np.ndarray
) -> np.ndarray:
    """Add affordable sites that still cover uncovered weight (largest gain first).

    Stops at ``p`` (a maximum with a budget), when nothing affordable adds coverage, or
    when no site can be added under the rules.  A proven optimum is never changed (any
    such site would give a better selection); a time-limited one can only improve.
    """
    csc = sp.csc_matrix(coverage, dtype=float)
    w = np.asarray(weights, dtype=float)
    is_open = is_open.copy()
    covered = csc.tocsr() @ is_open.astype(float) > 0
    residual = np.where(covered, 0.0, w)
    tol = 1e-12 * max(1.0, float(w.sum()))
    while True:
        new = is_open & ~rules.fixed
        count = int(new.sum())
        spent = float(rules.cost[new].sum())
        if rules.p is not None and count >= rules.p:
            break
        cand = rules.free & ~is_open
        if rules.budget is not None:
            cand &= rules.cost <= rules.budget - spent + 1e-9 * max(1.0, rules.budget)
        if not cand.any():
            break
        gain = np.where(cand, csc.T @ residual, -np.inf)
        j = int(np.argmax(gain))
        if not gain[j] > tol:
            break
        is_open[j] = True
        residual[csc.indices[csc.indptr[j] : csc.indptr[j + 1]]] = 0.0
    return is_open


def _nearest_two(D: np.ndarray, open_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sub = D[:, open_idx]
    if open_idx.size == 1:
        return sub[:, 0].copy(), np.full(D.shape[0], open_idx[0]), np.full(D.shape[0], np.inf)
    part = np.argpartition(sub, 1, axis=1)[:, :2]
    rows = np.arange(D.shape[0])
    a, b = sub[rows, part[:, 0]], sub[rows, part[:, 1]]
    swap = b < a
    first = np.where(swap, part[:, 1], part[:, 0])
    d1 = np.minimum(a, b)
    d2 = np.maximum(a, b)
    return d1, open_idx[first], d2


def pmedian_heuristic(
    D: np.ndarray,
    weights: np.ndarray,
    rules: SiteRules,
    *,
    time_limit: float = 60.0,
) -> np.ndarray | None:
    """Greedy + fast interchange for the (rules-constrained) p-median problem.

    Parameters
    ----------
    D
        Dense travel costs (demand x sites); forbidden pairs must already be replaced by a
        large finite penalty.
    weights
        Demand weights.
    rules
        Site rules: ``rules.p`` new sites (``p_sense="le"``: at most ``p``, or as many as
        the budget allows and still shorten travel).
    time_limit
        Seconds for the interchange phase; the best solution so far is returned.

    Returns
    -------
    numpy.ndarray or None
        Open-site mask, or ``None`` if greedy could not satisfy the rules.
    """
    t0 = time.perf_counter()
    n = D.shape[0]
    w = weights
    is_open = rules.fixed | rules.forced
    big = float(D.max()) * 2.0 + 1.0
    d1 = D[:, is_open].min(axis=1) if is_open.any() else np.full(n, big)
    count = int((is_open & ~rules.fixed).sum())
    spent = float(rules.cost[is_open & ~rules.fixed].sum())
    at_most = rules.p_sense == "le"
    p = rules.p if rules.p is not None else (rules.n_sites if at_most else 0)
    while count < p:
        cand = _allowed_now(rules, is_open, spent, count)
        if not cand.any():
            if at_most:  # p is a maximum (budget): stop where the rules stop
                break
            return None
        idx = np.nonzero(cand)[0]
        gain = w @ np.maximum(d1[:, None] - D[:, idx], 0.0)
        if at_most and is_open.any() and not gain.max() > 0:
            break
        j = int(idx[int(np.argmax(gain))])
        is_open[j] = True
        d1 = np.minimum(d1, D[:, j])
        count += 1
        spent += float(rules.cost[j])
    if not rules.is_feasible(is_open):
        return None
    movable = is_open & ~rules.fixed & ~rules.forced
    if not movable.any():
        return is_open
    # Whitaker fast interchange, best improvement per pass
    open_idx = np.nonzero(is_open)[0]
    d1, c1, d2 = _nearest_two(D, open_idx)
    obj = float(w @ d1)
    n_iter = 0
    while time.perf_counter() - t0 < time_limit:
        n_iter += 1
        ins = np.nonzero(rules.free & ~is_open)[0]
        outs = np.nonzero(is_open & ~rules.fixed & ~rules.forced)[0]
        if ins.size == 0 or outs.size == 0:
            break
        Dj = D[:, ins]
        min1 = np.minimum(Dj, d1[:, None])
        gain = w @ (d1[:, None] - min1)  # benefit of adding j alone
        extra = w[:, None] * (np.minimum(Dj, d2[:, None]) - min1)  # loss if c1 closes
        pos = np.searchsorted(open_idx, c1)
        ind = sp.csr_matrix((np.ones(n), (pos, np.arange(n))), shape=(open_idx.size, n))
        loss = np.asarray(ind @ extra)  # (open sites) x (ins)
        out_pos = np.searchsorted(open_idx, outs)
        delta = loss[out_pos] - gain[None, :]  # change of objective for (out r, in j)
        ok = np.ones_like(delta, dtype=bool)
        if rules.budget is not None:
            ok &= (rules.cost[ins][None, :] - rules.cost[outs][:, None]) <= (
                rules.budget - spent + 1e-9
            )
        if rules.group is not None and rules.min_new is not None:
            new = is_open & ~rules.fixed
            have = np.bincount(
                rules.group[new & (rules.group >= 0)], minlength=rules.min_new.size
            )
            g_out = rules.group[outs]
            g0 = np.maximum(g_out, 0)
            tight = (g_out >= 0) & (have[g0] <= rules.min_new[g0])
            ok &= ~tight[:, None] | (rules.group[ins][None, :] == g_out[:, None])
        delta = np.where(ok, delta, np.inf)
        flat = int(np.argmin(delta))
        r_i, j_i = divmod(flat, ins.size)
        if not delta[r_i, j_i] < -1e-9 * max(1.0, abs(obj)):
            break
        r, j = int(outs[r_i]), int(ins[j_i])
        is_open[r] = False
        is_open[j] = True
        spent += float(rules.cost[j] - rules.cost[r])
        open_idx = np.nonzero(is_open)[0]
        d1, c1, d2 = _nearest_two(D, open_idx)
        obj = float(w @ d1)
    logger.debug("p-median heuristic: %d interchange passes, objective %.6g", n_iter, obj)
    return is_open
