"""Every row of every layer in its township, and every decision said out loud.

With township polygons, a point's township is the polygon that holds it (the rules for gaps,
overlaps and the county's edge are :func:`coverage.load._tiling.assign_points`'); the code's
first 9 digits and the 所属乡镇 column are cross-checked against it and a disagreement is a
warning naming both townships.  With townships derived from codes, a village/community row's
township is its code's, and other points take their 所属乡镇, else the approximate area they
fall in.  A row without coordinates (未定位) takes its code's township or its 所属乡镇; each
layer reports its 未定位 rows once, with a count per township.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from coverage._clean import normalize_cell, township_key
from coverage.load._frame import LayerFrame, LoadContext
from coverage.load._hierarchy import code_prefixes
from coverage.load._tiling import EDGE_M, assign_points, township_code_key
from coverage.load.layers import ParsedLayer
from coverage.problems import Problems
from coverage.region import DIAGNOSTIC_COLUMNS, order_columns, spatial_join_codes

__all__ = ["Placement", "place_layers"]

_WHY = {"code": "its code names it", "siblings": "most of its code's siblings lie there",
        "margin": "it covers the point with the larger margin"}


@dataclass(frozen=True)
class Placement:
    """The placed layers and what the placing found (frames of ``LoadDiagnostics``)."""

    layers: dict[str, gpd.GeoDataFrame]
    points_outside: gpd.GeoDataFrame
    assigned: gpd.GeoDataFrame
    code_mismatches: gpd.GeoDataFrame
    unlocated: pd.DataFrame


def _diag(name: str, records: list[dict[str, object]], geoms: list[shapely.Geometry]
          ) -> gpd.GeoDataFrame:
    cols = DIAGNOSTIC_COLUMNS[name]
    frame = pd.DataFrame(records, columns=list(cols))
    for c in cols:
        frame[c] = frame[c].astype("float64" if c == "distance_m" else "string")
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"),
                            crs="EPSG:4326")


def _location_field(fr: LayerFrame) -> str:
    return "lon" if "lon" in fr.data else "wkt" if "wkt" in fr.data else "geometry"


def _shown(fr: LayerFrame, i: int, geom: shapely.Geometry) -> str:
    if "lon" in fr.data:
        return f"{fr.typed('lon', i)}, {fr.typed('lat', i)}"
    return f"{geom.x:.6f}, {geom.y:.6f}"


class _Townships:
    """Lookups of the township frame: by 9-digit code and by name."""

    def __init__(self, towns: gpd.GeoDataFrame) -> None:
        self.codes = towns["code"].astype(str).to_numpy()
        self.names = towns["name"].astype(str).to_numpy()
        self.by_key = {township_code_key(c): t for t, c in enumerate(self.codes)}
        self.by_text: dict[str, int] = {}
        for t, (code, name) in enumerate(zip(self.codes, self.names, strict=True)):
            for k in (code, normalize_cell(name), township_key(name)):
                self.by_text.setdefault(k, t)

    def from_text(self, text: str) -> int | None:
        if not text:
            return None
        for k in (text, normalize_cell(text), township_key(text)):
            if k in self.by_text:
                return self.by_text[k]
        return None


def place_layers(parsed: Mapping[str, ParsedLayer], towns: gpd.GeoDataFrame,
                 villages: gpd.GeoDataFrame | None, ctx: LoadContext, *, approximate: bool,
                 problems: Problems) -> Placement:
    """Give every row its township (and village polygon), report, and build the layers.

    Parameters
    ----------
    parsed
        The layers as read.
    towns
        The township frame (polygons, or approximate areas when ``approximate``).
    villages
        Village polygons, when given (``village_code`` by spatial join).
    ctx
        County outline and metric CRS.
    approximate
        The townships were derived from codes: a village/community row's code decides.
    problems
        Receives every placement problem.
    """
    tw = _Townships(towns)
    kinds = list(parsed)
    sizes = [len(parsed[k].gdf) for k in kinds]
    kind_of = np.repeat(np.array(kinds, dtype=object), sizes)
    local = np.concatenate([np.arange(s) for s in sizes]) if kinds else np.zeros(0, int)
    geom = np.concatenate([parsed[k].gdf.geometry.to_numpy() for k in kinds]) if kinds \
        else np.zeros(0, object)
    located = np.concatenate([parsed[k].located for k in kinds]) if kinds else np.zeros(0, bool)
    failed = np.concatenate([parsed[k].failed for k in kinds]) if kinds else np.zeros(0, bool)
    prefix = np.concatenate([code_prefixes(parsed[k]) for k in kinds]) if kinds \
        else np.zeros(0, object)
    table = np.concatenate([parsed[k].township_text for k in kinds]) if kinds \
        else np.zeros(0, object)
    a = assign_points(geom, located, prefix, towns, ctx.county, metric=ctx.metric)
    town, rule = a.town.copy(), a.rule.copy()
    coded = np.array([bool(p) and p in tw.by_key for p in prefix], dtype=bool)
    named = np.array([-1 if (t := tw.from_text(str(x))) is None else t for x in table])

    def report(j: int, field_: str, message: str, fix: str, **kw: object) -> None:
        parsed[kind_of[j]].frame.report(problems, field_, int(local[j]), message, fix,
                                        **kw)  # type: ignore[arg-type]

    if approximate:
        use_code = coded
        town[use_code], rule[use_code] = [tw.by_key[p] for p in prefix[use_code]], "code"
        use_table = ~coded & (named >= 0)
        town[use_table], rule[use_table] = named[use_table], "table"
    else:
        open_ = ~located & ~failed & coded
        town[open_], rule[open_] = [tw.by_key[p] for p in prefix[open_]], "code"
        open_ = ~located & ~failed & ~coded & (named >= 0)
        town[open_], rule[open_] = named[open_], "table"

    outside_rec, outside_geom = [], []
    assigned_rec, assigned_geom = [], []
    mismatch_rec, mismatch_geom = [], []
    ids = np.concatenate([parsed[k].gdf["id"].to_numpy(dtype=object) for k in kinds]) \
        if kinds else np.zeros(0, object)
    unit_names = np.concatenate([parsed[k].gdf["name"].to_numpy(dtype=object) for k in kinds]) \
        if kinds else np.zeros(0, object)
    ruled = (a.rule == "nearest") | (a.rule == "overlap")
    worth = (located & ((a.outside_m > 0) | ruled | coded)) | (table != "")
    for j in map(int, np.flatnonzero(worth)):
        fr = parsed[kind_of[j]].frame
        i = int(local[j])
        base = {"kind": kind_of[j], "id": ids[j], "name": unit_names[j]}
        t = int(town[j])
        if located[j] and a.outside_m[j] > 0:
            far = a.outside_m[j] > EDGE_M and t < 0
            outside_rec.append({**base, "township_code": tw.codes[t] if t >= 0 else None,
                                "distance_m": a.outside_m[j],
                                "severity": "error" if far else "warning"})
            outside_geom.append(geom[j])
            where = _location_field(fr)
            if far:
                report(j, where, f"point lies outside the region boundary "
                       f"({a.outside_m[j] / 1000:.1f} km outside)",
                       "check the coordinates and their CRS (GCJ-02 from Amap needs crs = "
                       "\"gcj02\")", value=_shown(fr, i, geom[j]), code="point_outside_county")
            else:
                report(j, where, f"point lies outside the county outline (within "
                       f"{EDGE_M / 1000:g} km); counted in the township shown",
                       "check the coordinates; nothing to do if the outline is the less "
                       "precise of the two", value=f"{tw.names[t]} "
                       f"({a.outside_m[j]:.0f} m outside)" if t >= 0 else None,
                       severity="warning", code="point_outside_county")
        if a.rule[j] in ("nearest", "overlap") and rule[j] == a.rule[j] and t >= 0:
            assigned_rec.append({**base, "township_code": tw.codes[t], "rule": rule[j],
                                 "distance_m": a.distance_m[j],
                                 "candidates": ";".join(tw.codes[c] for c in a.candidates[j])})
            assigned_geom.append(geom[j])
            if rule[j] == "nearest" and a.outside_m[j] == 0:
                report(j, _location_field(fr), "the point lies in a gap between the township "
                       "polygons; counted in the nearest township",
                       "nothing to do if that is its township; otherwise close the gap in the "
                       "township polygons", value=f"{tw.names[t]} ({a.distance_m[j]:.0f} m away)",
                       severity="warning", code="township_by_nearest")
            elif rule[j] == "overlap":
                others = [tw.names[c] for c in a.candidates[j] if c != t]
                report(j, _location_field(fr), "the point lies where township polygons "
                       "overlap; counted in the township shown",
                       "nothing to do if that is its township; otherwise fix the shared "
                       "boundary", value=f"{tw.names[t]} ({_WHY[a.why[j]]}; also in "
                       f"{', '.join(others)})", severity="warning", code="township_by_overlap")
        if located[j] and not approximate and coded[j] and rule[j] in ("polygon", "nearest") \
                and tw.by_key[prefix[j]] != t and t >= 0:
            said = tw.by_key[prefix[j]]
            mismatch_rec.append({**base, "code_township": tw.codes[said],
                                 "township_code": tw.codes[t]})
            mismatch_geom.append(geom[j])
            report(j, "id", f"the code says township {tw.names[said]} ({prefix[j]}) but the "
                   f"point lies in {tw.names[t]}",
                   "check the code and the coordinates; the point is counted where it lies",
                   value=base["id"], severity="warning", code="township_code_mismatch")
        text = str(table[j])
        if text and not failed[j]:
            if named[j] < 0 and rule[j] == "code" and t >= 0:
                report(j, "township", f"the table says {text} but the code says "
                       f"{tw.names[t]}", "check the 所属乡镇 value (the code decides)",
                       value=text, severity="warning", code="township_table_mismatch")
            elif named[j] < 0:
                close = [x for x in tw.names if township_key(x) and (township_key(x) in text
                                                                     or text in x)]
                hint = f"did you mean '{close[0]}'? " if close else ""
                report(j, "township", "township name matches no township",
                       f"{hint}known townships: {', '.join(tw.names)}", value=text,
                       code="township_unknown_name")
            elif t >= 0 and named[j] != t and rule[j] != "table":
                source = "the code says" if rule[j] == "code" else "the point lies in"
                report(j, "township", f"the table says {tw.names[named[j]]} but {source} "
                       f"{tw.names[t]}", "check the coordinates or the 所属乡镇 value",
                       value=text, severity="warning", code="township_table_mismatch")
    prefixed = prefix != ""
    if not approximate and prefixed.any() and not coded[prefixed].any() and len(tw.codes):
        problems.add(
            "the township polygons' codes match none of the villages'/communities' first 9 "
            "digits; the code cross-check is skipped",
            column="admin.township.code_column", value=", ".join(tw.codes[:3]),
            severity="warning", code="township_codes_unmatched",
            fix="use the 9-digit 统计用区划代码 as the township polygons' code column",
        )
    unlocated = _report_unlocated(parsed, kinds, sizes, town, failed, located, tw, problems)
    layers = _build(parsed, kinds, sizes, town, rule, tw, villages)
    return Placement(layers, _diag("points_outside", outside_rec, outside_geom),
                     _diag("assigned", assigned_rec, assigned_geom),
                     _diag("code_mismatches", mismatch_rec, mismatch_geom), unlocated)


def _report_unlocated(parsed: Mapping[str, ParsedLayer], kinds: list[str], sizes: list[int],
                      town: np.ndarray, failed: np.ndarray, located: np.ndarray,
                      tw: _Townships, problems: Problems) -> pd.DataFrame:
    records = []
    start = 0
    for kind, size in zip(kinds, sizes, strict=True):
        sl = slice(start, start + size)
        start += size
        rows = np.flatnonzero(~located[sl] & ~failed[sl])
        if not len(rows):
            continue
        counts = Counter(int(t) for t in town[sl][rows])
        for t, k in sorted(counts.items(), key=lambda kv: -kv[1]):
            records.append({"kind": kind, "township_code": tw.codes[t] if t >= 0 else pd.NA,
                            "township_name": tw.names[t] if t >= 0 else pd.NA, "count": k})
        per = ", ".join(f"{tw.names[t] if t >= 0 else '(乡镇不明 township unknown)'} {k}"
                        for t, k in sorted(counts.items(), key=lambda kv: -kv[1]))
        fr = parsed[kind].frame
        fr.report_column(
            problems, _location_field(fr) if "lon" in fr.data or "wkt" in fr.data else "id",
            rows, f"{len(rows)} 行未定位 ({len(rows)} of {size} rows have no coordinates; they "
            f"count in the completion rates and are left out of access and optimisation; per "
            f"township: {per})",
            ("add the coordinates (经度/纬度)" if "lon" in fr.data else "add their geometry")
            + " to place them on the map and in the access analysis", code="unlocated_rows")
    frame = pd.DataFrame(records, columns=list(DIAGNOSTIC_COLUMNS["unlocated"]))
    return frame.astype({"kind": "string", "township_code": "string",
                         "township_name": "string", "count": "int64"})


def _build(parsed: Mapping[str, ParsedLayer], kinds: list[str], sizes: list[int],
           town: np.ndarray, rule: np.ndarray, tw: _Townships,
           villages: gpd.GeoDataFrame | None) -> dict[str, gpd.GeoDataFrame]:
    out = {}
    start = 0
    for kind, size in zip(kinds, sizes, strict=True):
        t = town[start:start + size]
        r = rule[start:start + size]
        start += size
        gdf = parsed[kind].gdf.copy()
        placed = t >= 0
        none = np.full(size, None, dtype=object)
        gdf["township_code"] = (np.where(placed, tw.codes[np.maximum(t, 0)], None)
                                if len(tw.codes) else none)
        gdf["township_name"] = (np.where(placed, tw.names[np.maximum(t, 0)], None)
                                if len(tw.codes) else none)
        gdf["village_code"] = pd.Series(pd.NA, index=gdf.index, dtype="string")
        if villages is not None and len(gdf):
            gdf["village_code"] = spatial_join_codes(gdf, villages)[0].to_numpy()
            if kind == "village":
                known = set(villages["code"].dropna())
                ids = gdf["id"].astype("string")
                gdf.loc[gdf["village_code"].isna() & ids.isin(known), "village_code"] = ids
        source = np.full(size, None, dtype=object)
        source[placed] = r[placed]
        gdf["township_source"] = source
        source_row = gdf.pop("source_row")
        gdf["source_row"] = source_row.to_numpy()
        out[kind] = order_columns(gdf)
    return out
