"""Coverage, 2SFCA and isochrones on a small region with a hand-made road whose answers are
worked out by hand in the comments."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import shapely

from coverage.access import (
    STRAIGHT_LINE_DRIVE_KMH,
    AccessContext,
    AccessResult,
    compute_access,
    two_step_fca,
)
from coverage.config import AccessConfig, ServiceConfig, Threshold
from coverage.crs import metric_crs_for
from coverage.isochrones import reachable_segments
from coverage.network import Profile, RoadGraph, build_graph, nearest_site
from coverage.present.access import write_tables
from coverage.region import Region, region_from_frames

CRS = metric_crs_for((117.3, 35.6))
ORIGIN = gpd.GeoSeries([shapely.Point(117.3, 35.6)], crs="EPSG:4326").to_crs(CRS).iloc[0]


def _to_wgs84(xy: list[tuple[float, float]]) -> gpd.GeoSeries:
    pts = [shapely.Point(ORIGIN.x + x, ORIGIN.y + y) for x, y in xy]
    return gpd.GeoSeries(pts, crs=CRS).to_crs("EPSG:4326")


def _box(x0: float, x1: float) -> shapely.Polygon:
    return shapely.box(ORIGIN.x + x0, ORIGIN.y - 3000, ORIGIN.x + x1, ORIGIN.y + 3000)


def road(speed_kmh: float, profile: Profile) -> RoadGraph:
    """A straight two-way road from x = 0 to 10 km along y = 0, nodes every km."""
    x = ORIGIN.x + np.arange(0, 10_001, 1000.0)
    n = len(x)
    return build_graph(
        np.arange(n - 1),
        np.arange(1, n),
        np.full(n - 1, 1000.0),
        speed_kmh,
        False,
        x=x,
        y=np.full(n, ORIGIN.y),
        profile=profile,
        crs=CRS,
    )


def make_region() -> Region:
    towns = gpd.GeoDataFrame(
        {"code": ["001", "002"], "name": ["西镇", "东镇"], "parent_code": ["370000", "370000"]},
        geometry=gpd.GeoSeries([_box(-2000, 5000), _box(5000, 12000)], crs=CRS),
    ).to_crs("EPSG:4326")
    county = gpd.GeoDataFrame(
        {"code": ["370000"], "name": ["示范县"], "parent_code": [pd.NA]},
        geometry=gpd.GeoSeries([_box(-2000, 12000)], crs=CRS),
    ).to_crs("EPSG:4326")
    communities = gpd.GeoDataFrame(
        {
            "id": ["C1", "C2"],
            "name": ["一社区", "二社区"],
            "status": ["built", "none"],
            "population": [1000.0, 2000.0],
            "ur_code": ["111", "111"],
            "counsellors": [2.0, np.nan],
        },
        geometry=_to_wgs84([(0, 0), (300, 0)]),
    )
    villages = gpd.GeoDataFrame(
        {
            "id": ["V1", "V2", "V3"],
            "name": ["甲村", "乙村", "丙村"],
            "status": ["none", "none", "none"],
            "population": [1000.0, 500.0, 300.0],
            "ur_code": ["220", "220", "220"],
        },
        geometry=_to_wgs84([(1000, 0), (9000, 0), (5500, 2000)]),
    )
    sites = gpd.GeoDataFrame(
        {"id": ["S1"], "name": ["规划驿站"], "status": ["planned"], "counsellors": [5.0]},
        geometry=_to_wgs84([(8000, 0)]),
    )
    return region_from_frames(
        name="示范县",
        code="370000",
        admin={"county": county, "township": towns},
        layers={"community": communities, "village": villages, "service_site": sites},
        metric_crs=CRS,
    )


SERVICE = ServiceConfig(
    id="counselling",
    name="心理咨询室",
    site_layers=("community", "village", "service_site"),
    demand_layers=("community", "village"),
    site_statuses=("built",),
    staff_column="counsellors",
    urban=Threshold("walk", 15.0),
    rural=Threshold("drive", 10.0),
)
CONFIG = AccessConfig(snap_limit_m=1000.0, walk_speed_kmh=3.6, services=(SERVICE,))
GRAPHS = {"walk": road(3.6, "walk"), "drive": road(36.0, "drive")}


@pytest.fixture(scope="module")
def result_road() -> AccessResult:
    region = make_region()
    return compute_access(region, CONFIG,
                          context=AccessContext.build(region, CONFIG, graphs=GRAPHS))


def by_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("id")


def test_nearest_times_by_road(result_road: AccessResult) -> None:
    pts = by_id(result_road.service("counselling").points)
    # walking 1 m/s, driving 10 m/s along the road from the one built room at x = 0
    assert pts.loc["C1", "walk_min"] == 0.0
    assert pts.loc["C2", "walk_min"] == pytest.approx(300 / 60)
    assert pts.loc["V1", "drive_min"] == pytest.approx(100 / 60)
    assert pts.loc["V1", "drive_m"] == pytest.approx(1000.0)
    assert pts.loc["V2", "drive_min"] == pytest.approx(900 / 60)
    assert pts.loc["V2", "drive_site_id"] == "C1"
    assert pts.loc["V1", "line_m"] == pytest.approx(1000.0, abs=0.01)
    # V3 is 2 km from the road: flagged, NaN times, never zero
    assert not pts.loc["V3", "snap_ok"]
    assert math.isnan(pts.loc["V3", "drive_min"]) and math.isnan(pts.loc["V3", "time_min"])
    assert pts.loc["V3", "status"] == "off_network"
    assert pts.loc["V2", "status"] == "beyond_threshold"
    assert pts["covered"].tolist() == [True, True, True, False, False]
    assert (pts["method"] == "road").all()


def test_coverage_per_township_and_county(result_road: AccessResult) -> None:
    s = result_road.service("counselling")
    towns = s.townships.set_index("township_code")
    # 西镇: C1 1000 + C2 2000 + V1 1000, all covered; 东镇: V2 500 + V3 300, none
    assert towns.loc["001", "population"] == 4000.0
    assert towns.loc["001", "covered_share"] == 1.0
    assert towns.loc["002", "population"] == 800.0
    assert towns.loc["002", "covered_population"] == 0.0
    assert towns.loc["002", "covered_share"] == 0.0
    county = s.county.iloc[0]
    assert county["population"] == 4800.0
    assert county["covered_share"] == pytest.approx(4000 / 4800)
    assert county["points"] == 5 and county["covered_points"] == 3


def test_uncovered_worst_first(result_road: AccessResult) -> None:
    unc = result_road.service("counselling").uncovered
    assert unc["id"].tolist() == ["V3", "V2"]  # no route first, then 15 min
    assert unc["population"].tolist() == [300.0, 500.0]


def test_two_step_fca_in_region(result_road: AccessResult) -> None:
    s = result_road.service("counselling")
    # one room with 2 counsellors; within reach: C1 (0 min), C2 (5 min walk), V1 (1.7 min
    # drive) = 4000 people -> 2 / 4000 = 50 per 100 000; V2 (15 > 10 min) and V3 none
    pts = by_id(s.points)
    np.testing.assert_allclose(pts.loc[["C1", "C2", "V1"], "access_per_100k"], 50.0)
    np.testing.assert_allclose(pts.loc[["V2", "V3"], "access_per_100k"], 0.0)
    site = s.sites.set_index("id").loc["C1"]
    assert site["reach_population"] == 4000.0
    assert site["ratio_per_100k"] == pytest.approx(50.0)
    towns = s.townships.set_index("township_code")
    assert towns.loc["001", "access_per_100k"] == pytest.approx(50.0)
    assert towns.loc["002", "access_per_100k"] == 0.0
    assert list(s.sites["id"]) == ["C1"]  # the planned site does not serve yet


def test_two_step_fca_hand_example() -> None:
    # sites A (S=2), B (S=1); demand x (P=100), y (P=300); threshold 10 for both
    # A reaches x (5) and y (8); B reaches y (9) and x only at 12 (> 10)
    times = sp.csr_array(np.array([[5.0, 8.0], [12.0, 9.0]]))
    fca = two_step_fca(times, supply=[2.0, 1.0], population=[100.0, 300.0], threshold=[10, 10])
    np.testing.assert_allclose(fca.site_ratio, [2 / 400, 1 / 300])
    np.testing.assert_allclose(fca.access, [2 / 400, 2 / 400 + 1 / 300])
    np.testing.assert_allclose(fca.reach_population, [400.0, 300.0])
    # an explicit zero time (site at the demand point) counts
    zero = sp.csr_array((np.array([0.0]), np.array([0]), np.array([0, 1])), shape=(1, 1))
    fca = two_step_fca(zero, supply=[1.0], population=[10.0], threshold=[5.0])
    np.testing.assert_allclose(fca.access, [0.1])


def test_straight_line_without_network() -> None:
    result = compute_access(make_region(), CONFIG)
    assert not result.road_network
    pts = by_id(result.service("counselling").points)
    assert (pts["method"] == "straight_line").all()
    speed = STRAIGHT_LINE_DRIVE_KMH / 3.6
    assert pts.loc["V1", "time_min"] == pytest.approx(1000 / speed / 60, rel=1e-6)
    assert pts.loc["C2", "time_min"] == pytest.approx(300 / 60, rel=1e-6)
    assert math.isnan(pts.loc["V1", "drive_min"])
    # V2: 9 km straight at 25 km/h = 21.6 min > 10; V3: 5.86 km = 14.1 min > 10
    assert pts["covered"].tolist() == [True, True, True, False, False]
    assert pts.loc["C2", "access_per_100k"] == pytest.approx(50.0)


def test_isochrones_from_network_times(result_road: AccessResult) -> None:
    iso = result_road.isochrones.set_index("mode")
    assert set(iso.index) == {"walk", "drive"}
    walk = gpd.GeoSeries([iso.loc["walk", "geometry"]], crs="EPSG:4326").to_crs(CRS).iloc[0]
    # 15 min at 1 m/s = 900 m along the road from x = 0; the display area reaches a
    # 300 m walk beyond (buffer) plus at most one 150 m grid cell, never more
    assert walk.contains(shapely.Point(ORIGIN.x + 850, ORIGIN.y))
    assert walk.contains(shapely.Point(ORIGIN.x + 1150, ORIGIN.y))
    assert not walk.contains(shapely.Point(ORIGIN.x + 1500, ORIGIN.y))
    drive = gpd.GeoSeries([iso.loc["drive", "geometry"]], crs="EPSG:4326").to_crs(CRS).iloc[0]
    # 10 min at 10 m/s = 6000 m
    assert drive.contains(shapely.Point(ORIGIN.x + 5900, ORIGIN.y))
    assert not drive.contains(shapely.Point(ORIGIN.x + 6400, ORIGIN.y))


def test_reachable_segments_pieces() -> None:
    g = build_graph([0, 1], [1, 2], [100.0, 100.0], 36.0, True, x=[0, 100, 200], y=[0, 0, 0])
    near = nearest_site(g, sources=[2], targets=[0, 1, 2])
    segs = reachable_segments(g, near.time_s, 15.0)  # 15 s at 10 m/s = 150 m back from node 2
    total = float(np.hypot(*(segs[:, 1] - segs[:, 0]).T).sum())
    assert total == pytest.approx(150.0)


def test_write_access_tables(tmp_path: Path, result_road: AccessResult) -> None:
    paths = write_tables(result_road, tmp_path)
    names = sorted(p.name for p in paths)
    assert names == sorted(
        [
            "access_points.csv",
            "access_sites.csv",
            "access_townships.csv",
            "access_county.csv",
            "access_uncovered.csv",
        ]
    )
    raw = (tmp_path / "access_points.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    frame = pd.read_csv(tmp_path / "access_points.csv", encoding="utf-8-sig", dtype={"id": str})
    assert len(frame) == 5
    assert "甲村" in frame["name"].tolist()
    assert {"service_id", "lon", "lat", "time_min", "covered"} <= set(frame.columns)
    assert not list(tmp_path.glob("*.tmp*"))
