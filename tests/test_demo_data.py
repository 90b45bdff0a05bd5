"""The committed demo region (澄河县（虚构示例）): reproducible, exact, realistic and uneven.

Checks are computed independently of the generator: geopandas/shapely for the tiling, pandas
for the 台账 completion rates, osmnx for the road network.
"""

from __future__ import annotations

import bz2
import hashlib
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from coverage.datasets.demo import generate

DATA = Path(__file__).resolve().parents[1] / "data"
DEMO = DATA / "demo"
BOUNDARIES = DATA / "boundaries"
METRIC = "EPSG:4527"  # CGCS2000 / 3-degree Gauss-Kruger zone 39 (central meridian 117°E)
COUNTY = "379901"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _listing() -> dict[str, str]:
    out = {}
    for line in (DEMO / "CHECKSUMS.sha256").read_text(encoding="utf-8").splitlines():
        digest, rel = line.split("  ", 1)
        out[rel] = digest
    return out


@pytest.fixture(scope="module")
def ledger_units() -> pd.DataFrame:
    return pd.read_excel(DEMO / "ledger.xlsx", sheet_name="村居", header=1, dtype=str)


@pytest.fixture(scope="module")
def townships() -> gpd.GeoDataFrame:
    return gpd.read_file(BOUNDARIES / "demo_townships.geojson").to_crs(METRIC)


@pytest.fixture(scope="module")
def village_polygons() -> gpd.GeoDataFrame:
    return gpd.read_file(BOUNDARIES / "demo_villages.geojson").to_crs(METRIC)


# ------------------------------------------------------------------ reproducibility


def test_checksum_listing_matches_committed_files() -> None:
    listing = _listing()
    assert len(listing) == 10
    for rel, digest in listing.items():
        assert _sha(DATA / rel) == digest, rel


@pytest.mark.slow
def test_regeneration_is_byte_identical(tmp_path: Path) -> None:
    paths = generate(tmp_path)
    assert paths["checksums"].read_bytes() == (DEMO / "CHECKSUMS.sha256").read_bytes()
    for rel, digest in _listing().items():
        assert _sha(tmp_path / rel) == digest, f"{rel} differs from the committed file"


def test_committed_size_is_small() -> None:
    files = [DATA / rel for rel in _listing()] + [DEMO / "CHECKSUMS.sha256"]
    assert sum(p.stat().st_size for p in files) <= 10 * 1024 * 1024


# ------------------------------------------------------------------ labelled as fictional


def test_files_say_they_are_synthetic() -> None:
    for p in [*sorted(BOUNDARIES.glob("demo_*.geojson")), DEMO / "villages.geojson"]:
        assert "虚构示例数据" in json.loads(p.read_text(encoding="utf-8"))["description"]
    for book in ("ledger.xlsx", "facilities.xlsx"):
        note = pd.read_excel(DEMO / book, sheet_name="数据说明", dtype=str)
        assert note["内容"].str.contains("虚构示例数据").any()
    assert (pd.read_csv(DEMO / "communities.csv", dtype=str)["数据说明"] == "虚构示例数据").all()
    text = (DEMO / "region.toml").read_text(encoding="utf-8")
    assert 'name = "澄河县（虚构示例）"' in text
    assert 'source = "虚构示例数据（内置示例县台账）"' in text
    assert 'organisation = "澄河县卫生健康局（虚构）"' in text


def test_region_toml_is_valid() -> None:
    from coverage.config import load_config

    cfg = load_config(DEMO / "region.toml")
    assert cfg.region.code == COUNTY
    assert set(cfg.layers) == {"village", "community", "school", "hospital", "health_center",
                               "service_site", "governance_center", "petition_office",
                               "institution", "rehab"}
    assert cfg.layers["community"].crs == "gcj02"
    assert {s.id for s in cfg.access.services} == {"counselling", "clinic"}
    assert set(cfg.scenarios) == {"加密布点", "吴忠标准"}


# ------------------------------------------------------------------ exact tiling


def test_townships_tile_the_county(townships: gpd.GeoDataFrame) -> None:
    county = gpd.read_file(BOUNDARIES / "demo_county.geojson").to_crs(METRIC)
    assert len(county) == 1
    cgeom = county.geometry.iloc[0]
    assert 1000e6 < cgeom.area < 1200e6
    assert townships.is_valid.all()
    union = shapely.union_all(townships.geometry.values)
    assert shapely.symmetric_difference(union, cgeom).area <= 1e-9 * cgeom.area
    tree = shapely.STRtree(townships.geometry.values)
    left, right = tree.query(townships.geometry.values, predicate="intersects")
    pairs = left < right
    overlap = shapely.intersection(townships.geometry.values[left[pairs]],
                                   townships.geometry.values[right[pairs]])
    assert shapely.area(overlap).sum() <= 1e-9 * cgeom.area


def test_villages_tile_their_townships(townships: gpd.GeoDataFrame,
                                       village_polygons: gpd.GeoDataFrame) -> None:
    assert village_polygons.is_valid.all()
    assert (village_polygons.geom_type == "Polygon").all()
    for code, tgeom in zip(townships["代码"], townships.geometry, strict=True):
        parts = village_polygons.loc[village_polygons["上级代码"] == code, "geometry"].values
        assert len(parts) > 5
        union = shapely.union_all(parts)
        assert shapely.symmetric_difference(union, tgeom).area <= 1e-9 * tgeom.area, code
        assert abs(shapely.area(parts).sum() - tgeom.area) <= 1e-9 * tgeom.area, code


# ------------------------------------------------------------------ counts and codes


def test_counts_codes_and_population(townships: gpd.GeoDataFrame,
                                     village_polygons: gpd.GeoDataFrame,
                                     ledger_units: pd.DataFrame) -> None:
    codes = townships["代码"]
    assert 12 <= len(codes) <= 14
    assert codes.str.fullmatch(r"379901(00\d|1\d\d|2\d\d)").all()
    assert 2 <= codes.str[6:].lt("100").sum() <= 3  # 街道
    assert townships["名称"].str.endswith(("街道", "镇", "乡")).all()

    villages = gpd.read_file(DEMO / "villages.geojson")
    communities = pd.read_csv(DEMO / "communities.csv", dtype={"社区代码": str,
                                                               "城乡分类代码": str})
    n_units = len(villages) + len(communities)
    assert 400 <= n_units <= 480
    assert n_units == len(village_polygons) == len(ledger_units)
    assert villages["村居代码"].str.fullmatch(r"379901\d{3}2\d\d").all()
    assert communities["社区代码"].str.fullmatch(r"379901\d{3}0\d\d").all()
    assert villages["村居名称"].str.endswith("村").all()
    assert communities["社区名称"].str.endswith("社区").all()
    assert villages["城乡分类代码"].isin(["112", "122", "210", "220"]).all()
    assert communities["城乡分类代码"].isin(["111", "112", "121"]).all()
    all_codes = pd.concat([villages["村居代码"], communities["社区代码"]])
    assert all_codes.is_unique
    assert set(all_codes) == set(village_polygons["代码"]) == set(ledger_units["村居代码"])

    total = villages["常住人口"].sum() + communities["常住人口"].sum()
    assert 500_000 <= total <= 600_000
    rural = villages.loc[villages["城乡分类代码"] == "220", "常住人口"]
    assert rural.between(300, 3000).all()
    assert rural.mean() > rural.median()  # right-skewed (log-normal)
    assert communities["常住人口"].median() > 3 * rural.median()


def test_schools_are_gbk_and_in_range() -> None:
    raw = (DEMO / "schools_gbk.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    schools = pd.read_csv(DEMO / "schools_gbk.csv", encoding="gbk", dtype={"学校标识码": str})
    assert 100 <= len(schools) <= 130
    assert {"小学", "初中", "高中", "九年一贯制", "职业中专"} <= set(schools["学段"])
    assert schools["学校标识码"].is_unique


def test_facility_mix() -> None:
    sheets = pd.read_excel(DEMO / "facilities.xlsx", sheet_name=None, header=1, dtype=str)
    assert len(sheets["卫生院"]) == 13
    hosp = sheets["医院"]
    assert {"综合医院", "中医医院", "精神病防治院"} <= set(hosp["类别"])
    assert hosp["医院等级"].str.startswith(("二级", "三级")).sum() >= 4
    assert 40 <= len(sheets["机关企事业单位"]) <= 60
    assert len(sheets["综治中心"]) == 14
    assert "县心理健康中心" in set(sheets["心理服务站点"]["类别"])


def test_gcj02_communities_land_in_their_polygons(village_polygons: gpd.GeoDataFrame) -> None:
    from coverage.crs import gcj02_to_wgs84

    comm = pd.read_csv(DEMO / "communities.csv", dtype={"社区代码": str})
    lon, lat = gcj02_to_wgs84(comm["经度"].to_numpy(float), comm["纬度"].to_numpy(float))
    pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326").to_crs(METRIC)
    poly = village_polygons.set_index("代码").loc[comm["社区代码"], "geometry"]
    assert poly.contains(pts.set_axis(poly.index)).all()
    # uncorrected GCJ-02 points would be hundreds of metres off
    raw = gpd.GeoSeries(gpd.points_from_xy(comm["经度"], comm["纬度"]), crs="EPSG:4326")
    assert (raw.to_crs(METRIC).distance(pts) > 200).all()


# ------------------------------------------------------------------ the uneven 台账


def test_completion_rates_are_uneven(ledger_units: pd.DataFrame) -> None:
    built = ledger_units["心理咨询室建设情况"] == "已建成"
    assert set(ledger_units["心理咨询室建设情况"]) == {"已建成", "在建", "规划", "未建"}
    county_rate = built.mean()
    assert 0.5 < county_rate < 0.8
    by_town = built.groupby(ledger_units["所属乡镇（街道）"]).mean()
    assert by_town.max() >= 0.9
    assert by_town.min() <= 0.4
    schools = pd.read_excel(DEMO / "ledger.xlsx", sheet_name="学校", header=1, dtype=str)
    school_rate = (schools["心理辅导室建设情况"] == "已建成").mean()
    assert 0.75 <= school_rate < 1.0


# ------------------------------------------------------------------ roads


@pytest.mark.slow
def test_road_network_loads_and_reaches_every_unit() -> None:
    ox = pytest.importorskip("osmnx")
    from coverage.crs import gcj02_to_wgs84

    path = DEMO / "roads.osm.bz2"
    xml = bz2.decompress(path.read_bytes()).decode("utf-8")
    n_nodes = xml.count("<node ")
    assert 20_000 <= n_nodes <= 60_000
    for tag in ("trunk", "primary", "secondary", "tertiary", "unclassified", "residential",
                "track"):
        assert f'<tag k="highway" v="{tag}"/>' in xml
    assert '<tag k="oneway" v="yes"/>' in xml
    assert '<tag k="maxspeed"' in xml
    assert '<tag k="bridge" v="yes"/>' in xml

    graph = ox.graph_from_xml(path, simplify=True, retain_all=False)
    edges = ox.graph_to_gdfs(graph, nodes=False).to_crs(METRIC)
    villages = gpd.read_file(DEMO / "villages.geojson")
    comm = pd.read_csv(DEMO / "communities.csv")
    lon, lat = gcj02_to_wgs84(comm["经度"].to_numpy(float), comm["纬度"].to_numpy(float))
    pts = np.concatenate([
        villages.to_crs(METRIC).geometry.values,
        gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326").to_crs(METRIC).values,
    ])
    tree = shapely.STRtree(edges.geometry.values)
    _, dist = tree.query_nearest(pts, return_distance=True, all_matches=False)
    assert len(dist) == len(pts)
    assert dist.max() <= 1000.0
