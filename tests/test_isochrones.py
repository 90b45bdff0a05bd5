"""Isochrone areas: reachable road pieces, widened, gaps closed, clipped — checked by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely

from coverage.isochrones import isochrone_area, reachable_segments
from coverage.network import RoadGraph, build_graph


def _line_graph(n: int = 11, step: float = 1000.0, kmh: float = 36.0) -> RoadGraph:
    """Nodes 0..n-1 on the x axis, ``step`` metres apart, two-way, 10 m/s."""
    u = np.arange(n - 1)
    return build_graph(u, u + 1, np.full(n - 1, step), kmh, False,
                       x=np.arange(n) * step, y=np.zeros(n), profile="drive")


def _grid_graph(n: int = 21, step: float = 500.0) -> RoadGraph:
    """An n x n street grid, ``step`` metres apart, 10 m/s."""
    ids = np.arange(n * n).reshape(n, n)
    u = np.concatenate([ids[:, :-1].ravel(), ids[:-1, :].ravel()])
    v = np.concatenate([ids[:, 1:].ravel(), ids[1:, :].ravel()])
    xx, yy = np.meshgrid(np.arange(n) * step, np.arange(n) * step)
    return build_graph(u, v, np.full(len(u), step), 36.0, False, x=xx.ravel(), y=yy.ravel())


def test_reachable_segments_cut_the_last_edge() -> None:
    g = _line_graph()
    t = np.abs(np.arange(11) - 5) * 100.0  # source at node 5, 100 s per edge
    seg = reachable_segments(g, t, 250.0)
    xs = seg[:, :, 0]
    # whole edges between nodes 3..7, and 50 s (500 m) of the edges toward 2 and 8
    assert xs.min() == pytest.approx(2500.0) and xs.max() == pytest.approx(7500.0)
    with pytest.raises(ValueError, match="shape"):
        reachable_segments(g, t[:-1], 250.0)


def test_area_along_a_road_is_a_buffered_band() -> None:
    g = _line_graph()
    t = np.abs(np.arange(11) - 5) * 100.0
    area = isochrone_area(g, t, 250.0, buffer_m=200.0, close_m=0.0, simplify_m=0.0)
    minx, miny, maxx, maxy = area.bounds
    # 2,500 .. 7,500 m reached, widened by the 200 m buffer (to the 100 m raster cell)
    assert minx == pytest.approx(2300.0, abs=100.0) and maxx == pytest.approx(7700.0, abs=100.0)
    assert miny == pytest.approx(-200.0, abs=100.0) and maxy == pytest.approx(200.0, abs=100.0)
    assert area.is_valid and area.geom_type == "Polygon"


def test_grid_blocks_between_reached_roads_are_filled() -> None:
    g = _grid_graph()
    center = 10 * 21 + 10
    dx = np.abs(g.x - g.x[center]) + np.abs(g.y - g.y[center])
    t = dx / 10.0  # Manhattan distance at 10 m/s
    area = isochrone_area(g, t, 300.0, buffer_m=100.0, close_m=0.0, fill_holes_km2=1.0)
    # the 500 m blocks inside the 3 km diamond are enclosed holes of 0.16 km2: filled
    assert len(area.interiors if area.geom_type == "Polygon" else []) == 0
    block = shapely.box(g.x[center] + 100, g.y[center] + 100, g.x[center] + 400,
                        g.y[center] + 400)
    assert area.contains(block)
    # nothing beyond the limit (3 km Manhattan + buffer)
    far = shapely.Point(g.x[center] + 3000, g.y[center] + 3000).buffer(50)
    assert not area.intersects(far)


def test_area_is_clipped_to_the_county() -> None:
    g = _line_graph()
    t = np.abs(np.arange(11) - 5) * 100.0
    county = shapely.box(4000, -1000, 20000, 1000)
    area = isochrone_area(g, t, 1000.0, clip=county, buffer_m=200.0)
    assert area.bounds[0] == pytest.approx(4000.0)
    assert county.buffer(1e-6).contains(area)


def test_nothing_reachable_is_empty() -> None:
    g = _line_graph()
    area = isochrone_area(g, np.full(11, np.inf), 100.0)
    assert area.is_empty
    with pytest.raises(ValueError, match="buffer_m"):
        isochrone_area(g, np.zeros(11), 100.0, buffer_m=0.0)


@pytest.mark.slow
def test_demo_walk_area_holds_the_villages_reached_on_foot() -> None:
    """On the demo county, villages within 15 minutes' walk of a built room (road times,
    computed independently of the area) lie inside the drawn area; the area stays in the
    county and is a fraction of it, not the whole county."""
    import coverage
    from coverage.access import load_graphs
    from coverage.network import attach_points, nearest_site

    toml = Path(__file__).resolve().parents[1] / "data" / "demo" / "region.toml"
    if not toml.exists():
        pytest.skip("demo region not generated")
    config = coverage.load_config(toml)
    region = coverage.load_region(config)
    graph = load_graphs(region, config.access, ["walk"])["walk"]
    village = region.to_metric(region.layers["village"])
    att = attach_points(graph, village.geometry.x, village.geometry.y)
    built = (village["status"] == "built").to_numpy() & (att.node >= 0)
    near = nearest_site(att.graph, sources=att.node[built],
                        targets=np.arange(att.graph.n_nodes), limit_s=900.0)
    county = region.to_metric(region.county).union_all()
    area = isochrone_area(att.graph, near.time_s, 900.0, clip=county)
    reached = (att.node >= 0) & (near.time_s[np.maximum(att.node, 0)] <= 900.0)
    inside = shapely.contains_xy(area, village.geometry.x[reached], village.geometry.y[reached])
    assert reached.sum() > 100 and inside.mean() >= 0.98
    assert county.buffer(1.0).contains(area)
    assert 0.2 < area.area / county.area < 0.9
