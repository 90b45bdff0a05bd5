"""The planner's added candidates (``[[optimize.extra_candidates]]``) as points of the region.

Each becomes a row of the ``service_site`` layer, status ``none`` (not built), placed in its
township like any point; a point outside the county, or an id another point already has, is
an error naming the config key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage.config import ExtraCandidate
from coverage.problems import Problems

__all__ = ["add_extra_candidates"]

KIND = "service_site"


def add_extra_candidates(layers: Mapping[str, gpd.GeoDataFrame],
                         candidates: Sequence[ExtraCandidate], *, towns: gpd.GeoDataFrame,
                         county: shapely.Geometry, metric: object, problems: Problems
                         ) -> dict[str, gpd.GeoDataFrame]:
    """``layers`` with the added candidates appended to the ``service_site`` layer."""
    out = dict(layers)
    if not candidates:
        return out
    taken: set[str] = set()
    for g in layers.values():
        taken.update(str(v) for v in g["id"].dropna())
    rows = []
    for i, c in enumerate(candidates):
        key = f"optimize.extra_candidates[{i}]"
        point = shapely.Point(c.lon, c.lat)
        if c.id in taken:
            problems.add("新增候选点的代码与已有点位重复 (the id of an added candidate is taken)",
                         column=key, value=c.id, code="extra_candidate_id",
                         fix="give the added candidate another id")
            continue
        if not county.covers(point):
            problems.add("新增候选点不在县域内 (the added candidate lies outside the county)",
                         column=key, value=f"{c.lon:.6f}, {c.lat:.6f}",
                         code="extra_candidate_outside",
                         fix="pick the place inside the county on the map")
            continue
        taken.add(c.id)
        inside = towns[towns.geometry.covers(point)]
        if len(inside):
            town, source = inside.iloc[0], "polygon"
        else:  # in a gap between township polygons: the nearest one, as for any point
            metric_towns = towns.to_crs(metric)
            here = gpd.GeoSeries([point], crs="EPSG:4326").to_crs(metric).iloc[0]
            town, source = towns.iloc[int(np.argmin(metric_towns.distance(here)))], "nearest"
        rows.append({"id": c.id, "name": c.name, "kind": KIND, "status": "none",
                     "township_code": str(town["code"]), "township_name": str(town["name"]),
                     "township_source": source, "source_row": 0, "geometry": point})
    if not rows:
        return out
    added = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    if KIND in out:
        base = out[KIND]
        added = added.reindex(columns=base.columns)
        merged = pd.concat([base, added.astype({c: base[c].dtype for c in added.columns
                                                if c in ("id", "name", "kind", "status",
                                                         "township_code", "township_name",
                                                         "township_source")})],
                           ignore_index=True)
        out[KIND] = gpd.GeoDataFrame(merged, geometry=base.geometry.name, crs=base.crs)
    else:
        out[KIND] = added.astype({c: "string" for c in (
            "id", "name", "kind", "status", "township_code", "township_name",
            "township_source")})
    return out
