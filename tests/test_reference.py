"""Reference layers (roads, water, places) for the maps, read from the run's OSM file and
checked against geometry the tests build themselves."""

from __future__ import annotations

import bz2
import itertools
import json
import math
import xml.etree.ElementTree as ET
from itertools import groupby
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely
from scipy.spatial import cKDTree

from coverage.crs import metric_crs_for
from coverage.problems import InputError
from coverage.reference import (
    DEFAULT_SIMPLIFY_M,
    PLACE_KINDS,
    ROAD_CLASSES,
    WATER_KINDS,
    ReferenceLayers,
    reference_layers_from_osm,
)

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
DEMO_OSM = DEMO / "roads.osm.bz2"
SHARED_OSM = ROOT.parent / "shared" / "data" / "osm"

#: the mapping the module documents, written out again here
CLASS_OF = {
    "motorway": "motorway", "motorway_link": "motorway", "trunk": "trunk",
    "trunk_link": "trunk", "primary": "primary", "primary_link": "primary",
    "secondary": "secondary", "secondary_link": "secondary", "tertiary": "tertiary",
    "tertiary_link": "tertiary", "unclassified": "minor", "residential": "minor",
    "living_street": "minor", "service": "minor", "road": "minor", "busway": "minor",
    "track": "track", "path": "path", "footway": "path", "cycleway": "path",
    "pedestrian": "path", "steps": "path", "bridleway": "path",
}


def minified_geojson_bytes(gdf: gpd.GeoDataFrame) -> int:
    """Size of the layer as minified GeoJSON with coordinates rounded to 1e-5 degrees."""
    data = json.loads(gdf.to_json(drop_id=True))

    def rounded(c: list) -> list:  # type: ignore[type-arg]
        return [rounded(x) for x in c] if isinstance(c[0], list) else [round(v, 5) for v in c]

    for feature in data["features"]:
        feature["geometry"]["coordinates"] = rounded(feature["geometry"]["coordinates"])
    return len(json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


# --------------------------------------------------------------------------- the demo county


@pytest.fixture(scope="module")
def demo() -> tuple[ReferenceLayers, object]:
    if not DEMO_OSM.is_file():
        pytest.skip("demo road network absent")
    from coverage import load_region

    region = load_region(DEMO / "region.toml")
    county = shapely.union_all(region.county.geometry.to_numpy())
    layers = reference_layers_from_osm(DEMO_OSM, clip=county, metric_crs=region.metric_crs)
    return layers, region


def test_demo_layers_have_codes_names_and_wgs84(demo: tuple[ReferenceLayers, object]) -> None:
    layers, region = demo
    for frame, column, codes in (
        (layers.roads, "road_class", ROAD_CLASSES),
        (layers.water, "water_kind", WATER_KINDS),
        (layers.places, "place_kind", PLACE_KINDS),
    ):
        assert frame.crs.to_epsg() == 4326
        assert list(frame.columns) == [column, "name", "geometry"]
        assert set(frame[column]) <= set(codes)
        assert frame.geometry.is_valid.all() and not frame.geometry.is_empty.any()
    assert set(layers.roads.geom_type) <= {"LineString", "MultiLineString"}
    assert set(layers.roads.road_class) == {
        "trunk", "primary", "secondary", "tertiary", "minor", "track"
    }
    # one feature per class and name
    assert not layers.roads.duplicated(["road_class", "name"]).any()
    assert "国道518线" in set(layers.roads.name.dropna())
    assert layers.roads.name.isna().any()  # unnamed village roads and tracks
    # the river the generator draws, clipped to the county
    assert layers.water.water_kind.tolist() == ["river"]
    assert layers.water.name.tolist() == ["澄河"]
    county = shapely.union_all(region.county.geometry.to_numpy())  # type: ignore[attr-defined]
    near = shapely.buffer(county, 1e-6)
    for frame in (layers.roads, layers.water, layers.places):
        assert shapely.covers(near, frame.geometry.values).all()


def test_demo_places_are_the_seats_the_generator_knows(
    demo: tuple[ReferenceLayers, object],
) -> None:
    layers, _ = demo
    townships = gpd.read_file(ROOT / "data" / "boundaries" / "demo_townships.geojson")
    names = set(townships["名称"])
    assert len(names) == 13
    places = layers.places
    assert places.loc[places.place_kind == "town", "name"].tolist() == ["澄河县"]
    seats = set(places.loc[places.place_kind != "town", "name"])
    assert seats == names
    kind = dict(zip(places.name, places.place_kind, strict=True))
    for name in names:
        assert kind[name] == ("suburb" if name.endswith("街道") else "village")
    # every seat lies in its own township
    for name, point in zip(places.name, places.geometry, strict=True):
        if name in names:
            polygon = townships.loc[townships["名称"] == name, "geometry"].iloc[0]
            assert polygon.contains(point)


def test_demo_roads_are_small(demo: tuple[ReferenceLayers, object]) -> None:
    layers, _ = demo
    assert minified_geojson_bytes(layers.roads) < 150 * 1024
    assert DEFAULT_SIMPLIFY_M == 15.0


def test_simplification_keeps_lines_within_the_tolerance(
    demo: tuple[ReferenceLayers, object],
) -> None:
    layers, region = demo
    crs = region.metric_crs  # type: ignore[attr-defined]
    county = shapely.union_all(region.county.geometry.to_numpy())  # type: ignore[attr-defined]
    raw = reference_layers_from_osm(DEMO_OSM, clip=county, metric_crs=crs, simplify_m=0)
    a = raw.roads.to_crs(crs).set_index(["road_class", "name"]).sort_index()
    b = layers.roads.to_crs(crs).set_index(["road_class", "name"]).sort_index()
    assert a.index.equals(b.index)
    vertices_raw = shapely.get_num_coordinates(a.geometry.values).sum()
    vertices = shapely.get_num_coordinates(b.geometry.values).sum()
    assert vertices < vertices_raw / 3
    # Douglas-Peucker: every simplified line within the tolerance of its original
    distance = shapely.hausdorff_distance(a.geometry.values, b.geometry.values)
    assert distance.max() <= DEFAULT_SIMPLIFY_M + 1e-6
    lengths = shapely.length(b.geometry.values) / shapely.length(a.geometry.values)
    assert lengths.min() > 0.95


def test_min_class_keeps_the_main_roads(demo: tuple[ReferenceLayers, object]) -> None:
    _, region = demo
    main = reference_layers_from_osm(
        DEMO_OSM, metric_crs=region.metric_crs, min_class="secondary"  # type: ignore[attr-defined]
    )
    assert set(main.roads.road_class) == {"trunk", "primary", "secondary"}
    with pytest.raises(InputError, match="unknown road class"):
        reference_layers_from_osm(DEMO_OSM, metric_crs="EPSG:4527", min_class="lane")
    with pytest.raises(InputError, match="simplify"):
        reference_layers_from_osm(DEMO_OSM, metric_crs="EPSG:4527", simplify_m=-1.0)


# --------------------------------------------------------------------------- real extracts


def shared(name: str) -> Path:
    path = SHARED_OSM / name
    if not path.is_file():
        pytest.skip(f"real OSM extract {path} not available (../shared absent)")
    return path


def parse(root: ET.Element) -> tuple[dict[int, tuple[float, float]], list[tuple[list[int], dict]]]:  # type: ignore[type-arg]
    coords = {
        int(n.get("id", "0")): (float(n.get("lon", "nan")), float(n.get("lat", "nan")))
        for n in root.findall("node")
    }
    ways = [
        (
            [int(nd.get("ref", "0")) for nd in w.findall("nd")],
            {t.get("k", ""): t.get("v", "") for t in w.findall("tag")},
        )
        for w in root.findall("way")
    ]
    return coords, ways


def road_pieces(
    coords: dict[int, tuple[float, float]], ways: list[tuple[list[int], dict]]  # type: ignore[type-arg]
) -> dict[str, list[list[int]]]:
    """Per road class: the runs of consecutive present nodes of each highway way."""
    out: dict[str, list[list[int]]] = {}
    for refs, tags in ways:
        cls = CLASS_OF.get(tags.get("highway", ""))
        if cls is None or tags.get("area") == "yes":
            continue
        refs = [r for r, _ in groupby(refs)]
        runs = [list(g) for present, g in groupby(refs, key=coords.__contains__) if present]
        out.setdefault(cls, []).extend(r for r in runs if len(r) >= 2)
    return out


@pytest.mark.shared
def test_road_lengths_equal_the_ways_and_clip_equals_shapely() -> None:
    path = shared("West-Oakland.osm.bz2")
    coords, ways = parse(ET.fromstring(bz2.decompress(path.read_bytes())))
    crs = metric_crs_for((-122.3, 37.81))
    to_m = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    pieces = road_pieces(coords, ways)
    lines = {
        cls: shapely.multilinestrings(
            [shapely.LineString([to_m.transform(*coords[n]) for n in run]) for run in runs]
        )
        for cls, runs in pieces.items()
    }
    whole = reference_layers_from_osm(path, metric_crs=crs, simplify_m=0)
    got = whole.roads.to_crs(crs).dissolve("road_class").length
    assert set(got.index) == set(lines)
    for cls, geom in lines.items():
        assert got[cls] == pytest.approx(geom.length, rel=1e-9)
    # clipped to a polygon (a diamond inside the extract): the length shapely gives
    lon = [c[0] for c in coords.values()]
    lat = [c[1] for c in coords.values()]
    cx, cy = float(np.mean(lon)), float(np.mean(lat))
    dx, dy = (max(lon) - min(lon)) / 4, (max(lat) - min(lat)) / 4
    diamond = shapely.Polygon([(cx - dx, cy), (cx, cy - dy), (cx + dx, cy), (cx, cy + dy)])
    clipped = reference_layers_from_osm(path, clip=diamond, metric_crs=crs, simplify_m=0)
    diamond_m = shapely.transform(
        diamond, lambda xy: np.column_stack(to_m.transform(xy[:, 0], xy[:, 1]))
    )
    got = clipped.roads.to_crs(crs).dissolve("road_class").length
    for cls, geom in lines.items():
        expected = shapely.intersection(geom, diamond_m).length
        if expected > 0:
            assert got[cls] == pytest.approx(expected, rel=1e-6)
        else:
            assert cls not in got.index


@pytest.mark.shared
def test_clipped_extract_lines_never_cross_a_gap(tmp_path: Path) -> None:
    path = shared("West-Oakland.osm.bz2")
    root = ET.fromstring(bz2.decompress(path.read_bytes()))
    nodes = root.findall("node")
    lon = sorted(float(n.get("lon", "nan")) for n in nodes)
    cut = lon[len(lon) // 2]
    for node in nodes:
        if float(node.get("lon", "nan")) > cut:
            root.remove(node)
    clipped = tmp_path / "half.osm"
    ET.ElementTree(root).write(clipped, encoding="utf-8", xml_declaration=True)
    coords, ways = parse(root)
    pairs = set()
    for runs in road_pieces(coords, ways).values():
        for run in runs:
            for a, b in itertools.pairwise(run):
                pairs.add(frozenset((coords[a], coords[b])))
    layers = reference_layers_from_osm(clipped, metric_crs=metric_crs_for((-122.3, 37.81)),
                                       simplify_m=0)
    # each vertex back to its node (projected there and back: within 1e-9 degrees)
    known = list(coords.values())
    tree = cKDTree(np.array(known))
    n = 0
    for geom in layers.roads.geometry:
        for part in shapely.get_parts(geom):
            dist, index = tree.query(shapely.get_coordinates(part))
            assert dist.max() < 1e-9
            for i, j in itertools.pairwise(index.tolist()):
                assert frozenset((known[i], known[j])) in pairs
                n += 1
    assert n == len(pairs)


# --------------------------------------------------------------------------- water and places

WATER = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="test">
  <node id="1" lat="35.600" lon="117.300" version="1"/>
  <node id="2" lat="35.600" lon="117.320" version="1"/>
  <node id="3" lat="35.620" lon="117.320" version="1"/>
  <node id="4" lat="35.620" lon="117.300" version="1"/>
  <node id="5" lat="35.605" lon="117.305" version="1"/>
  <node id="6" lat="35.605" lon="117.310" version="1"/>
  <node id="7" lat="35.610" lon="117.310" version="1"/>
  <node id="8" lat="35.610" lon="117.305" version="1"/>
  <node id="11" lat="35.630" lon="117.300" version="1"/>
  <node id="12" lat="35.630" lon="117.310" version="1"/>
  <node id="13" lat="35.640" lon="117.310" version="1"/>
  <node id="14" lat="35.640" lon="117.300" version="1"/>
  <node id="21" lat="35.590" lon="117.290" version="1"/>
  <node id="22" lat="35.595" lon="117.330" version="1"/>
  <node id="23" lat="35.650" lon="117.330" version="1"/>
  <node id="31" lat="35.615" lon="117.315" version="1">
    <tag k="place" v="town"/><tag k="name" v="测试镇"/></node>
  <node id="32" lat="35.625" lon="117.305" version="1">
    <tag k="place" v="hamlet"/></node>
  <node id="33" lat="35.626" lon="117.306" version="1">
    <tag k="place" v="county"/><tag k="name" v="测试县"/></node>
  <node id="34" lat="35.627" lon="117.307" version="1">
    <tag k="amenity" v="school"/></node>
  <way id="100" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/>
    <nd ref="1"/></way>
  <way id="101" version="1"><nd ref="5"/><nd ref="6"/><nd ref="7"/><nd ref="8"/>
    <nd ref="5"/></way>
  <way id="102" version="1"><nd ref="11"/><nd ref="12"/><nd ref="13"/><nd ref="14"/>
    <nd ref="11"/><tag k="natural" v="water"/><tag k="water" v="pond"/>
    <tag k="name" v="小塘"/></way>
  <way id="103" version="1"><nd ref="21"/><nd ref="22"/>
    <tag k="waterway" v="river"/><tag k="name" v="测河"/></way>
  <way id="104" version="1"><nd ref="22"/><nd ref="23"/>
    <tag k="waterway" v="river"/><tag k="name" v="测河"/></way>
  <way id="105" version="1"><nd ref="21"/><nd ref="1"/><tag k="waterway" v="ditch"/></way>
  <way id="106" version="1"><nd ref="4"/><nd ref="11"/><tag k="highway" v="footway"/></way>
  <way id="107" version="1"><nd ref="2"/><nd ref="22"/><tag k="highway" v="construction"/></way>
  <relation id="200" version="1">
    <member type="way" ref="100" role="outer"/><member type="way" ref="101" role="inner"/>
    <tag k="type" v="multipolygon"/><tag k="landuse" v="reservoir"/>
    <tag k="name" v="测试水库"/>
  </relation>
</osm>
"""


def test_water_lines_polygons_and_places(tmp_path: Path) -> None:
    path = tmp_path / "water.osm"
    path.write_text(WATER, encoding="utf-8")
    crs = metric_crs_for((117.31, 35.62))
    layers = reference_layers_from_osm(path, metric_crs=crs, simplify_m=0)
    water = layers.water.to_crs(crs)
    kinds = dict(zip(water.name.fillna("-"), water.water_kind, strict=True))
    assert kinds == {"测河": "river", "-": "drain", "小塘": "lake", "测试水库": "reservoir"}
    river = water.loc[water.name == "测河"].geometry.iloc[0]
    assert river.geom_type == "LineString"  # the two ways merged end to end
    assert len(shapely.get_coordinates(river)) == 3
    to_m = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)

    def metric(*lonlat: tuple[float, float]) -> list[tuple[float, float]]:
        return [to_m.transform(lon, lat) for lon, lat in lonlat]

    outer = metric((117.30, 35.60), (117.32, 35.60), (117.32, 35.62), (117.30, 35.62))
    inner = metric((117.305, 35.605), (117.31, 35.605), (117.31, 35.61), (117.305, 35.61))
    reservoir = water.loc[water.name == "测试水库"].geometry.iloc[0]
    assert reservoir.geom_type == "Polygon" and len(reservoir.interiors) == 1
    expected = shapely.Polygon(outer, [inner])
    assert reservoir.area == pytest.approx(expected.area, rel=1e-9)
    assert shapely.symmetric_difference(reservoir, expected).area < 1e-6 * expected.area
    # places: settlements only, name NA where absent; no roads but the footway
    places = layers.places
    assert sorted(places.place_kind) == ["hamlet", "town"]
    assert places.loc[places.place_kind == "hamlet", "name"].isna().all()
    assert layers.roads.road_class.tolist() == ["path"]
    assert math.isclose(
        layers.roads.to_crs(crs).length.iloc[0],
        math.dist(*metric((117.30, 35.62), (117.30, 35.63))),
        rel_tol=1e-9,
    )


def test_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "roads.osm.pbf"
    bad.write_bytes(b"not a pbf")
    with pytest.raises(InputError, match="not readable as an OSM PBF file"):
        reference_layers_from_osm(bad, metric_crs="EPSG:4527")
    with pytest.raises(InputError, match="not found"):
        reference_layers_from_osm(tmp_path / "missing.osm", metric_crs="EPSG:4527")


def test_rows_clipped_away_between_kept_rows_are_none() -> None:
    # the clip leaves nothing of the middle line (e.g. the river of a neighbouring county in
    # one city-wide road file): the others keep their geometry, row by row
    from coverage.reference import _LINE, _group

    a = shapely.LineString([(0, 0), (1, 0)])
    b1, b2 = shapely.LineString([(0, 1), (1, 1)]), shapely.LineString([(2, 1), (3, 1)])
    out = _group(np.array([a, b1, b2], dtype=object), np.array([0, 2, 2]), 3, _LINE)
    assert out[0].equals(a) and out[1] is None
    assert out[2].geom_type == "MultiLineString" and len(out[2].geoms) == 2
