"""An urban district with only communities: the suggest stage serves the room indicator.

Reproduces the case a planner met on a real district: with ``candidate_layers =
["community"]`` the quota model used to take the first rate indicator whose layers fit —
居委社会工作者配备率 (community_social_worker) — and printed "新泾镇建成率 100%→200%" and
"程家桥街道建成率 100%→133%" for a plan that builds counselling rooms.  The truth, for the
room indicator (居委心理咨询室或社会工作室建成率, 100 % per 居委): 新泾镇 0 of 2 rooms → 2 of 2
(0%→100%), 程家桥街道 2 of 3 → 3 of 3 (67%→100%).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from coverage import region_from_frames
from coverage.access import AccessContext
from coverage.config import AccessConfig, OptimizeConfig, ServiceConfig, TargetsConfig, Threshold
from coverage.crs import metric_crs_for
from coverage.present.suggest import explanations, summary_text
from coverage.suggest import suggest_sites
from coverage.targets import gaps_for_region

CRS = metric_crs_for((121.4, 31.2))
ORIGIN = gpd.GeoSeries([shapely.Point(121.4, 31.2)], crs="EPSG:4326").to_crs(CRS).iloc[0]


def _box(x0: float, x1: float) -> shapely.Polygon:
    return shapely.box(ORIGIN.x + x0, ORIGIN.y - 2000, ORIGIN.x + x1, ORIGIN.y + 2000)


def test_quota_on_communities_uses_the_room_indicator() -> None:
    towns = gpd.GeoDataFrame(
        {"code": ["310105007", "310105010"], "name": ["新泾镇", "程家桥街道"]},
        geometry=gpd.GeoSeries([_box(0, 3000), _box(3000, 6000)], crs=CRS)).to_crs("EPSG:4326")
    county = gpd.GeoDataFrame({"code": ["310105"], "name": ["长宁区"]},
                              geometry=gpd.GeoSeries([_box(0, 6000)], crs=CRS)
                              ).to_crs("EPSG:4326")
    xs = [800, 2200, 3600, 4500, 5400]
    communities = gpd.GeoDataFrame({
        "id": ["310105007001", "310105007002", "310105010001", "310105010002", "310105010003"],
        "name": ["新泾一居委", "新泾二居委", "程桥一居委", "程桥二居委", "程桥三居委"],
        "status": ["none", "none", "built", "built", "none"],
        "social_workers": [1.0, 1.0, 1.0, 2.0, 1.0],  # every 居委 has a social worker
        "population": np.full(5, 3000.0),
        "ur_code": ["111"] * 5,
    }, geometry=gpd.GeoSeries([shapely.Point(ORIGIN.x + x, ORIGIN.y) for x in xs], crs=CRS)
    ).to_crs("EPSG:4326")
    region = region_from_frames(name="长宁区", code="310105",
                                admin={"county": county, "township": towns},
                                layers={"community": communities}, metric_crs=CRS)
    gaps = gaps_for_region(region, TargetsConfig(preset="changning_2021"))
    access = AccessConfig(services=(ServiceConfig(
        id="counselling", name="居委心理咨询室", site_layers=("community",),
        demand_layers=("community",), urban=Threshold("walk", 15.0),
        rural=Threshold("drive", 30.0)),))
    ctx = AccessContext.build(region, access)
    plan = suggest_sites(region, OptimizeConfig(model="quota", p=1,
                                                candidate_layers=("community",)),
                         context=ctx, gaps=gaps)

    assert plan.feasible
    assert plan.indicator is not None and plan.indicator[0] == "village_room_rate"
    towns_after = plan.townships.set_index("township_name")
    assert towns_after.loc["新泾镇", ["rate_before", "rate_after"]].tolist() == [0.0, 1.0]
    assert np.allclose(towns_after.loc["程家桥街道", ["rate_before", "rate_after"]].tolist(),
                       [2 / 3, 1.0])
    assert (plan.townships["rate_after"] <= 1.0).all()
    assert sorted(plan.sites["name"]) == ["新泾一居委", "新泾二居委", "程桥三居委"]
    words = " ".join(explanations(plan))
    assert "0%→50%" in words and "50%→100%" in words and "67%→100%" in words
    assert "200%" not in words and "133%" not in words
    text = summary_text(plan)
    assert "居委心理咨询室或社会工作室建成率" in text and "社会工作者" not in text
