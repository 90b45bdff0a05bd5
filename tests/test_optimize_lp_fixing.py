"""MCLP with LP tightening (support MILP + reduced-cost fixing) against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from coverage.optimize import phase_sites, solve_mclp
from coverage.optimize.reductions import reduced_cost_fixing


def _brute(cov: np.ndarray, w: np.ndarray, p: int, must=(), banned=()) -> float:
    best = -1.0
    allowed = [j for j in range(cov.shape[1]) if j not in banned]
    for comb in itertools.combinations(allowed, p):
        if set(must) <= set(comb):
            best = max(best, float(w[cov[:, list(comb)].any(axis=1)].sum()))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_mclp_fractional_lp_matches_brute_force(seed):
    # overlapping random sets: the LP relaxation is fractional, so fixing and the
    # support MILP are exercised
    rng = np.random.default_rng(seed)
    cov = rng.random((40, 12)) < 0.25
    w = rng.integers(1, 50, size=40).astype(float)
    for p in (2, 3, 4):
        res = solve_mclp(cov, w, p=p)
        assert res.objective == _brute(cov, w, p)
        assert res.status == "optimal" and res.gap == 0.0
        assert res.selected.size == p
    res = solve_mclp(cov, w, p=3, forced=[5], excluded=[0, 1])
    assert res.objective == _brute(cov, w, 3, must=[5], banned=[0, 1])


def test_reduced_cost_fixing_by_hand():
    # max problem, LP optimum 10, incumbent 9: a flip must cost at most 1
    x = np.array([0.0, 0.0, 1.0, 1.0, 0.5])
    d = np.array([-2.0, -0.5, 3.0, 0.5, 0.0])
    integer = np.array([True, True, True, True, True])
    z, o = reduced_cost_fixing(x, d, 10.0, 9.0, integer=integer, maximize=True)
    assert z.tolist() == [True, False, False, False, False]
    assert o.tolist() == [False, False, True, False, False]
    # the same in minimization form (negated objective)
    z2, o2 = reduced_cost_fixing(x, -d, -10.0, -9.0, integer=integer, maximize=False)
    assert z2.tolist() == z.tolist() and o2.tolist() == o.tolist()


def _naive_greedy_order(cov: np.ndarray, w: np.ndarray, sites: list[int]) -> list[int]:
    covered = np.zeros(cov.shape[0], dtype=bool)
    order: list[int] = []
    left = list(sites)
    while left:
        g = [float(w[cov[:, j] & ~covered].sum()) for j in left]
        j = left.pop(int(np.argmax(g)))
        order.append(j)
        covered |= cov[:, j]
    return order


def test_phasing_greedy_matches_naive_loop():
    rng = np.random.default_rng(7)
    cov = rng.random((200, 30)) < 0.1
    w = rng.integers(1, 100, size=200).astype(float)
    sites = [1, 4, 7, 9, 12, 20, 25, 29]
    res = phase_sites(cov, w, sites=sites, years=3)
    assert res.order.tolist() == _naive_greedy_order(cov, w, sites)
    assert res.cumulative_objective[-1] == float(w[cov[:, sites].any(axis=1)].sum())
    D = rng.random((60, 10)) * 100
    trav = phase_sites(D, None, sites=[0, 3, 5], objective="travel")
    first = int(np.argmin(D[:, [0, 3, 5]].sum(axis=0)))
    assert trav.order[0] == [0, 3, 5][first]
    assert trav.cumulative_objective[-1] == pytest.approx(D[:, [0, 3, 5]].min(axis=1).sum())
