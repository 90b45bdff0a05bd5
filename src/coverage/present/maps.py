"""What the maps show of a run: :class:`~coverage.maps.MapLayers` from the stage results."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from coverage.access import AccessResult
from coverage.config import MapConfig
from coverage.maps import MapInfo, MapLayers
from coverage.reference import ReferenceLayers
from coverage.region import Region
from coverage.suggest import SuggestResult
from coverage.targets import GapResult

__all__ = ["headline_indicator", "map_layers", "rate_frames"]


def headline_indicator(gaps: GapResult) -> str | None:
    """The indicator maps colour townships by and reports lead with.

    The preset's room indicator (:meth:`~coverage.targets.TargetPreset.room_indicator`,
    the one the suggest stage uses by default) when it has data, else the first rate
    indicator with data.
    """
    t = gaps.table
    rows = t[(t["unit_level"] == "township") & (t["kind"] == "rate")
             & (t["status"] != "no_data")]
    if rows.empty:
        return None
    room = gaps.preset.room_indicator()
    if room is not None and room.id in set(rows["indicator_id"]):
        return room.id
    return str(rows["indicator_id"].iloc[0])


def rate_frames(gaps: GapResult) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """Township rows of every rate indicator, and the county row of every indicator."""
    t = gaps.table
    towns = t[(t["unit_level"] == "township") & (t["kind"] == "rate")]
    cols = ["indicator_id", "indicator_name", "rate", "target", "numerator", "denominator",
            "shortfall", "status", "citation", "unlocated"]
    town = None
    if len(towns):
        town = pd.DataFrame({"township_code": towns["unit_code"].astype(str).to_numpy(),
                             **{c: towns[c].to_numpy() for c in cols}})
        for c in ("rate", "target"):
            town[c] = pd.to_numeric(town[c], errors="coerce")
    county_rows = t[t["unit_level"] == "county"]
    county = pd.DataFrame({c: county_rows[c].to_numpy() for c in ["kind", *cols]})
    for c in ("rate", "target"):
        county[c] = pd.to_numeric(county[c], errors="coerce")
    return town, county


def map_layers(region: Region, gaps: GapResult | None, access: AccessResult | None,
               suggestion: SuggestResult | None, *, config: MapConfig | None = None,
               reference: ReferenceLayers | None = None) -> MapLayers:
    """Assemble the maps' inputs from the stage results and the ``[map]`` section.

    ``reference`` holds the roads, water and place names read from the run's own OSM file
    (:func:`coverage.reference.reference_layers_from_osm`), drawn under everything.
    """
    rates = county = None
    headline = None
    room_kinds: tuple[str, ...] = ("village", "community")
    if gaps is not None:
        rates, county = rate_frames(gaps)
        headline = headline_indicator(gaps)
        if headline is not None:
            den = gaps.preset.indicator(headline).denominator
            if den is not None and den.layers:
                room_kinds = tuple(den.layers)
    demand = isochrones = None
    if access is not None and access.services:
        svc = access.services[0]
        pts = svc.points.copy()
        pts["service_name"] = svc.service_name
        pts["dist_m"] = pts["walk_m"].where(pts["mode"] == "walk", pts["drive_m"])
        pts["access_status"] = pts["status"]
        demand = gpd.GeoDataFrame(pts, geometry="geometry", crs="EPSG:4326")
        isochrones = access.isochrones
    suggestions = None
    if suggestion is not None and len(suggestion.sites):
        from coverage.present.suggest import explanations

        suggestions = suggestion.sites.copy()
        suggestions["explanation"] = explanations(suggestion)
    title = config.title if config is not None else ""
    ref = reference
    return MapLayers(region=region, info=MapInfo.for_region(region, title=title or None),
                     township_rates=rates, headline_indicator=headline, county_rates=county,
                     demand=demand, isochrones=isochrones, suggestions=suggestions,
                     roads=ref.roads if ref is not None and len(ref.roads) else None,
                     water=ref.water if ref is not None and len(ref.water) else None,
                     places=ref.places if ref is not None and len(ref.places) else None,
                     room_kinds=room_kinds)
