"""Order chosen sites into a build sequence (year 1..k) so that every prefix is good.

``method="greedy"`` adds, one at a time, the chosen site with the largest marginal gain
(covered weight, or travel saved) given the sites already built.  ``method="nested"``
solves the model exactly for each year's cumulative number of sites, restricted to the
chosen set and forcing the sites of earlier years (so plans stay nested).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import scipy.sparse as sp

from coverage.optimize._problem import IndexLike, as_cost, as_coverage, as_weights, site_rules
from coverage.optimize.compat import solve_mclp, solve_pmedian
from coverage.problems import InputError

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


class _State(Protocol):
    """Objective bookkeeping for a growing set of open sites."""

    def open(self, sites: np.ndarray) -> None: ...

    def value(self) -> float: ...

    def gains(self, sites: np.ndarray) -> np.ndarray: ...

    def values_if_added(self, sites: np.ndarray) -> np.ndarray: ...


class _CoverageState:
    """Covered mask; gains are one sparse mat-vec ``C[:, sites]^T (w * uncovered)``."""

    def __init__(self, csc: sp.csc_matrix, w: np.ndarray) -> None:
        self.csc = sp.csc_matrix(csc, dtype=float)
        self.w = w
        self.covered = np.zeros(csc.shape[0], dtype=bool)

    def open(self, sites: np.ndarray) -> None:
        for j in sites:
            self.covered[self.csc.indices[self.csc.indptr[j] : self.csc.indptr[j + 1]]] = True

    def value(self) -> float:
        return float(self.w[self.covered].sum())

    def gains(self, sites: np.ndarray) -> np.ndarray:
        """Marginal covered weight of adding each of ``sites`` alone."""
        residual = np.where(self.covered, 0.0, self.w)
        return np.asarray(self.csc[:, sites].T @ residual, dtype=float).ravel()

    def values_if_added(self, sites: np.ndarray) -> np.ndarray:
        return self.value() + self.gains(sites)


class _TravelState:
    """Nearest-open distance per demand point; gains are one pass over ``D[:, sites]``."""

    def __init__(self, D: np.ndarray, w: np.ndarray) -> None:
        self.D = D
        self.w = w
        self.d = np.full(D.shape[0], np.inf)

    def open(self, sites: np.ndarray) -> None:
        if sites.size:
            self.d = np.minimum(self.d, self.D[:, sites].min(axis=1))

    def value(self) -> float:
        return float(self.w @ self.d) if np.isfinite(self.d).all() else float("inf")

    def values_if_added(self, sites: np.ndarray) -> np.ndarray:
        new = np.minimum(self.d[:, None], self.D[:, sites])
        finite = np.isfinite(new).all(axis=0)
        out = np.full(sites.size, np.inf)
        out[finite] = self.w @ new[:, finite]
        return out

    def gains(self, sites: np.ndarray) -> np.ndarray:
        base = self.value()
        vals = self.values_if_added(sites)
        with np.errstate(invalid="ignore"):
            return base - vals


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
    if objective == "coverage":
        state: _State = _CoverageState(csc, w)
    else:
        state = _TravelState(D, w)
    state.open(np.nonzero(is_open)[0])

    if method == "greedy":
        todo = sites_a[~is_open[sites_a]]
        # one sparse mat-vec (coverage) or one dense pass (travel) per step
        for _ in range(todo.size):
            gain = state.gains(todo)
            score = np.where(np.isnan(gain), -np.inf, gain)
            best = score.max()
            if np.isfinite(best):
                pick = int(np.argmax(score))
            else:  # nothing open yet (travel): the site with the least total travel
                vals = np.where(score == best, state.values_if_added(todo), np.inf)
                pick = int(np.argmin(vals))
            j = int(todo[pick])
            gains.append(float(gain[pick]))
            order.append(j)
            is_open[j] = True
            state.open(np.array([j]))
            todo = np.delete(todo, pick)
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
                gains.append(float(state.gains(np.array([j]))[0]))
                state.open(np.array([j]))
                is_open[j] = True
                order.append(j)
            done += new
    else:
        raise InputError.single(f"unknown method {method!r}", fix='use "greedy" or "nested"')
    year = np.repeat(np.arange(1, len(batches) + 1), batches)
    cum = []
    replay = _CoverageState(csc, w) if objective == "coverage" else _TravelState(D, w)
    replay.open(np.nonzero(rules.fixed)[0])
    pos = 0
    for b in batches:
        replay.open(np.asarray(order[pos:pos + b], dtype=np.int64))
        pos += b
        cum.append(replay.value())
    return PhasingResult(
        order=np.asarray(order, dtype=np.int64),
        year=year,
        marginal_gain=np.asarray(gains),
        cumulative_objective=np.asarray(cum),
        objective=objective,
    )
