"""Every stage runs on a region built in memory with explicit config sections (no TOML).

Each stage is a function of the region, its own config section and the upstream results;
nothing reaches for a configuration object hidden in the region.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage import region_from_frames
from coverage.access import AccessContext, compute_access
from coverage.config import (
    AccessConfig,
    MapConfig,
    OptimizeConfig,
    ServiceConfig,
    TargetsConfig,
    Threshold,
)
from coverage.crs import metric_crs_for
from coverage.maps import write_interactive_map, write_static_maps
from coverage.present.maps import map_layers
from coverage.suggest import suggest_sites
from coverage.targets import gaps_for_region

CRS = metric_crs_for((117.3, 35.6))
ORIGIN = gpd.GeoSeries([shapely.Point(117.3, 35.6)], crs="EPSG:4326").to_crs(CRS).iloc[0]


def _pts(xy: list[tuple[float, float]]) -> gpd.GeoSeries:
    return gpd.GeoSeries([shapely.Point(ORIGIN.x + x, ORIGIN.y + y) for x, y in xy],
                         crs=CRS).to_crs("EPSG:4326")


def _box(x0: float, x1: float) -> shapely.Polygon:
    return shapely.box(ORIGIN.x + x0, ORIGIN.y - 4000, ORIGIN.x + x1, ORIGIN.y + 4000)


def test_every_stage_on_an_in_memory_region(tmp_path: Path) -> None:
    towns = gpd.GeoDataFrame({"code": ["370899001", "370899002"], "name": ["西镇", "东镇"]},
                             geometry=gpd.GeoSeries([_box(0, 5000), _box(5000, 10000)],
                                                    crs=CRS)).to_crs("EPSG:4326")
    county = gpd.GeoDataFrame({"code": ["370899"], "name": ["示范县"]},
                              geometry=gpd.GeoSeries([_box(0, 10000)], crs=CRS)
                              ).to_crs("EPSG:4326")
    xs = [500, 1500, 2500, 3500, 6000, 7000, 8000, 9000]
    villages = gpd.GeoDataFrame({
        "id": [f"3708990{'01' if x < 5000 else '02'}20{i}" for i, x in enumerate(xs)],
        "name": [f"村{i}" for i in range(len(xs))],
        "status": ["built", "none", "none", "built", "none", "none", "none", "planned"],
        "population": np.linspace(800, 2000, len(xs)),
    }, geometry=_pts([(x, 0) for x in xs]))
    region = region_from_frames(name="示范县", code="370899",
                                admin={"county": county, "township": towns},
                                layers={"village": villages}, metric_crs=CRS)

    gaps = gaps_for_region(region, TargetsConfig(preset="national_2018"))
    room = gaps.table[(gaps.table["indicator_id"] == "village_room_rate")
                      & (gaps.table["unit_level"] == "county")].iloc[0]
    assert (room["numerator"], room["denominator"], room["status"]) == (2, 8, "unmet")

    access_cfg = AccessConfig(services=(ServiceConfig(
        id="counselling", name="村心理咨询室", site_layers=("village",),
        demand_layers=("village",), rural=Threshold("drive", 3.0),
        urban=Threshold("walk", 15.0)),))
    ctx = AccessContext.build(region, access_cfg)
    assert not ctx.road  # no network: straight-line estimates
    access = compute_access(region, access_cfg, context=ctx)
    pts = access.service("counselling").points
    assert set(pts["status"]) <= {"covered", "beyond_threshold"}

    plan = suggest_sites(region, OptimizeConfig(model="quota", p=1), context=ctx, gaps=gaps)
    assert plan.feasible and plan.indicator == ("village_room_rate", room["indicator_name"])
    towns_after = plan.townships.set_index("township_code")
    assert towns_after["met_after"].all()
    assert int(plan.reconciliation["suggested"]) == len(plan.sites) == plan.p

    layers = map_layers(region, gaps, access, plan, config=MapConfig(title="内存中的示范县"))
    html = write_interactive_map(layers, tmp_path / "map.html")
    sheets = write_static_maps(layers, tmp_path, formats=("png",), dpi=60)
    assert html.is_file() and "内存中的示范县" in html.read_text(encoding="utf-8")
    assert sheets and all(p.is_file() for paths in sheets.values() for p in paths)
    assert isinstance(gaps.table, pd.DataFrame)
