"""What a map can show (:class:`MapLayers`) and the checks and geometry helpers both maps use.

The maps take plain (Geo)DataFrames with documented columns rather than the stage result
classes, so the pipeline decides what to draw and tests can build inputs by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage._errors import InputError
from coverage._validate import Problem
from coverage.region import Region

__all__ = ["MapLayers", "fictional_note", "map_title", "simplify_metric"]

logger = logging.getLogger(__name__)

#: Required columns per input frame (the documented optional ones may be absent).
_REQUIRED: dict[str, tuple[str, ...]] = {
    "township_rates": ("township_code", "rate", "target"),
    "demand": ("name", "time_min"),
    "isochrones": ("service_name", "minutes"),
    "suggestions": ("rank", "name"),
}
_GEOM_TYPES: dict[str, tuple[str, ...]] = {
    "demand": ("Point",),
    "isochrones": ("Polygon", "MultiPolygon"),
    "suggestions": ("Point",),
}


@dataclass(frozen=True)
class MapLayers:
    """Everything a map can show; every field except ``region`` is optional.

    Attributes
    ----------
    region
        The planning region: boundaries and facility layers (``status`` colours the points).
    township_rates
        One row per township (and indicator): ``township_code``, ``rate`` (0–1 or NA),
        ``target`` (0–1); optional ``numerator``, ``denominator``, ``shortfall``,
        ``indicator_name``, ``citation`` (the policy document, e.g. "国卫疾控发〔2018〕44号").
    demand
        Points (EPSG:4326): ``name``, ``time_min`` (NaN = unreachable); optional ``id``,
        ``kind``, ``township_name``, ``population``, ``dist_m``, ``covered`` (bool),
        ``service_name``.
    isochrones
        Polygons (EPSG:4326): ``service_name``, ``minutes``; optional ``mode``.
    suggestions
        Points (EPSG:4326): ``rank``, ``name``; optional ``id``, ``township_name``,
        ``phase`` (year), ``gain_population``, ``explanation``.
    title
        Map title; default ``f"{region.name}社会心理服务资源一张图"``.
    """

    region: Region
    township_rates: pd.DataFrame | None = None
    demand: gpd.GeoDataFrame | None = None
    isochrones: gpd.GeoDataFrame | None = None
    suggestions: gpd.GeoDataFrame | None = None
    title: str | None = None

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        for name, required in _REQUIRED.items():
            frame = getattr(self, name)
            if frame is None:
                continue
            missing = [c for c in required if c not in frame.columns]
            if missing:
                problems.append(Problem(
                    None, None, ", ".join(missing), None,
                    f"MapLayers.{name} lacks column(s) {', '.join(missing)}",
                    f"give {name} the columns {', '.join(required)}", "error"))
            if name in _GEOM_TYPES:
                problems.extend(_check_geometry(name, frame))
        if problems:
            raise InputError(problems, title="地图输入有问题 (map input problems)")


def _check_geometry(name: str, frame: pd.DataFrame) -> Iterable[Problem]:
    if not isinstance(frame, gpd.GeoDataFrame):
        yield Problem(None, None, "geometry", None, f"MapLayers.{name} is not a GeoDataFrame",
                      "pass a geopandas.GeoDataFrame in EPSG:4326", "error")
        return
    if frame.crs is None:
        yield Problem(None, None, "geometry", None, f"MapLayers.{name} has no CRS",
                      "set_crs('EPSG:4326') or convert with coverage.crs.to_wgs84", "error")
    types = set(frame.geometry.dropna().geom_type)
    bad = types - set(_GEOM_TYPES[name])
    if bad:
        yield Problem(None, None, "geometry", ", ".join(sorted(bad)),
                      f"MapLayers.{name} must hold {'/'.join(_GEOM_TYPES[name])} geometries",
                      "convert the geometries before mapping", "error")


def to_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` in EPSG:4326 without empty geometries."""
    out = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    if out.crs is not None and out.crs.to_epsg() != 4326:
        out = out.to_crs("EPSG:4326")
    return out


def map_title(layers: MapLayers) -> str:
    """The title to print: ``layers.title`` or the default."""
    return layers.title or f"{layers.region.name}社会心理服务资源一张图"


def data_note(layers: MapLayers) -> tuple[str, str]:
    """(data date, source) from the region configuration, empty when unknown."""
    cfg = layers.region.config
    if cfg is None:
        return "", ""
    return cfg.region.data_date, cfg.region.source


def fictional_note(source: str) -> bool:
    """True when the data source says the data are made up (虚构/示例/模拟)."""
    return any(word in source for word in ("虚构", "示例数据", "模拟数据", "演示数据"))


def simplify_metric(frame: gpd.GeoDataFrame, metric_crs: object, *, tolerance_m: float,
                    coverage: bool) -> gpd.GeoDataFrame:
    """Simplify polygons in the metric CRS, returning EPSG:4326.

    Parameters
    ----------
    frame
        Polygons in any CRS.
    metric_crs
        The region's metric CRS (tolerance is in its metres).
    tolerance_m
        Douglas–Peucker tolerance in metres.
    coverage
        The polygons tile an area (townships, villages): simplify shared edges once with
        :func:`shapely.coverage_simplify` so neighbours still meet without slivers.
    """
    metric = frame.to_crs(metric_crs)
    geoms = metric.geometry.to_numpy()
    simplified: np.ndarray | None = None
    if coverage and len(geoms) > 1:
        try:
            simplified = np.asarray(shapely.coverage_simplify(geoms, tolerance_m))
        except (shapely.errors.GEOSException, ValueError) as exc:
            logger.info("coverage_simplify failed (%s); simplifying polygons one by one", exc)
    if simplified is None:
        simplified = np.asarray(shapely.simplify(geoms, tolerance_m, preserve_topology=True))
    # a polygon smaller than the tolerance may collapse: keep the original then
    bad = shapely.is_empty(simplified) | ~shapely.is_valid(simplified)
    simplified[bad] = geoms[bad]
    out = metric.set_geometry(gpd.GeoSeries(simplified, index=metric.index, crs=metric.crs))
    return out.to_crs("EPSG:4326")
