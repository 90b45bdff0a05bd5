"""Benchmark: nearest-site times and source × target travel matrices, ours vs scipy and networkx.

Usage::

    python benchmarks/bench_access.py [OSM_FILE] [--side 500] [--curvy-side 150] [--bends 6]
                                      [--share 0.01] [--sample 3] [--repeat 5]
                                      [--matrix-sites 450] [--matrix-limit 3600]

Networks:

1. a local OSM file — default ``data/demo/roads.osm.bz2`` when present, else the
   West-Oakland extract in ``../shared`` — with its drive graph;
2. ``grid``: a perturbed grid of ``side × side`` nodes (default 250 000), 10 % of the edges
   removed, 10 % one-way; almost every node is a junction, so contraction barely helps;
3. ``curvy``: a grid of ``curvy-side²`` junctions whose roads are drawn with ``bends``
   intermediate nodes each, as OSM draws curvy roads (default 263 880 nodes), 10 % of the
   roads removed, 10 % one-way.

Sources are ``share`` of the nodes (chain-interior nodes included), targets every node;
times are from every node TO its nearest source.

Figures (median of ``--repeat`` runs each, wall clock):

* core: nodes the Dijkstra searches (all of them when contraction does not pay off);
* prep: building :attr:`coverage.network.RoadGraph.contraction`, once per graph;
* ours: :func:`coverage.network.nearest_site` (Dijkstra + route lengths along the fastest
  path), contraction already built;
* scipy full: the previous implementation — ``scipy.sparse.csgraph.dijkstra`` with all
  sources, ``min_only=True``, on the full graph, plus route lengths — for comparison;
* networkx multi-source: ``multi_source_dijkstra_path_length`` on an ``nx.DiGraph`` of the
  same (already merged) edges — the fastest networkx form; graph construction not timed;
* networkx per site: ``single_source_dijkstra_path_length`` for ``--sample`` sites, timed
  and extrapolated linearly to all sites (stated in the table);
* peak memory of our call (tracemalloc).

Every run asserts that our times equal networkx's to 1e-6 s and that the same nodes are
unreachable, and that times, route lengths and chosen sites equal the full-graph scipy
search.

Travel matrix (second table; the OSM file and ``curvy`` only — the grid has no contraction,
so :func:`coverage.network.travel_matrix` runs the previous full-graph code there):
``--matrix-sites`` random source nodes × as many random target nodes, pairs within
``--matrix-limit`` seconds, as :func:`coverage.access.site_demand_matrix` asks for the
optimizer. Figures (median of ``min(--repeat, 3)`` runs):

* times: ``travel_matrix(..., with_distance=False)`` (contracted graph, what the optimizer
  needs);
* +dist: ``travel_matrix(...)`` with route lengths;
* scipy full: the previous implementation — chunked ``dijkstra(limit=...)`` from every
  source on the full graph, plus route lengths along the predecessor trees.

Asserted: the same pairs stored (explicit zeros included), times and route lengths equal to
scipy full (1e-6), and for ``--sample`` sources the row equals networkx's
``single_source_dijkstra_path_length`` with ``cutoff``.

Loading and snapping (third table; the OSM file only), median of ``--repeat`` runs:

* read: :func:`coverage._osm.read_osm` (pyosmium, XML and PBF);
* osmnx read: the previous XML reader — ``osmnx.graph_from_xml`` (unsimplified) converted
  to the same segments, asserted equal to ours (XML files only; osmnx's import, about 1.5
  s, is not timed; a clipped file makes osmnx fail, shown as such);
* build: both profiles' graphs from the segments;
* fit: :func:`coverage.network.check_network_fit` for ``--points`` random points in the
  network's bounding box (including the segment trees it builds for both graphs);
* attach: :func:`coverage.network.attach_points` of the same points onto the drive graph,
  first with the segment tree the fit check left on the graph, then ("cold") building it;
* reference: :func:`coverage.reference.reference_layers_from_osm` (default simplification)
  and the size of its roads as minified GeoJSON at 1e-5 degrees.
"""

from __future__ import annotations

import argparse
import logging
import math
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
from scipy.sparse.csgraph import dijkstra

from coverage._osm import read_osm
from coverage.crs import metric_crs_for
from coverage.network import (
    RoadGraph,
    build_graph,
    graph_from_segments,
    nearest_site,
    path_lengths,
    travel_matrix,
)
from coverage.network._contract import edge_values

logger = logging.getLogger("bench_access")
ROOT = Path(__file__).resolve().parents[1]


def median_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times = []
    out = None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), out


def grid_graph(side: int, seed: int) -> RoadGraph:
    """Perturbed grid, 100 m spacing, 10 % edges removed, 10 % one-way, mixed speeds."""
    rng = np.random.default_rng(seed)
    n = side * side
    ij = np.arange(n)
    x = (ij % side) * 100.0 + rng.uniform(-30, 30, n)
    y = (ij // side) * 100.0 + rng.uniform(-30, 30, n)
    right = ij[(ij % side) < side - 1]
    up = ij[(ij // side) < side - 1]
    u = np.concatenate([right, up])
    v = np.concatenate([right + 1, up + side])
    keep = rng.random(len(u)) > 0.10
    u, v = u[keep], v[keep]
    oneway = rng.random(len(u)) < 0.10
    flip = rng.random(len(u)) < 0.5
    u, v = np.where(flip, v, u), np.where(flip, u, v)
    length = np.hypot(x[u] - x[v], y[u] - y[v]) * rng.uniform(1.0, 1.3, len(u))
    speed = rng.choice([12.0, 20.0, 30.0, 40.0, 60.0], len(u))
    return build_graph(u, v, length, speed, oneway, x=x, y=y, profile="drive")


def curvy_graph(side: int, bends: int, seed: int) -> RoadGraph:
    """Grid of roads 500 m apart, each drawn with ``bends`` wiggling intermediate nodes;
    10 % of the roads removed, 10 % one-way, mixed speeds per road."""
    rng = np.random.default_rng(seed)
    n_junction = side * side
    ij = np.arange(n_junction)
    jx = (ij % side) * 500.0 + rng.uniform(-100, 100, n_junction)
    jy = (ij // side) * 500.0 + rng.uniform(-100, 100, n_junction)
    right = ij[(ij % side) < side - 1]
    up = ij[(ij // side) < side - 1]
    a = np.concatenate([right, up])
    b = np.concatenate([right + 1, up + side])
    keep = rng.random(len(a)) > 0.10
    a, b = a[keep], b[keep]
    flip = rng.random(len(a)) < 0.5
    a, b = np.where(flip, b, a), np.where(flip, a, b)
    n_road = len(a)
    frac = np.arange(1, bends + 1) / (bends + 1)
    bx = jx[a, None] + frac * (jx[b] - jx[a])[:, None] + rng.uniform(-40, 40, (n_road, bends))
    by = jy[a, None] + frac * (jy[b] - jy[a])[:, None] + rng.uniform(-40, 40, (n_road, bends))
    inner = n_junction + np.arange(n_road * bends).reshape(n_road, bends)
    chain = np.column_stack([a, inner, b])
    x = np.concatenate([jx, bx.ravel()])
    y = np.concatenate([jy, by.ravel()])
    u, v = chain[:, :-1].ravel(), chain[:, 1:].ravel()
    per_road = bends + 1
    oneway = np.repeat(rng.random(n_road) < 0.10, per_road)
    speed = np.repeat(rng.choice([12.0, 20.0, 30.0, 40.0, 60.0], n_road), per_road)
    length = np.hypot(x[u] - x[v], y[u] - y[v])
    return build_graph(u, v, length, speed, oneway, x=x, y=y, profile="drive")


def to_networkx(graph: RoadGraph) -> nx.DiGraph:
    u, v, t, _ = graph.edges()
    g = nx.DiGraph()
    g.add_nodes_from(range(graph.n_nodes))
    g.add_weighted_edges_from(zip(v.tolist(), u.tolist(), t.tolist(), strict=True), weight="time")
    return g


def scipy_full(graph: RoadGraph, sources: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The previous nearest_site: min_only Dijkstra on the full graph + route lengths."""
    dist, pred, origin = dijkstra(
        graph.time_rev, directed=True, indices=sources, return_predecessors=True, min_only=True
    )
    idx = np.flatnonzero(pred >= 0)
    step = np.zeros(graph.n_nodes)
    step[idx] = edge_values(graph.length_rev, pred[idx].astype(np.int64), idx)
    length = path_lengths(pred, step)
    length[~np.isfinite(dist)] = np.inf
    return dist, length, origin


def scipy_full_matrix(
    graph: RoadGraph, sources: np.ndarray, targets: np.ndarray, limit: float, chunk: int = 64
) -> tuple[np.ndarray, np.ndarray]:
    """The previous travel_matrix: dense (sources × targets) times and route lengths, inf
    beyond ``limit``, from chunked limited Dijkstra on the full transposed graph."""
    times = np.full((len(sources), len(targets)), np.inf)
    lengths = np.full(times.shape, np.inf)
    for lo in range(0, len(sources), chunk):
        dist, pred = dijkstra(
            graph.time_rev,
            indices=sources[lo : lo + chunk],
            return_predecessors=True,
            limit=limit,
        )
        r, c = np.nonzero(pred >= 0)
        step = np.zeros(dist.shape)
        step[r, c] = edge_values(graph.length_rev, pred[r, c].astype(np.int64), c)
        length = path_lengths(pred, step)
        within = dist[:, targets] <= limit
        times[lo : lo + chunk] = np.where(within, dist[:, targets], np.inf)
        lengths[lo : lo + chunk] = np.where(within, length[:, targets], np.inf)
    return times, lengths


def run_matrix(
    label: str, graph: RoadGraph, n_sites: int, limit: float, sample: int, repeat: int, seed: int
) -> dict[str, Any]:
    rng = np.random.default_rng(seed + 1)
    sources = rng.choice(graph.n_nodes, min(n_sites, graph.n_nodes), replace=False)
    targets = rng.choice(graph.n_nodes, min(n_sites, graph.n_nodes), replace=False)
    targets[: min(20, len(targets))] = sources[: min(20, len(targets))]  # some zero pairs
    _ = graph.contraction  # built once per graph, timed in the first table

    def ours(with_distance: bool) -> Any:
        return travel_matrix(
            graph, sources=sources, targets=targets, limit_s=limit, with_distance=with_distance
        )

    reps = max(1, min(repeat, 3))
    fast_s, fast = median_of(lambda: ours(False), reps)
    dist_s, full_tm = median_of(lambda: ours(True), reps)
    prev_s, (p_time, p_len) = median_of(
        lambda: scipy_full_matrix(graph, sources, targets, limit), reps
    )
    expected = np.isfinite(p_time)
    for tm in (fast, full_tm):
        coo = tm.time_s.tocoo()
        stored = np.zeros(p_time.shape, dtype=bool)
        stored[coo.row, coo.col] = True
        assert np.array_equal(stored, expected), "stored pairs differ from scipy full"
        assert np.allclose(coo.data, p_time[coo.row, coo.col], rtol=0, atol=1e-6)
    d = full_tm.dist_m.tocoo()
    assert np.allclose(d.data, p_len[d.row, d.col], rtol=0, atol=1e-6), "lengths differ"
    g = to_networkx(graph)
    for i in range(min(sample, len(sources))):
        reach = nx.single_source_dijkstra_path_length(
            g, int(sources[i]), cutoff=limit, weight="time"
        )
        row = fast.time_s[[i], :]
        want = {j: reach[t] for j, t in enumerate(targets.tolist()) if t in reach}
        assert set(row.indices.tolist()) == set(want), "pairs differ from networkx"
        for j, t in zip(row.indices.tolist(), row.data.tolist(), strict=True):
            assert abs(t - want[j]) <= 1e-6
    return {
        "network": label,
        "sources": len(sources),
        "targets": len(targets),
        "limit": limit,
        "pairs": fast.time_s.nnz,
        "times_ms": fast_s * 1e3,
        "dist_ms": dist_s * 1e3,
        "prev_ms": prev_s * 1e3,
        "x": prev_s / fast_s,
    }


def run(
    label: str, graph: RoadGraph, share: float, sample: int, repeat: int, seed: int
) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    n_src = max(3, round(share * graph.n_nodes))
    sources = rng.choice(graph.n_nodes, n_src, replace=False)
    targets = np.arange(graph.n_nodes)

    graph.__dict__.pop("contraction", None)  # time the one-off preparation
    start = time.perf_counter()
    con = graph.contraction
    core = graph.n_nodes if con is None else con.n_core  # nodes Dijkstra searches
    prep_s = time.perf_counter() - start
    ours_s, ours = median_of(lambda: nearest_site(graph, sources=sources, targets=targets), repeat)
    tracemalloc.start()
    nearest_site(graph, sources=sources, targets=targets)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    full_s, (f_time, f_len, f_origin) = median_of(lambda: scipy_full(graph, sources), repeat)
    reach = np.isfinite(f_time)
    assert np.array_equal(reach, np.isfinite(ours.time_s)), "reachability differs (scipy)"
    assert np.allclose(ours.time_s[reach], f_time[reach], rtol=0, atol=1e-6)
    assert np.allclose(ours.dist_m[reach], f_len[reach], rtol=0, atol=1e-6)
    assert np.array_equal(sources[ours.source[reach]], f_origin[reach])

    g = to_networkx(graph)
    src_set = set(sources.tolist())
    nx_s, nx_len = median_of(
        lambda: nx.multi_source_dijkstra_path_length(g, src_set, weight="time"),
        max(1, min(repeat, 3)),
    )
    expected = np.full(graph.n_nodes, np.inf)
    expected[np.fromiter(nx_len.keys(), int)] = np.fromiter(nx_len.values(), float)
    finite = np.isfinite(expected)
    assert np.array_equal(finite, np.isfinite(ours.time_s)), "reachability differs"
    assert np.allclose(ours.time_s[finite], expected[finite], rtol=0, atol=1e-6), "times differ"

    picked = sources[:sample]
    per_site: list[float] = []
    for s in picked:
        start = time.perf_counter()
        single = nx.single_source_dijkstra_path_length(g, int(s), weight="time")
        per_site.append(time.perf_counter() - start)
        node = int(rng.choice(list(single)))
        # our one-source result for a sampled node agrees as well
        mine = nearest_site(graph, sources=[s], targets=[node]).time_s[0]
        assert abs(mine - single[node]) <= 1e-6
    per_site_total = float(np.mean(per_site)) * n_src
    return {
        "network": label,
        "nodes": graph.n_nodes,
        "edges": graph.n_edges,
        "core": core,
        "sources": n_src,
        "prep_ms": prep_s * 1e3,
        "ours_ms": ours_s * 1e3,
        "full_ms": full_s * 1e3,
        "nx_multi_ms": nx_s * 1e3,
        "x_multi": nx_s / ours_s,
        "nx_per_site_s": per_site_total,
        "x_per_site": per_site_total / ours_s,
        "sampled": len(picked),
        "peak_mb": peak / 2**20,
    }


def minified_kb(frame: Any) -> float:
    """Size of a GeoDataFrame as minified GeoJSON with coordinates rounded to 1e-5°."""
    import json

    data = json.loads(frame.to_json(drop_id=True))

    def rounded(c: list[Any]) -> list[Any]:
        return [rounded(x) for x in c] if isinstance(c[0], list) else [round(v, 5) for v in c]

    for feature in data["features"]:
        feature["geometry"]["coordinates"] = rounded(feature["geometry"]["coordinates"])
    return len(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()) / 1024


def run_loading(osm: Path, n_points: int, repeat: int, seed: int) -> dict[str, Any]:
    """Time reading, graph building, the fit check, snapping and the reference layers."""
    import shapely

    from coverage._osm import _segments_from_osmnx
    from coverage.network import attach_points, check_network_fit, graphs_from_segments
    from coverage.reference import reference_layers_from_osm

    read_s, seg = median_of(lambda: read_osm(osm), repeat)
    crs = metric_crs_for((float(np.mean(seg.lon)), float(np.mean(seg.lat))))
    osmnx_s = math.nan
    osmnx_note = "PBF"
    if not osm.name.lower().endswith((".pbf",)):
        import osmnx as ox

        def previous() -> Any:
            graph = ox.graph_from_xml(osm, bidirectional=False, simplify=False, retain_all=True)
            return _segments_from_osmnx(graph, osm)

        try:
            osmnx_s, old = median_of(previous, max(1, min(repeat, 3)))
        except ValueError:  # osmnx: "Some edges missing nodes ... clipping"
            osmnx_note = "fails"
        else:
            def pairs(s: Any) -> list[tuple[int, int, bool]]:
                ids = s.node_id
                ends = (ids[s.u].tolist(), ids[s.v].tolist(), s.oneway.tolist())
                return sorted(zip(*ends, strict=True))

            assert pairs(old) == pairs(seg), "segments differ from the osmnx reader"
            osmnx_note = f"{osmnx_s / read_s:.1f}x"
    build_s, graphs = median_of(
        lambda: graphs_from_segments(seg, profiles=["drive", "walk"], crs=crs), repeat
    )
    drive = graphs["drive"]
    rng = np.random.default_rng(seed)
    xs = rng.uniform(drive.x.min(), drive.x.max(), n_points)
    ys = rng.uniform(drive.y.min(), drive.y.max(), n_points)
    area = shapely.box(drive.x.min(), drive.y.min(), drive.x.max(), drive.y.max())

    def fit() -> Any:
        for g in graphs.values():
            g.__dict__.pop("segments", None)  # time the segment trees too
        return check_network_fit(
            graphs, area=area, x=xs, y=ys, source=str(osm), snap_limit_m=1000.0
        )

    fit_s, result = median_of(fit, repeat)
    attach_s, _ = median_of(lambda: attach_points(drive, xs, ys, snap_limit_m=1e9), repeat)

    def cold() -> Any:
        drive.__dict__.pop("segments", None)
        return attach_points(drive, xs, ys, snap_limit_m=1e9)

    cold_s, _ = median_of(cold, repeat)
    ref_s, ref = median_of(
        lambda: reference_layers_from_osm(osm, metric_crs=crs), max(1, min(repeat, 3))
    )
    return {
        "file": osm.name,
        "segments": len(seg.u),
        "read_ms": read_s * 1e3,
        "osmnx_ms": osmnx_s * 1e3,
        "osmnx_x": osmnx_note,
        "build_ms": build_s * 1e3,
        "points": n_points,
        "fit_ms": fit_s * 1e3,
        "verdict": result.verdict,
        "attach_ms": attach_s * 1e3,
        "cold_ms": cold_s * 1e3,
        "ref_ms": ref_s * 1e3,
        "ref_roads": len(ref.roads),
        "ref_kb": minified_kb(ref.roads),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("osm", nargs="?", type=Path, default=None)
    parser.add_argument("--side", type=int, default=500, help="grid side (nodes = side²)")
    parser.add_argument("--curvy-side", type=int, default=150, help="junctions per side")
    parser.add_argument("--bends", type=int, default=6, help="intermediate nodes per road")
    parser.add_argument("--share", type=float, default=0.01, help="share of nodes as sources")
    parser.add_argument("--sample", type=int, default=3, help="sites timed for per-site nx")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--matrix-sites", type=int, default=450, help="travel_matrix sources")
    parser.add_argument("--matrix-limit", type=float, default=3600.0, help="cut-off (s)")
    parser.add_argument("--points", type=int, default=20000, help="points to snap")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    osm = args.osm
    if osm is None:
        demo = ROOT / "data" / "demo" / "roads.osm.bz2"
        osm = demo if demo.is_file() else ROOT.parent / "shared/data/osm/West-Oakland.osm.bz2"
    networks: list[tuple[str, Callable[[], RoadGraph], bool]] = []
    if osm.is_file():

        def from_file() -> RoadGraph:
            seg = read_osm(osm)
            crs = metric_crs_for((float(np.mean(seg.lon)), float(np.mean(seg.lat))))
            return graph_from_segments(seg, profile="drive", crs=crs)

        networks.append((osm.name, from_file, True))
    else:
        print(f"OSM file {osm} not found; skipping the file benchmark")
    networks.append(
        (f"grid {args.side}x{args.side}", lambda: grid_graph(args.side, args.seed), False)
    )
    networks.append(
        (
            f"curvy {args.curvy_side}x{args.curvy_side}/{args.bends}",
            lambda: curvy_graph(args.curvy_side, args.bends, args.seed),
            True,
        )
    )
    rows = []
    matrix_rows = []
    loading = run_loading(osm, args.points, args.repeat, args.seed) if osm.is_file() else None
    for label, make, with_matrix in networks:
        start = time.perf_counter()
        graph = make()
        print(f"{label}: graph built in {time.perf_counter() - start:.2f} s")
        rows.append(run(label, graph, args.share, args.sample, args.repeat, args.seed))
        if with_matrix:
            matrix_rows.append(
                run_matrix(
                    label,
                    graph,
                    args.matrix_sites,
                    args.matrix_limit,
                    args.sample,
                    args.repeat,
                    args.seed,
                )
            )

    header = (
        f"{'network':<22}{'nodes':>8}{'edges':>9}{'core':>8}{'sources':>8}{'prep ms':>9}"
        f"{'ours ms':>9}{'scipy full':>11}{'nx multi ms':>12}{'x':>6}{'nx per-site s*':>15}"
        f"{'x':>8}{'peak MB':>8}"
    )
    print()
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['network']:<22}{r['nodes']:>8}{r['edges']:>9}{r['core']:>8}{r['sources']:>8}"
            f"{r['prep_ms']:>9.1f}{r['ours_ms']:>9.1f}{r['full_ms']:>11.1f}"
            f"{r['nx_multi_ms']:>12.1f}{r['x_multi']:>6.1f}{r['nx_per_site_s']:>15.1f}"
            f"{r['x_per_site']:>8.0f}{r['peak_mb']:>8.1f}"
        )
    print(
        f"Medians of {args.repeat} runs (networkx multi: of {max(1, min(args.repeat, 3))}); "
        "'prep' (contraction, once per graph) is not in 'ours'.\n"
        f"* per-site networkx: mean of {args.sample} timed sites × number of sites "
        "(extrapolated). Results asserted equal to networkx (1e-6 s) and to 'scipy full'."
    )
    header = (
        f"{'travel_matrix':<22}{'sources':>8}{'targets':>8}{'limit s':>8}{'pairs':>9}"
        f"{'times ms':>10}{'+dist ms':>10}{'scipy full ms':>14}{'x':>7}"
    )
    print()
    print(header)
    print("-" * len(header))
    for r in matrix_rows:
        print(
            f"{r['network']:<22}{r['sources']:>8}{r['targets']:>8}{r['limit']:>8.0f}"
            f"{r['pairs']:>9}{r['times_ms']:>10.1f}{r['dist_ms']:>10.1f}{r['prev_ms']:>14.1f}"
            f"{r['x']:>7.1f}"
        )
    print(
        f"Medians of {max(1, min(args.repeat, 3))} runs. 'times': with_distance=False; "
        "'x': scipy full / times. Asserted equal to scipy full (pairs, times, lengths) and "
        f"to networkx for {args.sample} sources."
    )
    if loading is not None:
        r = loading
        header = (
            f"{'loading':<18}{'segments':>9}{'read ms':>9}{'osmnx ms':>10}{'x':>7}"
            f"{'build ms':>10}{'points':>8}{'fit ms':>8}{'verdict':>9}{'attach ms':>10}"
            f"{'cold ms':>9}{'ref ms':>8}{'ref lines':>10}{'ref KB':>8}"
        )
        print()
        print(header)
        print("-" * len(header))
        print(
            f"{r['file']:<18}{r['segments']:>9}{r['read_ms']:>9.1f}{r['osmnx_ms']:>10.1f}"
            f"{r['osmnx_x']:>7}{r['build_ms']:>10.1f}{r['points']:>8}{r['fit_ms']:>8.1f}"
            f"{r['verdict']:>9}{r['attach_ms']:>10.1f}{r['cold_ms']:>9.1f}{r['ref_ms']:>8.1f}"
            f"{r['ref_roads']:>10}{r['ref_kb']:>8.1f}"
        )
        print(
            f"Medians of {args.repeat} runs (osmnx, reference: of {max(1, min(args.repeat, 3))})."
            " 'x': osmnx read / read (segments asserted equal). 'build': drive + walk."
            " 'fit': check_network_fit incl. segment trees; 'attach': drive graph, tree"
            " cached; 'cold': tree built. 'ref KB': roads as minified GeoJSON at 1e-5°."
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS: {rss:.0f} MB (includes the networkx graphs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
