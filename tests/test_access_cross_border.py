"""Across the county border: neighbour sites in the access context (issue 17 §4).

A county from x = -2 to 10 km, a straight road from x = 0 to 14 km on y = 0 (driving 36 km/h,
10 m/s), the county's one built room at x = 0.  Village 乙村 at x = 9 km is 9 km (15 min) from
it, beyond its 10-minute standard; the neighbour county's built room at x = 11 km is 2 km
(200 s) away, across the border.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from coverage.access import AccessContext, compute_access, site_demand_matrix
from coverage.access.neighbours import NEIGHBOUR_COLUMNS, region_sites, sites_near
from coverage.config import AccessConfig, ServiceConfig, Threshold
from coverage.crs import metric_crs_for
from coverage.network import Profile, RoadGraph, build_graph
from coverage.problems import InputError
from coverage.region import Region, region_from_frames

CRS = metric_crs_for((117.3, 35.6))
ORIGIN = gpd.GeoSeries([shapely.Point(117.3, 35.6)], crs="EPSG:4326").to_crs(CRS).iloc[0]
CODE = "370101"
NEXT = "370102"


def _pts(xy: list[tuple[float, float]]) -> gpd.GeoSeries:
    return gpd.GeoSeries([shapely.Point(ORIGIN.x + x, ORIGIN.y + y) for x, y in xy],
                         crs=CRS).to_crs("EPSG:4326")


def _box(x0: float, x1: float) -> shapely.Polygon:
    return shapely.box(ORIGIN.x + x0, ORIGIN.y - 3000, ORIGIN.x + x1, ORIGIN.y + 3000)


def _road(speed_kmh: float, profile: Profile) -> RoadGraph:
    x = ORIGIN.x + np.arange(0, 14_001, 1000.0)
    n = len(x)
    return build_graph(np.arange(n - 1), np.arange(1, n), np.full(n - 1, 1000.0), speed_kmh,
                       False, x=x, y=np.full(n, ORIGIN.y), profile=profile, crs=CRS)


def _region() -> Region:
    town = gpd.GeoDataFrame({"code": [f"{CODE}001"], "name": ["西镇"], "parent_code": [CODE]},
                            geometry=gpd.GeoSeries([_box(-2000, 10_000)], crs=CRS)
                            ).to_crs("EPSG:4326")
    county = gpd.GeoDataFrame({"code": [CODE], "name": ["甲县"], "parent_code": [pd.NA]},
                              geometry=gpd.GeoSeries([_box(-2000, 10_000)], crs=CRS)
                              ).to_crs("EPSG:4326")
    villages = gpd.GeoDataFrame(
        {"id": ["V0", "V1", "V2"], "name": ["甲村", "乙村", "丙村"],
         "status": ["built", "none", "none"], "population": [800.0, 500.0, 300.0],
         "ur_code": ["220", "220", "220"], "counsellors": [2.0, np.nan, np.nan]},
        geometry=_pts([(0, 0), (9000, 0), (4000, 0)]))
    return region_from_frames(name="甲县", code=CODE, admin={"county": county, "township": town},
                              layers={"village": villages}, metric_crs=CRS)


SERVICE = ServiceConfig(id="counselling", name="心理咨询室", site_layers=("village",),
                        demand_layers=("village",), site_statuses=("built",),
                        staff_column="counsellors", urban=Threshold("walk", 15.0),
                        rural=Threshold("drive", 10.0))
CONFIG = AccessConfig(snap_limit_m=1000.0, walk_speed_kmh=3.6, services=(SERVICE,))
GRAPHS = {"drive": _road(36.0, "drive")}


def _neighbours() -> gpd.GeoDataFrame:
    # N1: built room 2 km from 乙村 across the border; N2: only planned; N3: a school (not a
    # site layer of the service); all in the next county
    return gpd.GeoDataFrame(
        {"kind": ["village", "village", "school"], "id": ["N1", "V1", "N3"],
         "name": ["邻村", "邻村二", "邻校"], "status": ["built", "planned", "built"],
         "county_code": [NEXT, NEXT, NEXT]},
        geometry=_pts([(11_000, 0), (10_500, 0), (10_200, 0)]))


def _points(neighbours: gpd.GeoDataFrame | None) -> pd.DataFrame:
    region = _region()
    ctx = AccessContext.build(region, CONFIG, graphs=GRAPHS, neighbour_sites=neighbours)
    return compute_access(region, CONFIG, context=ctx).service("counselling").points


def test_village_near_the_border_is_covered_only_with_the_neighbour_site() -> None:
    alone = _points(None).set_index("id")
    assert not alone.loc["V1", "covered"]
    assert alone.loc["V1", "time_min"] == pytest.approx(15.0)
    assert not alone["cross_border"].any()
    assert (alone["site_county_code"] == CODE).all()

    batch = _points(_neighbours()).set_index("id")
    assert batch.loc["V1", "covered"]
    assert batch.loc["V1", "time_min"] == pytest.approx(200 / 60)
    assert batch.loc["V1", "drive_site_id"] == "N1"
    assert batch.loc["V1", "cross_border"]
    assert batch.loc["V1", "site_county_code"] == NEXT
    # the others keep their own site, unmarked; the planned and the school site serve nobody
    for vid in ("V0", "V2"):
        assert not batch.loc[vid, "cross_border"]
        assert batch.loc[vid, "site_county_code"] == CODE
        assert batch.loc[vid, "time_min"] == alone.loc[vid, "time_min"]
    assert set(batch["drive_site_id"]) == {"V0", "N1"}


def test_own_site_table_and_2sfca_unchanged_by_neighbours() -> None:
    region = _region()
    results = []
    for nb in (None, _neighbours()):
        ctx = AccessContext.build(region, CONFIG, graphs=GRAPHS, neighbour_sites=nb)
        results.append(compute_access(region, CONFIG, context=ctx).service("counselling"))
    assert results[1].sites["id"].tolist() == ["V0"]
    pd.testing.assert_frame_equal(pd.DataFrame(results[0].sites), pd.DataFrame(results[1].sites))
    np.testing.assert_array_equal(results[0].points["access_per_100k"],
                                  results[1].points["access_per_100k"])
    # the county summary counts 乙村 as covered in the batch run only
    assert results[1].county["covered_population"].iloc[0] == \
        results[0].county["covered_population"].iloc[0] + 500.0


def test_optimiser_sees_neighbour_sites_as_existing_never_as_candidates() -> None:
    region = _region()
    ctx = AccessContext.build(region, CONFIG, graphs=GRAPHS, neighbour_sites=_neighbours())
    m = site_demand_matrix(ctx, service_id="counselling", candidate_layers=("village",),
                           candidate_statuses=("none", "planned"))
    sites = m.sites.set_index(m.sites["id"] + "@" + m.sites["county_code"])
    assert sites.loc[f"N1@{NEXT}", "existing"] and sites.loc[f"N1@{NEXT}", "cross_border"]
    assert not sites.loc[f"V1@{CODE}", "cross_border"] and sites.loc[f"V1@{CODE}", "candidate"]
    assert f"V1@{NEXT}" not in sites.index  # the neighbour's planned room is nothing here
    assert int(m.sites["candidate"].sum()) == 2
    v1 = int(np.flatnonzero(m.demand["id"] == "V1")[0])
    n1 = int(np.flatnonzero((m.sites["id"] == "N1").to_numpy())[0])
    assert m.covers[[v1], [n1]][0]


def test_neighbour_rows_of_the_county_itself_and_without_points_are_left_out(
        caplog: pytest.LogCaptureFixture) -> None:
    nb = _neighbours()
    extra = gpd.GeoDataFrame({"kind": ["village", "village"], "id": ["X1", "X2"],
                              "name": ["自己", "无点"], "status": ["built", "built"],
                              "county_code": [CODE, NEXT]},
                             geometry=[_pts([(9500, 0)]).iloc[0], None], crs="EPSG:4326")
    with caplog.at_level(logging.WARNING, logger="coverage.access.neighbours"):
        pts = _points(pd.concat([nb, extra], ignore_index=True)).set_index("id")
    assert pts.loc["V1", "drive_site_id"] == "N1"  # X1 (own county, 500 m away) is ignored
    assert "without a point" in caplog.text and f"county {CODE} itself" in caplog.text


def test_neighbour_sites_missing_a_column_or_crs_are_an_input_error() -> None:
    region = _region()
    with pytest.raises(InputError, match="county_code"):
        AccessContext.build(region, CONFIG, graphs=GRAPHS,
                            neighbour_sites=_neighbours().drop(columns="county_code"))
    bare = gpd.GeoDataFrame(pd.DataFrame(_neighbours().drop(columns="geometry")),
                            geometry=_neighbours().geometry.to_numpy())
    with pytest.raises(InputError, match="CRS"):
        AccessContext.build(region, CONFIG, graphs=GRAPHS, neighbour_sites=bare)


def test_sites_near_keeps_sites_outside_and_within_the_buffer() -> None:
    region = _region()
    other = gpd.GeoDataFrame(
        {"kind": ["village"] * 4, "id": ["A", "B", "C", "D"], "status": ["built"] * 4,
         "county_code": [NEXT] * 4},
        geometry=_pts([(10_500, 0), (19_500, 0), (20_500, 0), (5000, 0)]))
    all_sites = pd.concat([region_sites(region), other], ignore_index=True)
    assert set(NEIGHBOUR_COLUMNS) <= set(all_sites.columns)
    near = sites_near(region.county, all_sites, buffer_m=10_000)
    # A is 0.5 km, B 9.5 km beyond the border; C 10.5 km; D and the county's own inside
    assert near["id"].tolist() == ["A", "B"]
    assert sites_near(region.county, all_sites, buffer_m=1000)["id"].tolist() == ["A"]
    outline = shapely.union_all(region.county.to_crs("EPSG:4326").geometry.to_numpy())
    assert sites_near(outline, all_sites, buffer_m=1000)["id"].tolist() == ["A"]


def test_region_sites_lists_every_located_point_with_the_county_code() -> None:
    region = _region()
    sites = region_sites(region)
    assert sites["id"].tolist() == ["V0", "V1", "V2"]
    assert (sites["county_code"] == CODE).all() and (sites["kind"] == "village").all()
    assert sites.crs == "EPSG:4326"


def test_report_and_terminal_name_the_cross_border_service() -> None:
    from coverage.present.access import coverage_sentence, text

    region = _region()
    out = {}
    for key, nb in (("alone", None), ("batch", _neighbours())):
        ctx = AccessContext.build(region, CONFIG, graphs=GRAPHS, neighbour_sites=nb)
        out[key] = compute_access(region, CONFIG, context=ctx)
    assert "跨县服务" not in coverage_sentence(out["alone"].service("counselling"))
    assert "其中1个村（社区）由邻县站点跨县服务" in coverage_sentence(
        out["batch"].service("counselling"))
    assert "跨县服务" in text(out["batch"]) and "跨县服务" not in text(out["alone"])
