"""Clipped OSM extracts: ways whose nodes are partly missing are cut at the gaps, never
joined across one, in XML and PBF alike; the graphs equal networkx on a graph the test
builds itself from the same kept ways.

The clipped files are made here from the real extracts in ../shared (skipped without it):
West-Oakland (XML, bz2) with every node outside a box dropped, and Helsinki (PBF) written
back with pyosmium's SimpleWriter keeping only the nodes inside a box and every way.
"""

from __future__ import annotations

import bz2
import itertools
import math
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

import networkx as nx
import numpy as np
import pyproj
import pytest

from coverage._osm import read_osm
from coverage.crs import metric_crs_for
from coverage.network import (
    DEFAULT_SPEEDS_KMH,
    DEFAULT_WALK_SPEED_KMH,
    DRIVE_HIGHWAYS,
    WALK_EXCLUDED_HIGHWAYS,
    RoadGraph,
    graph_from_segments,
    parse_maxspeed,
    travel_matrix,
)

SHARED_OSM = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"

pytestmark = pytest.mark.shared


def shared(name: str) -> Path:
    path = SHARED_OSM / name
    if not path.is_file():
        pytest.skip(f"real OSM extract {path} not available (../shared absent)")
    return path


@dataclass
class Way:
    refs: list[int]
    tags: dict[str, str]


@dataclass
class Extract:
    """What the test knows about a clipped file: the kept nodes and every way."""

    path: Path
    coords: dict[int, tuple[float, float]]  # node id -> (lon, lat), kept nodes only
    ways: list[Way]
    referenced: set[int]  # node ids referenced by highway ways


def _inner_box(lon: list[float], lat: list[float], share: float) -> tuple[float, ...]:
    """The central box holding ``share`` of the extent in each direction."""
    lo_x, hi_x = min(lon), max(lon)
    lo_y, hi_y = min(lat), max(lat)
    pad_x = (hi_x - lo_x) * (1 - share) / 2
    pad_y = (hi_y - lo_y) * (1 - share) / 2
    return lo_x + pad_x, lo_y + pad_y, hi_x - pad_x, hi_y - pad_y


def clipped_xml(tmp_path: Path) -> Extract:
    """West-Oakland with every node outside the central box dropped, written as .osm."""
    source = shared("West-Oakland.osm.bz2")
    root = ET.fromstring(bz2.decompress(source.read_bytes()))
    nodes = root.findall("node")
    lon = [float(n.get("lon", "nan")) for n in nodes]
    box = _inner_box(lon, [float(n.get("lat", "nan")) for n in nodes], 0.6)
    coords: dict[int, tuple[float, float]] = {}
    for node in nodes:
        lon, lat = float(node.get("lon", "nan")), float(node.get("lat", "nan"))
        if box[0] <= lon <= box[2] and box[1] <= lat <= box[3]:
            coords[int(node.get("id", "0"))] = (lon, lat)
        else:
            root.remove(node)
    ways = [
        Way(
            [int(nd.get("ref", "0")) for nd in way.findall("nd")],
            {tag.get("k", ""): tag.get("v", "") for tag in way.findall("tag")},
        )
        for way in root.findall("way")
    ]
    path = tmp_path / "west_oakland_clipped.osm"
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return Extract(path, coords, ways, _referenced(ways))


def clipped_pbf(tmp_path: Path) -> Extract:
    """Helsinki with only the nodes inside the central box, every way kept whole."""
    import osmium

    source = shared("Helsinki.osm.pbf")
    everything = [
        (n.id, n.location.lon, n.location.lat)
        for n in osmium.FileProcessor(str(source), osmium.osm.NODE)
        if isinstance(n, osmium.osm.Node)
    ]
    box = _inner_box([n[1] for n in everything], [n[2] for n in everything], 0.5)
    path = tmp_path / "helsinki_clipped.osm.pbf"
    coords: dict[int, tuple[float, float]] = {}
    ways: list[Way] = []
    with osmium.SimpleWriter(str(path)) as writer:
        for obj in osmium.FileProcessor(str(source), osmium.osm.NODE | osmium.osm.WAY):
            if isinstance(obj, osmium.osm.Node):
                lon, lat = obj.location.lon, obj.location.lat
                if box[0] <= lon <= box[2] and box[1] <= lat <= box[3]:
                    coords[obj.id] = (lon, lat)
                    writer.add_node(obj)
            elif isinstance(obj, osmium.osm.Way):
                ways.append(Way([n.ref for n in obj.nodes], {t.k: t.v for t in obj.tags}))
                writer.add_way(obj)
    return Extract(path, coords, ways, _referenced(ways))


def _referenced(ways: list[Way]) -> set[int]:
    return {ref for way in ways if "highway" in way.tags for ref in way.refs}


def present_pairs(extract: Extract) -> Iterator[tuple[Way, int, int]]:
    """Consecutive node pairs of highway ways with both nodes in the file (repeats of a
    node in a row collapsed, as osmnx does)."""
    for way in extract.ways:
        if "highway" not in way.tags:
            continue
        refs = [ref for ref, _ in groupby(way.refs)]
        for a, b in itertools.pairwise(refs):
            if a in extract.coords and b in extract.coords:
                yield way, a, b


@pytest.fixture(params=["xml", "pbf"])
def extract(request: pytest.FixtureRequest, tmp_path: Path) -> Extract:
    return clipped_xml(tmp_path) if request.param == "xml" else clipped_pbf(tmp_path)


def test_clipped_extract_has_no_invented_segments(
    extract: Extract, caplog: pytest.LogCaptureFixture
) -> None:
    missing = extract.referenced - extract.coords.keys()
    assert len(missing) > 20  # the clip really cut ways
    seg = read_osm(extract.path)
    ids = seg.node_id
    got = {frozenset((int(ids[a]), int(ids[b]))) for a, b in zip(seg.u, seg.v, strict=True)}
    expected = {frozenset((a, b)) for _, a, b in present_pairs(extract)}
    # every segment is a consecutive pair of a way with both nodes present, and every such
    # pair is a segment: nothing joins the nodes on either side of a missing one
    assert got == expected
    assert set(ids.tolist()) <= extract.coords.keys()
    assert seg.nodes_missing == len(missing)
    cut = [
        way for way in extract.ways
        if "highway" in way.tags and any(r not in extract.coords for r in way.refs)
    ]
    assert seg.ways_split + seg.ways_dropped == len(cut)
    assert seg.ways_split > 0
    assert f"{len(missing)} nodes missing" in caplog.text
    # coordinates are the file's
    for k in np.random.default_rng(0).choice(len(ids), 50):
        lon, lat = extract.coords[int(ids[k])]
        assert (seg.lon[k], seg.lat[k]) == pytest.approx((lon, lat), abs=1e-7)


def independent_graph(
    extract: Extract, profile: str, transformer: pyproj.Transformer
) -> nx.DiGraph:
    """networkx graph (edges reversed: "to the source" times) of the kept ways, built from
    the test's own parse: walk = every walkable way both ways at 4.5 km/h; drive = drivable
    classes at maxspeed or the class speed, one-way rules of osmnx 2.x."""
    g = nx.DiGraph()
    for way, a, b in present_pairs(extract):
        tags = way.tags
        highway = tags["highway"]
        # access=no|private and area=yes (squares) close a way, unless foot=yes|... on foot
        blocked = tags.get("access") in ("no", "private") or tags.get("area") == "yes"
        if profile == "walk":
            foot = tags.get("foot")
            if highway in WALK_EXCLUDED_HIGHWAYS or foot == "no":
                continue
            if blocked and foot not in ("yes", "designated", "permissive"):
                continue
            speed, oneway, reverse = DEFAULT_WALK_SPEED_KMH, False, False
        else:
            if highway not in DRIVE_HIGHWAYS or blocked:
                continue
            if tags.get("service") in ("parking_aisle", "emergency_access", "private"):
                continue
            if "no" in (tags.get("motor_vehicle"), tags.get("motorcar")) or "private" in (
                tags.get("motor_vehicle"),
                tags.get("motorcar"),
            ):
                continue
            posted = parse_maxspeed(tags.get("maxspeed"))
            speed = posted if math.isfinite(posted) else DEFAULT_SPEEDS_KMH[highway]
            value = tags.get("oneway")
            oneway = value in {"yes", "true", "1", "-1", "reverse", "T", "F"} or (
                tags.get("junction") == "roundabout"
            )
            reverse = oneway and value in {"-1", "reverse", "T"}
        (xa, ya), (xb, yb) = (transformer.transform(*extract.coords[n]) for n in (a, b))
        length = math.hypot(xa - xb, ya - yb)
        time = length / (speed / 3.6)
        directions = [(a, b), (b, a)] if not oneway else [(b, a)] if reverse else [(a, b)]
        for p, q in directions:
            if p == q:
                continue
            if g.has_edge(q, p) and g[q][p]["time"] <= time:  # parallel: keep the fastest
                continue
            g.add_edge(q, p, time=time)
    return g


@pytest.mark.parametrize("profile", ["walk", "drive"])
def test_clipped_extract_routes_like_networkx(extract: Extract, profile: str) -> None:
    seg = read_osm(extract.path)
    crs = metric_crs_for((float(np.mean(seg.lon)), float(np.mean(seg.lat))))
    graph: RoadGraph = graph_from_segments(seg, profile=profile, crs=crs, retain_all=True)  # type: ignore[arg-type]
    transformer = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    g = independent_graph(extract, profile, transformer)
    assert graph.node_id is not None
    position = {int(osm): i for i, osm in enumerate(graph.node_id)}
    assert position.keys() == set(g.nodes)
    assert graph.n_edges == g.number_of_edges()
    rng = np.random.default_rng(5)
    sources = rng.choice(graph.n_nodes, 12, replace=False)
    tm = travel_matrix(graph, sources=sources, targets=np.arange(graph.n_nodes), limit_s=math.inf)
    for i, s in enumerate(sources.tolist()):
        expected = nx.single_source_dijkstra_path_length(g, int(graph.node_id[s]), weight="time")
        row = tm.time_s[[i], :]
        got = {int(graph.node_id[j]): t for j, t in zip(row.indices, row.data, strict=True)}
        assert got.keys() == expected.keys()
        for node, t in expected.items():
            assert got[node] == pytest.approx(t, abs=1e-6)
