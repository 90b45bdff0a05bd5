"""Hand-made instances with answers worked out by hand or by brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from coverage.optimize import (
    phase_sites,
    solve_lscp,
    solve_lscpb,
    solve_mclp,
    solve_pcenter,
    solve_pmedian,
    solve_quota,
)
from coverage.problems import InputError

# 6 demand points x 4 sites.  Site 0 covers {0,1}, 1 covers {1,2,3}, 2 covers {3,4}, 3 {5}.
COV = np.array(
    [
        [1, 0, 0, 0],
        [1, 1, 0, 0],
        [0, 1, 0, 0],
        [0, 1, 1, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 1],
    ],
    dtype=bool,
)
W = np.array([5.0, 1.0, 1.0, 1.0, 4.0, 3.0])


def brute_mclp(cov, w, p, allowed, must=(), cost=None, budget=None):
    best = -1.0
    for comb in itertools.combinations(allowed, p):
        if not set(must) <= set(comb):
            continue
        if budget is not None and cost[list(comb)].sum() > budget:
            continue
        best = max(best, float(w[cov[:, list(comb)].any(axis=1)].sum()))
    return best


def test_mclp_matches_brute_force():
    for p in (1, 2, 3):
        res = solve_mclp(COV, W, p=p)
        assert res.objective == brute_mclp(COV, W, p, range(4))
        assert res.status == "optimal"
        assert res.selected.size == p


def test_mclp_p2_hand_answer():
    # sites 0 (5+1) and 2 (1+4) cover 11; no pair does better (0+3 = 9, 1+2 = 7)
    res = solve_mclp(COV, W, p=2)
    assert res.objective == 11.0
    assert res.selected.tolist() == [0, 2]
    assert res.covered.tolist() == [True, True, False, True, True, False]


def test_mclp_fixed_forced_excluded_budget():
    res = solve_mclp(COV, W, p=1, fixed=[0])
    assert res.selected.tolist() == [2]  # 0 already covers 6; best addition covers 5
    assert res.open_sites.tolist() == [0, 2]
    assert res.objective == 11.0
    res = solve_mclp(COV, W, p=2, forced=[3])
    assert 3 in res.selected and res.objective == brute_mclp(COV, W, 2, range(4), must=[3])
    res = solve_mclp(COV, W, p=2, excluded=[0])
    assert 0 not in res.selected and res.objective == brute_mclp(COV, W, 2, [1, 2, 3])
    cost = np.array([5.0, 1.0, 1.0, 1.0])
    res = solve_mclp(COV, W, p=2, cost=cost, budget=3.0)
    assert 0 not in res.selected
    assert res.objective == brute_mclp(COV, W, 2, range(4), cost=cost, budget=3.0)


def test_mclp_pads_to_p_when_sites_add_nothing():
    cov = np.array([[1, 1, 0], [1, 1, 0]], dtype=bool)
    res = solve_mclp(cov, None, p=2)
    assert res.selected.size == 2
    assert res.objective == 2.0


def test_mclp_input_errors_are_collected():
    with pytest.raises(InputError, match="weights has 2 values"):
        solve_mclp(COV, [1.0, 2.0], p=1)
    with pytest.raises(InputError, match="negative"):
        solve_mclp(COV, -W, p=1)
    with pytest.raises(InputError, match="both forced and excluded"):
        solve_mclp(COV, W, p=1, forced=[1], excluded=[1])
    with pytest.raises(InputError, match="outside"):
        solve_mclp(COV, W, p=1, fixed=[9])


def test_mclp_p_beyond_candidates_builds_all_and_infeasibility_as_data():
    # p larger than the 4 candidates: all of them are built, with a note and the reason
    res = solve_mclp(COV, W, p=5)
    assert res.status == "optimal" and res.selected.tolist() == [0, 1, 2, 3]
    assert res.limited_by == "candidates" and res.n_new == 4 and res.p == 5
    assert res.note("all_candidates").values == {"p": 5, "candidates": 4}
    res = solve_mclp(COV, W, p=1, forced=[0, 1])
    assert res.status == "infeasible" and "2 sites are forced" in res.message
    (why,) = res.reasons
    assert why.code == "forced_exceed_p" and why.values == {"forced": 2, "p": 1}


def test_lscp_minimum_and_uncoverable():
    res = solve_lscp(COV)
    # rows 0 and 5 need sites 0 and 3; row 4 needs 2; rows 2 needs 1 -> 4 sites
    assert res.objective == 4.0 and res.status == "optimal"
    cov = COV.copy()
    cov[5, 3] = False  # row 5 can no longer be covered
    res = solve_lscp(cov)
    assert res.uncoverable.tolist() == [5]
    assert "can never be covered" in res.message
    assert res.objective == 3.0


def test_lscp_share_and_cost():
    # 85% of weight 15 = 12.75: sites 0 (6) + 2 (5) + 3 (3) = 14; two sites give at most 11
    res = solve_lscp(COV, share=0.85, weights=W)
    assert res.objective == 3.0
    cost = np.array([1.0, 1.0, 10.0, 1.0])
    res = solve_lscp(COV, cost=cost)
    assert res.objective == 13.0  # site 2 is the only cover of row 4


def test_lscpb_hand_answer():
    # 3 points, sites a covers {0,1}, b {1,2}, c {0,1,2}: LSCP min = 1 (c);
    # with 1 site no point is covered twice
    cov = np.array([[1, 0, 1], [1, 1, 1], [0, 1, 1]], dtype=bool)
    res = solve_lscpb(cov)
    assert res.details["n_sites"] == 1.0 and res.objective == 0.0
    # with 'c' excluded: LSCP needs a and b, point 1 is covered twice
    res = solve_lscpb(cov, excluded=[2])
    assert res.details["n_sites"] == 2.0 and res.objective == 1.0


def brute_pmedian(D, w, p, allowed):
    return min(float(w @ D[:, list(c)].min(axis=1)) for c in itertools.combinations(allowed, p))


def test_pmedian_brute_force_random():
    rng = np.random.default_rng(3)
    for _ in range(5):
        D = rng.integers(0, 30, size=(12, 7)).astype(float)
        w = rng.integers(1, 5, size=12).astype(float)
        for p in (1, 2, 3):
            res = solve_pmedian(D, w, p=p)
            assert res.objective == pytest.approx(brute_pmedian(D, w, p, range(7)))
            assert res.status == "optimal"


def test_pmedian_forbidden_pairs_and_fixed():
    D = np.array([[0.0, 5.0, np.inf], [4.0, 0.0, 1.0], [np.inf, 2.0, 0.0]])
    res = solve_pmedian(D, None, p=1, fixed=[0])
    # with 0 open: adding 1 gives 0+0+2=2, adding 2 gives 0+1+0=1
    assert res.selected.tolist() == [2] and res.objective == 1.0
    assert res.assignment.tolist() == [0, 2, 2]
    D2 = np.array([[np.inf, 1.0], [np.inf, np.inf]])
    res = solve_pmedian(D2, None, p=1)
    assert res.status == "infeasible" and "cannot reach" in res.message


def test_capacitated_pmedian():
    # two sites at distance 0/10 from 4 points of weight 1; capacity 2 each, p=2
    D = np.array([[0.0, 10.0], [0.0, 10.0], [0.0, 10.0], [1.0, 10.0]])
    res = solve_pmedian(D, None, p=2, capacity=np.array([2.0, 2.0]))
    assert res.objective == 20.0  # two points must go to site 1
    assert np.bincount(res.assignment, minlength=2).tolist() == [2, 2]
    res = solve_pmedian(D, None, p=2, capacity=np.array([1.0, 1.0]))
    assert res.status == "infeasible" and "exceeds the capacity" in res.message


def test_pcenter_brute_force():
    rng = np.random.default_rng(5)
    D = rng.integers(1, 50, size=(15, 8)).astype(float)
    for p in (1, 2, 3):
        best = min(D[:, list(c)].min(axis=1).max() for c in itertools.combinations(range(8), p))
        res = solve_pcenter(D, p=p)
        assert res.objective == best and res.status == "optimal"
        assert res.selected.size == p


def test_quota_coverage_and_words():
    group = np.array([0, 0, 1, 1])
    # township 1 needs 2 new sites: sites 2 and 3 are forced by the quota
    res = solve_quota(COV, W, group=group, min_new=np.array([0, 2]), p=3)
    assert {2, 3} <= set(res.selected.tolist())
    assert res.objective == brute_mclp(COV, W, 3, range(4), must=[2, 3])
    res = solve_quota(COV, W, group=group, min_new=np.array([0, 3]), p=3)
    assert res.status == "infeasible"
    assert "group 1 needs 3 new site(s) but has only 2 candidate(s)" in res.message
    res = solve_quota(COV, W, group=group, min_new=np.array([2, 2]), p=3)
    assert "need 4 new sites but p=3" in res.message


def test_quota_travel_default_p():
    D = np.array([[0.0, 1.0, 9.0, 9.0], [1.0, 0.0, 9.0, 9.0], [9.0, 9.0, 0.0, 2.0]])
    group = np.array([0, 0, 1, 1])
    res = solve_quota(D, None, group=group, min_new=np.array([1, 1]), objective="travel")
    assert res.selected.size == 2  # p defaults to the sum of the minimums
    assert res.objective == 1.0  # one of 0/1 and site 2


def test_phasing_greedy_and_nested():
    res = phase_sites(COV, W, sites=[0, 2, 3], years=2)
    assert res.order.tolist() == [0, 2, 3]  # gains 6, 5, 3
    assert res.marginal_gain.tolist() == [6.0, 5.0, 3.0]
    assert res.year.tolist() == [1, 1, 2]
    assert res.cumulative_objective.tolist() == [11.0, 14.0]
    nested = phase_sites(COV, W, sites=[0, 2, 3], per_year=[1, 2], method="nested")
    assert nested.order[0] == 0 and nested.cumulative_objective.tolist() == [6.0, 14.0]


def test_mclp_when_existing_sites_already_cover_everything() -> None:
    """Nothing left to gain: optimal at the existing coverage, padded to p (not infeasible)."""
    C = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 1]], dtype=bool)
    w = np.array([1.0, 2.0, 3.0])
    res = solve_mclp(C, w, p=1, fixed=[0, 1])
    assert res.status == "optimal"
    assert res.objective == 6.0 and res.selected.tolist() == [2]
    # more new sites than there are candidates: all (none) are built, and that is said
    res = solve_mclp(C, w, p=1, fixed=[0, 1], excluded=[2])
    assert res.status == "optimal" and res.selected.size == 0 and res.objective == 6.0
    assert res.limited_by == "candidates" and res.note("all_candidates") is not None
