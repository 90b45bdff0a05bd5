"""Nearest-site times, coverage per township and county, uncovered points, 2SFCA, isochrones.

For every demand point (village, community, school …) and every configured service
(``[[access.services]]``): the straight-line distance and the road time/distance (walk and
drive) to the nearest site, whether the point is covered within the planners' threshold
(urban vs rural, walk or drive), coverage per township and county, the uncovered points
(worst first) and, for staffed sites, 2SFCA ratios.  Results carry codes (``covered``,
``beyond_threshold``, ``unreachable``, ``off_network``, ``no_site``).

Without a road network times are straight line: distance at the walking speed, or at
:data:`~coverage.access.context.STRAIGHT_LINE_DRIVE_KMH` for driving.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage.access._pairs import column, label_of, straight_line, travel_pairs
from coverage.access.context import AccessContext, ServiceSetup
from coverage.access.fca import PER_POPULATION, two_step_fca
from coverage.config import AccessConfig
from coverage.isochrones import isochrone_area
from coverage.network import NetworkFit, nearest_site
from coverage.region import Region

__all__ = ["AccessResult", "ServiceAccess", "compute_access"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceAccess:
    """Access results of one service.

    Attributes
    ----------
    service_id, service_name
        From the configuration.
    points
        One row per demand point (EPSG:4326): ``kind, id, name, township_code,
        township_name, population, urban, mode, threshold_min``; straight line
        ``line_m, line_site_kind, line_site_id``; per profile ``walk_min, walk_m,
        walk_site_kind, walk_site_id`` and ``drive_…`` (NaN without a network, when the
        point is off the network or no site is reachable); ``snap_m, snap_ok`` in the
        threshold's profile; ``time_min`` (in the threshold's mode), ``method``
        (``road``/``straight_line``), ``covered``, ``status`` (``covered``,
        ``beyond_threshold``, ``unreachable``, ``off_network``, ``no_site``),
        ``site_county_code`` (county of the nearest site in the threshold's mode, NA when
        none is reachable), ``cross_border`` (that site is a neighbour county's, see
        :mod:`coverage.access.neighbours`) and ``access_per_100k`` (2SFCA over the county's
        own sites, NaN without a staff column).
    sites
        One row per site of the county (EPSG:4326; neighbour sites are not listed):
        ``kind, id, name, township_code, staff, snap_m, snap_ok, reach_population,
        ratio_per_100k``.
    townships
        Per township: ``township_code, township_name, points, covered_points,
        population, covered_population, covered_share, access_per_100k``
        (population-weighted mean).
    county
        The same figures for the whole county, one row (plus ``unlocated``).
    uncovered
        Demand points not covered, worst first (no route, then longest time; larger
        population first on ties).
    unlocated
        Demand rows without coordinates (未定位): counted in completion rates, not routed
        (``kind, id, name, township_code, township_name`` …); ``townships`` and ``county``
        count them in ``unlocated``.
    """

    service_id: str
    service_name: str
    points: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    townships: pd.DataFrame
    county: pd.DataFrame
    uncovered: pd.DataFrame
    unlocated: pd.DataFrame


@dataclass(frozen=True)
class AccessResult:
    """Results of :func:`compute_access`.

    Attributes
    ----------
    services
        One :class:`ServiceAccess` per configured service, in configuration order.
    isochrones
        Display polygons (EPSG:4326): ``service_id, service_name, mode, minutes,
        area_km2, geometry`` — the area within each threshold of the service's sites.
    road_network
        False when travel times are straight-line estimates.
    network_fit
        How well the road network fits the region (None without a network).
    """

    services: tuple[ServiceAccess, ...]
    isochrones: gpd.GeoDataFrame
    road_network: bool
    network_fit: NetworkFit | None = None

    def service(self, service_id: str) -> ServiceAccess:
        """Return the results of one service (``KeyError`` naming the known ids)."""
        for s in self.services:
            if s.service_id == service_id:
                return s
        raise KeyError(f"no service {service_id!r}; known: {[s.service_id for s in self.services]}")


def _summary(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    pop = frame["population"].fillna(0.0)
    work = pd.DataFrame(
        {
            **{c: frame[c] for c in by},
            "points": 1,
            "covered_points": frame["covered"].astype(int),
            "population": pop,
            "covered_population": pop.where(frame["covered"], 0.0),
            "_weighted": pop * frame["access_per_100k"].fillna(0.0),
            "_has_access": frame["access_per_100k"].notna(),
        }
    )
    grouped = work.groupby(by, dropna=False, sort=True).agg(
        points=("points", "sum"),
        covered_points=("covered_points", "sum"),
        population=("population", "sum"),
        covered_population=("covered_population", "sum"),
        _weighted=("_weighted", "sum"),
        _has_access=("_has_access", "any"),
    )
    grouped = grouped.reset_index()
    with np.errstate(divide="ignore", invalid="ignore"):
        grouped["covered_share"] = np.where(
            grouped["population"] > 0, grouped["covered_population"] / grouped["population"], np.nan
        )
        grouped["access_per_100k"] = np.where(
            grouped["_has_access"] & (grouped["population"] > 0),
            grouped["_weighted"] / grouped["population"],
            np.nan,
        )
    return grouped.drop(columns=["_weighted", "_has_access"])


def _service_access(ctx: AccessContext, setup: ServiceSetup) -> ServiceAccess:
    region, service = ctx.region, setup.service
    sites, demand = setup.sites, setup.demand
    urban, modes, minutes = setup.urban, setup.modes, setup.minutes
    points, attached = ctx.points, ctx.attached
    line_speed_ms = ctx.line_speed_ms

    line_m, line_idx = straight_line(points, sites, demand)
    out = pd.DataFrame(
        {
            "kind": demand.get("kind", pd.Series(dtype="string")),
            "id": demand.get("id", pd.Series(dtype="string")),
            "name": demand.get("name", pd.Series(dtype="string")),
            "township_code": demand.get("township_code", pd.Series(dtype="string")),
            "township_name": demand.get("township_name", pd.Series(dtype="string")),
            "population": column(demand, "population"),
            "urban": urban,
            "mode": pd.Series(modes, dtype="string"),
            "threshold_min": minutes,
            "line_m": line_m,
            "line_site_kind": label_of(sites, line_idx, "kind"),
            "line_site_id": label_of(sites, line_idx, "id"),
        }
    )
    road = bool(attached)
    time_min = np.full(len(demand), np.nan)
    snap_m = np.full(len(demand), np.nan)
    snap_ok = np.ones(len(demand), dtype=bool)
    reachable = np.zeros(len(demand), dtype=bool)
    nearest = np.full(len(demand), -1, dtype=np.int64)  # in the threshold's mode
    s_glob = sites["_global"].to_numpy(dtype=np.int64)
    d_glob = demand["_global"].to_numpy(dtype=np.int64)
    for mode in ("walk", "drive"):
        if mode not in attached:
            for suffix in ("min", "m", "site_kind", "site_id"):
                out[f"{mode}_{suffix}"] = (
                    np.nan
                    if suffix in ("min", "m")
                    else pd.Series([None] * len(out), dtype="string")
                )
            continue
        att = attached[mode]
        near = nearest_site(att.graph, sources=att.node[s_glob], targets=att.node[d_glob])
        finite = np.isfinite(near.time_s)
        out[f"{mode}_min"] = np.where(finite, near.time_s / 60.0, np.nan)
        out[f"{mode}_m"] = np.where(finite, near.dist_m, np.nan)
        out[f"{mode}_site_kind"] = label_of(sites, near.source, "kind")
        out[f"{mode}_site_id"] = label_of(sites, near.source, "id")
        this = modes == mode
        time_min[this] = out[f"{mode}_min"].to_numpy()[this]
        snap_m[this] = att.snap_dist_m[d_glob[this]]
        snap_ok[this] = att.snap_ok[d_glob[this]]
        reachable[this] = finite[this]
        nearest[this] = np.where(finite, near.source, -1)[this]
    if not road:
        speed = np.where(modes == "walk", line_speed_ms["walk"], line_speed_ms["drive"])
        time_min = line_m / speed / 60.0
        reachable = np.isfinite(time_min)
        nearest = line_idx
    out["snap_m"] = snap_m
    out["snap_ok"] = snap_ok
    out["time_min"] = time_min
    out["method"] = "road" if road else "straight_line"
    covered = np.nan_to_num(time_min, nan=np.inf) <= minutes
    out["covered"] = covered
    status = np.where(covered, "covered", "beyond_threshold").astype(object)
    status[~reachable] = "unreachable"
    status[~snap_ok] = "off_network"
    if not len(sites):
        status[:] = "no_site"
    out["status"] = pd.Series(status, dtype="string")
    across = (sites["cross_border"].to_numpy(dtype=bool) if "cross_border" in sites
              else np.zeros(len(sites), dtype=bool))
    out["site_county_code"] = (label_of(sites, nearest, "county_code") if "county_code" in sites
                               else pd.Series([region.code] * len(out), dtype="string"))
    cross = np.zeros(len(out), dtype=bool)
    cross[nearest >= 0] = across[nearest[nearest >= 0]]
    out["cross_border"] = cross

    # the county's own sites: its site table and its 2SFCA
    sites = sites.loc[~across].reset_index(drop=True)
    s_glob = s_glob[~across]
    staff = column(sites, service.staff_column)
    if service.staff_column is not None and len(sites) and len(demand):
        pairs = travel_pairs(attached, points, sites, demand, modes, minutes * 60.0, line_speed_ms)
        fca = two_step_fca(
            pairs, supply=staff, population=out["population"], threshold=minutes * 60.0
        )
        ratio, reach_pop = fca.site_ratio, fca.reach_population
        out["access_per_100k"] = fca.access * PER_POPULATION
    else:
        ratio = np.full(len(sites), np.nan)
        reach_pop = np.full(len(sites), np.nan)
        out["access_per_100k"] = np.nan

    points_gdf = gpd.GeoDataFrame(
        out, geometry=demand.geometry.to_numpy() if len(demand) else [], crs="EPSG:4326"
    )
    site_rows = pd.DataFrame(
        {
            "kind": sites.get("kind", pd.Series(dtype="string")),
            "id": sites.get("id", pd.Series(dtype="string")),
            "name": sites.get("name", pd.Series(dtype="string")),
            "township_code": sites.get("township_code", pd.Series(dtype="string")),
            "staff": staff,
            "reach_population": reach_pop,
            "ratio_per_100k": ratio * PER_POPULATION,
        }
    )
    for mode in ("walk", "drive"):
        if mode in attached:
            site_rows[f"{mode}_snap_m"] = attached[mode].snap_dist_m[s_glob]
            site_rows[f"{mode}_snap_ok"] = attached[mode].snap_ok[s_glob]
    sites_gdf = gpd.GeoDataFrame(
        site_rows, geometry=sites.geometry.to_numpy() if len(sites) else [], crs="EPSG:4326"
    )

    towns = _summary(out, ["township_code", "township_name"])
    listed = region.townships[["code", "name"]].rename(
        columns={"code": "township_code", "name": "township_name"}
    )
    missing = listed[~listed["township_code"].isin(towns["township_code"])]
    if len(missing):
        zeros = missing.assign(points=0, covered_points=0, population=0.0, covered_population=0.0)
        towns = pd.concat([towns, zeros], ignore_index=True)
    towns = towns.sort_values("township_code", kind="stable", ignore_index=True)
    county = _summary(
        out.assign(county_code=region.code, county_name=region.name), ["county_code", "county_name"]
    )

    worst = out.loc[~out["covered"]].copy()
    worst["_order"] = np.nan_to_num(worst["time_min"].to_numpy(dtype=float), nan=np.inf)
    worst = worst.sort_values(
        ["_order", "population"], ascending=[False, False], na_position="last", kind="stable"
    )
    uncovered = worst[
        [
            "kind",
            "id",
            "name",
            "township_code",
            "township_name",
            "population",
            "mode",
            "threshold_min",
            "time_min",
            "line_m",
            "status",
        ]
    ].reset_index(drop=True)
    unlocated = setup.unlocated
    if len(unlocated):
        counts = unlocated.groupby("township_code", dropna=False).size()
        towns["unlocated"] = towns["township_code"].map(counts).fillna(0).astype(int)
    else:
        towns["unlocated"] = 0
    county["unlocated"] = len(unlocated)
    return ServiceAccess(
        service_id=service.id,
        service_name=service.name,
        points=points_gdf,
        sites=sites_gdf,
        townships=towns,
        county=county,
        uncovered=uncovered,
        unlocated=unlocated.reset_index(drop=True),
    )


def _isochrones(ctx: AccessContext, setup: ServiceSetup, buffer_m: float
                ) -> list[dict[str, Any]]:
    """The area within each threshold of the service's sites, clipped to the county."""
    service, sites, points, attached = setup.service, setup.sites, ctx.points, ctx.attached
    if not len(sites):
        return []
    s_glob = sites["_global"].to_numpy(dtype=np.int64)
    county = shapely.union_all(ctx.region.to_metric(ctx.region.county).geometry.to_numpy())
    rows = []
    for thr in dict.fromkeys(
        [(service.urban.mode, service.urban.minutes), (service.rural.mode, service.rural.minutes)]
    ):
        mode, minutes = thr
        limit = minutes * 60.0
        if mode in attached:
            att = attached[mode]
            graph = att.graph
            near = nearest_site(
                graph, sources=att.node[s_glob], targets=np.arange(graph.n_nodes), limit_s=limit
            )
            geom = isochrone_area(graph, near.time_s, limit, clip=county, buffer_m=buffer_m)
        else:
            speed = ctx.line_speed_ms[mode]
            circles = shapely.buffer(
                shapely.points(points.x[s_glob], points.y[s_glob]), limit * speed
            )
            geom = shapely.intersection(shapely.union_all(circles), county)
        rows.append(
            {
                "service_id": service.id,
                "service_name": service.name,
                "mode": mode,
                "minutes": float(minutes),
                "area_km2": float(shapely.area(geom)) / 1e6,
                "geometry": geom,
            }
        )
    return rows


def compute_access(
    region: Region,
    config: AccessConfig,
    *,
    context: AccessContext | None = None,
    isochrone_buffer_m: float = 300.0,
) -> AccessResult:
    """Travel times, coverage and 2SFCA for every configured service.

    Parameters
    ----------
    region
        A :class:`coverage.region.Region` (layers in EPSG:4326, canonical columns).
    config
        The ``[access]`` section (:class:`coverage.config.AccessConfig`).
    context
        The run's :class:`AccessContext` (built from ``region`` and ``config`` when None,
        which reads the road network).
    isochrone_buffer_m
        How far off a reachable road the isochrone area reaches (a short walk), see
        :func:`coverage.isochrones.isochrone_area`; isochrones are for display only.

    Returns
    -------
    AccessResult
    """
    ctx = context if context is not None else AccessContext.build(region, config)
    setups = [ctx.service(s.id) for s in config.services]
    results = tuple(_service_access(ctx, setup) for setup in setups)
    iso_rows = [row for setup in setups for row in _isochrones(ctx, setup, isochrone_buffer_m)]
    columns = ["service_id", "service_name", "mode", "minutes", "area_km2", "geometry"]
    iso = gpd.GeoDataFrame(
        pd.DataFrame(iso_rows, columns=columns), geometry="geometry", crs=region.metric_crs
    ).to_crs("EPSG:4326")
    return AccessResult(services=results, isochrones=iso, road_network=ctx.road,
                        network_fit=ctx.fit)
