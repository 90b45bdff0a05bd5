"""Trust but verify: HiGHS's answers are checked, options are checked, outcomes are data."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from coverage.optimize import MODELS, LocationProblem, solve
from coverage.optimize._highs import check_solution, solve_milp
from coverage.problems import InputError

# An 8 x 7 set cover.  Started from all 7 sites, HiGHS 1.16 (presolve on) reports
# "optimal, objective 3" and returns the 7-site start vector: presolve maps the start into
# its reduced space (objective 3 there), nothing better is found, and the start is handed
# back unpresolved.
COVER = np.array([
    [1, 0, 0, 0, 0, 1, 0],
    [0, 1, 0, 0, 0, 1, 0],
    [1, 0, 1, 0, 1, 0, 0],
    [1, 0, 1, 1, 1, 1, 1],
    [1, 0, 0, 1, 0, 0, 0],
    [0, 0, 0, 1, 1, 1, 0],
    [1, 1, 1, 0, 1, 0, 1],
    [0, 1, 1, 0, 0, 0, 0],
], dtype=bool)


def _cover_model() -> dict[str, object]:
    n, m = COVER.shape
    return dict(c=np.ones(m), A=sp.csr_matrix(COVER.astype(float)), row_lower=np.ones(n),
                row_upper=np.full(n, np.inf), col_lower=np.zeros(m), col_upper=np.ones(m),
                integer=np.ones(m, dtype=bool))


def test_highs_warm_start_mismatch_is_caught_and_repaired() -> None:
    out = solve_milp(**_cover_model(), start=np.ones(7))  # type: ignore[arg-type]
    assert out.status == "optimal" and out.objective == 3.0 and out.bound == 3.0
    assert out.x is not None and out.x.sum() == 3.0 and (COVER @ out.x >= 1).all()
    # the returned vector is the checked one, whether or not HiGHS needed a second run
    assert out.resolves in (0, 1)
    cold = solve_milp(**_cover_model())  # type: ignore[arg-type]
    assert cold.objective == 3.0 and cold.resolves == 0


def test_highs_start_used_only_as_fallback() -> None:
    out = solve_milp(**_cover_model(), start=np.ones(7), start_to_highs=False)  # type: ignore[arg-type]
    assert out.status == "optimal" and out.objective == 3.0 and out.resolves == 0


def test_time_limited_milp_is_feasible_not_optimal() -> None:
    # a start that HiGHS cannot improve on in 1e-6 s: the start comes back as feasible
    # (or HiGHS proves 3 at once); never "optimal" with a vector worth more than claimed
    out = solve_milp(**_cover_model(), start=np.ones(7), start_to_highs=False,  # type: ignore[arg-type]
                     time_limit=1e-6)
    assert out.x is not None
    assert out.objective == float(out.x.sum())
    assert out.status == "optimal" or (out.status == "feasible" and out.stop == "time_limit")


def test_check_solution_finds_each_kind_of_violation() -> None:
    model = _cover_model()
    ok = check_solution(np.array([1, 1, 0, 1, 0, 0, 0.0]), **model)  # type: ignore[arg-type]
    assert ok.feasible and ok.objective == 3.0 and ok.where == ""
    row = check_solution(np.array([1, 0, 0, 1, 0, 0, 0.0]), **model)  # type: ignore[arg-type]
    assert not row.feasible and row.where.startswith("row 1")
    frac = check_solution(np.array([1, 1, 0, 1, 0, 0, 0.5]), **model)  # type: ignore[arg-type]
    assert not frac.feasible and "integrality" in frac.where
    bound = check_solution(np.array([2, 1, 0, 1, 0, 0, 0.0]), **model)  # type: ignore[arg-type]
    assert not bound.feasible and "upper bound" in bound.where
    near = check_solution(np.array([1 - 1e-8, 1, 0, 1, 0, 0, 1e-9]), **model)  # type: ignore[arg-type]
    assert near.feasible and near.objective == 3.0  # rounded within the tolerance


def test_lscp_on_the_reproducer_is_optimal_and_minimal() -> None:
    res = solve(LocationProblem(coverage=COVER), model="lscp")
    assert res.status == "optimal" and res.objective == 3.0 and res.n_new == 3
    assert res.stop == "completed" and res.gap == 0.0


# --------------------------------------------------------------------- problem and options

COV = np.array([[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 0],
                [0, 0, 0, 1]], dtype=bool)
W = np.array([5.0, 1.0, 1.0, 1.0, 4.0, 3.0])
D = np.array([[0, 4, 9, 7], [1, 2, 8, 6], [5, 0, 6, 5], [6, 1, 2, 4], [9, 5, 0, 3],
              [8, 7, 3, 0]], dtype=float)


def test_problem_is_frozen_validated_and_copies_inputs() -> None:
    ex = [0]
    prob = LocationProblem(coverage=COV, travel=D, weights=W, existing=ex)
    assert prob.n_demand == 6 and prob.n_sites == 4
    assert prob.existing.tolist() == [True, False, False, False]
    assert prob.weights is not W and not prob.weights.flags.writeable
    with pytest.raises(AttributeError):
        prob.budget = 3.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        prob.travel[0, 0] = 1.0  # type: ignore[index]
    with pytest.raises(InputError) as err:
        LocationProblem(coverage=COV, weights=[1.0, 2.0], existing=[9], forced=[1],
                        excluded=[1], budget=5.0)
    text = str(err.value)
    for part in ("weights has 2 values", "outside", "both forced and excluded",
                 "a budget needs site_cost"):
        assert part in text
    with pytest.raises(InputError, match="shape"):
        LocationProblem(coverage=COV, travel=D[:, :3])
    with pytest.raises(InputError, match="coverage or travel"):
        LocationProblem()
    with pytest.raises(InputError, match="capacities need travel"):
        LocationProblem(coverage=COV, capacity=np.ones(4))


def test_options_a_model_does_not_take_are_rejected_by_name() -> None:
    prob = LocationProblem(coverage=COV, travel=D, weights=W)
    with pytest.raises(InputError, match="p is not an option of model lscp"):
        solve(prob, model="lscp", p=2)
    with pytest.raises(InputError, match="model mclp needs p"):
        solve(prob, model="mclp")
    with pytest.raises(InputError, match="share is not an option of model mclp"):
        solve(prob, model="mclp", p=2, share=0.5)
    with pytest.raises(InputError, match="mip_gap is not an option of model pcenter"):
        solve(prob, model="pcenter", p=2, mip_gap=0.1)
    with pytest.raises(InputError, match="model quota needs group"):
        solve(prob, model="quota")
    with pytest.raises(InputError, match="unknown model"):
        solve(prob, model="nope")
    capped = LocationProblem(travel=D, coverage=COV, capacity=np.full(4, 10.0))
    with pytest.raises(InputError, match="capacity is not an option of model mclp"):
        solve(capped, model="mclp", p=1)
    with pytest.raises(InputError, match="model pmedian needs the travel matrix"):
        solve(LocationProblem(coverage=COV), model="pmedian", p=1)
    with pytest.raises(InputError, match="objective 'cost' needs site_cost"):
        solve(prob, model="lscp", objective="cost")
    # every problem at once, each naming the option and the model
    with pytest.raises(InputError) as err:
        solve(prob, model="lscpb", p=1, share=0.5, objective="travel")
    assert all("model lscpb" in str(p.message) for p in err.value.problems)
    assert {p.column for p in err.value.problems} == {"p", "share", "objective"}


def test_every_model_runs_on_one_problem() -> None:
    group = np.array([0, 0, 1, 1])
    prob = LocationProblem(coverage=COV, travel=D, weights=W, existing=[3],
                           site_cost=np.array([2.0, 1.0, 1.0, 1.0]), budget=4.0,
                           group=group, min_new=np.array([1, 0]))
    for name in MODELS:
        p = None if MODELS[name].p == "rejected" else 2
        res = solve(prob, model=name, p=p)
        assert res.model == name and res.status == "optimal", (name, res.message)
        assert res.n_new == res.selected.size and 3 in res.open_sites


def test_budget_makes_p_a_maximum_and_says_why_fewer() -> None:
    cost = np.array([3.0, 2.0, 2.0, 2.0])
    prob = LocationProblem(coverage=COV, weights=W, site_cost=cost, budget=4.0)
    res = solve(prob, model="mclp", p=3)
    # two sites fit (e.g. 1 + 2 cost 4); a third does not
    assert res.status == "optimal" and res.n_new == 2 and res.p == 3
    assert res.limited_by == "budget"
    lim = res.note("limited")
    assert lim is not None and lim.values["spent"] == 4.0 and lim.values["budget"] == 4.0
    assert lim.values["cheapest_left"] == 2.0 and lim.values["p"] == 3
    # without a budget p is exact: three sites
    exact = solve(LocationProblem(coverage=COV, weights=W), model="mclp", p=3)
    assert exact.n_new == 3 and exact.limited_by is None
    # a generous budget and nothing left to cover: fewer sites, because they add nothing
    rich = solve(LocationProblem(coverage=COV[:, :2], weights=W,
                                 site_cost=np.array([1.0, 1.0]), budget=10.0,
                                 existing=[1]), model="mclp", p=1)
    assert rich.n_new == 1 and rich.limited_by is None
    rich = solve(LocationProblem(coverage=COV[:, [0, 0, 1]], weights=W,
                                 site_cost=np.ones(3), budget=10.0), model="mclp", p=3)
    assert rich.n_new == 2 and rich.limited_by == "no_gain"


def test_budget_without_p_builds_what_it_can() -> None:
    cost = np.array([3.0, 2.0, 2.0, 2.0])
    prob = LocationProblem(coverage=COV, travel=D, weights=W, site_cost=cost, budget=6.0)
    for name in ("mclp", "pmedian", "pcenter"):
        res = solve(prob, model=name)
        assert res.status == "optimal" and res.p is None
        assert cost[res.selected].sum() <= 6.0
        assert res.limited_by in ("budget", "no_gain", "candidates")


def test_infeasibility_as_data() -> None:
    group = np.array([0, 0, 1, -1])
    prob = LocationProblem(coverage=COV, weights=W, group=group, min_new=np.array([1, 2]),
                           excluded=[3])
    res = solve(prob, model="quota")
    assert res.status == "infeasible" and res.stop == "completed"
    (short,) = [r for r in res.reasons if r.code == "group_short_of_candidates"]
    assert short.group == 1 and short.values == {"need": 2, "have": 1}
    res = solve(LocationProblem(coverage=COV, weights=W, site_cost=np.full(4, 5.0),
                                budget=4.0, forced=[0]), model="mclp", p=2)
    assert [r.code for r in res.reasons] == ["forced_over_budget"]
    assert res.reasons[0].values == {"cost": 5.0, "budget": 4.0}
    blocked = D.copy()
    blocked[0, 1:] = np.inf
    res = solve(LocationProblem(travel=blocked, excluded=[0]), model="pmedian", p=1)
    (why,) = res.reasons
    assert why.code == "unreachable_demand" and why.rows.tolist() == [0]
    res = solve(LocationProblem(coverage=COV, site_cost=np.full(4, 2.0), budget=5.0),
                model="lscp")
    (why,) = res.reasons
    assert why.code == "cover_over_budget" and why.values == {"budget": 5.0, "cost": 8.0}
    res = solve(LocationProblem(travel=D, weights=W, capacity=np.full(4, 3.0)),
                model="pmedian", p=2)
    assert [r.code for r in res.reasons] == ["capacity_short"]


def test_zero_weight_rows_that_cannot_be_reached_do_not_block_pmedian() -> None:
    blocked = D.copy()
    blocked[2, :] = np.inf
    w = W.copy()
    w[2] = 0.0
    res = solve(LocationProblem(travel=blocked, weights=w), model="pmedian", p=2)
    assert res.status == "optimal" and res.uncoverable.tolist() == [2]
    assert res.note("uncoverable_demand") is not None and np.isfinite(res.objective)


def test_a_run_in_which_highs_did_not_search_proves_nothing(monkeypatch) -> None:
    """HiGHS refusing to run (e.g. a ``threads`` value it cannot take once its scheduler
    exists) leaves stale numbers behind: no bound may come from them."""
    import highspy

    import coverage.optimize._highs as highs_module

    class Refusing(highspy.Highs):  # type: ignore[misc]
        def run(self) -> object:
            return highspy.HighsStatus.kError

    def refusing() -> highspy.Highs:
        h = Refusing()
        h.setOptionValue("output_flag", False)
        return h

    monkeypatch.setattr(highs_module, "new_highs", refusing)
    out = solve_milp(**_cover_model(), start=np.ones(7))  # type: ignore[arg-type]
    assert out.status == "feasible" and out.stop == "solver_mismatch"
    assert out.objective == 7.0 and out.bound == -np.inf
    out = solve_milp(**_cover_model())  # type: ignore[arg-type]
    assert out.status == "no_solution" and out.x is None
    # a whole model: the greedy fallback cover is returned as feasible, with no bound
    res = solve(LocationProblem(coverage=COV, weights=W), model="lscp")
    assert res.status == "feasible" and res.stop == "solver_mismatch"
    assert res.gap == np.inf and COV[:, res.open_sites].any(axis=1).all()
    res = solve(LocationProblem(coverage=COV, weights=W), model="lscp", warm_start=False)
    assert res.status == "no_solution"


def test_nothing_affordable_is_infeasible_not_a_crash() -> None:
    prob = LocationProblem(coverage=COV, travel=D, weights=W, site_cost=np.full(4, 5.0),
                           budget=4.0)
    for name in ("pcenter", "pmedian"):
        res = solve(prob, model=name)
        assert res.status == "infeasible" and res.reasons, name
    # existing sites serve everyone: nothing new is needed, none is affordable
    res = solve(LocationProblem(travel=D, existing=[0, 1, 2, 3], site_cost=np.ones(4),
                                budget=0.0), model="pcenter")
    assert res.status == "optimal" and res.n_new == 0 and res.limited_by == "candidates"
