"""The synthetic city of five counties (coverage.datasets.city): files, tiling, codes, roads.

One city is generated per session (~20-30 s); a two-county province is generated twice to
check that the output is byte-for-byte reproducible.
"""

from __future__ import annotations

import hashlib
import itertools
import shutil
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from coverage import pipeline
from coverage._osm import read_osm
from coverage.access.neighbours import region_sites, sites_near
from coverage.config import load_config
from coverage.datasets import city
from coverage.load import load_region

pytestmark = pytest.mark.slow


def _counties(batch: Path) -> list[Path]:
    doc = tomllib.loads(batch.read_text(encoding="utf-8"))
    return [batch.parent / c["config"] for c in doc["counties"]]


def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a = city.write_province(tmp_path / "a", counties=2, seed=11)
    b = city.write_province(tmp_path / "b", counties=2, seed=11)
    da, db = _digest(a.parent), _digest(b.parent)
    assert da == db
    assert len(da) == 2 * 9 + 4  # per county 9 files; roads, outline, batch, checksums
    assert not [n for n in da if n.startswith(".")]  # no temporary folder left behind
    doc = tomllib.loads(a.read_text(encoding="utf-8"))
    assert doc["batch"]["code"] == "990000"
    assert [c["config"] for c in doc["counties"]] == ["counties/990101/region.toml",
                                                     "counties/990102/region.toml"]


def test_batch_toml_is_the_agreed_format(city_batch: Path) -> None:
    doc = tomllib.loads(city_batch.read_text(encoding="utf-8"))
    assert doc["batch"] == {"code": "649900", "name": "示例市（虚构示例）",
                            "preset": "wuzhong_2023", "outline": "city_outline.geojson",
                            "roads": "roads.osm.pbf", "buffer_km": 10}
    assert [c["config"] for c in doc["counties"]] == [
        f"counties/64990{k}/region.toml" for k in range(1, 6)]
    for path in (city_batch.parent / "city_outline.geojson", city_batch.parent / "roads.osm.pbf",
                 *_counties(city_batch)):
        assert path.is_file()
    # every county's own TOML points at the one road file of the city
    for region in _counties(city_batch):
        doc = tomllib.loads(region.read_text(encoding="utf-8"))
        assert (region.parent / doc["access"]["network"]).resolve() == \
            (city_batch.parent / "roads.osm.pbf").resolve()
    sums = (city_batch.parent / "CHECKSUMS.sha256").read_text(encoding="utf-8").splitlines()
    for line in sums:
        digest, name = line.split("  ")
        assert hashlib.sha256((city_batch.parent / name).read_bytes()).hexdigest() == digest


def test_counties_tile_the_outline_exactly(city_batch: Path) -> None:
    outline = gpd.read_file(city_batch.parent / "city_outline.geojson").geometry.iloc[0]
    counties = [gpd.read_file(r.parent / "boundaries" / "county.geojson").geometry.iloc[0]
                for r in _counties(city_batch)]
    assert len(counties) == 5
    assert all(c.geom_type == "Polygon" and c.is_valid for c in counties)
    for a, b in itertools.combinations(counties, 2):
        assert shapely.intersection(a, b).area == 0.0  # borders shared, never overlapping
    assert shapely.symmetric_difference(shapely.union_all(counties), outline).area < \
        1e-12 * outline.area
    assert sum(c.area for c in counties) == pytest.approx(outline.area, rel=1e-12)
    # every county has a neighbour it shares a border line with
    for k, a in enumerate(counties):
        assert any(shapely.intersection(a.boundary, b.boundary).length > 0.01
                   for j, b in enumerate(counties) if j != k)
    # the counties differ in shape and size
    areas = sorted(round(c.area, 4) for c in counties)
    assert len(set(areas)) == 5


def test_codes_are_consistent_and_unique(city_batch: Path) -> None:
    seen: set[str] = set()
    for region in _counties(city_batch):
        code = region.parent.name
        assert code.startswith("6499") and len(code) == 6
        bdir = region.parent / "boundaries"
        county = gpd.read_file(bdir / "county.geojson")
        assert county["代码"].tolist() == [code]
        towns = gpd.read_file(bdir / "townships.geojson")
        assert all(len(c) == 9 and c.startswith(code) for c in towns["代码"])
        assert set(towns["上级代码"]) == {code}
        villages = gpd.read_file(bdir / "villages.geojson")
        assert all(len(c) == 12 and c.isdigit() and c[:9] == p
                   for c, p in zip(villages["代码"], villages["上级代码"], strict=True))
        assert set(villages["上级代码"]) == set(towns["代码"])
        codes = set(villages["代码"])
        assert not codes & seen
        seen |= codes
        doc = tomllib.loads(region.read_text(encoding="utf-8"))
        assert doc["region"]["code"] == code
    assert len(seen) > 5 * 300


def test_each_county_loads_and_one_runs_gaps_and_access(city_batch: Path) -> None:
    names = set()
    regions = {}
    for path in _counties(city_batch):
        r = load_region(path, strict=True)
        assert not r.problems
        assert r.code == path.parent.name
        names.add(r.name)
        assert len(r.layers["village"]) > 250 and len(r.layers["community"]) > 5
        regions[r.code] = (r, path)
    assert len(names) == 5 and all(n.endswith("（虚构示例）") for n in names)
    # one county alone, on the city's road file: the stages a batch runs per county
    region, path = regions["649903"]
    cfg = load_config(path)
    gaps = pipeline.analyse_gaps(region, cfg)
    assert len(gaps.table) > 0
    access = pipeline.analyse_access(region, cfg)
    assert access.road_network
    for service in access.services:
        covered = service.points["covered"].to_numpy(dtype=bool)
        assert 0.5 < covered.mean() < 1.0
        assert not service.points["cross_border"].any()
    # in a batch run the other counties' sites within 10 km serve its border villages too
    others = pd.concat([region_sites(r) for code, (r, _) in regions.items() if code != "649903"],
                       ignore_index=True)
    near = sites_near(region.county, others, buffer_m=10_000)
    assert 0 < len(near) < len(others) and set(near["county_code"]) <= set(regions) - {"649903"}
    batch = pipeline.analyse_access(
        region, cfg, context=pipeline.build_access(region, cfg, neighbour_sites=near))
    for alone, together in zip(access.services, batch.services, strict=True):
        a, b = alone.points, together.points
        assert (b["covered"] >= a["covered"]).all()  # never less covered
        across = b["cross_border"].to_numpy(dtype=bool)
        assert across.any()
        assert set(b.loc[across, "site_county_code"]) <= set(regions) - {"649903"}
        pd.testing.assert_frame_equal(pd.DataFrame(alone.sites), pd.DataFrame(together.sites))


def test_one_road_network_connects_the_counties(city_batch: Path) -> None:
    seg = read_osm(city_batch.parent / "roads.osm.pbf")
    n = len(seg.node_id)
    g = coo_matrix((np.ones(len(seg.u)), (seg.u, seg.v)), shape=(n, n))
    _, label = connected_components(g, directed=False)
    used = np.zeros(n, dtype=bool)
    used[seg.u] = used[seg.v] = True
    in_big = label == int(np.argmax(np.bincount(label[used])))
    for region in _counties(city_batch):
        county = gpd.read_file(region.parent / "boundaries" / "county.geojson").geometry.iloc[0]
        inside = used & shapely.contains_xy(county, seg.lon, seg.lat)
        # nearly all of each county's road nodes are in the one city-wide network
        assert in_big[inside].mean() > 0.95


def test_city_batch_path_reuses_a_complete_cache(city_batch: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(city_batch.parent, cache)
    stamp = (cache / "roads.osm.pbf").stat().st_mtime_ns
    assert city.city_batch_path(cache_dir=cache) == cache / "batch.toml"
    assert (cache / "roads.osm.pbf").stat().st_mtime_ns == stamp  # nothing generated again
