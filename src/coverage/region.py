"""The planning region: admin hierarchy plus point layers, with provenance.

:class:`Region` is data: boundaries per admin level and point layers per kind, all in
EPSG:4326, the metric CRS chosen for the region, where the data came from, and the warnings
found while loading.  It holds no configuration — each stage receives its own config section.
Loading and validating files is :mod:`coverage.load`'s job; :func:`region_from_frames` builds
a region from in-memory frames.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from coverage import crs as crs_mod
from coverage.problems import InputError, Problem
from coverage.vocabulary import KIND

__all__ = [
    "BASE_COLUMNS",
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
    """

    name: str
    code: str
    admin: Mapping[str, gpd.GeoDataFrame]
    layers: Mapping[str, gpd.GeoDataFrame]
    metric_crs: pyproj.CRS
    provenance: Provenance = field(default_factory=Provenance)
    approximate_townships: bool = False
    problems: tuple[Problem, ...] = field(default=(), repr=False)

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
    geom = gdf.geometry
    return (geom.notna() & ~geom.is_empty).to_numpy(dtype=bool)


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

