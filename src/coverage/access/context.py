"""One access context per run: points stacked once, road graphs read and attached once.

Every access computation of a run — nearest-site times and coverage
(:func:`coverage.access.compute_access`), the demand × site matrices the optimiser needs
(:func:`coverage.access.site_demand_matrix`) and the isochrones — is a view of one
:class:`AccessContext`: the region's located points stacked in the metric CRS, the road
graph of each travel profile read once (and checked to fit the region), every point snapped
to each graph once, and each service's thresholds resolved once.

Rows of a 台账 without coordinates (未定位) are not stacked: they count in the completion
rates, and each service lists them (:attr:`ServiceSetup.unlocated`) so the outputs can say
how many rows access could not place.

In a batch run the context may also hold **neighbour sites**, the existing sites of other
counties near the border (:mod:`coverage.access.neighbours`): they are stacked after the
region's points (under the reserved kind :data:`NEIGHBOUR`) and attached to the graphs like
them, and each service's sites include those of its site layers and statuses, with
``county_code`` and ``cross_border`` columns (the region's own sites: its code, False).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from coverage.access.neighbours import checked_neighbours
from coverage.config import AccessConfig, ServiceConfig
from coverage.network import (
    AttachedPoints,
    NetworkFit,
    Profile,
    RoadGraph,
    attach_points,
    check_network_fit,
    download_networks,
    load_networks,
    raise_if_unfit,
)
from coverage.problems import InputError
from coverage.region import Region, is_urban, located_mask

__all__ = [
    "NEIGHBOUR",
    "STRAIGHT_LINE_DRIVE_KMH",
    "AccessContext",
    "ServiceSetup",
    "Stacked",
    "load_graphs",
    "thresholds",
]

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]

#: Reserved key of the neighbour sites in :attr:`Stacked.frames` (never a layer name).
NEIGHBOUR = "_neighbour"

STRAIGHT_LINE_DRIVE_KMH = 25.0
"""Effective straight-line driving speed without a road network: about 35 km/h on the road
divided by a detour factor of 1.4 (typical for rural road networks)."""


@dataclass(frozen=True)
class Stacked:
    """The located points of the region's layers, stacked: kind, row, metric coordinates.

    ``frames[kind]`` holds the layer's located rows (index reset); point ``offset[kind] + i``
    of ``x``/``y`` is row ``i`` of that frame.
    """

    kinds: tuple[str, ...]
    offset: Mapping[str, int]
    frames: Mapping[str, gpd.GeoDataFrame]
    unlocated: Mapping[str, pd.DataFrame]
    x: FloatArray
    y: FloatArray

    def index(self, kind: str, rows: NDArray[np.int64]) -> NDArray[np.int64]:
        """Global point indices of ``rows`` of layer ``kind``."""
        return self.offset[kind] + rows


def _stack(region: Region, neighbours: gpd.GeoDataFrame | None = None) -> Stacked:
    frames: dict[str, gpd.GeoDataFrame] = {}
    unlocated: dict[str, pd.DataFrame] = {}
    offset: dict[str, int] = {}
    xs: list[FloatArray] = []
    ys: list[FloatArray] = []
    total = 0
    for kind, layer in region.layers.items():
        ok = located_mask(layer)
        gdf = layer[ok].reset_index(drop=True)
        unlocated[kind] = pd.DataFrame(layer[~ok].drop(columns=layer.geometry.name))
        metric = region.to_metric(gdf)
        frames[kind] = gdf
        offset[kind] = total
        xs.append(np.asarray(metric.geometry.x, dtype=np.float64))
        ys.append(np.asarray(metric.geometry.y, dtype=np.float64))
        total += len(gdf)
    if neighbours is not None and len(neighbours):
        metric = region.to_metric(neighbours)
        frames[NEIGHBOUR] = neighbours
        unlocated[NEIGHBOUR] = pd.DataFrame(columns=list(neighbours.columns[:-1]))
        offset[NEIGHBOUR] = total
        xs.append(np.asarray(metric.geometry.x, dtype=np.float64))
        ys.append(np.asarray(metric.geometry.y, dtype=np.float64))
    return Stacked(
        kinds=tuple(frames), offset=offset, frames=frames, unlocated=unlocated,
        x=np.concatenate(xs) if xs else np.zeros(0), y=np.concatenate(ys) if ys else np.zeros(0),
    )


def thresholds(service: ServiceConfig, urban: NDArray[np.bool_]
               ) -> tuple[NDArray[np.object_], FloatArray]:
    """Travel mode and minutes per demand point: the urban or the rural standard."""
    modes = np.where(urban, service.urban.mode, service.rural.mode).astype(object)
    minutes = np.where(urban, service.urban.minutes, service.rural.minutes).astype(float)
    return modes, minutes


@dataclass(frozen=True)
class ServiceSetup:
    """One service's sites and demand points within the context, thresholds resolved.

    Attributes
    ----------
    service
        The ``[[access.services]]`` entry.
    sites
        Located rows of the site layers with a counted status; ``_global`` is the point
        index in the context, ``_urban`` the urban flag, ``county_code`` the site's county
        and ``cross_border`` True for the neighbour sites (after the region's own).
    demand
        Located rows of the demand layers (same extra columns).
    modes, minutes
        Travel mode and threshold per demand row.
    unlocated
        Demand rows without coordinates (未定位): counted in rates, not routed.
    """

    service: ServiceConfig
    sites: pd.DataFrame
    demand: pd.DataFrame
    modes: NDArray[np.object_]
    minutes: FloatArray
    unlocated: pd.DataFrame

    @property
    def urban(self) -> NDArray[np.bool_]:
        """Urban flag per demand row."""
        return (self.demand["_urban"].to_numpy(dtype=bool) if len(self.demand)
                else np.zeros(0, dtype=bool))


def load_graphs(region: Region, config: AccessConfig,
                profiles: Iterable[str] | None = None) -> dict[str, RoadGraph]:
    """Read (or download, when configured) the road graph once per travel profile.

    Returns an empty mapping when the configuration names no network: travel times are then
    straight-line estimates.
    """
    if profiles is None:
        profiles = {t.mode for s in config.services for t in (s.urban, s.rural)}
    kwargs: dict[str, Any] = {
        "crs": region.metric_crs,
        "speeds_kmh": dict(config.speeds_kmh),
        "walk_speed_kmh": config.walk_speed_kmh,
    }
    wanted: list[Profile] = sorted({"walk" if p == "walk" else "drive" for p in profiles})
    if config.network is not None:
        return dict(load_networks(config.network, profiles=wanted, **kwargs))
    if config.download:
        polygon = shapely.union_all(region.county.geometry.to_numpy())
        cache = config.cache_dir if config.cache_dir is not None else Path("osm_cache")
        return dict(download_networks(polygon, cache_dir=cache, profiles=wanted, **kwargs))
    return {}


def _profiles(config: AccessConfig) -> set[str]:
    profiles: set[str] = {t.mode for s in config.services for t in (s.urban, s.rural)}
    bad = profiles - {"walk", "drive"}
    if bad:
        raise InputError.single("unknown travel mode", column="access.services",
                                value=sorted(bad), fix='use mode = "walk" or "drive"')
    return profiles


@dataclass(frozen=True)
class AccessContext:
    """Everything the access computations of one run share (see the module docstring).

    Build it with :meth:`build`; it is immutable afterwards.

    Attributes
    ----------
    region
        The region.
    config
        Its ``[access]`` section.
    points
        The located points of every layer, stacked.
    graphs
        Road graph per profile (empty without a network: straight-line estimates).
    attached
        Per profile, the graph with every point attached (snapped) to it.
    fit
        How well the road network covers the region (None without a network); a network
        that does not cover it is refused in :meth:`build` with an input error.
    """

    region: Region
    config: AccessConfig
    points: Stacked
    graphs: Mapping[str, RoadGraph]
    attached: Mapping[str, AttachedPoints]
    fit: NetworkFit | None = None

    @classmethod
    def build(cls, region: Region, config: AccessConfig, *,
              graphs: Mapping[str, RoadGraph] | None = None,
              neighbour_sites: gpd.GeoDataFrame | None = None) -> AccessContext:
        """Stack the points, read the graphs (unless given) and attach the points once.

        Parameters
        ----------
        region
            The region.
        config
            Its ``[access]`` section.
        graphs
            Road graphs per profile already read (e.g. shared by scenarios); None reads
            them from ``config.network`` (or downloads them when ``config.download``).
        neighbour_sites
            Existing sites of other counties near the border (a batch run), in the schema
            of :mod:`coverage.access.neighbours` (``kind, id, status, county_code``; points
            with a CRS): they serve this county's villages like its own sites (see the
            module docstring).  Rows of the region's own county are left out.

        Raises
        ------
        InputError
            When ``neighbour_sites`` lacks a column of the schema or a CRS.
        """
        profiles = _profiles(config)
        neighbours = (None if neighbour_sites is None
                      else checked_neighbours(neighbour_sites, region_code=region.code))
        points = _stack(region, neighbours)
        n_own = points.offset.get(NEIGHBOUR, len(points.x))
        if graphs is None:
            graphs = load_graphs(region, config, profiles)
        fit = None
        used = {p: g for p, g in graphs.items() if p in profiles}
        if used:
            area = shapely.union_all(region.to_metric(region.county).geometry.to_numpy())
            source = (str(config.network) if config.network is not None
                      else "OSM download" if config.download else "road graph")
            fit = check_network_fit(used, area=area, x=points.x[:n_own], y=points.y[:n_own],
                                    source=source, snap_limit_m=config.snap_limit_m)
            raise_if_unfit(fit)
        attached = {
            profile: attach_points(graph, points.x, points.y,
                                   snap_limit_m=config.snap_limit_m,
                                   walk_speed_kmh=config.walk_speed_kmh)
            for profile, graph in graphs.items() if profile in profiles
        }
        return cls(region=region, config=config, points=points, graphs=dict(graphs),
                   attached=attached, fit=fit)

    @property
    def road(self) -> bool:
        """True when travel times come from a road network."""
        return bool(self.attached)

    @property
    def method(self) -> str:
        """``"road"`` or ``"straight_line"``."""
        return "road" if self.road else "straight_line"

    @property
    def line_speed_ms(self) -> dict[str, float]:
        """Straight-line speeds (m/s) per mode, used without a network."""
        return {"walk": self.config.walk_speed_kmh / 3.6,
                "drive": STRAIGHT_LINE_DRIVE_KMH / 3.6}

    def select(self, layers: Iterable[str], statuses: Sequence[str] | None) -> pd.DataFrame:
        """Located rows of ``layers`` (optionally with a status in ``statuses``), flat.

        Adds ``_global`` (point index in the context) and ``_urban`` (urban flag).
        """
        parts = []
        for kind in dict.fromkeys(layers):
            gdf = self.points.frames.get(kind)
            if gdf is None:
                continue
            mask = np.ones(len(gdf), dtype=bool)
            if statuses is not None:
                mask = gdf["status"].isin(list(statuses)).fillna(False).to_numpy(dtype=bool)
            rows = np.flatnonzero(mask)
            part = gdf.iloc[rows].copy()
            part["_global"] = self.points.index(kind, rows)
            part["_urban"] = is_urban(gdf)[rows] if len(gdf) else np.zeros(0, dtype=bool)
            parts.append(part)
        if not parts:
            return pd.DataFrame({"_global": pd.Series(dtype=np.int64),
                                 "_urban": pd.Series(dtype=bool)})
        return pd.concat(parts, ignore_index=True)

    def neighbour_sites(self, layers: Iterable[str], statuses: Sequence[str] | None
                        ) -> pd.DataFrame:
        """Neighbour sites of ``layers`` (optionally with a status in ``statuses``), flat,
        with ``_global``, ``_urban`` (False) and ``cross_border`` (True)."""
        gdf = self.points.frames.get(NEIGHBOUR)
        if gdf is None:
            return pd.DataFrame()
        mask = gdf["kind"].isin(list(dict.fromkeys(layers))).fillna(False).to_numpy(bool)
        if statuses is not None:
            mask = mask & gdf["status"].isin(list(statuses)).fillna(False).to_numpy(dtype=bool)
        rows = np.flatnonzero(mask)
        part = gdf.iloc[rows].copy()
        part["_global"] = self.points.index(NEIGHBOUR, rows)
        part["_urban"] = False
        part["cross_border"] = True
        return part

    def unlocated(self, layers: Iterable[str]) -> pd.DataFrame:
        """Rows of ``layers`` without coordinates."""
        parts = [self.points.unlocated[k] for k in dict.fromkeys(layers)
                 if k in self.points.unlocated and len(self.points.unlocated[k])]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
            columns=["kind", "id", "name", "township_code", "township_name"])

    def service(self, service_id: str) -> ServiceSetup:
        """The sites, demand and thresholds of one ``[[access.services]]`` entry."""
        service = self.config.service(service_id)
        missing = [k for k in (*service.site_layers, *service.demand_layers)
                   if k not in self.region.layers]
        for kind in dict.fromkeys(missing):
            logger.warning("access: the region has no '%s' layer; skipped", kind)
        sites = self.select(service.site_layers, service.site_statuses)
        sites["county_code"] = self.region.code
        sites["cross_border"] = False
        across = self.neighbour_sites(service.site_layers, service.site_statuses)
        if len(across):
            sites = pd.concat([sites, across], ignore_index=True)
        demand = self.select(service.demand_layers, None)
        urban = (demand["_urban"].to_numpy(dtype=bool) if len(demand)
                 else np.zeros(0, dtype=bool))
        modes, minutes = thresholds(service, urban)
        return ServiceSetup(service=service, sites=sites, demand=demand, modes=modes,
                            minutes=minutes, unlocated=self.unlocated(service.demand_layers))
