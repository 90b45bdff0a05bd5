"""MapLayers checks, classes and formatting shared by both maps; ``make_layers`` test factory.

``make_layers`` builds every optional map input for a region from a plain, independent
computation (straight-line distance to the nearest built room), so the map tests do not
depend on the access/optimize stages.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.spatial import cKDTree

import coverage
from coverage import InputError, Region
from coverage.maps import MapLayers
from coverage.maps._data import fictional_note, simplify_metric
from coverage.maps._style import fmt_value, phase_colors, rate_class, time_class

REPO = Path(__file__).resolve().parents[1]
DEMO_TOML = REPO / "data" / "demo" / "region.toml"
XSS = '<img src=x onerror="window.__xss=1">'
CITATION = "国卫疾控发〔2018〕44号《全国社会心理服务体系建设试点工作方案》"


def make_layers(region: Region, *, speed_kmh: float = 20.0, n_suggest: int = 8) -> MapLayers:
    """Every map input for ``region`` from straight-line distances to built rooms."""
    kinds = [k for k in ("village", "community") if k in region.layers]
    points = pd.concat([region.layers[k] for k in kinds], ignore_index=True)
    points = gpd.GeoDataFrame(points, geometry="geometry", crs="EPSG:4326")
    metric = region.to_metric(points)
    xy = np.column_stack([metric.geometry.x, metric.geometry.y])
    built = (points["status"] == "built").to_numpy()
    dist, _ = cKDTree(xy[built]).query(xy)
    minutes = dist / 1000 / speed_kmh * 60 + np.where(built, 0.0, 3.0)
    minutes[np.arange(len(minutes)) % 29 == 5] = np.nan  # a few unreachable points
    pop = points["population"] if "population" in points else pd.Series(500.0, index=points.index)
    demand = gpd.GeoDataFrame({
        "id": points["id"], "name": points["name"], "kind": points["kind"],
        "township_name": points["township_name"], "population": pop,
        "time_min": minutes, "dist_m": dist, "covered": np.nan_to_num(minutes, nan=99) <= 15,
        "service_name": "村（社区）心理咨询室",
    }, geometry=points.geometry.to_numpy(), crs="EPSG:4326")

    sites = metric[built]
    iso = []
    for mins, radius in ((15, speed_kmh * 1000 / 4), (30, speed_kmh * 1000 / 2)):
        geom = sites.geometry.buffer(radius).union_all()
        iso.append({"service_name": "村（社区）心理咨询室", "minutes": mins, "mode": "drive",
                    "geometry": geom})
    isochrones = gpd.GeoDataFrame(iso, crs=region.metric_crs).to_crs("EPSG:4326")

    unc = demand[~demand["covered"]].sort_values("population", ascending=False).head(n_suggest)
    suggestions = gpd.GeoDataFrame({
        "rank": np.arange(1, len(unc) + 1), "id": unc["id"].to_numpy(),
        "name": unc["name"].to_numpy(), "township_name": unc["township_name"].to_numpy(),
        "phase": [2026 + i * 3 // max(len(unc), 1) for i in range(len(unc))],
        "gain_population": unc["population"].to_numpy(),
        "explanation": [f"覆盖周边未覆盖人口，距最近心理咨询室 {d / 1000:.1f} 公里"
                        for d in unc["dist_m"]],
    }, geometry=unc.geometry.to_numpy(), crs="EPSG:4326")

    rows = []
    for code in region.townships["code"]:
        sel = points[points["township_code"] == code]
        num, den = int((sel["status"] == "built").sum()), len(sel)
        target = 0.8
        rows.append({"township_code": code, "rate": num / den if den else pd.NA,
                     "target": target, "numerator": num, "denominator": den,
                     "shortfall": max(math.ceil(target * den - 1e-9) - num, 0),
                     "indicator_name": "村（社区）心理咨询室建成率", "citation": CITATION})
    return MapLayers(region=region, township_rates=pd.DataFrame(rows), demand=demand,
                     isochrones=isochrones, suggestions=suggestions)


def with_hostile_names(region: Region) -> Region:
    """The region with an XSS village name and personal columns added to the village layer."""
    village = region.layers["village"].copy()
    village["name"] = village["name"].astype("string")
    village.loc[village.index[0], "name"] = XSS
    village["负责人"] = "张三丰"
    village["电话"] = "13912345678"
    village["身份证"] = "370999199001011234"
    village["contact_phone"] = "13800000000"
    layers = dict(region.layers)
    layers["village"] = village
    return Region(name=region.name, code=region.code, admin=region.admin, layers=layers,
                  metric_crs=region.metric_crs, provenance=region.provenance)


@pytest.fixture
def tiny_region(tiny_toml: Path) -> Region:
    return coverage.load_region(tiny_toml)


def test_rate_class_boundaries() -> None:
    assert rate_class(0.9, 0.9) == "met"
    assert rate_class(0.95, 0.9) == "met"
    assert rate_class(0.80, 0.9) == "near"
    assert rate_class(0.79, 0.9) == "far"
    assert rate_class(pd.NA, 0.9) == "nodata"
    assert rate_class(float("nan"), 0.9) == "nodata"


def test_time_class_boundaries() -> None:
    assert [time_class(t) for t in (0, 15, 15.01, 30, 45, 45.1, np.nan, None)] == \
        ["t15", "t15", "t30", "t30", "t45", "t45p", "unreach", "unreach"]


def test_fmt_value_chinese() -> None:
    assert fmt_value("status", "built") == "已建成"
    assert fmt_value("covered", False) == "否"
    assert fmt_value("dist_m", 1234.0) == "1.2 公里"
    assert fmt_value("population", 12345.0) == "12,345 人"
    assert fmt_value("phase", 2026.0) == "2026年"
    assert fmt_value("name", pd.NA) is None


def test_phase_colors_earliest_first() -> None:
    colors = phase_colors(["2028", "2026", "2027", "2026"])
    assert list(colors) == ["2026", "2027", "2028"]
    assert len(set(colors.values())) == 3


def test_fictional_note() -> None:
    assert fictional_note("虚构示例数据（coverage 项目生成）")
    assert not fictional_note("某县卫健委台账")


def test_maplayers_reports_missing_columns(tiny_region: Region) -> None:
    with pytest.raises(InputError) as err:
        MapLayers(region=tiny_region, township_rates=pd.DataFrame({"rate": [0.5]}),
                  demand=gpd.GeoDataFrame({"name": ["a"]}, geometry=gpd.points_from_xy([1], [2]),
                                          crs="EPSG:4326"))
    text = str(err.value)
    assert "township_code" in text and "target" in text and "time_min" in text


def test_maplayers_rejects_wrong_geometry(tiny_region: Region) -> None:
    poly = tiny_region.townships[["geometry"]].assign(rank=1, name="x")
    with pytest.raises(InputError, match="Point"):
        MapLayers(region=tiny_region, suggestions=poly)


def test_simplify_keeps_shared_edges(tiny_region: Region) -> None:
    out = simplify_metric(tiny_region.townships, tiny_region.metric_crs, tolerance_m=20,
                          coverage=True)
    assert out.crs.to_epsg() == 4326
    assert out.geometry.is_valid.all()
    # neighbours still meet: the union is one polygon of (almost) the county's area
    union = out.union_all()
    assert union.geom_type == "Polygon"
    county = tiny_region.county.union_all()
    assert abs(union.area - county.area) / county.area < 1e-3


def test_make_layers_is_consistent(tiny_region: Region) -> None:
    layers = make_layers(tiny_region)
    assert layers.demand is not None and layers.suggestions is not None
    assert len(layers.demand) == len(tiny_region.layers["village"])
    assert not layers.suggestions["name"].isin(
        layers.demand.loc[layers.demand["covered"], "name"]).any()
