"""LP tightening (support MILP, reduced-cost fixing, IPM root LPs) against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from coverage.optimize import phase_sites, solve_mclp, solve_pmedian
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


def _brute_pmedian(D: np.ndarray, w: np.ndarray, p: int) -> float:
    return min(
        float(w @ D[:, list(comb)].min(axis=1))
        for comb in itertools.combinations(range(D.shape[1]), p)
    )


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("ipm", [False, True])
def test_pmedian_root_fixing_matches_brute_force(seed, ipm, monkeypatch):
    # planar points give fractional LPs and truncated rows; the root LP (simplex or
    # interior point + crossover) fixes sites by reduced costs before the MILP
    from coverage.optimize import _pmedian_radius

    if ipm:
        monkeypatch.setattr(_pmedian_radius, "IPM_COLS", 0)
    rng = np.random.default_rng(100 + seed)
    xy = rng.random((30, 2))
    D = np.round(100 * np.sqrt(((xy[:, None] - xy[None, :14]) ** 2).sum(axis=2)))
    w = rng.integers(1, 9, size=30).astype(float)
    for p in (2, 3, 5):
        res = solve_pmedian(D, w, p=p)
        assert res.objective == pytest.approx(_brute_pmedian(D, w, p))
        assert res.status == "optimal" and res.gap == 0.0


@pytest.mark.parametrize("seed", range(6))
def test_mclp_ipm_root_lp_matches_brute_force(seed, monkeypatch):
    from coverage.optimize import mclp

    monkeypatch.setattr(mclp, "_IPM_ROWS", 0)
    rng = np.random.default_rng(200 + seed)
    cov = rng.random((40, 12)) < 0.25
    w = rng.integers(1, 50, size=40).astype(float)
    for p in (2, 4):
        res = solve_mclp(cov, w, p=p)
        assert res.objective == pytest.approx(_brute(cov, w, p))
        assert res.status == "optimal"


def test_solve_lp_ipm_and_simplex_agree_with_scipy():
    import scipy.sparse as sp
    from scipy.optimize import linprog

    from coverage.optimize._highs import solve_lp

    rng = np.random.default_rng(7)
    A = sp.csr_matrix(rng.random((30, 20)) < 0.2, dtype=float)
    c = rng.integers(1, 20, size=20).astype(float)
    # min c x  s.t.  A x >= 1 (rows with an entry), 0 <= x <= 1
    keep = np.diff(A.indptr) > 0
    A = A[keep]
    ref = linprog(c, A_ub=-A.toarray(), b_ub=-np.ones(A.shape[0]), bounds=(0, 1))
    for method in ("simplex", "ipm"):
        out = solve_lp(c=c, A=A, row_lower=np.ones(A.shape[0]),
                       row_upper=np.full(A.shape[0], np.inf), col_lower=np.zeros(20),
                       col_upper=np.ones(20), method=method)
        assert out.x is not None and out.reduced_cost is not None
        assert out.objective == pytest.approx(ref.fun)


@pytest.mark.parametrize("keep", [None, 4])
@pytest.mark.parametrize("seed", range(6))
def test_lagrangian_pmedian_fixing_is_valid_by_enumeration(seed, keep):
    # every fixing must hold in every solution strictly better than the incumbent, and the
    # bound must not exceed the optimum; checked against all p-subsets
    from coverage.optimize.reductions import lagrangian_pmedian_fixing

    rng = np.random.default_rng(300 + seed)
    xy = rng.random((25, 2))
    D = np.round(100 * np.sqrt(((xy[:, None] - xy[None, :11]) ** 2).sum(axis=2)))
    w = rng.integers(1, 9, size=25).astype(float)
    p = 3
    values = {
        comb: float(w @ D[:, list(comb)].min(axis=1))
        for comb in itertools.combinations(range(11), p)
    }
    opt = min(values.values())
    # a deliberately weak incumbent leaves better solutions for the fixings to respect
    incumbent = sorted(values.values())[5]
    inc_comb = next(c for c, v in values.items() if v == incumbent)
    u0 = w * D[:, list(inc_comb)].min(axis=1)
    # keep=4: each row only sees its 4 cheapest sites, multipliers capped (large matrices)
    lag = lagrangian_pmedian_fixing(
        w[:, None] * D, np.zeros(11, dtype=bool), np.ones(11, dtype=bool), p, incumbent, u0,
        keep=keep,
    )
    bound, closed, opened = lag.bound, lag.closed, lag.opened
    assert bound <= opt + 1e-9
    assert lag.chosen_share.shape == (11,)
    assert lag.chosen_share.min() >= 0.0 and lag.chosen_share.max() <= 1.0
    assert lag.chosen_share.sum() == pytest.approx(p)
    for comb, v in values.items():
        if v < incumbent:
            assert not closed[list(comb)].any()
            assert set(np.nonzero(opened)[0]) <= set(comb)
    # with the optimum as incumbent, no site of the optimum may be closed
    best_comb = min(values, key=values.__getitem__)
    closed2 = lagrangian_pmedian_fixing(
        w[:, None] * D, np.zeros(11, dtype=bool), np.ones(11, dtype=bool), p, opt,
        w * D[:, list(best_comb)].min(axis=1), keep=keep,
    ).closed
    assert not closed2[list(best_comb)].any()
    # a second pass from the first pass's best multipliers starts at least as high
    again = lagrangian_pmedian_fixing(
        w[:, None] * D, np.zeros(11, dtype=bool), np.ones(11, dtype=bool), p, incumbent,
        lag.multipliers, iterations=1, keep=keep,
    )
    assert again.bound == pytest.approx(bound)


def _assignment_pmedian(D, w, p):
    """Independent reference: the classical assignment model through scipy's milp."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    n, m = D.shape
    # variables: y (m) then x (n*m, row-major)
    c = np.concatenate([np.zeros(m), (w[:, None] * D).ravel()])
    rows_assign = sp.kron(sp.identity(n), np.ones((1, m)))
    assign = sp.hstack([sp.csr_matrix((n, m)), rows_assign])
    link = sp.hstack([-sp.kron(np.ones((n, 1)), sp.identity(m)), sp.identity(n * m)])
    count = sp.hstack([np.ones((1, m)), sp.csr_matrix((1, n * m))])
    A = sp.vstack([assign, link, count]).tocsr()
    lo = np.concatenate([np.ones(n), np.full(n * m, -np.inf), [p]])
    hi = np.concatenate([np.ones(n), np.zeros(n * m), [p]])
    integrality = np.concatenate([np.ones(m), np.zeros(n * m)])
    res = milp(c, constraints=LinearConstraint(A, lo, hi), integrality=integrality,
               bounds=Bounds(0, 1))
    assert res.status == 0
    return res.fun


@pytest.mark.parametrize("seed", [0, 3])
def test_pmedian_kernel_search_beats_heuristic_and_stays_exact(seed):
    # on these county-like instances the interchange heuristic stops above the optimum;
    # the Lagrangian kernel finds a better solution and the answer is still the optimum
    from coverage.optimize.instances import random_county

    inst = random_county(400, 60, seed=seed)
    D, w = inst.distances(), inst.weights
    res = solve_pmedian(D, w, p=15)
    d = res.details
    assert res.status == "optimal"
    assert np.isfinite(d["kernel_objective"])
    assert d["kernel_objective"] < d["heuristic_objective"]
    assert res.objective == pytest.approx(_assignment_pmedian(D, w, 15), rel=1e-9)


def test_pmedian_integer_data_closes_on_rounded_lagrangian_bound():
    # OR-Library pmed data are integers: a Lagrangian bound of 4999.6 proves 5000
    from coverage.optimize._pmedian_lagrange import integral_objective, round_up

    assert round_up(4999.6, True) == 5000.0
    assert round_up(5000.0000000001, True) == 5000.0  # float noise does not overshoot
    assert round_up(4999.6, False) == 4999.6
    assert integral_objective(np.array([[1.0, 2.0], [3.0, np.inf]]), np.array([2.0, 1.0]))
    assert not integral_objective(np.array([[1.5, 2.0]]), np.array([1.0]))


def test_lagrangian_kept_entries_give_the_exact_bound():
    # with u capped at each row's 4th cheapest cost, L(u) on the 4 kept entries per row
    # equals L(u) on the whole matrix (dropped entries contribute nothing)
    from coverage.optimize.reductions import lagrangian_pmedian_fixing

    rng = np.random.default_rng(7)
    C = rng.random((30, 12)) * 100
    cap = np.sort(C, axis=1)[:, 3]
    u = np.minimum(rng.random(30) * 120, cap)
    args = (C, np.zeros(12, dtype=bool), np.ones(12, dtype=bool), 3, 1e9, u)
    dense = lagrangian_pmedian_fixing(*args, iterations=1)
    kept = lagrangian_pmedian_fixing(*args, iterations=1, keep=4)
    assert kept.bound == pytest.approx(dense.bound, rel=1e-12)
    np.testing.assert_array_equal(kept.chosen_share, dense.chosen_share)


def test_compact_fixed_model_has_the_same_optimum():
    # a small knapsack-with-cover MILP: fixing columns at their optimal values and
    # compacting gives the same optimum and the same expanded solution
    from coverage.optimize._highs import compact_fixed, solve_milp

    rng = np.random.default_rng(11)
    A = sp.csr_matrix((rng.random((8, 10)) < 0.4).astype(float))
    c = rng.integers(1, 20, size=10).astype(float)
    model = dict(c=c, A=A, row_lower=np.ones(8), row_upper=np.full(8, np.inf),
                 integer=np.ones(10, dtype=bool), maximize=False, offset=3.0)
    full = solve_milp(**model, col_lower=np.zeros(10), col_upper=np.ones(10))
    assert full.x is not None
    lo, hi = np.zeros(10), np.ones(10)
    settle = np.arange(10) < 5
    lo[settle] = hi[settle] = np.round(full.x[settle])
    cm = compact_fixed(**model, col_lower=lo, col_upper=hi)
    assert cm.keep.size == 5
    part = solve_milp(**cm.model)
    assert part.x is not None
    assert part.objective == pytest.approx(full.objective)
    assert c @ cm.expand(part.x) + 3.0 == pytest.approx(full.objective)


def test_compact_fixed_keeps_a_violated_row():
    # a row that the fixed values violate must stay, so that HiGHS reports infeasibility
    from coverage.optimize._highs import compact_fixed, solve_milp

    A = sp.csr_matrix(np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]]))
    cm = compact_fixed(c=np.ones(4), A=A, row_lower=np.array([1.0, 0.0]),
                       row_upper=np.array([np.inf, np.inf]),
                       col_lower=np.array([0.0, 0.0, 1.0, 0.0]),
                       col_upper=np.array([0.0, 0.0, 1.0, 1.0]),
                       integer=np.ones(4, dtype=bool))
    assert cm.keep.tolist() == [3]
    assert cm.model["A"].shape[0] == 1  # the violated first row is kept, the second dropped
    assert solve_milp(**cm.model).status == "infeasible"
