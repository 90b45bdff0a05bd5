"""Order chosen sites into a build sequence (year 1..k) so that every prefix is good.

``method="greedy"`` adds, one at a time, the chosen site with the largest marginal gain
(covered weight, or travel saved) given the sites already built.  ``method="nested"``
solves the model exactly for each year's cumulative number of sites, restricted to the
chosen set and forcing the sites of earlier years (so plans stay nested).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from coverage._errors import InputError
from coverage.optimize._problem import IndexLike, as_cost, as_coverage, as_weights, site_rules
from coverage.optimize.mclp import solve_mclp
from coverage.optimize.pmedian import solve_pmedian

__all__ = ["PhasingResult", "phase_sites"]


@dataclass(frozen=True)
class PhasingResult:
    """A build sequence.

    Attributes
    ----------
    order
        Site columns in build order.
    year
        Build year (1-based) of each entry of ``order``.
    marginal_gain
        Gain of each site when added after the ones before it (covered weight, or
        reduction of weighted travel).
    cumulative_objective
        Objective after each year (covered weight or weighted travel), length ``k``.
    objective
        ``"coverage"`` or ``"travel"``.
    """

    order: np.ndarray
    year: np.ndarray
    marginal_gain: np.ndarray
    cumulative_objective: np.ndarray
    objective: str


def phase_sites(
    matrix: object,
    weights: object = None,
    *,
    sites: Sequence[int] | np.ndarray,
    objective: Literal["coverage", "travel"] = "coverage",
    fixed: IndexLike | None = None,
    years: int | None = None,
    per_year: Sequence[int] | None = None,
    method: Literal["greedy", "nested"] = "greedy",
    time_limit: float | None = None,
) -> PhasingResult:
    """Split chosen new sites into yearly batches, best sites first.

    Parameters
    ----------
    matrix
        Coverage (``objective="coverage"``) or travel cost matrix (demand x sites).
    weights
        Demand weights; default all ones.
    sites
        The chosen new sites (e.g. ``result.selected``).
    objective
        ``"coverage"`` or ``"travel"``.
    fixed
        Existing sites (open from year 0).
    years
        Number of years for an equal split (earlier years get the remainder).
    per_year
        Sites per year (sums to ``len(sites)``); overrides ``years``.
    method
        ``"greedy"`` marginal gain or ``"nested"`` exact optimization per year.
    time_limit
        Seconds per exact solve (``method="nested"``).
    """
    sites_a = np.asarray(sites, dtype=np.int64).ravel()
    if objective == "coverage":
        C = as_coverage(matrix)
        n, m = C.shape
        csc = C.tocsc()
    else:
        D = as_cost(matrix)
        n, m = D.shape
    w = as_weights(weights, n)
    rules = site_rules(m, fixed=fixed, forced=sites_a)
    k = sites_a.size
    if per_year is not None:
        batches = [int(b) for b in per_year]
        if sum(batches) != k or any(b < 0 for b in batches):
            raise InputError.single(
                f"per_year sums to {sum(batches)} but {k} sites were chosen",
                fix="give non-negative batch sizes that add up to the number of sites",
            )
    else:
        y = years or 1
        if y < 1:
            raise InputError.single("years must be >= 1", fix="e.g. years=3")
        batches = [k // y + (1 if i < k % y else 0) for i in range(y)]
    is_open = rules.fixed.copy()
    order: list[int] = []
    gains: list[float] = []

    def value(mask: np.ndarray) -> float:
        if objective == "coverage":
            return float(w[np.asarray(csc[:, np.nonzero(mask)[0]].sum(axis=1)).ravel() > 0].sum())
        if not mask.any():
            return float("inf")
        return float(w @ D[:, mask].min(axis=1))

    if method == "greedy":
        for _ in range(k):
            base = value(is_open)
            best_j, best_g = -1, -np.inf
            for j in sites_a[~is_open[sites_a]]:
                trial = is_open.copy()
                trial[j] = True
                v = value(trial)
                g = v - base if objective == "coverage" else base - v
                if g > best_g:
                    best_j, best_g = int(j), g
            is_open[best_j] = True
            order.append(best_j)
            gains.append(float(best_g))
    elif method == "nested":
        done: list[int] = []
        others = np.setdiff1d(np.arange(m), np.concatenate([sites_a, np.nonzero(rules.fixed)[0]]))
        for b in batches:
            if b == 0:
                continue
            target = len(done) + b
            if objective == "coverage":
                res = solve_mclp(C, w, p=target, fixed=rules.fixed, forced=done or None,
                                 excluded=others, time_limit=time_limit)
            else:
                res = solve_pmedian(D, w, p=target, fixed=rules.fixed, forced=done or None,
                                    excluded=others, time_limit=time_limit)
            new = [int(j) for j in res.selected if j not in done]
            for j in new:  # record each site's marginal gain in greedy order within the year
                base = value(is_open)
                trial = is_open.copy()
                trial[j] = True
                v = value(trial)
                gains.append(v - base if objective == "coverage" else base - v)
                is_open = trial
                order.append(j)
            done += new
    else:
        raise InputError.single(f"unknown method {method!r}", fix='use "greedy" or "nested"')
    year = np.repeat(np.arange(1, len(batches) + 1), batches)
    cum = []
    mask = rules.fixed.copy()
    pos = 0
    for b in batches:
        mask[np.asarray(order[pos:pos + b], dtype=np.int64)] = True
        pos += b
        cum.append(value(mask))
    return PhasingResult(
        order=np.asarray(order, dtype=np.int64),
        year=year,
        marginal_gain=np.asarray(gains),
        cumulative_objective=np.asarray(cum),
        objective=objective,
    )
