"""The first pass of a batch: each county's outline and built sites, cached.

Cross-border service needs, before any county runs, the built sites of the *other* counties
near its border; clipping one road file per county needs its outline.  Both come from loading
each county once (a Dask task per county, :func:`~coverage.batch._county.survey_county`); the
result is cached in ``OUT/.batch/survey/CODE.json`` under the county's inputs fingerprint, so
a rerun with unchanged inputs loads nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from coverage.batch._county import SurveyOutcome, survey_county
from coverage.batch.config import BatchConfig
from coverage.outputs import write_json
from coverage.present import city as p_city
from coverage.problems import Problem

__all__ = ["Surveys", "neighbour_sites", "site_fingerprint", "survey_all"]


@dataclass
class Surveys:
    """The cached surveys of a batch folder."""

    folder: Path

    def _path(self, code: str) -> Path:
        return self.folder / f"{code}.json"

    def get(self, code: str, inputs_fp: str) -> SurveyOutcome | None:
        """The county's survey when it was made from these inputs (else None)."""
        try:
            data = json.loads(self._path(code).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if data.get("fingerprint") != inputs_fp:
            return None
        feats = data.get("sites") or {"features": []}
        sites = (gpd.GeoDataFrame.from_features(feats, crs=4326) if feats["features"]
                 else None)
        problems = tuple(Problem(**p) for p in data.get("problems") or ())
        return SurveyOutcome(code=code, outline_wkt=data.get("outline_wkt"), sites=sites,
                             problems=problems)

    def put(self, outcome: SurveyOutcome, inputs_fp: str) -> None:
        """Cache a county's survey (also its problems: unchanged inputs fail the same way,
        so a rerun need not load them again)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        sites = (json.loads(outcome.sites.to_json(drop_id=True))
                 if outcome.sites is not None and len(outcome.sites) else None)
        problems = [{**dataclasses.asdict(p), "value": None if p.value is None
                     else str(p.value)} for p in outcome.problems]
        write_json({"fingerprint": inputs_fp, "outline_wkt": outcome.outline_wkt,
                    "sites": sites, "problems": problems}, self._path(outcome.code))

    def all_sites(self, plan: Mapping[str, str]) -> gpd.GeoDataFrame:
        """The sites of every county of ``plan`` (code -> inputs fingerprint) whose survey
        is up to date (column ``county_code``), WGS84."""
        frames = []
        for code, fp in plan.items():
            survey = self.get(code, fp)
            if survey is not None and survey.sites is not None and len(survey.sites):
                frames.append(survey.sites)
        if not frames:
            return gpd.GeoDataFrame({"county_code": []}, geometry=[], crs=4326)
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4326)


def survey_all(cfg: BatchConfig, plan: Mapping[str, str], surveys: Surveys,
               connect: Callable[[], Any], *, retries: int, echo: Callable[[str], None],
               again: Collection[str] = ()) -> dict[str, tuple[Problem, ...]]:
    """Survey every county whose cached survey is missing or stale, and those in ``again``
    (one task each).

    Returns the problems of the counties that cannot be loaded (code -> problems), from
    this run or, for unchanged inputs, from the cache.
    """
    failed: dict[str, tuple[Problem, ...]] = {}
    todo = []
    for c in cfg.counties:
        if c.code not in plan:
            continue
        cached = None if c.code in again else surveys.get(c.code, plan[c.code])
        if cached is None:
            todo.append(c)
        elif cached.problems:
            failed[c.code] = cached.problems
    if not todo:
        return failed
    from distributed import as_completed

    client = connect()
    echo(p_city.survey_line(len(todo)))
    futures = {client.submit(survey_county, c.config, code=c.code, preset=cfg.preset,
                             key=f"survey-{c.code}-{plan[c.code][:8]}", retries=retries,
                             pure=False): c for c in todo}
    for fut in as_completed(futures):
        entry = futures[fut]
        try:
            outcome: SurveyOutcome = fut.result()
        except Exception as exc:  # the county fails alone, with the reason
            failed[entry.code] = (Problem(str(entry.config), None, None, None,
                                          f"the county could not be loaded: "
                                          f"{type(exc).__name__}: {exc}",
                                          code="batch_survey"),)
            continue
        if outcome.problems:
            failed[entry.code] = outcome.problems
        surveys.put(outcome, plan[entry.code])
    return failed


def neighbour_sites(code: str, outline_wkt: str, sites: gpd.GeoDataFrame, *,
                    buffer_km: float) -> gpd.GeoDataFrame | None:
    """Other counties' sites within ``buffer_km`` of this county's outline (or None)."""
    from coverage.access.neighbours import sites_near

    if sites.empty or buffer_km <= 0:
        return None
    others = sites[sites["county_code"].astype(str) != code]
    if others.empty:
        return None
    picked = sites_near(shapely.from_wkt(outline_wkt), others.reset_index(drop=True),
                        buffer_m=buffer_km * 1000)
    return picked if len(picked) else None


def site_fingerprint(sites: gpd.GeoDataFrame | None) -> str:
    """A hash of the neighbour sites a county sees (so a change there reruns it)."""
    if sites is None or sites.empty:
        return ""
    cols = [c for c in sites.columns if c != sites.geometry.name]
    frame = pd.DataFrame(sites[cols]).astype(str).assign(wkt=sites.geometry.to_wkt())
    frame = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    return hashlib.sha256(frame.to_csv(index=False).encode("utf-8")).hexdigest()
