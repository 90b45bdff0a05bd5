"""The city (or province) roll-up of its counties' results, in codes.

Inputs are the county summaries (``batch_summary.json``, written by each county's task); the
tables are plain :mod:`pandas` so the roll-up can be checked against an independent
computation from the counties' own ``tables/*.csv``.

Rules (stated once):

* a county's figures are its own run's county rows (its binding result per indicator);
* the city's value of an indicator is *pooled* over the city's units, each once: Σ numerators
  ÷ Σ denominators (× ``per`` for per-population and staff-ratio indicators), over the
  counties that have data for it; a count indicator's city value is the sum;
* the city meets an indicator when every county with data meets it (each county is checked
  on its own, as the policy documents check them); ``counties_met``/``counties_with_data``
  say how many do;
* counties are ranked per indicator by their rate (or value) — best first, ties share the
  better rank; a county without data is not ranked;
* access: a village is counted once, in the county it belongs to, covered when its county's
  run found a site within the service's threshold (in a batch, a site of the next county
  counts: ``cross_border``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CityRollup", "roll_up"]

_POOLED_KINDS = ("rate", "per_population", "staff_ratio")


@dataclass(frozen=True)
class CityRollup:
    """The city's tables (English snake_case columns; statuses and reasons are codes).

    Attributes
    ----------
    counties
        One row per indicator × county: its numerator, denominator, rate, target, status,
        shortfall and ``rank`` among the counties.
    city
        One row per indicator: pooled numerator, denominator and ``rate``, the target,
        ``counties_met``, ``counties_with_data``, ``shortfall`` (the counties' sum) and
        ``status`` (``met`` when every county with data meets it, ``no_data`` when none has).
    townships
        One row per township and indicator with a shortfall: county, township, shortfall.
    access
        One row per service × county and a city row (``county_code`` = the city's code):
        villages/communities, covered, population, covered population, share, and how many
        were covered across the border.
    sites
        The suggested sites of every county, with their county.
    """

    counties: pd.DataFrame
    city: pd.DataFrame
    townships: pd.DataFrame
    access: pd.DataFrame
    sites: pd.DataFrame
    code: str
    name: str


def roll_up(summaries: Sequence[Mapping[str, Any]], *, code: str, name: str) -> CityRollup:
    """Roll the county summaries up to the city (see the module docstring for the rules)."""
    gaps = pd.concat([pd.DataFrame(s["gaps"]).assign(county_code=s["county_code"],
                                                     county_name=s["county_name"])
                      for s in summaries], ignore_index=True) if summaries else pd.DataFrame(
        columns=["county_code", "county_name", "unit_level", "indicator_id"])
    for col in ("numerator", "denominator", "rate", "target", "per", "shortfall"):
        if col in gaps:
            gaps[col] = pd.to_numeric(gaps[col], errors="coerce")
    counties = _county_rows(gaps)
    city = _city_rows(counties)
    townships = _township_rows(gaps)
    access = _access_rows(summaries, code=code, name=name)
    sites = _site_rows(summaries)
    return CityRollup(counties=counties, city=city, townships=townships, access=access,
                      sites=sites, code=code, name=name)


def _county_rows(gaps: pd.DataFrame) -> pd.DataFrame:
    cols = ["indicator_id", "indicator_name", "kind", "county_code", "county_name",
            "numerator", "denominator", "rate", "target", "per", "status", "shortfall",
            "shortfall_unit"]
    if gaps.empty:
        return pd.DataFrame(columns=[*cols, "rank"])
    rows = gaps[gaps["unit_level"] == "county"][cols].copy()
    value = rows["rate"].where(rows["kind"] != "count", rows["numerator"])
    rows["rank"] = (value.groupby(rows["indicator_id"]).rank(ascending=False, method="min")
                    .astype("Int64"))
    return rows.sort_values(["indicator_id", "rank", "county_code"],
                            na_position="last").reset_index(drop=True)


def _city_rows(counties: pd.DataFrame) -> pd.DataFrame:
    out = []
    for ind, grp in counties.groupby("indicator_id", sort=False):
        first = grp.iloc[0]
        data = grp[grp["status"] != "no_data"]
        num = float(data["numerator"].sum()) if len(data) else np.nan
        den = float(data["denominator"].sum()) if len(data) else np.nan
        kind = first["kind"]
        if kind in _POOLED_KINDS and den > 0:
            rate = num / den * (float(first["per"]) if pd.notna(first["per"]) else 1.0)
        elif kind == "count" and len(data):
            rate = num
        else:
            rate = np.nan
        applicable = data[data["status"] != "not_applicable"]
        met = int((applicable["status"] == "met").sum())
        status = ("no_data" if data.empty else "not_applicable" if applicable.empty
                  else "met" if met == len(applicable) else "unmet")
        out.append({"indicator_id": ind, "indicator_name": first["indicator_name"],
                    "kind": kind, "numerator": num, "denominator": den, "rate": rate,
                    "target": first["target"], "per": first["per"],
                    "counties_met": met, "counties_with_data": len(applicable),
                    "counties": len(grp),
                    "shortfall": float(data["shortfall"].fillna(0).sum()),
                    "shortfall_unit": first["shortfall_unit"], "status": status})
    return pd.DataFrame(out, columns=["indicator_id", "indicator_name", "kind", "numerator",
                                      "denominator", "rate", "target", "per", "counties_met",
                                      "counties_with_data", "counties", "shortfall",
                                      "shortfall_unit", "status"])


def _township_rows(gaps: pd.DataFrame) -> pd.DataFrame:
    cols = ["county_code", "county_name", "unit_code", "unit_name", "indicator_id",
            "indicator_name", "rate", "target", "shortfall", "shortfall_unit", "binding"]
    if gaps.empty:
        return pd.DataFrame(columns=cols)
    t = gaps[(gaps["unit_level"] == "township") & (gaps["shortfall"].fillna(0) > 0)]
    return t[cols].sort_values(["county_code", "unit_code", "indicator_id"]
                               ).reset_index(drop=True)


def _access_rows(summaries: Sequence[Mapping[str, Any]], *, code: str, name: str
                 ) -> pd.DataFrame:
    cols = ["service_id", "service_name", "county_code", "county_name", "points",
            "covered_points", "population", "covered_population", "covered_share",
            "cross_border_points"]
    frames = [pd.DataFrame(s["access_points"]).assign(county_code=s["county_code"],
                                                      county_name=s["county_name"])
              for s in summaries if s["access_points"]]
    if not frames:
        return pd.DataFrame(columns=cols)
    pts = pd.concat(frames, ignore_index=True)
    pts["population"] = pd.to_numeric(pts["population"], errors="coerce").fillna(0.0)
    pts["covered"] = pts["covered"].fillna(False).astype(bool)
    if "cross_border" not in pts:
        pts["cross_border"] = False
    pts["cross_border"] = pts["cross_border"].fillna(False).astype(bool)
    # one row per (service, point): a point is counted once, in its own county
    pts = pts.drop_duplicates(["service_id", "kind", "id"])
    pts["covered_pop"] = pts["population"].where(pts["covered"], 0.0)
    pts["cross"] = pts["cross_border"] & pts["covered"]

    def agg(g: pd.DataFrame) -> pd.Series:
        pop = float(g["population"].sum())
        cov = float(g["covered_pop"].sum())
        return pd.Series({"points": len(g), "covered_points": int(g["covered"].sum()),
                          "population": pop, "covered_population": cov,
                          "covered_share": cov / pop if pop else np.nan,
                          "cross_border_points": int(g["cross"].sum())})

    by_county = (pts.groupby(["service_id", "service_name", "county_code", "county_name"],
                             sort=True)[["population", "covered", "covered_pop", "cross"]]
                 .apply(agg).reset_index())
    city = (pts.groupby(["service_id", "service_name"], sort=True)
            [["population", "covered", "covered_pop", "cross"]].apply(agg).reset_index()
            .assign(county_code=code, county_name=name))
    return pd.concat([by_county, city], ignore_index=True)[cols]


def _site_rows(summaries: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    frames = [pd.DataFrame(s["suggested_sites"]).assign(county_code=s["county_code"],
                                                        county_name=s["county_name"])
              for s in summaries if s["suggested_sites"]]
    if not frames:
        return pd.DataFrame(columns=["county_code", "county_name", "rank", "id", "name"])
    sites = pd.concat(frames, ignore_index=True)
    lead = ["county_code", "county_name"]
    return sites[lead + [c for c in sites.columns if c not in lead]]
