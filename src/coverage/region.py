"""The planning region: admin hierarchy plus point layers, with provenance.

:class:`Region` is data: boundaries per admin level and point layers per kind, all in
EPSG:4326, the metric CRS chosen for the region, where the data came from, and the warnings
found while loading.  It holds no configuration — each stage receives its own config section.
Loading and validating files is :mod:`coverage.load`'s job; :func:`region_from_frames` builds
a region from in-memory frames.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from coverage import crs as crs_mod
from coverage.problems import InputError, Problem
from coverage.vocabulary import KIND

__all__ = [
    "BASE_COLUMNS",
    "DIAGNOSTIC_COLUMNS",
    "LoadDiagnostics",
    "Provenance",
    "Region",
    "is_urban",
    "located_mask",
    "order_columns",
    "region_from_frames",
    "spatial_join_codes",
]

#: Columns every layer GeoDataFrame has, in this order.
BASE_COLUMNS = ("id", "name", "kind", "status", "township_code", "township_name",
                "village_code", "geometry")


@dataclass(frozen=True)
class Provenance:
    """Where a region's data came from, printed on maps, tables and reports.

    Attributes
    ----------
    data_date
        Date of the data (``[region] data_date``), free text such as ``2026-06-30``.
    source
        Source of the data (``[region] source``), e.g. 某县卫健委台账.
    organisation
        制图/编制单位 (``[region] organisation``): the author of maps and reports.
    config_file
        The region TOML the data were loaded from (None for in-memory regions).
    """

    data_date: str = ""
    source: str = ""
    organisation: str = ""
    config_file: str | None = None


def _frame(*columns: str, geometry: bool = True) -> gpd.GeoDataFrame | pd.DataFrame:
    data = {c: pd.Series([], dtype="float64" if c in _FLOAT_COLUMNS else "string")
            for c in columns}
    if not geometry:
        return pd.DataFrame(data)
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries([], crs="EPSG:4326"),
                            crs="EPSG:4326")


_FLOAT_COLUMNS = {"area_km2", "share", "lon", "lat", "distance_m", "count"}
#: Columns of the :class:`LoadDiagnostics` frames (each also has ``geometry`` in EPSG:4326,
#: except ``unlocated``).
DIAGNOSTIC_COLUMNS: dict[str, tuple[str, ...]] = {
    "gaps": ("area_km2", "share", "lon", "lat"),
    "overlaps": ("township_a", "township_b", "area_km2", "share", "lon", "lat"),
    "beyond": ("township", "area_km2", "share", "lon", "lat"),
    "points_outside": ("kind", "id", "name", "township_code", "distance_m", "severity"),
    "assigned": ("kind", "id", "name", "township_code", "rule", "distance_m", "candidates"),
    "code_mismatches": ("kind", "id", "name", "code_township", "township_code"),
    "unlocated": ("kind", "township_code", "township_name", "count"),
}


def _factory(name: str) -> Callable[[], gpd.GeoDataFrame | pd.DataFrame]:
    return lambda: _frame(*DIAGNOSTIC_COLUMNS[name], geometry=name != "unlocated")


@dataclass(frozen=True)
class LoadDiagnostics:
    """What the loader measured and decided about the region's geography (for a check map).

    Every frame is in EPSG:4326; areas are in km² measured in the region's metric CRS and
    ``share`` is the share of the county's area; ``lon``/``lat`` a representative point of
    the piece (inside it), for the message and a map marker.

    Attributes
    ----------
    county_source
        ``"file"`` (an ``[[admin]] level = "county"`` outline) or ``"townships"`` (none
        was given: the county is the union of the township polygons).
    township_source
        ``"polygon"`` (township polygons given), ``"village"`` (dissolved from village
        polygons by the first 9 digits of their codes) or ``"code"`` (approximate areas:
        Voronoi cells of the village/community points, grouped by code).
    tiling_tolerance
        The ``[region] tiling_tolerance`` the gaps and overlaps were judged with.
    county_area_km2
        Area of the county outline.
    gaps
        Pieces of the county that no township polygon covers.
    overlaps
        Pieces covered by two townships (``township_a``, ``township_b``: codes).
    beyond
        Pieces of township polygons outside the county outline (``township``: code).
    points_outside
        Located points outside the county outline (``distance_m`` to it; ``severity``
        ``"warning"`` within 1 km, where the nearest township takes them, else ``"error"``).
    assigned
        Points whose township a rule decided (``rule``: ``nearest`` — in a gap or just
        outside, ``distance_m`` to that township; ``overlap`` — in an overlap, resolved by
        the code or its siblings; ``table`` — the 台账's 所属乡镇 with approximate areas);
        ``candidates`` the townships that were possible, ``;``-separated.
    code_mismatches
        Village/community points whose code's first 9 digits name another township than
        the polygon they lie in (``code_township`` vs ``township_code``).
    unlocated
        Rows without coordinates (未定位) per layer kind and township (``count``).
    """

    county_source: str = "file"
    township_source: str = "polygon"
    tiling_tolerance: float = 0.02
    county_area_km2: float = float("nan")
    gaps: gpd.GeoDataFrame = field(default_factory=_factory("gaps"))
    overlaps: gpd.GeoDataFrame = field(default_factory=_factory("overlaps"))
    beyond: gpd.GeoDataFrame = field(default_factory=_factory("beyond"))
    points_outside: gpd.GeoDataFrame = field(default_factory=_factory("points_outside"))
    assigned: gpd.GeoDataFrame = field(default_factory=_factory("assigned"))
    code_mismatches: gpd.GeoDataFrame = field(default_factory=_factory("code_mismatches"))
    unlocated: pd.DataFrame = field(default_factory=_factory("unlocated"))


@dataclass(frozen=True)
class Region:
    """A loaded planning region.

    Attributes
    ----------
    name, code
        Region name and 6-digit county code.
    admin
        Level (``county``, ``township``, optionally ``village``) → GeoDataFrame in EPSG:4326
        with columns ``code``, ``name``, ``parent_code``, ``geometry``.
    layers
        Kind → GeoDataFrame of points in EPSG:4326 with :data:`BASE_COLUMNS` plus the optional
        canonical columns the config mapped (see ``docs/design.md``).
    metric_crs
        The metric CRS used for every distance and area (CGCS2000 GK zone or UTM).
    provenance
        Data date, source, organisation and the config file (for maps and reports).
    approximate_townships
        True when the township areas were derived from village codes and points (no township
        polygons were given): maps and reports label them 示意范围（非法定界线）.
    problems
        Warnings found while loading (errors would have raised).
    diagnostics
        What the loader measured about the boundaries and decided about townships
        (:class:`LoadDiagnostics`): gaps, overlaps, points outside, rule-assigned points,
        未定位 counts — the material of a check map.

    Notes
    -----
    A loaded layer also has ``source_row`` (the row in its file, as Excel numbers it) and
    ``township_source`` (how its township was found: ``polygon``, ``nearest``, ``overlap``,
    ``code``, ``table``; see ``vocabulary.TOWNSHIP_SOURCE``; NA when none was found).
    """

    name: str
    code: str
    admin: Mapping[str, gpd.GeoDataFrame]
    layers: Mapping[str, gpd.GeoDataFrame]
    metric_crs: pyproj.CRS
    provenance: Provenance = field(default_factory=Provenance)
    approximate_townships: bool = False
    problems: tuple[Problem, ...] = field(default=(), repr=False)
    diagnostics: LoadDiagnostics = field(default_factory=LoadDiagnostics, repr=False)

    @property
    def county(self) -> gpd.GeoDataFrame:
        """The county (top level) polygons."""
        return self.admin["county"]

    @property
    def townships(self) -> gpd.GeoDataFrame:
        """The township/街道 polygons (``code``, ``name``, ``parent_code``, ``geometry``)."""
        return self.admin["township"]

    @property
    def villages(self) -> gpd.GeoDataFrame | None:
        """Village/community polygons when configured, else ``None``."""
        return self.admin.get("village")

    def layer(self, kind: str) -> gpd.GeoDataFrame:
        """Return the layer of ``kind``; an :class:`InputError` names the kinds present."""
        if kind not in self.layers:
            raise InputError.single(
                f"the region has no '{kind}' layer ({KIND.label(kind)})",
                column=f"layers.{kind}",
                fix=f"add a [layers.{kind}] table to the region TOML; present: "
                + (", ".join(self.layers) or "none"),
            )
        return self.layers[kind]

    def to_metric(self, gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """Project ``gdf`` to the region's metric CRS."""
        return gdf.to_crs(self.metric_crs)


def located_mask(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """True for rows that have a point (rows of a 台账 without coordinates are 未定位)."""
    geoms = gdf.geometry.to_numpy()
    return ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))


def is_urban(gdf: pd.DataFrame) -> np.ndarray:
    """Urban flag per row: 城乡分类代码 starting with "1"; without a code, communities are urban."""
    kind_urban = (gdf["kind"] == "community").to_numpy()
    if "ur_code" not in gdf:
        return kind_urban
    code = gdf["ur_code"].astype("string")
    known = code.notna() & (code.str.len() > 0)
    return np.where(known.to_numpy(), code.str.startswith("1").fillna(False).to_numpy(),
                    kind_urban).astype(bool)


def region_from_frames(
    *,
    name: str,
    code: str,
    admin: Mapping[str, gpd.GeoDataFrame],
    layers: Mapping[str, gpd.GeoDataFrame],
    metric_crs: pyproj.CRS | None = None,
) -> Region:
    """Build a :class:`Region` from in-memory GeoDataFrames (tests, notebooks).

    Layers are completed with the base columns and spatially joined to townships and
    villages when those columns are missing.
    """
    adm = {lv: crs_mod.to_wgs84(g) for lv, g in admin.items()}
    out_layers = {}
    for kind, g in layers.items():
        g = crs_mod.to_wgs84(g.copy())
        g["kind"] = kind
        for col in BASE_COLUMNS:
            if col not in g:
                g[col] = pd.NA
        if g["township_code"].isna().all() and "township" in adm:
            code_, name_ = spatial_join_codes(g, adm["township"])
            g["township_code"], g["township_name"] = code_, name_
        if g["village_code"].isna().all() and "village" in adm:
            g["village_code"] = spatial_join_codes(g, adm["village"])[0]
        out_layers[kind] = order_columns(g)
    mcrs = metric_crs or crs_mod.metric_crs_for(adm["county"])
    return Region(name=name, code=code, admin=adm, layers=out_layers, metric_crs=mcrs)


def spatial_join_codes(points: gpd.GeoDataFrame, polys: gpd.GeoDataFrame
                        ) -> tuple[pd.Series, pd.Series]:
    """Code and name of the polygon containing each point (first match), NA outside."""
    idx_pt, idx_poly = polys.sindex.query(points.geometry.to_numpy(), predicate="within")
    first = pd.Series(idx_poly, index=idx_pt)
    first = first[~first.index.duplicated()]
    code = pd.Series(pd.NA, index=range(len(points)), dtype="string")
    name = pd.Series(pd.NA, index=range(len(points)), dtype="string")
    code.iloc[first.index.to_numpy()] = polys["code"].to_numpy()[first.to_numpy()]
    name.iloc[first.index.to_numpy()] = polys["name"].to_numpy()[first.to_numpy()]
    code.index = points.index
    name.index = points.index
    return code, name


def order_columns(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    extra = [c for c in gdf.columns if c not in BASE_COLUMNS]
    return gdf[[*BASE_COLUMNS[:-1], *extra, "geometry"]]

