"""Benchmark: nearest-site travel times, ours (one scipy multi-source Dijkstra) vs networkx.

Usage::

    python benchmarks/bench_access.py [OSM_FILE] [--side 500] [--share 0.01] [--sample 3]

Runs on (1) a local OSM file — default ``data/demo/roads.osm`` when present, else the
West-Oakland extract in ``../shared`` — with its drive graph, and (2) a generated
perturbed grid of ``side × side`` nodes (default 250 000) with 10 % of the edges removed
and 10 % one-way. Sources are ``share`` of the nodes, targets every node; times are from
every node TO its nearest source.

Figures (best of ``--repeat`` runs each):

* ours: :func:`coverage.network.nearest_site` (Dijkstra + route lengths along the
  fastest path), graph already built;
* networkx multi-source: ``multi_source_dijkstra_path_length`` on an ``nx.DiGraph`` of the
  same (already merged) edges — the fastest networkx form; graph construction not timed;
* networkx per site: ``single_source_dijkstra_path_length`` for ``--sample`` sites, timed
  and extrapolated linearly to all sites (stated in the table);
* peak memory of our call (tracemalloc) and the process peak RSS.

Every run asserts that our times equal networkx's to 1e-6 s and that the same nodes are
unreachable.
"""

from __future__ import annotations

import argparse
import logging
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from coverage._osm import read_osm
from coverage.crs import metric_crs_for
from coverage.network import RoadGraph, build_graph, graph_from_segments, nearest_site

logger = logging.getLogger("bench_access")
ROOT = Path(__file__).resolve().parents[1]


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best = float("inf")
    out = None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


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


def to_networkx(graph: RoadGraph) -> nx.DiGraph:
    u, v, t, _ = graph.edges()
    g = nx.DiGraph()
    g.add_nodes_from(range(graph.n_nodes))
    g.add_weighted_edges_from(zip(v.tolist(), u.tolist(), t.tolist(), strict=True), weight="time")
    return g


def run(
    label: str, graph: RoadGraph, share: float, sample: int, repeat: int, seed: int
) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    n_src = max(3, round(share * graph.n_nodes))
    sources = rng.choice(graph.n_nodes, n_src, replace=False)
    targets = np.arange(graph.n_nodes)

    ours_s, ours = best_of(lambda: nearest_site(graph, sources=sources, targets=targets), repeat)
    tracemalloc.start()
    nearest_site(graph, sources=sources, targets=targets)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    g = to_networkx(graph)
    src_set = set(sources.tolist())
    nx_s, nx_len = best_of(
        lambda: nx.multi_source_dijkstra_path_length(g, src_set, weight="time"),
        max(1, min(repeat, 2)),
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
        "sources": n_src,
        "ours_ms": ours_s * 1e3,
        "nx_multi_ms": nx_s * 1e3,
        "x_multi": nx_s / ours_s,
        "nx_per_site_s": per_site_total,
        "x_per_site": per_site_total / ours_s,
        "sampled": len(picked),
        "peak_mb": peak / 2**20,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("osm", nargs="?", type=Path, default=None)
    parser.add_argument("--side", type=int, default=500, help="grid side (nodes = side²)")
    parser.add_argument("--share", type=float, default=0.01, help="share of nodes as sources")
    parser.add_argument("--sample", type=int, default=3, help="sites timed for per-site nx")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    osm = args.osm
    if osm is None:
        demo = ROOT / "data" / "demo" / "roads.osm"
        osm = demo if demo.is_file() else ROOT.parent / "shared/data/osm/West-Oakland.osm.bz2"
    rows = []
    if osm.is_file():
        start = time.perf_counter()
        seg = read_osm(osm)
        crs = metric_crs_for((float(np.mean(seg.lon)), float(np.mean(seg.lat))))
        graph = graph_from_segments(seg, profile="drive", crs=crs)
        print(f"{osm.name}: read + drive graph in {time.perf_counter() - start:.2f} s")
        rows.append(run(osm.name, graph, args.share, args.sample, args.repeat, args.seed))
    else:
        print(f"OSM file {osm} not found; skipping the file benchmark")
    start = time.perf_counter()
    grid = grid_graph(args.side, args.seed)
    print(f"grid {args.side}x{args.side}: build_graph in {time.perf_counter() - start:.2f} s")
    rows.append(
        run(f"grid {args.side}x{args.side}", grid, args.share, args.sample, args.repeat, args.seed)
    )

    header = (
        f"{'network':<24}{'nodes':>9}{'edges':>10}{'sources':>9}{'ours ms':>10}"
        f"{'nx multi ms':>13}{'x':>7}{'nx per-site s*':>16}{'x':>9}{'peak MB':>9}"
    )
    print()
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['network']:<24}{r['nodes']:>9}{r['edges']:>10}{r['sources']:>9}"
            f"{r['ours_ms']:>10.1f}{r['nx_multi_ms']:>13.1f}{r['x_multi']:>7.1f}"
            f"{r['nx_per_site_s']:>16.1f}{r['x_per_site']:>9.0f}{r['peak_mb']:>9.1f}"
        )
    print(
        f"* per-site networkx: mean of {args.sample} timed sites × number of sites "
        "(extrapolated). Results asserted equal to networkx (1e-6 s)."
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS: {rss:.0f} MB (includes the networkx graphs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
