"""Published optima (OR-Library, SJC) and spopt's San Francisco values, from ../shared."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from coverage.optimize import solve_lscp, solve_lscpb, solve_mclp, solve_pcenter, solve_pmedian
from coverage.optimize.instances import random_county, read_orlib_pmed, read_sjc

BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"
needs_shared = pytest.mark.skipif(
    not BENCH.is_dir(), reason=f"shared benchmark data not found at {BENCH}"
)
pytestmark = [pytest.mark.shared, needs_shared]

PMED_OPT = {1: 5819, 2: 4093, 3: 4250, 4: 3034, 5: 1355, 7: 5631, 8: 4445, 9: 2734, 10: 1255}
PCENTER_OPT = {1: 127, 2: 98, 3: 93, 4: 74, 5: 48, 7: 64, 8: 55, 9: 37, 10: 20}


def test_orlib_duplicate_edges_last_wins():
    inst = read_orlib_pmed(BENCH / "orlib_pmed" / "pmed1.txt")
    assert inst.n == 100 and inst.p == 5
    assert inst.cost.shape == (100, 100) and np.allclose(inst.cost, inst.cost.T)


@pytest.mark.slow
@pytest.mark.parametrize("k", sorted(PMED_OPT))
def test_orlib_pmedian_published_optimum(k):
    inst = read_orlib_pmed(BENCH / "orlib_pmed" / f"pmed{k}.txt")
    res = solve_pmedian(inst.cost, p=inst.p)
    assert res.objective == PMED_OPT[k]
    assert res.status == "optimal" and res.gap == 0.0


@pytest.mark.slow
@pytest.mark.parametrize("k", sorted(PCENTER_OPT))
def test_orlib_pcenter_published_optimum(k):
    inst = read_orlib_pmed(BENCH / "orlib_pmed" / f"pmed{k}.txt")
    res = solve_pcenter(inst.cost, p=inst.p)
    assert res.objective == PCENTER_OPT[k] and res.status == "optimal"


@pytest.fixture(scope="module")
def sf():
    pd = pytest.importorskip("pandas")
    d = BENCH / "spopt_sf_store"
    dist = pd.read_csv(d / "SF_network_distance_candidateStore_16_censusTract_205_new.csv")
    cost = dist.pivot_table(values="distance", index="DestinationName", columns="name")
    dem = pd.read_csv(d / "SF_demand_205_centroid_uniform_weight.csv").sort_values("NAME")
    return cost.to_numpy(), dem["POP2000"].to_numpy(float)


def test_sf_mclp(sf):
    cost, w = sf
    res = solve_mclp(cost <= 5000, w, p=4)
    assert int((~res.covered).sum()) == 21
    assert 100 * res.details["covered_count"] / 205 == pytest.approx(89.75609756097561)
    assert res.objective == 875247


def test_sf_pmedian(sf):
    cost, w = sf
    res = solve_pmedian(cost, w, p=4)
    assert res.details["mean_distance"] == pytest.approx(2982.1268579890657)


def test_sf_lscp_and_backup(sf):
    cost, _ = sf
    assert solve_lscp(cost <= 5000).objective == 8
    res = solve_lscpb(cost <= 5000)
    assert 100 * res.details["backup_share_spopt"] == pytest.approx(81.46341463414633)
    # the true share covered twice (brute force over all 12,870 8-site covers: 145/205)
    assert res.objective == 145


def test_sf_pcenter(sf):
    cost, _ = sf
    assert solve_pcenter(cost, p=4).objective == pytest.approx(7403.0638, abs=1e-3)


@pytest.mark.parametrize(
    ("name", "radius", "p", "opt"),
    [("SJC324", 800, 2, 8790.0), ("SJC402", 150, 10, 6051.0), ("SJC500", 200, 20, 12518.0),
     ("SJC818", 1200, 3, 25211.0)],
)
def test_sjc_mclp(name, radius, p, opt):
    d = BENCH / "lorena_sjc_mclp"
    xy, dem = read_sjc(d / f"{name}.txt", d / f"demand-{name}.dat")
    dist = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    res = solve_mclp(dist <= radius, dem, p=p)
    assert res.objective == opt and res.status == "optimal"


def _spopt_or_skip():
    return pytest.importorskip("spopt.locate"), pytest.importorskip("pulp")


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_same_objective_as_spopt_random(seed):
    locate, pulp = _spopt_or_skip()
    inst = random_county(300, 60, seed=seed, extent_m=20_000.0)
    D = inst.distances()
    ours = solve_mclp(inst.coverage(2000.0), inst.weights, p=8)
    theirs = locate.MCLP.from_cost_matrix(D, inst.weights, service_radius=2000.0,
                                          p_facilities=8)
    theirs.solve(pulp.PULP_CBC_CMD(msg=False))
    assert ours.objective == pytest.approx(theirs.problem.objective.value())
    ours_m = solve_pmedian(D[:120], inst.weights[:120], p=6)
    theirs_m = locate.PMedian.from_cost_matrix(D[:120], inst.weights[:120], p_facilities=6)
    theirs_m.solve(pulp.PULP_CBC_CMD(msg=False))
    assert ours_m.objective == pytest.approx(theirs_m.problem.objective.value(), rel=1e-9)
