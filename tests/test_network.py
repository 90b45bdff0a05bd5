"""Road graph, snapping and routing: hand-made graphs with known answers, and real OSM
extracts checked against networkx."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from coverage._osm import read_osm
from coverage.crs import metric_crs_for
from coverage.network import (
    DEFAULT_SPEEDS_KMH,
    Profile,
    RoadGraph,
    attach_points,
    build_graph,
    graph_from_segments,
    load_network,
    load_networks,
    nearest_site,
    parse_maxspeed,
    path_lengths,
    travel_matrix,
)
from coverage.problems import InputError

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_OSM = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"
CRS = metric_crs_for((117.3, 35.6))


def shared(name: str) -> Path:
    path = SHARED_OSM / name
    if not path.is_file():
        pytest.skip(f"real OSM extract {path} not available (../shared absent)")
    return path


# --------------------------------------------------------------------------- helpers


def to_networkx(graph: RoadGraph) -> nx.DiGraph:
    """Reverse graph (edges b -> a for each a -> b) as networkx, for "to the source" times."""
    u, v, t, length = graph.edges()
    g = nx.DiGraph()
    g.add_nodes_from(range(graph.n_nodes))
    for a, b, tt, ll in zip(u.tolist(), v.tolist(), t.tolist(), length.tolist(), strict=True):
        g.add_edge(b, a, time=tt, length=ll)
    return g


def assert_matches_networkx(graph: RoadGraph, sources: np.ndarray, targets: np.ndarray) -> None:
    """nearest_site == networkx multi_source_dijkstra on the same graph (times to 1e-6 s,
    route lengths along networkx's fastest path to 1e-6 m)."""
    result = nearest_site(graph, sources=sources, targets=targets)
    g = to_networkx(graph)
    src = {int(s) for s in sources if s >= 0}
    lengths, paths = nx.multi_source_dijkstra(g, src, weight="time")
    for i, node in enumerate(targets.tolist()):
        if node < 0:
            assert math.isnan(result.time_s[i])
            continue
        if node not in lengths:
            assert result.time_s[i] == math.inf
            assert result.source[i] == -1
            continue
        assert result.time_s[i] == pytest.approx(lengths[node], abs=1e-6)
        path = paths[node]
        route = sum(g[a][b]["length"] for a, b in itertools.pairwise(path))
        assert result.dist_m[i] == pytest.approx(route, abs=1e-6)
        assert int(sources[result.source[i]]) in src


# --------------------------------------------------------------------------- maxspeed


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("60", 60.0),
        ("60 km/h", 60.0),
        ("60km/h", 60.0),
        ("30 mph", 30 * 1.609344),
        ("60;80", 60.0),
        (["40", "50 km/h"], 40.0),
        (45, 45.0),
        ("CN:urban", math.nan),
        ("none", math.nan),
        ("0", math.nan),
        (None, math.nan),
    ],
)
def test_parse_maxspeed(value: object, expected: float) -> None:
    got = parse_maxspeed(value)
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(expected)


# --------------------------------------------------------------------------- build_graph


def line_graph(**kw: object) -> RoadGraph:
    """0 -1- 1 -1- 2 -1- 3 on a line, 100 m apart, 36 km/h = 10 m/s -> 10 s per edge."""
    x = np.array([0.0, 100.0, 200.0, 300.0])
    return build_graph(
        [0, 1, 2],
        [1, 2, 3],
        [100.0, 100.0, 100.0],
        36.0,
        [False, False, False],
        x=x,
        y=np.zeros(4),
        **kw,  # type: ignore[arg-type]
    )


def test_parallel_edges_keep_the_fastest() -> None:
    # two parallel roads 0->1: 100 m at 36 km/h (10 s) and 150 m at 108 km/h (5 s)
    g = build_graph(
        [0, 0], [1, 1], [100.0, 150.0], [36.0, 108.0], [True, True], x=[0.0, 100.0], y=[0.0, 0.0]
    )
    assert g.n_edges == 1
    assert g.time[0, 1] == pytest.approx(5.0)
    assert g.length[0, 1] == pytest.approx(150.0)  # the length of the fastest edge
    # the naive construction would add them up
    naive = sp.csr_array((np.array([10.0, 5.0]), (np.array([0, 0]), np.array([1, 1]))), (2, 2))
    assert naive[0, 1] == pytest.approx(15.0)


def test_oneway_and_direction_to_site() -> None:
    # 0 -> 1 one-way (10 s); 1 - 2 two-way (10 s); 0 - 2 two-way slow (100 s)
    g = build_graph(
        [0, 1, 0],
        [1, 2, 2],
        [100.0, 100.0, 1000.0],
        36.0,
        [True, False, False],
        x=[0.0, 100.0, 200.0],
        y=[0.0, 0.0, 0.0],
    )
    # time FROM each node TO the site at node 2
    r = nearest_site(g, sources=[2], targets=[0, 1, 2])
    np.testing.assert_allclose(r.time_s, [20.0, 10.0, 0.0])
    np.testing.assert_allclose(r.dist_m, [200.0, 100.0, 0.0])
    # to the site at node 0: node 1 cannot use 1->0 (one-way), goes 1->2->0
    r = nearest_site(g, sources=[0], targets=[1])
    assert r.time_s[0] == pytest.approx(110.0)
    assert r.dist_m[0] == pytest.approx(1100.0)


def test_disconnected_parts_are_inf_not_zero() -> None:
    g = build_graph(
        [0, 2], [1, 3], [100.0, 100.0], 36.0, False, x=[0.0, 100.0, 5000.0, 5100.0], y=[0.0] * 4
    )
    r = nearest_site(g, sources=[0], targets=[1, 2, 3, -1])
    assert r.time_s[0] == pytest.approx(10.0)
    assert np.isinf(r.time_s[1:3]).all() and np.isinf(r.dist_m[1:3]).all()
    assert (r.source[1:] == -1).all()
    assert math.isnan(r.time_s[3])


def test_no_sources_gives_inf() -> None:
    r = nearest_site(line_graph(), sources=np.array([], dtype=int), targets=[0, 1])
    assert np.isinf(r.time_s).all()


def test_build_graph_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="speeds"):
        build_graph([0], [1], [1.0], 0.0, False, x=[0, 1], y=[0, 0])
    with pytest.raises(ValueError, match="lengths"):
        build_graph([0], [1], [-1.0], 10.0, False, x=[0, 1], y=[0, 0])
    with pytest.raises(ValueError, match="positions"):
        build_graph([0], [5], [1.0], 10.0, False, x=[0, 1], y=[0, 0])
    with pytest.raises(ValueError, match="node_id"):
        build_graph([0], [1], [1.0], 10.0, False, x=[0, 1], y=[0, 0], node_id=[7])


def test_path_lengths_matches_walking_the_tree() -> None:
    rng = np.random.default_rng(3)
    n = 200
    pred = np.full(n, -9999)
    for i in range(1, n):
        pred[i] = rng.integers(0, i)  # a random tree rooted at 0
    step = rng.uniform(1, 10, n)
    expected = np.zeros(n)
    for i in range(1, n):  # parents come first
        expected[i] = expected[pred[i]] + step[i]
    np.testing.assert_allclose(path_lengths(pred, step), expected)
    both = path_lengths(np.stack([pred, pred]), np.stack([step, 2 * step]))
    np.testing.assert_allclose(both, np.stack([expected, 2 * expected]))


# --------------------------------------------------------------------------- snapping


def test_snap_splits_edge_proportionally_and_adds_walk_leg() -> None:
    g = line_graph()
    # point 30 m off the road above x = 130 (30 % along edge 1-2); site at node 3
    att = attach_points(g, [130.0, 300.0], [30.0, 0.0], snap_limit_m=100.0, walk_speed_kmh=3.6)
    assert att.snap_ok.all()
    np.testing.assert_allclose(att.snap_dist_m, [30.0, 0.0])
    np.testing.assert_allclose([att.snap_x[0], att.snap_y[0]], [130.0, 0.0])
    r = nearest_site(att.graph, sources=att.node[[1]], targets=att.node[[0]])
    # walk 30 m at 1 m/s = 30 s; road 170 m at 10 m/s = 17 s
    assert r.time_s[0] == pytest.approx(47.0)
    assert r.dist_m[0] == pytest.approx(200.0)


def test_points_on_the_same_edge_travel_directly() -> None:
    g = line_graph()
    att = attach_points(g, [120.0, 180.0, 150.0], [0.0, 0.0, 0.0])
    r = nearest_site(att.graph, sources=att.node[[1]], targets=att.node[[0, 2]])
    np.testing.assert_allclose(r.time_s, [6.0, 3.0])
    np.testing.assert_allclose(r.dist_m, [60.0, 30.0])


def test_snap_on_oneway_edge_respects_direction() -> None:
    # 0 -> 1 one-way (100 m, 10 s), 1 -> 0 back via a long road 1 - 2 - 0
    g = build_graph(
        [0, 1, 2],
        [1, 2, 0],
        [100.0, 500.0, 500.0],
        36.0,
        [True, False, False],
        x=[0.0, 100.0, 50.0],
        y=[0.0, 0.0, 400.0],
    )
    att = attach_points(g, [20.0, 80.0], [0.0, 0.0])
    # the person at x=80 wants the site at x=20 on the one-way 0->1: must go round
    r = nearest_site(att.graph, sources=att.node[[0]], targets=att.node[[1]])
    assert r.time_s[0] == pytest.approx(2.0 + 50.0 + 50.0 + 2.0)
    r = nearest_site(att.graph, sources=att.node[[1]], targets=att.node[[0]])
    assert r.time_s[0] == pytest.approx(6.0)


def test_far_points_are_flagged_with_nan_not_zero() -> None:
    g = line_graph()
    att = attach_points(g, [100.0, 100.0], [0.0, 1500.0], snap_limit_m=1000.0)
    assert att.snap_ok.tolist() == [True, False]
    assert att.node[1] == -1
    assert att.snap_dist_m[1] == pytest.approx(1500.0)
    r = nearest_site(att.graph, sources=att.node[[0]], targets=att.node[[0, 1]])
    assert r.time_s[0] == 0.0
    assert math.isnan(r.time_s[1]) and math.isnan(r.dist_m[1])
    # a far site serves nobody
    r = nearest_site(att.graph, sources=att.node[[1]], targets=att.node[[0]])
    assert np.isinf(r.time_s[0])


def test_points_without_coordinates_are_not_attached() -> None:
    # rows of a partly geocoded ledger reach the router as NaN coordinates
    att = attach_points(line_graph(), [50.0, np.nan, 150.0], [10.0, np.nan, 5.0])
    assert att.node[1] == -1 and not att.snap_ok[1] and math.isnan(att.snap_dist_m[1])
    assert att.snap_ok[[0, 2]].all()
    r = nearest_site(att.graph, sources=att.node[[0]], targets=att.node)
    assert math.isnan(r.time_s[1]) and np.isfinite(r.time_s[[0, 2]]).all()


# --------------------------------------------------------------------------- travel matrix


def test_travel_matrix_equals_dense_dijkstra_within_limit() -> None:
    rng = np.random.default_rng(7)
    n = 60
    u = rng.integers(0, n, 240)
    v = rng.integers(0, n, 240)
    g = build_graph(
        u,
        v,
        rng.uniform(10, 200, 240),
        rng.choice([5.0, 20.0, 40.0], 240),
        rng.random(240) < 0.3,
        x=rng.uniform(0, 1000, n),
        y=rng.uniform(0, 1000, n),
    )
    sources = np.array([3, 10, 11, 40, 59, -1])
    targets = np.array([0, 5, 10, 20, 30, -1, 59])
    limit = 40.0
    tm = travel_matrix(g, sources=sources, targets=targets, limit_s=limit, max_bytes=1)
    dense = dijkstra(g.time.T.tocsr(), indices=sources[:-1])
    for i, s in enumerate(sources):
        for j, t in enumerate(targets):
            stored = tm.time_s[[i], :].indices.tolist()
            if s < 0 or t < 0 or dense[i, t] > limit:
                assert j not in stored
            else:
                assert j in stored
                assert tm.time_s[i, j] == pytest.approx(dense[i, t], abs=1e-9)
    # route lengths agree with the single-target searches
    assert tm.dist_m is not None
    for i, j in zip(*tm.time_s.nonzero(), strict=True):
        r = nearest_site(g, sources=[sources[i]], targets=[targets[j]])
        assert tm.dist_m[i, j] == pytest.approx(r.dist_m[0], abs=1e-9)


def assert_travel_matrix_matches_networkx(
    graph: RoadGraph, sources: np.ndarray, targets: np.ndarray, limit: float
) -> None:
    """travel_matrix == one networkx Dijkstra per source on the full graph: the stored
    pairs are exactly those within ``limit`` (zeros included), times to 1e-6 s, route
    lengths along networkx's fastest path to 1e-6 m; without distances the same times."""
    tm = travel_matrix(graph, sources=sources, targets=targets, limit_s=limit)
    fast = travel_matrix(
        graph, sources=sources, targets=targets, limit_s=limit, with_distance=False
    )
    assert tm.dist_m is not None and fast.dist_m is None
    assert tm.time_s.shape == (len(sources), len(targets))
    assert (tm.time_s.indptr == fast.time_s.indptr).all()
    assert (tm.time_s.indices == fast.time_s.indices).all()
    np.testing.assert_array_equal(tm.time_s.data, fast.time_s.data)
    assert (tm.dist_m.indices == tm.time_s.indices).all()
    g = to_networkx(graph)
    for i, s in enumerate(sources.tolist()):
        row = tm.time_s[[i], :]
        stored = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
        dist_row = tm.dist_m[[i], :]
        dists = dict(zip(dist_row.indices.tolist(), dist_row.data.tolist(), strict=True))
        if s < 0:
            assert not stored
            continue
        times, paths = nx.single_source_dijkstra(g, s, weight="time")
        expected = {
            j: times[t]
            for j, t in enumerate(targets.tolist())
            if t >= 0 and t in times and times[t] <= limit
        }
        assert stored.keys() == expected.keys()
        for j, t in expected.items():
            assert stored[j] == pytest.approx(t, abs=1e-6)
            path = paths[int(targets[j])]
            route = sum(g[a][b]["length"] for a, b in itertools.pairwise(path))
            assert dists[j] == pytest.approx(route, abs=1e-6)


@pytest.mark.parametrize("limit", [math.inf, 90.0])
@pytest.mark.parametrize("seed", [1, 2])
def test_travel_matrix_on_contracted_graph_matches_networkx(seed: int, limit: float) -> None:
    g = curvy_grid(6, 4, seed=seed)
    con = g.contraction
    assert con is not None  # the contracted search is the one under test
    n = g.n_nodes
    rng = np.random.default_rng(seed)
    # interior and core sources, three on one chain (one repeated), one on each ring, -1
    sources = np.concatenate(
        [rng.choice(n, 10, replace=False), [40, 41, 43, 41, -1, 0, n - 2, n - 9]]
    )
    assert len(set(con.key[[40, 41, 43]] // (n + 1))) == 1
    assert (~con.core[sources[sources >= 0]]).sum() > 6
    targets = np.concatenate([np.arange(n), [-1, 41]])
    assert_travel_matrix_matches_networkx(g, sources, targets, limit)
    # one source per chunk gives the same matrices
    whole = travel_matrix(g, sources=sources, targets=targets, limit_s=limit)
    chunked = travel_matrix(g, sources=sources, targets=targets, limit_s=limit, max_bytes=1)
    assert whole.dist_m is not None and chunked.dist_m is not None
    assert (whole.time_s != chunked.time_s).nnz == 0 and whole.time_s.nnz == chunked.time_s.nnz
    assert (whole.dist_m != chunked.dist_m).nnz == 0
    # a source at a target is an explicit zero, also for sources inside chains
    tm = travel_matrix(g, sources=sources, targets=targets, limit_s=limit, with_distance=False)
    for i, s in enumerate(sources.tolist()):
        if s >= 0:
            assert s in tm.time_s[[i], :].indices.tolist()
            assert tm.time_s[i, s] == 0.0


def test_travel_matrix_on_attached_points_of_osm_fixture() -> None:
    graphs = load_networks(FIXTURES / "net_small.osm", profiles=["drive", "walk"], crs=CRS)
    for graph in graphs.values():
        xs = np.concatenate([graph.x[:3] + 7.0, [graph.x.mean()]])
        ys = np.concatenate([graph.y[:3] - 4.0, [graph.y.mean()]])
        att = attach_points(graph, xs, ys, snap_limit_m=5000.0)
        nodes = att.node[att.snap_ok]
        for limit in (math.inf, 30.0):
            assert_travel_matrix_matches_networkx(
                att.graph, nodes, np.concatenate([nodes, np.arange(graph.n_nodes)]), limit
            )


def test_travel_matrix_without_sources_or_targets_is_empty() -> None:
    g = curvy_grid(4, 3, seed=3)
    for sources, targets in [([-1, -1], [0, 1, 2]), ([0, 5], [-1]), ([], [0])]:
        tm = travel_matrix(g, sources=sources, targets=targets, limit_s=100.0)
        assert tm.time_s.shape == (len(sources), len(targets)) and tm.time_s.nnz == 0
        assert tm.dist_m is not None and tm.dist_m.nnz == 0
        fast = travel_matrix(
            g, sources=sources, targets=targets, limit_s=100.0, with_distance=False
        )
        assert fast.dist_m is None and fast.time_s.nnz == 0


DEMO_OSM = Path(__file__).resolve().parents[1] / "data" / "demo" / "roads.osm.bz2"


@pytest.mark.skipif(not DEMO_OSM.is_file(), reason="demo road network absent")
def test_travel_matrix_on_demo_network_equals_full_graph_dijkstra() -> None:
    graph = load_networks(DEMO_OSM, profiles=["drive"], crs=CRS)["drive"]
    con = graph.contraction
    assert con is not None and con.n_core < graph.n_nodes / 10
    rng = np.random.default_rng(3)
    pick = rng.choice(graph.n_nodes, 60, replace=False)
    att = attach_points(graph, graph.x[pick] + 30.0, graph.y[pick] + 20.0)
    sources = np.concatenate([att.node[:25], pick[:5], [-1]])  # snapped points and raw nodes
    targets = np.concatenate([att.node[20:], pick[:10], rng.choice(graph.n_nodes, 30)])
    limit = 900.0
    tm = travel_matrix(att.graph, sources=sources, targets=targets, limit_s=limit)
    assert tm.dist_m is not None
    valid = sources >= 0
    dist, pred = dijkstra(
        att.graph.time_rev, indices=sources[valid], return_predecessors=True, limit=limit
    )
    expected = np.full((len(sources), len(targets)), np.inf)
    expected[valid] = dist[:, targets]
    dense = np.full(expected.shape, np.inf)
    coo = tm.time_s.tocoo()
    dense[coo.row, coo.col] = coo.data
    within = expected <= limit
    assert within.sum() > 100 and (~within).sum() > 100
    np.testing.assert_array_equal(np.isfinite(dense), within)
    np.testing.assert_allclose(dense[within], expected[within], rtol=0, atol=1e-6)
    assert (tm.time_s.data == 0).sum() == (expected == 0).sum() > 0
    # route lengths: walk each predecessor chain of the full-graph search
    full_rows = np.flatnonzero(valid)
    for i, j in zip(*np.nonzero(within), strict=True):
        r = int(np.flatnonzero(full_rows == i)[0])
        node, route = int(targets[j]), 0.0
        while pred[r, node] >= 0:
            route += att.graph.length_rev[pred[r, node], node]
            node = int(pred[r, node])
        assert tm.dist_m[i, j] == pytest.approx(route, abs=1e-6)


# --------------------------------------------------------------------------- OSM reading


def test_graphs_carry_osm_node_ids() -> None:
    seg = read_osm(FIXTURES / "net_small.osm")
    g = graph_from_segments(seg, profile="drive", crs=CRS, retain_all=True)
    assert g.node_id is not None
    # node 1 of the fixture sits at 117.3000E 35.6000N, node 3 at 117.3020E
    one = int(np.flatnonzero(g.node_id == 1)[0])
    three = int(np.flatnonzero(g.node_id == 3)[0])
    assert g.x[three] - g.x[one] == pytest.approx(181.2, abs=1.0)  # 0.002° at 35.6°N
    att = attach_points(g, [g.x[one] + 5.0], [g.y[one] + 30.0])
    assert att.graph.node_id is not None
    assert att.graph.node_id[: g.n_nodes].tolist() == g.node_id.tolist()
    assert (att.graph.node_id[g.n_nodes :] == -1).all()


def test_read_xml_fixture() -> None:
    seg = read_osm(FIXTURES / "net_small.osm")
    pairs = {(int(seg.node_id[a]), int(seg.node_id[b])) for a, b in zip(seg.u, seg.v, strict=True)}
    assert (3, 4) in pairs and (5, 4) in pairs  # oneway=yes kept, oneway=-1 reversed
    assert (4, 5) not in pairs
    assert 6 not in seg.node_id  # the building is no road
    assert (3, 13) in pairs  # repeated node removed


def test_drive_and_walk_profiles_on_fixture() -> None:
    seg = read_osm(FIXTURES / "net_small.osm")
    drive = graph_from_segments(seg, profile="drive", crs=CRS, retain_all=True)
    walk = graph_from_segments(seg, profile="walk", crs=CRS, retain_all=True)
    ids = {int(i) for i in seg.node_id}
    # drive: no footway (5-1), no private service (9-12); walk has the footway
    assert drive.n_nodes == len(ids) - 1  # node 12 only on the private road
    assert walk.n_nodes == len(ids) - 1
    assert drive.n_edges == 2 * 2 + 1 + 1 + 2 + 2 + 2  # w1, w2, w3, w6, w7, w9
    assert walk.n_edges == 2 * (2 + 1 + 1 + 1 + 1 + 1 + 1)
    # speeds: secondary with maxspeed 30 mph, primary the class default
    _, _, t, length = drive.edges()
    speeds = np.round(length / t * 3.6, 6)
    assert round(30 * 1.609344, 6) in speeds
    assert DEFAULT_SPEEDS_KMH["primary"] in speeds
    # walk speed everywhere
    _u, _v, t, length = walk.edges()
    np.testing.assert_allclose(length / t * 3.6, 4.5)
    # the largest part only by default: the track 10-11 is dropped
    assert graph_from_segments(seg, profile="drive", crs=CRS).n_nodes == drive.n_nodes - 2


def test_speed_override_and_bad_speeds() -> None:
    seg = read_osm(FIXTURES / "net_small.osm")
    g = graph_from_segments(seg, profile="drive", crs=CRS, speeds_kmh={"primary": 10.0})
    _u, _v, t, length = g.edges()
    assert 10.0 in np.round(length / t * 3.6, 6)
    with pytest.raises(InputError, match="speeds"):
        graph_from_segments(seg, profile="drive", crs=CRS, speeds_kmh={"track": -1.0})


def test_pbf_and_xml_paths_agree(tmp_path: Path) -> None:
    import osmium

    pbf = tmp_path / "net_small.osm.pbf"
    with osmium.SimpleWriter(str(pbf)) as writer:
        for obj in osmium.FileProcessor(str(FIXTURES / "net_small.osm")):
            if isinstance(obj, osmium.osm.Node):
                writer.add_node(obj)
            elif isinstance(obj, osmium.osm.Way):
                writer.add_way(obj)
    xml_seg = read_osm(FIXTURES / "net_small.osm")
    pbf_seg = read_osm(pbf)
    profiles: tuple[Profile, ...] = ("walk", "drive")
    for profile in profiles:
        a = graph_from_segments(xml_seg, profile=profile, crs=CRS)
        b = graph_from_segments(pbf_seg, profile=profile, crs=CRS)
        assert (a.time != b.time).nnz == 0
        np.testing.assert_allclose(a.x, b.x)


@pytest.mark.parametrize("name", ["net_small.osm", "West-Oakland.osm.bz2"])
def test_osmnx_graphs_convert_to_the_same_segments(name: str) -> None:
    """The download path (an osmnx graph -> segments) and the file reader agree."""
    ox = pytest.importorskip("osmnx")
    from coverage._osm import _segments_from_osmnx

    path = FIXTURES / name if name == "net_small.osm" else shared(name)
    graph = ox.graph_from_xml(path, bidirectional=False, simplify=False, retain_all=True)
    via_osmnx = _segments_from_osmnx(graph, path)
    direct = read_osm(path)

    def rows(seg: object) -> list[tuple[object, ...]]:
        ids = seg.node_id  # type: ignore[attr-defined]
        return sorted(
            zip(
                ids[seg.u].tolist(),  # type: ignore[attr-defined]
                ids[seg.v].tolist(),  # type: ignore[attr-defined]
                seg.oneway.tolist(),  # type: ignore[attr-defined]
                seg.tag("highway").tolist(),  # type: ignore[attr-defined]
                seg.tag("maxspeed").tolist(),  # type: ignore[attr-defined]
                seg.tag("access").tolist(),  # type: ignore[attr-defined]
                strict=True,
            )
        )

    assert rows(via_osmnx) == rows(direct)
    np.testing.assert_array_equal(via_osmnx.node_id, direct.node_id)
    np.testing.assert_array_equal(via_osmnx.lon, direct.lon)
    np.testing.assert_array_equal(via_osmnx.lat, direct.lat)


def test_load_networks_reads_once_and_equals_load_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import coverage.network.loading as loading

    calls: list[Path] = []
    real = loading.read_osm

    def counting(path: str | Path) -> object:
        calls.append(Path(path))
        return real(path)

    monkeypatch.setattr(loading, "read_osm", counting)
    path = FIXTURES / "net_small.osm"
    graphs = load_networks(path, profiles=["walk", "drive", "walk"], crs=CRS)
    assert len(calls) == 1 and sorted(graphs) == ["drive", "walk"]
    for profile, graph in graphs.items():
        one = load_network(path, profile=profile, crs=CRS)  # type: ignore[arg-type]
        assert graph.profile == profile
        assert (graph.time != one.time).nnz == 0 and (graph.length != one.length).nnz == 0
        np.testing.assert_array_equal(graph.x, one.x)
    with pytest.raises(InputError, match="profile"):
        load_networks(path, profiles=["walk", "bike"], crs=CRS)
    assert len(calls) == 3  # the two load_network calls; the bad profile read nothing


def test_read_osm_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_osm(tmp_path / "missing.osm")
    bad = tmp_path / "roads.shp"
    bad.write_text("x")
    with pytest.raises(InputError, match="format"):
        read_osm(bad)


# --------------------------------------------------------------------------- real extracts


REAL = [
    "West-Oakland.osm.bz2",
    "planet_10.068_48.135_10.071_48.137.osm",
    "Helsinki.osm.pbf",
    "test.osm.pbf",
]


@pytest.mark.shared
@pytest.mark.parametrize("name", REAL)
@pytest.mark.parametrize("profile", ["walk", "drive"])
def test_real_extract_matches_networkx(name: str, profile: str) -> None:
    path = shared(name)
    seg = read_osm(path)
    crs = metric_crs_for((float(np.mean(seg.lon)), float(np.mean(seg.lat))))
    graph = load_network(path, profile=profile, crs=crs)  # type: ignore[arg-type]
    assert graph.n_edges > 0
    rng = np.random.default_rng(11)
    # random points around the network, some far away (flagged)
    xs = rng.uniform(graph.x.min() - 300, graph.x.max() + 300, 80)
    ys = rng.uniform(graph.y.min() - 300, graph.y.max() + 300, 80)
    att = attach_points(graph, xs, ys, snap_limit_m=150.0)
    assert att.snap_ok.sum() > 8 and not att.snap_ok.all()
    on = np.flatnonzero(att.snap_ok)
    sources = np.concatenate([att.node[on[:6]], [-1]])
    targets = np.concatenate(
        [att.node[on[6:]], att.node[~att.snap_ok], rng.choice(graph.n_nodes, 50)]
    )
    assert_matches_networkx(att.graph, sources, targets)


# --------------------------------------------------------------------------- contraction


def curvy_grid(side: int, bends: int, seed: int) -> RoadGraph:
    """Grid of roads, each drawn with ``bends`` intermediate nodes (like OSM geometry);
    10 % of the roads missing, 20 % one-way, plus a closed loop hanging off node 0, an
    isolated two-way ring and an isolated one-way ring (no junction at all)."""
    rng = np.random.default_rng(seed)
    ij = np.arange(side * side)
    x = list((ij % side) * 200.0)
    y = list((ij // side) * 200.0)
    right = ij[(ij % side) < side - 1]
    up = ij[(ij // side) < side - 1]
    ends = np.concatenate([np.stack([right, right + 1], 1), np.stack([up, up + side], 1)])
    us: list[int] = []
    vs: list[int] = []
    speeds: list[float] = []
    oneways: list[bool] = []

    def road(chain: list[int], speed: float, oneway: bool) -> None:
        us.extend(chain[:-1])
        vs.extend(chain[1:])
        speeds.extend([speed] * (len(chain) - 1))
        oneways.extend([oneway] * (len(chain) - 1))

    def new_node(px: float, py: float) -> int:
        x.append(px)
        y.append(py)
        return len(x) - 1

    for a, b in ends[rng.random(len(ends)) > 0.1]:
        chain = [int(a)]
        for k in range(1, bends + 1):
            f = k / (bends + 1)
            px = x[a] + f * (x[b] - x[a]) + rng.uniform(-20, 20)
            py = y[a] + f * (y[b] - y[a]) + rng.uniform(-20, 20)
            chain.append(new_node(px, py))
        chain.append(int(b))
        if rng.random() < 0.5:
            chain.reverse()
        road(chain, float(rng.choice([12.0, 30.0, 60.0])), bool(rng.random() < 0.2))
    loop = [0] + [new_node(-50.0 - 10 * k, 30.0 * k) for k in range(5)] + [0]
    road(loop, 20.0, False)
    ring = [new_node(5000.0 + 40 * math.cos(k), 40 * math.sin(k)) for k in range(6)]
    road([*ring, ring[0]], 20.0, False)
    ring = [new_node(6000.0 + 40 * math.cos(k), 40 * math.sin(k)) for k in range(6)]
    road([*ring, ring[0]], 20.0, True)
    xa, ya = np.array(x), np.array(y)
    u, v = np.array(us), np.array(vs)
    length = np.hypot(xa[u] - xa[v], ya[u] - ya[v])
    return build_graph(u, v, length, speeds, oneways, x=xa, y=ya)


def test_contraction_removes_chain_nodes_and_keeps_junctions() -> None:
    g = curvy_grid(6, 4, seed=1)
    con = g.contraction
    assert con is not None and con.n_core < g.n_nodes / 3
    u, v, _, _ = g.edges()
    pairs = np.unique(np.minimum(u, v) * g.n_nodes + np.maximum(u, v))
    ends = np.concatenate([pairs // g.n_nodes, pairs % g.n_nodes])
    distinct = np.bincount(ends, minlength=g.n_nodes)
    assert con.core[distinct != 2].all()  # junctions and dead ends are never contracted
    # each isolated ring keeps exactly one node
    assert con.core[-6:].sum() == 1 and con.core[-12:-6].sum() == 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_contracted_search_matches_networkx_on_full_graph(seed: int) -> None:
    g = curvy_grid(7, 5, seed=seed)
    rng = np.random.default_rng(seed)
    n = g.n_nodes
    # mostly chain-interior sources, several on the same chain, repeated, one on each ring
    sources = np.concatenate([rng.choice(n, 12, replace=False), [50, 51, 53, 51, -1]])
    sources = np.concatenate([sources, [n - 2, n - 9]])
    con = g.contraction
    assert con is not None
    assert (~con.core[sources[sources >= 0]]).sum() > 8
    assert len(set(con.key[[50, 51, 53]] // (n + 1))) == 1  # three sources on one chain
    assert_matches_networkx(g, sources, np.concatenate([np.arange(n), [-1]]))


def test_contracted_search_respects_limit() -> None:
    g = curvy_grid(6, 3, seed=4)
    sources = np.array([5, 60, 61, 100])
    limit = 60.0
    r = nearest_site(g, sources=sources, targets=np.arange(g.n_nodes), limit_s=limit)
    full = dijkstra(g.time_rev, indices=sources, min_only=True)
    within = full <= limit
    np.testing.assert_allclose(r.time_s[within], full[within], atol=1e-6)
    assert np.isinf(r.time_s[~within]).all() and (r.source[~within] == -1).all()
    assert np.isinf(r.dist_m[~within]).all()


def test_zero_time_edges_are_edges() -> None:
    # scipy.sparse.csgraph treats stored zeros of a sparse matrix as edges of weight 0;
    # here the only link between 0 and 2 is a zero-length edge (same coordinates)
    g = build_graph(
        [0, 1, 2, 3],
        [1, 2, 3, 4],
        [100.0, 0.0, 0.0, 50.0],
        36.0,
        False,
        x=[0.0, 100.0, 100.0, 100.0, 150.0],
        y=[0.0] * 5,
    )
    assert g.n_edges == 8 and (g.time.data == 0).sum() == 4
    r = nearest_site(g, sources=[4], targets=[0, 1, 2, 3])
    np.testing.assert_allclose(r.time_s, [15.0, 5.0, 5.0, 5.0])
    np.testing.assert_allclose(r.dist_m, [150.0, 50.0, 50.0, 50.0])
    assert_matches_networkx(g, np.array([2]), np.arange(5))
    # attached points exactly on a node (zero-length split) and on the road (no leg)
    att = attach_points(g, [0.0, 100.0, 120.0], [0.0, 0.0, 0.0])
    assert_matches_networkx(att.graph, att.node[[2]], np.arange(att.graph.n_nodes))


def test_tree_sums_matches_walking_the_tree() -> None:
    from coverage.network._contract import tree_sums

    rng = np.random.default_rng(5)
    n = 300
    parent = np.full(n, -1)
    for i in range(1, n):
        if rng.random() > 0.05:  # a forest: a few extra roots
            parent[i] = rng.integers(0, i)
    value = rng.uniform(0, 10, n)
    expected = value.copy()
    root = np.arange(n)
    for i in range(1, n):
        if parent[i] >= 0:
            expected[i] += expected[parent[i]]
            root[i] = root[parent[i]]
    sums, top = tree_sums(parent, value)
    np.testing.assert_allclose(sums, expected)
    np.testing.assert_array_equal(top, root)


def test_contracted_and_full_searches_agree_on_a_mostly_junction_graph() -> None:
    from coverage.network._contract import contract
    from coverage.network._search import nearest_source, nearest_source_full

    rng = np.random.default_rng(8)
    n = 400
    u, v = rng.integers(0, n, 900), rng.integers(0, n, 900)
    g = build_graph(
        u,
        v,
        rng.uniform(10, 200, 900),
        rng.choice([5.0, 20.0, 40.0], 900),
        rng.random(900) < 0.3,
        x=rng.uniform(0, 1000, n),
        y=rng.uniform(0, 1000, n),
    )
    assert g.contraction is None  # too few chain nodes: nearest_site searches the full graph
    forced = contract(g.time, g.length, g.time_rev, g.length_rev, min_share=0.0)
    assert forced is not None and forced.n_core < n
    sources = rng.choice(n, 15, replace=False)
    targets = np.arange(n)
    for limit in (math.inf, 30.0):
        t1, l1, s1 = nearest_source(forced, sources, targets, limit)
        t2, l2, s2 = nearest_source_full(g.time_rev, g.length_rev, sources, targets, limit)
        np.testing.assert_allclose(t1, t2, atol=1e-9)
        np.testing.assert_allclose(l1, l2, atol=1e-9)
        np.testing.assert_array_equal(s1, s2)
    assert_matches_networkx(g, sources, targets)


@pytest.mark.slow
@pytest.mark.skipif(not DEMO_OSM.is_file(), reason="demo road network absent")
@pytest.mark.parametrize("profile", ["drive", "walk"])
def test_demo_network_nearest_sites_equal_networkx(profile: str) -> None:
    """The demo county's real question — every village/community to its nearest built room —
    equals networkx multi_source_dijkstra on the same (attached) graph, times to 1e-6 s."""
    from coverage import load_region

    region = load_region(DEMO_OSM.parent / "region.toml")
    graph = load_networks(DEMO_OSM, profiles=[profile], crs=region.metric_crs)[profile]
    pts = pd.concat([region.layer("village"), region.layer("community")], ignore_index=True)
    metric = region.to_metric(pts)
    att = attach_points(graph, metric.geometry.x.to_numpy(), metric.geometry.y.to_numpy())
    assert att.snap_ok.all()
    built = (pts["status"] == "built").to_numpy(dtype=bool)
    sources = att.node[built]
    targets = np.concatenate([att.node[~built], att.node[built][:20]])
    assert_matches_networkx(att.graph, sources, targets)


# --------------------------------------------------------------------------- junction snapping


def junction_with_oneway() -> RoadGraph:
    """Junction J=0 at the origin; a one-way street J -> W (node 1, 1 km west); a two-way
    road J - S (node 2, 1 km east, the site); a two-way back road W - 3 - 4 - S round the
    north. 36 km/h everywhere: 100 s per km."""
    x = [0.0, -1000.0, 1000.0, -1000.0, 1000.0]
    y = [0.0, 0.0, 0.0, 1000.0, 1000.0]
    u, v = [0, 0, 1, 3, 4], [1, 2, 3, 4, 2]
    length = [1000.0, 1000.0, 1000.0, 2000.0, 1000.0]
    return build_graph(u, v, length, 36.0, [True, False, False, False, False], x=x, y=y)


@pytest.mark.parametrize(("px", "py"), [(0.0, -30.0), (0.0, 30.0), (0.0, 0.0), (-0.0004, -5.0)])
def test_point_at_a_junction_takes_the_best_road(px: float, py: float) -> None:
    g = junction_with_oneway()
    att = attach_points(g, [px], [py], walk_speed_kmh=3.6)
    assert att.snap_node is not None and att.snap_node[0] == 0  # linked to the junction
    r = nearest_site(att.graph, sources=[2], targets=att.node)
    leg = math.hypot(px, py)  # walked at 1 m/s
    # straight on J -> S (100 s); snapped onto the one-way J -> W it would have to go
    # round W - 3 - 4 - S (100 + 100 + 200 + 100 s)
    assert r.time_s[0] == pytest.approx(leg + 100.0)
    # independently: networkx on the base graph with the point linked to J by its leg
    base = to_networkx(g)
    base.add_edge(0, "q", time=leg, length=leg)  # reversed graph: J -> q means q -> J
    expected = nx.single_source_dijkstra_path_length(base, 2, weight="time")["q"]
    # (the leg is the distance to the road, which the node lies within 1 mm of)
    assert r.time_s[0] == pytest.approx(expected, abs=1e-6)
    assert_matches_networkx(att.graph, np.array([2]), np.arange(att.graph.n_nodes))


def test_point_inside_a_oneway_segment_still_follows_it() -> None:
    g = junction_with_oneway()
    # 10 m along the one-way J -> W (the junction is 31.6 m away, the street 30 m)
    att = attach_points(g, [-10.0], [-30.0], walk_speed_kmh=3.6)
    assert att.snap_node is not None and att.snap_node[0] == -1
    assert (att.snap_x[0], att.snap_y[0]) == (-10.0, 0.0)
    r = nearest_site(att.graph, sources=[2], targets=att.node)
    assert r.time_s[0] == pytest.approx(30.0 + 99.0 + 100.0 + 200.0 + 100.0)


def test_sites_and_points_at_nodes_and_dead_ends() -> None:
    g = junction_with_oneway()
    # a site beyond the dead end of nothing: at node 2 (an end of two segments), a point
    # beyond node 1 (the end of the one-way and of the back road)
    att = attach_points(g, [1050.0, -1040.0], [0.0, -30.0], walk_speed_kmh=3.6)
    assert att.snap_node is not None and att.snap_node.tolist() == [2, 1]
    r = nearest_site(att.graph, sources=att.node[[0]], targets=att.node[[1]])
    assert r.time_s[0] == pytest.approx(50.0 + 100.0 + 200.0 + 100.0 + 50.0)
    assert_matches_networkx(att.graph, att.node[[0]], np.arange(att.graph.n_nodes))


# --------------------------------------------------------------------------- network fit


def demo_region_points() -> tuple[object, object, np.ndarray, np.ndarray]:
    import shapely

    from coverage import load_region

    region = load_region(DEMO_OSM.parent / "region.toml")
    pts = pd.concat([region.layer("village"), region.layer("community")], ignore_index=True)
    metric = region.to_metric(pts)
    area = shapely.union_all(region.to_metric(region.county).geometry.to_numpy())
    return region, area, metric.geometry.x.to_numpy(), metric.geometry.y.to_numpy()


def shifted_copy(path: Path, out: Path, *, dlon: float, dlat: float = 0.0,
                 keep: object = None) -> Path:
    """The demo roads moved by (dlon, dlat) degrees, or only the nodes ``keep(lon, lat)``
    accepts (a clipped extract)."""
    import bz2
    import xml.etree.ElementTree as ET

    root = ET.fromstring(bz2.decompress(path.read_bytes()))
    for node in root.findall("node"):
        lon, lat = float(node.get("lon", "nan")), float(node.get("lat", "nan"))
        if keep is not None and not keep(lon, lat):  # type: ignore[operator]
            root.remove(node)
            continue
        node.set("lon", f"{lon + dlon:.7f}")
        node.set("lat", f"{lat + dlat:.7f}")
    ET.ElementTree(root).write(out, encoding="utf-8", xml_declaration=True)
    return out


@pytest.mark.skipif(not DEMO_OSM.is_file(), reason="demo road network absent")
def test_demo_network_fits_its_county() -> None:
    from coverage.network import check_network_fit, raise_if_unfit

    region, area, x, y = demo_region_points()
    graphs = load_networks(DEMO_OSM, profiles=["drive", "walk"], crs=region.metric_crs)  # type: ignore[attr-defined]
    fit = check_network_fit(graphs, area=area, x=x, y=y, source=str(DEMO_OSM), snap_limit_m=1000)
    assert fit.verdict == "ok" and fit.reasons == ()
    assert fit.area_share > 0.95 and fit.n_points == len(x) and fit.n_beyond == 0
    assert 0 <= fit.snap_median_m <= fit.snap_p95_m < 1000
    # extents in degrees, the same place within a few hundredths of a degree
    west, south, east, north = fit.county_bounds
    assert 117 < west < east < 118 and 35 < south < north < 36
    np.testing.assert_allclose(fit.network_bounds, fit.county_bounds, atol=0.02)
    raise_if_unfit(fit)  # passes


@pytest.mark.skipif(not DEMO_OSM.is_file(), reason="demo road network absent")
@pytest.mark.parametrize("shift", [(5.0, 0.0), (0.0, -5.0)])
def test_network_of_another_place_is_a_clear_error(tmp_path: Path, shift: tuple) -> None:
    from coverage.network import check_network_fit, raise_if_unfit

    region, area, x, y = demo_region_points()
    moved = shifted_copy(DEMO_OSM, tmp_path / "elsewhere.osm", dlon=shift[0], dlat=shift[1])
    graphs = load_networks(moved, profiles=["drive"], crs=region.metric_crs)  # type: ignore[attr-defined]
    fit = check_network_fit(graphs, area=area, x=x, y=y, source=str(moved), snap_limit_m=1000)
    assert fit.verdict == "disjoint"
    assert set(fit.reasons) == {"area_outside", "median_beyond_limit"}
    assert fit.area_share == 0.0 and fit.n_beyond == len(x)
    assert fit.snap_median_m > 400_000
    with pytest.raises(InputError) as info:
        raise_if_unfit(fit)
    text = str(info.value)
    assert str(moved) in text
    # both extents, in degrees, and the snap figures
    assert "the county lies at 117.11–117.57°E, 35.36–35.69°N" in text
    if shift[0]:
        assert "the road file covers 122.11–122.58°E" in text
    assert "km from the nearest drive road" in text
    assert f"{len(x)} of {len(x)}" in text
    assert "osmium extract" in info.value.problems[0].fix


@pytest.mark.shared
@pytest.mark.skipif(not DEMO_OSM.is_file(), reason="demo road network absent")
def test_another_citys_roads_for_the_demo_county_is_a_clear_error() -> None:
    from coverage.network import check_network_fit, raise_if_unfit

    region, area, x, y = demo_region_points()
    helsinki = shared("Helsinki.osm.pbf")
    graphs = load_networks(helsinki, profiles=["walk", "drive"], crs=region.metric_crs)  # type: ignore[attr-defined]
    fit = check_network_fit(graphs, area=area, x=x, y=y, source=str(helsinki), snap_limit_m=1000)
    assert fit.verdict == "disjoint" and fit.area_share == 0.0
    with pytest.raises(InputError, match=r"the road file covers 24\.9\d–24\.9\d°E, 60\.1\d"):
        raise_if_unfit(fit)


@pytest.mark.skipif(not DEMO_OSM.is_file(), reason="demo road network absent")
def test_network_covering_part_of_the_county_is_partial_with_figures(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from coverage.network import check_network_fit, raise_if_unfit

    region, area, x, y = demo_region_points()
    west, _, east, _ = region.county.total_bounds  # type: ignore[attr-defined]
    cut = west + 0.8 * (east - west)  # an extract missing the county's eastern fifth

    clipped = shifted_copy(DEMO_OSM, tmp_path / "west.osm", dlon=0.0,
                           keep=lambda lon, lat: lon < cut)
    graphs = load_networks(clipped, profiles=["drive"], crs=region.metric_crs)  # type: ignore[attr-defined]
    fit = check_network_fit(graphs, area=area, x=x, y=y, source=str(clipped), snap_limit_m=1000)
    assert fit.verdict == "partial"
    assert 0.5 <= fit.area_share < 0.9 and "area_partly_outside" in fit.reasons
    # points beyond the limit, counted independently: distance to all kept roads as one
    # geometry (brute force, no tree)
    import shapely

    g = graphs["drive"]
    u, v, _, _ = g.edges()
    roads = shapely.multilinestrings(
        [[(g.x[a], g.y[a]), (g.x[b], g.y[b])] for a, b in zip(u, v, strict=True)]
    )
    dist = shapely.distance(shapely.points(x, y), roads)
    assert fit.n_beyond == int((dist > 1000).sum()) > 0
    assert fit.share_beyond == pytest.approx(fit.n_beyond / len(x))
    assert fit.snap_median_m == pytest.approx(float(np.median(dist)))
    assert fit.snap_p95_m == pytest.approx(float(np.percentile(dist, 95)))
    assert "points_beyond_limit" in fit.reasons
    with caplog.at_level("WARNING", logger="coverage.network"):
        raise_if_unfit(fit)
    warning = caplog.records[-1].getMessage()
    assert str(clipped) in warning and f"{fit.n_beyond} of {len(x)}" in warning
    assert f"{fit.area_share:.0%}" in warning


def test_fit_without_points_and_bad_input() -> None:
    import shapely

    from coverage.network import check_network_fit

    g = line_graph(crs=CRS)
    area = shapely.box(-50.0, -50.0, 350.0, 50.0)
    fit = check_network_fit({"drive": g}, area=area, x=[], y=[], source="x.osm", snap_limit_m=10)
    # the nodes lie on a line: no hull area
    assert fit.verdict == "disjoint" and fit.reasons == ("area_outside",)
    assert fit.n_points == 0 and math.isnan(fit.snap_median_m)
    with pytest.raises(ValueError, match="at least one road graph"):
        check_network_fit({}, area=area, x=[], y=[], source="x.osm", snap_limit_m=10)


# --------------------------------------------------------------------------- reference features


@pytest.mark.slow
@pytest.mark.skipif(not DEMO_OSM.is_file(), reason="demo road network absent")
def test_demo_river_and_places_do_not_change_routing(tmp_path: Path) -> None:
    """The demo file carries a river and place nodes for the maps; without them (only the
    highway ways and their nodes) the graphs and every village's time are the same."""
    import bz2
    import xml.etree.ElementTree as ET

    root = ET.fromstring(bz2.decompress(DEMO_OSM.read_bytes()))
    ways = root.findall("way")
    roads = [w for w in ways if any(t.get("k") == "highway" for t in w.findall("tag"))]
    assert len(roads) < len(ways)  # the river is there
    assert any(t.get("k") == "place" for n in root.findall("node") for t in n.findall("tag"))
    used = {nd.get("ref") for w in roads for nd in w.findall("nd")}
    for w in ways:
        if w not in roads:
            root.remove(w)
    for n in root.findall("node"):
        if n.get("id") not in used:
            root.remove(n)
    bare = tmp_path / "roads_only.osm"
    ET.ElementTree(root).write(bare, encoding="utf-8", xml_declaration=True)

    region, _, x, y = demo_region_points()
    full = load_networks(DEMO_OSM, profiles=["drive", "walk"], crs=region.metric_crs)  # type: ignore[attr-defined]
    only = load_networks(bare, profiles=["drive", "walk"], crs=region.metric_crs)  # type: ignore[attr-defined]
    for profile in ("drive", "walk"):
        a, b = full[profile], only[profile]
        assert (a.n_nodes, a.n_edges) == (b.n_nodes, b.n_edges)
        assert (a.time != b.time).nnz == 0 and (a.length != b.length).nnz == 0
        np.testing.assert_array_equal(a.x, b.x)
        att_a, att_b = attach_points(a, x, y), attach_points(b, x, y)
        sites = att_a.node[::7]
        ra = nearest_site(att_a.graph, sources=sites, targets=att_a.node)
        rb = nearest_site(att_b.graph, sources=att_b.node[::7], targets=att_b.node)
        np.testing.assert_array_equal(ra.time_s, rb.time_s)
        np.testing.assert_array_equal(ra.dist_m, rb.dist_m)
