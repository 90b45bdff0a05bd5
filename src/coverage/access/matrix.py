"""Demand × site travel-time and coverage matrices for the optimiser (a view of the context)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from coverage.access._pairs import column, travel_pairs
from coverage.access.context import AccessContext

__all__ = ["SiteDemandMatrix", "site_demand_matrix"]


@dataclass(frozen=True)
class SiteDemandMatrix:
    """Demand × site travel times of one service, for the optimizer.

    Attributes
    ----------
    demand
        One row per demand point: ``kind, id, name, township_code, township_name,
        population, urban, mode, threshold_min, geometry`` (EPSG:4326).
    sites
        Existing sites first (the county's own, then the neighbour counties' ones of a
        batch run), then candidates: ``kind, id, name, township_code, township_name,
        status, existing, candidate, cross_border, county_code, cost, geometry``.
    time_min
        Demand × site minutes within ``max_minutes`` in each demand point's travel mode
        (stored entries only; a stored 0.0 is "at the same place").
    covers
        Demand × site booleans: within the demand point's own threshold.
    method
        ``"road"`` or ``"straight_line"``.
    unlocated
        Demand rows without coordinates, left out of the matrices (they are counted in the
        completion rates).
    """

    demand: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    time_min: sp.csr_array
    covers: sp.csr_array
    method: str
    unlocated: pd.DataFrame = field(default_factory=pd.DataFrame)


def site_demand_matrix(
    context: AccessContext,
    *,
    service_id: str,
    candidate_layers: Sequence[str],
    candidate_statuses: Sequence[str],
    max_minutes: float | None = None,
    extra_candidates: Sequence[str] = (),
) -> SiteDemandMatrix:
    """Travel times from every demand point to every existing and candidate site.

    Existing sites are the service's ``site_layers`` with a status in ``site_statuses``;
    candidates are the located points of ``candidate_layers`` whose status is in
    ``candidate_statuses`` (a village without a room can build one).

    Parameters
    ----------
    context
        The run's :class:`AccessContext` (points already attached to the graphs).
    service_id
        Which ``[[access.services]]`` entry.
    candidate_layers, candidate_statuses
        Where new sites may go.
    max_minutes
        Cut-off of the stored times (default ``[access] max_minutes``, at least every
        threshold).
    extra_candidates
        Ids of the planner's added candidates (``service_site`` points not yet built, see
        ``[[optimize.extra_candidates]]``): candidates whatever ``candidate_layers`` says.
    """
    setup = context.service(service_id)
    points, attached = context.points, context.attached
    existing = setup.sites.copy()
    existing["existing"], existing["candidate"] = True, False
    cand = context.select(candidate_layers, tuple(candidate_statuses))
    if extra_candidates:
        added = context.select(["service_site"], ("none",))
        added = added[added["id"].isin(list(extra_candidates))
                      & ~added["_global"].isin(cand["_global"])]
        cand = pd.concat([cand, added], ignore_index=True) if len(cand) else added
    cand = cand[~cand["_global"].isin(existing["_global"])] if len(existing) else cand
    cand["existing"], cand["candidate"] = False, True
    sites = pd.concat([existing, cand], ignore_index=True)
    demand, urban, modes, minutes = setup.demand, setup.urban, setup.modes, setup.minutes
    cutoff = max(float(max_minutes or context.config.max_minutes),
                 float(minutes.max(initial=0.0)))
    pairs = travel_pairs(attached, points, sites, demand, modes,
                         np.full(len(demand), cutoff * 60.0), context.line_speed_ms)
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
    demand_out["population"] = column(demand, "population")
    demand_out["urban"] = urban
    demand_out["mode"] = pd.Series(modes, dtype="string")
    demand_out["threshold_min"] = minutes
    sites["cross_border"] = sites["cross_border"].eq(True).to_numpy(dtype=bool)
    sites["county_code"] = sites["county_code"].where(sites["county_code"].notna(),
                                                      context.region.code)
    sites_out = frame(sites, ["kind", "id", "name", "township_code", "township_name", "status",
                              "existing", "candidate", "cross_border", "county_code"])
    sites_out["cost"] = column(sites, "cost")
    return SiteDemandMatrix(demand=demand_out, sites=sites_out, time_min=t, covers=covers,
                            method=context.method, unlocated=setup.unlocated)
