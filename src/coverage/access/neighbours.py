"""Sites of neighbouring counties: a village near a border may be served across it.

In a batch run (a city or a province), each county's access also sees the existing sites of
the other counties within a buffer of its outline.  This module holds the one schema such
sites travel in and the two geographic steps around it:

* :func:`region_sites` — a county's own sites as that schema (every located point of every
  layer, with the county's code);
* :func:`sites_near` — of all the counties' sites, those outside one county's outline and
  within ``buffer_m`` of it.

:meth:`coverage.access.AccessContext.build` takes the result as ``neighbour_sites``: those
sites then take part in nearest-site times and coverage (marked with their county's code in
``site_county_code`` and ``cross_border`` of the points table), count as existing sites for
the optimiser (a village already served across the border is covered), and stay out of the
county's own site table and its 2SFCA (their staff also serve their own county's people,
whom this county's run does not see).

Schema (:data:`NEIGHBOUR_COLUMNS`): a :class:`geopandas.GeoDataFrame` of points with a CRS
and the columns ``kind`` (the layer kind, e.g. ``village``, ``service_site``), ``id``,
``status`` (a status code: ``built`` …) and ``county_code``; ``name`` and
``township_code`` are kept when present.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from coverage.problems import InputError, Problem
from coverage.region import Region, located_mask

__all__ = ["NEIGHBOUR_COLUMNS", "OPTIONAL_COLUMNS", "checked_neighbours", "region_sites",
           "sites_near"]

logger = logging.getLogger(__name__)

#: Columns every neighbour site must have.
NEIGHBOUR_COLUMNS: tuple[str, ...] = ("kind", "id", "status", "county_code")
#: Columns kept when present.
OPTIONAL_COLUMNS: tuple[str, ...] = ("name", "township_code")


def region_sites(region: Region, *, layers: tuple[str, ...] | None = None) -> gpd.GeoDataFrame:
    """The located points of ``region``'s layers as neighbour sites (EPSG:4326).

    Parameters
    ----------
    region
        A county.
    layers
        Layer kinds to take (default: every layer; the receiving county's services pick
        their own site layers and statuses).

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`NEIGHBOUR_COLUMNS` plus ``name`` and ``township_code``, one row per point.
    """
    parts = []
    for kind, layer in region.layers.items():
        if layers is not None and kind not in layers:
            continue
        ok = located_mask(layer)
        frame = layer.loc[ok].to_crs("EPSG:4326")
        part = pd.DataFrame({
            "kind": kind,
            "id": frame["id"].astype(str) if "id" in frame else pd.NA,
            "name": frame["name"].astype(str) if "name" in frame else pd.NA,
            "status": frame["status"].astype(str) if "status" in frame else pd.NA,
            "township_code": (frame["township_code"].astype(str)
                              if "township_code" in frame else pd.NA),
            "county_code": region.code,
        }, index=frame.index)
        parts.append(gpd.GeoDataFrame(part, geometry=frame.geometry.to_numpy(),
                                      crs="EPSG:4326"))
    columns = [*NEIGHBOUR_COLUMNS, *OPTIONAL_COLUMNS]
    if not parts:
        return gpd.GeoDataFrame({c: pd.Series(dtype=str) for c in columns},
                                geometry=[], crs="EPSG:4326")
    out = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(out[[*columns, "geometry"]], geometry="geometry", crs="EPSG:4326")


def sites_near(outline: BaseGeometry | gpd.GeoDataFrame | gpd.GeoSeries,
               sites: gpd.GeoDataFrame, *, buffer_m: float, metric_crs: object | None = None,
               ) -> gpd.GeoDataFrame:
    """The sites outside ``outline`` and within ``buffer_m`` metres of it.

    Parameters
    ----------
    outline
        The county: a geometry in WGS84 (EPSG:4326), or a GeoDataFrame/GeoSeries with a
        CRS (its geometries are merged).
    sites
        All candidate neighbour sites (e.g. every county's :func:`region_sites`), with a CRS.
    buffer_m
        How far beyond the outline a site may be (metres, >= 0).
    metric_crs
        Metric CRS to measure in (default: the UTM zone of the outline's centre).

    Returns
    -------
    geopandas.GeoDataFrame
        The selected rows of ``sites`` (index reset), in ``sites``' CRS.
    """
    if buffer_m < 0:
        raise ValueError(f"buffer_m must be >= 0, not {buffer_m}")
    if sites.crs is None:
        raise ValueError("sites has no CRS; set it (e.g. sites.set_crs('EPSG:4326'))")
    if isinstance(outline, gpd.GeoDataFrame | gpd.GeoSeries):
        if outline.crs is None:
            raise ValueError("outline has no CRS; set it (e.g. .set_crs('EPSG:4326'))")
        shape = gpd.GeoSeries([shapely.union_all(outline.to_crs("EPSG:4326").geometry
                                                 .to_numpy())], crs="EPSG:4326")
    else:
        shape = gpd.GeoSeries([outline], crs="EPSG:4326")
    if metric_crs is None:
        metric_crs = shape.estimate_utm_crs()
    area = shape.to_crs(metric_crs).iloc[0]
    located = located_mask(sites)
    pts = sites.geometry.to_crs(metric_crs).to_numpy()
    keep = np.zeros(len(sites), dtype=bool)
    keep[located] = (shapely.dwithin(area, pts[located], buffer_m)
                     & ~shapely.covers(area, pts[located]))
    return sites.loc[keep].reset_index(drop=True)


def checked_neighbours(frame: gpd.GeoDataFrame, *, region_code: str) -> gpd.GeoDataFrame:
    """``frame`` validated against the schema, located rows only, in EPSG:4326.

    Rows without a point and rows of the region's own county are left out, each with a
    logged warning; missing columns or a missing CRS raise an :class:`InputError`.
    """
    problems = []
    if frame.crs is None:
        problems.append(Problem(None, None, "geometry", None, "neighbour sites have no CRS",
                                "set it, e.g. sites.set_crs('EPSG:4326')"))
    missing = [c for c in NEIGHBOUR_COLUMNS if c not in frame.columns]
    if missing:
        problems.append(Problem(None, None, ", ".join(missing), None,
                                f"neighbour sites lack the columns {missing}",
                                "give kind, id, status and county_code for every site "
                                "(see coverage.access.neighbours.region_sites)"))
    if problems:
        raise InputError(problems, title="neighbour_sites")
    located = located_mask(frame)
    if (~located).any():
        logger.warning("neighbour sites: %d rows without a point left out", int((~located).sum()))
    own = (frame["county_code"].astype(str) == region_code).fillna(False).to_numpy(bool)
    if (own & located).any():
        logger.warning("neighbour sites: %d rows of the county %s itself left out (its own "
                       "layers already hold them)", int((own & located).sum()), region_code)
    keep = located & ~own
    cols = [c for c in (*NEIGHBOUR_COLUMNS, *OPTIONAL_COLUMNS) if c in frame.columns]
    out = frame.loc[keep, cols].copy()
    for c in cols:
        out[c] = out[c].astype(str)
    return gpd.GeoDataFrame(out.reset_index(drop=True),
                            geometry=frame.geometry.loc[keep].to_crs("EPSG:4326").to_numpy(),
                            crs="EPSG:4326")
