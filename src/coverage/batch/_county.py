"""What a worker does for one county: survey it, or run it into its output folder.

Both functions take a small frozen job (paths and a few settings: the worker reads the
county's files itself) and return a small frozen outcome; neither raises for a county's own
problems: bad input becomes a ``failed`` outcome carrying the full problem list, so one county
never stops the others.  Anything else (a bug, a full disk) is raised, and Dask retries it.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from coverage.batch._manifest import SUMMARY, write_manifest
from coverage.config import RegionConfig, load_config, parse_config
from coverage.outputs import write_json
from coverage.problems import InputError, Problem

__all__ = ["CountyJob", "CountyOutcome", "SurveyOutcome", "county_config", "read_summary",
           "run_county", "survey_county"]

#: columns of a county's built sites that other counties' access may use (plus geometry)
SITE_COLUMNS = ("county_code", "kind", "id", "name", "status", "township_code")


@dataclass(frozen=True)
class CountyJob:
    """One county's work, as the worker receives it (paths, not data)."""

    code: str
    name: str
    config: Path
    out: Path
    fingerprint: str = ""
    preset: str | None = None
    light: bool = False
    roads: Path | None = None
    buffer_km: float = 10.0
    cache_dir: Path | None = None
    outline_wkt: str | None = None
    neighbour_sites: gpd.GeoDataFrame | None = None
    #: called on the worker with the county code before the county runs (instrumentation
    #: and fault-injection tests)
    hook: Callable[[str], None] | None = None


@dataclass(frozen=True)
class CountyOutcome:
    """What came back from one county.

    ``status`` is a code: ``done``, ``skipped`` (its folder was up to date) or ``failed``;
    ``problems`` is the county's full problem list when its input was bad; ``error`` a
    one-line message when something else went wrong.
    """

    code: str
    name: str
    status: str
    out_dir: Path | None = None
    problems: tuple[Problem, ...] = ()
    error: str = ""
    seconds: float = 0.0
    peak_memory_mb: float = 0.0
    worker: str = ""
    suggest_feasible: bool | None = None
    cross_border_points: int = 0
    warnings: int = 0


@dataclass(frozen=True)
class SurveyOutcome:
    """A county's outline (WGS84 WKT) and built sites, or the problems that stop it."""

    code: str
    outline_wkt: str | None = None
    sites: gpd.GeoDataFrame | None = None
    problems: tuple[Problem, ...] = ()


def county_config(path: Path, *, preset: str | None = None, network: Path | None = None
                  ) -> RegionConfig:
    """A county's region config with the batch's overrides (target preset, road file)."""
    cfg = load_config(path)
    if preset is None and network is None:
        return cfg
    raw: dict[str, Any] = json.loads(json.dumps(dict(cfg.raw), default=str))
    if preset is not None:
        raw.setdefault("targets", {})["preset"] = preset
    if network is not None:
        raw.setdefault("access", {})["network"] = str(network)
    return parse_config(raw, base_dir=cfg.base_dir, path=cfg.path)


def _peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _worker() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return f"pid {os.getpid()}"


def survey_county(config: Path, *, code: str, preset: str | None = None) -> SurveyOutcome:
    """Load a county and return its outline and built sites (for its neighbours' access)."""
    from coverage.access.neighbours import region_sites
    from coverage.load import load_region

    try:
        cfg = county_config(config, preset=preset)
        region = load_region(cfg)
    except InputError as exc:
        return SurveyOutcome(code=code, problems=tuple(exc.problems))
    outline = shapely.union_all(region.county.to_crs(4326).geometry.to_numpy())
    sites = region_sites(region)
    return SurveyOutcome(code=code, outline_wkt=outline.wkt, sites=sites)


def run_county(job: CountyJob) -> CountyOutcome:
    """Run one county into ``job.out`` (the whole pipeline), then its summary and manifest."""
    from coverage.pipeline import run

    if job.hook is not None:
        job.hook(job.code)
    t0 = time.perf_counter()
    try:
        network = _clipped_roads(job)
        cfg = county_config(job.config, preset=job.preset, network=network)
        job.out.parent.mkdir(parents=True, exist_ok=True)
        result = run(cfg, out=job.out, overwrite=True, light=job.light,
                     neighbour_sites=job.neighbour_sites)
    except InputError as exc:
        return CountyOutcome(code=job.code, name=job.name, status="failed",
                             problems=tuple(exc.problems),
                             seconds=round(time.perf_counter() - t0, 2),
                             peak_memory_mb=round(_peak_mb(), 1), worker=_worker())
    summary = county_summary(result)
    write_json(summary, result.out_dir / SUMMARY)
    write_manifest(result.out_dir, code=job.code, fingerprint=job.fingerprint)
    cross = int(summary["cross_border_points"])
    return CountyOutcome(
        code=job.code, name=result.region.name, status="done", out_dir=result.out_dir,
        seconds=round(time.perf_counter() - t0, 2), peak_memory_mb=round(_peak_mb(), 1),
        worker=_worker(), suggest_feasible=bool(result.suggestion.feasible),
        cross_border_points=cross, warnings=len(result.region.problems))


def _clipped_roads(job: CountyJob) -> Path | None:
    """The batch's road file clipped to the county and its buffer (cached), or None."""
    if job.roads is None:
        return None
    from coverage.roads_clip import clip_roads

    if job.outline_wkt is None:
        raise InputError.single(
            "the county's outline is unknown, so the road file cannot be clipped",
            file=str(job.config), fix="give the county a county-level boundary ([[admin]])")
    return clip_roads(job.roads, shapely.from_wkt(job.outline_wkt),
                      buffer_m=job.buffer_km * 1000, cache_dir=job.cache_dir or
                      job.out.parent / ".roads")


# ----------------------------------------------------------------- the county's summary

_GAP_COLUMNS = ("indicator_id", "indicator_name", "kind", "scope", "unit_level", "unit_code",
                "unit_name", "numerator", "denominator", "rate", "target", "per", "met",
                "shortfall", "shortfall_unit", "binding", "status")
_POINT_COLUMNS = ("service_id", "service_name", "kind", "id", "name", "township_code",
                  "township_name", "population", "covered", "status", "time_min")
_SITE_COLUMNS = ("rank", "phase", "id", "name", "kind", "township_code", "township_name",
                 "status", "reason", "gain_population", "lon", "lat")


def _records(df: pd.DataFrame, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    keep = [c for c in columns if c in df.columns]
    frame = pd.DataFrame(df[keep]).astype(object)
    return json.loads(frame.to_json(orient="records", force_ascii=False, default_handler=str))


def county_summary(result: Any) -> dict[str, Any]:
    """The small tables the city roll-up needs, in codes (a :class:`RunResult` in)."""
    gaps = result.gaps.table
    points: list[dict[str, Any]] = []
    cross = 0
    for svc in result.access.services:
        pts = svc.points
        if "cross_border" in pts:  # covered by a site of another county
            served = pts["cross_border"].fillna(False).astype(bool) & pts["covered"].astype(bool)
            cross = max(cross, int(served.sum()))
        rows = _records(pts.assign(service_id=svc.service_id, service_name=svc.service_name),
                        (*_POINT_COLUMNS, "cross_border"))
        points.extend(rows)
    sites = result.suggestion.sites
    if len(sites) and "lon" not in sites.columns:
        ll = sites.to_crs(4326).geometry
        sites = sites.assign(lon=ll.x, lat=ll.y)
    region = result.region
    outline = shapely.union_all(region.county.to_crs(4326).geometry.to_numpy())
    return {
        "county_code": region.code,
        "county_name": region.name,
        "outline_wkt": shapely.simplify(outline, 0.0005).wkt,
        "preset": result.gaps.preset.id,
        "gaps": _records(gaps[gaps["unit_level"].isin(["county", "township"])], _GAP_COLUMNS),
        "access_points": points,
        "suggested_sites": _records(pd.DataFrame(sites.drop(columns=sites.geometry.name)),
                                    _SITE_COLUMNS),
        "suggest_feasible": bool(result.suggestion.feasible),
        "cross_border_points": cross,
    }


def read_summary(folder: Path) -> Mapping[str, Any]:
    """A county's summary as written by :func:`run_county`."""
    data: dict[str, Any] = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
    return data

