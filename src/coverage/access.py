"""Accessibility and coverage of service sites: nearest-site times, coverage, 2SFCA, isochrones.

For every demand point (village, community, school …) and every configured service
(``[[access.services]]``) this module reports the straight-line distance and the road
time/distance (walk and drive) to the nearest site, whether the point is covered within
the planners' threshold (urban vs rural, walk or drive), coverage per township and county,
the uncovered points (worst first) and, for staffed sites, two-step floating catchment
area (2SFCA) ratios.

Numeric core (arrays, sparse matrices): :func:`two_step_fca`, :func:`reachable_lines`.
Geo layer: :func:`compute_access` on a :class:`coverage.region.Region`, and
:func:`write_access_tables`.

Coverage figures always come from travel times; the isochrone polygons are for display.
Without a road network (``[access] network`` absent and no download) times are straight
line: distance at the walking speed, or at :data:`STRAIGHT_LINE_DRIVE_KMH` for driving.
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
import scipy.sparse as sp
import shapely
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree

from coverage._errors import InputError
from coverage.config import AccessConfig, ServiceConfig
from coverage.io import write_csv
from coverage.network import (
    DEFAULT_WALK_SPEED_KMH,
    AttachedPoints,
    Profile,
    RoadGraph,
    attach_points,
    download_networks,
    load_networks,
    nearest_site,
    travel_matrix,
)
from coverage.region import Region, is_urban

__all__ = [
    "STRAIGHT_LINE_DRIVE_KMH",
    "AccessResult",
    "FloatingCatchment",
    "ServiceAccess",
    "SiteDemandMatrix",
    "compute_access",
    "load_graphs",
    "reachable_lines",
    "road_footprint",
    "site_demand_matrix",
    "two_step_fca",
    "write_access_tables",
]

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]

STRAIGHT_LINE_DRIVE_KMH = 25.0
"""Effective straight-line driving speed without a road network: about 35 km/h on the road
divided by a detour factor of 1.4 (typical for rural road networks)."""

PER_POPULATION = 100_000.0
"""2SFCA ratios are staff per this many residents."""


@dataclass(frozen=True)
class FloatingCatchment:
    """2SFCA results (ratios per person).

    Attributes
    ----------
    site_ratio
        ``R_j`` per site; NaN where no population is within reach.
    reach_population
        Population within reach of each site (the step-1 denominator).
    access
        ``A_i`` per demand point; 0 where no site is within reach.
    """

    site_ratio: FloatArray
    reach_population: FloatArray
    access: FloatArray


def two_step_fca(
    times: sp.csr_array,
    *,
    supply: ArrayLike,
    population: ArrayLike,
    threshold: ArrayLike,
) -> FloatingCatchment:
    """Two-step floating catchment area ratios.

    Step 1, per site ``j``: ``R_j = S_j / Σ P_i`` over demand points ``i`` with
    ``t_ji <= threshold_i``. Step 2, per demand point: ``A_i = Σ R_j`` over the same pairs.

    Parameters
    ----------
    times
        Sites × demand travel times (CSR); only stored entries are candidate pairs.
    supply
        ``S_j`` per site (e.g. counsellors); NaN counts as 0.
    population
        ``P_i`` per demand point; NaN counts as 0.
    threshold
        Time threshold per demand point, same unit as ``times``.

    Returns
    -------
    FloatingCatchment
        Ratios per person; multiply by e.g. 100 000 for "per 100 000 residents".
    """
    t = sp.csr_array(times)
    s = np.nan_to_num(np.asarray(supply, dtype=np.float64))
    p = np.nan_to_num(np.asarray(population, dtype=np.float64))
    thr = np.asarray(threshold, dtype=np.float64)
    coo = t.tocoo()
    keep = coo.data <= thr[coo.col]
    rows, cols = coo.row[keep], coo.col[keep]
    reach_pop = np.bincount(rows, weights=p[cols], minlength=t.shape[0]).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(reach_pop > 0, s / reach_pop, np.nan)
    weights = np.nan_to_num(ratio[rows])
    access = np.bincount(cols, weights=weights, minlength=t.shape[1]).astype(np.float64)
    return FloatingCatchment(site_ratio=ratio, reach_population=reach_pop, access=access)


def reachable_lines(graph: RoadGraph, node_time: ArrayLike, limit: float) -> NDArray[np.object_]:
    """Pieces of edges from which a source is reachable within ``limit``.

    Parameters
    ----------
    graph
        Graph with straight edges between node coordinates.
    node_time
        Time from each node to its nearest source (``inf`` if none), e.g. from
        :func:`coverage.network.nearest_site` with all nodes as targets.
    limit
        Time limit, same unit.

    Returns
    -------
    numpy.ndarray
        Shapely LineStrings: for each directed edge ``a -> b`` with ``t_b <= limit``, the
        part of the edge nearer to ``b`` than the remaining time ``limit - t_b``.
    """
    t = np.asarray(node_time, dtype=np.float64)
    u, v, w, _ = graph.edges()
    ok = t[v] <= limit
    u, v, w = u[ok], v[ok], w[ok]
    with np.errstate(divide="ignore", invalid="ignore"):
        start = np.where(w > 0, 1.0 - (limit - t[v]) / w, 0.0)
    start = np.clip(start, 0.0, 1.0)
    x0 = graph.x[u] + start * (graph.x[v] - graph.x[u])
    y0 = graph.y[u] + start * (graph.y[v] - graph.y[u])
    coords = np.stack([np.column_stack([x0, y0]), np.column_stack([graph.x[v], graph.y[v]])], 1)
    return np.asarray(shapely.linestrings(coords), dtype=object)


def road_footprint(
    lines: NDArray[np.object_], *, buffer_m: float, fill_holes_km2: float = 1.0
) -> shapely.Geometry:
    """Display polygon of the area within about ``buffer_m`` of ``lines`` (straight segments).

    A raster footprint instead of a union of buffers (which takes seconds for the tens of
    thousands of road pieces of a county): the segments are sampled every quarter cell,
    marked on a grid of ``buffer_m / 2`` cells, dilated by a disk of ``buffer_m``, turned
    into one polygon with :func:`shapely.coverage_union_all` and simplified by half a cell.
    Holes smaller than ``fill_holes_km2`` (the blocks between reachable roads) are filled, so
    the polygon reads as an area, not a web.  For display only: coverage figures always
    come from travel times.
    """
    if len(lines) == 0:
        return shapely.Polygon()
    cell = buffer_m / 2.0
    c = shapely.get_coordinates(lines).reshape(-1, 2, 2)
    p0, p1 = c[:, 0], c[:, 1]
    n = np.maximum(np.ceil(np.hypot(*(p1 - p0).T) / (cell / 4)).astype(np.int64), 1)
    idx = np.repeat(np.arange(len(c)), n + 1)
    first = np.repeat(np.cumsum(n + 1) - (n + 1), n + 1)
    t = (np.arange(idx.size) - first) / np.repeat(n, n + 1)
    xy = p0[idx] + t[:, None] * (p1 - p0)[idx]
    ij = np.unique(np.floor(xy / cell).astype(np.int64), axis=0)
    r = 2
    disk = np.array([(a, b) for a in range(-r, r + 1) for b in range(-r, r + 1)
                     if a * a + b * b <= r * r])
    ij = np.unique((ij[:, None, :] + disk[None]).reshape(-1, 2), axis=0)
    boxes = shapely.box(ij[:, 0] * cell, ij[:, 1] * cell, (ij[:, 0] + 1) * cell,
                        (ij[:, 1] + 1) * cell)
    merged = shapely.coverage_union_all(boxes)
    polys = []
    for poly in shapely.get_parts(merged):
        holes = [ring for ring in poly.interiors
                 if shapely.Polygon(ring).area > fill_holes_km2 * 1e6]
        polys.append(shapely.Polygon(poly.exterior, holes))
    return shapely.simplify(shapely.MultiPolygon(polys), cell / 2)


# --------------------------------------------------------------------------- results


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
        ``beyond_threshold``, ``unreachable``, ``off_network``, ``no_site``) and
        ``access_per_100k`` (2SFCA, NaN without a staff column).
    sites
        One row per site (EPSG:4326): ``kind, id, name, township_code, staff, snap_m,
        snap_ok, reach_population, ratio_per_100k``.
    townships
        Per township: ``township_code, township_name, points, covered_points,
        population, covered_population, covered_share, access_per_100k``
        (population-weighted mean).
    county
        The same figures for the whole county, one row.
    uncovered
        Demand points not covered, worst first (no route, then longest time; larger
        population first on ties).
    """

    service_id: str
    service_name: str
    points: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    townships: pd.DataFrame
    county: pd.DataFrame
    uncovered: pd.DataFrame


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
    """

    services: tuple[ServiceAccess, ...]
    isochrones: gpd.GeoDataFrame
    road_network: bool

    def service(self, service_id: str) -> ServiceAccess:
        """Return the results of one service (``KeyError`` naming the known ids)."""
        for s in self.services:
            if s.service_id == service_id:
                return s
        raise KeyError(f"no service {service_id!r}; known: {[s.service_id for s in self.services]}")


# --------------------------------------------------------------------------- geo layer


@dataclass(frozen=True)
class _Points:
    """All points of the layers used, stacked: layer kind, row, metric coordinates."""

    kinds: tuple[str, ...]
    offset: Mapping[str, int]
    frames: Mapping[str, gpd.GeoDataFrame]
    x: FloatArray
    y: FloatArray

    def index(self, kind: str, rows: NDArray[np.int64]) -> NDArray[np.int64]:
        return self.offset[kind] + rows


def _stack_points(region: Region, kinds: Iterable[str]) -> _Points:
    frames: dict[str, gpd.GeoDataFrame] = {}
    offset: dict[str, int] = {}
    xs: list[FloatArray] = []
    ys: list[FloatArray] = []
    total = 0
    for kind in dict.fromkeys(kinds):
        if kind not in region.layers:
            logger.warning("access: the region has no '%s' layer; skipped", kind)
            continue
        gdf = region.layers[kind].reset_index(drop=True)
        metric = region.to_metric(gdf)
        frames[kind] = gdf
        offset[kind] = total
        xs.append(np.asarray(metric.geometry.x, dtype=np.float64))
        ys.append(np.asarray(metric.geometry.y, dtype=np.float64))
        total += len(gdf)
    return _Points(
        kinds=tuple(frames),
        offset=offset,
        frames=frames,
        x=np.concatenate(xs) if xs else np.zeros(0),
        y=np.concatenate(ys) if ys else np.zeros(0),
    )


def _select(
    points: _Points, layers: Iterable[str], statuses: tuple[str, ...] | None
) -> pd.DataFrame:
    """Rows of ``layers`` (optionally with status in ``statuses``) as a flat table."""
    parts = []
    for kind in layers:
        if kind not in points.frames:
            continue
        gdf = points.frames[kind]
        mask = np.ones(len(gdf), dtype=bool)
        if statuses is not None:
            mask = gdf["status"].isin(statuses).fillna(False).to_numpy(dtype=bool)
        rows = np.flatnonzero(mask)
        part = gdf.iloc[rows].copy()
        part["_global"] = points.index(kind, rows)
        part["_urban"] = is_urban(gdf)[rows] if len(gdf) else np.zeros(0, dtype=bool)
        parts.append(part)
    if not parts:
        return pd.DataFrame({"_global": pd.Series(dtype=np.int64)})
    return pd.concat(parts, ignore_index=True)


def _column(frame: pd.DataFrame, name: str | None) -> FloatArray:
    if name is None or name not in frame:
        return np.full(len(frame), np.nan)
    return np.asarray(pd.to_numeric(frame[name], errors="coerce"), dtype=np.float64)


def load_graphs(
    region: Region, config: AccessConfig, profiles: Iterable[str] | None = None
) -> dict[str, RoadGraph]:
    """Read (or download, when configured) the road graph once per travel profile.

    Returns an empty mapping when the configuration names no network: travel times are then
    straight-line estimates.  Pass the result to :func:`compute_access` and
    :func:`site_demand_matrix` so the file is parsed once per run.
    """
    if profiles is None:
        profiles = {t.mode for s in config.services for t in (s.urban, s.rural)}
    crs = region.to_metric(region.county.iloc[:1]).crs
    kwargs: dict[str, Any] = {
        "crs": crs,
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


def _straight_line(
    points: _Points, sites: pd.DataFrame, demand: pd.DataFrame
) -> tuple[FloatArray, NDArray[np.int64]]:
    if not len(sites) or not len(demand):
        return np.full(len(demand), np.nan), np.full(len(demand), -1, dtype=np.int64)
    s = sites["_global"].to_numpy()
    d = demand["_global"].to_numpy()
    tree = cKDTree(np.column_stack([points.x[s], points.y[s]]))
    dist, idx = tree.query(np.column_stack([points.x[d], points.y[d]]))
    return np.asarray(dist, dtype=np.float64), np.asarray(idx, dtype=np.int64)


def _label(sites: pd.DataFrame, idx: NDArray[np.int64], column: str) -> pd.Series:
    values = sites[column].to_numpy(dtype=object) if len(sites) else np.zeros(0, dtype=object)
    out = np.full(len(idx), None, dtype=object)
    ok = idx >= 0
    out[ok] = values[idx[ok]]
    return pd.Series(out, dtype="string")


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


def _travel_pairs(
    attached: Mapping[str, AttachedPoints],
    points: _Points,
    sites: pd.DataFrame,
    demand: pd.DataFrame,
    modes: NDArray[np.object_],
    threshold_s: FloatArray,
    line_speed_ms: Mapping[str, float],
) -> sp.csr_array:
    """Sites × demand times (s) within each demand point's threshold, per its mode."""
    shape = (len(sites), len(demand))
    blocks = []
    for mode in ("walk", "drive"):
        cols = np.flatnonzero(modes == mode)
        if not cols.size or not len(sites):
            continue
        limit = float(threshold_s[cols].max())
        s_glob = sites["_global"].to_numpy()
        d_glob = demand["_global"].to_numpy()[cols]
        if mode in attached:
            att = attached[mode]
            mat = travel_matrix(
                att.graph, sources=att.node[s_glob], targets=att.node[d_glob], limit_s=limit,
                with_distance=False,
            ).time_s.tocoo()
            r, c, t = mat.row, mat.col, mat.data
        else:
            tree_s = cKDTree(np.column_stack([points.x[s_glob], points.y[s_glob]]))
            tree_d = cKDTree(np.column_stack([points.x[d_glob], points.y[d_glob]]))
            dm = tree_s.sparse_distance_matrix(
                tree_d, limit * line_speed_ms[mode], output_type="ndarray"
            )  # keeps zero distances (a site at the demand point)
            r, c, t = dm["i"], dm["j"], dm["v"] / line_speed_ms[mode]
        blocks.append((np.asarray(r), cols[np.asarray(c, dtype=np.int64)], np.asarray(t)))
    if not blocks:
        return sp.csr_array(shape)
    r = np.concatenate([b[0] for b in blocks])
    c = np.concatenate([b[1] for b in blocks])
    t = np.concatenate([b[2] for b in blocks])
    return sp.csr_array(sp.coo_array((t, (r, c)), shape=shape).tocsr(copy=False))


def _service_access(
    region: Region,
    service: ServiceConfig,
    points: _Points,
    attached: Mapping[str, AttachedPoints],
    walk_speed_kmh: float,
) -> ServiceAccess:
    sites = _select(points, service.site_layers, tuple(service.site_statuses))
    demand = _select(points, service.demand_layers, None)
    urban = demand["_urban"].to_numpy(dtype=bool) if len(demand) else np.zeros(0, dtype=bool)
    modes = np.where(urban, service.urban.mode, service.rural.mode).astype(object)
    minutes = np.where(urban, service.urban.minutes, service.rural.minutes).astype(float)
    line_speed_ms = {"walk": walk_speed_kmh / 3.6, "drive": STRAIGHT_LINE_DRIVE_KMH / 3.6}

    line_m, line_idx = _straight_line(points, sites, demand)
    out = pd.DataFrame(
        {
            "kind": demand.get("kind", pd.Series(dtype="string")),
            "id": demand.get("id", pd.Series(dtype="string")),
            "name": demand.get("name", pd.Series(dtype="string")),
            "township_code": demand.get("township_code", pd.Series(dtype="string")),
            "township_name": demand.get("township_name", pd.Series(dtype="string")),
            "population": _column(demand, "population"),
            "urban": urban,
            "mode": pd.Series(modes, dtype="string"),
            "threshold_min": minutes,
            "line_m": line_m,
            "line_site_kind": _label(sites, line_idx, "kind"),
            "line_site_id": _label(sites, line_idx, "id"),
        }
    )
    road = bool(attached)
    time_min = np.full(len(demand), np.nan)
    snap_m = np.full(len(demand), np.nan)
    snap_ok = np.ones(len(demand), dtype=bool)
    reachable = np.zeros(len(demand), dtype=bool)
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
        out[f"{mode}_site_kind"] = _label(sites, near.source, "kind")
        out[f"{mode}_site_id"] = _label(sites, near.source, "id")
        this = modes == mode
        time_min[this] = out[f"{mode}_min"].to_numpy()[this]
        snap_m[this] = att.snap_dist_m[d_glob[this]]
        snap_ok[this] = att.snap_ok[d_glob[this]]
        reachable[this] = finite[this]
    if not road:
        speed = np.where(modes == "walk", line_speed_ms["walk"], line_speed_ms["drive"])
        time_min = line_m / speed / 60.0
        reachable = np.isfinite(time_min)
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

    staff = _column(sites, service.staff_column)
    if service.staff_column is not None and len(sites) and len(demand):
        pairs = _travel_pairs(attached, points, sites, demand, modes, minutes * 60.0, line_speed_ms)
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
    return ServiceAccess(
        service_id=service.id,
        service_name=service.name,
        points=points_gdf,
        sites=sites_gdf,
        townships=towns,
        county=county,
        uncovered=uncovered,
    )


def _isochrones(
    service: ServiceConfig,
    points: _Points,
    attached: Mapping[str, AttachedPoints],
    walk_speed_kmh: float,
    buffer_m: float,
) -> list[dict[str, Any]]:
    sites = _select(points, service.site_layers, tuple(service.site_statuses))
    if not len(sites):
        return []
    s_glob = sites["_global"].to_numpy(dtype=np.int64)
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
            lines = reachable_lines(graph, near.time_s, limit)
            geom = road_footprint(lines, buffer_m=buffer_m)
        else:
            speed = (walk_speed_kmh if mode == "walk" else STRAIGHT_LINE_DRIVE_KMH) / 3.6
            circles = shapely.buffer(
                shapely.points(points.x[s_glob], points.y[s_glob]), limit * speed
            )
            geom = shapely.union_all(circles)
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
    graphs: Mapping[str, RoadGraph] | None = None,
    isochrone_buffer_m: float = 200.0,
) -> AccessResult:
    """Travel times, coverage and 2SFCA for every configured service.

    Parameters
    ----------
    region
        A :class:`coverage.region.Region` (layers in EPSG:4326, canonical columns).
    config
        The ``[access]`` configuration (:class:`coverage.config.AccessConfig`).
    graphs
        Road graphs per profile (``"walk"``, ``"drive"``) in the region's metric CRS; when
        None they are read from ``config.network`` (or downloaded when
        ``config.download``), and without either, times are straight-line estimates.
    isochrone_buffer_m
        Half-width of the reachable road pieces drawn as isochrone polygons.

    Returns
    -------
    AccessResult
    """
    services = tuple(config.services)
    kinds = [k for s in services for k in (*s.site_layers, *s.demand_layers)]
    points = _stack_points(region, kinds)
    profiles = {t.mode for s in services for t in (s.urban, s.rural)}
    bad = profiles - {"walk", "drive"}
    if bad:
        raise InputError.single(
            "unknown travel mode",
            column="access.services",
            value=sorted(bad),
            fix='use mode = "walk" or "drive"',
        )
    if graphs is None:
        graphs = load_graphs(region, config, profiles)
    attached: dict[str, AttachedPoints] = {
        profile: attach_points(
            graph,
            points.x,
            points.y,
            snap_limit_m=config.snap_limit_m,
            walk_speed_kmh=config.walk_speed_kmh or DEFAULT_WALK_SPEED_KMH,
        )
        for profile, graph in graphs.items()
        if profile in profiles
    }
    results = tuple(
        _service_access(region, s, points, attached, config.walk_speed_kmh) for s in services
    )
    metric_crs = region.to_metric(region.county.iloc[:1]).crs
    iso_rows = [
        row
        for s in services
        for row in _isochrones(s, points, attached, config.walk_speed_kmh, isochrone_buffer_m)
    ]
    columns = ["service_id", "service_name", "mode", "minutes", "area_km2", "geometry"]
    iso = gpd.GeoDataFrame(
        pd.DataFrame(iso_rows, columns=columns), geometry="geometry", crs=metric_crs
    ).to_crs("EPSG:4326")
    return AccessResult(services=results, isochrones=iso, road_network=bool(attached))


def write_access_tables(result: AccessResult, out_dir: str | Path) -> list[Path]:
    """Write the access tables as CSV (UTF-8 with BOM, atomic) and return their paths.

    Files: ``access_points.csv`` (every demand point × service, with lon/lat),
    ``access_sites.csv``, ``access_townships.csv``, ``access_county.csv``,
    ``access_uncovered.csv``; each has ``service_id`` and ``service_name`` first.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    def tagged(s: ServiceAccess, frame: pd.DataFrame) -> pd.DataFrame:
        if isinstance(frame, gpd.GeoDataFrame):
            geom = frame.geometry
            frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
            frame["lon"] = geom.x.to_numpy() if len(geom) else []
            frame["lat"] = geom.y.to_numpy() if len(geom) else []
        return frame.assign(service_id=s.service_id, service_name=s.service_name)[
            ["service_id", "service_name", *frame.columns]
        ]

    tables = {
        "access_points.csv": [tagged(s, s.points) for s in result.services],
        "access_sites.csv": [tagged(s, s.sites) for s in result.services],
        "access_townships.csv": [tagged(s, s.townships) for s in result.services],
        "access_county.csv": [tagged(s, s.county) for s in result.services],
        "access_uncovered.csv": [tagged(s, s.uncovered) for s in result.services],
    }
    written = []
    for name, frames in tables.items():
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        written.append(write_csv(frame, out / name))
    return written


@dataclass(frozen=True)
class SiteDemandMatrix:
    """Demand × site travel times of one service, for the optimizer.

    Attributes
    ----------
    demand
        One row per demand point: ``kind, id, name, township_code, township_name,
        population, urban, mode, threshold_min, geometry`` (EPSG:4326).
    sites
        Existing sites first, then candidates: ``kind, id, name, township_code,
        township_name, status, existing, candidate, cost, geometry``.
    time_min
        Demand × site minutes within ``max_minutes`` in each demand point's travel mode
        (stored entries only; a stored 0.0 is "at the same place").
    covers
        Demand × site booleans: within the demand point's own threshold.
    method
        ``"road"`` or ``"straight_line"``.
    """

    demand: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    time_min: sp.csr_array
    covers: sp.csr_array
    method: str


def site_demand_matrix(
    region: Region,
    config: AccessConfig,
    *,
    service_id: str,
    candidate_layers: Sequence[str],
    candidate_statuses: Sequence[str],
    graphs: Mapping[str, RoadGraph] | None = None,
    max_minutes: float | None = None,
) -> SiteDemandMatrix:
    """Travel times from every demand point to every existing and candidate site.

    Existing sites are the service's ``site_layers`` with a status in ``site_statuses``;
    candidates are the points of ``candidate_layers`` whose status is in
    ``candidate_statuses`` (a village without a room can build one).

    Parameters
    ----------
    region, config
        The region and its ``[access]`` configuration.
    service_id
        Which ``[[access.services]]`` entry.
    candidate_layers, candidate_statuses
        Where new sites may go.
    graphs
        Road graphs per profile (from :func:`load_graphs`); None reads them from the config.
    max_minutes
        Cut-off of the stored times (default ``config.max_minutes``, at least every threshold).
    """
    service = next((s for s in config.services if s.id == service_id), None)
    if service is None:
        raise InputError.single(
            f"unknown service '{service_id}'", column="optimize.service",
            fix="use one of: " + ", ".join(s.id for s in config.services),
        )
    kinds = [*service.demand_layers, *service.site_layers, *candidate_layers]
    points = _stack_points(region, kinds)
    profiles = {service.urban.mode, service.rural.mode}
    if graphs is None:
        graphs = load_graphs(region, config, profiles)
    attached: dict[str, AttachedPoints] = {
        p: attach_points(g, points.x, points.y, snap_limit_m=config.snap_limit_m,
                         walk_speed_kmh=config.walk_speed_kmh or DEFAULT_WALK_SPEED_KMH)
        for p, g in graphs.items() if p in profiles
    }
    existing = _select(points, service.site_layers, tuple(service.site_statuses))
    existing["existing"], existing["candidate"] = True, False
    cand = _select(points, candidate_layers, tuple(candidate_statuses))
    cand = cand[~cand["_global"].isin(existing["_global"])] if len(existing) else cand
    cand["existing"], cand["candidate"] = False, True
    sites = pd.concat([existing, cand], ignore_index=True)
    demand = _select(points, service.demand_layers, None)
    urban = demand["_urban"].to_numpy(dtype=bool) if len(demand) else np.zeros(0, dtype=bool)
    modes = np.where(urban, service.urban.mode, service.rural.mode).astype(object)
    minutes = np.where(urban, service.urban.minutes, service.rural.minutes).astype(float)
    cutoff = max(float(max_minutes or config.max_minutes), float(minutes.max(initial=0.0)))
    line_speed_ms = {"walk": config.walk_speed_kmh / 3.6, "drive": STRAIGHT_LINE_DRIVE_KMH / 3.6}
    pairs = _travel_pairs(attached, points, sites, demand, modes,
                          np.full(len(demand), cutoff * 60.0), line_speed_ms)
    t = sp.csr_array(pairs.T.tocsr())
    t.data = t.data / 60.0
    t_coo = t.tocoo()
    ok = t_coo.data <= minutes[t_coo.row] + 1e-9
    covers = sp.csr_array(
        (np.ones(int(ok.sum()), dtype=bool), (t_coo.row[ok], t_coo.col[ok])), shape=t.shape)

    def frame(df: pd.DataFrame, cols: list[str]) -> gpd.GeoDataFrame:
        keep = [c for c in cols if c in df.columns]
        geom = df["geometry"] if "geometry" in df else gpd.GeoSeries([], crs="EPSG:4326")
        return gpd.GeoDataFrame(df[keep].reset_index(drop=True), geometry=list(geom),
                                crs="EPSG:4326")

    demand_out = frame(demand, ["kind", "id", "name", "township_code", "township_name",
                                "population", "status"])
    demand_out["population"] = _column(demand, "population")
    demand_out["urban"] = urban
    demand_out["mode"] = pd.Series(modes, dtype="string")
    demand_out["threshold_min"] = minutes
    sites_out = frame(sites, ["kind", "id", "name", "township_code", "township_name", "status",
                              "existing", "candidate"])
    sites_out["cost"] = _column(sites, "cost")
    return SiteDemandMatrix(demand=demand_out, sites=sites_out, time_min=t, covers=covers,
                            method="road" if attached else "straight_line")
