"""What a map can show (:class:`MapLayers`) and the checks and geometry helpers both maps use.

The maps take plain (Geo)DataFrames with documented columns rather than the stage result
classes, so the pipeline decides what to draw and tests can build inputs by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage.problems import InputError, Problem
from coverage.region import Region

__all__ = ["MapInfo", "MapLayers", "fictional_note", "map_title", "simplify_metric"]

logger = logging.getLogger(__name__)

#: Required columns per input frame (the documented optional ones may be absent).
_REQUIRED: dict[str, tuple[str, ...]] = {
    "township_rates": ("township_code", "rate", "target"),
    "county_rates": ("indicator_id", "rate", "target"),
    "demand": ("name", "time_min"),
    "isochrones": ("service_name", "minutes"),
    "suggestions": ("rank", "name"),
    "roads": ("road_class",),
    "water": ("water_kind",),
    "places": ("place_kind", "name"),
}
_GEOM_TYPES: dict[str, tuple[str, ...]] = {
    "demand": ("Point",),
    "isochrones": ("Polygon", "MultiPolygon"),
    "suggestions": ("Point",),
    "roads": ("LineString", "MultiLineString"),
    "water": ("LineString", "MultiLineString", "Polygon", "MultiPolygon"),
    "places": ("Point",),
}


@dataclass(frozen=True)
class MapInfo:
    """What a map prints about itself: title, provenance, who made it and when.

    Attributes
    ----------
    title
        Map title (default ``f"{region_name}社会心理服务资源一张图"``).
    region_name, region_code
        The planning region.
    data_date, source
        Date and source of the data (``[region] data_date`` / ``source``).
    organisation
        制图单位 / 编制单位 (``[region] organisation``); empty when not given.
    made_on
        制图日期, ISO date (default: today).
    approximate_townships
        The township areas are drawn from village points grouped by code, not from legal
        boundaries: maps label them 示意范围（非法定界线）.
    """

    title: str
    region_name: str
    region_code: str
    data_date: str = ""
    source: str = ""
    organisation: str = ""
    made_on: str = ""
    approximate_townships: bool = False

    @classmethod
    def for_region(cls, region: Region, *, title: str | None = None,
                   made_on: str | None = None) -> MapInfo:
        """The default info of ``region`` (provenance from the region itself)."""
        prov = region.provenance
        return cls(
            title=title or f"{region.name}社会心理服务资源一张图",
            region_name=region.name, region_code=region.code,
            data_date=prov.data_date, source=prov.source, organisation=prov.organisation,
            made_on=made_on or date.today().isoformat(),
            approximate_townships=region.approximate_townships,
        )


@dataclass(frozen=True)
class MapLayers:
    """Everything a map can show; every field except ``region`` is optional.

    Frames carry codes (statuses, kinds, reasons); the maps turn them into words through
    :mod:`coverage.vocabulary`.  Points whose geometry is empty (rows of a 台账 without
    coordinates, 未定位) are counted in the tables but never drawn.

    Attributes
    ----------
    region
        The planning region: boundaries and facility layers (``status`` colours the points).
    info
        Title and provenance (default :meth:`MapInfo.for_region`).
    township_rates
        One row per township and rate indicator: ``township_code``, ``rate`` (0-1 or NA),
        ``target`` (0-1); optional ``indicator_id``, ``indicator_name``, ``numerator``,
        ``denominator``, ``shortfall``, ``status`` (``met``/``unmet``/``no_data``/
        ``not_applicable``), ``citation`` (e.g. "国卫疾控发〔2018〕44号"), ``unlocated``
        (rows of the indicator's layers without coordinates).  Several indicators may be
        stacked; :attr:`headline_indicator` is the one coloured by default.
    headline_indicator
        ``indicator_id`` of the default choropleth (the first indicator when None).
    county_rates
        One row per indicator at county level: ``indicator_id``, ``rate``, ``target``;
        optional ``indicator_name``, ``kind``, ``numerator``, ``denominator``,
        ``shortfall``, ``status``, ``citation``.
    demand
        Points (EPSG:4326): ``name``, ``time_min`` (NaN = unreachable); optional ``id``,
        ``kind``, ``township_code``, ``township_name``, ``population``, ``dist_m``,
        ``covered`` (bool), ``access_status`` (code), ``service_name``.
    isochrones
        Polygons (EPSG:4326): ``service_name``, ``minutes``; optional ``mode``.
    suggestions
        Points (EPSG:4326): ``rank``, ``name``; optional ``id``, ``township_code``,
        ``township_name``, ``phase`` (year), ``reason`` (``quota``/``coverage``/``both``),
        ``gain_population``, ``explanation``.
    roads
        Reference road lines (EPSG:4326): ``road_class`` (``motorway``, ``trunk``,
        ``primary``, ``secondary``, ``tertiary``, ``minor``, ``track``, ``path``); optional
        ``name``.  Drawn under everything.
    water
        Rivers and water bodies (EPSG:4326): ``water_kind`` (``river``, ``stream``,
        ``canal``, ``drain``, ``lake``, ``reservoir``, ``water``); optional ``name``.
    places
        Place names (EPSG:4326 points): ``place_kind`` (``city``, ``town``, ``village``,
        ``suburb``, ``hamlet`` …), ``name``.
    room_kinds
        The layer kinds whose rooms the headline indicator counts (shown by default).
    """

    region: Region
    info: MapInfo | None = None
    township_rates: pd.DataFrame | None = None
    headline_indicator: str | None = None
    county_rates: pd.DataFrame | None = None
    demand: gpd.GeoDataFrame | None = None
    isochrones: gpd.GeoDataFrame | None = None
    suggestions: gpd.GeoDataFrame | None = None
    roads: gpd.GeoDataFrame | None = None
    water: gpd.GeoDataFrame | None = None
    places: gpd.GeoDataFrame | None = None
    room_kinds: tuple[str, ...] = ("village", "community")

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
        if self.info is None:
            object.__setattr__(self, "info", MapInfo.for_region(self.region))

    @property
    def meta(self) -> MapInfo:
        """:attr:`info` (never None after construction)."""
        assert self.info is not None
        return self.info

    def indicator_ids(self) -> list[str]:
        """The indicators in :attr:`township_rates`, headline first."""
        rates = self.township_rates
        if rates is None or not len(rates):
            return []
        if "indicator_id" not in rates:
            return [self.headline_indicator or ""]
        ids = list(dict.fromkeys(rates["indicator_id"].astype(str)))
        head = self.headline_indicator
        if head in ids:
            ids.remove(head)
            ids.insert(0, head)
        return ids

    def rates_for(self, indicator_id: str | None = None) -> pd.DataFrame | None:
        """Township rows of one indicator (default: the headline indicator)."""
        rates = self.township_rates
        if rates is None or not len(rates):
            return None
        if "indicator_id" not in rates:
            return rates
        ids = self.indicator_ids()
        chosen = indicator_id or (ids[0] if ids else None)
        rows = rates[rates["indicator_id"].astype(str) == chosen]
        return rows.reset_index(drop=True) if len(rows) else None


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
    out = frame[~shapely.is_missing(frame.geometry.array) & ~shapely.is_empty(frame.geometry.array)]
    if out.crs is not None and out.crs.to_epsg() != 4326:
        out = out.to_crs("EPSG:4326")
    return out


def map_title(layers: MapLayers) -> str:
    """The title to print."""
    return layers.meta.title


def data_note(layers: MapLayers) -> tuple[str, str]:
    """(data date, source), empty when unknown."""
    return layers.meta.data_date, layers.meta.source


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
