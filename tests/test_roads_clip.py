"""Clipping one large OSM file per county (coverage.roads_clip): whole ways, cached, atomic.

Real data: ../shared/data/osm/Helsinki.osm.pbf (skipped when ../shared is absent), checked
against an independent reading of the source with pyosmium; plus a small hand-made file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import osmium
import pytest
import shapely

from coverage import roads_clip
from coverage.problems import InputError
from coverage.roads_clip import clip_roads

#: A disc of ~330 m radius in the middle of the Helsinki extract (WGS84 degrees).
CENTRE = shapely.Point(24.944, 60.171).buffer(0.003)


def _read(path: Path) -> tuple[dict[int, tuple[float, float]], dict[int, list[int]]]:
    nodes: dict[int, tuple[float, float]] = {}
    ways: dict[int, list[int]] = {}
    for o in osmium.FileProcessor(str(path)):
        if o.is_node():
            nodes[o.id] = (o.location.lon, o.location.lat)
        elif o.is_way():
            ways[o.id] = [n.ref for n in o.nodes]
    return nodes, ways


@pytest.fixture(scope="module")
def helsinki() -> Path:
    path = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm" / "Helsinki.osm.pbf"
    if not path.is_file():
        pytest.skip("../shared/data/osm/Helsinki.osm.pbf is not present")
    return path


def test_clip_keeps_whole_ways_touching_the_area(helsinki: Path, tmp_path: Path) -> None:
    out = clip_roads(helsinki, CENTRE, buffer_m=100, cache_dir=tmp_path, engine="pyosmium")
    assert out.parent == tmp_path and out.name.endswith(".osm.pbf")
    assert out.stat().st_size < helsinki.stat().st_size / 2
    src_nodes, src_ways = _read(helsinki)
    nodes, ways = _read(out)
    area = roads_clip._buffered(CENTRE, 100)
    ids = np.array(list(src_nodes))
    xy = np.array([src_nodes[i] for i in ids])
    inside = set(ids[shapely.contains_xy(area, xy[:, 0], xy[:, 1])].tolist())
    # the ways: exactly those of the source with a node inside the buffered disc
    expected = {w for w, refs in src_ways.items() if inside.intersection(refs)}
    assert set(ways) == expected and len(expected) > 100
    # whole ways: every node of a kept way that the source has is in the clip, unchanged,
    # also the ones far outside (no way is cut at the edge)
    outside = 0
    for wid, refs in ways.items():
        assert refs == src_ways[wid]
        for ref in refs:
            if ref in src_nodes:
                assert nodes[ref] == src_nodes[ref]
                outside += ref not in inside
    assert outside > 100
    assert inside <= set(nodes)


def test_second_call_hits_the_cache(helsinki: Path, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    first = clip_roads(helsinki, CENTRE, buffer_m=100, cache_dir=tmp_path, engine="pyosmium")
    stamp = first.stat().st_mtime_ns

    def fail(*_: object) -> None:
        raise AssertionError("clipped again")

    monkeypatch.setattr(roads_clip, "_clip_pyosmium", fail)
    monkeypatch.setattr(roads_clip, "_clip_tool", fail)
    again = clip_roads(helsinki, CENTRE, buffer_m=100, cache_dir=tmp_path)
    assert again == first and again.stat().st_mtime_ns == stamp
    # another buffer or another outline is another clip (a new key)
    assert roads_clip.clip_key(helsinki, CENTRE, buffer_m=200) != first.name
    keys = {roads_clip.clip_key(helsinki, CENTRE, buffer_m=b) for b in (100, 200)}
    keys.add(roads_clip.clip_key(helsinki, CENTRE.buffer(0.001), buffer_m=100))
    assert len(keys) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.name]  # no temporary left


@pytest.mark.skipif(shutil.which("osmium") is None, reason="osmium tool not installed")
def test_both_engines_keep_the_same_nodes_and_ways(helsinki: Path, tmp_path: Path) -> None:
    # the osmium tool's clip equals the pyosmium clip checked whole above
    a = clip_roads(helsinki, CENTRE, buffer_m=100, cache_dir=tmp_path / "a", engine="pyosmium")
    b = clip_roads(helsinki, CENTRE, buffer_m=100, cache_dir=tmp_path / "b", engine="osmium")
    assert a.name == b.name  # the key does not depend on the engine
    na, wa = _read(a)
    nb, wb = _read(b)
    assert na == nb and wa == wb


WAY_ACROSS = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6">
<node id="1" version="1" lat="35.000" lon="117.000"/>
<node id="2" version="1" lat="35.000" lon="117.100"/>
<node id="3" version="1" lat="35.000" lon="117.300"/>
<node id="4" version="1" lat="35.200" lon="117.300"/>
<node id="5" version="1" lat="35.200" lon="117.400"/>
<way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
<tag k="highway" v="primary"/></way>
<way id="11" version="1"><nd ref="4"/><nd ref="5"/><tag k="highway" v="primary"/></way>
</osm>
"""


def test_a_way_leaving_the_area_is_kept_whole_a_way_beyond_it_is_not(tmp_path: Path) -> None:
    src = tmp_path / "roads.osm"
    src.write_text(WAY_ACROSS, encoding="utf-8")
    county = shapely.box(116.99, 34.99, 117.05, 35.01)  # holds node 1 only
    out = clip_roads(src, county, buffer_m=1000, cache_dir=tmp_path / "cache",
                     engine="pyosmium")
    nodes, ways = _read(out)
    assert ways == {10: [1, 2, 3]} and set(nodes) == {1, 2, 3}
    # node 3, 23 km east of the county, is there only because its way starts inside; way 11
    # (node 4 about 31 km from the county's corner) comes in with a 40 km buffer, not 20 km
    for buffer_km, expected in ((20, {10}), (40, {10, 11})):
        wide = clip_roads(src, county, buffer_m=buffer_km * 1000, cache_dir=tmp_path / "cache",
                          engine="pyosmium")
        assert set(_read(wide)[1]) == expected


def test_unusable_inputs_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        clip_roads(tmp_path / "missing.osm.pbf", CENTRE, cache_dir=tmp_path)
    src = tmp_path / "roads.osm"
    src.write_text(WAY_ACROSS, encoding="utf-8")
    with pytest.raises(InputError, match="WGS84"):
        clip_roads(src, shapely.box(500_000, 3_800_000, 510_000, 3_810_000), cache_dir=tmp_path)
    with pytest.raises(InputError, match="buffer"):
        clip_roads(src, CENTRE, buffer_m=-1, cache_dir=tmp_path)
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"<html>not found</html>")
    with pytest.raises(InputError, match=r"bad\.osm\.pbf"):
        clip_roads(bad, CENTRE, cache_dir=tmp_path, engine="pyosmium")


def test_clip_many_equals_one_clip_per_county(tmp_path: Path) -> None:
    src = tmp_path / "roads.osm"
    src.write_text(WAY_ACROSS, encoding="utf-8")
    west = shapely.box(116.99, 34.99, 117.05, 35.01)
    east = shapely.box(117.35, 35.19, 117.45, 35.21)
    many = roads_clip.clip_many(src, {"w": west, "e": east}, buffer_m=1000,
                                cache_dir=tmp_path / "many", engine="pyosmium")
    for name, poly in (("w", west), ("e", east)):
        one = clip_roads(src, poly, buffer_m=1000, cache_dir=tmp_path / "one",
                         engine="pyosmium")
        assert many[name].name == one.name
        assert _read(many[name]) == _read(one)
    assert set(_read(many["e"])[1]) == {11}
