"""A p-median selection evaluated on the full travel matrix.

Whatever model or reduction found it, every answer of :mod:`coverage.optimize.pmedian` is
re-evaluated here on the user's travel matrix and checked against the rules before its
status is decided (:func:`finish_travel`); with a budget, :func:`fill_travel` first adds
the affordable sites that still shorten travel.
"""

from __future__ import annotations

import time
from types import MappingProxyType

import numpy as np

from coverage.optimize._count import CountPlan, limited
from coverage.optimize._finish import verdict
from coverage.optimize._problem import SiteRules
from coverage.optimize.results import LocationResult, Note, StopReason, no_solution_result

__all__ = ["fill_travel", "finish_travel", "nearest_open", "total_travel"]


def nearest_open(D: np.ndarray, is_open: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance to each row's nearest open site and that site (``inf`` and -1 if none)."""
    idx = np.nonzero(is_open)[0]
    if idx.size == 0:
        return np.full(D.shape[0], np.inf), np.full(D.shape[0], -1)
    sub = D[:, idx]
    arg = sub.argmin(axis=1)
    d = sub[np.arange(D.shape[0]), arg]
    assign = np.where(np.isfinite(d), idx[arg], -1)
    return d, assign


def total_travel(D: np.ndarray, w: np.ndarray, is_open: np.ndarray) -> float:
    """Total weighted travel to the nearest open site over the rows with positive weight."""
    pos = w > 0
    d = nearest_open(D, is_open)[0]
    return float(w[pos] @ d[pos])


def fill_travel(
    D: np.ndarray, w: np.ndarray, rules: SiteRules, is_open: np.ndarray
) -> np.ndarray:
    """With a budget (``p`` a maximum): add affordable sites that still shorten travel."""
    is_open = is_open.copy()
    pos = w > 0
    Dp = D[pos]
    wp = w[pos]
    d = nearest_open(Dp, is_open)[0]
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


def finish_travel(
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
        d, assign = nearest_open(D, best_open)
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

